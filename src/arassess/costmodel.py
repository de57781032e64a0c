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
in-house, the rest placed). All functions are pure; only the loader reads a file.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from arassess.errors import ConfigError, InputError
from arassess.paths import TEMPLATES_DIR

FEE_SCHEDULE_FILE = TEMPLATES_DIR / "agency_fees.yaml"
STRATEGIES = ("in_house", "agency", "hybrid")
Curve = tuple[tuple[float, float], ...]

#: Collectable share by days past due (Commercial Law League / agency survey figures).
SURVEY_CURVE: Curve = ((0, 0.94), (90, 0.72), (180, 0.50), (365, 0.27), (730, 0.10))


@dataclass(frozen=True)
class FeeSchedule:
    """Contingency fee rate by amount band (rows) and age band (columns); lower bounds inclusive."""

    amount_from: tuple[float, ...] = (0.0, 300.0, 2000.0)
    days_from: tuple[float, ...] = (0.0, 365.0)
    fee_rates: tuple[tuple[float, ...], ...] = ((0.50, 0.50), (0.30, 0.50), (0.20, 0.50))
    source: str = "templates/agency_fees.yaml (typical US commercial agency schedules)"


_USER = "client input; the default is a neutral placeholder to replace with the client's figure"
SOURCES: dict[str, str] = {
    "recovery_curve": "Commercial Law League / commercial collection agency survey figures as quoted "
                      "by agencies: 0.94 current, ~0.72 at 90 d, ~0.50 at 180 d, ~0.27 at 1 y, ~0.10 at 2 y",
    "agency_recovery_curve": "same survey figures (they describe collectability, not who collects)",
    "fee_schedule": "templates/agency_fees.yaml: typical agency schedules, 20-35% of recovery, "
                    "~50% under $300 or over a year old, ~20% above $2,000",
    "agency_fee_pct": "flat fee override; none by default (the fee schedule applies)",
    "collector_ftes": _USER, "collector_salary": "BLS OES May 2022 mean annual wage, bill and "
                                                 "account collectors (43-3011): 42,800 USD; replace with "
                                                 "local pay",
    "loaded_cost_multiplier": "rule-of-thumb employer cost per unit of salary; " + _USER,
    "hours_per_past_due_invoice": _USER,
    "working_hours_per_fte_year": "2,080 paid hours less ~15% leave, holidays and meetings; arassess assumption",
    "software_per_year": _USER, "training_per_year": _USER, "management_per_year": _USER,
    "legal_per_year": _USER, "borrowing_rate": _USER,
    "wacc": _USER + " (kept for reporting; capital cost uses the borrowing rate)",
    "in_house_days_to_cash": "arassess assumption: recovered cash arrives ~45 days after work starts",
    "agency_days_to_cash": "arassess assumption: placement, collection and remittance take ~90 days",
    "relationship_cost_share": _USER, "gross_margin": _USER,
    "suit_share": "share of placed claims litigated; " + _USER,
    "suit_fee_per_claim": "non-contingent suit fee and court costs per litigated claim; " + _USER,
    "agency_fee_scale": "1 = the fee (schedule or flat) as given; a what-if multiplier, each rate capped at 100%",
    "in_house_recovery_scale": "1 = the curve as given; a what-if multiplier on the in-house curve",
    "agency_recovery_scale": "1 = the curve as given; a what-if multiplier on the agency curve",
    "direct_payment_share": "share of post-placement recoveries the debtor pays to the creditor "
                            "directly; " + _USER,
    "commission_on_direct_payments": "agency agreements usually owe commission on direct payments "
                                     "after placement (DESIGN.md section 6)",
    "capital_rate_basis": "which rate values cash arriving later: borrowing_rate (default) or wacc",
    "yearly_overdue_invoices": "from the ledger: invoices that became past due in the year before "
                               "the assessment date (default: the number of overdue claims)",
    "annual_credit_sales": "from the ledger: credit sales of the year before the assessment date",
}


