"""In-house vs agency collection cost model (DESIGN.md section 6).

Input contract — ``claims``: one row per overdue claim (the overdue invoices open at the
assessment date, see :mod:`arassess.claims`), columns ``amount`` (open balance, >= 0) and
``days_past_due`` (age today, >= 0); optionally ``customer_id`` with ``customer_annual_sales``
(the customer's credit sales over the last year) to value the relationship cost by customer.

The model covers one year of collection work: recoveries on the overdue stock, the team's
yearly cost, and a workload of ``yearly_overdue_invoices`` (the invoices that became past due
in the last year) for the capacity check.

Three strategies are compared: ``in_house`` (every claim worked by the team), ``agency``
(every claim placed on contingency) and ``hybrid`` (claims with days_past_due < D worked
in-house, the rest placed). All functions are pure. The assumptions, their defaults, sources
and validation are in :mod:`arassess.costassumptions` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from arassess.costassumptions import (
    CAPITAL_BASES,
    FEE_SCHEDULE_FILE,
    SOURCES,
    SURVEY_CURVE,
    Assumptions,
    Curve,
    FeeSchedule,
    assumptions_from_config,
    load_fee_schedule,
)
from arassess.errors import InputError

STRATEGIES = ("in_house", "agency", "hybrid")


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


def in_house_fixed_cost(a: Assumptions) -> float:
    """Yearly team cost = FTEs × salary × loaded multiplier + software + training + management + legal."""
    return (a.collector_ftes * a.collector_salary * a.loaded_cost_multiplier + a.software_per_year
            + a.training_per_year + a.management_per_year + a.legal_per_year)


@dataclass(frozen=True)
class Claims:
    """A claims table as arrays, prepared once for many evaluations (the dashboard, D search)."""

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


def _prepared(claims: "pd.DataFrame | Claims") -> Claims:
    return claims if isinstance(claims, Claims) else Claims.from_frame(claims)


def _share(curve: Curve, scale: float, days: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, scale * recovery_share(curve, days))


def fee_rates(c: Claims, a: Assumptions) -> np.ndarray:
    """Contingency fee rate of every claim: the flat fee or the schedule's band, × fee scale,
    capped at 100%."""
    rate = (np.full(len(c), a.agency_fee_pct) if a.agency_fee_pct is not None
            else agency_fee_rate(a.fee_schedule, c.amount, c.days_past_due))
    return np.minimum(1.0, rate * a.agency_fee_scale)


def effective_fee(c: Claims, a: Assumptions) -> float:
    """The fee as a share of what the agency would recover on all claims (recovery-weighted mean
    of :func:`fee_rates`); the flat rate when nothing would be recovered and a flat fee is set."""
    rec = c.amount * _share(a.agency_recovery_curve, a.agency_recovery_scale, c.days_past_due)
    gross = float(rec.sum())
    if gross:
        return float((fee_rates(c, a) * rec).sum()) / gross
    return min(1.0, a.agency_fee_pct * a.agency_fee_scale) if a.agency_fee_pct is not None else float("nan")


def _split(c: Claims, a: Assumptions, in_house: np.ndarray) -> dict[str, Any]:
    """Money lines for one assignment of claims (True = worked in-house, False = placed).

    - in-house gross = Σ amount × min(1, scale × in-house curve share) × capacity ratio, where
      capacity ratio = min(1, FTEs × working hours / hours needed) and hours needed = hours per
      past-due invoice × yearly overdue invoices × (claims in-house / all claims);
      the team's yearly cost applies when at least one claim is worked in-house.
    - agency gross = Σ amount × min(1, scale × agency curve share) over placed claims; fee = Σ
      min(1, fee rate × fee scale) × recovered (nothing recovered, no fee), less the direct-payment share when no
      commission is owed on direct payments; suit costs = suit share × placed claims × suit fee.
    - relationship cost = relationship share × gross margin × yearly sales of the customers with a
      placed claim (placed amount when customer sales are not known).
    - capital cost = ΔDSO × annual credit sales / 365 × rate with ΔDSO = Σ recovered × days to
      cash / annual credit sales, i.e. Σ recovered × days to cash / 365 × rate per channel.
    - net = gross − fees − suit − team − capital − relationship.
    """
    amount, dpd = c.amount, c.days_past_due
    placed = ~in_house
    n_in, n_placed = int(in_house.sum()), int(placed.sum())
    flow = a.yearly_overdue_invoices if a.yearly_overdue_invoices is not None else len(c)
    need = a.hours_per_past_due_invoice * flow * (n_in / len(c) if len(c) else 0.0)
    have = a.collector_ftes * a.working_hours_per_fte_year
    ratio = 1.0 if need <= have else have / need
    rec_in = float((amount * _share(a.recovery_curve, a.in_house_recovery_scale, dpd))[in_house].sum()) * ratio
    rec_ag_each = (amount * _share(a.agency_recovery_curve, a.agency_recovery_scale, dpd))[placed]
    rate = fee_rates(c, a)[placed]
    commissioned = 1.0 if a.commission_on_direct_payments else 1.0 - a.direct_payment_share
    rec_ag = float(rec_ag_each.sum())
    if c.customer is not None and c.customer_sales is not None:
        hit = np.bincount(c.customer[placed], minlength=len(c.customer_sales)) > 0
        exposed = float(c.customer_sales[hit].sum())
    else:
        exposed = float(amount[placed].sum())
    carried = rec_in * a.in_house_days_to_cash + rec_ag * a.agency_days_to_cash
    lines = {
        "balance": float(amount.sum()),
        "claims_in_house": n_in, "claims_placed": n_placed,
        "in_house_recovery": rec_in, "agency_recovery": rec_ag,
        "gross_recovery": rec_in + rec_ag,
        "agency_fees": float((rate * rec_ag_each).sum()) * commissioned,
        "suit_costs": a.suit_share * n_placed * a.suit_fee_per_claim,
        "in_house_costs": in_house_fixed_cost(a) if n_in else 0.0,
        "capital_cost": a.capital_rate * carried / 365.0,
        "relationship_cost": a.relationship_cost_share * a.gross_margin * exposed,
        "delta_dso": carried / a.annual_credit_sales if a.annual_credit_sales else np.nan,
        "hours_needed": float(need), "hours_available": float(have), "capacity_ratio": ratio,
        "capacity_short": bool(ratio < 1.0),
        "note": (f"in-house team short of capacity: {need:,.0f} h needed, {have:,.0f} h available, "
                 f"in-house recovery scaled to {ratio:.0%}") if ratio < 1.0 else "",
    }
    costs = sum(lines[k] for k in COST_LINES)
    lines["total_costs"] = costs
    lines["net_recovery"] = lines["gross_recovery"] - costs
    lines["cost_per_unit_collected"] = costs / lines["gross_recovery"] if lines["gross_recovery"] else np.nan
    return lines


COST_LINES = ("agency_fees", "suit_costs", "in_house_costs", "capital_cost", "relationship_cost")


def strategy_masks(c: Claims, handoff_day: float) -> dict[str, np.ndarray]:
    """Which claims each strategy works in-house: all, none, or those younger than D days."""
    return {"in_house": np.ones(len(c), bool), "agency": np.zeros(len(c), bool),
            "hybrid": c.days_past_due < handoff_day}


def evaluate(claims: "pd.DataFrame | Claims", a: Assumptions, handoff_day: float) -> pd.DataFrame:
    """Money lines of each strategy, one row per strategy (index ``in_house``, ``agency``, ``hybrid``).

    Hybrid: claims with ``days_past_due < handoff_day`` in-house, the rest placed. Formulas in
    :func:`_split`; ``cost_per_unit_collected`` = total costs / gross recovery (NaN if nothing
    is recovered). ``attrs['handoff_day']`` records D.
    """
    c = _prepared(claims)
    out = pd.DataFrame({s: _split(c, a, m) for s, m in strategy_masks(c, handoff_day).items()}).T
    out.index.name = "strategy"
    out = out.infer_objects()
    out.attrs["handoff_day"] = float(handoff_day)
    return out


def hybrid_is_distinct(c: Claims, handoff_day: float) -> bool:
    """A hybrid is a third option only when it keeps some claims and places others."""
    n_in = int((c.days_past_due < handoff_day).sum())
    return 0 < n_in < len(c)


def net_by_strategy(c: Claims, a: Assumptions, handoff_day: float) -> dict[str, float]:
    """Net recovery of each distinct strategy (the hybrid left out when it equals another)."""
    masks = strategy_masks(c, handoff_day)
    if not hybrid_is_distinct(c, handoff_day):
        del masks["hybrid"]
    return {s: _split(c, a, m)["net_recovery"] for s, m in masks.items()}


#: The earliest hand-off day considered: agencies take claims after the creditor's own
#: reminders (the escalation ladder places no claim before 30 days past due either).
MIN_HANDOFF_DAY = 30
#: Hand-off days searched by default: every 15 days from MIN_HANDOFF_DAY up to two years.
HANDOFF_CANDIDATES: tuple[float, ...] = tuple(float(d) for d in range(MIN_HANDOFF_DAY, 731, 15))


def handoff_curve(claims: "pd.DataFrame | Claims", a: Assumptions, days: Iterable[float]) -> pd.DataFrame:
    """:func:`hybrid_lines` as a table: columns handoff_day, claims_in_house, gross_recovery,
    total_costs, net_recovery."""
    d = np.asarray(list(days), dtype=float)
    k, gross, costs = hybrid_lines(_prepared(claims), a, d)
    return pd.DataFrame({"handoff_day": d, "claims_in_house": k, "gross_recovery": gross,
                         "total_costs": costs, "net_recovery": gross - costs})


def hybrid_lines(c: Claims, a: Assumptions, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hybrid money lines at every hand-off day in ``days`` in one vectorized pass; row by row the
    same numbers as :func:`_split` with mask ``days_past_due < D``.

    Claims sorted by age make every hybrid a prefix (in-house) and a suffix (placed): recoveries,
    fees and counts are prefix sums read at k(D) = #claims younger than D; a customer is placed
    when its oldest claim is at least D days past due, so the relationship exposure is a suffix
    sum over customers sorted by their oldest claim.
    Returns (claims in-house, gross recovery, total costs), one value per day in ``d``.
    """
    order = np.argsort(c.days_past_due, kind="stable")
    dpd, amount = c.days_past_due[order], c.amount[order]
    n = len(dpd)
    k = np.searchsorted(dpd, d, side="left")  # claims in-house at each D
    zero = np.zeros(1)
    rec_in_each = amount * _share(a.recovery_curve, a.in_house_recovery_scale, dpd)
    rec_ag_each = amount * _share(a.agency_recovery_curve, a.agency_recovery_scale, dpd)
    rate = fee_rates(c, a)[order]
    commissioned = 1.0 if a.commission_on_direct_payments else 1.0 - a.direct_payment_share
    pre_in = np.concatenate([zero, np.cumsum(rec_in_each)])
    pre_ag = np.concatenate([zero, np.cumsum(rec_ag_each)])
    pre_fee = np.concatenate([zero, np.cumsum(rate * rec_ag_each)])
    flow = a.yearly_overdue_invoices if a.yearly_overdue_invoices is not None else n
    need = a.hours_per_past_due_invoice * flow * (k / n if n else np.zeros_like(d))
    have = a.collector_ftes * a.working_hours_per_fte_year
    ratio = np.ones_like(need, dtype=float)
    np.divide(have, need, out=ratio, where=need > have)
    rec_in = pre_in[k] * ratio
    rec_ag = pre_ag[n] - pre_ag[k]
    fees = (pre_fee[n] - pre_fee[k]) * commissioned
    suit = a.suit_share * (n - k) * a.suit_fee_per_claim
    team = np.where(k > 0, in_house_fixed_cost(a), 0.0)
    capital = a.capital_rate * (rec_in * a.in_house_days_to_cash + rec_ag * a.agency_days_to_cash) / 365.0
    if c.customer is not None and c.customer_sales is not None:
        oldest = np.full(len(c.customer_sales), -np.inf)
        np.maximum.at(oldest, c.customer, c.days_past_due)
        by_age = np.argsort(oldest, kind="stable")
        suffix = np.concatenate([np.cumsum(c.customer_sales[by_age][::-1])[::-1], zero])
        exposed = suffix[np.searchsorted(oldest[by_age], d, side="left")]
    else:
        pre_amount = np.concatenate([zero, np.cumsum(amount)])
        exposed = pre_amount[n] - pre_amount[k]
    relationship = a.relationship_cost_share * a.gross_margin * exposed
    return k, rec_in + rec_ag, fees + suit + team + capital + relationship


