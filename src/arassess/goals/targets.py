"""SMART goals: metric, baseline, target, deadline, owner, and a monthly glide path.

A :class:`Goal` names a registry KPI (metric), its value at the assessment date (baseline),
a target, a deadline and the owner role. Goals come in three layers, each overriding the one
before, key by key and field by field:

1. **defaults** derived from the baseline and the benchmarks (:func:`default_goals`);
2. ``client.yaml`` ``goals:`` (written by the consultant);
3. ``goals.yaml`` in the client folder (written by the goals dashboard; it wins).

Both files use the same layout (``goals.yaml`` adds ``saved_at`` and ``as_of`` for reference)::

    goals:
      dso: {target: 50, deadline: 2027-06-30, owner: Head of credit control}
      on_time_rate: {target: 60}        # a goal for a KPI without a default needs a target
      cei: {skip: true}                 # drop a default goal

Valid keys per goal: ``target`` (a number in the KPI's unit), ``deadline`` (YYYY-MM-DD, after the
assessment date), ``owner`` (a role) and ``skip`` (true/false). Every goal is validated
(:func:`validate_goal`); a problem raises :class:`ConfigError` naming the file and the key.

The glide path steps in equal parts from the baseline to the target at each month-end after the
assessment date up to the deadline (:func:`glide_path`). The cash effect of a goal
(:mod:`arassess.goals.cash`) follows docs/process.md: a DSO reduction of Δ days frees Δ × annual credit
sales / 365 of cash; its yearly value is that amount × the client's capital rate (client.yaml
``costs: borrowing_rate``, or ``wacc`` when ``capital_rate_basis: wacc``). Saving goals.yaml with
a backup of the previous file is :mod:`arassess.goals.store`; the chart is :mod:`arassess.goals.charts`;
the goal itself and its glide path are :mod:`arassess.goals.model`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from arassess.assessment.case import Assessment
from arassess.config.client import CONFIG_FILE
from arassess.display.format import unsigned_zero
from arassess.errors import ConfigError
from arassess.goals.cash import cash_effect
from arassess.goals.model import Goal, GoalSet, glide_dates
from arassess.goals.store import GOALS_FILE, read_goals_file
from arassess.kpi.benchmarks import Benchmark
from arassess.kpi.registry import KPIS
from arassess.kpi.registry import get as get_kpi

GOAL_KEYS = ("target", "deadline", "owner", "skip")
#: KPIs a goal can be set on: every registry KPI with a direction of good.
GOAL_KPIS: tuple[str, ...] = tuple(k.key for k in KPIS if k.higher_is_better is not None)

#: Default goals are proposed for these KPIs (when the data measures them), in this order.
DEFAULT_GOAL_KPIS = ("dso", "pct_over_90", "cei")
DEFAULT_HORIZON_MONTHS = 12  # default deadline: the month-end this many months after the assessment date
DSO_MARGIN_KPI = "add"  # DSO default: BPDSO + this KPI's benchmark (ADD ≤ 10 days)
MODEST_SHARE = 0.10  # a baseline that already meets its benchmark: 10% of the way to the best value
TARGET_DECIMALS = 1  # default targets are rounded to 0.1, in the direction of improvement
DEFAULT_OWNERS = {"dso": "Head of credit control", "pct_over_90": "Collections team lead",
                  "cei": "Collections team lead"}
FALLBACK_OWNER = "Head of credit control"


# --- defaults ----------------------------------------------------------------------------

def _round_better(value: float, higher_is_better: bool) -> float:
    """``value`` rounded to TARGET_DECIMALS in the direction of improvement (up if higher is better)."""
    scale = 10 ** TARGET_DECIMALS
    scaled = round(value * scale, 6)
    return (math.ceil(scaled) if higher_is_better else math.floor(scaled)) / scale


def best_possible(key: str, bpdso: float = float("nan")) -> float:
    """The best value a KPI can reach: 100 for a higher-is-better %, BPDSO for DSO (DSO ≥ BPDSO
    always, since current AR ≤ total AR), 0 otherwise; NaN when unbounded (AR turnover)."""
    kpi = get_kpi(key)
    if key == "dso" and np.isfinite(bpdso):
        return float(bpdso)
    if kpi.higher_is_better:
        return 100.0 if kpi.unit == "%" else float("nan")
    return 0.0


def default_deadline(start: pd.Timestamp, months: int = DEFAULT_HORIZON_MONTHS) -> pd.Timestamp:
    """The last month-end within ``months`` calendar months of the planning ``start``
    (2026-10-31 → 2027-10-31; 2026-12-03 → 2027-11-30): ``months`` monthly steps."""
    end = pd.Timestamp(start).normalize() + pd.DateOffset(months=months)
    return end if end.is_month_end else end - pd.offsets.MonthEnd(1)


def default_target(key: str, baseline: float, bpdso: float = float("nan"),
                   benchmarks: Mapping[str, Benchmark] | None = None) -> tuple[float, str] | None:
    """The default target of KPI ``key`` from its baseline, with the rule applied (for Goal.source).

    Rules:

    - the **rule level**: for DSO, BPDSO + the ADD benchmark (10 days: the days customers pay
      late are cut to the benchmark; BPDSO reflects the client's own terms, so a client on
      60-day terms is not held to a 45-day DSO); BPDSO unavailable: the DSO benchmark (45).
      For every other KPI: its benchmark in ``benchmarks`` (the client's: a published figure for
      its industry and region, :mod:`arassess.kpi.benchmarks`), else the registry's rule of thumb
      (% over 90 ≤ 10, CEI ≥ 80, ...).
    - baseline **worse** than the rule level: target = the rule level.
    - baseline **already meets** it: a modest improvement, MODEST_SHARE (10%) of the way from the
      baseline to the best possible value (:func:`best_possible`: 0% over 90, CEI 100, DSO =
      BPDSO); already at the best value, or no best value: **no goal** (None).

    Targets are rounded to 0.1 in the direction of improvement (never past the best value).
    None also when the baseline is NaN or the KPI has no benchmark.
    """
    kpi = get_kpi(key)
    if kpi.higher_is_better is None or not np.isfinite(baseline):
        return None
    hib = bool(kpi.higher_is_better)
    chosen = benchmarks or {}

    def bench(k: str) -> tuple[float | None, str]:
        if k in chosen:
            b = chosen[k]
            return b.value, ("" if not b.published else f" ({b.entry.label}, {b.entry.year})")
        return get_kpi(k).benchmark, ""

    if key == "dso" and np.isfinite(bpdso):
        margin = float(bench(DSO_MARGIN_KPI)[0] or 0.0)
        level, rule = bpdso + margin, f"BPDSO {bpdso:.1f} + {margin:g} days (the ADD benchmark)"
    elif (level_of := bench(key))[0] is not None:
        value, source = level_of
        level, rule = float(value), f"the benchmark {'≥' if hib else '≤'} {value:g}{source}"
    else:
        return None
    best = best_possible(key, bpdso)
    worse = baseline < level if hib else baseline > level
    if worse:
        target, text = level, f"{kpi.label} to {rule}"
    else:
        if not np.isfinite(best) or (baseline >= best if hib else baseline <= best):
            return None
        target = baseline + MODEST_SHARE * (best - baseline)
        text = (f"baseline {baseline:.1f} already meets {rule}: modest improvement, "
                f"{MODEST_SHARE:.0%} of the way to {best:.1f} (the best possible value)")
    rounded = _round_better(target, hib)
    if np.isfinite(best):
        rounded = min(rounded, best) if hib else max(rounded, best)
    return rounded, text


def _baseline(a: Assessment, key: str) -> tuple[float, str | None]:
    value = a.table.value(key, a.as_of)
    return value, (None if np.isfinite(value) else (a.table.reason(key, a.as_of) or "not available"))


def _default_goals(a: Assessment, start: pd.Timestamp | None = None) -> tuple[list[Goal], list[str]]:
    goals, notes = [], []
    deadline = default_deadline(a.as_of if start is None else start)
    bpdso = a.table.value("bpdso", a.as_of)
    for key in DEFAULT_GOAL_KPIS:
        kpi = get_kpi(key)
        baseline, reason = _baseline(a, key)
        if reason:
            notes.append(f"No default goal for {kpi.label}: {reason}.")
            continue
        proposed = default_target(key, baseline, bpdso, a.benchmarks)
        if proposed is None:
            notes.append(f"No default goal for {kpi.label}: the baseline {unsigned_zero(baseline, 1):.1f} is already the best "
                         "possible value.")
            continue
        target, rule = proposed
        goals.append(Goal(key=key, label=kpi.label, unit=kpi.unit, higher_is_better=bool(kpi.higher_is_better),
                          baseline=baseline, target=target, deadline=deadline,
                          owner=DEFAULT_OWNERS.get(key, FALLBACK_OWNER), source=f"default: {rule}"))
    return goals, notes


def default_goals(a: Assessment, start: pd.Timestamp | None = None) -> list[Goal]:
    """Default goals for DEFAULT_GOAL_KPIS (DSO, % over 90, CEI) measured in the data, each with
    the target of :func:`default_target`, the deadline of :func:`default_deadline` (12 months from
    the planning ``start``, default the assessment date) and the owner of DEFAULT_OWNERS. A KPI the
    data cannot measure (open items: no DSO or CEI) or already at its best value gets no goal."""
    return _default_goals(a, start)[0]


# --- overrides: client.yaml and goals.yaml ------------------------------------------------

def _where(path: str | Path, key: str, field: str | None = None) -> str:
    return f"{path}: 'goals.{key}" + (f".{field}'" if field else "'")


def _as_target(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a number (in the KPI's unit), got {value!r}.")
    return float(value)


def _as_deadline(value: Any, where: str) -> pd.Timestamp:
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value).normalize()
    try:
        return pd.Timestamp(dt.date.fromisoformat(str(value)))
    except ValueError:
        raise ConfigError(f"{where} must be a date written as YYYY-MM-DD, got {value!r}.") from None


def _as_owner(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must name the owner's role (e.g. 'Head of credit control'), got {value!r}.")
    return value.strip()


def parse_overrides(raw: Any, path: str | Path) -> dict[str, dict[str, Any]]:
    """Validate a ``goals:`` mapping read from ``path`` (client.yaml or goals.yaml) into
    ``{kpi key: {field: value}}`` with typed values; ConfigError naming the file and the key."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: 'goals' must be a mapping of KPI keys to goals, got {raw!r}.")
    unknown = sorted(str(k) for k in raw if k not in GOAL_KPIS)
    if unknown:
        raise ConfigError(f"{path}: unknown goal key(s) {unknown} under 'goals'; valid keys are "
                          f"{list(GOAL_KPIS)}.")
    out: dict[str, dict[str, Any]] = {}
    for key, spec in raw.items():
        spec = {} if spec is None else spec
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{_where(path, key)} must be a mapping such as "
                              f"{{target: 50, deadline: 2027-06-30, owner: Head of credit control}}, got {spec!r}.")
        bad = sorted(str(k) for k in spec if k not in GOAL_KEYS)
        if bad:
            raise ConfigError(f"{_where(path, key)}: unknown key(s) {bad}; valid keys are {list(GOAL_KEYS)}.")
        fields: dict[str, Any] = {}
        if "target" in spec:
            fields["target"] = _as_target(spec["target"], _where(path, key, "target"))
        if "deadline" in spec:
            fields["deadline"] = _as_deadline(spec["deadline"], _where(path, key, "deadline"))
        if "owner" in spec:
            fields["owner"] = _as_owner(spec["owner"], _where(path, key, "owner"))
        if "skip" in spec:
            if not isinstance(spec["skip"], bool):
                raise ConfigError(f"{_where(path, key, 'skip')} must be true or false, got {spec['skip']!r}.")
            fields["skip"] = spec["skip"]
        out[str(key)] = fields
    return out