@dataclass(frozen=True)
class Assumptions:
    """Every cost-model assumption with its default; ``SOURCES[field]`` says where it comes from."""

    recovery_curve: Curve = SURVEY_CURVE
    agency_recovery_curve: Curve = SURVEY_CURVE
    fee_schedule: FeeSchedule = field(default_factory=FeeSchedule)
    agency_fee_pct: float | None = None
    collector_ftes: float = 1.0
    collector_salary: float = 42_800.0
    loaded_cost_multiplier: float = 1.3
    hours_per_past_due_invoice: float = 0.75
    working_hours_per_fte_year: float = 1_760.0
    software_per_year: float = 0.0
    training_per_year: float = 0.0
    management_per_year: float = 0.0
    legal_per_year: float = 0.0
    borrowing_rate: float = 0.0
    wacc: float = 0.0
    in_house_days_to_cash: float = 45.0
    agency_days_to_cash: float = 90.0
    relationship_cost_share: float = 0.0
    gross_margin: float = 0.0
    suit_share: float = 0.0
    suit_fee_per_claim: float = 0.0
    agency_fee_scale: float = 1.0
    in_house_recovery_scale: float = 1.0
    agency_recovery_scale: float = 1.0
    direct_payment_share: float = 0.0
    commission_on_direct_payments: bool = True
    capital_rate_basis: str = "borrowing_rate"
    yearly_overdue_invoices: float | None = None
    annual_credit_sales: float | None = None

    @property
    def capital_rate(self) -> float:
        """The yearly rate valuing cash that arrives later (borrowing rate or WACC, never both)."""
        return self.wacc if self.capital_rate_basis == "wacc" else self.borrowing_rate


_RATES = ("agency_fee_pct", "borrowing_rate", "wacc", "relationship_cost_share", "gross_margin",
          "suit_share", "direct_payment_share")
_NONNEG = ("collector_ftes", "collector_salary", "hours_per_past_due_invoice", "software_per_year",
           "training_per_year", "management_per_year", "legal_per_year", "in_house_days_to_cash",
           "agency_days_to_cash", "suit_fee_per_claim", "yearly_overdue_invoices", "annual_credit_sales")
_SCALES = ("in_house_recovery_scale", "agency_recovery_scale", "agency_fee_scale")
CAPITAL_BASES = ("borrowing_rate", "wacc")
_FIELDS = tuple(f.name for f in dataclasses.fields(Assumptions))
_ALIASES = {"agency_fee_schedule": "fee_schedule"}