def optimal_handoff(claims: "pd.DataFrame | Claims", a: Assumptions,
                    candidates: Iterable[float] = HANDOFF_CANDIDATES) -> tuple[float, pd.DataFrame]:
    """Hand-off day D maximising hybrid net recovery; ties go to the earliest D.

    Returns ``(best_day, curve)`` with curve columns handoff_day, claims_in_house,
    gross_recovery, total_costs, net_recovery (one row per candidate, in the order given).
    """
    curve = handoff_curve(claims, a, candidates)
    if not len(curve):
        raise ValueError("optimal_handoff: expected at least one candidate hand-off day")
    return float(curve.loc[curve["net_recovery"].idxmax(), "handoff_day"]), curve


def net_with_optimal_handoff(c: Claims, a: Assumptions,
                             candidates: Iterable[float] = HANDOFF_CANDIDATES) -> tuple[dict[str, float], float]:
    """Net recovery of in-house (no claim placed), agency (every claim placed) and, when one of
    the candidate days keeps some claims and places others, the hybrid at its best such D;
    with that D (NaN when there is no distinct hybrid)."""
    days = np.asarray([-np.inf, np.inf, *candidates], dtype=float)
    k, gross, costs = hybrid_lines(c, a, days)
    values = gross - costs
    net = {"agency": float(values[0]), "in_house": float(values[1])}
    inner = np.flatnonzero((k[2:] > 0) & (k[2:] < len(c))) + 2
    if not len(inner):
        return net, np.nan
    best = inner[np.argmax(values[inner])]  # the first maximum: ties go to the earliest D
    net["hybrid"] = float(values[best])
    return net, float(days[best])


