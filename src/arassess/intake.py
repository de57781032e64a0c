"""Loading a client folder: files → typed, validated :class:`~arassess.ledger.Ledger`.

The pipeline, each step collecting problems instead of stopping at the first:

1. read each file (:func:`arassess.parsing.read_file`): missing/empty file and
   missing required columns stop the load at once (nothing can be checked);
2. type every column (dates, amounts, booleans) with the file's formats;
3. validate typed rows with the declared pandera schema (lazy: every failure);
4. cross-file rules (payments against invoices) and currency conversion;
5. control totals; stop if a file's rejected share exceeds the configured limit.

Input files are only read, never written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from arassess.config import ClientConfig, load_config
from arassess.errors import InputError, RejectionLimitError
from arassess.ledger import Ledger
from arassess.parsing import RawFile, read_file, text_columns, type_columns
from arassess.quality import FileTotals, QualityReport, summarize_problems
from arassess.validation import check_currencies, empty_problems, payment_problems, schema_problems

MONEY_COLUMNS = {"invoices": ("amount", "written_off_amount", "open_amount"), "payments": ("amount",)}


def _totals(label: str, typed: pd.DataFrame, rejected: pd.Series, amount_column: str | None) -> FileTotals:
    amount = typed[amount_column].fillna(0.0) if amount_column else pd.Series(0.0, index=typed.index)
    return FileTotals(
        file=label,
        rows_read=len(typed),
        rows_accepted=int((~rejected).sum()),
        rows_rejected=int(rejected.sum()),
        amount_read=float(amount.sum()),
        amount_accepted=float(amount[~rejected].sum()),
        amount_rejected=float(amount[rejected].sum()),
    )


def _rejected_mask(typed: pd.DataFrame, problems: pd.DataFrame, raw: RawFile) -> pd.Series:
    bad_rows = set(problems["row"].astype(np.int64)) if not problems.empty else set()
    return pd.Series(np.isin(raw.file_rows(typed.index), list(bad_rows)), index=typed.index)


def _rejected_rows(raw: RawFile, rejected: pd.Series, problems: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows as read from the file (export column names), with row number and problems."""
    rows = raw.frame.loc[rejected].rename(columns={c: raw.export_names.get(c, c) for c in raw.frame.columns})
    numbers = raw.file_rows(rows.index)
    reasons = (problems.assign(text=problems["column"].astype(str) + ": " + problems["problem"].astype(str))
               .groupby("row")["text"].agg("; ".join))
    return rows.assign(row=numbers, problems=pd.Series(numbers, index=rows.index).map(reasons))[
        ["row", "problems", *rows.columns]]


def _convert(frame: pd.DataFrame, kind: str, rates: dict[str, float], reporting: str,
             currency: pd.Series) -> pd.DataFrame:
    """Amounts into the reporting currency; the file's amount is kept as amount_original."""
    out = frame.copy()
    rate = currency.fillna(reporting).map(rates).astype(float)
    out["currency"] = currency.fillna(reporting)
    out["amount_original"] = frame["amount"]
    for column in MONEY_COLUMNS[kind]:
        if column in out:
            out[column] = out[column] * rate
    return out


