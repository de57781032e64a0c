"""When an open invoice gets paid: each customer's payment-timing distribution as known at a date.

The timing of an invoice is ``d`` = days from its due date to the day it was settled by payment
(negative: paid early). At a cut-off day ``m`` only what had happened by ``m`` counts, invoice by
invoice (the ledger's balance events, :mod:`arassess.ledger.balances`):

- settled by payment on day ``s ≤ m``: an event "paid" at ``d = s − due``;
- written off on day ``w ≤ m``: an event "never paid" at ``d = w − due`` (a competing outcome);
- still open at ``m``: censored at ``d = m − due`` (it was not paid through that age, nothing more
  is known).

Per customer the distribution is the Aalen–Johansen estimate for these two competing outcomes
over day bins ``D_MIN … D_MAX``: with ``R(d)`` the invoices still open at age ``d`` and ``P(d)``,
``W(d)`` those paid / written off at ``d``, the survival is ``S(d) = Π_{t ≤ d} (1 − (P(t) + W(t)) / R(t))``
and the chance of being paid at age ``d`` is ``f(d) = S(d − 1) · P(d) / R(d)``. Payments before
``D_MIN`` count at ``D_MIN``; later than ``D_MAX`` count as never paid (as do write-offs, and
what is still open when the history ends).

A customer with little history borrows from its segment, and a segment from the whole portfolio:
its counts get ``PRIOR_INVOICES`` pseudo-invoices distributed as the segment's (the segment's as
the portfolio's) — empirical-Bayes shrinkage by invoice count, so a customer with 2 paid invoices
looks mostly like its segment and one with 200 like itself.

Conditioned on its age: an invoice ``a`` days past its due date and still open is paid in the
age window ``(a, b]`` with probability ``(F(b) − F(a)) / S(a)``, ``F`` the cumulative of ``f``:
an invoice already 40 days late is not paid on its due date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arassess.kpi.open_items import customer_table
from arassess.ledger.balances import MONEY_EPSILON, NEVER, Timeline, day_number, settle_days, timeline_of
from arassess.ledger.model import Ledger

D_MIN = -60          # days before the due date: earlier payments count here
D_MAX = 365          # days after the due date: later payments count as never paid
BINS = D_MAX - D_MIN + 1
PRIOR_INVOICES = 10  # pseudo-invoices a customer borrows from its segment (a segment from the portfolio)


@dataclass(frozen=True)
class Timing:
    """Cumulative payment probability by age for a set of customers, as known at a cut-off.

    ``paid[c, j]`` = F at the age of column j, ``open[c, j]`` = S at that age; column 0 stands for
    "before D_MIN" (F = 0, S = 1), column j ≥ 1 for age ``D_MIN + j − 1``."""

    customers: np.ndarray   # customer codes (of the ledger's timeline), one row each
    paid: np.ndarray        # (customers, BINS + 1)
    open: np.ndarray        # (customers, BINS + 1)
    history: np.ndarray     # invoices with a known outcome or still open, per customer (before shrinkage)

    def column(self, age: np.ndarray) -> np.ndarray:
        """The column of an age in days past due (clipped to the table)."""
        return np.clip(np.asarray(age, dtype=np.int64) - D_MIN + 1, 0, BINS)

    def window(self, rows: np.ndarray, age: np.ndarray, start: np.ndarray | int,
               end: np.ndarray | int) -> np.ndarray:
        """P(paid between ``start`` and ``end`` days from now | open now at ``age``) for invoices of
        customer rows ``rows`` (``start`` exclusive, ``end`` inclusive)."""
        now = self.column(age)
        survive = self.open[rows, now]
        lo = self.paid[rows, self.column(age + start)]
        hi = self.paid[rows, self.column(age + end)]
        with np.errstate(divide="ignore", invalid="ignore"):
            p = (hi - lo) / survive
        return np.where(survive > 1e-12, np.clip(p, 0.0, 1.0), 0.0)


def _age_bin(days: np.ndarray) -> np.ndarray:
    """Bin of an age in days past due: 0 for ≤ D_MIN … BINS − 1 for D_MAX, BINS for later."""
    return np.clip(days - D_MIN, 0, BINS)


def outcomes_at(tl: Timeline, settle_day: np.ndarray, cutoff: int,
                eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per invoice issued by ``cutoff`` (and ``eligible``): (invoice rows, outcome bin, kind) with
    kind 0 = paid, 1 = never paid (written off, or paid later than D_MAX), 2 = still open (censored)."""
    n = len(tl.amount)
    wo_day = np.full(n, NEVER, dtype=np.int64)
    if len(tl.wo_inv):
        np.minimum.at(wo_day, tl.wo_inv, tl.wo_day)
    rows = np.flatnonzero(eligible & (tl.inv_day <= cutoff))
    due = tl.due_day[rows]
    paid = tl.settled_by_payment[rows] & (settle_day[rows] <= cutoff)
    written_off = ~paid & (wo_day[rows] <= cutoff)
    day = np.where(paid, settle_day[rows], np.where(written_off, wo_day[rows], cutoff))
    kind = np.where(paid, 0, np.where(written_off, 1, 2))
    where = _age_bin(day - due)
    late_payment = (kind == 0) & (where >= BINS)
    kind = np.where(late_payment, 1, kind)
    return rows, np.minimum(where, BINS - 1), kind


