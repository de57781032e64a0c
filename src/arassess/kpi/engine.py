"""Evaluating the KPIs: every registry KPI at one or many dates.

:func:`compute_kpis` evaluates every KPI of :data:`arassess.kpi.registry.KPIS` at one or many
dates from one measures table; :func:`kpi_series` is the same at month-ends, so a series is never
a second implementation. N is the window in days (default 90).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from arassess.config.client import DEFAULT_AGING_EDGES, DEFAULT_WINDOW_DAYS
from arassess.errors import ArgumentError
from arassess.kpi.formulas import NO_HISTORY
from arassess.kpi.measures import measure
from arassess.kpi.registry import KPIS, get
from arassess.ledger.balances import DUE_PAST_LIMIT
from arassess.ledger.model import Ledger

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
        raise ArgumentError("as_of contains an empty date")
    return index.sort_values().unique().rename("as_of")


def compute_kpis(ledger: Ledger, as_of: pd.Timestamp | str | Iterable | None = None, *,
                 window_days: int = DEFAULT_WINDOW_DAYS,
                 aging_edges: tuple[int, ...] = DEFAULT_AGING_EDGES) -> KpiTable:
    """Every registry KPI at each as-of date (default: the ledger's ``as_of``).

    At a date before the ledger's first invoice every KPI and the aging are missing with that reason
    (not 0 AR and "0.0 days"): there is no book to assess yet."""

    if window_days < 1:
        raise ArgumentError(f"window_days must be a whole number of days ≥ 1, got {window_days}")
    edges = tuple(aging_edges)
    if (not edges or edges[0] != 0 or any(b <= a for a, b in zip(edges, edges[1:]))
            or edges[-1] >= DUE_PAST_LIMIT):
        raise ArgumentError(f"aging_edges must be increasing whole days starting at 0, e.g. {DEFAULT_AGING_EDGES}; "
                         f"got {edges}")
    if ledger.shape == "open_items" and ledger.as_of is None:
        raise ArgumentError("an open-items ledger needs its as_of date (the day the open-item list was taken)")
    if as_of is None:
        if ledger.as_of is None:
            raise ArgumentError("no as-of date given and the ledger has none (set as_of in client.yaml)")
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
    first = ledger.invoices["invoice_date"].min() if len(ledger.invoices) else pd.NaT
    before = dates < first if first is not pd.NaT else np.zeros(len(dates), dtype=bool)
    if before.any():
        values_df.loc[before] = np.nan
        reasons_df.loc[before] = BEFORE_FIRST_INVOICE
        aging = aging.astype(float)
        aging.loc[before] = np.nan
    values_df = values_df.replace([np.inf, -np.inf], np.nan)
    return KpiTable(values_df, reasons_df.astype(object), aging, m, window_days, ledger.currency)


#: The reason every KPI is missing at a date before the ledger's first invoice (which invoice is first
#: is not named: an invoice dated after T never changes what is said at T).
BEFORE_FIRST_INVOICE = "the date is before the ledger's first invoice: there is nothing to assess"


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
        raise ArgumentError(f"months must be ≥ 1, got {months}")
    end = end if end is not None else ledger.as_of
    if end is None:
        raise ArgumentError("no end date given and the ledger has no as_of")
    return compute_kpis(ledger, month_end_dates(end, months), window_days=window_days, aging_edges=aging_edges)


def kpi_value(ledger: Ledger, key: str, as_of: pd.Timestamp | str, *,
              window_days: int = DEFAULT_WINDOW_DAYS) -> float:
    """One KPI at one date, e.g. ``kpi_value(ledger, "dso", "2026-10-31")`` (NaN if undefined)."""

    get(key)  # validates the key
    return compute_kpis(ledger, as_of, window_days=window_days).value(key)
