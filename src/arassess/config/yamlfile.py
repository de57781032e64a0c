"""The one reader of the YAML files arassess takes (client.yaml, goals.yaml, actions.yaml,
scenarios, the questionnaire, the action catalog, the agency fee schedule): the same error for a
broken file everywhere. Unknown keys are checked with :func:`arassess.errors.check_keys`. And the
one writer of the files a dashboard or a command saves into a client folder (goals.yaml,
actions.yaml): :func:`replace_with_backup`, which never loses the file it replaces."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from arassess.errors import ConfigError


def read_yaml(path: str | Path) -> Any:
    """The parsed content of ``path`` (None for an empty file). ConfigError "<path> is not valid
    YAML (line L, column C): <problem>." when it does not parse, a ConfigError naming the file when
    it is not text (a binary file); OSError when it cannot be read."""
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a text file (it does not read as UTF-8): a YAML settings file is "
                          "expected; was another file saved under this name?") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path} is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}.") from None


NEW_FILE_MODE = 0o644  # a first settings file: readable by the team, like client.yaml


def dated_backup(path: str | Path, now: dt.datetime | None = None) -> Path:
    """``<stem>.<YYYYmmdd-HHMMSS><suffix>`` beside ``path`` (``-2``, ``-3``, … if taken)."""
    path = Path(path)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate, n = path.with_name(f"{path.stem}.{stamp}{path.suffix}"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}.{stamp}-{n}{path.suffix}")
    return candidate


def replace_with_backup(path: str | Path, text: str, backup: Path | None) -> None:
    """Write ``text`` to ``path``: an existing file is first copied to ``backup`` (opened with mode
    "x": never over an earlier backup), then the new text goes to a temporary file moved into place
    atomically (the file is the old or the new one, never half-written), with the old file's
    permissions (a new file: NEW_FILE_MODE)."""
    path = Path(path)
    if path.exists():
        if backup is None:
            raise ValueError(f"{path} exists: a backup path is needed")
        with backup.open("xb") as handle:
            handle.write(path.read_bytes())
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if backup is not None and backup.exists():
            shutil.copymode(backup, tmp)  # mkstemp makes the file private
        else:
            os.chmod(tmp, NEW_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
