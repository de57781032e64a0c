"""In-house or agency: the yearly value of a hand-off policy, calibrated on the client's own curve.

A policy "hand off at D" works every overdue claim in-house (the escalation ladder's reminders,
letters and calls) until it is D days past due, and places what is still unpaid at D with a
collection agency on contingency ("no recovery, no fee"). D = ∞ is all in-house; the agency
strategy is D = the minimum placement age (no agency takes a 3-day-old invoice, so below that
age every strategy has the same in-house reminders); the hybrid is the best D above it.

Input contract — a :class:`Book` (built once from the ledger by :mod:`arassess.costs.claims`):

- ``curve``: the in-house collection curve (:mod:`arassess.costs.collection`): C(a) the share of an
  amount open at age a that the team eventually collects, t(a) its days to cash, S(a) and
  S_n(a) the share of the amount and of the claims open at age 0 still unresolved at age a,
  and the months a claim open at a stays open;
- ``flow``: the yearly flow — F₀ (amount) and N₀ (invoices) falling past due in the year to T,
  and the invoices due in that year; None for an open-items export (no history: stock only);
- ``stock``: today's overdue claims (amount B_i, age a_i, customer);
- per candidate D: the yearly sales of the customers who had a claim reach D in the last year
  (relationship exposure) and the mix of claim sizes reaching D (for a fee schedule by amount).

**Yearly flow, policy D** (per year; A(a) = agency curve × scale, f = fee rate, capped at 1):

- reaching D: F(D) = F₀ S(D), N(D) = N₀ S_n(D);
- in-house recovery = F₀ C(0) − F(D) C(D) (what the team collects before D);
- agency recovery = F(D) A(D); agency fees = agency recovery × f(D) × (1 − direct share
  without commission); suit costs = suit share × N(D) × suit fee;
- team = hours × cost per hour + fixed costs; hours = Σ ladder steps before D (hours per step ×
  invoices reaching the step) + hours per claim-month × claim-months open after the last step
  and before D + hours per placement × N(D); cost per hour = salary × loaded multiplier /
  working hours;
- capital = rate / 365 × Σ recovered × days from falling past due to cash
  (in-house: F₀ K(0) − F(D) K(D) with K(a) = C(a) (a + t(a)); agency: F(D) A(D) (D + agency days));
- relationship = relationship share × gross margin × sales of the customers reaching D;
- net = in-house + agency recovery − fees − suit − team − capital − relationship.

Value of D against all in-house = net(D) − net(∞) = F(D) [A(D)(1 − f) − C(D)] − Δcapital
− relationship − suit + effort saved beyond D (the hand-computed form in the tests).

**Today's stock, policy D** (a one-off): each claim at its current age; claims with a_i ≥ D are
placed now (recovery B A(a_i), fee f(B, a_i), hours per placement), the others kept (recovery
B C(a_i), hours per claim-month × months open from a_i); capital and relationship as above.

The decision is taken on the flow (what the policy earns every year) for a full ledger and on
the stock for an open-items export. All functions are pure and vectorized over D.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from arassess.costs.assumptions import (
    CAPITAL_BASES,
    DEFAULT_EFFORT_HOURS,
    FEE_SCHEDULE_FILE,
    SOURCES,
    SURVEY_CURVE,
    Assumptions,
    Curve,
    FeeSchedule,
    assumptions_from_config,
    load_fee_schedule,
)
from arassess.costs.collection import CollectionCurve
from arassess.errors import ArgumentError, InputError

STRATEGIES = ("in_house", "agency", "hybrid")
IN_HOUSE = np.inf  # the policy that never hands off
#: Hand-off days searched: every 15 days from the minimum placement age up to two years.
HANDOFF_STEP = 15
MAX_HANDOFF_DAY = 730
#: Differences in net value below this share of the base amount (the yearly overdue flow, or the
#: stock) count as a tie, and ties go to the simpler strategy (in-house, then agency).
MATERIALITY = 0.001
TIE = 0.5  # and never below half a currency unit
MONTH_DAYS = 365.25 / 12


def recovery_share(curve: Curve, days_past_due: Any) -> np.ndarray:
    """Collectable share at each age: linear interpolation between curve points, flat beyond the ends."""
    days, shares = np.asarray(curve, dtype=float).T
    return np.interp(np.asarray(days_past_due, dtype=float), days, shares)


def agency_fee_rate(schedule: FeeSchedule, amount: Any, days_past_due: Any) -> np.ndarray:
    """Fee rate per claim: band i holds ``amount_from[i] <= amount < amount_from[i+1]`` (lower bound
    inclusive), same for days; values below the first bound use the first band."""
    rates = np.asarray(schedule.fee_rates, dtype=float)
    i = np.searchsorted(schedule.amount_from, np.asarray(amount, dtype=float), side="right") - 1
    j = np.searchsorted(schedule.days_from, np.asarray(days_past_due, dtype=float), side="right") - 1
    return rates[np.clip(i, 0, None), np.clip(j, 0, None)]


def fixed_costs(a: Assumptions) -> float:
    """Yearly costs that do not depend on the workload: software + training + management + legal
    (every strategy keeps the in-house reminders, so every strategy carries them)."""
    return a.software_per_year + a.training_per_year + a.management_per_year + a.legal_per_year


@dataclass(frozen=True)
class Claims:
    """Today's overdue claims as arrays (the stock), prepared once."""

    amount: np.ndarray
    days_past_due: np.ndarray
    customer: np.ndarray | None = None        # customer code per claim (0..n-1)
    customer_sales: np.ndarray | None = None  # yearly credit sales per customer code

    @classmethod
    def from_frame(cls, claims: pd.DataFrame) -> "Claims":
        missing = [c for c in ("amount", "days_past_due") if c not in claims.columns]
        if missing:
            raise InputError(f"claims table: missing column(s) {', '.join(missing)}; "
                             "expected one row per overdue claim with amount and days_past_due")
        amount = claims["amount"].to_numpy(dtype=float)
        dpd = claims["days_past_due"].to_numpy(dtype=float)
        if {"customer_id", "customer_annual_sales"} <= set(claims.columns) and \
                claims["customer_annual_sales"].notna().any():
            codes, uniques = pd.factorize(claims["customer_id"])
            sales = (pd.Series(claims["customer_annual_sales"].to_numpy(dtype=float))
                     .groupby(codes).first().reindex(range(len(uniques)), fill_value=0.0).to_numpy())
            return cls(amount, dpd, codes, np.nan_to_num(sales))
        return cls(amount, dpd)

    def __len__(self) -> int:
        return len(self.amount)