LABELS = {"in_house": "Keep collections in-house", "agency": "Place overdue claims with an agency",
          "hybrid": "Work claims in-house, then hand off to an agency"}
SHORT = {"in_house": "in-house", "agency": "agency", "hybrid": "hybrid"}
#: Net recoveries closer than this (currency units) count as a tie; ties go to the simpler strategy.
TIE = 0.5


def best_strategy(net: Mapping[str, float]) -> str:
    """The strategy with the highest net recovery; within :data:`TIE` of it, the first of
    in-house, agency, hybrid present in ``net``."""
    top = max(net.values())
    return next(s for s in STRATEGIES if s in net and net[s] >= top - TIE)


def recommend(result: pd.DataFrame) -> tuple[str, str]:
    """Recommended strategy of an :func:`evaluate` result, and a one-sentence reason. A hybrid
    that keeps every claim, or places every claim, is not a third option and is left out."""
    net = result["net_recovery"].astype(float)
    kept = int(result.loc["hybrid", "claims_in_house"])
    if not 0 < kept < kept + int(result.loc["hybrid", "claims_placed"]):
        net = net.drop("hybrid")
    best = best_strategy(net.to_dict())
    others = net.drop(best)
    runner = str(others.idxmax())
    when = f" at {result.attrs['handoff_day']:g} days past due" if best == "hybrid" else ""
    short = " (the in-house team lacks capacity)" if bool(result.loc[best, "capacity_short"]) else ""
    lead = net[best] - others.max()
    versus = f"{lead:,.0f} more than {SHORT[runner]}" if lead > TIE else f"the same as {SHORT[runner]}"
    reason = f"{LABELS[best]}{when}: net recovery of {net[best]:,.0f}, {versus}{short}."
    return best, reason


__all__ = ["CAPITAL_BASES", "FEE_SCHEDULE_FILE", "HANDOFF_CANDIDATES", "LABELS", "MIN_HANDOFF_DAY", "SHORT",
           "SOURCES", "STRATEGIES", "SURVEY_CURVE", "Assumptions", "Claims", "FeeSchedule", "agency_fee_rate",
           "assumptions_from_config", "best_strategy", "effective_fee", "evaluate", "fee_rates", "handoff_curve",
           "hybrid_is_distinct", "hybrid_lines", "in_house_fixed_cost", "load_fee_schedule", "net_by_strategy",
           "net_with_optimal_handoff", "optimal_handoff", "recommend", "recovery_share", "strategy_masks"]
