"""Notebook 02's analysis: the cost model applied to one client, with break-even and tornado.

:func:`cost_case` reads a client's ledger once into a :class:`~arassess.costs.model.Book` (the
observed collection curve, the yearly flow, today's stock) and calls :func:`analyse`, which is
pure and fast enough to run on every dashboard control change. Every input carries its
provenance (:class:`Provenance`): from the ledger (with n and interval), set for this client, or a
default with its source.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Mapping

import numpy as np
import pandas as pd

from arassess.assessment.case import load
from arassess.config.client import ClientConfig
from arassess.config.escalation import ladder_from_config
from arassess.costs import model as costmodel
from arassess.costs.assumptions import SOURCES
from arassess.costs.claims import (
    OverdueFlow,
    annual_credit_sales,
    overdue_claims,
    reach_profile,
    yearly_due_invoices,
    yearly_overdue_flow,
)
from arassess.costs.collection import FULL_CLAIMS, CollectionCurve, data_end, observed_curve, survey_curve
from arassess.costs.model import (
    IN_HOUSE,
    STRATEGIES,
    Assumptions,
    Book,
    Claims,
    Flow,
    assumptions_from_config,
    best_strategy,
    candidate_days,
    capacity_notes,
    evaluate,
    handoff_curve,
    strategy_days,
    tie,
)
from arassess.costs.scenarios import Scenario, load_scenario
from arassess.costs.words import strategy_words
from arassess.display.format import money_text
from arassess.ledger.model import Ledger
from arassess.paths import resolve_client_dir

BISECTION_STEPS = 40
#: Below this credibility weight at the decision age, the in-house curve rests mainly on the survey.
INDICATIVE_WEIGHT = 0.5
#: The age quoted in the one-sentence answer when collections stay in-house (if the ledger is
#: credible there; otherwise the oldest credible report age at or above the minimum placement age).
QUOTE_AGE = 120


@dataclass(frozen=True)
class Lever:
    """An assumption the break-even and tornado move: its field, label, unit and range rule."""

    name: str
    label: str
    unit: str                                    # "pct" (share shown as %), "money", "x", "days", "h"
    bounds: tuple[float, float]                  # the widest range a break-even search covers
    swing: Callable[[float], tuple[float, float]]  # base value -> (low, high) for the tornado


def _rel(share: float) -> Callable[[float], tuple[float, float]]:
    return lambda v: (v * (1 - share), v * (1 + share))


def _abs(step: float, lo: float = 0.0, hi: float = float("inf")) -> Callable[[float], tuple[float, float]]:
    return lambda v: (max(lo, v - step), min(hi, v + step))


#: Tornado ranges: ±10 points for the fee, ±0.2 on the recovery scales (the in-house one scales
#: the client's observed curve), ±20-50% for money and hours, ±2 points for the rate, ±5 points
#: for the relationship share, ±50% agency days to cash. Team size is not a lever: the team is
#: sized to the workload and a head count never decides.
LEVERS: tuple[Lever, ...] = (
    Lever("agency_fee_pct", "Agency fee", "pct", (0.0, 1.0), _abs(0.10, 0.0, 1.0)),
    Lever("agency_recovery_scale", "Agency recovery (× survey curve)", "x", (0.0, 3.0), _abs(0.2)),
    Lever("in_house_recovery_scale", "In-house recovery (× in-house curve)", "x", (0.0, 3.0), _abs(0.2)),
    Lever("collector_salary", "Collector salary", "money", (0.0, 500_000.0), _rel(0.20)),
    Lever("loaded_cost_multiplier", "Loaded-cost multiplier", "x", (1.0, 3.0), _abs(0.2, 1.0)),
    Lever("hours_per_claim_month", "Hours per open claim and month", "h", (0.0, 40.0), _rel(0.5)),
    Lever("hours_per_placement", "Hours per placement", "h", (0.0, 40.0), _rel(0.5)),
    Lever("capital_rate", "Cost-of-capital rate", "pct", (0.0, 1.0), _abs(0.02, 0.0, 1.0)),
    Lever("relationship_cost_share", "Relationship loss share", "pct", (0.0, 1.0), _abs(0.05, 0.0, 1.0)),
    Lever("agency_days_to_cash", "Agency days to cash", "days", (0.0, 730.0), _rel(0.5)),
)
LEVER = {lever.name: lever for lever in LEVERS}
BREAK_EVEN_LEVERS = ("agency_fee_pct", "agency_recovery_scale", "in_house_recovery_scale")


def format_lever(lever: str, value: float, currency: str = "") -> str:
    """A lever value as people read it: 25% for shares, 1.10× for scales, 42,800 EUR for money."""
    unit = LEVER[lever].unit
    if value is None or not np.isfinite(value):
        return "n/a"
    if unit == "pct":
        return f"{value:.1%}".replace(".0%", "%")
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "money":
        return money_text(value, currency)
    suffix = {"days": " days", "h": " h"}[unit]
    return f"{value:,.2f}".rstrip("0").rstrip(".") + suffix


def effective_fee(a: Assumptions, book: Book) -> float:
    """The agency's fee as a share of what it recovers on the decision basis at the minimum
    placement age: the flat fee, or the (scaled) schedule's recovery-weighted rate there."""
    if a.agency_fee_pct is not None:
        return min(1.0, a.agency_fee_pct * a.agency_fee_scale)
    d = np.asarray([float(a.min_placement_age)])
    if book.flow is not None:
        return float(costmodel.flow_fee_rate(book, a, d)[0])
    c = book.stock
    placed = c.days_past_due >= d[0]
    rec = c.amount[placed] * costmodel.agency_share(a, c.days_past_due[placed])
    if rec.sum() <= 0:
        return float("nan")
    rates = costmodel.claim_fee_rates(a, c.amount[placed], c.days_past_due[placed])
    return float((rates * rec).sum() / rec.sum())


