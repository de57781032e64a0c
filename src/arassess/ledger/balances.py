"""Balance events: every invoice's open balance as a sum of dated steps.

open(i, T) = amount − payments dated ≤ T − write-offs dated ≤ T for
invoice_date ≤ T, and 0 once paid_date ≤ T. That step function is stored as
events (day, delta, invoice):

- +amount on the invoice date;
- −payment on its date (never before the invoice date), if not after paid_date;
- −write-off on its date (its amount, or all that is open if none is given);
- −(whatever is still open) on paid_date, closing the invoice.

Payments and write-offs are clipped so a balance never goes below zero (a
recovery paid after a full write-off does not make AR negative). An invoice
without a paid date is settled on the payment that clears it.

So open(i, T) = Σ deltas of i dated ≤ T, and any balance-by-due-date question at
many dates is one pass over the events plus a small (dates × due days) table —
the cost barely grows with the number of dates (see :func:`balance_grid`).

An open-items export has one event per item (+open amount on the invoice
date) and is only meaningful at its ``as_of`` date.

Days are integers (days since 1970-01-01) throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arassess.ledger.keys import first_positions
from arassess.ledger.model import Ledger

NEVER = np.iinfo(np.int64).max // 4  # "not closed" / "not written off"
MONEY_EPSILON = 0.005  # half a cent: a balance this small is settled
DUE_PAST_LIMIT = 36_600  # days; aging edges and windows must stay below it


def to_days(values: pd.Series | pd.DatetimeIndex | pd.Timestamp) -> np.ndarray:
    """Dates to integer days since the epoch (NaT becomes NEVER)."""
    arr = np.asarray(pd.to_datetime(values), dtype="datetime64[D]")
    days = arr.astype(np.int64)
    return np.where(np.isnat(arr), NEVER, days)


def day_number(date: pd.Timestamp | str) -> int:
    """One date as an integer day since the epoch (the time of day ignored)."""
    return int(to_days(pd.DatetimeIndex([pd.Timestamp(date)]))[0])


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
    wo_inv: np.ndarray        # invoice position of each write-off event

    @property
    def ev_due(self) -> np.ndarray:
        return self.due_day[self.ev_inv]

    @property
    def settled_by_payment(self) -> np.ndarray:
        """Per invoice: closed (paid date or clearing payment), not a credit note, nothing
        written off — the invoices whose payment behaviour the settlement KPIs describe."""
        written_off = np.zeros(len(self.amount), dtype=bool)
        written_off[self.wo_inv] = True
        return (self.close_day < NEVER) & (self.amount > 0) & ~written_off


def timeline_of(ledger: "Ledger") -> Timeline:
    """The balance events of ``ledger``: built by :func:`build_timeline` on first use and kept
    with the ledger (a ledger never changes), so every KPI, section and model of one run shares them."""
    cached = ledger.__dict__.get("_timeline")
    if cached is None:
        cached = build_timeline(ledger)
        object.__setattr__(ledger, "_timeline", cached)  # Ledger is a frozen dataclass
    return cached


def build_timeline(ledger: "Ledger") -> Timeline:
    """Build the balance events of ``ledger`` (vectorized; no loop over invoices)."""
    inv = ledger.invoices
    n = len(inv)
    inv_day = to_days(inv["invoice_date"])
    due_day = to_days(inv["due_date"])
    amount = inv["amount"].to_numpy(dtype=float)
    if ledger.customer_codes is not None and len(ledger.customer_codes[0]) == n:
        codes, customer_ids = ledger.customer_codes  # hashed once at intake
    else:
        codes, customer_ids = pd.factorize(inv["customer_id"])
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0, dtype=float)

    if ledger.shape == "open_items":
        open_amount = amount
        if "open_amount" in inv:
            open_amount = inv["open_amount"].fillna(inv["amount"]).to_numpy(dtype=float)
        return Timeline(inv_day, due_day, amount, np.full(n, NEVER), codes, np.asarray(customer_ids),
                        inv_day, open_amount, np.arange(n, dtype=np.int64), empty_i, empty_f, empty_i)

    close_day = to_days(inv["paid_date"]) if "paid_date" in inv else np.full(n, NEVER)

    # reductions: payments (on or after the invoice date) and write-offs, while the invoice is open
    pay = ledger.payments
    if len(pay):
        pos = ledger.payment_invoice
        if pos is None or len(pos) != len(pay):
            pos = first_positions(pay["invoice_id"], inv["invoice_id"])
        keep = (pos >= 0) & (pos < n)
        p_inv = pos[keep].astype(np.int64)
        p_day = np.maximum(to_days(pay["payment_date"])[keep], inv_day[p_inv])
        p_amt = pay["amount"].to_numpy(dtype=float)[keep]
    else:
        p_inv, p_day, p_amt = empty_i, empty_i, empty_f
    if "written_off_date" in inv:
        w_all = to_days(inv["written_off_date"])
        w_inv = np.flatnonzero(w_all < NEVER)
        w_day = np.maximum(w_all[w_inv], inv_day[w_inv])
        asked = (inv["written_off_amount"].to_numpy(dtype=float)[w_inv] if "written_off_amount" in inv
                 else np.full(len(w_inv), np.nan))
        w_amt = np.where(np.isnan(asked), np.abs(amount[w_inv]), asked)  # no amount: whatever is open
    else:
        w_inv, w_day, w_amt = empty_i, empty_i, empty_f

    r_inv = np.concatenate([p_inv, w_inv])
    r_day = np.concatenate([p_day, w_day])
    r_amt = np.concatenate([p_amt, w_amt])
    r_is_wo = np.concatenate([np.zeros(len(p_inv), bool), np.ones(len(w_inv), bool)])
    live = r_day <= close_day[r_inv]  # a write-off booked on the paid date still counts
    r_inv, r_day, r_amt, r_is_wo = r_inv[live], r_day[live], r_amt[live], r_is_wo[live]
    order = np.lexsort((r_is_wo, r_day, r_inv))  # per invoice by date, payments before write-offs
    r_inv, r_day, r_amt, r_is_wo = r_inv[order], r_day[order], r_amt[order], r_is_wo[order]

    # clip so the open balance never crosses zero: balance after k reductions = max(0, |amount| − Σ_k)
    reduced = group_cumsum(r_inv, r_amt)
    size = np.abs(amount[r_inv])
    after = np.maximum(size - reduced, 0.0)
    after[after <= MONEY_EPSILON] = 0.0  # float residue of the running sums is not an open balance
    first = np.ones(len(r_inv), dtype=bool)
    first[1:] = r_inv[1:] != r_inv[:-1]
    before = np.where(first, size, np.roll(after, 1))
    r_delta = (after - before) * np.sign(amount[r_inv])

    # an invoice without paid date is settled on the payment that clears it
    cleared = ~r_is_wo & (after <= MONEY_EPSILON) & (before > MONEY_EPSILON) & (close_day[r_inv] == NEVER)
    close_day = close_day.copy()
    np.minimum.at(close_day, r_inv[cleared], r_day[cleared])

    # closing event on the paid date: minus whatever is still open then
    closed = np.flatnonzero(close_day < NEVER)
    still_open = amount + np.bincount(r_inv, weights=r_delta, minlength=n)
    wo = r_is_wo & (r_delta != 0)
    ev_day = np.concatenate([inv_day, r_day, close_day[closed]])
    ev_delta = np.concatenate([amount, r_delta, -still_open[closed]])
    ev_inv = np.concatenate([np.arange(n, dtype=np.int64), r_inv, closed])
    return Timeline(inv_day, due_day, amount, close_day, codes, np.asarray(customer_ids),
                    ev_day, ev_delta, ev_inv, r_day[wo], -r_delta[wo], r_inv[wo])


def cash_events(ledger: "Ledger") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(invoice row, day, cash) of every receipt on an invoice (amount > 0): the reductions of its
    open balance that are not write-offs (write-offs enter with a negative amount)."""
    tl = timeline_of(ledger)
    reduce = (tl.ev_delta < 0) & (tl.amount[tl.ev_inv] > 0)
    wo = tl.amount[tl.wo_inv] > 0
    return (np.concatenate([tl.ev_inv[reduce], tl.wo_inv[wo]]),
            np.concatenate([tl.ev_day[reduce], tl.wo_day[wo]]),
            np.concatenate([-tl.ev_delta[reduce], -tl.wo_amount[wo]]))


