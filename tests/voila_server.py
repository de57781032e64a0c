"""Test helpers for dashboards: a Voila server on a free loopback port, and Debian's chromium.

``voila_server(notebook)`` starts ``python -m voila NOTEBOOK --no-browser`` on
127.0.0.1 (from the repository root, with the interpreter running the tests),
waits until it answers HTTP, yields a :class:`VoilaServer` and always stops it:
SIGTERM to the server (which shuts its kernels down), then SIGKILL to anything
left of the server and of every process it started (kernels run in sessions of
their own, so killing the server's process group alone would orphan them). It
raises if a process survives. ``chromium(playwright)`` launches /usr/bin/chromium
(Debian's; Playwright's own browser download cannot work offline)::

    with voila_server("notebooks/01_assess_current_process.ipynb", log_dir=tmp_path) as server:
        page.goto(server.url)

``voila_server(command=lambda port: [...])`` serves with another command line
(``arassess serve --port=PORT``, say); the server must listen on 127.0.0.1:PORT.

Jupyter's runtime/config dirs, IPython and matplotlib state go to temp folders
(tests/conftest.py points them into .pytest_cache; outside pytest a fresh temp
dir is used). JUPYTER_DATA_DIR is left alone so the venv's kernelspec and the
widget manager (under sys.prefix/share/jupyter) stay discoverable.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import nbformat
import psutil

from arassess.serving import IOPUB_TIMEOUT_S

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds for the server to answer HTTP
STOP_TIMEOUT = 10.0  # seconds for a graceful shutdown before SIGKILL
START_ATTEMPTS = 3  # a free port can be taken between choosing it and voila binding it
# any HTTP answer here (even 404) means the server is up; it starts no kernel
READY_PATH = "/voila/static/"
CHROMIUM = os.environ.get("ARASSESS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic")
# state the server and its kernels would otherwise write under $HOME
STATE_VARIABLES = ("JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR", "MPLCONFIGDIR")


class VoilaStartError(RuntimeError):
    """The Voila server exited or did not answer in time (the message ends with its log)."""


@dataclass
class VoilaServer:
    """A running Voila server: ``url`` of the notebook page, ``log`` file of its output."""

    process: subprocess.Popen
    port: int
    log: Path
    started_seconds: float  # from launch to the first HTTP answer
    children: set[int] = field(default_factory=set)  # pids seen below the server (kernels)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def remember_children(self) -> None:
        """Record the server's current descendants (kernels), to make sure they are gone at stop."""
        with contextlib.suppress(psutil.Error):
            self.children |= {p.pid for p in psutil.Process(self.process.pid).children(recursive=True)}


def free_port() -> int:
    """A TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the server is listening
    except (urllib.error.URLError, OSError):
        return False


def _environment(state_dir: Path, debug: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ARASSESS_DEBUG", None)
    if debug:  # the dashboards show their own timings (the latency tests read them)
        env["ARASSESS_DEBUG"] = "1"
    for variable in STATE_VARIABLES:
        if variable not in env or variable == "JUPYTER_CONFIG_DIR":  # no user/site config reaches the test
            folder = state_dir / variable.lower()
            folder.mkdir(parents=True, exist_ok=True)
            env[variable] = str(folder)
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop(server: VoilaServer, timeout: float = STOP_TIMEOUT) -> None:
    """Stop the server and every process it started; raise if one survives SIGKILL."""
    server.remember_children()
    proc = server.process
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # voila's own group; it shuts its kernels down
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout)
    # kernels live in sessions of their own: kill whatever is left of them
    leftovers = []
    for pid in server.children:
        with contextlib.suppress(psutil.Error):
            leftovers.append(psutil.Process(pid))
    for p in leftovers:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(leftovers, timeout=timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything else still in voila's group
    survivors = [pid for pid in (proc.pid, *server.children) if _alive(pid)]
    if survivors:
        raise RuntimeError(f"processes of the Voila server still running after stop: {survivors}")


def voila_command(notebook: str | Path, extra_args: Sequence[str] = ()) -> Callable[[int], list[str]]:
    """The plain voila command for ``notebook`` (port_retries=0: a taken port fails, and is retried here),
    waiting for a cell's outputs as long as ``arassess serve`` does (a busy test machine is slow too)."""
    return lambda port: [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
                         f"--Voila.ip={LOOPBACK}", "--Voila.port_retries=0",
                         f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT_S}", *extra_args]


def _start(command: Sequence[str], port: int, log: Path, env: dict[str, str], cwd: Path,
           timeout: float) -> VoilaServer:
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = VoilaServer(process, port, log, 0.0)
    try:
        deadline = started + timeout
        while True:
            if process.poll() is not None:
                raise VoilaStartError(f"voila exited with code {process.returncode} on port {port}:\n"
                                      + server.log_text()[-4000:])
            if _answers(f"http://{LOOPBACK}:{port}{READY_PATH}") and process.poll() is None:
                break
            if time.perf_counter() > deadline:
                raise VoilaStartError(f"voila did not answer on port {port} within {timeout:.0f} s:\n"
                                      + server.log_text()[-4000:])
            time.sleep(0.1)
    except BaseException:
        stop(server)
        raise
    server.started_seconds = time.perf_counter() - started
    return server


