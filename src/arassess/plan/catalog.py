"""The action catalog (docs/process.md): improvements a client can make, read from ``templates/actions.yaml``.

Each :class:`Action` names its area (a maturity area of ``templates/questionnaire.yaml``, or
``kpi`` / ``strategy``), owner role, effort and impact (1–5), the KPIs it moves, its expected
effect, duration and prerequisites, and the **trigger** rule that selects it. The catalog file's
header comment documents every field; :func:`load_catalog` checks all of them and reports every
problem at once, each naming the file, the action id and the key.

Trigger rules (a mapping; all its rules must hold)::

    maturity_below: {area: reminders, score: 2.0}     area score < score (0–4)
    kpi_worse_than: {kpi: on_time_rate, value: 60}    KPI worse than value (registry direction)
    kpi_worse_than_benchmark: dso                     KPI worse than its registry benchmark
    strategy_in: [agency, hybrid]                     notebook 02's recommendation is one of these
    goal_on: dso  (or a list: any of them)            the client has a goal on the KPI
    always: true                                      always chosen
    any_of: [{rules}, {rules}]                        at least one rule mapping holds

The rules are evaluated by :mod:`arassess.plan.roadmap`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from arassess.assessment.maturity import load_questionnaire
from arassess.config.yamlfile import read_yaml
from arassess.costs.model import STRATEGIES
from arassess.errors import ConfigError, check_keys
from arassess.kpi.registry import KPIS
from arassess.paths import TEMPLATES_DIR

CATALOG_FILE = "actions.yaml"
EXTRA_AREAS = {"kpi": "KPI gaps", "strategy": "Collection strategy"}
SCALE = (1, 5)  # effort and impact
REQUIRED = ("id", "title", "area", "description", "owner", "effort", "impact", "kpis", "effect",
            "duration_days", "trigger")
OPTIONAL = ("depends_on",)
TOP_LEVEL = ("version", "actions")
RULES = ("maturity_below", "kpi_worse_than", "kpi_worse_than_benchmark", "strategy_in", "goal_on",
         "high_risk_customers", "late_payment_owed", "always", "any_of")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_KPI = {kpi.key: kpi for kpi in KPIS}


@dataclass(frozen=True)
class Action:
    """One catalog entry (fields as documented in ``templates/actions.yaml``)."""

    id: str
    title: str
    area: str
    description: str
    owner: str
    effort: int
    impact: int
    kpis: tuple[str, ...]
    effect: str
    duration_days: int
    depends_on: tuple[str, ...]
    trigger: Mapping[str, Any]

    @property
    def priority(self) -> float:
        """impact / effort: high impact for little effort first."""
        return self.impact / self.effort

    @property
    def quick_win(self) -> bool:
        """Effort 1 or 2 (hours to days of work)."""
        return self.effort <= 2


@functools.lru_cache(maxsize=1)
def _questionnaire() -> tuple[tuple[tuple[str, str], ...], float]:
    """The repository questionnaire's (area key, label) pairs and its scale maximum (read once)."""
    q = load_questionnaire()
    return tuple((area.key, area.label) for area in q.areas), float(q.scale_max)


def maturity_scale_max() -> float:
    """The top of the maturity scale (4 with the shipped questionnaire)."""
    return _questionnaire()[1]


def area_labels() -> dict[str, str]:
    """Area key → label: the questionnaire's maturity areas, then ``kpi`` and ``strategy``."""
    return {**dict(_questionnaire()[0]), **EXTRA_AREAS}


def area_label(key: str) -> str:
    """The label of an area key (the key itself when unknown)."""
    return area_labels().get(key, key)