def lever_value(a: Assumptions, name: str, book: Book) -> float:
    """The current value of a lever (for the fee, its effective rate: see :func:`effective_fee`)."""
    if name == "agency_fee_pct":
        return effective_fee(a, book)
    if name == "capital_rate":
        return a.capital_rate
    return float(getattr(a, name))


def with_lever(a: Assumptions, name: str, value: float, book: Book) -> Assumptions:
    """``a`` with one lever set. The fee: a flat fee becomes ``value``; a fee schedule is kept and
    scaled so that its effective rate is ``value`` (so the lever moves continuously from the
    current schedule). The rate: the one ``capital_rate_basis`` names."""
    if name == "agency_fee_pct":
        if a.agency_fee_pct is not None:
            return dataclasses.replace(a, agency_fee_pct=float(value), agency_fee_scale=1.0)
        unscaled = effective_fee(dataclasses.replace(a, agency_fee_scale=1.0), book)
        scale = float(value) / unscaled if unscaled and np.isfinite(unscaled) else 1.0
        return dataclasses.replace(a, agency_fee_scale=min(scale, 1e6))
    if name == "capital_rate":
        name = a.capital_rate_basis
    return dataclasses.replace(a, **{name: float(value)})


def strategy_net(book: Book, a: Assumptions, d: float | None) -> dict[str, float]:
    """Net value per distinct strategy; the hybrid at its optimal D (``d`` None) or at ``d``."""
    if d is None:
        return strategy_days(book, a)[0]
    return net_at(book, a, d)


def net_at(book: Book, a: Assumptions, d: float) -> dict[str, float]:
    """Net of in-house, agency, and the hybrid at D = ``d`` when it differs from the agency's D and
    places something."""
    d_min = float(a.min_placement_age)
    days = [IN_HOUSE, d_min] + ([float(d)] if d > d_min else [])
    lines = costmodel.policy_lines(book, a, days)
    out = {"in_house": float(lines["net_recovery"][0]), "agency": float(lines["net_recovery"][1])}
    if len(days) == 3 and costmodel.places(lines)[2]:
        out["hybrid"] = float(lines["net_recovery"][2])
    return out


def _best(book: Book, a: Assumptions, d: float | None) -> str:
    return best_strategy(strategy_net(book, a, d), tie(book))


@dataclass(frozen=True)
class BreakEven:
    """Where, moving one lever from its current value, the recommended strategy changes."""

    lever: str
    base_value: float
    value: float | None          # None: no change within the lever's bounds
    before: str                  # strategy at the base value
    after: str | None            # strategy past the break-even
    handoff_day: float | None = None   # the hybrid's D the search held fixed; None: re-optimised

    def sentence(self, currency: str = "") -> str:
        """E.g. 'Agency fee below 12.3% (now 25%): agency beats in-house.'"""
        def fmt(lever: str, value: float) -> str:
            return format_lever(lever, value, currency)

        label = LEVER[self.lever].label
        now = fmt(self.lever, self.base_value)
        if self.value is None:
            lo, hi = LEVER[self.lever].bounds
            return (f"{label}: no value from {fmt(self.lever, lo)} to {fmt(self.lever, hi)} changes the "
                    f"decision ({strategy_words(self.before, 'short')}; now {now}).")
        side = "above" if self.value > self.base_value else "below"
        at = ("" if "hybrid" not in (self.before, self.after) else
              " (hybrid at its best hand-off day)" if self.handoff_day is None else
              f" (hybrid hand-off held at D = {self.handoff_day:g} days)")
        return (f"{label} {side} {fmt(self.lever, self.value)} (now {now}): "
                f"{strategy_words(str(self.after), 'short')} beats {strategy_words(self.before, 'short')}{at}.")

    def plain(self) -> str | None:
        """The condition in a client's words ("your team collected less than 68% of what it has so
        far"), or None when nothing in the lever's range changes the decision."""
        if self.value is None:
            return None
        up = self.value > self.base_value
        v = self.value
        if self.lever == "agency_fee_pct":
            return f"the agency's fee were {'above' if up else 'below'} {v:.0%} (today {self.base_value:.0%})"
        if self.lever == "agency_recovery_scale":
            change = f"{abs(v - 1):.0%} {'more' if v > 1 else 'less'}"
            return f"the agency recovered {change} than the survey figures suggest"
        if self.lever == "in_house_recovery_scale":
            return (f"your team collected {'more' if up else 'less'} than {v:.0%} of what it has collected so far"
                    if self.base_value == 1 else f"in-house recovery went {'above' if up else 'below'} {v:.2f}× "
                    f"the curve (today {self.base_value:.2f}×)")
        return self.sentence().split(":")[0].lower()


