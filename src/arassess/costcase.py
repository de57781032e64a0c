"""Notebook 02's analysis: the cost model applied to one client, with break-even and tornado.

:func:`analyse` is pure (claims + assumptions in, a :class:`CostCase` out) and fast enough to
run on every dashboard control change; :func:`cost_case` reads a client folder (and optionally
a saved scenario) first. The decision is always taken at a given hand-off day D: the optimal
one unless the caller fixes it (the dashboard's D slider).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from arassess import costmodel
from arassess.claims import OverdueFlow, annual_credit_sales, overdue_claims, yearly_overdue_flow
from arassess.config import ClientConfig
from arassess.costmodel import (
    LABELS,
    SHORT,
    STRATEGIES,
    Assumptions,
    Claims,
    assumptions_from_config,
    best_strategy,
    evaluate,
    net_by_strategy,
    net_with_optimal_handoff,
    optimal_handoff,
    recommend,
)
from arassess.ledger import Ledger

BISECTION_STEPS = 40


@dataclass(frozen=True)
class Lever:
    """An assumption the break-even and tornado move: its field, label, unit and range rule."""

    name: str
    label: str
    unit: str                                    # "pct" (share shown as %), "money", "x", "days", "h", "fte"
    bounds: tuple[float, float]                  # the widest range a break-even search covers
    swing: Callable[[float], tuple[float, float]]  # base value -> (low, high) for the tornado


def _rel(share: float) -> Callable[[float], tuple[float, float]]:
    return lambda v: (v * (1 - share), v * (1 + share))


def _abs(step: float, lo: float = 0.0, hi: float = float("inf")) -> Callable[[float], tuple[float, float]]:
    return lambda v: (max(lo, v - step), min(hi, v + step))


#: Tornado ranges: ±20-25% for money and hours, ±10 points for the fee, ±0.2 on the recovery
#: scales, ±2 points for the rate, ±5 points for the relationship share, ±1 FTE, ±50% days to cash.
LEVERS: tuple[Lever, ...] = (
    Lever("agency_fee_pct", "Agency fee", "pct", (0.0, 1.0), _abs(0.10, 0.0, 1.0)),
    Lever("agency_recovery_scale", "Agency recovery (× curve)", "x", (0.0, 3.0), _abs(0.2)),
    Lever("in_house_recovery_scale", "In-house recovery (× curve)", "x", (0.0, 3.0), _abs(0.2)),
    Lever("collector_ftes", "Collector FTEs", "fte", (0.0, 50.0), _abs(1.0)),
    Lever("collector_salary", "Collector salary", "money", (0.0, 500_000.0), _rel(0.20)),
    Lever("loaded_cost_multiplier", "Loaded-cost multiplier", "x", (1.0, 3.0), _abs(0.2, 1.0)),
    Lever("hours_per_past_due_invoice", "Hours per past-due invoice", "h", (0.0, 20.0), _rel(0.25)),
    Lever("management_per_year", "Management time per year", "money", (0.0, 1e7), _rel(0.25)),
    Lever("software_per_year", "Software per year", "money", (0.0, 1e7), _rel(0.25)),
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
        return f"{value:,.0f} {currency}".strip()
    suffix = {"days": " days", "h": " h", "fte": " FTE"}[unit]
    return f"{value:,.2f}".rstrip("0").rstrip(".") + suffix


def effective_fee(a: Assumptions, c: Claims) -> float:
    """The agency's fee as a share of what it would recover on all claims: the flat fee, or the
    (scaled) schedule's recovery-weighted average (:func:`arassess.costmodel.effective_fee`)."""
    return costmodel.effective_fee(c, a)


def lever_value(a: Assumptions, name: str, c: Claims) -> float:
    """The current value of a lever (for the fee, its effective rate: see :func:`effective_fee`)."""
    if name == "agency_fee_pct":
        return effective_fee(a, c)
    if name == "capital_rate":
        return a.capital_rate
    return float(getattr(a, name))


