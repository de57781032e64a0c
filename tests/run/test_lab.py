"""`make lab` (scripts/lab.sh): JupyterLab on the notebooks folder, on 127.0.0.1 with the token it
prints; the notebooks are there, a request without the token is refused, a kernel started through
Lab imports arassess (the project's environment), and in Chromium notebook 01 runs in Lab, follows a
changed parameter, and the dashboard's controls work there."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from jupyter_client import BlockingKernelClient
from voila_server import free_port

from arassess.paths import REPO_ROOT

pytestmark = pytest.mark.slow
TOKEN = "labtesttoken0123456789"


def get(url: str, token: str | None = TOKEN, method: str = "GET", body: dict | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"token {token}"} if token else {}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except urllib.error.URLError:  # not listening yet
        return 0, ""


@contextlib.contextmanager
def lab(tmp_path: Path) -> Iterator[str]:
    """scripts/lab.sh on a free port with the test token, its state in ``tmp_path`` (autosave off, so
    a notebook run in the browser is never written back into notebooks/); yields the base URL once
    Lab answers; always stopped (the whole process group)."""
    port = free_port()
    settings = tmp_path / "lab-settings"
    for plugin, value in (("@jupyterlab/docmanager-extension/plugin", {"autosave": False}),
                          ("@jupyterlab/apputils-extension/notification", {"fetchNews": "false",
                                                                           "checkForUpdates": False})):
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value), encoding="utf-8")
    # Lab keeps a checkpoint of every notebook it opens, by default beside it (notebooks/.ipynb_checkpoints):
    # here in tmp_path, so the repository is never written (a concurrent test checks it is not)
    config = tmp_path / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"FileCheckpoints": {"checkpoint_dir": str(tmp_path / "checkpoints")}}), encoding="utf-8")
    env = {**os.environ, "LAB_PORT": str(port), "LAB_TOKEN": TOKEN, "VENV_BIN": str(Path(sys.executable).parent),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces")}
    server = subprocess.Popen(["scripts/lab.sh"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        first = server.stdout.readline()
        assert re.fullmatch(rf"JupyterLab on the notebooks: {base}/lab/tree/01_assess_current_process\.ipynb"
                            rf"\?token={TOKEN}\n", first), first
        for _ in range(120):
            if get(f"{base}/api/status")[0] == 200:
                break
            time.sleep(0.5)
        assert get(f"{base}/api/status")[0] == 200
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    assert server.poll() is not None


def check_lab_api(base: str, tmp_path: Path) -> None:
    """The token is required, the notebooks are served, and a kernel Lab starts imports arassess from
    this project (asked through its own channels)."""
    assert get(f"{base}/api/status", token=None)[0] in (401, 403)  # the token is required
    status, listing = get(f"{base}/api/contents")
    assert status == 200
    names = {item["name"] for item in json.loads(listing)["content"]}
    assert {"01_assess_current_process.ipynb", "05_monthly_review.ipynb"} <= names
    status, page = get(f"{base}/lab?token={TOKEN}", token=None)
    assert status == 200 and "JupyterLab" in page
    status, kernel = get(f"{base}/api/kernels", method="POST", body={"name": "python3"})
    assert status == 201
    kernel_id = json.loads(kernel)["id"]
    # the kernel Lab started imports arassess from this project (asked through its own channels)
    client = BlockingKernelClient(connection_file=str(tmp_path / "runtime" / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        said: list[str] = []
        reply = client.execute_interactive("import arassess.paths as p; print(p.NOTEBOOKS_DIR)", timeout=60,
                                           output_hook=lambda m: said.append(m["content"].get("text", "")))
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok" and "".join(said).strip() == str(REPO_ROOT / "notebooks")
    assert get(f"{base}/api/kernels/{kernel_id}", method="DELETE")[0] == 204


SAMPLE = REPO_ROOT / "sample_data" / "voltline"
FIRST_AS_OF, SECOND_AS_OF = "2026-10-31", "2026-06-30"  # the sample's as_of (the notebook's default), then earlier
RUN_TIMEOUT_MS = 180_000


def expected_dso(as_of: str) -> str:
    """The library's period DSO for the sample at ``as_of`` with its configured window, as notebook 01's
    scorecard shows it."""
    from arassess.config.client import load_config
    from arassess.inputs.intake import load_client
    from arassess.kpi.engine import compute_kpis

    window = load_config(SAMPLE).window_days
    return f"{compute_kpis(load_client(SAMPLE), as_of, window_days=window).value('dso', as_of):.1f} days"


def run_all_cells(page) -> None:
    """Lab's menu: Run > Run All Cells, with the notebook focused; retried until the first cell is
    queued or run (a click while Lab still restores its layout can close the menu unused)."""
    from playwright.sync_api import expect

    first_prompt = page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-InputPrompt")
    # queued or run: "[*]:" or "[1]:" (not merely rendered: the prompt may still be empty at first)
    started = re.compile(r"\[(\*|\d+)\]")
    for _ in range(5):
        first_prompt.click()
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        try:
            expect(first_prompt).to_have_text(started, timeout=10_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    raise AssertionError("Run > Run All Cells did not start the notebook")


@pytest.mark.browser
def test_notebook_01_runs_in_jupyterlab_and_its_dashboard_controls_work_there(tmp_path):
    """`make lab` serves the notebooks with its token and a kernel that imports arassess; in Chromium:
    open notebook 01 in Lab, Run All: the scorecard shows the library's DSO and the charts are images;
    change as_of in the parameters cell, re-run it and the cells up to the scorecard: the DSO follows. Then the
    dashboard's controls in a new cell: they render in Lab and an as-of change redraws them. No error
    output; the notebook file is not written."""
    from playwright.sync_api import expect
    from voila_server import chromium_session, offline_context

    notebook = REPO_ROOT / "notebooks" / "01_assess_current_process.ipynb"
    before = notebook.read_bytes()
    params = json.loads(before)["cells"][0]["source"]
    params = "".join(params) if isinstance(params, list) else params
    assert 'as_of: str = ""' in params
    with lab(tmp_path) as base, chromium_session() as browser:
        check_lab_api(base, tmp_path)
        context = offline_context(browser, {"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"{base}/lab/tree/{notebook.name}?token={TOKEN}", timeout=60_000)
            cells = page.locator(".jp-Notebook .jp-Cell")
            expect(cells.first).to_be_visible(timeout=60_000)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
                1, timeout=60_000)  # the kernel is up
            dso = page.locator(".jp-OutputArea-output tr", has=page.locator(
                "td", has_text=re.compile(r"^DSO \(period\)$"))).locator("td").nth(1)

            run_all_cells(page)
            expect(dso).to_have_text(expected_dso(FIRST_AS_OF), timeout=RUN_TIMEOUT_MS)
            charts = page.locator(".jp-OutputArea-output img[src^='data:image/png']")
            expect(charts.first).to_be_attached(timeout=RUN_TIMEOUT_MS)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
                1, timeout=RUN_TIMEOUT_MS)
            page.screenshot(path=tmp_path / "lab-run-all.png")

            cells.first.locator(".cm-content").click()
            page.keyboard.press("Control+a")
            page.keyboard.insert_text(params.replace('as_of: str = ""', f'as_of: str = "{SECOND_AS_OF}"'))
            for _ in range(4):  # re-run the parameters, the setup, the data and the scorecard cells
                page.keyboard.press("Shift+Enter")
            expect(dso).to_have_text(expected_dso(SECOND_AS_OF), timeout=RUN_TIMEOUT_MS)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
                1, timeout=RUN_TIMEOUT_MS)

            # the dashboard's controls, displayed in Lab: they render and an as-of change redraws them
            cells.last.locator(".jp-InputPrompt").click()
            page.keyboard.press("Escape")
            page.keyboard.press("b")
            page.keyboard.press("Enter")
            page.keyboard.insert_text("from arassess.assessment.dashboard import dashboard\n"
                                      "dashboard(a, client_dir)")
            page.keyboard.press("Shift+Enter")
            status = page.locator(".arassess-status")
            expect(status).to_have_text(re.compile(rf"Ready: .+ at {SECOND_AS_OF} "), timeout=RUN_TIMEOUT_MS)
            page.locator(".arassess-as-of input[type=date]").fill(FIRST_AS_OF)
            expect(status).to_have_text(re.compile(rf"Ready: .+ at {FIRST_AS_OF} "), timeout=RUN_TIMEOUT_MS)
            headline = page.locator('.arassess-headline [data-kpi="dso"]')
            expect(headline).to_have_text(expected_dso(FIRST_AS_OF).removesuffix(" days"))
            page.screenshot(path=tmp_path / "lab-dashboard.png")

            assert page.locator('[data-mime-type="application/vnd.jupyter.error"]').count() == 0
            assert "Traceback" not in page.locator(".jp-Notebook").inner_text()
        finally:
            context.close()
    assert notebook.read_bytes() == before  # autosave is off: the run stayed in the browser