def break_even(book: Book, a: Assumptions, handoff_day: float | None, lever: str,
               grid_points: int = 41) -> BreakEven:
    """The lever value nearest to the current one at which the best strategy changes: a grid over
    the lever's bounds finds the first change on each side, bisection refines it to about 1e-9 of
    the range. D fixed, or (``None``) re-optimised at every value; other assumptions held."""
    base = lever_value(a, lever, book)
    lo, hi = LEVER[lever].bounds
    if not np.isfinite(base):
        return BreakEven(lever, base, None, _best(book, a, handoff_day), None, handoff_day)
    start = _best(book, with_lever(a, lever, base, book), handoff_day)
    best_found: tuple[float, str] | None = None
    for end in (hi, lo):
        inside = base
        for value in np.linspace(base, end, grid_points)[1:]:
            if _best(book, with_lever(a, lever, value, book), handoff_day) != start:
                outside = value
                for _ in range(BISECTION_STEPS):
                    mid = (inside + outside) / 2
                    if _best(book, with_lever(a, lever, mid, book), handoff_day) == start:
                        inside = mid
                    else:
                        outside = mid
                if best_found is None or abs(outside - base) < abs(best_found[0] - base):
                    best_found = (outside, _best(book, with_lever(a, lever, outside, book), handoff_day))
                break
            inside = value
    if best_found is None:
        return BreakEven(lever, base, None, start, None, handoff_day)
    return BreakEven(lever, base, best_found[0], start, best_found[1], handoff_day)


def tornado(book: Book, a: Assumptions, handoff_day: float | None,
            levers: tuple[Lever, ...] = LEVERS) -> pd.DataFrame:
    """Each lever moved to its low and high value alone: the lead of the current recommendation
    over the best other strategy (net value difference; below 0 the decision flips). D fixed, or
    (``None``) the hybrid's optimal D at every value. Levers that move nothing are left out.

    Columns: lever, label, unit, base, low, high, lead_low, lead_high, flips, swing (= |lead_high
    − lead_low|); sorted by swing, largest first. ``attrs``: base lead and strategy."""
    start = _best(book, a, handoff_day)

    def lead(x: Assumptions) -> float:
        net = strategy_net(book, x, handoff_day)
        if start not in net:  # the hybrid stopped being an option: its value at its best D all the same
            d = handoff_day if handoff_day is not None else strategy_days(book, x)[2]
            net[start] = net_at(book, x, d).get("hybrid", net["in_house"]) if np.isfinite(d) else net["in_house"]
        others = [v for s, v in net.items() if s != start]
        return net[start] - max(others) if others else 0.0

    rows = []
    for lv in levers:
        base = lever_value(a, lv.name, book)
        if not np.isfinite(base):
            continue
        low, high = lv.swing(base)
        low, high = max(lv.bounds[0], low), min(lv.bounds[1], high)
        lead_low, lead_high = lead(with_lever(a, lv.name, low, book)), lead(with_lever(a, lv.name, high, book))
        swing = abs(lead_high - lead_low)
        if swing <= 1e-9 * max(1.0, abs(lead_low)):
            continue
        rows.append({"lever": lv.name, "label": lv.label, "unit": lv.unit, "base": base, "low": low,
                     "high": high, "lead_low": lead_low, "lead_high": lead_high,
                     "flips": bool(min(lead_low, lead_high) < 0), "swing": swing})
    columns = ["lever", "label", "unit", "base", "low", "high", "lead_low", "lead_high", "flips", "swing"]
    out = pd.DataFrame(rows, columns=columns).sort_values("swing", ascending=False, ignore_index=True)
    out.attrs.update(strategy=start, base_lead=lead(a))
    return out


Kind = Literal["ledger", "client", "preset", "default"]
PROVENANCE_WORDS: dict[str, str] = {"ledger": "from your ledger", "client": "set for this client",
                                    "preset": "industry preset", "default": "default"}


