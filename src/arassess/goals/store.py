"""The client's goals file, ``<client>/goals.yaml``, written by the goals dashboard::

    # comments: each goal's baseline when saved and where it came from
    saved_at: 2026-11-23T14:20:00
    as_of: 2026-10-31           # the assessment date the goals were set at (informative)
    goals:                      # the same layout and checks as client.yaml's goals:
      dso: {target: 52.3, deadline: 2027-10-31, owner: Head of credit control}

Saving never loses a file: an existing goals.yaml is first copied to
``goals.<YYYYmmdd-HHMMSS>.yaml`` (opened with mode "x": never over an earlier backup), then the new
text is written to a temporary file and moved into place atomically.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
import yaml

from arassess.config.yamlfile import dated_backup, read_yaml, replace_with_backup
from arassess.errors import ConfigError, check_keys
from arassess.goals.model import Goal

GOALS_FILE = "goals.yaml"   # in the client folder, written by the goals dashboard
GOALS_FILE_KEYS = ("saved_at", "as_of", "goals")


def read_goals_file(client_dir: str | Path) -> dict[str, Any] | None:
    """The raw content of ``<client_dir>/goals.yaml`` (None when there is none); ConfigError when
    it is not valid YAML or has keys other than saved_at, as_of, goals."""
    path = Path(client_dir) / GOALS_FILE
    if not path.is_file():
        return None
    raw = read_yaml(path) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path} must be a mapping with a 'goals:' section.")
    check_keys(raw, GOALS_FILE_KEYS, path)
    return dict(raw)


def goals_yaml(goals: Iterable["Goal"], as_of: pd.Timestamp | str | None = None,
               now: dt.datetime | None = None) -> str:
    """The text of goals.yaml for ``goals`` (comments give each baseline and previous source)."""
    goals = list(goals)
    stamp = (now or dt.datetime.now()).isoformat(timespec="seconds")
    lines = ["# Goals saved by the arassess goals dashboard; they override client.yaml's goals:.",
             "# Baselines when saved (informative; the next assessment measures them again):"]
    lines += [f"#   {g.key}: {g.baseline:.1f} ({g.label}); set by {g.source}" for g in goals]
    body: dict[str, Any] = {"saved_at": stamp,
                            "as_of": None if as_of is None else f"{pd.Timestamp(as_of):%Y-%m-%d}",
                            "goals": {g.key: {"target": float(g.target),
                                              "deadline": pd.Timestamp(g.deadline).date(),
                                              "owner": g.owner} for g in goals}}
    return "\n".join(lines) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def backup_path(client_dir: str | Path, now: dt.datetime | None = None) -> Path:
    """``goals.<YYYYmmdd-HHMMSS>.yaml`` in the client folder (suffix -2, -3, ... if taken)."""
    return dated_backup(Path(client_dir) / GOALS_FILE, now)


def save_goals_with_backup(client_dir: str | Path, goals: Iterable["Goal"], *,
                           as_of: pd.Timestamp | str | None = None,
                           now: dt.datetime | None = None) -> tuple[Path, Path | None]:
    """:func:`save_goals`, also returning the backup of the previous file (None if there was none)."""
    folder = Path(client_dir)
    target = folder / GOALS_FILE
    text = goals_yaml(goals, as_of, now)
    backup = backup_path(folder, now) if target.exists() else None
    replace_with_backup(target, text, backup)
    return target, backup


def save_goals(client_dir: str | Path, goals: Iterable["Goal"], *, as_of: pd.Timestamp | str | None = None,
               now: dt.datetime | None = None) -> Path:
    """Write ``<client_dir>/goals.yaml``; an existing one is first copied to
    ``goals.<YYYYmmdd-HHMMSS>.yaml`` (nothing is lost). Returns the goals.yaml path."""
    return save_goals_with_backup(client_dir, goals, as_of=as_of, now=now)[0]


__all__ = ["GOALS_FILE", "backup_path", "goals_yaml", "read_goals_file", "save_goals", "save_goals_with_backup"]
