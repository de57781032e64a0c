"""Private temporary folders that do not outlive their process.

A run's kernel sockets, Chromium's profile and a dashboard's uploads live in folders named
``arassess-<role>-<pid>-<random>`` under the system's temporary folder. They are removed when the
work ends, when the process is stopped by SIGTERM or Ctrl-C (the CLI turns SIGTERM into an orderly
exit, so every ``with`` block closes), and — after a SIGKILL, which no process can handle — by the
next arassess process, which removes the folders whose process is gone (:func:`sweep`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Iterator

PREFIX = "arassess-"
ROLES = ("kernel", "chromium", "upload")
_NAME = re.compile(rf"^{PREFIX}({'|'.join(ROLES)})-(\d+)-")


def new_folder(role: str) -> Path:
    """A new private folder for ``role`` (one of ROLES) named with this process's id; the caller
    removes it (or :func:`sweep` does once this process is gone)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{role}-{os.getpid()}-"))


@contextlib.contextmanager
def private_folder(role: str) -> Iterator[Path]:
    """:func:`new_folder`, removed when the block ends (normally or by an exception)."""
    folder = new_folder(role)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def sweep(root: str | Path | None = None) -> list[Path]:
    """Remove the folders of arassess processes that no longer run (left by a SIGKILL); return them."""
    base = Path(root or tempfile.gettempdir())
    removed = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _NAME.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(2))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def exit_on_sigterm() -> None:
    """Make SIGTERM an orderly exit (SystemExit 143): ``with`` blocks close, temporary folders go,
    a running kernel is shut down and a Chromium child is killed by ``subprocess.run``."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


__all__ = ["PREFIX", "ROLES", "exit_on_sigterm", "new_folder", "private_folder", "sweep"]
