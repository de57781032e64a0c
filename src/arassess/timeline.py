"""Balance events: every invoice's open balance as a sum of dated steps.

open(i, T) = amount − payments dated ≤ T − write-offs dated ≤ T for
invoice_date ≤ T, and 0 once paid_date ≤ T. That step function is stored as
events (day, delta, invoice):

- +amount on the invoice date;
- −payment on its date (never before the invoice date), if before paid_date;
- −write-off on its date, clipped to what is still open then;
- −(whatever is still open) on paid_date, closing the invoice.

So open(i, T) = Σ deltas of i dated ≤ T, and any balance-by-due-date question at
many dates is one pass over the events plus a small (dates × due days) table —
the cost barely grows with the number of dates (see :func:`balance_grid`).

An open-items export has one event per item (+open amount on the invoice
date) and is only meaningful at its ``as_of`` date.

Days are integers (days since 1970-01-01) throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from arassess.ledger import Ledger

NEVER = np.iinfo(np.int64).max // 4  # "not closed" / "not written off"


def to_days(values: pd.Series | pd.DatetimeIndex | pd.Timestamp) -> np.ndarray:
    """Dates to integer days since the epoch (NaT becomes NEVER)."""
    arr = np.asarray(pd.to_datetime(values), dtype="datetime64[D]")
    days = arr.astype(np.int64)
    return np.where(np.isnat(arr), NEVER, days)


def day_to_timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


@dataclass(frozen=True)
class Timeline:
    """Per-invoice arrays and the balance events of a ledger (all numpy)."""

    inv_day: np.ndarray       # invoice date
    due_day: np.ndarray       # due date
    amount: np.ndarray        # invoice amount (reporting currency)
    close_day: np.ndarray     # paid date, NEVER if not fully paid
    customer: np.ndarray      # customer code (index into customer_ids)
    customer_ids: np.ndarray  # customer id per code
    ev_day: np.ndarray        # event day (events in no particular order)
    ev_delta: np.ndarray      # change of the invoice's open balance
    ev_inv: np.ndarray        # invoice position of the event
    wo_day: np.ndarray        # day of each write-off event
    wo_amount: np.ndarray     # amount actually written off (clipped to the open balance)

    @property
    def ev_due(self) -> np.ndarray:
        return self.due_day[self.ev_inv]


def build_timeline(ledger: "Ledger") -> Timeline:
    """Build the balance events of ``ledger`` (vectorized; no loop over invoices)."""
    inv = ledger.invoices
    n = len(inv)
    inv_day = to_days(inv["invoice_date"])
    due_day = to_days(inv["due_date"])
    amount = inv["amount"].to_numpy(dtype=float)
    codes, customer_ids = pd.factorize(inv["customer_id"])
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0, dtype=float)

    if ledger.shape == "open_items":
        open_amount = amount
        if "open_amount" in inv:
            open_amount = inv["open_amount"].fillna(inv["amount"]).to_numpy(dtype=float)
        return Timeline(inv_day, due_day, amount, np.full(n, NEVER), codes, np.asarray(customer_ids),
                        inv_day, open_amount, np.arange(n, dtype=np.int64), empty_i, empty_f)

    close_day = to_days(inv["paid_date"]) if "paid_date" in inv else np.full(n, NEVER)

    # payments: position of their invoice, on or after its date, only while it is open
    pay = ledger.payments
    if len(pay):
        # invoice ids are unique and come first, so their codes are their positions
        ids = np.concatenate([inv["invoice_id"].to_numpy(dtype=object), pay["invoice_id"].to_numpy(dtype=object)])
        pos = pd.factorize(ids)[0][n:]
        keep = pos < n
        p_inv = pos[keep].astype(np.int64)
        p_day = np.maximum(to_days(pay["payment_date"])[keep], inv_day[p_inv])
        p_amt = pay["amount"].to_numpy(dtype=float)[keep]
        live = p_day < close_day[p_inv]
        p_inv, p_day, p_amt = p_inv[live], p_day[live], p_amt[live]
    else:
        p_inv, p_day, p_amt = empty_i, empty_i, empty_f

    # write-offs: clipped to the balance open on their date
    if "written_off_date" in inv:
        w_day_all = np.maximum(to_days(inv["written_off_date"]), inv_day)
        has = (w_day_all < NEVER) & (w_day_all < close_day)
        w_inv = np.flatnonzero(has)
        w_day = w_day_all[w_inv]
        before = p_day <= w_day_all[p_inv]
        paid_before = np.bincount(p_inv[before], weights=p_amt[before], minlength=n)[w_inv]
        still_open = np.maximum(amount[w_inv] - paid_before, 0.0)
        if "written_off_amount" in inv:
            asked = inv["written_off_amount"].to_numpy(dtype=float)[w_inv]
            w_amt = np.where(np.isnan(asked), still_open, np.minimum(asked, still_open))
        else:
            w_amt = still_open
    else:
        w_inv, w_day, w_amt = empty_i, empty_i, empty_f

    # closing event: minus the balance still open on the paid date
    closed = np.flatnonzero(close_day < NEVER)
    paid = np.bincount(p_inv, weights=p_amt, minlength=n)
    written = np.bincount(w_inv, weights=w_amt, minlength=n)
    c_delta = -(amount - paid - written)[closed]

    ev_day = np.concatenate([inv_day, p_day, w_day, close_day[closed]])
    ev_delta = np.concatenate([amount, -p_amt, -w_amt, c_delta])
    ev_inv = np.concatenate([np.arange(n, dtype=np.int64), p_inv, w_inv, closed])
    return Timeline(inv_day, due_day, amount, close_day, codes, np.asarray(customer_ids),
                    ev_day, ev_delta, ev_inv, w_day, w_amt)


@dataclass(frozen=True)
class BalanceGrid:
    """Open balance at each date, cumulated over due days.

    ``cum[j, k]`` = Σ open(i, dates[j]) over invoices with due_day ≤ due0 + k.
    """

    dates: np.ndarray
    due0: int
    cum: np.ndarray

    def total(self) -> np.ndarray:
        """AR(T) at every date."""
        return self.cum[:, -1] if self.cum.shape[1] else np.zeros(len(self.dates))

    def due_between(self, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Σ open balance with first ≤ due_day ≤ last, per date (day arrays, one per date)."""
        width = self.cum.shape[1]
        if width == 0:
            return np.zeros(len(self.dates))
        rows = np.arange(len(self.dates))
        hi = np.clip(np.asarray(last) - self.due0, -1, width - 1)
        lo = np.clip(np.asarray(first) - self.due0 - 1, -1, width - 1)
        upper = np.where(hi >= 0, self.cum[rows, np.maximum(hi, 0)], 0.0)
        lower = np.where(lo >= 0, self.cum[rows, np.maximum(lo, 0)], 0.0)
        return np.where(hi >= lo, upper - lower, 0.0)

    def past_due_between(self, lo_days: float, hi_days: float) -> np.ndarray:
        """Σ open balance with lo ≤ days past due (T − due) ≤ hi, per date."""
        big = np.iinfo(np.int32).max
        first = self.dates - (big if np.isinf(hi_days) else int(hi_days))
        last = self.dates - (-big if np.isinf(lo_days) else int(lo_days))
        return self.due_between(first, last)


