"""The cash effect of a goal: the one-off cash it frees when reached and that cash's yearly value.

docs/process.md (goals): a DSO reduction of Δ days frees Δ × annual credit sales / 365 of cash; its yearly value
is that amount × the client's capital rate — client.yaml ``costs: borrowing_rate``, or ``wacc``
with ``capital_rate_basis: wacc`` (the rate the cost model of notebook 02 uses; 0 when not set).
% over 90 and CEI have documented approximations (:func:`cash_effect`); other KPIs have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from arassess.assessment.case import Assessment
from arassess.costs.claims import YEAR_DAYS
from arassess.costs.claims import annual_credit_sales as ledger_annual_credit_sales
from arassess.costs.model import assumptions_from_config
from arassess.display.format import money_text
from arassess.goals.model import Goal

#: Goals whose gain is measured in days of sales: each day less frees one day of credit sales.
DSO_LIKE = ("dso", "dso_countback", "add")
RATE_LABELS = {"borrowing_rate": "borrowing rate", "wacc": "WACC"}


@dataclass(frozen=True)
class CashEffect:
    """Cash a goal frees once reached (one-off) and its yearly value at the capital rate."""

    freed_cash: float | None
    yearly_value: float | None
    text: str


@dataclass(frozen=True)
class CashBasis:
    """What the cash effects are computed from (see :func:`cash_basis`)."""

    annual_credit_sales: float | None
    rate: float
    rate_label: str
    ar_total: float | None
    cei_collectable: float | None   # AR(S) + sales(S, T] − current AR(T): CEI's denominator
    currency: str

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`cash_effect` and :func:`goals_table` after the rate."""
        return {"ar_total": self.ar_total, "cei_collectable": self.cei_collectable,
                "currency": self.currency, "rate_label": self.rate_label}


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def cash_basis(a: "Assessment") -> CashBasis:
    """Annual credit sales (client.yaml ``costs: annual_credit_sales``, else the ledger's year to
    T; None for open items), the capital rate the cost model uses (``costs: borrowing_rate``, or
    ``wacc`` with ``capital_rate_basis: wacc``; 0 when not set), total AR and CEI's denominator at T
    (None when CEI is not measurable)."""
    assumptions = assumptions_from_config(a.config.costs)
    sales = assumptions.annual_credit_sales
    if sales is None:
        sales = ledger_annual_credit_sales(a.ledger, a.as_of)
    m = a.table.measures.loc[a.as_of]
    collectable = m.get("ar_window_start", np.nan) + m.get("sales_window", np.nan) - m.get("ar_current", np.nan)
    return CashBasis(annual_credit_sales=_finite(sales), rate=float(assumptions.capital_rate),
                     rate_label=RATE_LABELS[assumptions.capital_rate_basis],
                     ar_total=_finite(a.table.value("ar_total", a.as_of)),
                     cei_collectable=_finite(pd.to_numeric(collectable, errors="coerce"))
                     if np.isfinite(a.table.value("cei", a.as_of)) else None, currency=a.currency)


def _amount(value: float, currency: str) -> str:
    return money_text(value, currency)


def cash_effect(goal: "Goal", annual_credit_sales: float | None, rate: float, *,
                ar_total: float | None = None, cei_collectable: float | None = None,
                currency: str = "", rate_label: str = "the client's rate") -> CashEffect:
    """The one-off cash a goal frees when reached, and its yearly value = freed cash × ``rate``.

    - DSO, countback DSO, ADD: Δdays × annual credit sales / 365 (docs/process.md).
    - % over 90 (approximation): the over-90 balance to collect, the rest of AR unchanged, for
      the share to fall from b to t: (b − t) × AR / (1 − t) (shares as fractions of AR today).
    - CEI (approximation): each CEI point is 1% more of the window's collectable amount
      (AR at the window start + the window's sales − current AR) collected, which stays out of AR:
      (t − b) / 100 × that amount.
    - Other KPIs: None, with a text saying so (their cash shows through DSO).
    A missing input gives None with the reason."""
    delta = goal.improvement
    if goal.key in DSO_LIKE:
        if not annual_credit_sales:
            return CashEffect(None, None, "Cash effect needs the annual credit sales (a full ledger, or "
                                          "costs: annual_credit_sales in client.yaml).")
        freed = delta * annual_credit_sales / YEAR_DAYS
        how = (f"{delta:.1f} days × {_amount(annual_credit_sales, currency)} annual credit sales / "
               f"{YEAR_DAYS}")
    elif goal.key == "pct_over_90":
        if ar_total is None:
            return CashEffect(None, None, "Cash effect needs total AR at the assessment date.")
        b, t = goal.baseline / 100, goal.target / 100
        freed = 0.0 if t >= 1 else (b - t) * ar_total / (1 - t)
        how = (f"the over-90 balance to collect so that its share of AR falls from {goal.baseline:.1f}% to "
               f"{goal.target:.1f}%, the rest of AR ({_amount(ar_total, currency)} in all today) unchanged")
    elif goal.key == "cei":
        if cei_collectable is None:
            return CashEffect(None, None, "Cash effect needs the CEI window's collectable amount (a full ledger).")
        freed = delta / 100 * cei_collectable
        how = (f"{delta:.1f} CEI points × {_amount(cei_collectable, currency)} collectable in the window, "
               "assuming the extra collections stay out of AR")
    else:
        return CashEffect(None, None, f"No direct cash translation for {goal.label}; its effect on cash shows "
                                      "through DSO.")
    yearly = freed * rate
    worth = (f"worth {_amount(yearly, currency)} a year at {rate:.1%} ({rate_label})" if rate
             else f"no yearly value: no {rate_label} is set in client.yaml costs")
    return CashEffect(freed, yearly, f"Frees {_amount(freed, currency)} of cash ({how}); {worth}.")


__all__ = ["CashBasis", "CashEffect", "DSO_LIKE", "cash_basis", "cash_effect"]
