"""The action plan (docs/process.md): which catalog actions a client needs, in which order, by when.

Three steps, each a pure function:

1. :func:`plan_context` reduces the assessment (maturity scores, KPI values at as-of), the cost
   case (recommended strategy and hand-off day D) and the goals to a :class:`PlanContext`.
2. :func:`choose_actions` evaluates every catalog action's trigger against the context (rules in
   :mod:`arassess.plan.catalog`) and adds, transitively, the actions the chosen ones depend on. Each
   chosen action carries a reason that cites the numbers behind it ("Reminder cadence and
   channels scored 1.5 of 4 (below 2.0)"; "DSO (period) is 59.3 days, worse than the benchmark
   45.0 days"; "Recommended strategy: hybrid, hand-off at 120 days past due"); an action pulled in
   only as a prerequisite says "Needed before: <titles>".
3. :func:`schedule` dates and ranks them::

       priority = impact / effort                       (both 1–5)
       start    = as_of + 1 day                         (no prerequisites)
                = latest prerequisite's due + 1 day     (otherwise; so start > every dependency's due)
       due      = start + duration_days

   Rows are sorted by start, then priority (highest first); equal priorities put quick wins
   (effort ≤ 2) first, then the higher impact, then catalog order.

:func:`action_plan` runs the three steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from arassess.assessment.case import Assessment
from arassess.config.escalation import handoff_day_of
from arassess.costs.case import CostCase
from arassess.costs.words import STRATEGY_WORDS, strategy_words
from arassess.display.format import format_value
from arassess.errors import ArgumentError
from arassess.goals.model import Goal
from arassess.kpi.registry import KPIS
from arassess.plan.catalog import Action, area_label, area_labels, load_catalog, maturity_scale_max

ONE_DAY = pd.Timedelta(days=1)
PLAN_COLUMNS = ["id", "title", "area", "area_label", "owner", "effort", "impact", "priority", "quick_win",
                "reason", "start", "due", "duration_days", "depends_on", "kpis", "effect"]
REASON_SEPARATOR = "; "
_KPI = {kpi.key: kpi for kpi in KPIS}


@dataclass(frozen=True)
class PlanContext:
    """What the triggers look at.

    ``maturity``: area → score 0–4 (an area missing = not assessed); ``kpis``: registry key →
    value at as-of (NaN = unavailable); ``strategy``: "in_house" | "agency" | "hybrid" | None;
    ``handoff_day``: days past due at which claims go to the agency (None for in-house);
    ``goals``: KPI keys that have a goal; ``currency``: for money values in reasons;
    ``high_risk``: the customers in late-payment risk band "high" as (name, score, open amount,
    share of it already more than the threshold late), largest expected late amount first (empty
    when risk scores are unavailable).
    """

    as_of: pd.Timestamp
    maturity: Mapping[str, float]
    kpis: Mapping[str, float]
    strategy: str | None
    handoff_day: float | None
    goals: tuple[str, ...]
    currency: str = ""
    high_risk: tuple[tuple[str, float, float, float], ...] = ()
    benchmarks: Mapping[str, float] = field(default_factory=dict)  # KPI → the client's benchmark (scorecard)
    owed: tuple[float, float, int, str] | None = None  # (interest, fixed sums, invoices, law); None: no law
                                                       # set, or the client's terms already charge it


def plan_context(a: Assessment, case: CostCase | None, goals: Sequence[Goal]) -> PlanContext:
    """The plan's view of an assessment, its cost case and its goals.

    Maturity: the scored areas (unanswered areas left out). KPIs: the scorecard values at as-of.
    Hand-off day: the cost case's D for a hybrid, 0 for all-agency (every overdue claim is placed,
    as in the cost model), None for in-house or without a cost case. Goals: each goal's ``key``
    (duplicates once). High risk: ``a.risk.high_risk()`` (fits the risk model if not yet done).
    """
    maturity: dict[str, float] = {}
    if a.maturity is not None:
        scores = a.maturity.areas["score"].astype(float)
        maturity = {str(area): float(score) for area, score in scores.dropna().items()}
    kpis = dict(zip(a.scorecard["key"].astype(str), a.scorecard["value"].astype(float)))
    strategy = case.strategy if case is not None else None
    handoff = None if case is None else handoff_day_of(case)
    high = a.risk.high_risk()
    high_risk = tuple(zip(high["customer_name"].astype(str), high["score"].astype(float),
                          high["open_amount"].astype(float), high["already_late_share"].astype(float))
                      ) if a.risk.available else ()
    e = a.entitlement
    owed = ((e.interest, e.fixed, e.late_invoices, e.regime.law)
            if e.available and not a.config.legal.charges_interest else None)
    return PlanContext(as_of=pd.Timestamp(a.as_of).normalize(), maturity=maturity, kpis=kpis,
                       strategy=strategy, handoff_day=handoff,
                       goals=tuple(dict.fromkeys(str(g.key) for g in goals)), currency=a.currency,
                       high_risk=high_risk, owed=owed,
                       benchmarks={str(k): float(v) for k, v in zip(a.scorecard["key"], a.scorecard["benchmark"])
                                   if pd.notna(v)})


# --- triggers ---------------------------------------------------------------------------

def _score_text(score: float) -> str:
    """A maturity score with one or two decimals: 1.5, 0.75, 2.0."""
    text = f"{score:.2f}"
    return text[:-1] if text.endswith("0") else text


def _value_text(key: str, value: float, currency: str) -> str:
    return format_value(float(value), _KPI[key].unit, currency)


def _worse(key: str, value: float, threshold: float) -> bool:
    """value is worse than threshold in the KPI's direction (strictly); NaN is never worse."""
    if value is None or math.isnan(value):
        return False
    return value < threshold if _KPI[key].higher_is_better else value > threshold


