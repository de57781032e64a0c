"""KPI formulas (DESIGN §4) and the functions that evaluate them.

Each KPI is a pure, vectorized formula on the measures table of
:mod:`arassess.measures` (one row per as-of date T), returning the values and,
where a value is undefined, the reason (never 0 or inf for "undefined").
:func:`compute_kpis` evaluates every registry KPI at one or many dates;
:func:`kpi_series` is the same at month-ends, so a series is never a second
implementation. N is the window in days (default 90).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from arassess.config import DEFAULT_AGING_EDGES, DEFAULT_WINDOW_DAYS
from arassess.ledger import Ledger
from arassess.measures import YEAR_DAYS, measure
from arassess.timeline import DUE_PAST_LIMIT

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
    """Expected write-off of today's AR from 6-month average roll rates (see arassess.rollrates)."""
    values = m["expected_write_off"]
    return values, m["write_off_reason"].astype(object).where(values.isna(), None)


# --- evaluation -----------------------------------------------------------------------

@dataclass(frozen=True)
class KpiTable:
    """KPI values at one or more as-of dates.

    ``values``: index = as-of dates, columns = registry keys (NaN where missing);
    ``reasons``: same shape, the reason a value is missing (None where defined);
    ``aging``: AR by aging bucket at each date; ``measures``: the inputs.
    """

    values: pd.DataFrame
    reasons: pd.DataFrame
    aging: pd.DataFrame
    measures: pd.DataFrame
    window_days: int
    currency: str

    def value(self, key: str, as_of: pd.Timestamp | str | None = None) -> float:
        """One KPI at one date (the last date if none is given)."""
        row = self.values.index[-1] if as_of is None else pd.Timestamp(as_of)
        return float(self.values.at[row, key])

    def reason(self, key: str, as_of: pd.Timestamp | str | None = None) -> str | None:
        row = self.values.index[-1] if as_of is None else pd.Timestamp(as_of)
        return self.reasons.at[row, key]


def _dates(as_of: pd.Timestamp | str | Iterable) -> pd.DatetimeIndex:
    if isinstance(as_of, (str, pd.Timestamp)) or not isinstance(as_of, Iterable):
        as_of = [as_of]
    index = pd.DatetimeIndex(pd.to_datetime(list(as_of))).normalize()
    if index.hasnans:
        raise ValueError("as_of contains an empty date")
    return index.sort_values().unique().rename("as_of")


def compute_kpis(ledger: Ledger, as_of: pd.Timestamp | str | Iterable | None = None, *,
                 window_days: int = DEFAULT_WINDOW_DAYS,
                 aging_edges: tuple[int, ...] = DEFAULT_AGING_EDGES) -> KpiTable:
    """Every registry KPI at each as-of date (default: the ledger's ``as_of``)."""
    from arassess.registry import KPIS

    if window_days < 1:
        raise ValueError(f"window_days must be a whole number of days ≥ 1, got {window_days}")
    edges = tuple(aging_edges)
    if (not edges or edges[0] != 0 or any(b <= a for a, b in zip(edges, edges[1:]))
            or edges[-1] >= DUE_PAST_LIMIT):
        raise ValueError(f"aging_edges must be increasing whole days starting at 0, e.g. {DEFAULT_AGING_EDGES}; "
                         f"got {edges}")
    if ledger.shape == "open_items" and ledger.as_of is None:
        raise ValueError("an open-items ledger needs its as_of date (the day the open-item list was taken)")
    if as_of is None:
        if ledger.as_of is None:
            raise ValueError("no as-of date given and the ledger has none (set as_of in client.yaml)")
        as_of = ledger.as_of
    dates = _dates(as_of)
    m = measure(ledger, dates, window_days, edges)
    values, reasons = {}, {}
    for kpi in KPIS:
        v, r = kpi.function(m, window_days)
        if ledger.shape == "open_items" and kpi.needs_history:
            v, r = v * np.nan, pd.Series(NO_HISTORY, index=m.index, dtype=object)
        values[kpi.key], reasons[kpi.key] = v.astype(float), r.astype(object)
    values_df, reasons_df = pd.DataFrame(values), pd.DataFrame(reasons)
    aging = m[[c for c in m.columns if c.startswith("bucket:")]].rename(columns=lambda c: c[len("bucket:"):])
    if ledger.shape == "open_items":
        other = dates != ledger.as_of
        why = f"an open-items export describes only its date {ledger.as_of:%Y-%m-%d}"
        values_df.loc[other] = np.nan
        reasons_df.loc[other] = why
        aging = aging.astype(float)
        aging.loc[other] = np.nan
    values_df = values_df.replace([np.inf, -np.inf], np.nan)
    return KpiTable(values_df, reasons_df.astype(object), aging, m, window_days, ledger.currency)


def months_before(date: pd.Timestamp, months: int) -> pd.Timestamp:
    """``date`` minus ``months`` calendar months; a month-end stays a month-end (31 Oct → 31 Jul)."""
    earlier = date - pd.DateOffset(months=months)
    return earlier + pd.offsets.MonthEnd(0) if date.is_month_end else earlier


def month_end_dates(end: pd.Timestamp | str, months: int) -> pd.DatetimeIndex:
    """The ``months`` month-ends up to ``end`` (``end`` itself if it is a month-end)."""
    end = pd.Timestamp(end).normalize()
    last = end if end.is_month_end else end - pd.offsets.MonthEnd(1)
    return pd.date_range(end=last, periods=months, freq="ME")


def kpi_series(ledger: Ledger, end: pd.Timestamp | str | None = None, months: int = 24, *,
               window_days: int = DEFAULT_WINDOW_DAYS,
               aging_edges: tuple[int, ...] = DEFAULT_AGING_EDGES) -> KpiTable:
    """Every KPI at the last ``months`` month-ends up to ``end`` (one evaluation, not one per month)."""
    if months < 1:
        raise ValueError(f"months must be ≥ 1, got {months}")
    end = end if end is not None else ledger.as_of
    if end is None:
        raise ValueError("no end date given and the ledger has no as_of")
    return compute_kpis(ledger, month_end_dates(end, months), window_days=window_days, aging_edges=aging_edges)


def kpi_value(ledger: Ledger, key: str, as_of: pd.Timestamp | str, *,
              window_days: int = DEFAULT_WINDOW_DAYS) -> float:
    """One KPI at one date, e.g. ``kpi_value(ledger, "dso", "2026-10-31")`` (NaN if undefined)."""
    from arassess.registry import get

    get(key)  # validates the key
    return compute_kpis(ledger, as_of, window_days=window_days).value(key)
