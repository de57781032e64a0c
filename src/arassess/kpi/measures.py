"""Measures: the aggregated quantities every KPI formula is built from.

:func:`measure` evaluates, for each as-of date T (vectorized over dates), the
balances (from :mod:`arassess.ledger.balances`) and the flows over windows (prefix sums
over sorted dates). KPIs in :mod:`arassess.kpi.engine` are formulas on this table, so
a monthly series and a single snapshot are the same computation.

Columns of the measures table (index: the as-of dates)::

    ar, ar_current, ar_overdue, ar_over_90     balances at T (current = not yet due)
    bucket:<label>                             AR by aging bucket (days past due)
    ar_window_start                            AR(T − N)
    ar_year_ago                                AR(T − 365)
    sales_window, sales_12m                    credit sales in (T − N, T], (T − 365, T]
    settled_count, settled_amount,             invoices fully paid in (T − N, T]:
    settled_amount_days, settled_late_days,    Σ amount × (paid − invoice date),
    settled_on_time                            Σ max(0, paid − due), # paid by due
    writeoffs_12m                              written off in (T − 365, T]
    issued_window, disputed_window             invoices issued in (T − N, T], of them disputed at T
    top10_overdue, customers_overdue           net overdue AR of the 10 customers owing most, of all owing
    countback_dso, countback_reason            countback DSO (see :func:`countback_dso`)
    expected_write_off, write_off_reason       roll-rate forecast (see arassess.kpi.rollrates)
    covered_window, covered_12m                the ledger's history reaches back to T − N, T − 365
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arassess.kpi.rollrates import ROLL_MONTHS, expected_write_off, month_end_rolls, month_ends_before
from arassess.ledger.balances import NEVER, Timeline, balance_grid, overdue_by_customer, timeline_of, to_days
from arassess.ledger.model import Ledger

MONEY_DECIMALS = 2  # every money measure is rounded to cents before a KPI is derived from it
YEAR_DAYS = 365
OVER_90_DAYS = 90
TOP_CUSTOMERS = 10


def bucket_labels(edges: tuple[int, ...]) -> list[str]:
    """Aging bucket labels from edges: (0, 30, 60) → Current, 1–30, 31–60, 60+."""
    labels = ["Current"]
    labels += [f"{lo + 1}–{hi}" for lo, hi in zip(edges[:-1], edges[1:])]
    labels.append(f"{edges[-1]}+")
    return labels


def bucket_ranges(edges: tuple[int, ...]) -> list[tuple[float, float]]:
    """Days-past-due ranges (inclusive) of each bucket: current is ≤ 0, the last is > last edge."""
    ranges: list[tuple[float, float]] = [(-np.inf, 0)]
    ranges += [(lo + 1, hi) for lo, hi in zip(edges[:-1], edges[1:])]
    ranges.append((edges[-1] + 1, np.inf))
    return ranges


@dataclass(frozen=True)
class _Prefix:
    """Cumulative sums of weights by day: Σ weights over days in (a, b] in O(1).

    Built with one bincount over day offsets (no sort); days equal to NEVER are left out.
    """

    day0: int
    sums: np.ndarray  # sums[k] = Σ weights with day ≤ day0 + k − 1, shape (width + 1, k)

    @classmethod
    def of(cls, days: np.ndarray, *weights: np.ndarray) -> "_Prefix":
        finite = days < NEVER
        d = days[finite]
        day0 = int(d.min()) if len(d) else 0
        offset = d - day0
        width = int(offset.max()) + 1 if len(d) else 0
        cols = [np.bincount(offset, weights=np.asarray(w, dtype=float)[finite], minlength=width)
                for w in weights]
        table = np.column_stack(cols) if cols else np.zeros((width, 0))
        return cls(day0, np.vstack([np.zeros((1, table.shape[1])), np.cumsum(table, axis=0)]))

    def upto(self, day: np.ndarray) -> np.ndarray:
        """Σ weights with day' ≤ day, one row per day."""
        k = np.clip(np.asarray(day, dtype=np.int64) - self.day0 + 1, 0, len(self.sums) - 1)
        return self.sums[k]

    def between(self, after: np.ndarray, upto: np.ndarray) -> np.ndarray:
        """Σ weights with after < day ≤ upto, one row per (after, upto) pair."""
        return self.upto(upto) - self.upto(after)