def _maturity_below(rule: Mapping[str, Any], ctx: PlanContext) -> list[str] | None:
    area, threshold = rule["area"], float(rule["score"])
    score = ctx.maturity.get(area)
    if score is None or math.isnan(score) or not score < threshold:
        return None
    return [f"{area_label(area)} scored {_score_text(score)} of {maturity_scale_max():g} "
            f"(below {threshold:.1f})"]


def _kpi_rule(key: str, threshold: float, what: str, ctx: PlanContext) -> list[str] | None:
    value = ctx.kpis.get(key, math.nan)
    if not _worse(key, value, threshold):
        return None
    return [f"{_KPI[key].label} is {_value_text(key, value, ctx.currency)}, worse than {what} "
            f"{_value_text(key, threshold, ctx.currency)}"]


def _strategy_text(ctx: PlanContext) -> str:
    short = strategy_words(ctx.strategy, "short") if ctx.strategy in STRATEGY_WORDS else ctx.strategy
    text = f"Recommended strategy: {short}"
    if ctx.strategy == "agency" and ctx.handoff_day is not None:
        return f"{text}, every overdue claim placed (from {ctx.handoff_day:g} days past due)"
    if ctx.handoff_day is not None:
        return f"{text}, hand-off at {ctx.handoff_day:g} days past due"
    return f"{text} (no agency hand-off)" if ctx.strategy == "in_house" else text


def _goal_texts(keys: Iterable[str], ctx: PlanContext) -> list[str] | None:
    held = [k for k in keys if k in ctx.goals]
    if not held:
        return None
    texts = []
    for key in held:
        value = ctx.kpis.get(key, math.nan)
        now = "" if value is None or math.isnan(value) else f" (now {_value_text(key, value, ctx.currency)})"
        texts.append(f"A goal is set on {_KPI[key].label}{now}")
    return texts


HIGH_RISK_NAMED = 5  # customers named in the reason of a high-risk rule