@contextlib.contextmanager
def voila_server(notebook: str | Path | None = None, *, cwd: str | Path = REPO_ROOT,
                 log_dir: str | Path | None = None, extra_args: Sequence[str] = (),
                 command: Callable[[int], Sequence[str]] | None = None,
                 timeout: float = START_TIMEOUT, debug: bool = True) -> Iterator[VoilaServer]:
    """Serve ``notebook`` (relative to ``cwd``) with Voila on a free loopback port; always stop it.

    ``command(port)`` replaces the voila command line (e.g. ``arassess serve``);
    it must serve on 127.0.0.1:port. ``debug`` (default) sets ARASSESS_DEBUG=1, so the dashboards show
    their own timings; ``debug=False`` serves them as a CFO sees them. ``log_dir`` receives voila.log (the
    server's and kernels' output) and the state folders; default a temporary
    folder removed afterwards.
    """
    if command is None:
        if notebook is None:
            raise ValueError("give the notebook to serve, or the command that serves it")
        command = voila_command(notebook, extra_args)
    with contextlib.ExitStack() as stack:
        folder = Path(log_dir) if log_dir is not None else Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="voila-test-")))
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "voila.log"
        env = _environment(folder / "state", debug)
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                port = free_port()
                server = _start(command(port), port, log, env, Path(cwd), timeout)
                break
            except VoilaStartError as exc:
                # only a lost race for the port is worth another try
                if attempt == START_ATTEMPTS or "could not be started" not in str(exc):
                    raise
        try:
            yield server
        finally:
            stop(server)


def offline_context(browser: Any, viewport: dict[str, int]) -> Any:
    """A new browser context that reaches only the loopback server: every other request (the page
    asks a CDN for icons) is aborted, so the tests are offline and deterministic."""
    context = browser.new_context(viewport=viewport)
    context.route(re.compile(rf"^(?!https?://{re.escape(LOOPBACK)}[:/])"), lambda route: route.abort())
    return context


def open_until(page: Any, server: "VoilaServer", status: str, text: "re.Pattern[str]", what: str,
               timeout_ms: float) -> float:
    """Load the served page and wait until the element ``status`` shows ``text``; return the seconds
    it took. On a timeout: AssertionError naming ``what`` with the page's text and the server log's
    tail (Voila shows "Executing N of M" while its kernel runs the notebook: where it got stuck).
    The page's kernel is remembered, so stop() makes sure it is gone."""
    from playwright.sync_api import expect

    started = time.perf_counter()
    page.goto(server.url, wait_until="commit", timeout=timeout_ms)
    try:
        expect(page.locator(status)).to_have_text(text, timeout=timeout_ms)
    except AssertionError as exc:
        shown = page.locator("body").inner_text()[:500]
        raise AssertionError(f"no {what} within {timeout_ms / 1000:.0f} s; the page shows:\n{shown}\n"
                             f"--- end of {server.log}:\n{server.log_text()[-3000:]}") from exc
    server.remember_children()
    return time.perf_counter() - started


