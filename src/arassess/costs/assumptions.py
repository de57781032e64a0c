"""The cost model's assumptions: every one with its default and source, read and validated from
a client.yaml ``costs:`` section (docs/methodology.md), and the agency fee schedule table.

Evaluation lives in :mod:`arassess.costs.model`, which re-exports these names.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from arassess.config.yamlfile import read_yaml
from arassess.errors import ConfigError
from arassess.paths import TEMPLATES_DIR

FEE_SCHEDULE_FILE = TEMPLATES_DIR / "agency_fees.yaml"
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
_EFFORT = ("arassess assumption (no published time study found): replace with the team's own "
           "time per step")

#: Collector hours per invoice at each step of the escalation ladder (arassess.config.escalation keys):
#: e-mail reminders are automated (minutes), letters take a few minutes each, the demand letter
#: and final notice include a call. Counted on every invoice that reaches the step's age.
DEFAULT_EFFORT_HOURS: tuple[tuple[str, float], ...] = (
    ("pre_due_reminder", 0.02), ("due_reminder", 0.02), ("friendly_reminder", 0.10),
    ("firm_reminder", 0.25), ("demand_letter", 0.50), ("final_notice", 0.50),
)
SOURCES: dict[str, str] = {
    "recovery_curve": "Commercial Law League / commercial collection agency survey figures as quoted "
                      "by agencies: 0.94 current, ~0.72 at 90 d, ~0.50 at 180 d, ~0.27 at 1 y, ~0.10 at 2 y",
    "agency_recovery_curve": "same survey figures (they describe collectability, not who collects)",
    "fee_schedule": "templates/agency_fees.yaml: typical agency schedules, 20-35% of recovery, "
                    "~50% under $300 or over a year old, ~20% above $2,000",
    "agency_fee_pct": "flat fee override; none by default (the fee schedule applies)",
    "collector_ftes": "the client's team, checked against the workload; without it the team is sized to "
                      "the workload (a default head count never decides)",
    "collector_salary": "BLS OES May 2022 mean annual wage, bill and "
                                                 "account collectors (43-3011): 42,800 USD; replace with "
                                                 "local pay",
    "loaded_cost_multiplier": "rule-of-thumb employer cost per unit of salary; " + _USER,
    "effort_hours": _EFFORT,
    "hours_per_claim_month": "in-house work on a claim past the last ladder step, per month it stays open "
                             "(calls, payment plans, disputes); " + _EFFORT,
    "hours_per_placement": "preparing a claim file for the agency and answering its questions; " + _EFFORT,
    "min_placement_age": "no agency takes a claim before the creditor's own reminders and demand letter "
                         "(commercial agencies' placement guidance; the ladder's demand letter is at +30)",
    "claim_months_open": "months an overdue claim kept in-house stays open where the ledger cannot tell "
                         "(no history, or few claims that old); arassess assumption",
    "working_hours_per_fte_year": "2,080 paid hours less ~15% leave, holidays and meetings; arassess assumption",
    "software_per_year": _USER, "training_per_year": _USER, "management_per_year": _USER,
    "legal_per_year": _USER, "borrowing_rate": _USER,
    "wacc": _USER + " (kept for reporting; capital cost uses the borrowing rate)",
    "in_house_days_to_cash": "fallback where the ledger cannot tell: recovered cash arrives ~45 days after "
                             "a claim's age; arassess assumption",
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
                                     "after placement (docs/methodology.md)",
    "capital_rate_basis": "which rate values cash arriving later: borrowing_rate (default) or wacc",
    "yearly_overdue_invoices": "from the ledger: invoices that became past due in the year before "
                               "the assessment date",
    "yearly_overdue_amount": "from the ledger: their open amount the day after the due date",
    "yearly_due_invoices": "from the ledger: invoices due in that year (pre-due and due-date reminders)",
    "annual_credit_sales": "from the ledger: credit sales of the year before the assessment date",
}


@dataclass(frozen=True)
class Assumptions:
    """Every cost-model assumption with its default; ``SOURCES[field]`` says where it comes from."""

    recovery_curve: Curve = SURVEY_CURVE
    agency_recovery_curve: Curve = SURVEY_CURVE
    fee_schedule: FeeSchedule = field(default_factory=FeeSchedule)
    agency_fee_pct: float | None = None
    collector_ftes: float | None = None
    collector_salary: float = 42_800.0
    loaded_cost_multiplier: float = 1.3
    effort_hours: tuple[tuple[str, float], ...] = DEFAULT_EFFORT_HOURS
    hours_per_claim_month: float = 0.5
    hours_per_placement: float = 0.5
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
    min_placement_age: float = 30.0
    claim_months_open: float = 6.0
    yearly_overdue_invoices: float | None = None
    yearly_overdue_amount: float | None = None
    yearly_due_invoices: float | None = None
    annual_credit_sales: float | None = None

    @property
    def cost_per_hour(self) -> float:
        """Loaded cost of one collector hour = salary × loaded-cost multiplier / working hours per year."""
        return self.collector_salary * self.loaded_cost_multiplier / self.working_hours_per_fte_year

    def step_hours(self, key: str) -> float:
        """Hours per invoice at the ladder step ``key`` (0 for a step without effort hours)."""
        return dict(self.effort_hours).get(key, 0.0)

    @property
    def capital_rate(self) -> float:
        """The yearly rate valuing cash that arrives later (borrowing rate or WACC, never both)."""
        return self.wacc if self.capital_rate_basis == "wacc" else self.borrowing_rate


_RATES = ("agency_fee_pct", "borrowing_rate", "wacc", "relationship_cost_share", "gross_margin",
          "suit_share", "direct_payment_share")
_NONNEG = ("collector_ftes", "collector_salary", "hours_per_claim_month", "hours_per_placement", "software_per_year",
           "training_per_year", "management_per_year", "legal_per_year", "in_house_days_to_cash",
           "agency_days_to_cash", "suit_fee_per_claim", "yearly_overdue_invoices", "yearly_overdue_amount",
           "yearly_due_invoices", "annual_credit_sales", "claim_months_open")
_OPTIONAL = ("agency_fee_pct", "collector_ftes", "yearly_overdue_invoices", "yearly_overdue_amount",
             "yearly_due_invoices", "annual_credit_sales")
#: Keys of earlier versions, with what replaced them.
_RETIRED = {"hours_per_past_due_invoice": "effort is now counted per escalation step: set costs.effort_hours "
                                          "(hours per invoice at each step, e.g. {demand_letter: 0.5}), "
                                          "costs.hours_per_claim_month and costs.hours_per_placement"}
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


def _effort(raw: Any, key: str) -> tuple[tuple[str, float], ...]:
    """Parse ``{step key: hours per invoice}`` over the default steps (steps not named keep their
    default; a step of the client's own ladder may be added)."""
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"costs.{key}: expected a mapping of escalation step to hours per invoice, "
                          f"e.g. {{demand_letter: 0.5}}; steps: {', '.join(k for k, _ in DEFAULT_EFFORT_HOURS)}")
    hours = dict(DEFAULT_EFFORT_HOURS)
    for step, value in raw.items():
        hours[str(step)] = _number(value, f"{key}.{step}", 0, 100, "hours per invoice from 0 to 100")
    return tuple(hours.items())


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
        raw = read_yaml(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the agency fee schedule ({exc.strerror})") from None
    return _fee_schedule(raw, str(path))


def assumptions_from_config(costs: Mapping[str, Any] | None,
                            base: Assumptions | None = None) -> Assumptions:
    """Build :class:`Assumptions` from a client.yaml ``costs:`` mapping, validating every key.

    ``recovery_curve`` replaces the in-house curve the ledger would give (the agency's stays the
    survey curve unless ``agency_recovery_curve`` is given); ``agency_fee_pct`` is a flat fee
    replacing the schedule. Raises ConfigError naming
    ``costs.<key>`` and what was expected.
    """
    costs = dict(costs or {})
    retired = sorted(k for k in costs if k in _RETIRED)
    if retired:
        raise ConfigError(f"costs.{retired[0]}: no longer used; {_RETIRED[retired[0]]}")
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
        elif name in _OPTIONAL and value is None:
            out[name] = None
        elif name == "effort_hours":
            out[name] = _effort(value, key)
        elif name == "min_placement_age":
            out[name] = _number(value, key, 0, 730, "days past due from 0 to 730")
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
    return dataclasses.replace(base or Assumptions(), **out)