# --- validation -------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kpi_keys(value: Any) -> list[str] | None:
    """A KPI key or a list of them as a list; None when the shape is wrong."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _rule_problems(name: str, value: Any, where: str, maturity_areas: Sequence[str], scale_max: float) -> list[str]:
    """What is wrong with one trigger rule (empty when valid)."""
    if name == "maturity_below":
        if not isinstance(value, Mapping) or set(value) != {"area", "score"}:
            return [f"'{where}' must be {{area: <maturity area>, score: <number>}}, got {value!r}"]
        problems = []
        if value["area"] not in maturity_areas:
            problems.append(f"'{where}.area': unknown maturity area {value['area']!r}; "
                            f"valid areas are {list(maturity_areas)}")
        if not _is_number(value["score"]) or not 0 < value["score"] <= scale_max:
            problems.append(f"'{where}.score' must be a number above 0 and at most {scale_max:g}, "
                            f"got {value['score']!r}")
        return problems
    if name == "kpi_worse_than":
        if not isinstance(value, Mapping) or set(value) != {"kpi", "value"}:
            return [f"'{where}' must be {{kpi: <KPI key>, value: <number>}}, got {value!r}"]
        problems = _directed_kpi(value["kpi"], f"{where}.kpi", benchmark=False)
        if not _is_number(value["value"]):
            problems.append(f"'{where}.value' must be a number, got {value['value']!r}")
        return problems
    if name == "kpi_worse_than_benchmark":
        return _directed_kpi(value, where, benchmark=True)
    if name == "strategy_in":
        if not isinstance(value, list) or not value or any(v not in STRATEGIES for v in value):
            return [f"'{where}' must be a list of strategies from {list(STRATEGIES)}, got {value!r}"]
        return []
    if name == "goal_on":
        keys = _kpi_keys(value)
        if keys is None:
            return [f"'{where}' must be a KPI key or a list of KPI keys, got {value!r}"]
        return [f"'{where}': unknown KPI {k!r}; valid keys are {list(_KPI)}" for k in keys if k not in _KPI]
    if name == "high_risk_customers":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return [f"'{where}' must be a whole number of customers ≥ 1, got {value!r}"]
        return []
    if name == "late_payment_owed":
        if isinstance(value, bool) or not _is_number(value) or value < 0:
            return [f"'{where}' must be an amount ≥ 0 in the client's currency, got {value!r}"]
        return []
    if name == "always":
        return [] if value is True else [f"'{where}' must be true, got {value!r}"]
    if name == "any_of":
        if not isinstance(value, list) or not value:
            return [f"'{where}' must be a non-empty list of rule mappings, got {value!r}"]
        return [p for i, sub in enumerate(value)
                for p in trigger_problems(sub, f"{where}[{i}]", maturity_areas, scale_max)]
    return [f"'{where}': unknown rule; valid rules are {list(RULES)}"]


def _directed_kpi(key: Any, where: str, benchmark: bool) -> list[str]:
    """A KPI key that has a direction (and a benchmark when ``benchmark``)."""
    if not isinstance(key, str) or key not in _KPI:
        return [f"'{where}': unknown KPI {key!r}; valid keys are {list(_KPI)}"]
    kpi = _KPI[key]
    if kpi.higher_is_better is None:
        return [f"'{where}': KPI {key!r} has no better direction, so it cannot be 'worse'"]
    if benchmark and kpi.benchmark is None:
        with_benchmark = [k.key for k in KPIS if k.benchmark is not None]
        return [f"'{where}': KPI {key!r} has no benchmark in the registry; KPIs with one: {with_benchmark}"]
    return []


def trigger_problems(trigger: Any, where: str, maturity_areas: Sequence[str], scale_max: float = 4.0) -> list[str]:
    """Every problem of a trigger mapping (unknown rule, bad area/KPI/strategy, bad value)."""
    if not isinstance(trigger, Mapping) or not trigger:
        return [f"'{where}' must be a non-empty mapping of rules ({', '.join(RULES)}), got {trigger!r}"]
    problems = []
    for name, value in trigger.items():
        if name not in RULES:
            problems.append(f"'{where}.{name}': unknown rule; valid rules are {list(RULES)}")
        else:
            problems.extend(_rule_problems(name, value, f"{where}.{name}", maturity_areas, scale_max))
    return problems


def _text_problem(raw: Mapping, key: str) -> list[str]:
    value = raw.get(key)
    return [] if isinstance(value, str) and value.strip() else [f"'{key}' must be a non-empty text, got {value!r}"]


def _scale_problem(raw: Mapping, key: str, lo: int, hi: int | None) -> list[str]:
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= lo and (hi is None or value <= hi):
        return []
    expected = f"{lo}–{hi}" if hi is not None else f"≥ {lo}"
    return [f"'{key}' must be a whole number {expected}, got {value!r}"]


def _id_list(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def action_problems(raw: Any, areas: Sequence[str], maturity_areas: Sequence[str],
                    scale_max: float = 4.0) -> list[str]:
    """Every problem of one raw catalog entry, key by key (without cross-action checks):
    ``areas`` are the valid values of ``area``, ``maturity_areas`` those of ``maturity_below``."""
    if not isinstance(raw, Mapping):
        return [f"must be a mapping with {', '.join(REQUIRED)}, got {raw!r}"]
    problems = []
    unknown = [k for k in raw if k not in REQUIRED + OPTIONAL]
    if unknown:
        problems.append(f"unknown key(s) {unknown}; valid keys are {list(REQUIRED + OPTIONAL)}")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        problems.append(f"missing key(s) {missing}")
    for key in ("title", "description", "owner", "effect"):
        if key in raw:
            problems += _text_problem(raw, key)
    if "area" in raw and raw["area"] not in areas:
        problems.append(f"'area': unknown area {raw['area']!r}; valid areas are {list(areas)}")
    for key in ("effort", "impact"):
        if key in raw:
            problems += _scale_problem(raw, key, *SCALE)
    if "duration_days" in raw:
        problems += _scale_problem(raw, "duration_days", 1, None)
    if "kpis" in raw:
        kpis = raw["kpis"]
        if not isinstance(kpis, list) or not all(isinstance(k, str) for k in kpis):
            problems.append(f"'kpis' must be a list of KPI keys (may be empty), got {kpis!r}")
        else:
            problems += [f"'kpis': unknown KPI {k!r}; valid keys are {list(_KPI)}" for k in kpis if k not in _KPI]
    if _id_list(raw.get("depends_on")) is None:
        problems.append(f"'depends_on' must be a list of action ids, got {raw.get('depends_on')!r}")
    if "trigger" in raw:
        problems += trigger_problems(raw["trigger"], "trigger", maturity_areas, scale_max)
    return problems


def dependency_cycle(depends: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One dependency cycle as a path (first id repeated at the end), or None when acyclic.

    Depth-first search with the usual three colours; ``depends`` maps id → prerequisite ids
    (ids missing from the mapping are treated as having no prerequisites).
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in depends.get(node, ()):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in depends:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _action(raw: Mapping) -> Action:
    return Action(
        id=raw["id"], title=raw["title"].strip(), area=raw["area"],
        description=" ".join(raw["description"].split()), owner=raw["owner"].strip(),
        effort=raw["effort"], impact=raw["impact"], kpis=tuple(raw["kpis"]), effect=raw["effect"].strip(),
        duration_days=raw["duration_days"], depends_on=tuple(raw.get("depends_on") or ()),
        trigger=raw["trigger"],
    )


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"Action catalog {path} does not exist (the default is templates/{CATALOG_FILE}).")
    return read_yaml(path)


def load_catalog(path: str | Path = TEMPLATES_DIR / CATALOG_FILE, *,
                 maturity_areas: Sequence[str] | None = None) -> tuple[Action, ...]:
    """Read and validate an action catalog; the actions in file order.

    ``maturity_areas``: the area keys ``maturity_below`` may name (default: the areas of the
    repository's questionnaire); an action's ``area`` is one of them, ``kpi`` or ``strategy``.

    One :class:`ConfigError` lists every problem, each naming the file, the action id (or its
    position when the id is unusable) and the key: unknown or missing keys, empty texts,
    effort/impact outside 1–5, duration not a whole number ≥ 1, unknown area, unknown KPI keys,
    bad trigger rules, duplicate ids, unknown dependency ids; a dependency cycle is reported
    once the entries themselves are valid.
    """
    path = Path(path)
    raw = _read_yaml(path)
    maturity = list(maturity_areas) if maturity_areas is not None else [key for key, _ in _questionnaire()[0]]
    valid_areas = maturity + list(EXTRA_AREAS)
    scale_max = maturity_scale_max()
    if not isinstance(raw, Mapping) or not isinstance(raw.get("actions"), list) or not raw["actions"]:
        raise ConfigError(f"{path}: must be a mapping with 'version' and a non-empty list 'actions'.")
    check_keys(raw, TOP_LEVEL, path)
    problems: list[str] = []
    ids: list[str] = []
    for i, entry in enumerate(raw["actions"]):
        aid = entry.get("id") if isinstance(entry, Mapping) else None
        if isinstance(aid, str) and ID_PATTERN.match(aid):
            label = f"action {aid!r}"
            if aid in ids:
                problems.append(f"{label}: duplicate id (ids must be unique)")
            ids.append(aid)
        else:
            label = f"action #{i + 1}"
            problems.append(f"{label}: 'id' must be lower-case letters, digits and _, starting with a letter, "
                            f"got {aid!r}")
        problems += [f"{label}: {p}" for p in action_problems(entry, valid_areas, maturity, scale_max)]
    known = set(ids)
    for entry in raw["actions"]:
        deps = _id_list(entry.get("depends_on")) if isinstance(entry, Mapping) else None
        for dep in deps or ():
            if dep not in known:
                problems.append(f"action {entry.get('id')!r}: 'depends_on': unknown action id {dep!r}")
    if problems:
        raise ConfigError(f"{path}: invalid action catalog:\n" + "\n".join(f"- {p}" for p in problems))
    actions = tuple(_action(entry) for entry in raw["actions"])
    cycle = dependency_cycle({a.id: a.depends_on for a in actions})
    if cycle:
        raise ConfigError(f"{path}: invalid action catalog: dependency cycle {' → '.join(cycle)} "
                          f"(action {cycle[0]!r}, 'depends_on').")
    return actions


__all__ = ["Action", "CATALOG_FILE", "area_label", "area_labels", "dependency_cycle", "load_catalog",
           "maturity_scale_max", "trigger_problems"]
