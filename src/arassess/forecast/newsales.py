"""Receipts from invoices not yet issued (``forecast.include_new_sales: true`` in client.yaml).

At a date ``T`` the recent sales are the invoices (amount > 0) issued in the ``RUN_RATE_DAYS`` days
up to ``T``. The run-rate ``r`` is their amount per day; from each day after ``T`` on, ``r`` is
issued again with the same mix of customers and payment terms, and paid with the same timing as
the open invoices (:mod:`arassess.forecast.timing`, each customer's timing as known at ``T``):

- ``G(s) = Σ_j w_j · P_j(paid within s days of issue)``, ``w_j`` the share of recent invoice ``j``
  in the recent sales, its customer's timing taken at the age it has on its issue day
  (``−terms_j`` days past due);
- the receipts on day ``u`` after ``T`` are ``r · Σ_{t=1..u} g(u − t)`` with ``g(s) = G(s) − G(s − 1)``
  (a convolution of one issue per day with the payment delay).

Tested like the open-invoice forecast, point in time: at each backtest month-end, the run-rate and
timing known then against the cash that the invoices issued after that month-end actually brought
in its 13 weeks (WAPE per horizon; the 10th–90th percentile of actual / forecast is the band).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from arassess.forecast.timing import timing_at
from arassess.ledger.balances import MONEY_EPSILON, timeline_of
from arassess.ledger.model import Ledger

RUN_RATE_DAYS = 91  # the last 13 weeks of sales set the run-rate and the mix


@dataclass(frozen=True)
class RunRate:
    """The recent sales at a day: amount per day, and the mix (invoice rows, shares, terms)."""
    per_day: float
    rows: np.ndarray
    share: np.ndarray
    terms: np.ndarray

    @property
    def median_terms(self) -> float:
        """Payment terms in days, weighted median of the recent sales (NaN without sales)."""
        if not len(self.terms):
            return float("nan")
        order = np.argsort(self.terms)
        cum = np.cumsum(self.share[order])
        return float(self.terms[order][np.searchsorted(cum, 0.5)])


def run_rate(ledger: Ledger, day: int, days: int = RUN_RATE_DAYS) -> RunRate:
    """The invoices (amount > 0) issued in the ``days`` days up to ``day``: amount per day and mix."""
    tl = timeline_of(ledger)
    rows = np.flatnonzero((tl.amount > MONEY_EPSILON) & (tl.inv_day > day - days) & (tl.inv_day <= day))
    amount = tl.amount[rows]
    total = float(amount.sum())
    share = amount / total if total > 0 else np.zeros(len(rows))
    return RunRate(total / days, rows, share, (tl.due_day[rows] - tl.inv_day[rows]).astype(np.int64))


def delay_curve(ledger: Ledger, day: int, rate: RunRate, horizon: int) -> np.ndarray:
    """``G(s)`` for s = 0 … horizon: the share of a day's new sales paid within s days of issue."""
    if not len(rate.rows):
        return np.zeros(horizon + 1)
    tl = timeline_of(ledger)
    customer = tl.customer[rate.rows]
    customers, slot = np.unique(customer, return_inverse=True)
    timing = timing_at(ledger, day, customers)
    age = -rate.terms
    return np.array([float(rate.share @ timing.window(slot, age, -1, s)) for s in range(horizon + 1)])


def new_sales_days(ledger: Ledger, day: int, ends: np.ndarray) -> np.ndarray:
    """Expected receipts from invoices issued after ``day`` between consecutive offsets ``ends``
    (days after ``day``, the first window starting at 0), at the run-rate known at ``day``."""
    ends = np.asarray(ends, dtype=np.int64)
    if not len(ends):
        return np.zeros(0)
    horizon = int(ends[-1])
    rate = run_rate(ledger, day)
    if rate.per_day <= 0:
        return np.zeros(len(ends))
    g = np.diff(delay_curve(ledger, day, rate, horizon), prepend=0.0)
    issued = np.ones(horizon + 1)
    issued[0] = 0.0  # nothing is issued on day 0 (T itself is in the run-rate)
    daily = rate.per_day * np.convolve(issued, g)[:horizon + 1]
    cumulative = np.cumsum(daily)
    at_ends = cumulative[ends]
    return np.diff(at_ends, prepend=0.0)


def received_new(ledger: Ledger, events: tuple[np.ndarray, np.ndarray, np.ndarray], day: int,
                 weeks: int) -> np.ndarray:
    """Cash received in each of the ``weeks`` weeks after ``day`` from invoices issued after ``day``
    (in the same weeks)."""
    inv, when, cash = events
    issued = timeline_of(ledger).inv_day[inv]
    sel = (issued > day) & (issued <= day + 7 * weeks) & (when > day) & (when <= day + 7 * weeks)
    week = (when[sel] - day - 1) // 7
    return np.bincount(week, weights=cash[sel], minlength=weeks)[:weeks]


def summary(rate: RunRate, weeks: np.ndarray, accuracy: dict[str, float], band: dict[str, tuple[float, float]],
            used: bool, reason: str) -> dict[str, Any]:
    """What the new-sales part adds, JSON-ready (rounded money, None for NaN)."""
    def num(v: float) -> float | None:
        return None if v != v else round(float(v), 4)

    return {"included": used, "reason": reason, "per_week": round(rate.per_day * 7, 2),
            "terms_days": num(rate.median_terms), "total": round(float(np.sum(weeks)), 2) if used else 0.0,
            "wape": {h: num(v) for h, v in accuracy.items()},
            "band": {h: [num(lo), num(hi)] for h, (lo, hi) in band.items()}}


def tests_frame(dates: list[pd.Timestamp], actual: list[np.ndarray], predicted: list[np.ndarray]) -> pd.DataFrame:
    """Backtest rows (date, week, actual, new sales) in the shape of the open-invoice backtest."""
    weeks = len(actual[0]) if actual else 0
    if not dates:
        return pd.DataFrame(columns=["date", "week", "actual", "new sales"])
    return pd.concat([pd.DataFrame({"date": d, "week": np.arange(1, weeks + 1), "actual": a, "new sales": p})
                      for d, a, p in zip(dates, actual, predicted)], ignore_index=True)