@dataclass(frozen=True)
class Provenance:
    """Where one input of the decision comes from: the ledger (with how many observations and an
    interval where there is one), a setting for this client, the client's industry preset (with its
    reason), or a default with its source."""

    key: str
    kind: Kind
    detail: str


@dataclass(frozen=True)
class CostCase:
    """Everything notebook 02 shows, as data."""

    client: str
    currency: str
    as_of: pd.Timestamp
    claims: pd.DataFrame            # overdue claims at as_of (arassess.costs.claims.CLAIM_COLUMNS): the stock
    flow: OverdueFlow | None        # invoices that became past due in the year to as_of
    book: Book                      # what the model evaluates (curve, flow, stock)
    observed: CollectionCurve | None  # the client's observed curve (None: open items)
    assumptions: Assumptions        # what was evaluated (ledger figures and the used curve filled in)
    handoff_day: float              # D of the hybrid shown (optimal, or fixed by the caller)
    optimal_day: float              # best hand-off day above the minimum age, NaN when none beats in-house
    days: dict[str, float]          # D of each distinct strategy (in_house: inf)
    handoff_curve: pd.DataFrame     # net value by D
    result: pd.DataFrame            # lines per strategy on the decision basis (flow, or stock)
    stock: pd.DataFrame             # lines per strategy on today's stock (one-off)
    strategy: str
    reason: str
    break_evens: tuple[BreakEven, ...]
    tornado: pd.DataFrame
    notes: tuple[str, ...]          # everything worth saying (input notes first)
    provenance: tuple[Provenance, ...] = ()
    fixed_day: float | None = None     # the hybrid's D held by the caller (None: optimised)
    sensitive: bool = True             # break-evens and tornado worked out (analyse(sensitivity=False): not yet)
    input_notes: tuple[str, ...] = ()  # the notes about the data passed to analyse
    configured: tuple[str, ...] = ()   # cost keys set for this client (client.yaml costs: + scenario)

    @property
    def basis(self) -> str:
        return self.book.basis

    @property
    def label(self) -> str:
        return strategy_words(self.strategy, "recommendation", self.days.get(self.strategy))

    @property
    def strategies(self) -> tuple[str, ...]:
        """The distinct strategies compared (the hybrid only when it differs from the others)."""
        return tuple(s for s in STRATEGIES if s in self.days)

    @property
    def indicative(self) -> str | None:
        """Why the decision is only indicative (it rests mainly on defaults), or None."""
        if self.observed is None:
            return ("Indicative: this export holds only the invoices open today, so there is no history to "
                    "calibrate on: the in-house curve is the survey curve and only today's overdue claims are "
                    "compared. A full ledger export (every invoice with its payments) would calibrate it.")
        if not self.observed.start_count:
            return (f"Indicative: no invoice of the ledger had fallen past due by {self.as_of:%d %B %Y}, so there "
                    "is no collection history to calibrate on; the in-house curve is the survey curve.")
        if self.book.flow is None:
            return (f"Indicative: no invoice fell past due in the year to {self.as_of:%d %B %Y}, so only today's "
                    "overdue claims are compared, not a year of collection work.")
        source = self.source("recovery_curve")
        if source is not None and source.kind == "default":
            return ("Indicative: the in-house curve is the survey default, not the client's own history.")
        age = self.decision_age
        weight = float(self.book.curve.at(age, "weight")) if source is not None and source.kind == "ledger" else 1.0
        if weight < INDICATIVE_WEIGHT:
            return (f"Indicative: few claims in the ledger reached {age:g} days past due, so the in-house curve "
                    f"there leans on the survey figures (weight of the client's data {weight:.0%}).")
        return None

    @property
    def decision_age(self) -> float:
        """The age the decision turns on: the recommended D, or for in-house the quoted age."""
        if self.strategy != "in_house":
            return float(self.days[self.strategy])
        return quote_age(self)

    def source(self, key: str) -> Provenance | None:
        return next((p for p in self.provenance if p.key == key), None)

    def summary(self) -> dict[str, object]:
        """Key figures as JSON-ready data (what tests and later notebooks read back)."""
        def num(x: float) -> float | None:
            return float(x) if x is not None and np.isfinite(x) else None

        curve = self.book.curve.table
        return {
            "client": self.client, "as_of": f"{self.as_of:%Y-%m-%d}", "currency": self.currency,
            "strategy": self.strategy, "reason": self.reason, "sentence": answer_sentence(self),
            "handoff_day": num(self.days[self.strategy]) if self.strategy != "in_house" else None,
            "optimal_handoff_day": num(self.optimal_day), "basis": self.basis,
            "indicative": self.indicative,
            "net_recovery": {s: float(self.result.loc[s, "net_recovery"]) for s in self.strategies},
            "stock_net_recovery": {s: float(self.stock.loc[s, "net_recovery"]) for s in self.strategies},
            "break_even": {b.lever: b.value for b in self.break_evens},
            "claims": len(self.claims), "overdue_balance": float(self.claims["amount"].sum()),
            "yearly_flow": ({"invoices": self.book.flow.invoices, "amount": self.book.flow.amount}
                            if self.book.flow is not None else None),
            "hours": {s: float(self.result.loc[s, "hours"]) for s in self.strategies},
            "ftes_needed": {s: float(self.result.loc[s, "ftes_needed"]) for s in self.strategies},
            "curve": [{k: num(v) if isinstance(v, float) else int(v) for k, v in row.items()}
                      for row in curve[["age", "claims", "customers", "collected", "collected_lo", "collected_hi",
                                        "written_off", "still_open", "weight", "survey", "used"]]
                      .to_dict(orient="records")],
            "provenance": {p.key: {"source": p.kind, "detail": p.detail} for p in self.provenance},
        }