def _high_risk_text(minimum: int, ctx: PlanContext) -> list[str] | None:
    """'3 customers at high late-payment risk: A (score 81%, 12,300 EUR open), ...': first those whose
    open balance is mostly (≥ half) not yet more than the threshold late — a review can still protect
    new sales — then the others, each group in the given order; at most HIGH_RISK_NAMED named."""
    customers = ctx.high_risk
    if len(customers) < minimum:
        return None
    early = [c for c in customers if c[3] < 0.5]
    ordered = early + [c for c in customers if c[3] >= 0.5]
    named = ", ".join(f"{name} (score {score:.0%}, {format_value(amount, 'currency', ctx.currency)} open)"
                      for name, score, amount, _ in ordered[:HIGH_RISK_NAMED])
    more = f" and {len(customers) - HIGH_RISK_NAMED} more" if len(customers) > HIGH_RISK_NAMED else ""
    count = f"{len(customers)} customer{'' if len(customers) == 1 else 's'}"
    lead = (f"; the {len(early)} whose balance is mostly not yet late come{'s' if len(early) == 1 else ''} first, "
            f"as a review can still protect new sales" if early and len(early) < len(customers) else "")
    return [f"{count} at high late-payment risk{lead}: {named}{more}"]


def _owed_text(minimum: float, ctx: PlanContext) -> list[str] | None:
    """'Late payers owed 381,696 EUR in the last 12 months under <law> (… interest, … fixed sums on N
    invoices)' when at least ``minimum`` was owed and the terms do not charge it yet."""
    if ctx.owed is None or ctx.owed[0] + ctx.owed[1] < max(float(minimum), 0.01):
        return None
    interest, fixed, invoices, law = ctx.owed
    money = lambda v: format_value(v, "currency", ctx.currency)  # noqa: E731
    return [f"Late payers owed {money(interest + fixed)} in the last 12 months under {law} ({money(interest)} "
            f"interest, {money(fixed)} fixed sums on {invoices:,} invoices), and the terms do not charge it"]


def rule_reasons(name: str, value: Any, ctx: PlanContext) -> list[str] | None:
    """The reasons one trigger rule holds, or None when it does not (rules: :mod:`arassess.plan.catalog`)."""
    if name == "maturity_below":
        return _maturity_below(value, ctx)
    if name == "kpi_worse_than":
        return _kpi_rule(value["kpi"], float(value["value"]), "the threshold", ctx)
    if name == "kpi_worse_than_benchmark":
        return _kpi_rule(value, float(ctx.benchmarks.get(value, _KPI[value].benchmark)), "the benchmark", ctx)
    if name == "strategy_in":
        return [_strategy_text(ctx)] if ctx.strategy in value else None
    if name == "goal_on":
        return _goal_texts([value] if isinstance(value, str) else value, ctx)
    if name == "high_risk_customers":
        return _high_risk_text(int(value), ctx)
    if name == "late_payment_owed":
        return _owed_text(float(value), ctx)
    if name == "always":
        return ["Part of every plan"] if value is True else None
    if name == "any_of":
        held = [r for r in (trigger_reasons(sub, ctx) for sub in value) if r is not None]
        return [text for r in held for text in r] if held else None
    raise ArgumentError(f"unknown trigger rule {name!r}")


def trigger_reasons(trigger: Mapping[str, Any], ctx: PlanContext) -> list[str] | None:
    """The reasons a trigger holds (every rule must hold), or None when it does not."""
    reasons: list[str] = []
    for name, value in trigger.items():
        found = rule_reasons(name, value, ctx)
        if found is None:
            return None
        reasons.extend(found)
    return list(dict.fromkeys(reasons))


# --- choosing and scheduling ------------------------------------------------------------

def choose_actions(ctx: PlanContext, catalog: Sequence[Action]) -> list[tuple[Action, str]]:
    """(action, reason) for every action whose trigger holds, plus (transitively) every action
    they depend on, in catalog order. The reason cites the numbers behind the trigger; an action
    chosen only as a prerequisite has "Needed before: <dependent titles>"."""
    by_id = {a.id: a for a in catalog}
    triggered = {a.id: r for a in catalog if (r := trigger_reasons(a.trigger, ctx)) is not None}
    needed_by: dict[str, list[str]] = {}
    chosen, stack = set(triggered), list(triggered)
    while stack:
        aid = stack.pop()
        for dep in by_id[aid].depends_on:
            if dep not in by_id:
                raise ArgumentError(f"action {aid!r} depends on {dep!r}, which is not in the catalog")
            needed_by.setdefault(dep, []).append(aid)
            if dep not in chosen:
                chosen.add(dep)
                stack.append(dep)
    out = []
    for action in catalog:
        if action.id not in chosen:
            continue
        if action.id in triggered:
            reason = REASON_SEPARATOR.join(triggered[action.id])
        else:
            dependents = [a.title for a in catalog if a.id in set(needed_by[action.id])]
            reason = "Needed before: " + REASON_SEPARATOR.join(dependents)
        out.append((action, reason))
    return out