@contextlib.contextmanager
def dashboard_page(browser: Any, viewport: dict[str, int], open_page: Callable[[Any], float]) -> Iterator[Any]:
    """A fresh offline page (so a fresh kernel) opened with ``open_page`` (its seconds in
    ``page.load_seconds``); JavaScript errors collect in ``page.script_errors`` and fail the test
    at the end."""
    context = offline_context(browser, viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.script_errors = errors
    try:
        page.load_seconds = open_page(page)
        yield page
        assert errors == [], f"JavaScript errors on the page: {errors}"
    finally:
        context.close()


# Arms a probe for the next committed change: the first keydown's timestamp and the first
# mutations that change the status text and a watched element (page clock, ms).
_ARM_PROBE = """([statusCss, watchCss]) => {
  const status = document.querySelector(statusCss);
  const watched = document.querySelector(watchCss);
  const w = {t0: null, key: null, statusAt: null, tableAt: null,
             before: status.innerText, tableBefore: watched.innerHTML, status: null};
  window.__probe = w;
  document.addEventListener('keydown', (e) => { if (w.t0 === null) { w.t0 = e.timeStamp; w.key = e.key; } },
                            {capture: true, once: true});
  const so = new MutationObserver(() => {
    if (w.statusAt === null && status.innerText !== w.before) {
      w.statusAt = performance.now(); w.status = status.innerText; so.disconnect();
    }
  });
  so.observe(status, {subtree: true, childList: true, characterData: true, attributes: true});
  const to = new MutationObserver(() => {
    if (w.tableAt === null && watched.innerHTML !== w.tableBefore) { w.tableAt = performance.now(); to.disconnect(); }
  });
  to.observe(watched, {subtree: true, childList: true, characterData: true});
}"""
# done: the status text changed, or the watched element changed and the status stayed identical for
# a while (the kernel sends nothing for an unchanged value: same label and same ms as before)
_PROBE_DONE = """(quietMs) => { const w = window.__probe;
  return w.statusAt !== null || (w.tableAt !== null && performance.now() - w.tableAt > quietMs); }"""


def commit_change(page: Any, action: Callable[[], None], status: str, watched: str, timeout_ms: float,
                  quiet_ms: float = 1_500) -> dict[str, Any]:
    """Arm a probe, run ``action`` (the keypress that commits a value), wait for the redraw.

    Returns the probe, on the page's ``performance.now()`` clock: ``t0`` (the first keydown's
    ``event.timeStamp``), ``key``, ``statusAt`` (the ``status`` element's text changed; None when
    the kernel's new status text was identical to the previous one), ``tableAt`` (the ``watched``
    element changed), ``status`` (the new text). Done when the status changed, or the watched
    element changed and nothing else for ``quiet_ms``; AssertionError after ``timeout_ms``."""
    page.evaluate(_ARM_PROBE, [status, watched])
    action()
    try:
        page.wait_for_function(_PROBE_DONE, arg=quiet_ms, timeout=timeout_ms, polling=50)
    except Exception as exc:  # playwright's TimeoutError: say what the page shows
        raise AssertionError(f"no redraw within {timeout_ms / 1000:.0f} s of the change; status: "
                             f"{page.locator(status).inner_text()!r}") from exc
    return page.evaluate("() => window.__probe")


#: The default client_dir in every notebook's parameters cell.
DEFAULT_CLIENT_LITERAL = '"sample_data/voltline"'


def served_copy(root: Path, notebook: Path, client: Path, ignore: Sequence[str] = ()) -> dict[str, Path]:
    """Copy ``client`` into ``root`` (leaving out the ``ignore`` patterns) and write ``notebook``
    there with its parameters cell pointing at the copy, so a dashboard that saves files never
    writes into the repository. Returns {"root", "client", "notebook"}; AssertionError when the
    parameters cell no longer sets the default client."""
    copy = root / client.name
    shutil.copytree(client, copy, ignore=shutil.ignore_patterns(*ignore))
    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1 and cells[0].source.count(DEFAULT_CLIENT_LITERAL) == 1, \
        f"{notebook.name}'s parameters cell no longer sets client_dir = {DEFAULT_CLIENT_LITERAL}"
    cells[0].source = cells[0].source.replace(DEFAULT_CLIENT_LITERAL, json.dumps(str(copy)))
    nbformat.write(nb, root / notebook.name)
    return {"root": root, "client": copy, "notebook": root / notebook.name}


@contextlib.contextmanager
def chromium(playwright: Any, **launch_options: Any) -> Iterator[Any]:
    """Debian's chromium via Playwright (headless), closed afterwards.

    Playwright gives it a throw-away profile; its crash-report and dconf files go
    under XDG_CONFIG_HOME/XDG_CACHE_HOME (tests/conftest.py sets them; otherwise a
    temporary folder here), never under $HOME.
    """
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} not found: install Debian's chromium (`make system-deps`)")
    with contextlib.ExitStack() as stack:
        env = dict(os.environ)
        for variable in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            if variable not in env:
                env[variable] = stack.enter_context(tempfile.TemporaryDirectory(prefix="chromium-"))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS),
                                             headless=True, env=env, **launch_options)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_session(**launch_options: Any) -> Iterator[Any]:
    """Playwright and Debian's chromium for a module's tests (:func:`chromium`), both closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, chromium(playwright, **launch_options) as browser:
        yield browser


@contextlib.contextmanager
def serving_copy(site: dict[str, Path], client: Path, what: str) -> Iterator["VoilaServer"]:
    """Voila serving the notebook copy of :func:`served_copy` (logs in its folder); afterwards an
    AssertionError when the repository's ``client`` folder changed (the copy is where saves go)."""
    from conftest import digest

    before = digest(client)
    with voila_server(site["notebook"].name, cwd=site["root"], log_dir=site["root"] / "voila") as running:
        yield running
    assert digest(client) == before, f"{what} wrote into the repository's {client}"


def assert_clean(page: Any, source_text: Iterable[str], failure_text: "re.Pattern[str]") -> None:
    """A served dashboard page shows no code (Voila strips sources: no input areas and none of
    ``source_text``) and no error (no ``failure_text``, no error or stderr output)."""
    assert page.locator(".jp-InputArea, .jp-InputPrompt, .jp-CodeMirrorEditor").count() == 0
    text = page.locator("body").inner_text()
    shown = [s for s in source_text if s in text]
    assert not shown, f"source code visible on the page: {shown}"
    failure = failure_text.search(text)
    assert failure is None, f"error text on the page: …{text[max(0, failure.start() - 200):failure.end() + 200]}…"
    assert page.locator('[data-mime-type="application/vnd.jupyter.error"], '
                        '[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