def quote_age(case: CostCase) -> float:
    """For an in-house answer: :data:`QUOTE_AGE` when the ledger fully supports it (data weight 1),
    else the oldest report age at or above the minimum placement age that it fully supports (the
    minimum age when none does)."""
    d_min = float(case.assumptions.min_placement_age)
    table = case.book.curve.table
    credible = table[(table["age"] >= d_min) & (table["weight"] >= 1.0)]["age"]
    if not len(credible):
        return d_min
    return float(QUOTE_AGE) if QUOTE_AGE in set(credible) else float(credible.max())


def answer_sentence(case: CostCase) -> str:
    """The answer in one sentence with the client's numbers, e.g. "Of what reached 120 days past
    due, your team collected 82% (95% interval 66–94%, 635 claims); an agency would net about 48%
    (65% recovered, less its 25% fee)."."""
    a = case.assumptions
    age = case.decision_age
    book = case.book
    team = float(costmodel.in_house_share(book, a, age))
    agency = float(costmodel.agency_share(a, age))
    fee = float(costmodel.flow_fee_rate(book, a, np.asarray([age]))[0]) if book.flow is not None else \
        effective_fee(a, book)
    net = agency * (1 - (fee if np.isfinite(fee) else 0.0) * costmodel.commissioned(a))
    src = case.source("recovery_curve")
    if src is not None and src.kind == "ledger":
        extra = ""
        weight = float(book.curve.at(age, "weight"))
        lo, hi = float(book.curve.at(age, "collect_lo")), float(book.curve.at(age, "collect_hi"))
        if weight < 1.0:
            extra = f" (few claims reached it: blended with survey figures, your data weighing {weight:.0%})"
        elif np.isfinite(lo) and a.in_house_recovery_scale == 1.0:
            extra = f" (95% interval {lo:.0%}–{hi:.0%}, {int(book.curve.at(age, 'claims')):,} claims)"
        team_words = f"Of what reached {age:g} days past due, your team collected {team:.0%}{extra}"
    elif src is not None and src.kind == "client":
        team_words = f"At {age:g} days past due, your team collects {team:.0%} (the curve set for this client)"
    else:
        team_words = f"At {age:g} days past due, a typical in-house team collects about {team:.0%} (survey figures)"
    fee_words = f"less its {fee:.0%} fee" if np.isfinite(fee) else "no fee on nothing recovered"
    return f"{team_words}; an agency would net about {net:.0%} ({agency:.0%} recovered, {fee_words})."


def _reason(case_days: dict[str, float], net: dict[str, float], best: str, basis: str, currency: str,
            tolerance: float) -> str:
    """One sentence: the recommendation, its yearly (or one-off) net, and the lead over the runner-up."""
    others = {s: v for s, v in net.items() if s != best}
    said = strategy_words(best, "recommendation", case_days.get(best))
    period = "a year" if basis == "flow" else "today's overdue claims (one-off)"
    if basis == "stock" and all(abs(v) <= tolerance for v in net.values()):
        return (f"{strategy_words(best, 'recommendation')}: nothing is overdue at this date and there is no "
                "yearly flow to compare, so the simplest way stays.")
    if not others:
        return f"{said}: {money_text(net[best], currency)} net over {period}."
    runner = max(others, key=others.get)
    lead = net[best] - others[runner]
    versus = (f"{money_text(lead, currency)} more than {strategy_words(runner, 'short')}" if lead > tolerance
              else f"within {money_text(tolerance, currency)} of {strategy_words(runner, 'short')}, so the simpler one")
    return f"{said}: {money_text(net[best], currency)} net over {period}, {versus}."


def with_sensitivity(case: CostCase) -> CostCase:
    """``case`` with its break-evens (fee and recovery levers) and tornado worked out (each takes a
    few hundred evaluations of the model: the dashboard shows the answer first, then these)."""
    if case.sensitive:
        return case
    a, d = case.assumptions, case.fixed_day
    return dataclasses.replace(case, break_evens=tuple(break_even(case.book, a, d, lv) for lv in BREAK_EVEN_LEVERS),
                               tornado=tornado(case.book, a, d), sensitive=True)