def due_dates(actions: Sequence[Action], as_of: pd.Timestamp) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """id → (start, due) by the rule in the module docstring; ValueError for a prerequisite that
    is not among ``actions`` or a dependency cycle."""
    by_id = {a.id: a for a in actions}
    dates: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
    visiting: set[str] = set()

    def visit(action: Action) -> pd.Timestamp:
        if action.id in dates:
            return dates[action.id][1]
        if action.id in visiting:
            raise ArgumentError(f"dependency cycle through action {action.id!r}")
        visiting.add(action.id)
        missing = [d for d in action.depends_on if d not in by_id]
        if missing:
            raise ArgumentError(f"action {action.id!r} depends on {missing}, which are not in the plan; "
                             f"schedule the result of choose_actions (it adds prerequisites)")
        start = max((visit(by_id[d]) for d in action.depends_on), default=as_of) + ONE_DAY
        dates[action.id] = (start, start + pd.Timedelta(days=action.duration_days))
        visiting.discard(action.id)
        return dates[action.id][1]

    for action in actions:
        visit(action)
    return dates


def schedule(chosen: Sequence[tuple[Action, str]], as_of: pd.Timestamp | str) -> pd.DataFrame:
    """The plan table: one row per chosen action, dated and ranked (rules in the module docstring).

    Columns: id, title, area, area_label, owner, effort, impact, priority (= impact / effort),
    quick_win (effort ≤ 2), reason, start, due, duration_days, depends_on and kpis (ids/keys
    joined by ", "), effect. Sorted by start, priority (desc), quick wins first, impact (desc),
    catalog order.
    """
    date = pd.Timestamp(as_of).normalize()
    actions = [action for action, _ in chosen]
    dates = due_dates(actions, date)
    rows = [{"id": a.id, "title": a.title, "area": a.area, "area_label": area_label(a.area), "owner": a.owner,
             "effort": a.effort, "impact": a.impact, "priority": a.priority, "quick_win": a.quick_win,
             "reason": reason, "start": dates[a.id][0], "due": dates[a.id][1], "duration_days": a.duration_days,
             "depends_on": ", ".join(a.depends_on), "kpis": ", ".join(a.kpis), "effect": a.effect, "order": i}
            for i, (a, reason) in enumerate(chosen)]
    if not rows:
        empty = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("start", "due") else object)
                              for c in PLAN_COLUMNS})
        return empty
    frame = pd.DataFrame(rows).sort_values(["start", "priority", "quick_win", "impact", "order"],
                                           ascending=[True, False, False, False, True], kind="stable")
    return frame.drop(columns="order").reset_index(drop=True)[PLAN_COLUMNS]


def action_plan(a: Assessment, case: CostCase | None, goals: Sequence[Goal],
                catalog: Sequence[Action] | None = None, *,
                planned_on: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """The scheduled plan of an assessment (default catalog: ``templates/actions.yaml``).

    Actions are scheduled from ``planned_on`` (the day the plan is made; default the as-of date):
    the first ones start the day after. A report made weeks after its data date must not hand
    the client tasks that are already overdue."""
    ctx = plan_context(a, case, goals)
    base = ctx.as_of if planned_on is None else max(ctx.as_of, pd.Timestamp(planned_on).normalize())
    return schedule(choose_actions(ctx, load_catalog() if catalog is None else catalog), base)


def actions_by_area(plan: pd.DataFrame) -> pd.Series:
    """Number of planned actions per area label (areas in catalog-area order, empty ones left out)."""
    order = [label for label in area_labels().values() if label in set(plan["area_label"])]
    return plan["area_label"].value_counts().reindex(order).astype(int).rename("actions")


__all__ = ["PlanContext", "action_plan", "actions_by_area", "choose_actions", "plan_context",
           "schedule", "trigger_reasons"]
