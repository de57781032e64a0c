"""`make lab` (scripts/lab.sh): JupyterLab on the notebooks folder, on 127.0.0.1 with the token it
prints; the notebooks are there, a request without the token is refused, and a kernel started
through Lab imports arassess (the project's environment)."""

from __future__ import annotations

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


def test_make_lab_serves_the_notebooks_with_a_token_and_a_kernel_that_imports_arassess(tmp_path):
    port = free_port()
    env = {**os.environ, "LAB_PORT": str(port), "LAB_TOKEN": TOKEN, "VENV_BIN": str(Path(sys.executable).parent),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
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
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
