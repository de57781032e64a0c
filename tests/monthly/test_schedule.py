"""`arassess schedule`: the crontab line and the systemd units, their escaping, and that the
command they hold really runs `arassess batch WORKSPACE --month <last month>` with the log."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from arassess.cli import main
from arassess.monthly.cron import batch_command, crontab_line, log_path, systemd_units, venv_arassess

FAKE_ARASSESS = """#!/bin/sh
# stands in for arassess: records where and how it was called
{{ pwd; printf '%s\\n' "$@"; echo "PATH=$PATH"; echo "VIRTUAL_ENV=$VIRTUAL_ENV"; }} > {record}
echo "batch output"; echo "batch error" >&2
exit 1
"""


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


@pytest.fixture
def fake_env(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A workspace whose name needs quoting (a space and a %), a fake venv with an arassess
    script that records its call, and the record file."""
    workspace = tmp_path / "clients 100% ws"
    workspace.mkdir()
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    record = tmp_path / "record.txt"
    exe = venv / "bin" / "arassess"
    exe.write_text(FAKE_ARASSESS.format(record=record))
    exe.chmod(0o755)
    return workspace, exe, record


def check_call_record(record: Path, workspace: Path, exe: Path) -> None:
    """The fake arassess ran in the workspace with the venv on PATH and the right arguments,
    its output and errors appended to the log (after earlier content)."""
    lines = record.read_text().splitlines()
    assert lines[0] == str(workspace)
    assert lines[1:5] == ["batch", str(workspace), "--month", previous_month(dt.date.today())]
    assert lines[5] == f"PATH={exe.parent}:/usr/local/bin:/usr/bin:/bin"
    assert lines[6] == f"VIRTUAL_ENV={exe.parent.parent}"
    assert log_path(workspace).read_text() == "earlier run\nbatch output\nbatch error\n"


def test_crontab_line_fields_escaping_and_absolute_paths(fake_env, monkeypatch):
    workspace, exe, _ = fake_env
    monkeypatch.chdir(workspace.parent)
    line = crontab_line(Path(workspace.name), arassess=exe)   # relative workspace -> absolute
    ws = f"'{workspace}'"
    assert line == (
        f"0 6 2 * * cd {ws} && mkdir -p logs && PATH={exe.parent}:/usr/local/bin:/usr/bin:/bin "
        f"VIRTUAL_ENV={exe.parent.parent} {exe} batch {ws} --month $(date -d 'last month' +\\%Y-\\%m) "
        f">> '{workspace}/logs/arassess-batch.log' 2>&1".replace("100%", "100\\%"))
    assert not re.search(r"(?<!\\)%", line), "a bare % ends a cron command"
    assert log_path(Path(workspace.name)) == workspace / "logs" / "arassess-batch.log"


def test_crontab_time_options_and_bad_times():
    line = crontab_line("/srv/ar", arassess="/opt/arassess/.venv/bin/arassess", day=28, hour=23, minute=5,
                        workers=2, scheduler="tcp://10.0.0.5:8786")
    assert line.startswith("5 23 28 * * cd /srv/ar && ")
    assert " --workers 2 --scheduler tcp://10.0.0.5:8786 >> /srv/ar/logs/arassess-batch.log 2>&1" in line
    for bad, message in (({"day": 29}, "day must be 1-28"), ({"day": 0}, "day must be 1-28"),
                         ({"hour": 24}, "hour must be 0-23"), ({"minute": 60}, "minute must be 0-59")):
        with pytest.raises(ValueError, match=message):
            crontab_line("/srv/ar", **bad)
        with pytest.raises(ValueError, match=message):
            systemd_units("/srv/ar", **bad)


def test_the_cron_command_runs_arassess_for_last_month_and_appends_to_the_log(fake_env):
    """What cron does with the line: \\% -> %, then /bin/sh -c with a bare environment."""
    workspace, exe, record = fake_env
    log_path(workspace).parent.mkdir()
    log_path(workspace).write_text("earlier run\n")
    line = crontab_line(workspace, arassess=exe)
    command = line.split(" ", 5)[5].replace("\\%", "%")
    done = subprocess.run(["/bin/sh", "-c", command], env={"HOME": str(workspace.parent), "PATH": "/usr/bin:/bin"},
                          cwd="/", timeout=30)
    assert done.returncode == 1  # arassess's exit code reaches cron (a failed client shows)
    check_call_record(record, workspace, exe)