def analyse(client: str, currency: str, as_of: pd.Timestamp, claims: pd.DataFrame, flow: OverdueFlow | None,
            book: Book, a: Assumptions, handoff_day: float | None = None, notes: tuple[str, ...] = (),
            observed: CollectionCurve | None = None, provenance: tuple[Provenance, ...] = (), *,
            sensitivity: bool = True) -> CostCase:
    """Evaluate in-house, agency (at the minimum placement age) and the hybrid (at its optimal D, or
    at ``handoff_day``); with ``sensitivity`` also the break-evens of the fee and recovery levers and
    the tornado (else later, by :func:`with_sensitivity`)."""
    tolerance = tie(book)
    net_opt, days_opt, _ = strategy_days(book, a)
    optimal = days_opt.get("hybrid", np.nan)  # only a hand-off that beats keeping everything is "best"
    if handoff_day is None:
        net, days = net_opt, days_opt
    else:
        net = net_at(book, a, float(handoff_day))
        days = {"in_house": IN_HOUSE, "agency": float(a.min_placement_age)}
        if "hybrid" in net:
            days["hybrid"] = float(handoff_day)
    best = best_strategy(net, tolerance)
    result = evaluate(book, a, days)
    stock = evaluate(book, a, days, basis="stock")
    all_notes = list(notes)
    capacity = capacity_notes(result, a, best)
    if a.collector_ftes is None:
        all_notes.append(f"No team size was given, so the team is sized to the workload: "
                         f"{result.loc[best, 'ftes_needed']:,.1f} FTE ({result.loc[best, 'hours']:,.0f} h a year) "
                         f"for the recommended strategy.")
    all_notes += [f"{strategy_words(s, 'short')}: {n}" for s, n in capacity.items() if s in days]
    if not len(claims) and book.flow is None:
        all_notes.append("No overdue invoices at this date: there is nothing to collect or place.")
    if book.exposure_note and a.relationship_cost_share > 0:
        all_notes.append(book.exposure_note)
    stock_note = _stock_note(book, a, currency, tolerance)
    if stock_note:
        all_notes.append(stock_note)
    d_fixed = None if handoff_day is None else float(handoff_day)
    shown = days.get("hybrid", optimal if np.isfinite(optimal) else float(a.min_placement_age))
    case = CostCase(
        client=client, currency=currency, as_of=as_of, claims=claims, flow=flow, book=book, observed=observed,
        assumptions=a, handoff_day=float(shown), optimal_day=float(optimal), days=days,
        handoff_curve=handoff_curve(book, a), result=result, stock=stock, strategy=best,
        reason=_reason(days, net, best, book.basis, currency, tolerance),
        break_evens=(), tornado=pd.DataFrame(), notes=tuple(all_notes), provenance=provenance,
        input_notes=tuple(notes), fixed_day=d_fixed, sensitive=False)
    return with_sensitivity(case) if sensitivity else case


def _stock_note(book: Book, a: Assumptions, currency: str, tolerance: float) -> str:
    """For a full ledger: when placing today's oldest claims now is worth more than keeping them
    (a one-off, separate from the yearly policy), say from which age and how much."""
    if book.flow is None or not len(book.stock):
        return ""
    days = candidate_days(a)
    lines = costmodel.stock_lines(book, a, np.concatenate([[IN_HOUSE], days]))
    gain = lines["net_recovery"][1:] - lines["net_recovery"][0]
    placed = lines["claims_placed"][1:] > 0
    if not (placed & (gain > tolerance)).any():
        return ""
    j = int(np.argmax(np.where(placed, gain, -np.inf)))
    return (f"Today's stock, a one-off: placing the {int(lines['claims_placed'][1 + j]):,} claims at least "
            f"{days[j]:g} days past due now would add about {money_text(gain[j], currency)} against keeping them.")


def build_book(ledger: Ledger, as_of: pd.Timestamp, a: Assumptions, claims: pd.DataFrame,
               curve: CollectionCurve, escalation: dict | None = None) -> Book:
    """The :class:`~arassess.costs.model.Book` of a client at T: yearly flow (full ledger only), today's
    stock, the relationship exposure and claim-size mix by hand-off day, the in-house ladder."""
    flow = None
    f = yearly_overdue_flow(ledger, as_of) if curve.start_count else None
    if f is not None and (f.invoices or a.yearly_overdue_invoices):
        flow = Flow(invoices=float(a.yearly_overdue_invoices if a.yearly_overdue_invoices is not None else f.invoices),
                    amount=float(a.yearly_overdue_amount if a.yearly_overdue_amount is not None else f.amount),
                    due_invoices=float(a.yearly_due_invoices if a.yearly_due_invoices is not None
                                       else yearly_due_invoices(ledger, as_of)))
    days = np.arange(0.0, costmodel.MAX_HANDOFF_DAY + 1, costmodel.HANDOFF_STEP)
    profile = reach_profile(ledger, as_of, days, tuple(a.fee_schedule.amount_from))
    ladder = tuple((s.key, int(s.offset_days)) for s in ladder_from_config(escalation, None))
    return Book(curve=curve, flow=flow, stock=Claims.from_frame(claims), days=profile.days,
                exposure=profile.exposure, size_bands=profile.size_bands, size_mix=profile.size_mix,
                ladder=ladder, exposure_note=profile.note)