def _month_starts(day: np.ndarray) -> np.ndarray:
    d = np.asarray(day, dtype="datetime64[D]")
    return d.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def countback_dso(ar: np.ndarray, dates: np.ndarray, sales: _Prefix, first_day: int
                  ) -> tuple[np.ndarray, list[str | None]]:
    """Countback DSO at each date.

    From AR(T), subtract each calendar month's credit sales walking back from
    T's month (T's month counts from its 1st to T), adding that month's days,
    until the rest is no larger than the month's sales; then add
    rest / that month's sales × that month's days (the walk stops as soon as
    the AR is used up).
    AR 212,000 against monthly sales 100k, 80k, 70k (30-day months) gives
    30 + 30 + 32/70 × 30 = 73.7 days. Missing when AR exceeds all sales of the
    whole calendar months the ledger covers.
    """
    out = np.full(len(dates), np.nan)
    reasons: list[str | None] = [None] * len(dates)
    # only whole months of history count: a ledger starting mid-month starts with the next month
    first_month = int(_month_starts(np.array([first_day]))[0]) if first_day < NEVER else NEVER
    if first_day < NEVER and first_day != first_month:
        first_month = int(_month_starts(np.array([first_day + 31]))[0])
    for j, (t, rest) in enumerate(zip(dates, ar)):  # a loop over as-of dates, vectorized over months
        if rest <= 0:
            out[j] = 0.0
            continue
        start_month = np.datetime64(int(t), "D").astype("datetime64[M]")
        count = int((start_month - np.datetime64(first_month, "D").astype("datetime64[M]")).astype(int)) + 1
        if first_month == NEVER or count <= 0:
            reasons[j] = "AR is larger than all credit sales in the ledger's whole months of history"
            continue
        starts = (start_month - np.arange(count).astype("timedelta64[M]")).astype("datetime64[D]").astype(np.int64)
        ends = np.concatenate([[int(t)], starts[:-1] - 1])  # T's month runs from its 1st to T
        month_sales = sales.between(starts - 1, ends)[:, 0]
        month_days = ends - starts + 1
        used = np.cumsum(month_sales)
        stop = (month_sales > 0) & (rest <= used)  # the first month whose sales cover the rest
        if not stop.any():
            reasons[j] = "AR is larger than all credit sales in the ledger's whole months of history"
            continue
        k = int(np.argmax(stop))
        before = used[k] - month_sales[k]
        out[j] = month_days[:k].sum() + (rest - before) / month_sales[k] * month_days[k]
    return out, reasons