def balance_grid(tl: Timeline, dates: np.ndarray) -> BalanceGrid:
    """Open balances at every date in ``dates`` (sorted days) by due day.

    One pass over the events: each event counts from the first date on or after
    its day; a (dates × due days) table of deltas is cumulated over dates (giving
    balances by due day) and then over due days.
    """
    dates = np.asarray(dates, dtype=np.int64)
    m = len(dates)
    if len(tl.ev_day) == 0 or m == 0:
        return BalanceGrid(dates, 0, np.zeros((m, 0)))
    start = np.searchsorted(dates, tl.ev_day, side="left")
    live = start < m
    due = tl.due_day[tl.ev_inv[live]]
    due0 = int(due.min()) if len(due) else 0
    width = int(due.max()) - due0 + 1 if len(due) else 0
    key = start[live] * width + (due - due0)
    table = np.bincount(key, weights=tl.ev_delta[live], minlength=m * width).reshape(m, width)
    np.cumsum(table, axis=0, out=table)
    np.cumsum(table, axis=1, out=table)
    return BalanceGrid(dates, due0, table)


def overdue_by_customer(tl: Timeline, dates: np.ndarray) -> np.ndarray:
    """Overdue balance (due before T) of each customer at each date: array (customers × dates).

    An event counts at date j when it has happened (day ≤ T_j) and its invoice
    is past due (due < T_j): from index max(first date ≥ day, first date > due).
    """
    dates = np.asarray(dates, dtype=np.int64)
    m, c = len(dates), len(tl.customer_ids)
    start = np.maximum(np.searchsorted(dates, tl.ev_day, side="left"),
                       np.searchsorted(dates, tl.ev_due, side="right"))
    live = start < m
    key = tl.customer[tl.ev_inv[live]] * m + start[live]
    table = np.bincount(key, weights=tl.ev_delta[live], minlength=c * m).reshape(c, m)
    return np.cumsum(table, axis=1)


def open_by_invoice(tl: Timeline, day: int) -> np.ndarray:
    """open(i, T) of every invoice at one day T."""
    happened = tl.ev_day <= day
    return np.bincount(tl.ev_inv[happened], weights=tl.ev_delta[happened], minlength=len(tl.inv_day))
