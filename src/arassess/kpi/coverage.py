"""What the data covers: the dates each table spans and which KPIs it supports.

Two section tables of the assessment's "data received" part:

- :func:`date_coverage`: one row per loaded table with its date range;
- :func:`kpi_availability`: one row per registry KPI, whether it could be
  computed and, if not, why and what input would provide it.

:func:`monthly_sales` gives the credit sales per calendar month (the input of
:func:`arassess.assessment.findings.seasonality_note`).
"""

from __future__ import annotations

import re

import pandas as pd

from arassess.errors import ArgumentError
from arassess.kpi.engine import KpiTable, month_end_dates
from arassess.kpi.formulas import NO_HISTORY
from arassess.kpi.registry import KPIS
from arassess.ledger.model import Ledger

DATE_COLUMNS: dict[str, str | None] = {"invoices": "invoice_date", "payments": "payment_date", "customers": None}
COVERAGE_COLUMNS = ["table", "date_column", "rows", "first_date", "last_date", "months"]
AVAILABILITY_COLUMNS = ["key", "kpi", "available", "reason", "provided_by"]

FULL_LEDGER = "full invoice ledger with paid dates (invoices + payments files)"
DISPUTE_COLUMNS = "a 'disputed' or 'dispute_date' column in the invoices file"
PAID_DATES = "paid dates (a 'paid_date' column) or a payments file, if invoices were paid in the window"
NOT_AN_INPUT = "nothing missing: the data has none in the period"


def months_spanned(first: pd.Timestamp, last: pd.Timestamp) -> float:
    """Calendar months from ``first``'s month to ``last``'s month, both included.

    months = 12 × (year_last − year_first) + (month_last − month_first) + 1;
    2026-01-10 … 2026-03-05 → 3. NaN when either date is missing.
    """
    if pd.isna(first) or pd.isna(last):
        return float("nan")
    return float(12 * (last.year - first.year) + (last.month - first.month) + 1)


def date_coverage(ledger: Ledger) -> pd.DataFrame:
    """One row per loaded table: invoices, payments (if it has rows), customers (if loaded).

    Columns: table, date_column (the table's main date: invoice_date /
    payment_date; '' for customers), rows, first_date, last_date (NaT for
    customers), months (calendar months spanned, see :func:`months_spanned`).
    """
    tables: list[tuple[str, pd.DataFrame]] = [("invoices", ledger.invoices)]
    if len(ledger.payments):
        tables.append(("payments", ledger.payments))
    if ledger.customers is not None:
        tables.append(("customers", ledger.customers))
    records = []
    for name, frame in tables:
        column = DATE_COLUMNS[name]
        dates = pd.to_datetime(frame[column]) if column and column in frame else pd.Series(dtype="datetime64[ns]")
        first, last = (dates.min(), dates.max()) if len(dates) else (pd.NaT, pd.NaT)
        records.append({"table": name, "date_column": column or "", "rows": len(frame),
                        "first_date": first, "last_date": last, "months": months_spanned(first, last)})
    out = pd.DataFrame.from_records(records, columns=COVERAGE_COLUMNS)
    out["first_date"] = pd.to_datetime(out["first_date"])
    out["last_date"] = pd.to_datetime(out["last_date"])
    return out


# reason (as written by arassess.kpi.engine / measures / rollrates) → what would provide the KPI
_SHORT_HISTORY = re.compile(r"does not reach back (\d+) days")
_ROLL_HISTORY = re.compile(r"roll rates need (\d+) month-ends")


def provided_by(key: str, reason: str, *, has_dispute_column: bool = False) -> str:
    """What input would provide KPI ``key`` that is missing for ``reason`` ('' if nothing can).

    The rules, in order:

    =====================================================  ==========================================
    reason                                                 provided by
    =====================================================  ==========================================
    open-items export (no sales history / other date)      the full invoice ledger with paid dates
                                                           (+ a dispute column for the dispute rate,
                                                           unless ``has_dispute_column``)
    no 'disputed' / 'dispute_date' column                  that column
    ledger does not reach back N days                      invoices going back N days before T
    roll rates need K month-ends of history                invoices going back K month-ends before T
    countback: AR larger than all sales in the history     invoices further back (more months of sales)
    no invoice fully paid in the window                    paid dates or a payments file
    no sales / no AR / nothing collectable (a fact)        nothing missing
    =====================================================  ==========================================
    """
    if not reason:
        return ""
    if reason == NO_HISTORY or reason.startswith("an open-items export"):
        needs_column = key == "dispute_rate" and not has_dispute_column
        return FULL_LEDGER + (", with " + DISPUTE_COLUMNS if needs_column else "")
    if "'disputed'" in reason or "'dispute_date'" in reason:
        return DISPUTE_COLUMNS
    if match := _SHORT_HISTORY.search(reason):
        return f"invoices going back {match.group(1)} days before the as-of date"
    if match := _ROLL_HISTORY.search(reason):
        return f"invoices going back {match.group(1)} month-ends before the as-of date"
    if "credit sales in the ledger's whole months" in reason:
        return "invoices going back further (enough whole months of credit sales to cover today's AR)"
    if "fully paid" in reason:
        return PAID_DATES
    return NOT_AN_INPUT


def kpi_availability(table: KpiTable, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """One row per registry KPI at ``as_of`` (default: the table's last date).

    Columns: key, kpi (label), available (a value could be computed), reason
    (why not; '' if available), provided_by (the file or column that would
    provide a missing KPI, see :func:`provided_by`; '' if available).
    """
    row = table.values.index[-1] if as_of is None else pd.Timestamp(as_of).normalize()
    # the measures keep the dispute count even where an open-items export hides the rate
    disputed = table.measures.at[row, "disputed_window"] if "disputed_window" in table.measures else float("nan")
    has_column = bool(pd.notna(disputed))
    records = []
    for kpi in KPIS:
        value = table.values.at[row, kpi.key]
        reason = table.reasons.at[row, kpi.key]
        available = bool(pd.notna(value))
        why = "" if available else (reason if isinstance(reason, str) and reason else "undefined")
        source = "" if available else provided_by(kpi.key, why, has_dispute_column=has_column)
        records.append({"key": kpi.key, "kpi": kpi.label, "available": available, "reason": why,
                        "provided_by": source})
    return pd.DataFrame.from_records(records, columns=AVAILABILITY_COLUMNS)


def monthly_sales(ledger: Ledger, end: pd.Timestamp | str | None = None, months: int = 24) -> pd.Series:
    """Credit sales per calendar month: Σ amount of invoices dated in the month.

    Index: the last ``months`` month-ends up to ``end`` (default: the ledger's
    as_of; a month-end ``end`` is included, otherwise the month before it),
    named "month_end". Months before the ledger's first invoice are left out
    (no history is not zero sales), and so is a first month the ledger only
    partly covers (as the countback DSO does). An open-items export has no
    sales history: the series is empty.
    """
    end = end if end is not None else ledger.as_of
    if end is None:
        raise ArgumentError("no end date given and the ledger has no as_of")
    index = month_end_dates(end, months).rename("month_end")
    if ledger.shape != "ledger" or ledger.invoices.empty:
        return pd.Series(dtype=float, index=index[:0], name="sales")
    inv = ledger.invoices
    period_end = inv["invoice_date"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    sales = inv["amount"].groupby(period_end.to_numpy()).sum()
    out = sales.reindex(index, fill_value=0.0).astype(float).rename("sales")
    month_start = out.index.to_period("M").to_timestamp(how="start")
    return out[month_start >= inv["invoice_date"].min()]  # whole months of history only
