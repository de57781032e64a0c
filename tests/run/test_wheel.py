"""arassess installed from its wheel runs from any folder: the wheel carries the notebooks and
templates as package data, and a new folder gets an intake kit, a sample, a validation and a whole
assessment, its run folder under that folder — nothing written into the repository or into the
installed package."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from arassess.paths import REPO_ROOT

pytestmark = pytest.mark.slow


def tree_digest(*folders: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def run(args: list[str], cwd: Path, site: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this checkout, installed (without its dependencies, which this
    environment has) into a folder of its own that is put first on the path."""
    root = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root / "dist"),
                            str(REPO_ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (root / "dist").glob("arassess-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "arassess/_data/notebooks/01_assess_current_process.ipynb" in names
    assert "arassess/_data/templates/client/client.yaml" in names and "arassess/_data/templates/benchmarks.yaml" in names
    site = root / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return site


def test_the_wheel_runs_an_assessment_from_an_empty_folder(installed, tmp_path):
    work = tmp_path / "engagements"
    work.mkdir()
    repo_before = tree_digest(REPO_ROOT / "notebooks", REPO_ROOT / "templates", REPO_ROOT / "sample_data")
    site_before = tree_digest(installed)

    where = run(["-c", "import arassess.paths as p; print(p.INSTALLED, p.NOTEBOOKS_DIR)"], work, installed)
    assert where.stdout.split() == ["True", str(installed / "arassess" / "_data" / "notebooks")]
    version = run(["-m", "arassess", "--version"], work, installed)
    assert version.returncode == 0 and version.stdout.startswith("arassess, version ")

    init = run(["-m", "arassess", "init", "acme"], work, installed)
    assert init.returncode == 0, init.stderr
    assert sorted(p.name for p in (work / "acme").iterdir()) == ["README.md", "client.yaml"]
    again = run(["-m", "arassess", "init", "acme"], work, installed)
    assert again.returncode != 0 and "never writes over a file" in again.stderr

    sample = run(["-m", "arassess", "sample", "--out", "demo", "--invoices", "1500"], work, installed)
    assert sample.returncode == 0, sample.stderr
    validate = run(["-m", "arassess", "validate", "demo"], work, installed)
    assert validate.returncode in (0, 1), validate.stderr  # 1: the sample plants rejected rows, on purpose
    assert "invoices.csv" in validate.stdout

    assess = run(["-m", "arassess", "assess", "demo", "--no-pdf"], work, installed)
    assert assess.returncode == 0, assess.stderr[-3000:]
    (run_dir,) = (work / "runs" / "demo").iterdir()
    assert (run_dir / "report.html").is_file() and (run_dir / "summary.json").is_file()
    assert (run_dir / "04_action_plan.ipynb").is_file()

    assert tree_digest(REPO_ROOT / "notebooks", REPO_ROOT / "templates", REPO_ROOT / "sample_data") == repo_before
    assert tree_digest(installed) == site_before  # nothing written into the installed package
