"""A risk result saved in a run folder (``risk.json``), so the notebooks and the report of one run
fit the model once.

The file holds the :class:`arassess.risk.model.RiskResult` (each table as its column types and values;
numbers read back exactly) and the **key** it was computed for: the as-of date, the risk
settings and the SHA-256 of client.yaml and of every data file. :func:`load_risk` returns the
saved result only when the key is the same now — any change to the data, the settings or the date
means a refit, never a stale result. The file is plain JSON (no pickle): it can be read by anyone
and loading it runs no code. Like every output of a run, it is never written over.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from arassess.config.client import CONFIG_FILE, ClientConfig
from arassess.config.risk import RiskSettings
from arassess.inputs.checksums import checksums
from arassess.jsonframes import frame, frame_json, number
from arassess.risk.model import BANDS, RiskResult

RISK_FILE = "risk.json"
FORMAT_VERSION = 1
_FRAMES = ("invoices", "customers", "validation", "calibration", "age_check")


def risk_key(config: ClientConfig, as_of: pd.Timestamp | str) -> dict[str, Any]:
    """What a saved result depends on: date, settings and the checksums of the client's files."""
    paths = [config.root / CONFIG_FILE, *(spec.path for spec in config.files.values())]
    return {"version": FORMAT_VERSION, "as_of": f"{pd.Timestamp(as_of):%Y-%m-%d}",
            "settings": dataclasses.asdict(config.risk), "inputs": checksums(paths)}


def save_risk(result: RiskResult, folder: str | Path, key: Mapping[str, Any]) -> Path:
    """Write ``folder/risk.json`` (FileExistsError if it exists: never written over)."""
    target = Path(folder) / RISK_FILE
    body = {
        "key": dict(key),
        "available": result.available, "reason": result.reason,
        "settings": dataclasses.asdict(result.settings), "as_of": f"{result.as_of:%Y-%m-%d}",
        "used": result.used, "model_name": result.model_name,
        "split": {k: (f"{v:%Y-%m-%d}" if isinstance(v, pd.Timestamp) else number(v)) for k, v in result.split.items()},
        "fit_seconds": number(result.fit_seconds),
        **{name: frame_json(getattr(result, name)) for name in _FRAMES if result.available},
    }
    with target.open("x", encoding="utf-8") as handle:
        json.dump(body, handle, indent=1, default=str, allow_nan=False)
    return target


def load_risk(folder: str | Path | None, key: Mapping[str, Any]) -> RiskResult | None:
    """The result saved in ``folder`` when its key equals ``key``, else None (no file, another
    date, other settings or changed inputs)."""
    if not folder:
        return None
    path = Path(folder) / RISK_FILE
    if not path.is_file():
        return None
    body = json.loads(path.read_text(encoding="utf-8"))
    if body.get("key") != json.loads(json.dumps(dict(key), default=str)):
        return None
    settings = RiskSettings(**body["settings"])
    split = {k: (pd.Timestamp(v) if k in ("cutoff", "first_due", "last_due") else float("nan") if v is None else v)
             for k, v in body["split"].items()}
    frames: dict[str, pd.DataFrame] = {}
    if body["available"]:
        frames = {name: frame(body[name]) for name in _FRAMES}
        customers = frames["customers"]
        customers["band"] = pd.Categorical(customers["band"].astype(str), categories=list(BANDS), ordered=True)
    return RiskResult(body["available"], body["reason"], settings, pd.Timestamp(body["as_of"]), body["used"],
                      body["model_name"], split=split, fit_seconds=float("nan") if body["fit_seconds"] is None else float(body["fit_seconds"]),
                      **frames)