def with_lever(a: Assumptions, name: str, value: float, c: Claims) -> Assumptions:
    """``a`` with one lever set. The fee: a flat fee becomes ``value``; a fee schedule is kept and
    scaled so that its effective rate is ``value`` (so the lever moves continuously from the
    current schedule). The rate: the one ``capital_rate_basis`` names."""
    if name == "agency_fee_pct":
        if a.agency_fee_pct is not None:
            return dataclasses.replace(a, agency_fee_pct=float(value), agency_fee_scale=1.0)
        unscaled = effective_fee(dataclasses.replace(a, agency_fee_scale=1.0), c)
        scale = float(value) / unscaled if unscaled and np.isfinite(unscaled) else 1.0
        return dataclasses.replace(a, agency_fee_scale=min(scale, 1e6))
    if name == "capital_rate":
        name = a.capital_rate_basis
    return dataclasses.replace(a, **{name: float(value)})


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
        """E.g. 'Agency fee above 41.2% (now 25%): in-house beats hybrid.'"""
        def fmt(lever: str, value: float) -> str:
            return format_lever(lever, value, currency)

        label = LEVER[self.lever].label
        now = fmt(self.lever, self.base_value)
        if self.value is None:
            lo, hi = LEVER[self.lever].bounds
            return (f"{label}: no value from {fmt(self.lever, lo)} to {fmt(self.lever, hi)} changes the "
                    f"decision ({SHORT[self.before]}; now {now}).")
        side = "above" if self.value > self.base_value else "below"
        at = ("" if "hybrid" not in (self.before, self.after) else
              " (hybrid at its best hand-off day)" if self.handoff_day is None else
              f" (hybrid hand-off held at D = {self.handoff_day:g} days)")
        return (f"{label} {side} {fmt(self.lever, self.value)} (now {now}): "
                f"{SHORT[str(self.after)]} beats {SHORT[self.before]}{at}.")


def _net(c: Claims, a: Assumptions, d: float | None) -> dict[str, float]:
    """Net recovery per distinct strategy at hand-off day ``d``; ``None``: the hybrid at its
    optimal D (what the notebook recommends when D is not fixed)."""
    return net_with_optimal_handoff(c, a)[0] if d is None else net_by_strategy(c, a, d)


def _best(c: Claims, a: Assumptions, d: float | None) -> str:
    return best_strategy(_net(c, a, d))


def break_even(c: Claims, a: Assumptions, handoff_day: float | None, lever: str,
               grid_points: int = 41) -> BreakEven:
    """The lever value nearest to the current one at which the best strategy (at hand-off day D)
    changes: a grid over the lever's bounds finds the first change on each side, bisection
    refines it to about 1e-9 of the range. D fixed, or (``None``) re-optimised at every value;
    other assumptions held."""
    base = lever_value(a, lever, c)
    lo, hi = LEVER[lever].bounds
    if not np.isfinite(base):
        return BreakEven(lever, base, None, _best(c, a, handoff_day), None, handoff_day)
    start = _best(c, with_lever(a, lever, base, c), handoff_day)
    best_found: tuple[float, str] | None = None
    for end in (hi, lo):
        grid = np.linspace(base, end, grid_points)[1:]
        inside = base
        for value in grid:
            if _best(c, with_lever(a, lever, value, c), handoff_day) != start:
                outside = value
                for _ in range(BISECTION_STEPS):
                    mid = (inside + outside) / 2
                    if _best(c, with_lever(a, lever, mid, c), handoff_day) == start:
                        inside = mid
                    else:
                        outside = mid
                if best_found is None or abs(outside - base) < abs(best_found[0] - base):
                    best_found = (outside, _best(c, with_lever(a, lever, outside, c), handoff_day))
                break
            inside = value
    if best_found is None:
        return BreakEven(lever, base, None, start, None, handoff_day)
    return BreakEven(lever, base, best_found[0], start, best_found[1], handoff_day)


def tornado(c: Claims, a: Assumptions, handoff_day: float | None,
            levers: tuple[Lever, ...] = LEVERS) -> pd.DataFrame:
    """Each lever moved to its low and high value alone: the lead of the current recommendation
    over the best other strategy (net recovery difference; below 0 the decision flips). D fixed,
    or (``None``) the hybrid's optimal D at every value.

    Columns: lever, label, unit, low, high, lead_low, lead_high, flips, swing (= |lead_high −
    lead_low|); sorted by swing, largest first. ``attrs``: base lead and strategy."""
    start = _best(c, a, handoff_day)

    def lead(x: Assumptions) -> float:
        net = _net(c, x, handoff_day)
        return net[start] - max(v for s, v in net.items() if s != start)

    rows = []
    for lv in levers:
        base = lever_value(a, lv.name, c)
        if not np.isfinite(base):
            continue
        low, high = lv.swing(base)
        low, high = max(lv.bounds[0], low), min(lv.bounds[1], high)
        lead_low, lead_high = lead(with_lever(a, lv.name, low, c)), lead(with_lever(a, lv.name, high, c))
        rows.append({"lever": lv.name, "label": lv.label, "unit": lv.unit, "base": base, "low": low,
                     "high": high, "lead_low": lead_low, "lead_high": lead_high,
                     "flips": bool(min(lead_low, lead_high) < 0), "swing": abs(lead_high - lead_low)})
    out = pd.DataFrame(rows).sort_values("swing", ascending=False, ignore_index=True)
    out.attrs.update(strategy=start, base_lead=lead(a))
    return out


