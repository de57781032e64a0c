"""Named what-if scenarios of the cost model, saved next to the client's config.

A scenario is ``<client>/scenarios/<name>.yaml``::

    name: high-fee
    saved_at: 2026-11-23T14:20:00
    as_of: 2026-10-31           # the assessment date it was made at (informative)
    handoff_day: 120            # D for the hybrid; null = the optimal D
    costs:                      # overrides of client.yaml's costs section (same keys, same checks)
      agency_fee_pct: 0.35
      collector_ftes: 2.0

Saving never replaces an existing scenario: it raises :class:`ScenarioExistsError` unless the
caller says ``overwrite=True``. Loading validates the costs exactly like client.yaml's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from arassess.config.yamlfile import read_yaml
from arassess.costs.model import assumptions_from_config
from arassess.errors import ConfigError, ScenarioExistsError

SCENARIO_DIR = "scenarios"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Scenario:
    name: str
    costs: Mapping[str, Any] = field(default_factory=dict)
    handoff_day: float | None = None
    as_of: str | None = None


def check_name(name: str) -> str:
    """A scenario name: letters, digits, ``_ . -``, up to 64 characters, not starting with a dot."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ConfigError(f"scenario name {name!r}: expected letters, digits, '_', '.' or '-' "
                          "(up to 64, starting with a letter or digit)")
    return name


def scenario_path(client_dir: str | Path, name: str) -> Path:
    return Path(client_dir) / SCENARIO_DIR / f"{check_name(name)}.yaml"


def list_scenarios(client_dir: str | Path) -> list[str]:
    """Names of the scenarios saved for a client, sorted."""
    folder = Path(client_dir) / SCENARIO_DIR
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def save_scenario(client_dir: str | Path, scenario: Scenario, *, overwrite: bool = False,
                  now: dt.datetime | None = None) -> Path:
    """Write ``scenario`` (its costs validated first); never over an existing file unless
    ``overwrite``. Returns the file written."""
    assumptions_from_config(scenario.costs)  # a bad value fails here, not at the next run
    target = scenario_path(client_dir, scenario.name)
    body = {"name": scenario.name, "saved_at": (now or dt.datetime.now()).isoformat(timespec="seconds"),
            "as_of": scenario.as_of, "handoff_day": scenario.handoff_day, "costs": dict(scenario.costs)}
    text = ("# Cost-model scenario saved by arassess; re-run it with\n"
            f"#   arassess run costs {Path(client_dir)} --scenario {scenario.name}\n"
            + yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("w" if overwrite else "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise ScenarioExistsError(f"scenario {scenario.name!r} already exists at {target}; "
                                  "choose another name") from None
    return target


def load_scenario(client_dir: str | Path, name: str) -> Scenario:
    """Read and validate a saved scenario; ConfigError naming the file and key when it is bad."""
    path = scenario_path(client_dir, name)
    if not path.is_file():
        known = ", ".join(list_scenarios(client_dir)) or "none saved yet"
        raise ConfigError(f"{path}: no such scenario (saved scenarios: {known})")
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with costs and handoff_day")
    costs = raw.get("costs") or {}
    if not isinstance(costs, dict):
        raise ConfigError(f"{path}: costs: expected a mapping of cost-model keys")
    try:
        assumptions_from_config(costs)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    day = raw.get("handoff_day")
    if day is not None and (isinstance(day, bool) or not isinstance(day, (int, float)) or day < 0):
        raise ConfigError(f"{path}: handoff_day: got {day!r}, expected days past due >= 0 or null")
    return Scenario(name=name, costs=costs, handoff_day=None if day is None else float(day),
                    as_of=None if raw.get("as_of") is None else str(raw.get("as_of")))