def _curves(paid: np.ndarray, events: np.ndarray, ended: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, S), each with the leading "before D_MIN" column, from counts per bin (rows × BINS): the
    invoices paid, the invoices whose outcome came (paid or never), and all that left the risk set
    there (outcome or censored)."""
    at_risk = np.cumsum(ended[:, ::-1], axis=1)[:, ::-1]
    np.maximum(at_risk, 1e-9, out=at_risk)  # no invoice at risk: no event either, the ratio is 0
    rows = len(paid)
    survive = np.ones((rows, BINS + 1), dtype=paid.dtype)
    np.cumprod(1.0 - events / at_risk, axis=1, out=survive[:, 1:])
    cumulative = np.zeros((rows, BINS + 1), dtype=paid.dtype)
    np.cumsum(survive[:, :-1] * (paid / at_risk), axis=1, out=cumulative[:, 1:])
    return cumulative, survive


def segment_codes(ledger: Ledger) -> tuple[np.ndarray, int]:
    """(segment code of each customer code of the timeline, number of segments), kept with the ledger."""
    cached = ledger.__dict__.get("_segment_codes")
    if cached is None:
        tl = timeline_of(ledger)
        segments = customer_table(ledger)["segment"].astype(str)
        named = pd.Series(tl.customer_ids, dtype=object).map(segments).fillna("Unknown").to_numpy()
        codes, names = pd.factorize(named)
        cached = (codes, len(names))
        object.__setattr__(ledger, "_segment_codes", cached)  # Ledger is a frozen dataclass
    return cached


def _counts(group: np.ndarray, size: int, where: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Counts per (group, kind, bin): an array (size, 3, BINS) of paid / never / censored."""
    flat = (group * 3 + kind) * BINS + where
    return np.bincount(flat, minlength=size * 3 * BINS).reshape(size, 3, BINS).astype(np.float32)


def _shares(counts: np.ndarray) -> np.ndarray:
    """Each row's counts (n, 3, BINS) as shares of its total (a row without invoices stays 0)."""
    return counts / np.maximum(counts.sum(axis=(1, 2), keepdims=True), 1e-9)


def timing_at(ledger: Ledger, cutoff: pd.Timestamp | int, customers: np.ndarray) -> Timing:
    """The payment timing of ``customers`` (codes of the ledger's timeline) as known at ``cutoff``
    (rule in the module docstring); every customer gets a row, one without history takes its
    segment's (or the portfolio's) timing."""
    tl = timeline_of(ledger)
    m = int(cutoff) if isinstance(cutoff, (int, np.integer)) else day_number(cutoff)
    rows, where, kind = outcomes_at(tl, settle_days(ledger), m, tl.amount > MONEY_EPSILON)
    seg_of, n_seg = segment_codes(ledger)
    cust = tl.customer[rows]
    wanted = np.asarray(customers, dtype=np.int64)
    slot = np.full(len(tl.customer_ids), -1, dtype=np.int64)
    slot[wanted] = np.arange(len(wanted))
    own = slot[cust]
    keep = own >= 0

    portfolio = _counts(np.zeros(len(rows), dtype=np.int64), 1, where, kind)
    segment = _counts(seg_of[cust], n_seg, where, kind) + PRIOR_INVOICES * _shares(portfolio)
    mine = _counts(own[keep], len(wanted), where[keep], kind[keep])
    mine += PRIOR_INVOICES * _shares(segment)[seg_of[wanted]]
    paid, never, censored = mine[:, 0], mine[:, 1], mine[:, 2]
    cumulative, survive = _curves(paid, paid + never, paid + never + censored)
    history = np.bincount(own[keep], minlength=len(wanted))
    return Timing(wanted, cumulative, survive, history)