@dataclass(frozen=True)
class Flow:
    """The yearly flow: invoices that fell past due in the year to T (N₀, F₀ open the day after
    their due date) and the invoices due in that year (they all get the pre-due reminders)."""

    invoices: float
    amount: float
    due_invoices: float


@dataclass(frozen=True)
class Book:
    """What the model evaluates, prepared once per client and date (see the module docstring).

    ``days`` are the ages at which ``exposure`` (yearly sales of customers with a claim reaching
    that age in the last year) and ``size_mix`` (rows: ages; columns: the fee schedule's amount
    bands ``size_bands``; the share of the amount reaching that age in each band) are known;
    between them they are interpolated. ``ladder`` is the in-house escalation ladder as
    (step key, days past due)."""

    curve: CollectionCurve
    flow: Flow | None
    stock: Claims
    days: np.ndarray
    exposure: np.ndarray
    size_bands: tuple[float, ...]
    size_mix: np.ndarray
    ladder: tuple[tuple[str, int], ...]
    exposure_note: str = ""

    @property
    def basis(self) -> str:
        """What the decision is taken on: the yearly ``flow``, or today's ``stock`` (open items)."""
        return "flow" if self.flow is not None else "stock"


def _capped(x: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, np.maximum(0.0, x))


def in_house_share(book: Book, a: Assumptions, ages: Any) -> np.ndarray:
    """C(a) × the in-house scale, capped at 1: what the team eventually collects from age a."""
    return _capped(a.in_house_recovery_scale * book.curve.at(ages, "collect"))


def agency_share(a: Assumptions, ages: Any) -> np.ndarray:
    """The agency's recovery at placement age: its curve × the agency scale, capped at 1."""
    return _capped(a.agency_recovery_scale * recovery_share(a.agency_recovery_curve, ages))


