"""Statutory late-payment interest rates from dated data (``templates/legal/reference_rates.yaml``).

A regime (EU Directive 2011/7/EU, UK Late Payment Act 1998) charges a reference rate plus a margin.
The reference rate of a half-year (1 January – 30 June, 1 July – 31 December) is the central bank's
rate in force on its first day (``reference_on: first_day``, EU) or on the day before it
(``day_before``, UK: 31 December / 30 June). Over a lateness period the rate then applies either
day by day, each day taking its half-year's rate (``rule: half_year``, EU), or fixed at the
half-year in which the debt became late (``fixed_at_due``, UK). After the table's last change the
last rate is taken to continue; :attr:`Regime.known_until` says from when that was assumed.

The per-day annual rate ``ρ(d)`` (a fraction) on a grid of day numbers is what the entitlement
integrates: interest on an amount ``c`` late from day ``a`` (exclusive) to day ``b`` (inclusive) is
``c · Σ_{d=a+1..b} ρ(d) / 365`` (half_year) or ``c · ρ(a + 1) · (b − a) / 365`` (fixed_at_due).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from arassess.config.yamlfile import read_yaml
from arassess.errors import ConfigError
from arassess.ledger.balances import day_number
from arassess.paths import TEMPLATES_DIR

RATES_FILE = TEMPLATES_DIR / "legal" / "reference_rates.yaml"
RULES = ("half_year", "fixed_at_due")
REFERENCE_ON = ("first_day", "day_before")


@dataclass(frozen=True)
class Band:
    """A fixed sum per late invoice for debts below ``below`` (None: no upper edge)."""
    amount: float
    below: float | None = None


@dataclass(frozen=True)
class Regime:
    """One regime of the rates file, its reference-rate changes as a dated series (percent)."""

    key: str
    law: str
    reference_name: str
    source: str
    link: str
    checked: str
    changes: pd.Series            # annual rate in percent, indexed by the day it took effect
    margin: float                 # percentage points over the reference rate
    rule: str
    reference_on: str
    currency: str
    fixed: tuple[Band, ...]
    note: str = ""

    @property
    def known_until(self) -> pd.Timestamp:
        """The last change in the table: later rates are assumed unchanged."""
        return pd.Timestamp(self.changes.index.max())

    def rate_in_force(self, day: pd.Timestamp) -> float:
        """The reference rate (percent) in force on ``day``; ConfigError before the first row."""
        known = self.changes[self.changes.index <= pd.Timestamp(day)]
        if not len(known):
            raise ConfigError(f"{RATES_FILE}: {self.reference_name} has no rate for {pd.Timestamp(day):%Y-%m-%d} "
                              f"(its first row is {self.changes.index.min():%Y-%m-%d}); add the rates before it.")
        return float(known.iloc[-1])

    def half_year_reference(self, start: pd.Timestamp) -> float:
        """The reference rate (percent) of the half-year beginning on ``start`` (1 Jan or 1 Jul)."""
        day = start if self.reference_on == "first_day" else start - pd.Timedelta(days=1)
        return self.rate_in_force(day)

    def daily_rates(self, first: int, last: int) -> np.ndarray:
        """``ρ(d)`` for day numbers ``first … last``: the half-year's reference rate plus the margin,
        as an annual fraction."""
        days = pd.date_range(pd.Timestamp(int(first), unit="D"), pd.Timestamp(int(last), unit="D"), freq="D")
        starts = pd.DatetimeIndex([pd.Timestamp(d.year, 1 if d.month <= 6 else 7, 1) for d in
                                   pd.date_range(days[0] - pd.DateOffset(months=6), days[-1], freq="MS")])
        halves = sorted(set(starts))
        reference = {h: self.half_year_reference(h) for h in halves}
        half_of_day = pd.DatetimeIndex([pd.Timestamp(y, m, 1) for y, m in
                                        zip(days.year, np.where(days.month <= 6, 1, 7))])
        return (half_of_day.map(reference).to_numpy(dtype=float) + self.margin) / 100.0

    def fixed_sum(self, debt: np.ndarray) -> np.ndarray:
        """The fixed sum (regime currency) per debt, by the size bands."""
        debt = np.asarray(debt, dtype=float)
        out = np.full(len(debt), self.fixed[-1].amount if self.fixed else 0.0)
        for band in reversed(self.fixed):
            if band.below is not None:
                out = np.where(debt < band.below, band.amount, out)
        return out


def _changes(raw: Any, where: str) -> pd.Series:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{where}.changes must map dates (YYYY-MM-DD) to rates in percent.")
    try:
        index = pd.DatetimeIndex([pd.Timestamp(str(k)) for k in raw])
        values = [float(v) for v in raw.values()]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}.changes: {exc} (dates YYYY-MM-DD, rates in percent).") from None
    return pd.Series(values, index=index).sort_index()


def _regime(key: str, raw: Mapping[str, Any], references: Mapping[str, Any], path: Path) -> Regime:
    where = f"{path}: regimes.{key}"
    ref_key = raw.get("reference")
    if ref_key not in references:
        raise ConfigError(f"{where}.reference must name one of {', '.join(references)}, got {ref_key!r}.")
    ref = references[ref_key]
    if raw.get("rule") not in RULES or raw.get("reference_on") not in REFERENCE_ON:
        raise ConfigError(f"{where}: rule must be one of {', '.join(RULES)} and reference_on one of "
                          f"{', '.join(REFERENCE_ON)}.")
    bands = tuple(Band(float(b["amount"]), None if b.get("below") is None else float(b["below"]))
                  for b in raw.get("fixed") or ())
    return Regime(key, str(raw.get("law", key)), str(ref.get("name", ref_key)), str(ref.get("source", "")),
                  str(ref.get("link", "")), str(ref.get("checked", "")),
                  _changes(ref.get("changes"), f"{path}: references.{ref_key}"), float(raw.get("margin", 0.0)),
                  str(raw["rule"]), str(raw["reference_on"]), str(raw.get("currency", "")).upper(), bands,
                  " ".join(str(raw.get("note", "")).split()))


def load_regimes(path: Path = RATES_FILE) -> dict[str, Regime]:
    """Every regime of the rates file, checked (ConfigError naming the file and key)."""
    raw = read_yaml(path) or {}
    references, regimes = raw.get("references") or {}, raw.get("regimes") or {}
    return {str(k): _regime(str(k), v, references, path) for k, v in regimes.items()}


def contract_regime(rate: float, fixed_fee: float, currency: str) -> Regime:
    """The client's contractual terms as a regime: a constant annual ``rate`` (fraction), fixed at
    due, and ``fixed_fee`` per late invoice in the client's currency."""
    return Regime("contract", "the client's contractual payment terms", "contractual rate", "client.yaml (legal.rate)",
                  "", f"{dt.date.today():%Y-%m-%d}", pd.Series([rate * 100.0], index=pd.DatetimeIndex(["1970-01-01"])),
                  0.0, "fixed_at_due", "first_day", currency, (Band(fixed_fee),))


__all__ = ["Band", "RATES_FILE", "Regime", "contract_regime", "day_number", "load_regimes"]
