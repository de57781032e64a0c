"""Features and outcomes of the late-payment risk model, computed as of a date: no look-ahead.

Every feature of an invoice describes its customer **as of a feature date g** (end of day g), from
events dated on or before g only; an event after g (a later invoice, payment, dispute or write-off)
never changes it. Two kinds of rows use it:

- **history rows** (training and validation): each invoice with g = its invoice date − 1 day, the
  last day before it existed, so the row sees what a credit controller knew when it was issued;
- **open rows** (scoring): each invoice open at the as-of date T, with g = T. The customer's *other*
  items are described (the invoice itself is left out of the balance, oldest-item, dispute and
  amount features, as it is, by construction, in its history row).

Features (one column each, all numbers)::

    hist_invoices          log(1 + n), n = the customer's invoices whose outcome was known by g
    hist_late_share        smoothed share of those n paid more than ``threshold`` days late:
                           (late + 2 × p) / (n + 2), p = the whole ledger's late share known by g
                           (the invoice itself left out; 0 while none is known)
                           (the naive baseline of arassess.risk.model)
    hist_mean_days_late    mean of max(0, paid − due) over the customer's invoices paid by g (0: none)
    days_late_trend        mean days late of those paid in (g − 90, g] − hist_mean_days_late (0: none)
    dispute_share          disputes raised by g / invoices issued by g (the customer's other invoices)
    amount_vs_usual        log(amount) − mean log(amount) of the customer's other invoices issued by g (0: none)
    terms_days             due date − invoice date
    tenure_days            g − the customer's first invoice date (0 for a first invoice)
    overdue_balance        log(1 + overdue balance of the other invoices at g)   (due date < g)
    overdue_share          overdue balance / open balance of the other invoices at g (0: none open)
    oldest_days_past_due   g − due date of the oldest other open overdue invoice (0: none)
    segment=<name>         1 for the customer's segment (one column per segment of the customers invoiced
                           by the last feature day and of the rows' own customers: a customer first
                           invoiced later adds no column)

Outcome of an invoice (history rows): **late** = not settled by payment within ``threshold`` days
after the due date (paid date > due + threshold, never paid, or written off). The paid date is the
day the invoice was settled by payment: its ``paid_date`` or, if earlier, the day its payments
cleared it (without a ``paid_date``, that payment day). It is *known* on day
``known_day`` = the paid date if paid within the threshold, else due + threshold + 1 (the day it
became late), or the first write-off day if earlier. Credit notes and non-positive amounts are
neither rows nor history (nor the first invoice of the tenure). Disputes are dated by
``dispute_date``; an invoice with only a ``disputed`` flag (no dispute_date column, or an empty
one) has its dispute dated at its outcome day (the flag is export-time knowledge, so it must not be
seen before the invoice's outcome).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arassess.kpi.open_items import customer_table
from arassess.ledger.balances import MONEY_EPSILON, NEVER, settle_days, timeline_of, to_days
from arassess.ledger.model import Ledger

TREND_DAYS = 90
PRIOR_WEIGHT = 2.0          # pseudo-invoices of the portfolio late share in hist_late_share
FAR = 10 ** 6               # a day number beyond any ledger date (stands in for "never")
NUMERIC_FEATURES = ("hist_invoices", "hist_late_share", "hist_mean_days_late", "days_late_trend",
                    "dispute_share", "amount_vs_usual", "terms_days", "tenure_days", "overdue_balance",
                    "overdue_share", "oldest_days_past_due")
SEGMENT_PREFIX = "segment="
BASELINE_FEATURE = "hist_late_share"


@dataclass(frozen=True)
class Outcomes:
    """Per invoice of ``ledger.invoices`` (same order): whether it is a row at all, its outcome
    and the day the outcome became known (FAR when not yet)."""

    eligible: np.ndarray     # positive amount, not a credit note
    late: np.ndarray         # bool
    known_day: np.ndarray    # int days since the epoch
    paid_day: np.ndarray     # settled by payment (FAR if not): for the days-late history
    days_late: np.ndarray    # max(0, paid − due) where paid
    settle_day: np.ndarray   # first day the open balance is zero (FAR while open)


def _credit_note(inv: pd.DataFrame) -> np.ndarray:
    flag = inv["is_credit_note"].fillna(False).to_numpy(dtype=bool) if "is_credit_note" in inv else False
    return np.asarray(flag | (inv["amount"].to_numpy(dtype=float) <= 0), dtype=bool)


def outcomes(ledger: Ledger, threshold_days: int) -> Outcomes:
    """The outcome of every invoice (rule in the module docstring), vectorized over the ledger."""
    tl = timeline_of(ledger)
    n = len(tl.amount)
    eligible = ~_credit_note(ledger.invoices)
    wo_day = np.full(n, FAR, dtype=np.int64)
    if len(tl.wo_inv):
        np.minimum.at(wo_day, tl.wo_inv, np.minimum(tl.wo_day, FAR))
    settle = np.minimum(settle_days(ledger), FAR)
    paid = tl.settled_by_payment
    # settled by payment on the first day nothing is open: payments can clear an invoice before a
    # later paid_date (a paid_date after the clearing payment must not make it late, nor hide the
    # outcome until then: a ledger cut before that paid_date already shows it settled)
    close = np.where(paid, settle, np.minimum(tl.close_day, FAR))
    written_off = wo_day < FAR
    limit = tl.due_day + threshold_days
    late = (close > limit) | written_off
    known = np.where(close <= limit, close, limit + 1)
    known = np.where(written_off, np.minimum(known, wo_day), known)
    paid_day = np.where(paid, close, FAR)
    days_late = np.where(paid, np.maximum(close - tl.due_day, 0), 0)
    return Outcomes(eligible, late, known.astype(np.int64), paid_day.astype(np.int64), days_late.astype(float),
                    settle)


@dataclass(frozen=True)
class AsOf:
    """Events sorted once by (customer, day) with the running sums of their values, so that
    Σ values over the events of customer c dated ≤ q is two binary searches per query."""

    key: np.ndarray    # customer × span + (day − lo), sorted
    cum: np.ndarray    # running sums of the values in key order, one leading row of zeros
    lo: int
    hi: int
    span: int

    @classmethod
    def build(cls, ev_cust: np.ndarray, ev_day: np.ndarray, values: np.ndarray) -> "AsOf":
        """Index ``values`` (one row per event, one column per sum); events dated FAR are left out.
        A stable sort: the running sums add the events in the same order every time (the features,
        and so the fitted models, are reproducible to the last bit)."""
        values = np.asarray(values, dtype=float)
        values = values[:, None] if values.ndim == 1 else values
        keep = ev_day < FAR
        ev_cust, ev_day, values = ev_cust[keep], ev_day[keep], values[keep]
        if not len(ev_cust):
            return cls(np.zeros(0, np.int64), np.zeros((1, values.shape[1])), 0, 0, 2)
        lo, hi = int(ev_day.min()) - 1, int(ev_day.max()) + 1
        span = hi - lo + 2
        key = ev_cust.astype(np.int64) * span + (ev_day - lo)
        order = np.argsort(key, kind="stable")
        cum = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values[order], axis=0)])
        return cls(key[order], cum, lo, hi, span)

    def query(self, q_cust: np.ndarray, q_day: np.ndarray) -> np.ndarray:
        """Σ values over the events of customer ``q_cust`` dated ≤ ``q_day``, per query (rows × sums)."""
        if not len(self.key):
            return np.zeros((len(q_cust), self.cum.shape[1]))
        base = np.asarray(q_cust, dtype=np.int64) * self.span
        upper = np.searchsorted(self.key, base + (np.clip(q_day, self.lo, self.hi) - self.lo), side="right")
        lower = np.searchsorted(self.key, base, side="left")
        return self.cum[upper] - self.cum[lower]


def _asof_sums(ev_cust: np.ndarray, ev_day: np.ndarray, values: np.ndarray,
               q_cust: np.ndarray, q_day: np.ndarray) -> np.ndarray:
    """Σ values over the events of customer q_cust dated ≤ q_day, for each query (one sort and two
    binary searches; :class:`AsOf`). ``values`` has one row per event, one column per sum."""
    return AsOf.build(ev_cust, ev_day, values).query(q_cust, q_day)


def _oldest_due_before(cust: np.ndarray, due: np.ndarray, settle: np.ndarray,
                       q_cust: np.ndarray, q_day: np.ndarray) -> np.ndarray:
    """The earliest due date among the customer's invoices overdue and open at q_day (due < q_day,
    issued ≤ q_day, settle > q_day); FAR when there is none.

    Invoices of a customer sorted by due date; the running maximum of the settle day is
    non-decreasing, so the first invoice still open at q (settle > q) is found by binary search on it.
    An invoice due before q was issued before q (due ≥ invoice date), so that needs no test."""
    if not len(cust):
        return np.full(len(q_cust), FAR, dtype=np.int64)
    big = 4 * FAR
    order = np.lexsort((due, cust))
    c, d, s = cust[order].astype(np.int64), due[order], np.minimum(settle[order], 2 * FAR)
    running = np.maximum.accumulate(c * big + s)
    first = np.searchsorted(running, q_cust.astype(np.int64) * big + q_day, side="right")
    inside = first < len(c)
    pos = np.minimum(first, len(c) - 1)
    ok = inside & (c[pos] == q_cust) & (d[pos] < q_day)
    return np.where(ok, d[pos], FAR)


@dataclass(frozen=True)
class FeatureFrame:
    """Feature rows: ``X`` (one column per feature), ``rows`` (invoice positions in ``ledger.invoices``)
    and ``feature_day`` (g of each row)."""

    X: pd.DataFrame
    rows: np.ndarray
    feature_day: np.ndarray


def segment_columns(ledger: Ledger, by_day: int | None = None) -> list[str]:
    """One feature column per segment (sorted names) of the customers invoiced on or before
    ``by_day`` (all customers when None): a customer first invoiced later adds no column."""
    table = customer_table(ledger)
    if by_day is not None:
        tl = timeline_of(ledger)
        seen = np.zeros(len(tl.customer_ids), dtype=bool)
        seen[tl.customer[tl.inv_day <= by_day]] = True
        table = table.loc[table.index.isin(tl.customer_ids[seen])]
    return [SEGMENT_PREFIX + s for s in sorted(map(str, table["segment"].unique()))]


@dataclass(frozen=True)
class FeatureIndex:
    """The event histories every feature row looks up, sorted once per ledger and threshold
    (:class:`AsOf` each): known outcomes per customer and over the ledger, paid invoices' days late,
    invoices issued (with log amounts), disputes, open and overdue balances. :func:`features` builds
    it when not given; the risk model passes one for both calls."""

    out: Outcomes
    hist: AsOf
    whole: AsOf
    paid: AsOf
    issued: AsOf
    disputes: AsOf
    open_bal: AsOf
    overdue_bal: AsOf
    dispute_day: np.ndarray
    log_amount: np.ndarray


def feature_index(ledger: Ledger, threshold_days: int, out: Outcomes | None = None) -> FeatureIndex:
    """:class:`FeatureIndex` of ``ledger`` (see there)."""
    tl = timeline_of(ledger)
    out = out if out is not None else outcomes(ledger, threshold_days)
    e = out.eligible
    cust_e = tl.customer[e]
    known = np.where(e, out.known_day, FAR)[e]
    late = out.late[e].astype(float)
    counts = np.column_stack([np.ones(len(known)), late])
    log_amount = np.log(np.maximum(tl.amount, 1e-9))
    inv_day = np.where(e, tl.inv_day, FAR)[e]
    dispute_day = _dispute_day(ledger, out)
    ev_e = e[tl.ev_inv]
    ev_c = tl.customer[tl.ev_inv][ev_e]
    ev_day = tl.ev_day[ev_e]
    ev_due = tl.due_day[tl.ev_inv][ev_e]
    delta = tl.ev_delta[ev_e]
    return FeatureIndex(
        out=out,
        hist=AsOf.build(cust_e, known, counts),
        whole=AsOf.build(np.zeros(len(known), dtype=np.int64), known, counts),
        paid=AsOf.build(cust_e, out.paid_day[e], np.column_stack([np.ones(int(e.sum())), out.days_late[e]])),
        issued=AsOf.build(cust_e, inv_day, np.column_stack([np.ones(len(inv_day)), log_amount[e]])),
        disputes=AsOf.build(cust_e, dispute_day[e], np.ones(int(e.sum()))),
        open_bal=AsOf.build(ev_c, ev_day, delta),
        overdue_bal=AsOf.build(ev_c, np.maximum(ev_day, ev_due + 1), delta),
        dispute_day=dispute_day, log_amount=log_amount)


def features(ledger: Ledger, rows: np.ndarray, feature_day: np.ndarray, threshold_days: int,
             out: Outcomes | None = None, index: FeatureIndex | None = None) -> FeatureFrame:
    """The feature table (module docstring) of invoices ``rows`` (positions in ``ledger.invoices``),
    each as of its ``feature_day`` (days since the epoch). The invoice itself is never part of its
    customer's history, balances or "other invoices". ``index``: the ledger's
    :class:`FeatureIndex`, when the caller has built it already."""
    tl = timeline_of(ledger)
    ix = index if index is not None else feature_index(ledger, threshold_days, out)
    out = ix.out
    rows = np.asarray(rows, dtype=np.int64)
    g = np.asarray(feature_day, dtype=np.int64)
    q_cust = tl.customer[rows]
    everyone = np.zeros(len(rows), dtype=np.int64)
    e = out.eligible

    # outcome history: known outcomes and late ones, per customer and over the whole ledger
    hist = ix.hist.query(q_cust, g)
    whole = ix.whole.query(everyone, g)
    self_known = (out.known_day[rows] <= g)
    hist -= np.column_stack([self_known, self_known * out.late[rows]]).astype(float)
    whole -= np.column_stack([self_known, self_known * out.late[rows]]).astype(float)
    prior = np.where(whole[:, 0] > 0, whole[:, 1] / np.maximum(whole[:, 0], 1), 0.0)
    late_share = (hist[:, 1] + PRIOR_WEIGHT * prior) / (hist[:, 0] + PRIOR_WEIGHT)

    # days late of paid invoices: all and the last TREND_DAYS
    paid_all = ix.paid.query(q_cust, g)
    paid_old = ix.paid.query(q_cust, g - TREND_DAYS)
    self_paid = (out.paid_day[rows] <= g)
    self_vals = np.column_stack([self_paid, self_paid * out.days_late[rows]]).astype(float)
    paid_all -= self_vals
    paid_old -= self_vals * (out.paid_day[rows] <= g - TREND_DAYS)[:, None]
    mean_late = np.divide(paid_all[:, 1], paid_all[:, 0], out=np.zeros(len(rows)), where=paid_all[:, 0] > 0)
    recent = paid_all - paid_old
    recent_late = np.divide(recent[:, 1], recent[:, 0], out=np.zeros(len(rows)), where=recent[:, 0] > 0)
    trend = np.where(recent[:, 0] > 0, recent_late - mean_late, 0.0)

    # invoices issued, their log amounts and disputes (other invoices of the customer)
    log_amount = ix.log_amount
    issued = ix.issued.query(q_cust, g)
    self_issued = (tl.inv_day[rows] <= g)
    issued -= np.column_stack([self_issued, self_issued * log_amount[rows]]).astype(float)
    usual = np.divide(issued[:, 1], issued[:, 0], out=log_amount[rows].copy(), where=issued[:, 0] > 0)
    disputes = ix.disputes.query(q_cust, g)[:, 0]
    disputes -= (ix.dispute_day[rows] <= g)
    dispute_share = np.divide(disputes, issued[:, 0], out=np.zeros(len(rows)), where=issued[:, 0] > 0)
    first_day = _asof_first_invoice(tl.customer[e], tl.inv_day[e], q_cust, len(tl.customer_ids))

    # balances of the other invoices at g: open (events ≤ g) and overdue (events counted from due + 1)
    open_bal = ix.open_bal.query(q_cust, g)[:, 0]
    overdue_bal = ix.overdue_bal.query(q_cust, g)[:, 0]
    own = _own_balance(ledger, rows, g)
    open_bal -= own
    overdue_bal -= np.where(tl.due_day[rows] < g, own, 0.0)
    open_bal, overdue_bal = np.maximum(open_bal, 0.0), np.maximum(overdue_bal, 0.0)
    overdue_share = np.divide(overdue_bal, open_bal, out=np.zeros(len(rows)), where=open_bal > MONEY_EPSILON)
    oldest = _oldest_other(tl.customer[e], tl.due_day[e], out.settle_day[e], np.flatnonzero(e), rows, q_cust, g)

    X = pd.DataFrame({
        "hist_invoices": np.log1p(np.maximum(hist[:, 0], 0)),
        "hist_late_share": late_share,
        "hist_mean_days_late": mean_late,
        "days_late_trend": trend,
        "dispute_share": np.clip(dispute_share, 0, 1),
        "amount_vs_usual": log_amount[rows] - usual,
        "terms_days": (tl.due_day[rows] - tl.inv_day[rows]).astype(float),
        "tenure_days": np.maximum(g - first_day, 0).astype(float),
        "overdue_balance": np.log1p(overdue_bal),
        "overdue_share": np.clip(overdue_share, 0, 1),
        "oldest_days_past_due": np.where(oldest < FAR, g - oldest, 0).astype(float),
    })
    segments = customer_table(ledger)["segment"].astype(str)
    row_segment = pd.Series(tl.customer_ids[q_cust], dtype=object).map(segments).to_numpy()
    seen = set(segment_columns(ledger, int(g.max(initial=0)))) | {SEGMENT_PREFIX + s for s in row_segment}
    for column in sorted(seen):
        X[column] = (row_segment == column[len(SEGMENT_PREFIX):]).astype(float)
    return FeatureFrame(X, rows, g)


def _dispute_day(ledger: Ledger, out: Outcomes) -> np.ndarray:
    inv = ledger.invoices
    n = len(inv)
    dated = to_days(inv["dispute_date"]) if "dispute_date" in inv else np.full(n, NEVER)
    flagged = inv["disputed"].fillna(False).to_numpy(dtype=bool) if "disputed" in inv else np.zeros(n, dtype=bool)
    day = np.where(dated < NEVER, dated, np.where(flagged, out.known_day, FAR))
    return np.minimum(day, FAR).astype(np.int64)


def _asof_first_invoice(customer: np.ndarray, inv_day: np.ndarray, q_cust: np.ndarray,
                        n_customers: int) -> np.ndarray:
    """Each queried customer's first invoice date among ``inv_day`` (the eligible invoices: tenure
    starts there; FAR for none). The first date is the first as of g whenever it is ≤ g, and tenure
    is 0 otherwise (max(g − first, 0)), so later invoices never change it."""
    first = np.full(n_customers, FAR, dtype=np.int64)
    np.minimum.at(first, customer, inv_day)
    return first[q_cust]


def _own_balance(ledger: Ledger, rows: np.ndarray, g: np.ndarray) -> np.ndarray:
    """open(i, g) of each row's own invoice (events of that invoice dated ≤ g; only the rows' events
    are indexed)."""
    tl = timeline_of(ledger)
    member = np.zeros(len(tl.amount), dtype=bool)
    member[rows] = True
    pick = member[tl.ev_inv]
    return _asof_sums(tl.ev_inv[pick], tl.ev_day[pick], tl.ev_delta[pick], rows, g)[:, 0]


def _oldest_other(cust: np.ndarray, due: np.ndarray, settle: np.ndarray, positions: np.ndarray,
                  rows: np.ndarray, q_cust: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Earliest due date of the customer's *other* open overdue invoices at g (FAR: none).

    A history row's own invoice is not yet issued at g, so the plain search answers. A row whose own
    invoice is open and overdue at g (open rows at T) takes, at that date, the earliest due date of
    the customer's open overdue invoices other than its own: the first or the second of them in
    (due date, position) order. One pass per distinct such date (in practice the one as-of date)."""
    oldest = _oldest_due_before(cust, due, settle, q_cust, g)
    where = np.full(int(max(positions.max(initial=-1), rows.max(initial=-1))) + 1, -1, dtype=np.int64)
    where[positions] = np.arange(len(positions))
    k = where[rows]
    own_open = (k >= 0) & (due[np.maximum(k, 0)] < g) & (settle[np.maximum(k, 0)] > g)
    for day in np.unique(g[own_open]):
        live = np.flatnonzero((due < day) & (settle > day))
        order = live[np.lexsort((positions[live], due[live], cust[live]))]
        c = cust[order]
        head = np.ones(len(order), dtype=bool)
        head[1:] = c[1:] != c[:-1]
        heads = np.flatnonzero(head)
        nxt = np.minimum(heads + 1, max(len(order) - 1, 0))
        has_second = (heads + 1 < len(order)) & (c[nxt] == c[heads])
        first_by_cust = pd.Series(order[heads], index=c[heads])
        second_by_cust = pd.Series(np.where(has_second, order[nxt], -1), index=c[heads])
        sel = np.flatnonzero(own_open & (g == day))
        f = first_by_cust.reindex(q_cust[sel]).fillna(-1).to_numpy(dtype=np.int64)
        s2 = second_by_cust.reindex(q_cust[sel]).fillna(-1).to_numpy(dtype=np.int64)
        is_own = f == k[sel]
        alt = np.where(s2 >= 0, due[np.maximum(s2, 0)], FAR)
        oldest[sel] = np.where(is_own, alt, oldest[sel])
    return oldest
