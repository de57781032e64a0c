"""The ``legal:`` section of client.yaml: which late-payment law the client's claims fall under.

    legal:
      regime: eu          # eu | uk | contract | none (default none: no entitlement is shown)
      rate: 0.12          # contract only: the contractual annual interest rate (0.12 = 12%)
      fixed_fee: 25       # contract only: a fixed sum per late invoice in the client's currency (default 0)
      charges_interest: false   # true: the client's terms charge it, so final notices state what accrued

``eu`` and ``uk`` take their reference rates, margins and fixed sums from
``templates/legal/reference_rates.yaml`` (:mod:`arassess.legal.rates`). Kept apart from the
computation so the config loader can check it without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from arassess.errors import ConfigError

REGIMES = ("none", "eu", "uk", "contract")
KEYS = ("regime", "rate", "fixed_fee", "charges_interest")


@dataclass(frozen=True)
class LegalSettings:
    """The ``legal:`` section (all optional)."""

    regime: str = "none"
    rate: float | None = None         # contract: annual rate as a fraction
    fixed_fee: float = 0.0            # contract: fixed sum per late invoice (client currency)
    charges_interest: bool = False    # the client's terms charge interest and fees


def legal_settings(raw: Mapping[str, Any] | None, where: str = "client.yaml") -> LegalSettings:
    """Settings from the ``legal:`` mapping; ConfigError naming ``legal.<key>`` for an unknown key,
    an unknown regime, a contract without its rate, or a value out of range."""
    raw = dict(raw or {})
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) legal.{', legal.'.join(unknown)}; expected {', '.join(KEYS)}")
    regime = str(raw.get("regime", "none")).strip().lower()
    if regime not in REGIMES:
        raise ConfigError(f"{where}: legal.regime must be one of {', '.join(REGIMES)}, got {raw.get('regime')!r}")
    rate = raw.get("rate")
    if regime == "contract":
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < float(rate) <= 1:
            raise ConfigError(f"{where}: legal.rate must be the contractual annual rate as a fraction from 0 to 1 "
                              f"(0.12 = 12%) when legal.regime is contract, got {rate!r}")
    elif rate is not None:
        raise ConfigError(f"{where}: legal.rate applies to legal.regime contract only ({regime} takes the statutory "
                          "rate from templates/legal/reference_rates.yaml)")
    fee = raw.get("fixed_fee", 0)
    if isinstance(fee, bool) or not isinstance(fee, (int, float)) or not 0 <= float(fee) <= 1e6:
        raise ConfigError(f"{where}: legal.fixed_fee must be an amount from 0 to 1,000,000, got {fee!r}")
    if fee and regime != "contract":
        raise ConfigError(f"{where}: legal.fixed_fee applies to legal.regime contract only ({regime} takes the "
                          "statutory fixed sums)")
    charges = raw.get("charges_interest", False)
    if not isinstance(charges, bool):
        raise ConfigError(f"{where}: legal.charges_interest must be true or false, got {charges!r}")
    return LegalSettings(regime, None if rate is None else float(rate), float(fee), charges)