def systemd_unquote(exec_start: str) -> list[str]:
    """How systemd reads ``ExecStart=/bin/sh -c "..."`` (the subset the units use): the
    double-quoted word with \\\\ and \\" unescaped, then %% -> % and $$ -> $."""
    program, flag, quoted = exec_start.split(" ", 2)
    assert quoted[0] == quoted[-1] == '"'
    body = re.sub(r'\\(["\\])', r"\1", quoted[1:-1])
    assert not re.search(r"(?<!%)%(?!%)", body.replace("%%", "")), "a bare % is a systemd specifier"
    return [program, flag, body.replace("%%", "%").replace("$$", "$")]


def test_systemd_units_text(fake_env):
    workspace, exe, _ = fake_env
    service, timer = systemd_units(workspace, arassess=exe, day=3, hour=7, minute=30)
    assert "[Service]\nType=oneshot\n" in service
    exec_start = re.search(r"^ExecStart=(.*)$", service, re.M).group(1)
    assert exec_start.startswith('/bin/sh -c "cd ')
    assert "--month $$(date -d 'last month' +%%Y-%%m)" in exec_start
    assert systemd_unquote(exec_start)[2] == batch_command(workspace, arassess=exe)
    assert f"Description=arassess monthly batch for the workspace {str(workspace).replace('%', '%%')}" in service
    assert "OnCalendar=*-*-03 07:30:00\nPersistent=true\nUnit=arassess-batch.service\n" in timer
    assert "[Install]\nWantedBy=timers.target" in timer


def test_the_systemd_command_runs_arassess_for_last_month(fake_env):
    workspace, exe, record = fake_env
    log_path(workspace).parent.mkdir()
    log_path(workspace).write_text("earlier run\n")
    service, _ = systemd_units(workspace, arassess=exe)
    argv = systemd_unquote(re.search(r"^ExecStart=(.*)$", service, re.M).group(1))
    assert subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=30).returncode == 1
    check_call_record(record, workspace, exe)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_accepts_the_units(fake_env, tmp_path):
    workspace, exe, _ = fake_env
    service, timer = systemd_units(workspace, arassess=exe)
    units = tmp_path / "units"
    units.mkdir()
    (units / "arassess-batch.service").write_text(service)
    (units / "arassess-batch.timer").write_text(timer)
    result = subprocess.run(["systemd-analyze", "verify", str(units / "arassess-batch.service"),
                             str(units / "arassess-batch.timer")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "arassess-batch" not in result.stderr, result.stderr  # no warning about our units


def test_default_arassess_is_this_environments_script():
    assert venv_arassess() == Path(sys.prefix).absolute() / "bin" / "arassess"
    assert venv_arassess().is_file() and os.access(venv_arassess(), os.X_OK)
    assert f" {venv_arassess()} batch /srv/ar " in crontab_line("/srv/ar")


def test_cli_schedule_prints_both_and_each_alone(tmp_path):
    runner = CliRunner()
    ws = tmp_path / "ws"
    ws.mkdir()
    both = runner.invoke(main, ["schedule", str(ws), "--time", "05:15", "--day", "1"])
    assert both.exit_code == 0, both.output
    cron = runner.invoke(main, ["schedule", str(ws), "--time", "05:15", "--day", "1", "--format", "cron"])
    assert cron.output == crontab_line(ws, hour=5, minute=15, day=1) + "\n"
    service, timer = systemd_units(ws, hour=5, minute=15, day=1)
    units = runner.invoke(main, ["schedule", str(ws), "--time", "05:15", "--day", "1", "--format", "systemd"])
    assert units.output == f"# arassess-batch.service\n{service}\n# arassess-batch.timer\n{timer}"
    for part in (cron.output.strip(), service, timer, str(ws / "logs" / "arassess-batch.log")):
        assert part in both.output
    bad = runner.invoke(main, ["schedule", str(ws), "--time", "6am"])
    assert bad.exit_code == 2 and "expected HH:MM" in bad.output
    late = runner.invoke(main, ["schedule", str(ws), "--time", "24:00"])
    assert late.exit_code == 1 and "hour must be 0-23" in late.output
    assert "crontab -" in runner.invoke(main, ["schedule", "--help"]).output
    assert "systemctl --user enable --now arassess-batch.timer" in runner.invoke(main, ["schedule", "--help"]).output
