"""The client's action log, ``<client>/actions.yaml``: what became of each action of the plan::

    # The status of the plan's actions (ids as in the action plan); edit by hand or with
    # `arassess action CLIENT ID --status done`.
    saved_at: 2026-11-23T14:20:00
    actions:
      clean_contact_data: {status: done, date: 2026-11-20}
      agency_selection: {status: dropped, date: 2026-11-15, note: Board keeps collections in-house}

A status is one of planned, started, done, dropped; ``date`` is when it became so (needed for all
but planned); a dropped action needs its reason in ``note``. Every save first copies the file to
``actions.<YYYYmmdd-HHMMSS>.yaml`` (:func:`arassess.config.yamlfile.replace_with_backup`), so nothing
is lost. The monthly review reads it: done and dropped actions leave the "late" list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from arassess.config.yamlfile import dated_backup, read_yaml, replace_with_backup
from arassess.errors import ConfigError, check_keys

ACTIONS_FILE = "actions.yaml"
FILE_KEYS = ("saved_at", "actions")
ENTRY_KEYS = ("status", "date", "note")
STATUSES = ("planned", "started", "done", "dropped")
CLOSED = ("done", "dropped")  # an action in one of these is no longer due


@dataclass(frozen=True)
class ActionStatus:
    """What became of one action."""
    status: str
    date: pd.Timestamp | None
    note: str = ""


def _entry(path: Path, action: str, raw: Any) -> ActionStatus:
    """One action's entry, checked: ConfigError naming the file, the action and the key."""
    where = f"{path}: actions.{action}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a mapping like {{status: done, date: 2026-11-20}}, got {raw!r}.")
    check_keys(raw, ENTRY_KEYS, path, f"actions.{action}")
    status = raw.get("status")
    if status not in STATUSES:
        raise ConfigError(f"{where}.status must be one of {', '.join(STATUSES)}, got {status!r}.")
    date = raw.get("date")
    if date is None and status != "planned":
        raise ConfigError(f"{where}.date is needed for status {status!r} (the day it became so, YYYY-MM-DD).")
    try:
        day = None if date is None else pd.Timestamp(date).normalize()
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.date must be a date YYYY-MM-DD, got {date!r}.") from None
    note = "" if raw.get("note") is None else str(raw.get("note")).strip()
    if status == "dropped" and not note:
        raise ConfigError(f"{where}.note must give the reason an action was dropped.")
    return ActionStatus(status, day, note)


def read_action_log(client_dir: str | Path) -> dict[str, ActionStatus]:
    """The action log of the client folder (empty when there is no actions.yaml), checked."""
    path = Path(client_dir) / ACTIONS_FILE
    if not path.is_file():
        return {}
    raw = read_yaml(path) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path} must be a mapping with an 'actions:' section.")
    check_keys(raw, FILE_KEYS, path)
    actions = raw.get("actions") or {}
    if not isinstance(actions, Mapping):
        raise ConfigError(f"{path}: actions must map each action id to its status, got {type(actions).__name__}.")
    return {str(action): _entry(path, str(action), entry) for action, entry in actions.items()}


def action_log_yaml(log: Mapping[str, ActionStatus], now: dt.datetime | None = None) -> str:
    """The text of actions.yaml for ``log``."""
    body = {"saved_at": (now or dt.datetime.now()).isoformat(timespec="seconds"),
            "actions": {action: {"status": s.status,
                                 **({"date": s.date.date()} if s.date is not None else {}),
                                 **({"note": s.note} if s.note else {})} for action, s in sorted(log.items())}}
    head = ("# The status of the plan's actions (ids as in the action plan); edit by hand or with\n"
            "# `arassess action CLIENT ID --status done`. Statuses: planned, started, done, dropped.\n")
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def save_action_status(client_dir: str | Path, action: str, status: str, date: Any = None, note: str = "",
                       now: dt.datetime | None = None) -> tuple[Path, Path | None]:
    """Set ``action``'s status in the client's actions.yaml (the previous file kept as a dated
    backup); returns (actions.yaml, backup or None). ConfigError for a status the log refuses."""
    folder = Path(client_dir)
    target = folder / ACTIONS_FILE
    log = read_action_log(folder)
    when = date if date is not None else (None if status == "planned" else (now or dt.datetime.now()).date())
    entry = {"status": status, "date": when, "note": note or None}
    log[action] = _entry(target, action, entry)
    backup = dated_backup(target, now) if target.exists() else None
    replace_with_backup(target, action_log_yaml(log, now), backup)
    return target, backup


__all__ = ["ACTIONS_FILE", "ActionStatus", "CLOSED", "STATUSES", "action_log_yaml", "read_action_log",
           "save_action_status"]
