"""Rules on typed values: pandera schemas per file, then the cross-file rules.

Each function returns a *problems* table (file, row, column, value, problem);
nothing is raised for a bad row. Rows with any problem are rejected by
:mod:`arassess.inputs.intake`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import pyarrow

from arassess.errors import InputError
from arassess.ledger.columns import pandera_schema
from arassess.ledger.keys import codes, first_positions
from arassess.ledger.quality import PROBLEM_COLUMNS

MONEY_TOLERANCE = 0.005  # half a cent: rounding in exports is not a problem

# Which column to blame for a frame-level rule, by the rule's name.
_RULE_COLUMN = {
    "due date is before the invoice date": "due_date",
    "paid date is before the invoice date": "paid_date",
    "negative amount on a row not flagged as a credit note (set is_credit_note)": "amount",
    "write-off amount exceeds the invoice amount": "written_off_amount",
    "write-off amount given without a write-off date": "written_off_amount",
}

RowNumbers = Callable[[pd.Index], np.ndarray]


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame(columns=PROBLEM_COLUMNS)


def _problem_frame(label: str, rows: np.ndarray, column: str, values: pd.Series | np.ndarray,
                   problem: str | pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"file": label, "row": rows, "column": column,
                         "value": np.asarray(values, dtype=object).astype(str), "problem": problem})


# The rules of the pandera schemas (arassess.ledger.columns), applied in one vectorized pass. pandera
# stays the declared contract (and checks frames built in code); at a million rows its lazy
# validation took 0.7-0.95 s for the invoices alone, a third of the whole intake budget, while
# these masks take a few hundredths. tests/inputs/test_intake_properties.py keeps the two in step.
_NOT_EMPTY = {"invoice_id": "invoice id must not be empty", "customer_id": "customer id must not be empty"}
_REQUIRED = {"invoices": ("invoice_id", "customer_id", "invoice_date", "due_date", "amount"),
             "payments": ("invoice_id", "payment_date", "amount"), "customers": ("customer_id",)}
_UNIQUE = {"invoices": "invoice_id", "customers": "customer_id"}


def _value_rules(kind: str, df: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(column, problem, failing mask) of every rule of ``kind`` except uniqueness; NaN and NaT
    fail only the not-empty rule, as in the schema (other checks look at values that exist)."""
    out: list[tuple[str, str, np.ndarray]] = []

    def col(name: str) -> pd.Series | None:
        return df[name] if name in df else None

    for name in _REQUIRED[kind]:
        if name in df:
            out.append((name, "required value is empty", df[name].isna().to_numpy()))
    for name, problem in _NOT_EMPTY.items():
        if name in _REQUIRED[kind] and name in df:
            values = df[name]
            out.append((name, problem, (values.notna() & (values.astype(str).str.len() == 0)).to_numpy()))

    def num(name: str) -> np.ndarray:
        return df[name].to_numpy(dtype=float, na_value=np.nan)

    if kind == "invoices":
        amount = num("amount")
        out.append(("amount", "amount must not be zero", amount == 0))
        if col("written_off_amount") is not None:
            out.append(("written_off_amount", "write-off amount must not be negative", num("written_off_amount") < 0))
        due, inv = df["due_date"].to_numpy(), df["invoice_date"].to_numpy()
        out.append(("due_date", "due date is before the invoice date", due < inv))
        if col("paid_date") is not None:
            out.append(("paid_date", "paid date is before the invoice date", df["paid_date"].to_numpy() < inv))
        credit = (df["is_credit_note"].fillna(False).to_numpy(dtype=bool) if "is_credit_note" in df
                  else np.zeros(len(df), dtype=bool))
        out.append(("amount", "negative amount on a row not flagged as a credit note (set is_credit_note)",
                    (amount < 0) & ~credit))
        if col("written_off_amount") is not None:
            written = num("written_off_amount")
            out.append(("written_off_amount", "write-off amount exceeds the invoice amount",
                        written > np.abs(amount) + MONEY_TOLERANCE))
            dated = df["written_off_date"].notna().to_numpy() if "written_off_date" in df else np.zeros(len(df), bool)
            out.append(("written_off_amount", "write-off amount given without a write-off date",
                        (np.nan_to_num(written) > 0) & ~dated))
    elif kind == "payments":
        out.append(("amount", "payment amount must be greater than zero", num("amount") <= 0))
    else:
        for name, problem in (("credit_limit", "credit limit must not be negative"),
                              ("terms_days", "terms must not be negative")):
            if name in df:
                out.append((name, problem, num(name) < 0))
    return out


