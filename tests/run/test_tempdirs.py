"""Temporary folders do not outlive their process: removed at the end, on SIGTERM, and (after a
SIGKILL) by the next arassess process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arassess.run.notebooks import INCOMPLETE
from arassess.tempdirs import new_folder, private_folder, sweep

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "sample_data" / "voltline"


def test_a_private_folder_is_named_by_role_and_process_and_removed_after_its_block(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with private_folder("kernel") as folder:
        assert folder.name.startswith(f"arassess-kernel-{os.getpid()}-") and folder.is_dir()
        (folder / "socket").write_text("x")
    assert not folder.exists()
    with pytest.raises(ValueError, match="role must be one of"):
        new_folder("other")


def test_sweep_removes_only_the_folders_of_processes_that_are_gone(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()  # a process that has exited
    dead = tmp_path / f"arassess-chromium-{gone}-abc"
    alive = tmp_path / f"arassess-kernel-{os.getpid()}-def"
    other = tmp_path / f"someone-else-{gone}-x"
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / "file").write_text("x")
    assert sweep(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and other.exists()


def _children(pid: int) -> set[int]:
    """Every descendant process of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _running(pids: set[int], wait: float = 10.0) -> list[int]:
    """The processes of ``pids`` still running (not zombies) after up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        left = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                left.append(pid)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


@pytest.mark.slow
def test_sigterm_during_a_run_stops_the_kernel_and_removes_the_temporary_folders(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    runs = tmp_path / "runs"
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, "-m", "arassess.cli", "assess", str(LEDGER), "--runs-dir", str(runs),
                             "--no-pdf"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list(temp.glob(f"arassess-kernel-{proc.pid}-*")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        time.sleep(3)  # the kernel is up and running notebook 01
        children = _children(proc.pid)
        assert children  # the kernel
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert not list(temp.glob("arassess-*")), list(temp.iterdir())       # no kernel or Chromium folder left
    left = _running(children)
    assert not left, [_cmdline(p) for p in left]                          # the kernel stopped with the run
    (run,) = [p for p in runs.glob("*/*") if p.is_dir()]
    assert (run / INCOMPLETE).exists()                                    # and the run says it did not finish
