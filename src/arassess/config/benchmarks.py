"""The benchmark library, ``templates/benchmarks.yaml``: published figures per KPI, industry and
region, each with its source and year (data, checked here; matched to a client by
:mod:`arassess.kpi.benchmarks`).

Every entry must name a KPI, an industry and a region from the file's lists (or ``all``), a number,
what the number is (``meaning``), its ``source`` and the ``year`` of its data; ``top`` and
``bottom`` (top and bottom performers) are optional. A broken entry is a ConfigError naming the file,
the entry and the key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from arassess.config.yamlfile import read_yaml
from arassess.errors import ConfigError
from arassess.paths import TEMPLATES_DIR

BENCHMARKS_FILE = TEMPLATES_DIR / "benchmarks.yaml"
ANY = "all"
REQUIRED = ("kpi", "label", "industry", "region", "value", "meaning", "source", "year")
OPTIONAL = ("top", "bottom", "published", "link", "checked", "note", "as_quoted")


@dataclass(frozen=True)
class Published:
    """One published figure."""

    kpi: str
    label: str
    industry: str
    region: str
    value: float
    meaning: str
    source: str
    year: int
    top: float | None = None
    bottom: float | None = None
    published: str = ""
    link: str = ""
    checked: str = ""
    note: str = ""
    as_quoted: bool = False


@dataclass(frozen=True)
class Library:
    """The file's industries and regions (key → name) and its entries."""

    industries: Mapping[str, str]
    regions: Mapping[str, str]
    entries: tuple[Published, ...]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a number, got {value!r}.")
    return float(value)


def _entry(raw: Any, at: str, library: Library) -> Published:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{at} must be a mapping with {', '.join(REQUIRED)}.")
    missing = [k for k in REQUIRED if raw.get(k) in (None, "")]
    if missing:
        raise ConfigError(f"{at} lacks {', '.join(missing)}: every benchmark names its source and the year of "
                          "its data.")
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ConfigError(f"{at} has unknown key(s) {', '.join(unknown)}; valid: {', '.join(REQUIRED + OPTIONAL)}.")
    for key, names in (("industry", library.industries), ("region", library.regions)):
        if raw[key] != ANY and raw[key] not in names:
            raise ConfigError(f"{at}.{key} must be {ANY} or one of {', '.join(names)}, got {raw[key]!r}.")
    year = raw["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= dt.date.today().year:
        raise ConfigError(f"{at}.year must be the year of the data, e.g. 2023, got {year!r}.")
    return Published(
        str(raw["kpi"]), " ".join(str(raw["label"]).split()), str(raw["industry"]), str(raw["region"]),
        _number(raw["value"], f"{at}.value"),
        " ".join(str(raw["meaning"]).split()), " ".join(str(raw["source"]).split()), year,
        None if raw.get("top") is None else _number(raw["top"], f"{at}.top"),
        None if raw.get("bottom") is None else _number(raw["bottom"], f"{at}.bottom"),
        str(raw.get("published") or ""), str(raw.get("link") or ""), str(raw.get("checked") or ""),
        " ".join(str(raw.get("note") or "").split()), bool(raw.get("as_quoted", False)))


def read_library(path: Path = BENCHMARKS_FILE) -> Library:
    """The library in ``path``, every entry checked (KPI keys are checked by kpi.benchmarks)."""
    raw = read_yaml(path) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path} must be a mapping with industries, regions and benchmarks.")
    names = {}
    for key in ("industries", "regions"):
        value = raw.get(key)
        if not isinstance(value, Mapping) or not value:
            raise ConfigError(f"{path}: {key} must map each key to its name.")
        names[key] = {str(k): str(v) for k, v in value.items()}
    library = Library(names["industries"], names["regions"], ())
    entries = raw.get("benchmarks") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: benchmarks must be a list of entries.")
    found = tuple(_entry(e, f"{path}: benchmarks[{i}]", library) for i, e in enumerate(entries))
    return Library(library.industries, library.regions, found)


@lru_cache(maxsize=4)
def library(path: Path = BENCHMARKS_FILE) -> Library:
    """:func:`read_library`, read once per process (the file is data shipped with the code)."""
    return read_library(path)


def check_choice(value: Any, kind: str, where: str) -> str | None:
    """``industry`` / ``region`` from client.yaml checked against the library (None when not set)."""
    if value is None or value == "":
        return None
    names = library().industries if kind == "industry" else library().regions
    if str(value) not in names:
        raise ConfigError(f"{where}: '{kind}' must be one of {', '.join(names)} (templates/benchmarks.yaml), "
                          f"got {value!r}.")
    return str(value)
