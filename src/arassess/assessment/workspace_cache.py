"""The workspace cache of the dashboards: a client's validated ledger and its risk fits, kept
beside the client folders so that every dashboard session of the same client reuses them.

A dashboard page starts a kernel of its own; without a cache each page would read and validate
the export again and refit the late-payment model (seconds each; ten CFOs opening the same client
at once would do it ten times). Here they are kept in ``<workspace>/.arassess-cache/<client>/``
(the workspace is the client folder's parent, as for the history store):

- ``ledger-<key>/``: the validated ledger (:mod:`arassess.inputs.run_cache`, its key: client path,
  load settings, every input byte);
- ``risk-<key>/risk.json``: a risk fit (:mod:`arassess.risk.store`, its key: date, settings and the
  inputs' checksums).

A folder is named by its key, so changed inputs simply use another folder; each is written to a
temporary name and renamed into place, so a concurrent session reads a complete cache or none.
A workspace that cannot be written only loses the speed-up.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from arassess.config.client import ClientConfig, load_config
from arassess.inputs.intake import load_ledger
from arassess.inputs.run_cache import input_key
from arassess.inputs.run_cache import read as read_ledger
from arassess.inputs.run_cache import save as save_ledger
from arassess.ledger.model import Ledger
from arassess.paths import resolve_client_dir
from arassess.risk.model import RiskResult
from arassess.risk.store import load_risk, risk_key, save_risk

CACHE_DIR = ".arassess-cache"


def client_cache(config: ClientConfig) -> Path:
    """``<workspace>/.arassess-cache/<client folder name>/``."""
    root = Path(config.root).resolve()
    return root.parent / CACHE_DIR / root.name


def _short(key: object) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _publish(folder: Path, write) -> None:
    """Write into a temporary sibling of ``folder`` with ``write(tmp)``, then rename it into place
    (atomic; when another session was quicker, its copy is kept and ours dropped)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        write(tmp)
        os.rename(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def cached_load(client_dir: str | Path) -> tuple[ClientConfig, Ledger]:
    """A client's config and validated ledger, from the workspace cache when its inputs are
    unchanged (else read, validated and kept there)."""

    config = load_config(resolve_client_dir(client_dir))
    key = input_key(config)
    folder = client_cache(config) / f"ledger-{key[:20]}"
    ledger = read_ledger(folder, key)
    if ledger is not None:
        return config, ledger
    ledger = load_ledger(config)
    try:
        _publish(folder, lambda tmp: save_ledger(ledger, tmp, key))
    except OSError:
        pass  # a read-only workspace only loses the speed-up
    return config, ledger


def _risk_folder(config: ClientConfig, key: dict) -> Path:
    return client_cache(config) / f"risk-{key['as_of']}-{_short(key)}"


def cached_risk(config: ClientConfig, as_of: pd.Timestamp | str) -> RiskResult | None:
    """A risk fit of the client at ``as_of`` kept in the workspace, or None."""
    key = risk_key(config, as_of)
    try:
        return load_risk(_risk_folder(config, key), key)
    except (OSError, ValueError):
        return None


def keep_risk(config: ClientConfig, result: RiskResult) -> None:
    """Keep a risk fit in the workspace for the next session (never over an existing one)."""
    key = risk_key(config, result.as_of)
    folder = _risk_folder(config, key)
    if folder.exists():
        return
    try:
        _publish(folder, lambda tmp: save_risk(result, tmp, key))
    except OSError:
        pass


__all__ = ["CACHE_DIR", "cached_load", "cached_risk", "client_cache", "keep_risk"]