def commissioned(a: Assumptions) -> float:
    """Share of the agency's recoveries that carries its fee (direct payments are free of
    commission only when the agreement says so)."""
    return 1.0 if a.commission_on_direct_payments else 1.0 - a.direct_payment_share


def claim_fee_rates(a: Assumptions, amount: Any, ages: Any) -> np.ndarray:
    """Fee rate of each claim: the flat fee or the schedule's band, × fee scale, capped at 100%."""
    amount = np.asarray(amount, dtype=float)
    rate = (np.full(amount.shape, a.agency_fee_pct) if a.agency_fee_pct is not None
            else agency_fee_rate(a.fee_schedule, amount, ages))
    return np.minimum(1.0, rate * a.agency_fee_scale)


def flow_fee_rate(book: Book, a: Assumptions, days: np.ndarray) -> np.ndarray:
    """Amount-weighted fee rate on the claims reaching each D: flat, or Σ band share × band rate."""
    days = np.asarray(days, dtype=float)
    if a.agency_fee_pct is not None:
        return np.full(days.shape, min(1.0, a.agency_fee_pct * a.agency_fee_scale))
    schedule = a.fee_schedule
    if tuple(schedule.amount_from) != tuple(book.size_bands):
        raise ArgumentError("the book's claim-size bands differ from the fee schedule's; rebuild the book")
    rates = np.minimum(1.0, np.asarray(schedule.fee_rates, dtype=float) * a.agency_fee_scale)
    j = np.clip(np.searchsorted(schedule.days_from, np.nan_to_num(days, posinf=0.0), side="right") - 1, 0, None)
    mix = _mix_at(book, days)
    return (mix * rates[:, j].T).sum(axis=1)


def _mix_at(book: Book, days: np.ndarray) -> np.ndarray:
    cols = [np.interp(np.nan_to_num(days, posinf=book.days[-1] if len(book.days) else 0.0), book.days,
                      book.size_mix[:, k]) if len(book.days) else np.full(len(days), 1.0 / book.size_mix.shape[1])
            for k in range(book.size_mix.shape[1])]
    mix = np.column_stack(cols) if cols else np.zeros((len(days), 0))
    total = mix.sum(axis=1, keepdims=True)
    even = np.full_like(mix, 1.0 / max(mix.shape[1], 1))
    return np.where(total > 0, mix / np.where(total > 0, total, 1.0), even)


def exposure_at(book: Book, days: np.ndarray) -> np.ndarray:
    """Yearly sales of the customers with a claim reaching each D in the last year (0 for ∞)."""
    days = np.asarray(days, dtype=float)
    if not len(book.days):
        return np.zeros(days.shape)
    out = np.interp(np.nan_to_num(days, posinf=book.days[-1]), book.days, book.exposure)
    return np.where(np.isinf(days), 0.0, out)


def _reach(book: Book, days: np.ndarray, what: str) -> np.ndarray:
    """S(D) or S_n(D) of the curve; 0 for D = ∞ (nothing is placed)."""
    days = np.asarray(days, dtype=float)
    finite = np.isfinite(days)
    out = np.zeros(days.shape)
    out[finite] = book.curve.at(days[finite], what)
    return np.nan_to_num(out)


def flow_hours(book: Book, a: Assumptions, days: np.ndarray) -> dict[str, np.ndarray]:
    """Collector hours per year under each policy D: ladder steps before D, claim-months after the
    last step (and before D), placements at D."""
    days = np.asarray(days, dtype=float)
    flow = book.flow
    assert flow is not None
    steps = np.zeros(days.shape)
    for key, offset in book.ladder:
        reached = flow.due_invoices if offset <= 0 else flow.invoices * float(book.curve.at(offset, "reach_count"))
        steps += np.where(offset < days, reached * a.step_hours(key), 0.0)
    last = max((o for _k, o in book.ladder), default=0)
    sn = np.nan_to_num(book.curve.reach_count)
    cum = np.concatenate([[0.0], np.cumsum(sn)])            # cum[k] = Σ_{u < k} S_n(u)
    end = np.clip(np.nan_to_num(days, posinf=book.curve.horizon + 1), 0, book.curve.horizon + 1).astype(np.int64)
    start = min(last + 1, book.curve.horizon + 1)
    months = flow.invoices * np.maximum(cum[np.maximum(end, start)] - cum[start], 0.0) / MONTH_DAYS
    placed = flow.invoices * _reach(book, days, "reach_count")
    return {"ladder_hours": steps, "claim_month_hours": months * a.hours_per_claim_month,
            "placement_hours": placed * a.hours_per_placement}


