"""The workspace cache of the dashboards: a client's validated ledger and its risk fits, kept
beside the client folders so that every dashboard session of the same client reuses them.

A dashboard page starts a kernel of its own; without a cache each page would read and validate
the export again and refit the late-payment model (seconds each; ten CFOs opening the same client
at once would do it ten times). Here they are kept in ``<workspace>/.arassess-cache/<client>/``
(the workspace is the client folder's parent, as for the history store):

- ``ledger-<key>/``: the validated ledger (:mod:`arassess.inputs.run_cache`, its key: client path,
  load settings, every input byte);
- ``risk-<key>/risk.json``: a risk fit (:mod:`arassess.risk.store`, its key: date, settings and the
  inputs' checksums);
- ``sections-<key>/<section>.json``: a dashboard section as shown (its display outputs: text,
  tables, charts as PNG), for one assessment — key: the inputs, client.yaml, the date, the window,
  the history and the code — so a second CFO opening the same client at the same date gets the
  pages the first one's session built instead of computing and drawing them again.

A folder is named by its key, so changed inputs simply use another folder; each is written to a
temporary name and renamed into place, so a concurrent session reads a complete cache or none.
A workspace that cannot be written only loses the speed-up.
"""

from __future__ import annotations

import contextlib
import functools
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


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A fingerprint of the package's code (every module's path, size and modification time): a
    section drawn by other code is not reused."""
    package = Path(__file__).resolve().parents[1]
    files = sorted(package.rglob("*.py"))
    return _short([[str(p.relative_to(package)), p.stat().st_size, p.stat().st_mtime_ns] for p in files])


def sections_key(config: ClientConfig, as_of: pd.Timestamp | str, window_days: int, history_months: int) -> str:
    """What a dashboard section of one assessment depends on: the data files and load settings
    (:func:`arassess.inputs.run_cache.input_key`), client.yaml's bytes (questionnaire, KPI and risk
    settings), the date, the window, the history and the code."""
    settings = Path(config.root) / "client.yaml"
    yaml_bytes = settings.read_bytes() if settings.is_file() else b""
    return _short([input_key(config), hashlib.sha256(yaml_bytes).hexdigest(), f"{pd.Timestamp(as_of):%Y-%m-%d}",
                   int(window_days), int(history_months), code_version()])


def _sections_folder(config: ClientConfig, key: str) -> Path:
    return client_cache(config) / f"sections-{key}"


def cached_section(config: ClientConfig, key: str, name: str) -> list[dict] | None:
    """The display outputs of section ``name`` kept for this key, or None."""
    try:
        return json.loads((_sections_folder(config, key) / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def keep_section(config: ClientConfig, key: str, name: str, outputs: list[dict]) -> None:
    """Keep a section's display outputs for the next session (written to a temporary file and
    renamed into place; a workspace that cannot be written only loses the speed-up)."""
    folder = _sections_folder(config, key)
    target = folder / f"{name}.json"
    if target.exists():
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".json", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(outputs, out)
        os.replace(tmp, target)
    except (OSError, TypeError, ValueError):
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)


__all__ = ["CACHE_DIR", "cached_load", "cached_risk", "cached_section", "client_cache", "code_version",
           "keep_risk", "keep_section", "sections_key"]
