"""Where the repository's folders are (the package is installed in place, `pip install -e .`), and
where a client folder given on the command line or in a notebook is."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = REPO_ROOT / "templates"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SAMPLE_DATA_DIR = REPO_ROOT / "sample_data"


def resolve_client_dir(client_dir: str | Path) -> Path:
    """A client folder as given, or relative to the repository when it is not found as given
    (so notebook defaults work from the repository root and from notebooks/)."""
    path = Path(client_dir)
    if not path.exists() and not path.is_absolute() and (REPO_ROOT / path).exists():
        return REPO_ROOT / path
    return path