def flow_lines(book: Book, a: Assumptions, days: Iterable[float]) -> dict[str, np.ndarray]:
    """Money lines of the yearly flow under each policy D (formulas in the module docstring)."""
    d = np.asarray(list(days), dtype=float)
    flow = book.flow
    if flow is None:
        raise ArgumentError("an open-items book has no yearly flow; evaluate its stock")
    curve = book.curve
    c0 = float(in_house_share(book, a, 0))
    k0 = c0 * float(curve.days_to_cash[0])
    age = np.nan_to_num(d, posinf=0.0)
    c_d = np.where(np.isfinite(d), in_house_share(book, a, age), 0.0)
    k_d = c_d * (age + curve.at(age, "days_to_cash"))
    reach_amt = flow.amount * _reach(book, d, "reach")
    reach_n = flow.invoices * _reach(book, d, "reach_count")
    in_house = np.maximum(flow.amount * c0 - reach_amt * c_d, 0.0)
    agency = reach_amt * np.where(np.isfinite(d), agency_share(a, age), 0.0)
    fees = agency * flow_fee_rate(book, a, d) * commissioned(a)
    hours = flow_hours(book, a, d)
    total_hours = sum(hours.values())
    carried = np.maximum(flow.amount * k0 - reach_amt * k_d, 0.0) + agency * (age + a.agency_days_to_cash)
    lines = {
        "amount": np.full(d.shape, flow.amount), "claims": np.full(d.shape, flow.invoices),
        "amount_placed": reach_amt, "claims_placed": reach_n,
        "in_house_recovery": in_house, "agency_recovery": agency, "gross_recovery": in_house + agency,
        "agency_fees": fees, "suit_costs": a.suit_share * reach_n * a.suit_fee_per_claim,
        "team_costs": total_hours * a.cost_per_hour + fixed_costs(a),
        "capital_cost": a.capital_rate * carried / 365.0,
        "relationship_cost": a.relationship_cost_share * a.gross_margin * exposure_at(book, d),
        "hours": total_hours, **hours,
    }
    return _totals(lines, a)


def stock_lines(book: Book, a: Assumptions, days: Iterable[float]) -> dict[str, np.ndarray]:
    """Money lines of today's stock (one-off) under each policy D: claims at least D days past due
    placed now, the others kept; in one vectorized pass over claims sorted by age (prefix and
    suffix sums read at k(D) = number of claims younger than D)."""
    d = np.asarray(list(days), dtype=float)
    c = book.stock
    order = np.argsort(c.days_past_due, kind="stable")
    age, amount = c.days_past_due[order], c.amount[order]
    n = len(age)
    k = np.searchsorted(age, d, side="left")
    zero = np.zeros(1)

    def pre(x: np.ndarray) -> np.ndarray:
        return np.concatenate([zero, np.cumsum(x)])

    keep_rec = amount * in_house_share(book, a, age)
    place_rec = amount * agency_share(a, age)
    fee_each = place_rec * claim_fee_rates(a, amount, age) * commissioned(a)
    keep_hours = book.curve.at(age, "months_open") * a.hours_per_claim_month
    keep_days = keep_rec * book.curve.at(age, "days_to_cash")
    p_keep, p_place, p_fee = pre(keep_rec), pre(place_rec), pre(fee_each)
    p_hours, p_days, p_amount = pre(keep_hours), pre(keep_days), pre(amount)
    in_house = p_keep[k]
    agency = p_place[n] - p_place[k]
    placed_n = n - k
    hours = p_hours[k] + placed_n * a.hours_per_placement
    carried = p_days[k] + agency * a.agency_days_to_cash
    if c.customer is not None and c.customer_sales is not None and n:
        oldest = np.full(len(c.customer_sales), -np.inf)
        np.maximum.at(oldest, c.customer, c.days_past_due)
        by_age = np.argsort(oldest, kind="stable")
        suffix = np.concatenate([np.cumsum(c.customer_sales[by_age][::-1])[::-1], zero])
        exposed = suffix[np.searchsorted(oldest[by_age], d, side="left")]
    else:
        exposed = p_amount[n] - p_amount[k]
    lines = {
        "amount": np.full(d.shape, p_amount[n]), "claims": np.full(d.shape, float(n)),
        "amount_placed": p_amount[n] - p_amount[k], "claims_placed": placed_n.astype(float),
        "in_house_recovery": in_house, "agency_recovery": agency, "gross_recovery": in_house + agency,
        "agency_fees": p_fee[n] - p_fee[k], "suit_costs": a.suit_share * placed_n * a.suit_fee_per_claim,
        "team_costs": hours * a.cost_per_hour, "capital_cost": a.capital_rate * carried / 365.0,
        "relationship_cost": a.relationship_cost_share * a.gross_margin * exposed, "hours": hours,
    }
    return _totals(lines, a)


