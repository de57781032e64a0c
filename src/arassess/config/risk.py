"""Settings of the late-payment risk model: the ``risk:`` section of client.yaml.

    risk:
      threshold_days: 30     # "late" = paid more than this many days after the due date
      low_below: 0.2         # customer score below this: band low
      high_from: 0.5         # customer score from this: band high (in between: medium)
      min_train_rows: 400    # history needed before the validation cut-off ...
      min_test_rows: 150     # ... and after it
      min_class_rows: 25     # late and on-time invoices needed in each period
      burn_in_days: 90       # invoices this close to the ledger's start are not learnt from
      test_share: 0.3        # share of the history (by due date) kept for the test
      seed: 7                # every random choice of the fit
      bootstrap: 200         # resamples for the AUC intervals
      max_history_rows: 60000  # a larger history is fitted and tested on a seeded sample of this size

Kept apart from :mod:`arassess.risk.model` so the config loader can validate it without importing the
model code.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

from arassess.errors import ConfigError


@dataclass(frozen=True)
class RiskSettings:
    """The ``risk:`` section of client.yaml (all optional)."""

    threshold_days: int = 30       # "late" = paid more than this many days after the due date
    low_below: float = 0.20        # customer score below this: band low
    high_from: float = 0.50        # customer score from this: band high
    min_train_rows: int = 400      # history rows needed before the cut-off
    min_test_rows: int = 150       # history rows needed after it
    min_class_rows: int = 25       # late and on-time rows needed in each of training and test
    burn_in_days: int = 90         # invoices this close to the ledger's start are not rows
    test_share: float = 0.30       # share of the history rows (by due date) in the test period
    seed: int = 7
    bootstrap: int = 200           # paired bootstrap resamples of the test period
    max_history_rows: int = 60_000  # above this, a seeded uniform sample of the history rows is used


_INT_KEYS = {"threshold_days": (1, 365), "min_train_rows": (50, 10 ** 7), "min_test_rows": (20, 10 ** 7),
             "min_class_rows": (5, 10 ** 6), "burn_in_days": (0, 3650), "seed": (0, 2 ** 31 - 1),
             "bootstrap": (50, 10_000), "max_history_rows": (1_000, 10 ** 7)}
_FLOAT_KEYS = {"low_below": (0.0, 1.0), "high_from": (0.0, 1.0), "test_share": (0.1, 0.5)}


def risk_settings(raw: Mapping[str, Any] | None, where: str = "client.yaml") -> RiskSettings:
    """Settings from the ``risk:`` mapping; ConfigError naming ``risk.<key>`` for an unknown key or
    a value out of range (ranges in ``_INT_KEYS`` / ``_FLOAT_KEYS``; low_below ≤ high_from)."""
    raw = dict(raw or {})
    known = {f.name for f in fields(RiskSettings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) risk.{', risk.'.join(unknown)}; expected {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _INT_KEYS:
            lo, hi = _INT_KEYS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ConfigError(f"{where}: risk.{key} must be a whole number from {lo} to {hi}, got {value!r}")
        else:
            lo, hi = _FLOAT_KEYS[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= float(value) <= hi:
                raise ConfigError(f"{where}: risk.{key} must be a number from {lo} to {hi}, got {value!r}")
            value = float(value)
        values[key] = value
    settings = replace(RiskSettings(), **values)
    if settings.low_below > settings.high_from:
        raise ConfigError(f"{where}: risk.low_below ({settings.low_below}) must not exceed risk.high_from "
                          f"({settings.high_from})")
    return settings