def settle_days(ledger: "Ledger") -> np.ndarray:
    """Per invoice, the first day its open balance is (about) zero after its events of that day;
    NEVER while it stays open. Computed once per ledger and kept with it, like the timeline (the
    risk model and the cash forecast both read it)."""
    cached = ledger.__dict__.get("_settle_days")
    if cached is not None:
        return cached
    tl = timeline_of(ledger)
    n = len(tl.amount)
    order = np.lexsort((tl.ev_day, tl.ev_inv))
    inv, day, delta = tl.ev_inv[order], tl.ev_day[order], tl.ev_delta[order]
    last_of_day = np.ones(len(inv), dtype=bool)  # the balance after the last event of each (invoice, day)
    last_of_day[:-1] = (inv[1:] != inv[:-1]) | (day[1:] != day[:-1])
    running = np.cumsum(delta)
    starts = np.searchsorted(inv, np.arange(n), side="left")
    base = np.concatenate([[0.0], running])[starts]  # running sum before each invoice's events
    balance = running - base[inv]
    zero = last_of_day & (np.abs(balance) <= MONEY_EPSILON)
    out = np.full(n, NEVER, dtype=np.int64)
    if zero.any():
        np.minimum.at(out, inv[zero], day[zero])
    out.setflags(write=False)
    object.__setattr__(ledger, "_settle_days", out)  # Ledger is a frozen dataclass
    return out


def group_cumsum(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` restarting at each new group (``groups`` sorted)."""
    if len(values) == 0:
        return values.astype(float)
    total = np.cumsum(values, dtype=float)
    starts = np.ones(len(groups), dtype=bool)
    starts[1:] = groups[1:] != groups[:-1]
    offset = np.where(starts, total - values, 0.0)
    return total - np.maximum.accumulate(np.where(starts, offset, -np.inf))


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
    # Due days outside what the dates can tell apart are clipped, so a sentinel such as
    # 9999-12-31 does not widen the table: after the last date every due day is "not yet
    # due"; more than DUE_PAST_LIMIT days before the first date every due day is in the
    # oldest bucket (aging edges are capped below that limit).
    due = np.clip(tl.due_day[tl.ev_inv[live]], dates[0] - DUE_PAST_LIMIT, dates[-1] + 1)
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