def schema_problems(kind: str, typed: pd.DataFrame, label: str, rows: RowNumbers,
                    export_names: dict[str, str], text: Callable[[str, np.ndarray], np.ndarray] | None = None
                    ) -> pd.DataFrame:
    """The rules of the schema of ``kind`` on ``typed`` (every failure, one vectorized pass).

    ``text(column, positions)`` gives the values as written in the file (canonical column names),
    shown in the problems; without it the typed values are shown.
    """
    def shown(column: str, positions: np.ndarray) -> np.ndarray:
        if text is not None:
            return text(column, positions)
        return typed[column].iloc[positions].astype(str).to_numpy()

    found: list[pd.DataFrame] = []
    unique = _UNIQUE.get(kind)
    if unique in typed:
        ids = typed[unique]
        code, _ = codes(ids)
        dup = (np.bincount(code[code >= 0], minlength=1)[np.maximum(code, 0)] > 1) & (code >= 0)
        if dup.any():
            where = np.flatnonzero(dup)
            index = typed.index[where]
            found.append(_problem_frame(label, rows(index), export_names.get(unique, unique),
                                        shown(unique, where), _duplicate_reasons(ids, index, rows, unique)))
    for column, problem, mask in _value_rules(kind, typed):
        if mask.any():
            where = np.flatnonzero(mask)
            found.append(_problem_frame(label, rows(typed.index[where]), export_names.get(column, column),
                                        shown(column, where), problem))
    if not found:
        return empty_problems()
    return pd.concat(found, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)


def pandera_problems(kind: str, typed: pd.DataFrame) -> set[tuple[int, str, str]]:
    """(row position, column, check) of every failure of the declared pandera schema of ``kind``
    (the reference the vectorized rules are tested against)."""
    import pandera.errors

    try:
        pandera_schema(kind).validate(typed, lazy=True)
        return set()
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    cases = cases[cases["index"].notna()]
    out = set()
    for row in cases.itertuples():
        check = str(row.check)
        column = _RULE_COLUMN.get(check, str(row.column))
        check = {"not_nullable": "required value is empty"}.get(check, check)
        out.add((int(row.index), column, check))
    return out


def _duplicate_reasons(ids: pd.Series, index: pd.Index, rows: RowNumbers, column: str) -> np.ndarray:
    """'duplicate invoice id: the same id is on rows …' for each duplicated row."""
    dup = ids.loc[index]
    row_numbers = pd.Series(rows(index), index=index)
    listing = row_numbers.groupby(dup).agg(lambda r: ", ".join(map(str, sorted(r))))
    return ("duplicate " + column.replace("_", " ") + ": the same id is on rows "
            + dup.map(listing).astype(str)).to_numpy()


