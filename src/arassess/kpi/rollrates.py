"""Roll rates between 30-day aging buckets and the chained write-off forecast.

Buckets (days past due at a month-end): Current (≤ 0), 1–30, 31–60, 61–90,
91–120, 120+. The roll rate of bucket b in month m is

    roll_b(m) = balance in bucket b+1 at month-end m / balance in bucket b at month-end m−1

where "into 120+" counts only the newly arrived 121–150 balance, and the last
step is 120+ → written off: write-offs dated in month m / 120+ balance at m−1.
Rates are averaged over the last ``ROLL_MONTHS`` months (Σ numerators / Σ
denominators, capped at 1). The expected write-off of the AR at T is

    Σ_b balance_b(T) × Π_{k ≥ b} roll_k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arassess.ledger.balances import BalanceGrid, Timeline, balance_grid, timeline_of, to_days

ROLL_MONTHS = 6
ROLL_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("Current", -np.inf, 0), ("1–30", 1, 30), ("31–60", 31, 60),
    ("61–90", 61, 90), ("91–120", 91, 120), ("120+", 121, np.inf),
)
ROLL_LABELS = tuple(f"{a[0]} → {b[0]}" for a, b in zip(ROLL_BUCKETS[:-1], ROLL_BUCKETS[1:])) + ("120+ → written off",)


def month_ends_before(days: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` month-ends on or before each day (union, sorted, as days)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    next_month_start = (d + np.timedelta64(1, "D")).astype("datetime64[M]")
    last_end_month = next_month_start - np.timedelta64(1, "M")  # month whose end is ≤ day
    months = (last_end_month[:, None] - np.arange(count)[None, :].astype("timedelta64[M]")).ravel()
    ends = (months + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return np.unique(ends.astype(np.int64))


def _bucket_balances(grid: BalanceGrid, rows: np.ndarray) -> np.ndarray:
    """(len(rows) × 6) roll-bucket balances at grid rows, plus the 121–150 slice as column 6."""
    cols = [grid.past_due_between(lo, hi)[rows] for _, lo, hi in ROLL_BUCKETS]
    cols.append(grid.past_due_between(121, 150)[rows])
    return np.column_stack(cols)


Rolls = tuple[np.ndarray, np.ndarray, np.ndarray]


def month_end_rolls(tl: Timeline, grid: BalanceGrid, month_ends: np.ndarray) -> Rolls:
    """Numerators, denominators and validity of each roll rate per month-end (rows: month_ends).

    Row m compares month-end m with m−1; it is valid when m−1 is the calendar
    month before and the ledger's history (first invoice date) reaches m−1.
    """
    k = len(month_ends)
    num = np.zeros((k, len(ROLL_LABELS)))
    den = np.zeros((k, len(ROLL_LABELS)))
    ok = np.zeros(k, dtype=bool)
    if k < 2:
        return num, den, ok
    rows = np.searchsorted(grid.dates, month_ends)
    bal = _bucket_balances(grid, rows)
    months = month_ends.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first_day = tl.inv_day.min() if len(tl.inv_day) else np.iinfo(np.int64).max
    ok[1:] = (np.diff(months) == 1) & (month_ends[:-1] >= first_day)
    order = np.argsort(tl.wo_day, kind="stable")
    wo_days, wo_cum = tl.wo_day[order], np.concatenate([[0.0], np.cumsum(tl.wo_amount[order])])
    wo_upto = wo_cum[np.searchsorted(wo_days, month_ends, side="right")]
    wo_month = np.diff(wo_upto, prepend=0.0)
    for b in range(4):  # Current → 1–30 … 61–90 → 91–120
        num[1:, b] = bal[1:, b + 1]
        den[1:, b] = bal[:-1, b]
    num[1:, 4], den[1:, 4] = bal[1:, 6], bal[:-1, 4]  # 91–120 → newly 120+
    num[1:, 5], den[1:, 5] = wo_month[1:], bal[:-1, 5]  # 120+ → written off
    num[~ok], den[~ok] = 0.0, 0.0
    return num, den, ok


def _average(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return np.minimum(rate, 1.0)


def chained(rate: np.ndarray) -> np.ndarray:
    """chain_b = Π_{k ≥ b} roll_k, where a roll rate of 0 ends the chain at 0 even when a later
    rate is undefined: nothing rolled into a bucket that stayed empty, so nothing rolls on from it
    (the forecast is 0, not unknown). Undefined (NaN) only when an undefined rate is reached first."""
    out = np.empty(len(rate))
    after = 1.0
    for b in range(len(rate) - 1, -1, -1):
        after = 0.0 if rate[b] == 0 else rate[b] * after
        out[b] = after
    return out


def expected_write_off(grid: BalanceGrid, at: np.ndarray, t: np.ndarray, month_ends: np.ndarray,
                       rolls: Rolls) -> tuple[np.ndarray, list[str | None]]:
    """Roll-rate forecast of the write-off in AR(T), for each T (see module docstring).

    Uses the last ROLL_MONTHS month-end pairs on or before T (a month with no
    AR contributes nothing, so a single date and a series agree).
    """
    num, den, valid = rolls
    bal_t = _bucket_balances(grid, at)[:, :6]
    out = np.full(len(t), np.nan)
    reasons: list[str | None] = [None] * len(t)
    for j, day in enumerate(t):
        upto = np.searchsorted(month_ends, day, side="right")
        use = np.flatnonzero(valid[:upto])[-ROLL_MONTHS:]
        if len(use) < ROLL_MONTHS:
            reasons[j] = f"roll rates need {ROLL_MONTHS + 1} month-ends of history before the as-of date"
            continue
        rate = _average(num[use].sum(axis=0), den[use].sum(axis=0))
        chain = chained(rate)
        needed = bal_t[j] > 0
        if np.isnan(chain[needed]).any():
            empty = [ROLL_BUCKETS[b][0] for b in np.flatnonzero(np.isnan(rate) & (np.arange(len(rate)) >= np.argmax(needed)))]
            reasons[j] = (f"no balance was in the {', '.join(empty)} bucket{'s' if len(empty) > 1 else ''} at any of "
                          f"the last {ROLL_MONTHS} month-ends, so the roll on from there is unknown")
            continue
        out[j] = float(np.nansum(bal_t[j] * np.where(needed, chain, 0.0)))
    return out, reasons


def roll_rate_table(ledger, as_of: str | pd.Timestamp, months: int = 12) -> pd.DataFrame:
    """Monthly roll rates (as fractions) for the ``months`` month-ends up to ``as_of``.

    Index: month-end; columns: the transitions in ROLL_LABELS; NaN where the
    starting bucket was empty.
    """
    t = to_days(pd.DatetimeIndex([pd.Timestamp(as_of)]))
    ends = month_ends_before(t, months + 1)
    grid = balance_grid(timeline_of(ledger), ends)
    num, den, _ = month_end_rolls(timeline_of(ledger), grid, ends)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    index = pd.DatetimeIndex(ends.astype("datetime64[D]"), name="month_end")
    return pd.DataFrame(rate, index=index, columns=list(ROLL_LABELS)).iloc[1:]
