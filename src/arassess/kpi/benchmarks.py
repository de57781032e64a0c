"""The benchmark a client's KPI is compared with: the best-matching published figure of the library
(:mod:`arassess.config.benchmarks`), else the registry's rule of thumb, labelled as such.

Match order for a client in industry ``i`` and region ``r``: (i, r), (i, all), (all, r), (all, all).
A client without an industry or region matches only ``all`` there. The chosen benchmark knows how to
say itself: "APQC median ≤ 36.0 days, top performers ≤ 30.0 days (2018)" or "rule of thumb ≤ 45.0 days
(no published source)".
"""

from __future__ import annotations

from dataclasses import dataclass

from arassess.config.benchmarks import ANY, Library, Published, library
from arassess.display.format import format_value
from arassess.errors import ConfigError
from arassess.kpi.registry import KPIS, Kpi, get

RULE_OF_THUMB = "rule of thumb"


@dataclass(frozen=True)
class Benchmark:
    """What one KPI is compared with; ``entry`` None for the registry's rule of thumb."""

    kpi: Kpi
    value: float
    entry: Published | None = None

    @property
    def published(self) -> bool:
        return self.entry is not None

    def status(self, value: float) -> str:
        """'good', 'bad' or '' (no direction, or no value) against this benchmark."""
        if self.kpi.higher_is_better is None or value != value:
            return ""
        better = value >= self.value if self.kpi.higher_is_better else value <= self.value
        return "good" if better else "bad"

    def text(self, currency: str = "") -> str:
        """The benchmark in words with its source year, or labelled as a rule of thumb."""
        unit = self.kpi.unit
        sign = "≥ " if self.kpi.higher_is_better else "≤ "
        if self.entry is None:
            return f"{RULE_OF_THUMB} {sign}{format_value(self.value, unit, currency)} (no published source)"
        e = self.entry
        parts = [f"{e.label} {sign}{format_value(e.value, unit, currency)}"]
        if e.top is not None:
            parts.append(f"top performers {sign}{format_value(e.top, unit, currency)}")
        return ", ".join(parts) + f" ({e.year})"

    def citation(self) -> str:
        """Source, year and where it was published (the appendix line)."""
        if self.entry is None:
            return f"{self.kpi.label}: {RULE_OF_THUMB} {self.value:g} (arassess default; no published source found)"
        e = self.entry
        where = f"; {e.published}" if e.published else ""
        quoted = " (as quoted)" if e.as_quoted else ""
        scope = ", ".join(x for x in (e.industry if e.industry != ANY else "", e.region if e.region != ANY else "")
                          if x) or "all industries and regions"
        return (f"{self.kpi.label}: {e.value:g} — {e.meaning}. {e.source}{quoted}, data {e.year}{where} ({scope})."
                + (f" {e.note}" if e.note else ""))


def check_library(lib: Library) -> None:
    """Every entry names a registry KPI that has a direction (ConfigError otherwise)."""
    keys = {k.key: k for k in KPIS}
    for e in lib.entries:
        if e.kpi not in keys or keys[e.kpi].higher_is_better is None:
            raise ConfigError(f"templates/benchmarks.yaml: {e.kpi!r} is not a KPI with a direction; valid: "
                              f"{', '.join(k for k, v in keys.items() if v.higher_is_better is not None)}.")


def benchmark_for(key: str, industry: str | None = None, region: str | None = None,
                  lib: Library | None = None) -> Benchmark | None:
    """The benchmark of KPI ``key`` for a client (module docstring); None when the KPI has none."""
    lib = lib or library()
    kpi = get(key)
    candidates = [(industry, region), (industry, ANY), (ANY, region), (ANY, ANY)]
    for i, r in candidates:
        if i is None or r is None:
            continue
        found = [e for e in lib.entries if e.kpi == key and e.industry == i and e.region == r]
        if found:
            best = max(found, key=lambda e: e.year)  # the most recent data
            return Benchmark(kpi, best.value, best)
    return Benchmark(kpi, float(kpi.benchmark)) if kpi.benchmark is not None else None


def benchmark_set(industry: str | None = None, region: str | None = None) -> dict[str, Benchmark]:
    """Every registry KPI's benchmark for a client (KPIs without one left out)."""
    lib = library()
    check_library(lib)
    out = {}
    for kpi in KPIS:
        b = benchmark_for(kpi.key, industry or ANY, region or ANY, lib)
        if b is not None:
            out[kpi.key] = b
    return out
