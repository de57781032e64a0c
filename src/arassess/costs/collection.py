"""The client's observed in-house collection curve: of the amount that reached age a unpaid,
the share the client eventually collected, wrote off, or still has open.

Age is days past due (T − due date). An invoice's open balance is followed along the age axis
from its due date (age 0) until it is settled, written off, or the assessment date T is reached
(then it is **censored**: still-open claims are not counted as losses). The estimate is the
Aalen–Johansen estimator of the cumulative incidence of two competing outcomes, collected and
written off, on amounts (each currency unit of open balance is one subject):

- at risk: Y(u) = Σ open balance at the end of age u − 1 over invoices followed up to age u
  (T − due ≥ u); dC(u), dW(u) = amount collected / written off at age u;
- hazards h_C(u) = dC(u) / Y(u), h_W(u) = dW(u) / Y(u); unresolved S(u) = Π_{v ≤ u} (1 − h_C − h_W);
- from age a, up to the horizon H: collected C(a) = Σ_{a < u ≤ H} S(u − 1) h_C(u) / S(a), written
  off W(a) likewise, still open O(a) = S(H) / S(a); C + W + O = 1;
- time to cash from a: the collected amount's mean of (u − a).

Without censoring this is exactly "collected after a / open at a" on the invoices that reached a
(a test checks it against that brute-force count). The same estimator on counts (an invoice
leaves when its balance reaches zero) gives how many claims reach each age.

The interval is a bootstrap by customer (customers resampled with replacement, the whole
estimate repeated), since one customer's invoices are not independent. Ages with few claims at
risk are blended towards the survey curve with the credibility weight
Z = min(1, √(claims / FULL_CLAIMS), √(customers / FULL_CUSTOMERS)) and say so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from arassess.ledger.balances import MONEY_EPSILON, NEVER, Timeline, day_number, group_cumsum, timeline_of
from arassess.ledger.model import Ledger

#: Ages (days past due) at which the curve is reported.
REPORT_AGES: tuple[int, ...] = (0, 15, 30, 45, 60, 90, 120, 180, 270, 365, 540, 730)
#: The last age followed: what is still open two years past due counts as "still open".
HORIZON_DAYS = 730
#: Bootstrap replicates of the interval (resampling customers) and its coverage.
BOOTSTRAP = 200
INTERVAL = 0.95
#: Full credibility: this many claims and customers at risk at an age give the observed share
#: weight 1; fewer blend towards the survey curve by Z = min(1, √(n / full), √(customers / full)).
FULL_CLAIMS = 50
FULL_CUSTOMERS = 10
SEED = 0
_MONTH = 365.25 / 12


@dataclass(frozen=True)
class AgeProcess:
    """Per-age sums of the amount and count processes (index = age 0..H), and per-invoice facts.

    ``amount_at_risk[u]`` = Y(u), ``collected[u]`` = dC(u), ``written_off[u]`` = dW(u);
    ``count_at_risk[u]``, ``resolved[u]`` the same on invoice counts. Index 0 holds the balance
    open at the end of the due date (the start of the process), which is not an event.
    """

    horizon: int
    amount_at_risk: np.ndarray
    collected: np.ndarray
    written_off: np.ndarray
    count_at_risk: np.ndarray
    resolved: np.ndarray
    start_amount: float           # Σ open at age 0 over invoices followed from their due date
    start_count: int
    # per invoice in the process (overdue at age 0): customer code, due day, censoring age,
    # resolution age (first age > 0 with nothing open; horizon + 1 when never within the follow-up)
    customer: np.ndarray
    due_day: np.ndarray
    censor_age: np.ndarray
    resolve_age: np.ndarray
    open_at_start: np.ndarray
    # sparse per-customer contributions, for the bootstrap: rows = customers, columns = ages 0..H+1
    by_customer: tuple[sparse.csr_matrix, sparse.csr_matrix, sparse.csr_matrix] | None = None
    customer_ids: np.ndarray | None = None  # customer id per code (resampled in id order)


def age_process(tl: Timeline, as_of: pd.Timestamp | str, horizon: int = HORIZON_DAYS,
                by_customer: bool = True) -> AgeProcess:
    """Build the age process of a ledger's timeline at T (vectorized; no loop over invoices).

    Invoices: amount > 0 (credit notes are not claims), due date ≤ T, open at the end of the due
    date. Events of day ≤ T only, so nothing after T is used (point in time)."""
    t = day_number(as_of)
    n = len(tl.amount)
    h = int(horizon)
    ev_age = tl.ev_day - tl.ev_due
    known = tl.ev_day <= t
    first = known & (ev_age <= 0)
    open0 = np.bincount(tl.ev_inv[first], weights=tl.ev_delta[first], minlength=n)
    inproc = (tl.amount > 0) & (tl.due_day <= t) & (open0 > MONEY_EPSILON)
    censor = np.minimum(t - tl.due_day, h)

    # events after age 0 on invoices in the process, within the follow-up and the horizon
    e = known & inproc[tl.ev_inv] & (ev_age > 0) & (ev_age <= h)
    e_inv, e_age, e_delta = tl.ev_inv[e], ev_age[e], tl.ev_delta[e]
    w = (tl.wo_day <= t) & inproc[tl.wo_inv]
    w_age = tl.wo_day[w] - tl.due_day[tl.wo_inv[w]]
    w = np.flatnonzero(w)[(w_age > 0) & (w_age <= h)]
    w_inv, w_age, w_amt = tl.wo_inv[w], tl.wo_day[w] - tl.due_day[tl.wo_inv[w]], tl.wo_amount[w]

    # resolution age: first event age after which nothing is open (running balance per invoice)
    order = np.lexsort((e_age, e_inv))
    s_inv, s_age, s_delta = e_inv[order], e_age[order], e_delta[order]
    running = open0[s_inv] + group_cumsum(s_inv, s_delta)
    closes = running <= MONEY_EPSILON
    resolve = np.full(n, h + 1, dtype=np.int64)
    np.minimum.at(resolve, s_inv[closes], s_age[closes])

    idx = np.flatnonzero(inproc)
    cust = tl.customer[idx]
    c_age = censor[idx]
    r_age = resolve[idx]
    size = h + 2
    # amount at risk as differences: + open0 from age 1, − open0 after the censoring age; each
    # event changes the balance from the next age until the censoring age
    keep = e_age < censor[e_inv]
    rows_y = np.concatenate([cust, cust, tl.customer[e_inv[keep]], tl.customer[e_inv[keep]]])
    cols_y = np.concatenate([np.ones(len(idx), np.int64), c_age + 1, e_age[keep] + 1, censor[e_inv[keep]] + 1])
    vals_y = np.concatenate([open0[idx], -open0[idx], e_delta[keep], -e_delta[keep]])
    neg = e_delta < 0
    dall = np.bincount(e_age[neg], weights=-e_delta[neg], minlength=size)
    dw = np.bincount(w_age, weights=w_amt, minlength=size)
    dy = np.bincount(cols_y, weights=vals_y, minlength=size)
    at_risk = np.cumsum(dy)
    at_risk[np.abs(at_risk) <= MONEY_EPSILON] = 0.0  # float residue of the running sums is nothing at risk
    at_risk[0] = open0[idx].sum()
    collected = np.maximum(dall - dw, 0.0)

    # counts: an invoice is at risk from age 1 to min(censor, resolution age)
    last = np.minimum(c_age, r_age)
    dn = np.bincount(np.concatenate([np.ones(len(idx), np.int64), last + 1]),
                     weights=np.concatenate([np.ones(len(idx)), -np.ones(len(idx))]), minlength=size)
    count_at_risk = np.cumsum(dn)
    count_at_risk[0] = len(idx)
    solved = r_age <= c_age
    resolved = np.bincount(r_age[solved], minlength=size).astype(float)

    matrices = None
    if by_customer:
        k = len(tl.customer_ids)
        neg_inv = e_inv[neg]
        ym = sparse.csr_matrix((vals_y, (rows_y, cols_y)), shape=(k, size))
        cm = sparse.csr_matrix((-e_delta[neg], (tl.customer[neg_inv], e_age[neg])), shape=(k, size))
        wm = sparse.csr_matrix((w_amt, (tl.customer[w_inv], w_age)), shape=(k, size))
        matrices = (ym, cm, wm)
    return AgeProcess(h, at_risk[: h + 1], collected[: h + 1], dw[: h + 1], count_at_risk[: h + 1],
                      resolved[: h + 1], float(open0[idx].sum()), len(idx), cust, tl.due_day[idx], c_age,
                      r_age, open0[idx], matrices, np.asarray(tl.customer_ids))


@dataclass(frozen=True)
class Incidence:
    """Cumulative incidence arrays over ages 0..H from hazards (see the module docstring).

    ``unresolved[u]`` = S(u); ``g_collect[u]`` = Σ_{v ≤ u} S(v − 1) h_C(v), ``g_writeoff`` likewise;
    ``g_days[u]`` = Σ_{v ≤ u} v · S(v − 1) h_C(v) (for time to cash)."""

    unresolved: np.ndarray
    g_collect: np.ndarray
    g_writeoff: np.ndarray
    g_days: np.ndarray

    @classmethod
    def from_sums(cls, at_risk: np.ndarray, collected: np.ndarray, written_off: np.ndarray) -> "Incidence":
        """Aalen–Johansen: hazards where something is at risk, zero elsewhere (works on 1-D arrays
        or on 2-D arrays with ages on the last axis)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            live = at_risk > MONEY_EPSILON
            den = np.where(live, at_risk, 1.0)
            hc = np.where(live, collected / den, 0.0)
            hw = np.where(live, written_off / den, 0.0)
            # what resolves all but a float residue of the amount at risk resolves all of it
            whole = live & (at_risk - collected - written_off <= MONEY_EPSILON)
            events = hc + hw
            scale = np.where(whole | (events > 1.0), 1.0 / np.where(events > 0, events, 1.0), 1.0)
        hc, hw = hc * scale, hw * scale
        hc[..., 0] = 0.0
        hw[..., 0] = 0.0
        total = np.clip(hc + hw, 0.0, 1.0)
        s = np.cumprod(1.0 - total, axis=-1)
        before = np.concatenate([np.ones_like(s[..., :1]), s[..., :-1]], axis=-1)
        ages = np.arange(s.shape[-1], dtype=float)
        return cls(s, np.cumsum(before * hc, axis=-1), np.cumsum(before * hw, axis=-1),
                   np.cumsum(before * hc * ages, axis=-1))

    def shares(self, ages: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(collected, written off, still open, days to cash) from each age in ``ages`` (ints ≤ H);
        NaN where nothing is left unresolved at that age."""
        a = np.asarray(ages, dtype=np.int64)
        s_a = self.unresolved[..., a]
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = s_a > 1e-12
            den = np.where(ok, s_a, 1.0)
            gc = self.g_collect[..., -1:] - self.g_collect[..., a]
            collected = np.where(ok, gc / den, np.nan)
            written = np.where(ok, (self.g_writeoff[..., -1:] - self.g_writeoff[..., a]) / den, np.nan)
            still = np.where(ok, self.unresolved[..., -1:] / den, np.nan)
            days = np.where(ok & (gc > 1e-12),
                            (self.g_days[..., -1:] - self.g_days[..., a] - a * gc) / np.where(gc > 1e-12, gc, 1.0),
                            np.nan)
        return collected, written, still, days


@dataclass(frozen=True)
class CollectionCurve:
    """The observed curve of one ledger at T, with its interval and the blend towards a fallback.

    Daily arrays (index = age 0..H): ``collect`` C(a), ``write_off`` W(a), ``still_open`` O(a),
    ``days_to_cash``, ``reach`` S(a) (share of the amount open at age 0 still unresolved at a),
    ``reach_count`` (the same on invoice counts), ``claims`` and ``customers`` at risk,
    ``weight`` Z(a). ``table`` holds the same at :data:`REPORT_AGES` with the bootstrap interval.
    """

    as_of: pd.Timestamp
    horizon: int
    collect: np.ndarray
    write_off: np.ndarray
    still_open: np.ndarray
    days_to_cash: np.ndarray
    reach: np.ndarray
    reach_count: np.ndarray
    claims: np.ndarray
    amount: np.ndarray
    customers: np.ndarray
    weight: np.ndarray
    months_open: np.ndarray     # expected months a claim open at a stays open (within the horizon)
    collect_lo: np.ndarray      # bootstrap interval of the observed collected share (NaN where unseen)
    collect_hi: np.ndarray
    table: pd.DataFrame
    start_amount: float
    start_count: int

    def at(self, ages: np.ndarray | float, what: str = "collect") -> np.ndarray:
        """A daily array read at (possibly non-integer or beyond-horizon) ages, clipped to 0..H."""
        a = np.clip(np.floor(np.asarray(ages, dtype=float)), 0, self.horizon).astype(np.int64)
        return getattr(self, what)[a]


def reached(p: AgeProcess, ages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Claims and distinct customers that reached each age unpaid and were followed to it (open at
    the end of day due + a, T − due ≥ a): every claim starts at age 0, so a claim counts at a when
    its last such age, min(censoring age, resolution age − 1), is at least a."""
    last = np.minimum(p.censor_age, p.resolve_age - 1)
    a = np.asarray(ages)
    if not len(last):
        return np.zeros(len(a), np.int64), np.zeros(len(a), np.int64)
    claims = np.sort(last)
    longest = np.sort(pd.Series(last).groupby(p.customer).max().to_numpy())
    return (len(claims) - np.searchsorted(claims, a, side="left"),
            len(longest) - np.searchsorted(longest, a, side="left"))


def _bootstrap(p: AgeProcess, ages: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """Collected share and days to cash at ``ages`` for ``replicates`` customer resamples:
    array (replicates, 2, len(ages))."""
    ym, cm, wm = p.by_customer
    involved = np.unique(p.customer)
    if p.customer_ids is not None:  # by id, so that invoices after T (other codes) change nothing
        involved = involved[np.argsort(p.customer_ids[involved].astype(str), kind="stable")]
    k = len(involved)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(k, np.full(k, 1.0 / k), size=replicates).astype(float)  # (B, k)
    ym, cm, wm = ym[involved], cm[involved], wm[involved]
    y = np.cumsum(np.asarray((ym.T @ counts.T).T), axis=1)[:, : p.horizon + 1]
    c = np.asarray((cm.T @ counts.T).T)[:, : p.horizon + 1]
    w = np.asarray((wm.T @ counts.T).T)[:, : p.horizon + 1]
    c = np.maximum(c - w, 0.0)
    inc = Incidence.from_sums(y, c, w)
    collected, _w, _o, days = inc.shares(ages)
    return np.stack([collected, days], axis=1)


def data_end(ledger: Ledger) -> pd.Timestamp:
    """The last day the ledger can speak for: its export date (``as_of``) or its last event,
    whichever is later. Nothing is known of what happened after it."""
    tl = timeline_of(ledger)
    known = tl.ev_day[tl.ev_day < NEVER]
    last = pd.Timestamp(np.datetime64(int(known.max()), "D")) if len(known) else pd.Timestamp.min
    return max(last, pd.Timestamp(ledger.as_of).normalize()) if ledger.as_of is not None else last


def observed_curve(ledger: Ledger, as_of: pd.Timestamp | str, fallback: tuple[tuple[float, float], ...], *,
                   horizon: int = HORIZON_DAYS, replicates: int = BOOTSTRAP, seed: int = SEED,
                   fallback_days_to_cash: float = 45.0, fallback_months_open: float = 6.0,
                   full_claims: float = FULL_CLAIMS, full_customers: float = FULL_CUSTOMERS) -> CollectionCurve | None:
    """The client's collection curve at T from a full ledger (None for an open-items export, which
    has no history), blended towards ``fallback`` (the survey curve, as (days, share) points)
    where claims at risk are few. A date after the ledger's end (:func:`data_end`) is followed only
    to that end: claims open then are censored there, not taken as never paid. Seeded; pure."""
    if ledger.shape != "ledger":
        return None
    t = pd.Timestamp(as_of).normalize()
    p = age_process(timeline_of(ledger), min(t, data_end(ledger)), horizon, by_customer=replicates > 0)
    return curve_from_process(p, t, fallback, replicates=replicates, seed=seed,
                              fallback_days_to_cash=fallback_days_to_cash, fallback_months_open=fallback_months_open,
                              full_claims=full_claims, full_customers=full_customers)


def curve_from_process(p: AgeProcess, as_of: pd.Timestamp, fallback: tuple[tuple[float, float], ...], *,
                       replicates: int = BOOTSTRAP, seed: int = SEED, fallback_days_to_cash: float = 45.0,
                       fallback_months_open: float = 6.0, full_claims: float = FULL_CLAIMS,
                       full_customers: float = FULL_CUSTOMERS) -> CollectionCurve:
    """:func:`observed_curve` from an :class:`AgeProcess` (see there)."""
    ages = np.arange(p.horizon + 1)
    inc = Incidence.from_sums(p.amount_at_risk, p.collected, p.written_off)
    collect, write_off, still, days = inc.shares(ages)
    claims, customers = reached(p, ages)
    amount = np.concatenate([[p.start_amount], (p.amount_at_risk - p.collected - p.written_off)[1:]])
    amount[np.abs(amount) <= MONEY_EPSILON] = 0.0
    z = np.minimum(1.0, np.minimum(np.sqrt(claims / full_claims), np.sqrt(customers / full_customers)))
    z = np.where(np.isfinite(collect), z, 0.0)
    survey = _interp(fallback, ages)
    blended = z * np.nan_to_num(collect) + (1 - z) * survey
    blended_days = z * np.nan_to_num(days, nan=fallback_days_to_cash) + (1 - z) * fallback_days_to_cash
    # how long claims stay open: where few claims were followed, the daily resolution hazard blends
    # towards the fallback (claims open on average ``fallback_months_open`` months) by the same weight
    h0 = 1.0 - np.exp(-1.0 / (fallback_months_open * _MONTH))
    z_risk = np.concatenate([[1.0], z[:-1]])  # at risk on day u: what reached u − 1 unpaid
    reach = _blended_survival(p.amount_at_risk, p.collected + p.written_off, z_risk, h0)
    reach_count = _blended_survival(p.count_at_risk.astype(float), p.resolved, z_risk, h0)
    # expected months a claim open at a stays open: Σ_{u > a} S_n(u) / S_n(a) / 30.4, and what is still
    # open at the horizon stays the fallback's months more
    tail = np.concatenate([np.cumsum(reach_count[::-1])[::-1][1:], [0.0]])
    tail = tail + reach_count[-1] * fallback_months_open * _MONTH
    with np.errstate(divide="ignore", invalid="ignore"):
        months = np.where(reach_count > 1e-12, tail / np.where(reach_count > 1e-12, reach_count, 1.0), 0.0) / _MONTH

    grid = np.asarray([a for a in REPORT_AGES if a <= p.horizon])
    lo = hi = np.full(len(ages), np.nan)
    if replicates > 0 and p.by_customer is not None and len(p.customer):
        boot = _bootstrap(p, ages, replicates, seed)
        tail_p = (1 - INTERVAL) / 2
        with warnings.catch_warnings():  # an age no resample reaches: an all-NaN column, NaN bounds
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanquantile(boot[:, 0, :], tail_p, axis=0)
            hi = np.nanquantile(boot[:, 0, :], 1 - tail_p, axis=0)
        seen = np.isfinite(collect) & (claims > 0)
        lo, hi = np.where(seen, lo, np.nan), np.where(seen, hi, np.nan)
    table = pd.DataFrame({
        "age": grid, "claims": claims[grid], "customers": customers[grid], "amount": amount[grid],
        "collected": collect[grid], "written_off": write_off[grid], "still_open": still[grid],
        "collected_lo": lo[grid], "collected_hi": hi[grid], "days_to_cash": days[grid], "weight": z[grid],
        "survey": survey[grid], "used": blended[grid],
    })
    return CollectionCurve(pd.Timestamp(as_of), p.horizon, blended, np.nan_to_num(write_off), np.nan_to_num(still),
                           blended_days, reach, reach_count, claims, amount, customers, z,
                           months, lo, hi, table, p.start_amount, p.start_count)


def _blended_survival(at_risk: np.ndarray, events: np.ndarray, weight: np.ndarray, fallback: float) -> np.ndarray:
    """S(u) = Π_{v ≤ u} (1 − h(v)) with h = weight × observed hazard (events / at risk) + (1 − weight) ×
    ``fallback``; a day that resolves all but a float residue of what is at risk resolves all of it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        live = at_risk > MONEY_EPSILON
        h = np.where(live, events / np.where(live, at_risk, 1.0), 0.0)
    h = np.where(live & (at_risk - events <= MONEY_EPSILON), 1.0, np.clip(h, 0.0, 1.0))
    h = weight * h + (1.0 - weight) * fallback
    h[0] = 0.0
    return np.cumprod(1.0 - h)


def _interp(curve: tuple[tuple[float, float], ...], ages: np.ndarray) -> np.ndarray:
    days, shares = np.asarray(curve, dtype=float).T
    return np.interp(np.asarray(ages, dtype=float), days, shares)


def survey_curve(fallback: tuple[tuple[float, float], ...], as_of: pd.Timestamp, horizon: int = HORIZON_DAYS,
                 days_to_cash: float = 45.0, months_open: float = 6.0) -> CollectionCurve:
    """A curve object that is the survey curve itself (open-items exports; a client-set curve):
    no claims at risk, weight 0, reach unknown (NaN), the assumed days to cash and months open."""
    ages = np.arange(horizon + 1)
    shares = _interp(fallback, ages)
    nan = np.full(horizon + 1, np.nan)
    zero = np.zeros(horizon + 1)
    grid = np.asarray([a for a in REPORT_AGES if a <= horizon])
    table = pd.DataFrame({"age": grid, "claims": 0, "customers": 0, "amount": 0.0, "collected": np.nan,
                          "written_off": np.nan, "still_open": np.nan, "collected_lo": np.nan,
                          "collected_hi": np.nan, "days_to_cash": np.nan, "weight": 0.0,
                          "survey": shares[grid], "used": shares[grid]})
    return CollectionCurve(pd.Timestamp(as_of), horizon, shares, nan, nan, np.full(horizon + 1, days_to_cash),
                           nan, nan, zero.astype(np.int64), zero, zero.astype(np.int64), zero,
                           np.full(horizon + 1, months_open), nan, nan, table, 0.0, 0)


def as_points(curve: CollectionCurve) -> tuple[tuple[float, float], ...]:
    """The used curve at the report ages as (days, share) points (for the worklist's loss rate)."""
    t = curve.table
    return tuple((float(a), float(s)) for a, s in zip(t["age"], t["used"]))


__all__ = ["BOOTSTRAP", "FULL_CLAIMS", "FULL_CUSTOMERS", "HORIZON_DAYS", "REPORT_AGES", "AgeProcess",
           "CollectionCurve", "Incidence", "age_process", "as_points", "curve_from_process", "data_end", "observed_curve",
           "reached", "survey_curve"]