COST_LINES = ("agency_fees", "suit_costs", "team_costs", "capital_cost", "relationship_cost")


def _totals(lines: dict[str, np.ndarray], a: Assumptions) -> dict[str, np.ndarray]:
    """total costs = Σ cost lines; net = gross − total costs; FTEs needed = hours / working hours."""
    lines["total_costs"] = sum(lines[k] for k in COST_LINES)
    lines["net_recovery"] = lines["gross_recovery"] - lines["total_costs"]
    lines["unrecovered"] = lines["amount"] - lines["gross_recovery"]
    lines["ftes_needed"] = lines["hours"] / a.working_hours_per_fte_year
    return lines


def policy_lines(book: Book, a: Assumptions, days: Iterable[float]) -> dict[str, np.ndarray]:
    """The lines the decision is taken on: the flow's, or (open items) the stock's."""
    return flow_lines(book, a, days) if book.flow is not None else stock_lines(book, a, days)


def candidate_days(a: Assumptions, horizon: int = MAX_HANDOFF_DAY) -> np.ndarray:
    """Hand-off days searched: the minimum placement age, then every 15 days up to two years."""
    start = float(a.min_placement_age)
    return np.arange(start, max(start, horizon) + 1, HANDOFF_STEP, dtype=float)


def tie(book: Book) -> float:
    """The materiality threshold of a decision: 0.1% of the base amount, at least 0.5."""
    base = book.flow.amount if book.flow is not None else float(book.stock.amount.sum())
    return max(TIE, MATERIALITY * base)


def best_strategy(net: Mapping[str, float], tolerance: float = TIE) -> str:
    """The strategy with the highest net recovery; within ``tolerance`` of it, the first of
    in-house, agency, hybrid present in ``net`` (the simpler one)."""
    top = max(net.values())
    return next(s for s in STRATEGIES if s in net and net[s] >= top - tolerance)


#: A hand-off policy is a distinct option only when it places at least this many claims (a year on
#: the flow): a D beyond every claim's resolution places a floating-point residue, not a claim.
MIN_PLACED_CLAIMS = 0.5