def measure(ledger: Ledger, as_of: pd.DatetimeIndex, window_days: int,
            aging_edges: tuple[int, ...]) -> pd.DataFrame:
    """The measures table (see module docstring) at every date of ``as_of``."""
    tl: Timeline = timeline_of(ledger)
    t = to_days(as_of)
    n = len(t)
    history = ledger.shape == "ledger"
    month_ends = month_ends_before(t, ROLL_MONTHS + 1) if history else np.zeros(0, dtype=np.int64)
    grid_days = np.unique(np.concatenate([t, t - window_days, t - YEAR_DAYS, month_ends]))
    grid = balance_grid(tl, grid_days)
    at = np.searchsorted(grid_days, t)
    totals = grid.total()

    def past_due(lo: float, hi: float) -> np.ndarray:
        return grid.past_due_between(lo, hi)[at]

    out: dict[str, np.ndarray | list] = {}
    out["ar"] = totals[at]
    out["ar_current"] = past_due(-np.inf, 0)
    out["ar_overdue"] = out["ar"] - out["ar_current"]
    out["ar_over_90"] = past_due(OVER_90_DAYS + 1, np.inf)
    for label, (lo, hi) in zip(bucket_labels(aging_edges), bucket_ranges(aging_edges)):
        out[f"bucket:{label}"] = past_due(lo, hi)

    first_day = int(tl.inv_day.min()) if len(tl.inv_day) else NEVER
    out["covered_window"] = np.full(n, history) & (first_day <= t - window_days + 1)
    out["covered_12m"] = np.full(n, history) & (first_day <= t - YEAR_DAYS + 1)
    out["ar_window_start"] = totals[np.searchsorted(grid_days, t - window_days)]
    out["ar_year_ago"] = totals[np.searchsorted(grid_days, t - YEAR_DAYS)]

    sales = _Prefix.of(tl.inv_day, tl.amount)
    out["sales_window"] = sales.between(t - window_days, t)[:, 0]
    out["sales_12m"] = sales.between(t - YEAR_DAYS, t)[:, 0]

    settled = tl.settled_by_payment
    pay_days = (tl.close_day - tl.inv_day)[settled]
    late = np.maximum(tl.close_day - tl.due_day, 0)[settled]
    amt = tl.amount[settled]
    flows = _Prefix.of(tl.close_day[settled], np.ones_like(amt), amt, amt * pay_days, late,
                       (tl.close_day <= tl.due_day)[settled]).between(t - window_days, t)
    for k, name in enumerate(("settled_count", "settled_amount", "settled_amount_days",
                              "settled_late_days", "settled_on_time")):
        out[name] = flows[:, k]

    out["writeoffs_12m"] = _Prefix.of(tl.wo_day, tl.wo_amount).between(t - YEAR_DAYS, t)[:, 0]
    out["issued_window"], out["disputed_window"] = _disputes(ledger, tl, t, window_days)

    # customers' net overdue balances; credits (net ≤ 0) own no share of the overdue AR
    owed = np.maximum(overdue_by_customer(tl, t), 0.0)
    top = -np.sort(-owed, axis=0)[:TOP_CUSTOMERS] if owed.size else np.zeros((0, n))
    out["top10_overdue"] = top.sum(axis=0) if top.size else np.zeros(n)
    out["customers_overdue"] = owed.sum(axis=0) if owed.size else np.zeros(n)

    if history:
        # AR in cents: a book paid off leaves a float residue (1e-10) that is not money; walked
        # back over months without sales it would read as hundreds of days of countback DSO
        cb, cb_reason = countback_dso(np.round(out["ar"], MONEY_DECIMALS) + 0.0, t, sales, first_day)
        rolls = month_end_rolls(tl, grid, month_ends)
        ew, ew_reason = expected_write_off(grid, at, t, month_ends, rolls)
    else:
        cb, cb_reason = np.full(n, np.nan), [None] * n
        ew, ew_reason = np.full(n, np.nan), [None] * n
    out["countback_dso"], out["countback_reason"] = cb, cb_reason
    out["expected_write_off"], out["write_off_reason"] = ew, ew_reason
    frame = pd.DataFrame(out, index=as_of)
    money = [c for c in frame.columns
             if c.startswith(("ar", "bucket:", "sales", "top10", "customers_overdue", "writeoffs"))]
    # money in cents: float noise from cumulative sums is not money, and a negative residue
    # must not show as "-0" (+ 0.0 turns -0.0 into 0.0)
    frame[money] = frame[money].round(MONEY_DECIMALS) + 0.0
    return frame


def _disputes(ledger: Ledger, tl: Timeline, t: np.ndarray, window_days: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Invoices issued in (T − N, T] and how many of them are disputed at T.

    With a dispute_date column, an invoice counts as disputed at T only if its
    dispute was raised on or before T; with the flag alone, the flag is taken as is.
    """
    issued = _Prefix.of(tl.inv_day, np.ones(len(tl.inv_day))).between(t - window_days, t)[:, 0]
    inv = ledger.invoices
    if "disputed" not in inv and "dispute_date" not in inv:
        return issued, np.full(len(t), np.nan)
    flagged = inv["disputed"].to_numpy(dtype=bool) if "disputed" in inv else np.zeros(len(inv), dtype=bool)
    if "dispute_date" in inv:
        d_day = to_days(inv["dispute_date"])
        flagged = flagged | (d_day < NEVER)
        d_day = np.where(d_day < NEVER, d_day, tl.inv_day)  # flag without a date: raised on the invoice date
    else:
        d_day = tl.inv_day
    sel = np.flatnonzero(flagged)
    i_day, r_day = tl.inv_day[sel], d_day[sel]
    disputed = np.array([np.count_nonzero((i_day > s) & (i_day <= e) & (r_day <= e))
                         for s, e in zip(t - window_days, t)], dtype=float)
    return issued, disputed
