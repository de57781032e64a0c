"""KPI formulas: each KPI a pure, vectorized function of the measures table of
:mod:`arassess.kpi.measures` (one row per as-of date T) and the window N in days, returning the
values and, where a value is undefined, the reason (never 0 or inf for "undefined").

The client-facing definitions and benchmarks are in :mod:`arassess.kpi.registry`; evaluating
them at dates is :mod:`arassess.kpi.engine`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arassess.kpi.measures import YEAR_DAYS

Result = tuple[pd.Series, pd.Series]

NO_HISTORY = ("needs sales history, which an open-items export lacks: provide the full invoice ledger "
              "(all invoices of the last 12 months with paid dates, ideally a payments file)")


def _ratio(num: pd.Series, den: pd.Series, scale: float, why_zero: str) -> Result:
    """num / den × scale, missing (with ``why_zero``) where den ≤ 0."""
    ok = den > 0
    values = (num / den.where(ok)) * scale
    reasons = pd.Series(np.where(ok, None, why_zero), index=num.index, dtype=object)
    return values.where(ok), reasons


def _needs(result: Result, covered: pd.Series, why: str) -> Result:
    values, reasons = result
    reasons = reasons.where(covered, why)
    return values.where(covered), reasons


def _no_sales(window: str) -> str:
    return f"no credit sales in {window}"


def _window_text(n: int) -> str:
    return f"the {n}-day window"


def _short_history(days: int) -> str:
    return f"the ledger does not reach back {days} days before the as-of date"


# --- balances -------------------------------------------------------------------------

def ar_total(m: pd.DataFrame, n: int) -> Result:
    """Total AR(T) = Σ open(i, T)."""
    return m["ar"], pd.Series(None, index=m.index, dtype=object)


def ar_overdue(m: pd.DataFrame, n: int) -> Result:
    """Overdue AR = AR(T) − current AR(T) (current = not yet due)."""
    return m["ar_overdue"], pd.Series(None, index=m.index, dtype=object)


def pct_over_90(m: pd.DataFrame, n: int) -> Result:
    """% over 90 = AR more than 90 days past due / AR(T) × 100."""
    return _ratio(m["ar_over_90"], m["ar"], 100.0, "no open AR at the as-of date")


def top10_overdue_share(m: pd.DataFrame, n: int) -> Result:
    """Top-10 share = net overdue AR of the 10 customers owing most / net overdue AR of all customers
    owing × 100 (a customer whose overdue credits exceed its debts owes nothing)."""
    return _ratio(m["top10_overdue"], m["customers_overdue"], 100.0, "no overdue AR at the as-of date")


# --- sales-based ----------------------------------------------------------------------

def dso(m: pd.DataFrame, n: int) -> Result:
    """Period DSO = AR(T) / sales(T − N, T] × N."""
    return _needs(_ratio(m["ar"], m["sales_window"], n, _no_sales(_window_text(n))),
                  m["covered_window"], _short_history(n))


def dso_countback(m: pd.DataFrame, n: int) -> Result:
    """Countback DSO: AR(T) walked back over calendar months of sales (see measures.countback_dso)."""
    values = m["countback_dso"]
    reasons = m["countback_reason"].astype(object).where(values.isna(), None)
    return values, reasons


def bpdso(m: pd.DataFrame, n: int) -> Result:
    """Best possible DSO = current AR(T) / sales(T − N, T] × N."""
    return _needs(_ratio(m["ar_current"], m["sales_window"], n, _no_sales(_window_text(n))),
                  m["covered_window"], _short_history(n))


def add(m: pd.DataFrame, n: int) -> Result:
    """ADD (DSO − BPDSO) = overdue AR(T) / sales(T − N, T] × N."""
    return _needs(_ratio(m["ar_overdue"], m["sales_window"], n, _no_sales(_window_text(n))),
                  m["covered_window"], _short_history(n))


def cei(m: pd.DataFrame, n: int) -> Result:
    """CEI over (S, T], S = T − N:
    (AR(S) + sales(S, T] − AR(T)) / (AR(S) + sales(S, T] − current AR(T)) × 100."""
    collectable = m["ar_window_start"] + m["sales_window"]
    return _needs(_ratio(collectable - m["ar"], collectable - m["ar_current"], 100.0,
                         "nothing was collectable in the window (no opening AR, sales or overdue)"),
                  m["covered_window"], _short_history(n))


def ar_turnover(m: pd.DataFrame, n: int) -> Result:
    """AR turnover = credit sales (T − 365, T] / ((AR(T − 365) + AR(T)) / 2)."""
    return _needs(_ratio(m["sales_12m"], (m["ar_year_ago"] + m["ar"]) / 2, 1.0, "average AR is zero"),
                  m["covered_12m"], _short_history(YEAR_DAYS))


def bad_debt_ratio(m: pd.DataFrame, n: int) -> Result:
    """Bad-debt ratio = write-offs in (T − 365, T] / credit sales in (T − 365, T] × 100."""
    return _needs(_ratio(m["writeoffs_12m"], m["sales_12m"], 100.0, _no_sales("the last 12 months")),
                  m["covered_12m"], _short_history(YEAR_DAYS))


def dispute_rate(m: pd.DataFrame, n: int) -> Result:
    """Dispute rate = invoices issued in (T − N, T] disputed by T / invoices issued then × 100."""
    values, reasons = _ratio(m["disputed_window"], m["issued_window"], 100.0,
                             f"no invoices issued in {_window_text(n)}")
    no_data = m["disputed_window"].isna()
    return values.where(~no_data), reasons.where(~no_data, "the invoices file has no 'disputed' or 'dispute_date' column")


# --- settlements ----------------------------------------------------------------------

_NO_SETTLED = "no invoice was fully paid in the window"


def days_to_pay(m: pd.DataFrame, n: int) -> Result:
    """Amount-weighted days to pay of invoices paid in (T − N, T]: Σ amount × (paid − invoice date) / Σ amount.

    "Paid" (here and in the two KPIs below) means settled by payment: closed by
    its paid date or by the payment that cleared it, not a credit note, nothing
    written off."""
    return _ratio(m["settled_amount_days"], m["settled_amount"], 1.0, _NO_SETTLED)


def mean_days_late(m: pd.DataFrame, n: int) -> Result:
    """Mean days late of invoices paid in (T − N, T]: mean of max(0, paid − due)."""
    return _ratio(m["settled_late_days"], m["settled_count"], 1.0, _NO_SETTLED)


def on_time_rate(m: pd.DataFrame, n: int) -> Result:
    """On-time rate = invoices paid in (T − N, T] on or before their due date / invoices paid then × 100."""
    return _ratio(m["settled_on_time"], m["settled_count"], 100.0, _NO_SETTLED)


def expected_write_off(m: pd.DataFrame, n: int) -> Result:
    """Expected write-off of today's AR from 6-month average roll rates (see arassess.kpi.rollrates)."""
    values = m["expected_write_off"]
    return values, m["write_off_reason"].astype(object).where(values.isna(), None)