def _number(value: Any, key: str, lo: float, hi: float = float("inf"), what: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ConfigError(f"costs.{key}: got {value!r}, expected {what or f'a number from {lo} to {hi}'}")
    return float(value)


def _curve(raw: Any, key: str) -> Curve:
    """Parse ``{days: share}`` or ``[[days, share], ...]``: days >= 0 strictly increasing, share in [0, 1]."""
    pairs = list(raw.items()) if isinstance(raw, Mapping) else raw
    if not isinstance(pairs, list) or not pairs:
        raise ConfigError(f"costs.{key}: expected a mapping of days past due to collectable share")
    out: list[tuple[float, float]] = []
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ConfigError(f"costs.{key}: got {pair!r}, expected a (days, share) pair")
        days = _number(pair[0], key, 0, what="days past due >= 0 as keys")
        share = _number(pair[1], f"{key}.{pair[0]}", 0, 1, "a share from 0 to 1")
        if out and days <= out[-1][0]:
            raise ConfigError(f"costs.{key}: days {pair[0]!r} after {out[-1][0]:g}, "
                              "expected days past due in increasing order")
        out.append((days, share))
    return tuple(out)


def _fee_schedule(raw: Any, key: str) -> FeeSchedule:
    """Parse a fee table (``amount_from``, ``days_from``, ``fee_rates`` rows, optional ``source``)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{key}: expected a mapping with amount_from, days_from, fee_rates")
    bounds = []
    for name in ("amount_from", "days_from"):
        vals = raw.get(name)
        if not isinstance(vals, list) or not vals:
            raise ConfigError(f"{key}.{name}: expected a non-empty list of lower bounds")
        vals = [_number(v, f"{key}.{name}", 0, what="bounds >= 0") for v in vals]
        if any(b <= a for a, b in itertools.pairwise(vals)):
            raise ConfigError(f"{key}.{name}: got {vals}, expected strictly increasing bounds")
        bounds.append(tuple(vals))
    rows = raw.get("fee_rates")
    if not isinstance(rows, list) or len(rows) != len(bounds[0]) or any(
            not isinstance(r, list) or len(r) != len(bounds[1]) for r in rows):
        raise ConfigError(f"{key}.fee_rates: expected {len(bounds[0])} rows of {len(bounds[1])} rates")
    rates = tuple(tuple(_number(v, f"{key}.fee_rates", 0, 1, "rates from 0 to 1") for v in r)
                  for r in rows)
    return FeeSchedule(bounds[0], bounds[1], rates, str(raw.get("source", FeeSchedule.source)))


def load_fee_schedule(path: str | Path = FEE_SCHEDULE_FILE) -> FeeSchedule:
    """Read and validate a fee table file (default ``templates/agency_fees.yaml``)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the agency fee schedule ({exc})") from exc
    return _fee_schedule(raw, str(path))


def assumptions_from_config(costs: Mapping[str, Any] | None,
                            base: Assumptions | None = None) -> Assumptions:
    """Build :class:`Assumptions` from a client.yaml ``costs:`` mapping, validating every key.

    ``recovery_curve`` sets both curves unless ``agency_recovery_curve`` is also given;
    ``agency_fee_pct`` is a flat fee replacing the schedule. Raises ConfigError naming
    ``costs.<key>`` and what was expected.
    """
    costs = dict(costs or {})
    valid = sorted(set(_FIELDS) | set(_ALIASES))
    unknown = sorted(k for k in costs if _ALIASES.get(k, k) not in _FIELDS)
    if unknown:
        raise ConfigError(f"costs: unknown key(s) {', '.join(map(str, unknown))}; "
                          f"valid keys are {', '.join(valid)}")
    out: dict[str, Any] = {}
    for key, value in costs.items():
        name = _ALIASES.get(key, key)
        if name in ("recovery_curve", "agency_recovery_curve"):
            out[name] = _curve(value, key)
        elif name == "fee_schedule":
            out[name] = _fee_schedule(value, f"costs.{key}")
        elif name in ("agency_fee_pct", "yearly_overdue_invoices", "annual_credit_sales") and value is None:
            out[name] = None
        elif name == "commission_on_direct_payments":
            if not isinstance(value, bool):
                raise ConfigError(f"costs.{key}: got {value!r}, expected true or false")
            out[name] = value
        elif name == "capital_rate_basis":
            if value not in CAPITAL_BASES:
                raise ConfigError(f"costs.{key}: got {value!r}, expected one of {', '.join(CAPITAL_BASES)}")
            out[name] = value
        elif name in _SCALES:
            out[name] = _number(value, key, 0, 5, "a multiplier from 0 to 5 (1 = the curve as given)")
        elif name in _RATES:
            out[name] = _number(value, key, 0, 1, "a rate from 0 to 1 (0.25 means 25%)")
        elif name in _NONNEG:
            out[name] = _number(value, key, 0, what="a number >= 0")
        elif name == "loaded_cost_multiplier":
            out[name] = _number(value, key, 1, what="a multiplier >= 1 (1.3 = salary plus 30%)")
        else:  # working_hours_per_fte_year
            out[name] = _number(value, key, 1, 8_784, "hours per FTE-year from 1 to 8,784")
    if "recovery_curve" in out and "agency_recovery_curve" not in out:
        out["agency_recovery_curve"] = out["recovery_curve"]
    return dataclasses.replace(base or Assumptions(), **out)


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