def ledger_assumptions(config: ClientConfig, ledger: Ledger, date: pd.Timestamp, overrides: dict | None = None
                       ) -> tuple[Assumptions, CollectionCurve, CollectionCurve | None, list[str]]:
    """The client's assumptions (client.yaml ``costs:`` then ``overrides``) with the ledger's figures
    (yearly flow, credit sales, the in-house curve) filled in where they were not set; the curve used,
    the observed curve (None for open items) and notes."""
    given = {**config.costs, **(overrides or {})}
    a = assumptions_from_config(given)
    notes: list[str] = []
    flow = yearly_overdue_flow(ledger, date)
    sales = annual_credit_sales(ledger, date)
    fill = {}
    if a.yearly_overdue_invoices is None and flow is not None:
        fill["yearly_overdue_invoices"] = float(flow.invoices)
    if a.yearly_overdue_amount is None and flow is not None:
        fill["yearly_overdue_amount"] = float(flow.amount)
    if a.annual_credit_sales is None and sales is not None:
        fill["annual_credit_sales"] = sales
    due = yearly_due_invoices(ledger, date)
    if a.yearly_due_invoices is None and due is not None:
        fill["yearly_due_invoices"] = float(due)
    a = dataclasses.replace(a, **fill)
    observed = observed_curve(ledger, date, a.recovery_curve, fallback_days_to_cash=a.in_house_days_to_cash,
                              fallback_months_open=a.claim_months_open)
    if ledger.shape == "ledger" and date > data_end(ledger):
        end = data_end(ledger)
        notes.append(f"The ledger ends on {end:%d %B %Y}, {(date - end).days:,} days before {date:%d %B %Y}: what "
                     f"happened since is unknown, so claims open when it ended are followed only to then.")
    if observed is None:
        curve = survey_curve(a.recovery_curve, date, days_to_cash=a.in_house_days_to_cash,
                             months_open=a.claim_months_open)
    elif "recovery_curve" in given:
        client = survey_curve(a.recovery_curve, date)
        curve = dataclasses.replace(observed, collect=client.collect, weight=np.zeros_like(observed.weight),
                                    table=observed.table.assign(used=client.table["used"].to_numpy()))
        gap = _largest_gap(observed, client, a.min_placement_age)
        if gap is not None:
            notes.append(f"The in-house curve set for this client differs from what the ledger shows: at {gap[0]:g} "
                         f"days past due it says {gap[1]:.0%}, the ledger {gap[2]:.0%}. The decision uses the setting; "
                         "delete costs.recovery_curve to use the ledger.")
    else:
        curve = observed

    used = tuple((float(x), float(y)) for x, y in zip(curve.table["age"], curve.table["used"]))
    a = dataclasses.replace(a, recovery_curve=used)
    return a, curve, observed, notes


def _largest_gap(observed: CollectionCurve, client: CollectionCurve, d_min: float) -> tuple[float, float, float] | None:
    """The report age ≥ the minimum placement age where a client-set curve and the credible observed
    one differ most, if by more than 10 points."""
    t = observed.table
    ok = (t["age"] >= d_min) & (t["weight"] >= INDICATIVE_WEIGHT) & t["collected"].notna()
    if not ok.any():
        return None
    gap = (client.table["used"] - t["collected"]).abs().where(ok)
    i = int(gap.idxmax())
    if gap[i] <= 0.10:
        return None
    return float(t.loc[i, "age"]), float(client.table.loc[i, "used"]), float(t.loc[i, "collected"])


