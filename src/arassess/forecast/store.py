"""A cash forecast saved in a run folder (``forecast.json``), so notebook 01 and the report of one
run compute it once.

The file holds the :class:`arassess.forecast.model.CashForecast` (its tables as column types and
values, :mod:`arassess.jsonframes`) and the **key** it was computed for: the as-of date and the
SHA-256 of client.yaml and of every data file. :func:`load_forecast` returns it only when the key
is the same now; otherwise the forecast is made again. Never written over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from arassess.config.client import CONFIG_FILE, ClientConfig
from arassess.forecast.model import CashForecast
from arassess.inputs.checksums import checksums
from arassess.jsonframes import frame, frame_json, number

FORECAST_FILE = "forecast.json"
FORMAT_VERSION = 2  # 2: the new-sales part (column and summary)
_FRAMES = ("weeks", "months", "tests")


def forecast_key(config: ClientConfig, as_of: pd.Timestamp | str) -> dict[str, Any]:
    """What a saved forecast depends on: the date and the checksums of the client's files."""
    paths = [config.root / CONFIG_FILE, *(spec.path for spec in config.files.values())]
    return {"version": FORMAT_VERSION, "as_of": f"{pd.Timestamp(as_of):%Y-%m-%d}", "inputs": checksums(paths)}


def save_forecast(f: CashForecast, folder: str | Path, key: Mapping[str, Any]) -> Path:
    """Write ``folder/forecast.json`` (FileExistsError if it exists: never written over)."""
    target = Path(folder) / FORECAST_FILE
    body = {
        "key": dict(key), "as_of": f"{f.as_of:%Y-%m-%d}", "currency": f.currency, "available": f.available,
        "reason": f.reason, "open_total": number(f.open_total), "used": f.used, "coverage": number(f.coverage),
        "new_sales": f.new_sales,
        "accuracy": {"index": list(f.accuracy.index), **frame_json(f.accuracy)},
        **{name: frame_json(getattr(f, name)) for name in _FRAMES},
    }
    with target.open("x", encoding="utf-8") as handle:
        json.dump(body, handle, indent=1, default=str, allow_nan=False)
    return target


def load_forecast(folder: str | Path | None, key: Mapping[str, Any]) -> CashForecast | None:
    """The forecast saved in ``folder`` when its key equals ``key``, else None."""
    if not folder:
        return None
    path = Path(folder) / FORECAST_FILE
    if not path.is_file():
        return None
    body = json.loads(path.read_text(encoding="utf-8"))
    if body.get("key") != json.loads(json.dumps(dict(key), default=str)):
        return None
    accuracy = frame(body["accuracy"])
    accuracy.index = body["accuracy"]["index"]
    frames = {name: frame(body[name]) for name in _FRAMES}
    return CashForecast(pd.Timestamp(body["as_of"]), body["currency"], body["available"], body["reason"],
                        frames["weeks"], frames["months"], float(body["open_total"] or 0.0), frames["tests"],
                        accuracy, dict(body["used"]), float("nan") if body["coverage"] is None else body["coverage"],
                        dict(body.get("new_sales") or {}))
