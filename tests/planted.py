"""Synthetic ledgers whose in-house collection curve is known by construction (planted).

Every invoice falls past due with its whole amount open. From age 1 on, each day it is collected
in full with probability ``collect(u)`` or written off in full with probability ``write_off(u)``
(u = days past due). The true share collected from age a is then

    C(a) = Σ_{u > a} S(u − 1) / S(a) · collect(u),   S(u) = Π_{v ≤ u} (1 − collect(v) − write_off(v)),

computed by :func:`true_collected`. Nothing dated after the as-of date is written (a claim that
resolves later is still open: censored), so a ledger cut earlier is a point-in-time view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from arassess.inputs.intake import ledger_from_frames
from arassess.ledger.model import Ledger

HORIZON = 730
Hazard = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Shape:
    """Daily hazards of being collected and written off by age u ≥ 1."""

    name: str
    collect: Hazard
    write_off: Hazard

    def hazards(self, horizon: int = HORIZON) -> tuple[np.ndarray, np.ndarray]:
        u = np.arange(horizon + 1, dtype=float)
        hc, hw = np.asarray(self.collect(u), float).copy(), np.asarray(self.write_off(u), float).copy()
        hc[0] = hw[0] = 0.0
        return hc, np.minimum(hw, 1.0 - hc)


SHAPES = {
    # a strong team: collects steadily, rarely writes off
    "strong": Shape("strong", lambda u: 0.05 * np.exp(-u / 400), lambda u: np.full(u.shape, 0.0006)),
    # a weak team: collects early claims, then almost stops while write-offs go on
    "weak": Shape("weak", lambda u: np.where(u <= 40, 0.04, 0.0015), lambda u: np.full(u.shape, 0.004)),
    # a cliff: collects until 90 days, then writes off everything still open
    "cliff": Shape("cliff", lambda u: np.where(u < 90, 0.02, 0.0), lambda u: np.where(u == 90, 1.0, 0.0)),
}


def true_collected(shape: Shape, ages: np.ndarray, horizon: int = HORIZON) -> np.ndarray:
    """C(a) of the planted process (see the module docstring), up to ``horizon``."""
    hc, hw = shape.hazards(horizon)
    s = np.cumprod(1 - hc - hw)
    before = np.concatenate([[1.0], s[:-1]])
    g = np.cumsum(before * hc)
    a = np.asarray(ages, dtype=int)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (g[-1] - g[a]) / s[a]


def planted_ledger(shape: Shape, *, invoices: int = 6000, customers: int = 120, years: float = 3.0,
                   as_of: str = "2026-10-31", seed: int = 1, amount_scale: float = 1.0,
                   cut: str | None = None) -> Ledger:
    """A full ledger of ``invoices`` over ``years`` before ``as_of``, every one past due with the
    planted outcome. ``cut``: an earlier as-of date; events after it are dropped (censoring)."""
    rng = np.random.default_rng(seed)
    t = pd.Timestamp(cut or as_of)
    end = pd.Timestamp(as_of)
    due = end - pd.to_timedelta(rng.integers(1, int(365 * years), invoices), unit="D")
    hc, hw = shape.hazards()
    s = np.cumprod(1 - hc - hw)
    before = np.concatenate([[1.0], s[:-1]])
    pmf = np.concatenate([before * hc, before * hw, [s[-1]]])  # collect at u, written off at u, never
    draw = np.searchsorted(np.cumsum(pmf), rng.random(invoices) * pmf.sum(), side="right")
    h1 = HORIZON + 1
    age = np.where(draw < h1, draw, np.where(draw < 2 * h1, draw - h1, -1))
    kind = np.where(draw < h1, "paid", np.where(draw < 2 * h1, "written_off", "open"))
    amount = np.round(rng.lognormal(7.0, 1.0, invoices) * amount_scale, 2)
    day = due + pd.to_timedelta(np.maximum(age, 0), unit="D")
    keep = due <= t
    resolved = (kind != "open") & (day <= t)
    inv = pd.DataFrame({
        "invoice_id": [f"P{i:06d}" for i in range(invoices)],
        "customer_id": [f"C{c:04d}" for c in rng.integers(0, customers, invoices)],
        "invoice_date": due - pd.Timedelta(days=30), "due_date": due, "amount": amount,
        "paid_date": pd.Series(day, dtype="datetime64[us]").where(resolved & (kind == "paid")),
        "written_off_date": pd.Series(day, dtype="datetime64[us]").where(resolved & (kind == "written_off")),
    })[keep].reset_index(drop=True)
    inv["written_off_amount"] = inv["amount"].where(inv["written_off_date"].notna())
    return ledger_from_frames(inv, as_of=t)


def planted_config(costs: dict | None = None, as_of: str = "2026-10-31", name: str = "Planted Ltd"):
    """A minimal client configuration for a planted ledger (cost settings in ``costs``)."""
    import datetime as dt
    from pathlib import Path

    from arassess.config.client import DEFAULT_AGING_EDGES, ClientConfig

    return ClientConfig(root=Path("planted"), name=name, currency="EUR", as_of=dt.date.fromisoformat(as_of),
                        shape="ledger", files={}, fx_rates={}, max_rejected_share=0.05, window_days=90,
                        aging_edges=DEFAULT_AGING_EDGES, costs=dict(costs or {}))