def provenance_of(a: Assumptions, given: set[str], curve: CollectionCurve, observed: CollectionCurve | None,
                  book: Book, currency: str, preset: Mapping[str, str] | None = None) -> tuple[Provenance, ...]:
    """Where each assumption comes from (see :class:`Provenance`); ``preset`` maps the keys of
    ``given`` that came from the industry preset to the preset's reason."""

    if "recovery_curve" in given:
        given = given | {"agency_recovery_curve"} if "agency_recovery_curve" not in given else given
    ledger_detail: dict[str, str] = {}
    if observed is not None and observed.start_count:
        t = observed.table.set_index("age")
        d = float(a.min_placement_age)
        row = t.loc[d] if d in t.index else t.iloc[0]
        thin = (f"; few claims: blended with the survey curve, the ledger weighing {row['weight']:.0%}"
                if row["weight"] < 1 else f"; ages with fewer than {FULL_CLAIMS} claims blend towards the survey curve")
        interval = (f" (95% interval {row['collected_lo']:.0%}–{row['collected_hi']:.0%})"
                    if np.isfinite(row["collected_lo"]) else "")
        ledger_detail["recovery_curve"] = (
            f"{observed.start_count:,} claims fell past due in the ledger; at {d:g} days {int(row['claims']):,} claims "
            f"from {int(row['customers']):,} customers, collected {row['collected']:.0%}{interval}{thin}")
        ledger_detail["in_house_days_to_cash"] = "observed time from each age to the cash (the ledger's payments)"
    if book.flow is not None:
        ledger_detail["yearly_overdue_invoices"] = f"{book.flow.invoices:,.0f} invoices fell past due in the year to T"
        ledger_detail["yearly_overdue_amount"] = (f"{money_text(book.flow.amount, currency)} open the day after "
                                                  "their due date")
        ledger_detail["yearly_due_invoices"] = f"{book.flow.due_invoices:,.0f} invoices fell due in the year to T"
    if a.annual_credit_sales is not None:
        ledger_detail["annual_credit_sales"] = "invoices dated in the year to T"
    out = []
    for f in dataclasses.fields(Assumptions):
        key = f.name
        alias = "agency_fee_schedule" if key == "fee_schedule" else key
        if key in (preset or {}):
            out.append(Provenance(key, "preset", (preset or {})[key]))
        elif key in given or alias in given:
            out.append(Provenance(key, "client", "client.yaml costs: (or the scenario)"))
        elif key in ledger_detail:
            out.append(Provenance(key, "ledger", ledger_detail[key]))
        elif key in ("yearly_overdue_invoices", "yearly_overdue_amount", "yearly_due_invoices", "annual_credit_sales"):
            out.append(Provenance(key, "default", "not in an open-items export"))
        else:
            out.append(Provenance(key, "default", SOURCES.get(key, "arassess default")))
    return tuple(out)


def cost_case(config: ClientConfig, ledger: Ledger, as_of: str | pd.Timestamp | None = None, *,
              overrides: dict | None = None, handoff_day: float | None = None) -> CostCase:
    """:func:`analyse` for a loaded client at ``as_of`` (default: the client's as-of date), with
    ``overrides`` (a saved scenario's costs) applied over client.yaml's ``costs:``."""
    date = pd.Timestamp(as_of or config.as_of or ledger.as_of).normalize()
    claims = overdue_claims(ledger, date, config.aging_edges)
    a, curve, observed, notes = ledger_assumptions(config, ledger, date, overrides)
    book = build_book(ledger, date, a, claims, curve, config.escalation)
    given = set(config.costs) | set(overrides or {})
    from_preset = ({} if config.preset is None else
                   {k: f"{config.preset.label} preset: {config.preset.reason('costs.' + k)}"
                    for k in config.preset.keys("costs") if k not in (overrides or {})})
    provenance = provenance_of(a, given, curve, observed, book, config.currency, from_preset)
    case = analyse(config.name, config.currency, date, claims, yearly_overdue_flow(ledger, date), book, a,
                   handoff_day, tuple(notes), observed, provenance)
    return dataclasses.replace(case, configured=tuple(sorted(given)))


__all__ = ["BreakEven", "CostCase", "LEVERS", "Provenance", "analyse", "with_sensitivity", "answer_sentence", "break_even",
           "build_book", "cost_case", "net_at", "provenance_of", "strategy_net", "tornado"]


def load_case(client_dir: str | Path, as_of: str | None = None, scenario: str | None = None,
              handoff_day: float | None = None,
              loaded: tuple[ClientConfig, Ledger] | None = None) -> tuple[CostCase, Scenario | None]:
    """The cost case of a client folder, with a saved scenario's costs and D applied when named
    (an explicit ``handoff_day`` wins over the scenario's)."""
    folder = resolve_client_dir(client_dir)
    config, ledger = loaded if loaded is not None else load(folder)
    chosen = load_scenario(folder, scenario) if scenario else None
    day = handoff_day if handoff_day is not None else (chosen.handoff_day if chosen else None)
    case = cost_case(config, ledger, as_of, overrides=dict(chosen.costs) if chosen else None, handoff_day=day)
    return case, chosen


def write_summary(case: CostCase, output_dir: str | Path, scenario: Scenario | None = None) -> Path:
    """``costs_summary.json`` in ``output_dir`` (never over an existing file)."""
    target = Path(output_dir) / "costs_summary.json"
    body = {**case.summary(), "scenario": scenario.name if scenario else None}
    with target.open("x", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2, default=str)
    return target
