"""Frames in plain JSON for the stores of a run folder (risk.json, forecast.json): each column with
its dtype and values, so a table reads back with the same types and the same numbers (Python
floats keep all 17 digits; NaN is null). No pickle: reading a file runs no code."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd


def number(value: Any) -> Any:
    """A value for JSON: NaN as None, anything else unchanged."""
    return None if isinstance(value, float) and value != value else value


def frame_json(frame: pd.DataFrame) -> dict[str, Any]:
    """Columns, dtypes and values of ``frame`` (its index is not kept)."""
    data = {c: [number(v) for v in frame[c].tolist()] for c in frame.columns}
    return {"dtypes": {c: str(frame[c].dtype) for c in frame.columns}, "data": data}


def frame(body: Mapping[str, Any]) -> pd.DataFrame:
    """The frame :func:`frame_json` wrote (a categorical column comes back as text)."""
    columns = {}
    for name, dtype in body["dtypes"].items():
        values = pd.Series(body["data"][name], dtype=object)
        if dtype == "category":
            columns[name] = values.astype(str)
        elif dtype.startswith("float"):
            columns[name] = pd.to_numeric(values).astype(dtype)
        else:
            columns[name] = values.astype(dtype)
    return pd.DataFrame(columns)