def payment_problems(payments: pd.DataFrame, invoices_all: pd.DataFrame, accepted: np.ndarray,
                     label: str, invoice_label: str, rows: RowNumbers,
                     invoice_rows: RowNumbers, export_names: dict[str, str],
                     positions: np.ndarray | None = None) -> pd.DataFrame:
    """Cross-file rules for payments (``payments`` already typed and schema-checked).

    - the invoice id must exist in the invoices file, and that invoice must be accepted
      (``accepted``: per row of ``invoices_all``);
    - a payment must not be dated before its invoice;
    - the payments of one invoice must not add up to more than the invoice amount.
    Amounts are compared in the invoice's currency (a payment without currency is in it).
    Payments are matched to the first invoice row with their id (hashed once, in Arrow; or
    ``positions``, when the caller has them).
    """
    if payments.empty:
        return empty_problems()
    col_id = export_names.get("invoice_id", "invoice_id")
    found: list[pd.DataFrame] = []
    pos = first_positions(payments["invoice_id"], invoices_all["invoice_id"]) if positions is None else positions
    known = pos >= 0
    if (~known).any():
        found.append(_problem_frame(label, rows(payments.index[~known]), col_id,
                                    payments.loc[~known, "invoice_id"],
                                    f"no invoice with this id in {invoice_label}"))
    ok_invoice = np.zeros(len(pos), dtype=bool)
    ok_invoice[known] = np.asarray(accepted, dtype=bool)[pos[known]]
    rejected_inv = known & ~ok_invoice
    if rejected_inv.any():
        where = pd.Series(invoice_rows(invoices_all.index[pos[rejected_inv]])).astype(str).to_numpy()
        found.append(_problem_frame(label, rows(payments.index[rejected_inv]), col_id,
                                    payments.loc[rejected_inv, "invoice_id"],
                                    f"its invoice was rejected (see {invoice_label} row " + where + ")"))
    keep = known & ~rejected_inv
    ok, at = payments[keep], pos[keep]
    early = ok["payment_date"].to_numpy() < invoices_all["invoice_date"].to_numpy()[at]
    if early.any():
        found.append(_problem_frame(label, rows(ok.index[early]), export_names.get("payment_date", "payment_date"),
                                    ok.loc[early, "payment_date"].dt.strftime("%Y-%m-%d"),
                                    "payment is dated before its invoice date"))
    total = np.bincount(at, weights=ok["amount"].to_numpy(dtype=float), minlength=len(invoices_all))
    limit = np.abs(invoices_all["amount"].to_numpy(dtype=float))
    over = total[at] > limit[at] + MONEY_TOLERANCE
    if over.any():
        sub = ok[over]
        ids = sub["invoice_id"].astype(str).to_numpy()
        reason = (pd.Series(["payments for invoice "] * len(sub)) + ids + " total "
                  + pd.Series(total[at[over]]).map("{:,.2f}".format) + ", more than the invoice amount "
                  + pd.Series(limit[at[over]]).map("{:,.2f}".format))
        found.append(_problem_frame(label, rows(sub.index), export_names.get("amount", "amount"),
                                    sub["amount"], reason.to_numpy()))
    if not found:
        return empty_problems()
    return pd.concat(found, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)


def check_currencies(currencies: "pd.Series | pyarrow.Array | pyarrow.ChunkedArray", rates: dict[str, float], reporting: str,
                     label: str) -> None:
    """Raise InputError if the file holds a currency with no rate to the reporting currency."""
    code, distinct = codes(currencies)
    counts = np.bincount(code[code >= 0], minlength=len(distinct))
    found_codes = [(c, int(n)) for c, n in zip(distinct.to_pylist(), counts) if n]
    if (code < 0).any():
        found_codes.append((reporting, int((code < 0).sum())))
    merged: dict[str, int] = {}
    for c, n in sorted(found_codes, key=lambda cn: -cn[1]):
        merged[c] = merged.get(c, 0) + n
    missing = [c for c in merged if c not in rates]
    if missing:
        found = ", ".join(f"{c} ({n:,} rows)" for c, n in merged.items())
        example = ", ".join(f"{c}: 1.0" for c in missing[:3])
        raise InputError(
            f"{label} holds amounts in several currencies: {found}, but client.yaml has no exchange rate "
            f"for {', '.join(missing)}. Add them under fx.rates (units of {reporting} per unit of the "
            f"currency), e.g. fx: {{rates: {{{example}}}}}."
        )
