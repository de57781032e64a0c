"""Temporary folders do not outlive their process: removed at the end, on SIGTERM, and (after a
SIGKILL) by the next arassess process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
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
    # a short TMPDIR of its own (pytest's tmp_path can be too long for kernel sockets: see below)
    temp = Path(tempfile.mkdtemp(prefix="tt-", dir="/tmp"))
    cleanup = lambda: shutil.rmtree(temp, ignore_errors=True)  # noqa: E731
    runs = tmp_path / "runs"
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen([sys.executable, "-m", "arassess.cli", "assess", str(LEDGER), "--runs-dir", str(runs),
                             "--no-pdf"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        children: set[int] = set()
        while not children and time.monotonic() < deadline:  # a notebook's kernel has started
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            time.sleep(0.2)
            if list(temp.glob(f"arassess-kernel-{proc.pid}-*")):
                children = _children(proc.pid)
        assert children  # the kernel
        time.sleep(3)  # past its start-up: running notebook 01
        children |= _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        left_over = sorted(p.name for p in temp.iterdir())
        cleanup()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert not [n for n in left_over if n.startswith("arassess-")], left_over  # no kernel or Chromium folder left
    left = _running(children)
    assert not left, [_cmdline(p) for p in left]                          # the kernel stopped with the run
    (run,) = [p for p in runs.glob("*/*") if p.is_dir()]
    assert (run / INCOMPLETE).exists()                                    # and the run says it did not finish


def test_a_kernel_folder_fits_its_sockets_under_a_long_temporary_folder(tmp_path, monkeypatch):
    """A kernel's IPC socket path must fit in 107 bytes: under a temporary folder whose path is too
    long for that (a deep TMPDIR, pytest's own folders under xdist), the kernel's folder goes to /tmp;
    other folders stay where TMPDIR says."""
    from arassess.tempdirs import SHORT_BASE, SOCKET_FOLDER_MAX, private_folder

    deep = tmp_path / ("d" * 60)
    deep.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(deep))
    with private_folder("kernel", SOCKET_FOLDER_MAX) as folder:
        assert folder.parent == SHORT_BASE and len(str(folder / "kernel-65535")) < 107
    assert not folder.exists()
    with private_folder("upload") as folder:
        assert folder.parent == deep
    short = Path(tempfile.mkdtemp(prefix="s-", dir=SHORT_BASE))
    try:
        monkeypatch.setattr("tempfile.tempdir", str(short))
        with private_folder("kernel", SOCKET_FOLDER_MAX) as folder:
            assert folder.parent == short  # a short TMPDIR is used as it is
    finally:
        shutil.rmtree(short, ignore_errors=True)