@dataclass(frozen=True)
class CostCase:
    """Everything notebook 02 shows, as data."""

    client: str
    currency: str
    as_of: pd.Timestamp
    claims: pd.DataFrame            # overdue claims at as_of (arassess.claims.CLAIM_COLUMNS)
    flow: OverdueFlow | None        # invoices that became past due in the year to as_of
    assumptions: Assumptions        # what was evaluated (ledger figures filled in)
    handoff_day: float              # D used for the hybrid
    optimal_day: float              # D maximising hybrid net recovery
    handoff_curve: pd.DataFrame     # net recovery by D
    result: pd.DataFrame            # costmodel.evaluate at handoff_day
    strategy: str
    reason: str
    break_evens: tuple[BreakEven, ...]
    tornado: pd.DataFrame
    notes: tuple[str, ...]          # everything worth saying (input notes first)
    input_notes: tuple[str, ...] = ()  # the notes about the data passed to analyse
    configured: tuple[str, ...] = ()   # cost keys set for this client (client.yaml costs: + scenario)

    @property
    def label(self) -> str:
        when = f" at {self.handoff_day:g} days past due" if self.strategy == "hybrid" else ""
        return f"{LABELS[self.strategy]}{when}"

    def summary(self) -> dict[str, object]:
        """Key figures as JSON-ready data (what tests and later notebooks read back)."""
        return {
            "client": self.client, "as_of": f"{self.as_of:%Y-%m-%d}", "currency": self.currency,
            "strategy": self.strategy, "reason": self.reason, "handoff_day": self.handoff_day,
            "optimal_handoff_day": self.optimal_day,
            "net_recovery": {s: float(self.result.loc[s, "net_recovery"]) for s in STRATEGIES},
            "break_even": {b.lever: b.value for b in self.break_evens},
            "claims": len(self.claims), "overdue_balance": float(self.claims["amount"].sum()),
        }


def ledger_assumptions(config: ClientConfig, claims: pd.DataFrame, flow: OverdueFlow | None,
                       sales: float | None, overrides: dict | None = None) -> tuple[Assumptions, list[str]]:
    """The client's assumptions (client.yaml ``costs:`` then ``overrides``), with the yearly
    overdue-invoice count and annual credit sales taken from the ledger unless given."""
    a = assumptions_from_config({**config.costs, **(overrides or {})})
    notes = []
    if a.yearly_overdue_invoices is None:
        if flow is not None:
            a = dataclasses.replace(a, yearly_overdue_invoices=float(flow.invoices))
        else:
            notes.append(f"The export holds open items only, so the yearly workload is taken as the "
                         f"{len(claims):,} overdue invoices open today (set costs.yearly_overdue_invoices "
                         f"to the real yearly count).")
    if a.annual_credit_sales is None and sales is not None:
        a = dataclasses.replace(a, annual_credit_sales=sales)
    return a, notes


def analyse(client: str, currency: str, as_of: pd.Timestamp, claims: pd.DataFrame,
            flow: OverdueFlow | None, a: Assumptions, handoff_day: float | None = None,
            notes: tuple[str, ...] = ()) -> CostCase:
    """Evaluate the three strategies at D (the optimal D when None), the break-evens of the fee
    and recovery levers, and the tornado."""
    c = Claims.from_frame(claims)
    optimal, curve = optimal_handoff(c, a)
    d = optimal if handoff_day is None else float(handoff_day)
    result = evaluate(c, a, d)
    strategy, reason = recommend(result)
    all_notes = list(notes)
    all_notes += [f"{SHORT[s]}: {n}" for s, n in result["note"].items() if n]
    if not len(c):
        all_notes.append("No overdue invoices at this date: there is nothing to collect or place.")
    return CostCase(
        client=client, currency=currency, as_of=as_of, claims=claims, flow=flow, assumptions=a,
        handoff_day=d, optimal_day=optimal, handoff_curve=curve, result=result, strategy=strategy,
        reason=reason, break_evens=tuple(break_even(c, a, handoff_day, lv) for lv in BREAK_EVEN_LEVERS),
        tornado=tornado(c, a, handoff_day), notes=tuple(all_notes), input_notes=tuple(notes))


def cost_case(config: ClientConfig, ledger: Ledger, as_of: str | pd.Timestamp | None = None, *,
              overrides: dict | None = None, handoff_day: float | None = None) -> CostCase:
    """:func:`analyse` for a loaded client at ``as_of`` (default: the client's as-of date), with
    ``overrides`` (a saved scenario's costs) applied over client.yaml's ``costs:``."""
    date = pd.Timestamp(as_of or config.as_of or ledger.as_of).normalize()
    claims = overdue_claims(ledger, date, config.aging_edges)
    flow = yearly_overdue_flow(ledger, date)
    a, notes = ledger_assumptions(config, claims, flow, annual_credit_sales(ledger, date), overrides)
    case = analyse(config.name, config.currency, date, claims, flow, a, handoff_day, tuple(notes))
    return dataclasses.replace(case, configured=tuple(sorted({*config.costs, *(overrides or {})})))


__all__ = ["BreakEven", "CostCase", "LEVERS", "analyse", "break_even", "cost_case", "tornado"]