# --- validation ----------------------------------------------------------------------------

def _origin(goal: Goal) -> str:
    return goal.source if goal.source in (CONFIG_FILE, GOALS_FILE) else "default goal"


def _baseline_texts(baseline: float, target: float, higher_is_better: bool) -> tuple[str, str]:
    """The baseline as shown in the message, and the nearest target one may type: with one decimal,
    or as many more (up to 4) as it takes for the baseline not to read like the refused target
    (a DSO of 59.26 shows as 59.3, which a user then types and sees refused). The allowed value is
    rounded towards better (down when lower is better), so typing it is accepted."""
    for decimals in range(1, 5):
        scale = 10 ** decimals
        # a hair of tolerance: 75.04 × 100 is 7504.000000000001 in floating point, not above 7504
        allowed = (np.ceil(baseline * scale - 1e-9) if higher_is_better else np.floor(baseline * scale + 1e-9)) / scale
        shown = f"{baseline:.{decimals}f}"
        if float(shown) != target or decimals == 4:
            return shown, f"{allowed:.{decimals}f}"
    raise AssertionError("unreachable")  # pragma: no cover


def validate_goal(goal: Goal, as_of: pd.Timestamp | str, origins: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError when the goal cannot stand: unknown KPI or one without a direction of good,
    a target that is not a finite number or outside the unit's range (0–100 for %, ≥ 0 otherwise),
    a deadline on or before ``as_of`` (the assessment date: "the past" for this assessment), a target
    worse than the baseline (equal is allowed: "hold the level"), or an empty owner.

    ``origins`` maps a field (target, deadline, owner) to the file that set it, for the message;
    by default the goal's source names it."""
    as_of = pd.Timestamp(as_of).normalize()

    def where(field: str) -> str:
        origin = (origins or {}).get(field, _origin(goal))
        return _where(origin, goal.key, field)

    if goal.key not in GOAL_KPIS:
        raise ConfigError(f"{_where(_origin(goal), goal.key)}: unknown goal key {goal.key!r}; valid keys are "
                          f"{list(GOAL_KPIS)}.")
    target = _as_target(goal.target, where("target"))
    if goal.unit == "%" and not 0 <= target <= 100:
        raise ConfigError(f"{where('target')} must be a percentage from 0 to 100, got {target:g}.")
    if goal.unit != "%" and target < 0:
        raise ConfigError(f"{where('target')} must be 0 or more, got {target:g}.")
    if pd.Timestamp(goal.deadline).normalize() <= as_of:
        raise ConfigError(f"{where('deadline')} is {goal.deadline:%Y-%m-%d}, which is not after the assessment "
                          f"date {as_of:%Y-%m-%d}; set a deadline after {as_of:%Y-%m-%d}.")
    if np.isfinite(goal.baseline) and goal.improvement < 0:
        direction = "higher" if goal.higher_is_better else "lower"
        side = "at or above" if goal.higher_is_better else "at or below"
        shown, allowed = _baseline_texts(goal.baseline, target, goal.higher_is_better)
        raise ConfigError(f"{where('target')} is {target:g}, worse than the baseline {shown} at "
                          f"{as_of:%Y-%m-%d} ({goal.label}: {direction} is better). Set a target {side} "
                          f"{allowed}, or remove the goal.")
    _as_owner(goal.owner, where("owner"))


# --- resolution ----------------------------------------------------------------------------

def goal_set(a: Assessment, client_dir: str | Path | None = None, *,
             keep_past_deadlines: bool = False, start: pd.Timestamp | None = None) -> GoalSet:
    """Defaults ← client.yaml ``goals:`` ← ``goals.yaml`` (see the module docstring), validated.

    A goal's ``source`` is the last layer that set any of its fields. A goal on a KPI the data
    cannot measure is skipped with a note (the same client.yaml may serve an open-items export).
    A goal without a default needs a target. ``client_dir`` defaults to the assessed folder.
    ``keep_past_deadlines`` (the monthly review): a goal whose deadline is not after the
    assessment date is kept, with a note, instead of raising; every other check still applies.
    ``start``: the planning start (:func:`arassess.goals.model.planning_start`) the default deadlines
    count from; default the assessment date."""
    folder = Path(client_dir) if client_dir is not None else a.config.root
    defaults, notes = _default_goals(a, start)
    layers: list[tuple[str, Path, dict[str, dict[str, Any]]]] = [
        (CONFIG_FILE, folder / CONFIG_FILE, parse_overrides(a.config.goals, folder / CONFIG_FILE))]
    saved = read_goals_file(folder)
    if saved is not None:
        layers.append((GOALS_FILE, folder / GOALS_FILE, parse_overrides(saved.get("goals"), folder / GOALS_FILE)))
    by_key = {g.key: g for g in defaults}
    keys = [g.key for g in defaults] + [k for k in GOAL_KPIS if k not in by_key
                                        and any(k in layer for _, _, layer in layers)]
    goals: list[Goal] = []
    for key in keys:
        kpi = get_kpi(key)
        fields: dict[str, Any] = {}
        origins: dict[str, str] = {}
        source = by_key[key].source if key in by_key else ""
        named_in = ""
        for name, path, layer in layers:
            if key in layer:
                fields.update(layer[key])
                origins.update({f: str(path) for f in layer[key]})
                source, named_in = name, str(path)
        if fields.get("skip"):
            notes.append(f"{kpi.label}: no goal (skip: true in {source}).")
            continue
        if key not in by_key and "target" not in fields:
            raise ConfigError(f"{_where(named_in, key)} needs a target: {kpi.label} has no default goal "
                              f"(valid keys: {list(GOAL_KEYS)}).")
        baseline, reason = _baseline(a, key)
        if reason:
            notes.append(f"The goal on {kpi.label} in {source} is skipped: the data cannot measure it ({reason}).")
            continue
        base = by_key.get(key) or Goal(key, kpi.label, kpi.unit, bool(kpi.higher_is_better), baseline,
                                       float("nan"), default_deadline(a.as_of if start is None else start),
                                       FALLBACK_OWNER, source)
        goal = dataclasses.replace(base, **{f: v for f, v in fields.items() if f != "skip"}, source=source)
        deadline = pd.Timestamp(goal.deadline)
        if keep_past_deadlines and deadline <= a.as_of:
            validate_goal(goal, deadline - pd.Timedelta(days=1), origins)  # every check but the deadline's
            notes.append(f"The deadline of the goal on {goal.label} ({deadline:%Y-%m-%d}, set in {source}) is not "
                         f"after the assessment date {a.as_of:%Y-%m-%d}: shown as deadline passed; set a new "
                         "deadline in the goals dashboard.")
        else:
            validate_goal(goal, a.as_of, origins)
        goals.append(goal)
    return GoalSet(tuple(goals), tuple(notes))


def resolve_goals(a: Assessment, client_dir: str | Path | None = None,
                  start: pd.Timestamp | None = None) -> list[Goal]:
    """The client's goals: defaults ← client.yaml ``goals:`` ← goals.yaml, validated
    (see :func:`goal_set`, which also returns the notes on skipped goals)."""
    return list(goal_set(a, client_dir, start=start).goals)


def goals_table(goals: Sequence[Goal], as_of: pd.Timestamp | str, annual_credit_sales: float | None,
                rate: float, **cash: Any) -> pd.DataFrame:
    """One row per goal: key, label, baseline, target, deadline, owner, months (glide-path steps),
    monthly_step ((target − baseline) / months), freed_cash, yearly_value, source, then unit and
    cash_text. ``cash``: the keyword arguments of :func:`cash_effect` (see CashBasis.kwargs)."""
    rows = []
    for g in goals:
        months = len(glide_dates(as_of, g.deadline))
        effect = cash_effect(g, annual_credit_sales, rate, **cash)
        rows.append({"key": g.key, "label": g.label, "baseline": g.baseline, "target": g.target,
                     "deadline": g.deadline, "owner": g.owner, "months": months,
                     "monthly_step": (g.target - g.baseline) / months if months else np.nan,
                     "freed_cash": np.nan if effect.freed_cash is None else effect.freed_cash,
                     "yearly_value": np.nan if effect.yearly_value is None else effect.yearly_value,
                     "source": g.source, "unit": g.unit, "cash_text": effect.text})
    columns = ["key", "label", "baseline", "target", "deadline", "owner", "months", "monthly_step",
               "freed_cash", "yearly_value", "source", "unit", "cash_text"]
    out = pd.DataFrame(rows, columns=columns)
    out["deadline"] = pd.to_datetime(out["deadline"])
    return out.astype({c: float for c in ("baseline", "target", "monthly_step", "freed_cash", "yearly_value")})


