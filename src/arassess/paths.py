"""Where the package's data folders are, and where a client folder given on the command line or in a
notebook is.

The notebooks and templates live at the top of the repository (``notebooks/``, ``templates/``). A
wheel carries them as package data, ``arassess/_data/`` (pyproject.toml maps them in), found with
:mod:`importlib.resources`; an editable install finds no ``_data`` and reads them from the checkout.
The sample data (``sample_data/``) is in the checkout only: an installed arassess writes a sample
client with ``arassess sample --out``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(str(files("arassess")))
PACKAGED_DATA = PACKAGE_DIR / "_data"
INSTALLED = (PACKAGED_DATA / "templates").is_dir()  # a wheel install (not a checkout)
REPO_ROOT = PACKAGE_DIR.parents[1]  # the checkout of an editable install
TEMPLATES_DIR = PACKAGED_DATA / "templates" if INSTALLED else REPO_ROOT / "templates"
NOTEBOOKS_DIR = PACKAGED_DATA / "notebooks" if INSTALLED else REPO_ROOT / "notebooks"
SAMPLE_DATA_DIR = REPO_ROOT / "sample_data"


def resolve_client_dir(client_dir: str | Path) -> Path:
    """A client folder as given, or relative to the checkout when it is not found as given (so
    notebook defaults work from the repository root and from notebooks/)."""
    path = Path(client_dir)
    if not path.exists() and not path.is_absolute() and not INSTALLED and (REPO_ROOT / path).exists():
        return REPO_ROOT / path
    return path
