"""`arassess serve` under load and at the end: kernels of closed pages are culled, uploads up to
200 MB, and a SIGTERM to its PID stops Voila and every kernel (it execs Voila, so no orphan)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest
from voila_server import LOOPBACK, READY_PATH, free_port, voila_server

from arassess.serving import (
    CULL_IDLE_SECONDS,
    IOPUB_TIMEOUT_S,
    PREHEAT_REFILL_DELAY_S,
    UPLOAD_LIMIT_BYTES,
    VOILA_SOCKET_SUFFIX,
    connection_root,
    voila_command,
)
from arassess.tempdirs import SOCKET_PATH_MAX

pytestmark = pytest.mark.slow


def test_the_command_culls_idle_kernels_and_takes_large_uploads():
    command = voila_command(Path("n.ipynb"), 9000)
    assert f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}" in command
    assert "--MappingKernelManager.cull_connected=False" in command
    assert f'--Voila.tornado_settings={{"websocket_max_message_size": {UPLOAD_LIMIT_BYTES}}}' in command
    assert "--Voila.ip=127.0.0.1" in command and "--no-browser" in command
    assert not any("cull" in part for part in voila_command(Path("n.ipynb"), 9000, cull_idle=0))


def test_voila_waits_for_a_cells_outputs_as_long_as_the_command_says():
    """The executor Voila builds for a page gets IOPUB_TIMEOUT_S from the command line (not Voila's
    4 s, after which a busy server renders the dashboard cell without its outputs: a blank page)."""
    from voila.app import Voila
    from voila.execute import VoilaExecutor

    command = voila_command(Path("n.ipynb"), 9000)
    flags = [part for part in command if part.startswith("--VoilaExecutor.")]
    assert flags == [f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT_S}"] and IOPUB_TIMEOUT_S > 4
    app = Voila()
    app.parse_command_line(flags)
    executor = VoilaExecutor(nbformat.v4.new_notebook(), km=None, config=app.config)
    assert executor.iopub_timeout == IOPUB_TIMEOUT_S


def kernels(pid: int) -> list[psutil.Process]:
    """The live kernels under ``pid``: a culled kernel not yet reaped (a zombie) or gone meanwhile
    does not count."""
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:  # ZombieProcess, NoSuchProcess: it is going or gone
            continue
    return found


def test_kernels_of_closed_pages_are_culled(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.cells = [nbformat.v4.new_code_cell("print('Ready')")]
    nbformat.write(notebook, tmp_path / "page.ipynb")
    with voila_server(command=lambda port: voila_command(Path("page.ipynb"), port, cull_idle=4),
                      cwd=tmp_path, log_dir=tmp_path / "log") as server:
        for _ in range(3):  # three page loads, each leaving its kernel when the page is gone
            with urllib.request.urlopen(f"http://{LOOPBACK}:{server.port}/", timeout=60) as page:
                page.read()
        assert len(kernels(server.process.pid)) == 3
        deadline = time.monotonic() + 40
        while kernels(server.process.pid) and time.monotonic() < deadline:
            time.sleep(1)
        assert kernels(server.process.pid) == [], server.log_text()[-2000:]
        assert "Culling 'idle' kernel" in server.log_text()


def test_sigterm_to_arassess_serve_stops_voila(tmp_path):
    port = free_port()
    cli = Path(sys.executable).with_name("arassess")
    process = subprocess.Popen([str(cli), "serve", "--notebook", "assess", f"--port={port}", "--no-browser"],
                               stdout=subprocess.DEVNULL, stderr=(tmp_path / "serve.log").open("wb"),
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{LOOPBACK}:{port}{READY_PATH}", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.3)
        assert "voila" in " ".join(psutil.Process(process.pid).cmdline())  # the PID is Voila itself
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://{LOOPBACK}:{port}{READY_PATH}", timeout=2)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_kernels_use_unix_sockets_whose_paths_fit(tmp_path, monkeypatch):
    """No TCP ports to collide when many kernels start at once: IPC transport, under a connection
    root short enough for Voila's socket paths — the temporary folder, or /tmp when it is too long."""
    import tempfile

    command = voila_command(Path("n.ipynb"), 9000)
    assert "--KernelManager.transport=ipc" in command
    root = next(part.split("=", 1)[1] for part in command if part.startswith("--Voila.connection_dir_root="))
    assert len(root) + VOILA_SOCKET_SUFFIX <= SOCKET_PATH_MAX
    long = tmp_path / ("t" * 80)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    assert str(connection_root()) == "/tmp"
    short = Path(tempfile.mkdtemp(prefix="s", dir="/tmp"))  # 14 characters: the sockets fit under it
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(short))
        assert connection_root() == short
    finally:
        short.rmdir()


def test_preheat_keeps_kernels_started_ahead_of_the_pages():
    """``--preheat N``: Voila's kernel pool of N per dashboard, a used kernel replaced after
    PREHEAT_REFILL_DELAY_S; without it, no pool (and no flag Voila would refuse with our hooks)."""
    from traitlets import Dict, Float
    from voila.app import Voila

    assert not any("preheat" in part or "kernel_pools" in part for part in voila_command(Path("n.ipynb"), 9000))
    command = voila_command(Path("n.ipynb"), 9000, preheat=3)
    app = Voila()
    app.parse_command_line([part for part in command if part.startswith("--") and "=" in part
                            and not part.startswith(("--Voila.config_file_paths", "--Voila.tornado"))])
    assert app.config.VoilaConfiguration.preheat_kernel is True
    pools = app.config.VoilaKernelManager  # read as the kernel manager's traits read them
    assert pools.kernel_pools_config.get_value(Dict()) == {"default": {"pool_size": 3}}
    assert pools.fill_delay.get_value(Float()) == PREHEAT_REFILL_DELAY_S > 1


@pytest.mark.browser
def test_a_preheated_kernel_shows_the_client_its_page_names(tmp_path):
    """`arassess serve --preheat 1`: the page is served by the kernel started ahead (the server says
    so), which waited for the request and then assessed the client of ``?client=`` — not the
    notebook's default — and the page is titled with that client's name, kept as text even when the
    name tries to end the page's script."""
    import re

    from playwright.sync_api import expect
    from voila_server import chromium_session, offline_context

    from arassess.paths import SAMPLE_DATA_DIR

    workspace = tmp_path / "workspace"
    client = workspace / "clients" / "evil"
    shutil.copytree(SAMPLE_DATA_DIR / "northwind_open_items", client)
    name = "</script><img src=x onerror=window.__hit=1> & Co"
    settings = client / "client.yaml"
    settings.write_text(re.sub(r"(?m)^name: .*$", f'name: "{name}"', settings.read_text(encoding="utf-8")),
                        encoding="utf-8")
    cli = Path(sys.executable).with_name("arassess")
    command = lambda port: [str(cli), "serve", "--notebook", "assess", "--preheat", "1", f"--port={port}"]  # noqa: E731
    with voila_server(command=command, cwd=workspace, log_dir=tmp_path, debug=False) as server, \
            chromium_session() as browser:
        context = offline_context(browser, {"width": 1280, "height": 800})
        try:
            page = context.new_page()
            page.goto(server.url + "?client=evil", timeout=120_000)
            expect(page.locator(".arassess-status")).to_contain_text(f"Ready: {name}", timeout=120_000)
            expect(page).to_have_title(f"{name} — Assessment")
            assert "Voltline" not in page.locator(".arassess-headline").inner_text()
            assert page.evaluate("window.__hit") is None and page.locator("img[src='x']").count() == 0
            assert "Using pre-heated kernel" in server.log_text()
            server.remember_children()
        finally:
            context.close()
