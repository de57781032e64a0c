"""Scheduling the monthly batch: a ready crontab line and a systemd service + timer pair.

Both run the same shell command, once a month (default: 06:00 on the 2nd), for the month
that has just ended::

    cd WORKSPACE && mkdir -p logs && \\
      PATH=VENV/bin:/usr/local/bin:/usr/bin:/bin VIRTUAL_ENV=VENV \\
      VENV/bin/arassess batch WORKSPACE --month $(date -d 'last month' +%Y-%m) \\
      >> WORKSPACE/logs/arassess-batch.log 2>&1

- The environment is the virtual environment arassess runs from (its ``bin/arassess``, and
  its ``bin`` first on PATH, as ``activate`` would set it): cron and systemd start jobs with
  an almost empty environment.
- Paths are absolute (cron and systemd do not start in your folder) and shell-quoted.
- ``date -d 'last month'`` (GNU date) is the previous month on any day from the 1st to the
  28th, so the run day must be one of those.
- Output and errors are appended to ``WORKSPACE/logs/arassess-batch.log``; the command exits
  1 when any client failed, which cron mails to the crontab's owner (if mail is set up) and
  systemd shows as a failed unit (``systemctl --user status arassess-batch``).

Escaping: in a crontab an unescaped ``%`` ends the command (the rest becomes its stdin), so
every ``%`` is written ``\\%``. In a systemd unit ``%`` starts a specifier and ``$`` an
environment variable, so they are written ``%%`` and ``$$``.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from arassess.errors import ArgumentError

LOG_DIR = "logs"
LOG_FILE = "arassess-batch.log"
UNIT_NAME = "arassess-batch"
DEFAULT_DAY, DEFAULT_HOUR, DEFAULT_MINUTE = 2, 6, 0
PREVIOUS_MONTH = "$(date -d 'last month' +%Y-%m)"   # GNU date; right on days 1-28
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def venv_arassess() -> Path:
    """The ``arassess`` script of the environment this Python runs in (``sys.prefix/bin``),
    not resolved through symlinks (a venv's python links to the system one)."""
    return Path(sys.prefix).absolute() / "bin" / "arassess"


def log_path(workspace: str | Path) -> Path:
    """Where scheduled runs append their output: ``WORKSPACE/logs/arassess-batch.log`` (absolute)."""
    return Path(workspace).absolute() / LOG_DIR / LOG_FILE


def _check_time(day: int, hour: int, minute: int) -> None:
    """ValueError unless 1 <= day <= 28 (so 'last month' is right), 0 <= hour < 24, 0 <= minute < 60."""
    if not 1 <= day <= 28:
        raise ArgumentError(f"day must be 1-28 (every month has it, and date's 'last month' is then "
                         f"the previous month), got {day}")
    if not 0 <= hour <= 23:
        raise ArgumentError(f"hour must be 0-23, got {hour}")
    if not 0 <= minute <= 59:
        raise ArgumentError(f"minute must be 0-59, got {minute}")


def batch_command(workspace: str | Path, *, arassess: str | Path | None = None, workers: int | None = None,
                  scheduler: str | None = None) -> str:
    """The shell command (sh) a scheduled run executes: in the workspace, with the
    environment's ``bin`` first on PATH, ``arassess batch WORKSPACE --month <last month>``,
    output appended to the log. Unescaped: cron and systemd each need their own escaping."""
    ws = Path(workspace).absolute()
    exe = Path(arassess).absolute() if arassess is not None else venv_arassess()
    venv = exe.parent.parent
    q = shlex.quote
    args = [q(str(exe)), "batch", q(str(ws)), "--month", PREVIOUS_MONTH]
    if workers is not None:
        args += ["--workers", str(int(workers))]
    if scheduler:
        args += ["--scheduler", q(scheduler)]
    env = f"PATH={q(str(venv / 'bin'))}:{SYSTEM_PATH} VIRTUAL_ENV={q(str(venv))}"
    return (f"cd {q(str(ws))} && mkdir -p {LOG_DIR} && {env} {' '.join(args)} "
            f">> {q(str(log_path(ws)))} 2>&1")


def crontab_line(workspace: str | Path, *, arassess: str | Path | None = None, day: int = DEFAULT_DAY,
                 hour: int = DEFAULT_HOUR, minute: int = DEFAULT_MINUTE, workers: int | None = None,
                 scheduler: str | None = None) -> str:
    """One crontab line running :func:`batch_command` at ``hour:minute`` on ``day`` of every
    month. Every ``%`` is escaped as ``\\%`` (cron turns a bare ``%`` into a newline)."""
    _check_time(day, hour, minute)
    command = batch_command(workspace, arassess=arassess, workers=workers, scheduler=scheduler)
    return f"{minute} {hour} {day} * * {command.replace('%', chr(92) + '%')}"


def _systemd_escape(text: str) -> str:
    """A command for a systemd unit's ExecStart, in double quotes: backslash and double quote
    backslash-escaped, ``%`` as ``%%`` (specifiers) and ``$`` as ``$$`` (variables)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("%", "%%").replace("$", "$$")


def systemd_units(workspace: str | Path, *, arassess: str | Path | None = None, day: int = DEFAULT_DAY,
                  hour: int = DEFAULT_HOUR, minute: int = DEFAULT_MINUTE, workers: int | None = None,
                  scheduler: str | None = None) -> tuple[str, str]:
    """The texts of ``arassess-batch.service`` (a oneshot running :func:`batch_command` through
    /bin/sh) and ``arassess-batch.timer`` (``OnCalendar`` at ``hour:minute`` on ``day`` of every
    month, ``Persistent=true``: a run missed while the machine was off starts at the next boot)."""
    _check_time(day, hour, minute)
    ws = Path(workspace).absolute()
    command = batch_command(ws, arassess=arassess, workers=workers, scheduler=scheduler)
    service = "\n".join([
        "[Unit]",
        f"Description=arassess monthly batch for the workspace {str(ws).replace('%', '%%')}",
        "",
        "[Service]",
        "Type=oneshot",
        f'ExecStart=/bin/sh -c "{_systemd_escape(command)}"',
        "",
    ])
    timer = "\n".join([
        "[Unit]",
        f"Description=arassess monthly batch for {str(ws).replace('%', '%%')}: "
        f"{hour:02d}:{minute:02d} on day {day} of each month",
        "",
        "[Timer]",
        f"OnCalendar=*-*-{day:02d} {hour:02d}:{minute:02d}:00",
        "Persistent=true",
        f"Unit={UNIT_NAME}.service",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ])
    return service, timer


__all__ = ["batch_command", "crontab_line", "log_path", "systemd_units", "venv_arassess"]
