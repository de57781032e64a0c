"""Private temporary folders that do not outlive their process.

A run's kernel sockets, Chromium's profile and a dashboard's uploads live in folders named
``arassess-<role>-<pid>-<random>`` under the system's temporary folder (under /tmp when that
folder's path is too long for a kernel's socket paths). They are removed when the
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


#: Where a folder goes when the temporary folder's path is too long for what it will hold (a
#: kernel's IPC socket path must fit in 107 bytes on Linux).
SHORT_BASE = Path("/tmp")
#: The longest path of a Unix socket on Linux (sun_path, without its terminating zero byte).
SOCKET_PATH_MAX = 107
#: The longest folder path a kernel's sockets fit under ("<folder>/kernel-<n>" within SOCKET_PATH_MAX).
SOCKET_FOLDER_MAX = 90


def base_for(max_length: int | None = None) -> Path:
    """The system's temporary folder, or :data:`SHORT_BASE` when a new folder in it (its name is
    about 30 characters) would be longer than ``max_length`` and SHORT_BASE can be written."""
    base = Path(tempfile.gettempdir())
    if max_length is not None and len(str(base)) + 32 > max_length and os.access(SHORT_BASE, os.W_OK | os.X_OK):
        return SHORT_BASE
    return base


def new_folder(role: str, max_length: int | None = None) -> Path:
    """A new private folder for ``role`` (one of ROLES) named with this process's id, its path at most
    about ``max_length`` characters where that can be had (:func:`base_for`); the caller removes it
    (or :func:`sweep` does once this process is gone)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{role}-{os.getpid()}-", dir=base_for(max_length)))


@contextlib.contextmanager
def private_folder(role: str, max_length: int | None = None) -> Iterator[Path]:
    """:func:`new_folder`, removed when the block ends (normally or by an exception)."""
    folder = new_folder(role, max_length)
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
    """Remove the folders of arassess processes that no longer run (left by a SIGKILL) from ``root``
    (default: the temporary folder and, when that is another, :data:`SHORT_BASE`); return them."""
    bases = [Path(root)] if root else list(dict.fromkeys([Path(tempfile.gettempdir()), SHORT_BASE]))
    entries: list[Path] = []
    for base in bases:
        try:
            entries += list(base.iterdir())
        except OSError:
            continue
    removed = []
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


__all__ = ["PREFIX", "ROLES", "SHORT_BASE", "SOCKET_FOLDER_MAX", "SOCKET_PATH_MAX", "base_for", "exit_on_sigterm",
           "new_folder",
           "private_folder", "sweep"]
