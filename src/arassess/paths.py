"""Where the package's data folders are, and where a client folder given on the command line or in a
notebook is.

The notebooks and templates live at the top of the repository (``notebooks/``, ``templates/``). A
wheel carries them as package data, ``arassess/_data/`` (pyproject.toml maps them in), found with
:mod:`importlib.resources`; an editable install finds no ``_data`` and reads them from the checkout.
The sample data (``sample_data/``) is in the checkout only: an installed arassess writes a sample
client with ``arassess sample --out``.

Under ``arassess serve`` (:data:`WORKSPACE_ENV` set to the folder it was started in), the dashboards
list the client folders of that folder, and a notebook's default client folder that does not exist
there (an installed arassess has no ``sample_data/``) is the workspace's first client folder.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from typing import Iterable
from urllib.parse import parse_qs

from arassess.errors import ConfigError

PACKAGE_DIR = Path(str(files("arassess")))
PACKAGED_DATA = PACKAGE_DIR / "_data"
INSTALLED = (PACKAGED_DATA / "templates").is_dir()  # a wheel install (not a checkout)
REPO_ROOT = PACKAGE_DIR.parents[1]  # the checkout of an editable install
TEMPLATES_DIR = PACKAGED_DATA / "templates" if INSTALLED else REPO_ROOT / "templates"
NOTEBOOKS_DIR = PACKAGED_DATA / "notebooks" if INSTALLED else REPO_ROOT / "notebooks"
SAMPLE_DATA_DIR = REPO_ROOT / "sample_data"
WORKSPACE_ENV = "ARASSESS_WORKSPACE"  # the folder `arassess serve` was started in (set by serve)
CLIENT_ROOTS = (SAMPLE_DATA_DIR, REPO_ROOT / "clients")


def workspace() -> Path | None:
    """The folder `arassess serve` was started in, None outside it."""
    started = os.environ.get(WORKSPACE_ENV)
    return Path(started) if started else None


def client_roots() -> tuple[Path, ...]:
    """Where the dashboards look for client folders: the checkout's sample_data/ and clients/ (none
    for an installed arassess), and the folder `arassess serve` was started in with its clients/."""
    started = workspace()
    extra = (started, started / "clients") if started else ()
    return (*(() if INSTALLED else CLIENT_ROOTS), *extra)


def find_clients(roots: Iterable[Path] | None = None) -> dict[str, Path]:
    """Client folders (holding client.yaml) one level below each root (default :func:`client_roots`),
    by folder name."""
    found: dict[str, Path] = {}
    for root in client_roots() if roots is None else roots:
        if root.is_dir():
            for cfg in sorted(root.glob("*/client.yaml")):
                found.setdefault(cfg.parent.name, cfg.parent)
    return found


PREHEAT_ENV = "VOILA_PREHEAT"  # "True" in a kernel Voila started ahead of its page (its kernel pool)


def requested_client(default: str | Path) -> str | Path:
    """The client folder a dashboard page asked for: under `arassess serve`, the folder named by the
    page's ``?client=NAME`` (Voila passes the query to the kernel as QUERY_STRING; a name among
    :func:`find_clients`, never a path), else ``default`` (the notebook's parameter).

    A preheated kernel (``arassess serve --preheat``) runs its notebook up to here before any page
    has asked for it: it first waits for the page's request (``voila.utils.wait_for_request``, which
    puts the request's QUERY_STRING into the environment)."""
    if os.environ.get(PREHEAT_ENV) == "True":
        from voila.utils import wait_for_request

        wait_for_request()
    if workspace() is None:
        return default
    names = parse_qs(os.environ.get("QUERY_STRING", "")).get("client", [])
    clients = find_clients() if names else {}
    return clients[names[0]] if names and names[0] in clients else default


def _has_export(folder: Path) -> bool:
    """True when ``folder`` holds a CSV or Excel file (a client folder with data, not just the kit)."""
    return any(p.suffix.lower() in (".csv", ".txt", ".xlsx") for p in folder.iterdir() if p.is_file())


def resolve_client_dir(client_dir: str | Path) -> Path:
    """A client folder as given; else relative to the checkout (so notebook defaults work from the
    repository root and from notebooks/); else, under `arassess serve`, relative to the folder it was
    started in, and failing that the first client folder found there that holds an export (a
    ConfigError saying how to make one when there is none)."""
    path = Path(client_dir)
    if path.exists() or path.is_absolute():
        return path
    if not INSTALLED and (REPO_ROOT / path).exists():
        return REPO_ROOT / path
    started = workspace()
    if started is None:
        return path
    if (started / path).exists():
        return started / path
    clients = list(find_clients().values())
    if clients:  # the first with an export in it (a new intake kit has none yet)
        return next((c for c in clients if _has_export(c)), clients[0])
    raise ConfigError(f"No client folder (a folder holding client.yaml) was found in {started} or its clients/ "
                      "folder. Stop the server, create one there (`arassess init acme` for a new client, "
                      "`arassess sample --out demo` for the sample) and start `arassess serve` again.")
