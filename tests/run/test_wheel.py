"""arassess installed from its wheel into a fresh virtualenv runs from any folder: the wheel carries
the notebooks and templates as package data, and a new folder gets an intake kit, a sample, a
validation and a whole assessment, its run folder under that folder — nothing written into the
repository or into the installed package — and `arassess serve` opens the folder's own client."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from voila_server import chromium_session, offline_context, open_until, voila_server

from arassess.paths import REPO_ROOT, WORKSPACE_ENV

pytestmark = pytest.mark.slow


def tree_digest(*folders: Path) -> dict[str, str]:
    """Every file under ``folders`` with its SHA-256, except the dashboards' workspace cache
    (``.arassess-cache/`` beside the client folders: the checkout's dashboard tests, which may run
    beside this one, fill it for the sample clients)."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*"))
            if p.is_file() and ".arassess-cache" not in p.parts}


@dataclass(frozen=True)
class Installed:
    """A fresh virtualenv holding the wheel; ``env`` lets its kernels and exporters find the Jupyter
    data files (templates, kernel and widget assets) its borrowed dependencies installed."""

    venv: Path
    site: Path
    env: dict[str, str]

    def run(self, args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``arassess ARGS`` through the virtualenv's own console script."""
        return subprocess.run([str(self.venv / "bin" / "arassess"), *args], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def python(self, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "python"), "-c", code], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The wheel built from this checkout, installed into a fresh virtualenv outside the repository.

    The dependencies are not downloaded again (a minute and ~400 MB on every run): the new
    virtualenv sees this environment's site-packages through a .pth line, read-only and after its own
    site-packages, and JUPYTER_PATH points at this environment's Jupyter data files. arassess itself
    comes only from the wheel (this environment's editable install is a .pth in a folder that is not
    a site directory of the new one, so it is never processed)."""
    root = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root / "dist"),
                            str(REPO_ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (root / "dist").glob("arassess-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "arassess/_data/notebooks/01_assess_current_process.ipynb" in names
    assert "arassess/_data/templates/client/client.yaml" in names and "arassess/_data/templates/presets.yaml" in names
    venv = root / "venv"
    venv_made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300)
    assert venv_made.returncode == 0, venv_made.stderr
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", purelib],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "_arassess_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", WORKSPACE_ENV)}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONWARNINGS="ignore",
               JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
               PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return Installed(venv, site, env)


@pytest.fixture(scope="module")
def engagement(installed, tmp_path_factory) -> Path:
    """A folder outside the repository where a consultant started: an intake kit and the sample."""
    work = tmp_path_factory.mktemp("engagements")
    init = installed.run(["init", "acme"], work)
    assert init.returncode == 0, init.stderr
    sample = installed.run(["sample", "--out", "demo", "--invoices", "1500"], work)
    assert sample.returncode == 0, sample.stderr
    return work


def test_the_wheel_runs_an_assessment_from_an_empty_folder(installed, engagement):
    work = engagement
    repo_before = tree_digest(REPO_ROOT / "notebooks", REPO_ROOT / "templates", REPO_ROOT / "sample_data")
    site_before = tree_digest(installed.site / "arassess")

    where = installed.python("import arassess, arassess.paths as p; print(p.INSTALLED, p.NOTEBOOKS_DIR, "
                             "arassess.__file__)", work)
    assert where.stdout.split() == ["True", str(installed.site / "arassess" / "_data" / "notebooks"),
                                    str(installed.site / "arassess" / "__init__.py")], where.stderr
    version = installed.run(["--version"], work)
    assert version.returncode == 0 and version.stdout.strip() == f"arassess, version {metadata.version('arassess')}"

    assert sorted(p.name for p in (work / "acme").iterdir()) == ["README.md", "client.yaml"]
    again = installed.run(["init", "acme"], work)
    assert again.returncode != 0 and "never writes over a file" in again.stderr

    validate = installed.run(["validate", "demo"], work)
    assert validate.returncode in (0, 1), validate.stderr  # 1: the sample plants rejected rows, on purpose
    assert "invoices.csv" in validate.stdout

    assess = installed.run(["assess", "demo", "--no-pdf"], work)
    assert assess.returncode == 0, assess.stderr[-3000:]
    (run_dir,) = (work / "runs" / "demo").iterdir()
    assert (run_dir / "report.html").is_file() and (run_dir / "summary.json").is_file()
    assert (run_dir / "04_action_plan.ipynb").is_file()

    assert tree_digest(REPO_ROOT / "notebooks", REPO_ROOT / "templates", REPO_ROOT / "sample_data") == repo_before
    assert tree_digest(installed.site / "arassess") == site_before  # nothing written into the installed package


@pytest.mark.browser
def test_arassess_serve_from_the_wheel_opens_on_the_folders_own_client(installed, engagement, monkeypatch, tmp_path):
    """`arassess serve` started in the engagement folder: the installed package has no sample_data/,
    so the dashboard opens on the folder's client with an export (demo, not the empty kit acme), shows
    the library's DSO for it and lists both clients; no error on the page."""
    from playwright.sync_api import expect

    from arassess.inputs.intake import load_client
    from arassess.kpi.engine import compute_kpis

    for key in ("JUPYTER_PATH", "PATH"):
        monkeypatch.setenv(key, installed.env[key])
    for key in (WORKSPACE_ENV, "PYTHONPATH", "VIRTUAL_ENV"):  # only the wheel's arassess, as installed
        monkeypatch.delenv(key, raising=False)
    serve = str(installed.venv / "bin" / "arassess")

    with voila_server(command=lambda port: [serve, "serve", "--notebook", "assess", f"--port={port}"],
                      cwd=engagement, log_dir=tmp_path) as server, chromium_session() as browser:
        context = offline_context(browser, {"width": 1280, "height": 800})
        try:
            page = context.new_page()
            ready = re.compile(r"Ready: .+ at (\d{4}-\d{2}-\d{2}) \(window (\d+) days\)")
            open_until(page, server, ".arassess-status", ready, "the installed dashboard", 120_000)
            as_of, window = ready.search(page.locator(".arassess-status").inner_text()).groups()
            dso = compute_kpis(load_client(engagement / "demo"), as_of, window_days=int(window)).value("dso", as_of)
            expect(page.locator('.arassess-headline [data-kpi="dso"]')).to_have_text(f"{dso:.1f}")
            picker = page.get_by_role("combobox").first
            expect(picker).to_have_value(re.compile("demo"))
            options = picker.locator("option").all_inner_texts()
            assert {"demo", "acme"} <= {o.strip() for o in options}, options
            assert "Traceback" not in page.locator("body").inner_text()
            page.screenshot(path=tmp_path / "installed-serve.png")
        finally:
            context.close()