def _typed(raw: RawFile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frame and every problem: parse problems, then the schema's on all rows
    (except a second report for a cell that could not be read at all)."""
    typed, problems = type_columns(raw)
    text = text_columns(raw, list(typed.columns))
    checked = schema_problems(raw.spec.kind, typed, raw.label, raw.file_rows, raw.export_names, text)
    if checked.empty:
        return typed, problems
    unreadable = pd.MultiIndex.from_frame(problems[["row", "column"]]) if not problems.empty else None
    if unreadable is not None:
        checked = checked[~pd.MultiIndex.from_frame(checked[["row", "column"]]).isin(unreadable)]
    found = pd.concat([problems, checked], ignore_index=True)
    return typed, found.sort_values("row", kind="stable", ignore_index=True)


def _in_reporting_currency(frame: pd.DataFrame, currency: pd.Series, rates: dict[str, float],
                           reporting: str) -> pd.DataFrame:
    """A copy of ``frame`` whose amount is converted to the reporting currency (for comparisons)."""
    code = currency.astype(object).where(currency.notna(), reporting)
    return frame.assign(amount=frame["amount"] * code.map(rates).astype(float))


def load_ledger(config: ClientConfig, *, max_rejected_share: float | None = None) -> Ledger:
    """Load and validate the files named in ``config`` into a :class:`Ledger`."""
    limit = config.max_rejected_share if max_rejected_share is None else max_rejected_share
    notes: list[str] = []
    raws: dict[str, RawFile] = {}
    for kind, spec in config.files.items():
        raws[kind] = read_file(spec, allow_no_rows=kind != "invoices")
        if raws[kind].frame.empty:
            notes.append(f"{raws[kind].label} has a header but no rows: no {kind}.")
    for kind in ("payments", "customers"):
        if kind not in config.files:
            notes.append(f"{kind}: no file given in client.yaml.")
    for raw in raws.values():
        if raw.extra_columns:
            notes.append(f"{raw.label}: extra columns kept but not used: {', '.join(raw.extra_columns)}.")

    inv_raw = raws["invoices"]
    invoices, inv_problems = _typed(inv_raw)
    inv_rejected = _rejected_mask(invoices, inv_problems, inv_raw)
    if "currency" in invoices:
        check_currencies(invoices.loc[~inv_rejected, "currency"], dict(config.fx_rates), config.currency,
                         inv_raw.label)
    accepted_invoices = invoices[~inv_rejected]

    tables: dict[str, tuple[RawFile, pd.DataFrame, pd.DataFrame, pd.Series]] = {
        "invoices": (inv_raw, invoices, inv_problems, inv_rejected)}
    rates = dict(config.fx_rates)
    if "payments" in raws:
        pay_raw = raws["payments"]
        payments, pay_problems = _typed(pay_raw)
        pay_bad = _rejected_mask(payments, pay_problems, pay_raw)
        # payments and invoices are compared in the reporting currency
        inv_cur = invoices["currency"] if "currency" in invoices else pd.Series(None, index=invoices.index, dtype=object)
        first_cur = pd.Series(inv_cur.to_numpy(), index=invoices["invoice_id"].to_numpy())
        first_cur = first_cur[~first_cur.index.duplicated()]
        pay_cur = payments["invoice_id"].map(first_cur)
        if "currency" in payments:
            pay_cur = payments["currency"].fillna(pay_cur)
        check_currencies(pay_cur[~pay_bad], rates, config.currency, pay_raw.label)
        cross = payment_problems(_in_reporting_currency(payments[~pay_bad], pay_cur[~pay_bad], rates, config.currency),
                                 _in_reporting_currency(invoices, inv_cur, rates, config.currency),
                                 pd.Index(accepted_invoices["invoice_id"]),
                                 pay_raw.label, inv_raw.label, pay_raw.file_rows, inv_raw.file_rows,
                                 pay_raw.export_names)
        pay_problems = pd.concat([pay_problems, cross], ignore_index=True) if not cross.empty else pay_problems
        tables["payments"] = (pay_raw, payments, pay_problems, _rejected_mask(payments, pay_problems, pay_raw))
    if "customers" in raws:
        cus_raw = raws["customers"]
        customers, cus_problems = _typed(cus_raw)
        tables["customers"] = (cus_raw, customers, cus_problems, _rejected_mask(customers, cus_problems, cus_raw))

    totals, problems, rejected_rows = [], [], {}
    for kind, (raw, typed, found, rejected) in tables.items():
        totals.append(_totals(raw.label, typed, rejected, "amount" if kind != "customers" else None))
        problems.append(found)
        if rejected.any():
            rejected_rows[raw.label] = _rejected_rows(raw, rejected, found)
    all_problems = pd.concat([p for p in problems if not p.empty] or [empty_problems()], ignore_index=True)
    all_problems["row"] = all_problems["row"].astype(np.int64)

    shape = config.shape
    if shape == "auto":
        shape = "ledger" if ("paid_date" in invoices or "payments" in tables) else "open_items"
        notes.append(f"input shape detected: {'full ledger' if shape == 'ledger' else 'open-items export'}.")
    if shape == "open_items" and config.as_of is None:
        raise InputError(f"{config.root / 'client.yaml'}: an open-items export needs 'as_of' "
                         "(the date the open-item list was taken).")

    report = QualityReport(totals=tuple(totals), problems=all_problems, notes=tuple(notes),
                           rejected=rejected_rows)
    over = [t for t in totals if t.rejected_share > limit]
    if over:
        worst = ", ".join(f"{t.file}: {t.rows_rejected:,} of {t.rows_read:,} rows ({t.rejected_share:.1%})"
                          for t in over)
        raise RejectionLimitError(
            f"Too many rows rejected ({worst}; the limit is {limit:.0%}). The data probably needs a different "
            f"column mapping or date/decimal format in client.yaml. First problems:\n"
            f"{summarize_problems(all_problems, limit=10)}\n"
            "Run `arassess validate CLIENT_DIR --export problems.csv` for the full list.",
            report,
        )

    inv_ok = accepted_invoices.reset_index(drop=True)
    inv_currency = inv_ok["currency"] if "currency" in inv_ok else pd.Series(None, index=inv_ok.index, dtype=object)
    inv_ok = _convert(inv_ok, "invoices", rates, config.currency, inv_currency)
    for flag in ("disputed", "is_credit_note"):
        if flag in inv_ok:
            inv_ok[flag] = inv_ok[flag].fillna(False).astype(bool)

    if "payments" in tables:
        _, payments, _, pay_rejected = tables["payments"]
        pay_ok = payments[~pay_rejected].reset_index(drop=True)
        inv_cur = pay_ok["invoice_id"].map(inv_ok.set_index("invoice_id")["currency"])
        pay_currency = pay_ok["currency"].fillna(inv_cur) if "currency" in pay_ok else inv_cur
        pay_ok = _convert(pay_ok, "payments", rates, config.currency, pay_currency)
    else:
        pay_ok = pd.DataFrame({"invoice_id": pd.Series(dtype=str),
                               "payment_date": pd.Series(dtype="datetime64[us]"),
                               "amount": pd.Series(dtype=float)})

    customers_ok = None
    if "customers" in tables:
        _, customers, _, cus_rejected = tables["customers"]
        customers_ok = customers[~cus_rejected].reset_index(drop=True)
        unknown = ~inv_ok["customer_id"].isin(customers_ok["customer_id"])
        if unknown.any():
            report = QualityReport(report.totals, report.problems, report.notes + (
                f"{inv_ok.loc[unknown, 'customer_id'].nunique():,} customer id(s) in {inv_raw.label} are not in "
                f"{tables['customers'][0].label}; their segment is shown as 'Unknown'.",), report.rejected)

    return Ledger(
        invoices=inv_ok,
        payments=pay_ok,
        customers=customers_ok,
        shape=shape,  # type: ignore[arg-type]
        currency=config.currency,
        as_of=pd.Timestamp(config.as_of) if config.as_of else None,
        quality=report,
        name=config.name,
    )


def load_client(client_dir: str | Path, *, max_rejected_share: float | None = None) -> Ledger:
    """Read ``client.yaml`` in ``client_dir`` and load its files into a validated :class:`Ledger`."""
    return load_ledger(load_config(client_dir), max_rejected_share=max_rejected_share)



def ledger_from_frames(invoices: pd.DataFrame, payments: pd.DataFrame | None = None,
                       customers: pd.DataFrame | None = None, *, currency: str = "EUR",
                       as_of: str | pd.Timestamp | None = None, shape: str = "ledger",
                       name: str = "") -> Ledger:
    """A :class:`Ledger` from canonical, already typed frames (tests, benchmarks, notebooks).

    The same schema and cross-file rules as a file load apply; any problem
    raises :class:`InputError` listing them (rows numbered as in a CSV export).
    Amounts are taken to be in ``currency``. The frames are not modified.
    """
    if shape == "open_items" and as_of is None:
        raise InputError("An open-items ledger needs as_of: the date the open-item list was taken.")

    def rows(index: pd.Index) -> np.ndarray:
        return np.asarray(index, dtype=np.int64) + 2

    inv = invoices.reset_index(drop=True).copy()
    for column in ("invoice_date", "due_date", "paid_date", "written_off_date", "dispute_date",
                   "dispute_resolved_date"):
        if column in inv:
            inv[column] = pd.to_datetime(inv[column])
    inv["amount"] = inv["amount"].astype(float)
    names = {c: c for c in inv.columns}
    found = [schema_problems("invoices", inv, "invoices", rows, names)]
    pay = payments.reset_index(drop=True).copy() if payments is not None else pd.DataFrame(
        {"invoice_id": pd.Series(dtype=str), "payment_date": pd.Series(dtype="datetime64[us]"),
         "amount": pd.Series(dtype=float)})
    pay["payment_date"] = pd.to_datetime(pay["payment_date"])
    pay["amount"] = pay["amount"].astype(float)
    if len(pay):
        found.append(schema_problems("payments", pay, "payments", rows, {c: c for c in pay.columns}))
        found.append(payment_problems(pay, inv, pd.Index(inv["invoice_id"]), "payments", "invoices",
                                      rows, rows, {c: c for c in pay.columns}))
    problems = pd.concat([f for f in found if not f.empty] or [empty_problems()], ignore_index=True)
    if not problems.empty:
        raise InputError("The ledger has invalid rows:\n" + summarize_problems(problems))
    for flag in ("disputed", "is_credit_note"):
        if flag in inv:
            inv[flag] = inv[flag].fillna(False).astype(bool)
    inv["currency"], inv["amount_original"] = currency, inv["amount"]
    totals = (_totals("invoices", inv, pd.Series(False, index=inv.index), "amount"),)
    return Ledger(invoices=inv, payments=pay, customers=customers, shape=shape,  # type: ignore[arg-type]
                  currency=currency, as_of=pd.Timestamp(as_of) if as_of is not None else None,
                  quality=QualityReport(totals=totals), name=name)
