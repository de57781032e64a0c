"""Where the repository's folders are (the package is installed in place, `pip install -e .`)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = REPO_ROOT / "templates"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SAMPLE_DATA_DIR = REPO_ROOT / "sample_data"