def places(lines: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per policy: does it place anything (at least :data:`MIN_PLACED_CLAIMS` claims)?"""
    return np.asarray(lines["claims_placed"]) >= MIN_PLACED_CLAIMS


def strategy_days(book: Book, a: Assumptions, candidates: Iterable[float] | None = None
                  ) -> tuple[dict[str, float], dict[str, float], float]:
    """Net of each distinct strategy, its D, and the best hand-off day above the minimum age.

    In-house (D = ∞) and agency (D = the minimum placement age) always; the hybrid at its best D
    above the minimum age (the first maximum: ties go to the earliest D) only when that policy
    places something and beats keeping everything in-house by more than :func:`tie` — a hand-off
    that only loses money is not an option worth a column. The third value is that best D even
    when it is not an option (NaN when no D above the minimum age places anything)."""
    cand = candidate_days(a) if candidates is None else np.asarray(list(candidates), dtype=float)
    d_min = float(a.min_placement_age)
    days = np.concatenate([[IN_HOUSE, d_min], cand[cand > d_min]])
    lines = policy_lines(book, a, days)
    net = lines["net_recovery"]
    out = {"in_house": float(net[0]), "agency": float(net[1])}
    where = {"in_house": IN_HOUSE, "agency": d_min}
    inner = np.flatnonzero(places(lines)[2:]) + 2
    if not len(inner):
        return out, where, float("nan")
    best = inner[np.argmax(net[inner])]
    if net[best] > out["in_house"] + tie(book):
        out["hybrid"], where["hybrid"] = float(net[best]), float(days[best])
    return out, where, float(days[best])


def handoff_curve(book: Book, a: Assumptions, days: Iterable[float] | None = None) -> pd.DataFrame:
    """Net value by hand-off day D (columns handoff_day, amount_placed, claims_placed,
    gross_recovery, total_costs, net_recovery, value_vs_in_house)."""
    d = candidate_days(a) if days is None else np.asarray(list(days), dtype=float)
    lines = policy_lines(book, a, np.concatenate([[IN_HOUSE], d]))
    frame = pd.DataFrame({"handoff_day": d, **{k: lines[k][1:] for k in (
        "amount_placed", "claims_placed", "gross_recovery", "total_costs", "net_recovery")}})
    frame["value_vs_in_house"] = frame["net_recovery"] - lines["net_recovery"][0]
    return frame


def evaluate(book: Book, a: Assumptions, days: Mapping[str, float], basis: str | None = None) -> pd.DataFrame:
    """Lines of each strategy at its D (one row per strategy in ``days``), on the decision basis or
    on ``basis`` ("flow" or "stock"). ``attrs``: the D of each strategy, the basis."""
    basis = basis or book.basis
    fn = flow_lines if basis == "flow" else stock_lines
    names = [s for s in STRATEGIES if s in days]
    lines = fn(book, a, [days[s] for s in names])
    out = pd.DataFrame({k: v for k, v in lines.items()}, index=pd.Index(names, name="strategy"))
    out["handoff_day"] = [days[s] for s in names]
    out.attrs.update(days=dict(days), basis=basis)
    return out


def capacity_note(hours: float, a: Assumptions, basis: str = "flow") -> str:
    """The client's team (``collector_ftes``) against the hours a strategy needs: short, enough, or
    more than twice enough; '' when no team was given (the team is then sized to the workload)."""
    if a.collector_ftes is None or hours <= 0:
        return ""
    wh = a.working_hours_per_fte_year
    have = a.collector_ftes * wh
    need = (f"{hours:,.0f} h a year ({hours / wh:,.1f} FTE)" if basis == "flow"
            else f"{hours:,.0f} h for today's claims ({hours / wh:,.1f} FTE-years)")
    team = f"the team of {a.collector_ftes:g} FTE ({have:,.0f} h)"
    if hours > have * (1 + 1e-9):
        return f"needs {need}, more than {team}: short by {(hours - have) / wh:,.1f} FTE"
    if hours * 2 < have:
        return f"needs {need}, less than half of {team}"
    return f"needs {need}; {team} covers it"


def capacity_notes(result: pd.DataFrame, a: Assumptions, recommended: str | None = None) -> dict[str, str]:
    """Per strategy, :func:`capacity_note` when the team is short; for ``recommended`` always."""
    notes = {}
    basis = result.attrs.get("basis", "flow")
    for s, hours in result["hours"].items():
        note = capacity_note(float(hours), a, basis)
        if note and (s == recommended or hours > a.collector_ftes * a.working_hours_per_fte_year * (1 + 1e-9)):
            notes[s] = note
    return notes


__all__ = ["CAPITAL_BASES", "COST_LINES", "DEFAULT_EFFORT_HOURS", "FEE_SCHEDULE_FILE", "IN_HOUSE",
           "SOURCES", "STRATEGIES", "SURVEY_CURVE", "Assumptions", "Book", "Claims", "FeeSchedule", "Flow",
           "agency_fee_rate", "agency_share", "assumptions_from_config", "best_strategy", "candidate_days",
           "capacity_note", "capacity_notes", "claim_fee_rates", "commissioned", "evaluate", "exposure_at", "fixed_costs",
           "flow_fee_rate", "flow_hours", "flow_lines", "handoff_curve", "in_house_share", "load_fee_schedule",
           "places", "policy_lines", "recovery_share", "stock_lines", "strategy_days", "tie"]
