"""Rules on typed values: pandera schemas per file, then the cross-file rules.

Each function returns a *problems* table (file, row, column, value, problem);
nothing is raised for a bad row. Rows with any problem are rejected by
:mod:`arassess.intake`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from arassess.errors import InputError
from arassess.quality import PROBLEM_COLUMNS
from arassess.schemas import SCHEMAS

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


def schema_problems(kind: str, typed: pd.DataFrame, label: str, rows: RowNumbers,
                    export_names: dict[str, str], text: pd.DataFrame | None = None) -> pd.DataFrame:
    """Validate ``typed`` with the pandera schema of ``kind`` (lazily: every failure).

    ``text`` holds the values as written in the file (canonical column names),
    shown in the problems; without it the typed values are shown.
    """
    shown = typed if text is None else text
    schema = SCHEMAS[kind]
    try:
        schema.validate(typed, lazy=True)
        return empty_problems()
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    cases = cases[cases["index"].notna()]
    found: list[pd.DataFrame] = []
    for check, group in cases.groupby("check", sort=False):
        check = str(check)
        if check in _RULE_COLUMN:
            column = _RULE_COLUMN[check]
            index = pd.Index(group["index"].astype(np.int64).unique())
            found.append(_problem_frame(label, rows(index), export_names.get(column, column),
                                        shown.loc[index, column].astype(str).to_numpy(), check))
            continue
        for column, sub in group.groupby("column", sort=False):
            column = str(column)
            index = pd.Index(sub["index"].astype(np.int64).unique())
            values = shown.loc[index, column]
            if check == "field_uniqueness":
                problem = _duplicate_reasons(typed[column], index, rows, column)
            elif check == "not_nullable":
                problem = "required value is empty"
            else:
                problem = check
            found.append(_problem_frame(label, rows(index), export_names.get(column, column),
                                        values.astype(str).to_numpy(), problem))
    if not found:
        return empty_problems()
    return pd.concat(found, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)


def _duplicate_reasons(ids: pd.Series, index: pd.Index, rows: RowNumbers, column: str) -> pd.Series:
    """'duplicate invoice_id: also on row(s) …' for each duplicated row."""
    dup = ids.loc[index]
    row_numbers = pd.Series(rows(index), index=index)
    listing = row_numbers.groupby(dup).agg(lambda r: ", ".join(map(str, sorted(r))))
    return ("duplicate " + column.replace("_", " ") + ": the same id is on rows "
            + dup.map(listing).astype(str)).reset_index(drop=True)


def payment_problems(payments: pd.DataFrame, invoices_all: pd.DataFrame, accepted_ids: pd.Index,
                     label: str, invoice_label: str, rows: RowNumbers,
                     invoice_rows: RowNumbers, export_names: dict[str, str]) -> pd.DataFrame:
    """Cross-file rules for payments (``payments`` already typed and schema-checked).

    - the invoice id must exist in the invoices file, and that invoice must be accepted;
    - a payment must not be dated before its invoice;
    - the payments of one invoice must not add up to more than the invoice amount.
    Amounts are compared in the invoice's currency (a payment without currency is in it).
    """
    if payments.empty:
        return empty_problems()
    col_id = export_names.get("invoice_id", "invoice_id")
    found: list[pd.DataFrame] = []
    known = payments["invoice_id"].isin(invoices_all["invoice_id"])
    if (~known).any():
        found.append(_problem_frame(label, rows(payments.index[~known]), col_id,
                                    payments.loc[~known, "invoice_id"],
                                    f"no invoice with this id in {invoice_label}"))
    rejected_inv = known & ~payments["invoice_id"].isin(accepted_ids)
    if rejected_inv.any():
        first_row = pd.Series(invoice_rows(invoices_all.index), index=invoices_all["invoice_id"].to_numpy())
        first_row = first_row[~first_row.index.duplicated()]
        where = payments.loc[rejected_inv, "invoice_id"].map(first_row).astype(str)
        found.append(_problem_frame(label, rows(payments.index[rejected_inv]), col_id,
                                    payments.loc[rejected_inv, "invoice_id"],
                                    f"its invoice was rejected (see {invoice_label} row " + where + ")"))
    ok = payments[known & ~rejected_inv]
    inv = invoices_all.drop_duplicates("invoice_id").set_index("invoice_id")
    inv_date = ok["invoice_id"].map(inv["invoice_date"])
    early = ok["payment_date"] < inv_date
    if early.any():
        found.append(_problem_frame(label, rows(ok.index[early]), export_names.get("payment_date", "payment_date"),
                                    ok.loc[early, "payment_date"].dt.strftime("%Y-%m-%d"),
                                    "payment is dated before its invoice date"))
    total = ok.groupby("invoice_id")["amount"].sum()
    limit = inv["amount"].abs().reindex(total.index)
    over_ids = total.index[(total > limit + MONEY_TOLERANCE).to_numpy()]
    if len(over_ids):
        over = ok["invoice_id"].isin(over_ids)
        sub = ok[over]
        reason = ("payments for invoice " + sub["invoice_id"] + " total "
                  + sub["invoice_id"].map(total).map("{:,.2f}".format)
                  + ", more than the invoice amount "
                  + sub["invoice_id"].map(limit).map("{:,.2f}".format))
        found.append(_problem_frame(label, rows(sub.index), export_names.get("amount", "amount"),
                                    sub["amount"], reason.to_numpy()))
    if not found:
        return empty_problems()
    return pd.concat(found, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)


def check_currencies(currencies: pd.Series, rates: dict[str, float], reporting: str, label: str) -> None:
    """Raise InputError if the file holds a currency with no rate to the reporting currency."""
    counts = currencies.astype(object).where(currencies.notna(), reporting).value_counts()
    missing = [c for c in counts.index if c not in rates]
    if missing:
        found = ", ".join(f"{c} ({n:,} rows)" for c, n in counts.items())
        example = ", ".join(f"{c}: 1.0" for c in missing[:3])
        raise InputError(
            f"{label} holds amounts in several currencies: {found}, but client.yaml has no exchange rate "
            f"for {', '.join(missing)}. Add them under fx.rates (units of {reporting} per unit of the "
            f"currency), e.g. fx: {{rates: {{{example}}}}}."
        )
