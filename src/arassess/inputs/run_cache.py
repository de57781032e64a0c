"""One load per run: the validated ledger of a client, kept as Parquet in the run folder.

``arassess assess``, ``monthly`` and ``batch`` validate a client folder once, write the ledger
here and point the notebooks of the run at it through the environment variable
:data:`CACHE_ENV`; :func:`arassess.assessment.case.load` reads it back instead of reading and
validating the export again. A plain Papermill run (no variable) loads the export as always.

The cache is only read when its **key** matches: a SHA-256 over the client folder's resolved path,
every setting that changes what the load produces (the files, their column mapping, date format,
decimal and thousands separators, delimiter, encoding, sheet, the reporting currency, exchange
rates, shape, as-of date, rejection limit) and every byte of every data file. A changed byte,
mapping or date format, or another client, gives another key and a fresh load. Nothing in the
cache is ever written over: a folder that already holds a ledger keeps it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from arassess.config.client import ClientConfig, load_config
from arassess.inputs.intake import load_ledger
from arassess.ledger.keys import customer_codes
from arassess.ledger.model import Ledger
from arassess.ledger.quality import PROBLEM_COLUMNS, FileTotals, QualityReport
from arassess.paths import resolve_client_dir

CACHE_ENV = "ARASSESS_LEDGER_CACHE"
FORMAT = 1  # bump when the layout below changes
META = "ledger.json"
CHUNK = 1 << 20


def input_key(config: ClientConfig) -> str:
    """SHA-256 of the client folder, its load settings and the bytes of its data files."""
    digest = hashlib.sha256()
    settings = {
        "format": FORMAT, "root": str(Path(config.root).resolve()), "currency": config.currency,
        "fx": sorted(dict(config.fx_rates).items()), "shape": config.shape,
        "as_of": config.as_of.isoformat() if config.as_of else None, "limit": config.max_rejected_share,
        "files": {kind: {"path": str(Path(spec.path).resolve()), "columns": sorted(dict(spec.columns).items()),
                         "date_format": spec.date_format, "decimal": spec.decimal, "thousands": spec.thousands,
                         "delimiter": spec.delimiter, "encoding": spec.encoding, "sheet": spec.sheet,
                         "header_row": spec.header_row}
                  for kind, spec in sorted(config.files.items())},
    }
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for _kind, spec in sorted(config.files.items()):
        path = Path(spec.path)
        digest.update(path.name.encode())
        if path.is_file():
            with path.open("rb") as handle:
                while block := handle.read(CHUNK):
                    digest.update(block)
    return digest.hexdigest()


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    frame.reset_index(drop=True).to_parquet(path, index=False)


def save(ledger: Ledger, folder: str | Path, key: str) -> Path | None:
    """Write ``ledger`` under ``folder`` (created) with its key; None, writing nothing, when the
    folder already holds a ledger (never written over)."""
    target = Path(folder)
    if (target / META).exists():
        return None
    target.mkdir(parents=True, exist_ok=True)
    _write_frame(ledger.invoices, target / "invoices.parquet")
    _write_frame(ledger.payments, target / "payments.parquet")
    if ledger.customers is not None:
        _write_frame(ledger.customers, target / "customers.parquet")
    if ledger.payment_invoice is not None:
        np.save(target / "payment_invoice.npy", np.asarray(ledger.payment_invoice, dtype=np.int64))
    q = ledger.quality
    _write_frame(q.problems.astype({"row": np.int64}) if len(q.problems) else
                 pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "row" else "str") for c in PROBLEM_COLUMNS}),
                 target / "problems.parquet")
    rejected = {}
    for i, (label, frame) in enumerate(q.rejected.items()):
        name = f"rejected-{i}.parquet"
        _write_frame(frame, target / name)
        rejected[label] = name
    meta = {"key": key, "format": FORMAT, "shape": ledger.shape, "currency": ledger.currency,
            "as_of": ledger.as_of.isoformat() if ledger.as_of is not None else None, "name": ledger.name,
            "customers": ledger.customers is not None, "totals": [dataclasses.asdict(t) for t in q.totals],
            "notes": list(q.notes), "rejected": rejected}
    (target / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")  # last: marks the cache complete
    return target


def read(folder: str | Path, key: str) -> Ledger | None:
    """The ledger kept under ``folder`` if its key is ``key``; None otherwise (or when absent)."""
    target = Path(folder)
    try:
        meta = json.loads((target / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("key") != key or meta.get("format") != FORMAT:
        return None
    problems = pd.read_parquet(target / "problems.parquet")
    quality = QualityReport(totals=tuple(FileTotals(**t) for t in meta["totals"]), problems=problems,
                            notes=tuple(meta["notes"]),
                            rejected={label: pd.read_parquet(target / name) for label, name in meta["rejected"].items()})
    pos = target / "payment_invoice.npy"
    invoices = pd.read_parquet(target / "invoices.parquet")
    return Ledger(invoices=invoices,
                  payments=pd.read_parquet(target / "payments.parquet"),
                  customers=pd.read_parquet(target / "customers.parquet") if meta["customers"] else None,
                  shape=meta["shape"], currency=meta["currency"],
                  as_of=pd.Timestamp(meta["as_of"]) if meta["as_of"] else None, quality=quality, name=meta["name"],
                  payment_invoice=np.load(pos) if pos.exists() else None, customer_codes=customer_codes(invoices))


@contextlib.contextmanager
def shared_ledger(folder: str | Path) -> Iterator[Path]:
    """Point this process, and the kernels it starts, at ``folder`` for the duration (the variable
    is restored afterwards)."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(Path(folder).resolve())
    try:
        yield Path(folder)
    finally:
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before


def validated_once(client_dir: str | Path) -> tuple[ClientConfig, "Callable[[Path], Path | None]"]:
    """Read and validate a client folder now (a bad export raises here, before a run folder or a
    kernel exists) and return its config with a function that keeps the ledger in a run's folder."""

    config = load_config(resolve_client_dir(client_dir))
    ledger = load_ledger(config)
    key = input_key(config)
    return config, lambda folder: save(ledger, folder, key)


def cache_folder() -> Path | None:
    """The cache folder this process was pointed at (:data:`CACHE_ENV`), or None."""
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value) if value else None


__all__ = ["CACHE_ENV", "cache_folder", "input_key", "read", "save", "shared_ledger", "validated_once"]
