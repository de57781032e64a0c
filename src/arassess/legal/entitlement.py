"""What late payment entitled the client to claim: statutory (or contractual) interest and the fixed
sum per late invoice, over the last 12 months, in total and by customer.

Rules (rates and their application: :mod:`arassess.legal.rates`):

- **Lateness** starts the day after the due date. A disputed invoice accrues nothing while the
  dispute is open: once resolved, lateness counts from the later of its due date and the resolution
  date; a dispute still open (no resolution date) takes the invoice out. Credit notes (amount ≤ 0)
  and write-offs owe nothing.
- **Interest** on each payment received late: the amount paid × the rate over the days from the start
  of lateness to the payment day (``c · Σ ρ(d) / 365``, or the rate fixed at due × days / 365) — a
  partial payment accrues until it is paid, the rest until it is paid in turn.
- **Window**: payments received in the 12 months up to the assessment date, ``(T − 12 months, T]``.
- **Fixed sum**: once per invoice settled late by payment in the window, by the regime's size bands
  on the invoice amount in the regime's currency; converted into the client's currency with
  ``fx.rates`` when the currencies differ.
- **Still accruing**: invoices open and late at ``T`` — their open balance × the rate since lateness
  started, and their fixed sums — shown apart, not in the 12-month total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from arassess.config.legal import LegalSettings
from arassess.errors import ConfigError
from arassess.kpi.open_items import customer_table
from arassess.ledger.balances import MONEY_EPSILON, NEVER, cash_events, day_number, settle_days, timeline_of, to_days
from arassess.ledger.model import Ledger
from arassess.legal.rates import Regime, contract_regime, load_regimes

WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Entitlement:
    """The entitlement at ``as_of`` (module docstring); ``available`` False with ``reason`` when none is
    shown (regime none, an open-items export without payments)."""

    available: bool
    reason: str
    regime: Regime | None = None
    as_of: pd.Timestamp | None = None
    start: pd.Timestamp | None = None
    currency: str = ""
    invoices: pd.DataFrame = field(default_factory=pd.DataFrame)   # one row per invoice paid late in the window
    by_customer: pd.DataFrame = field(default_factory=pd.DataFrame)
    interest: float = 0.0
    fixed: float = 0.0
    late_invoices: int = 0
    disputed_left_out: int = 0
    accruing_interest: float = 0.0
    accruing_fixed: float = 0.0
    accruing_invoices: int = 0
    assumed_from: pd.Timestamp | None = None   # rates after this day assumed unchanged (None: all known)
    accruing_by_customer: pd.DataFrame = field(default_factory=pd.DataFrame)  # customer_id, interest, fixed

    def accrued_for(self, customer_id: Any) -> tuple[float, float]:
        """(interest, fixed sums) accrued so far on the customer's open late invoices."""
        table = self.accruing_by_customer
        if not len(table) or customer_id not in set(table["customer_id"]):
            return 0.0, 0.0
        row = table.loc[table["customer_id"] == customer_id].iloc[0]
        return float(row["interest"]), float(row["fixed"])

    @property
    def total(self) -> float:
        return self.interest + self.fixed

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (money rounded to cents)."""
        if not self.available:
            return {"available": False, "reason": self.reason}
        r = self.regime
        return {"available": True, "regime": r.key, "law": r.law, "reference": r.reference_name,
                "margin_points": r.margin, "window": [f"{self.start:%Y-%m-%d}", f"{self.as_of:%Y-%m-%d}"],
                "currency": self.currency, "late_invoices": self.late_invoices,
                "interest": round(self.interest, 2), "fixed": round(self.fixed, 2), "total": round(self.total, 2),
                "disputed_left_out": self.disputed_left_out,
                "accruing": {"invoices": self.accruing_invoices, "interest": round(self.accruing_interest, 2),
                             "fixed": round(self.accruing_fixed, 2)},
                "rates_assumed_unchanged_after": None if self.assumed_from is None else f"{self.assumed_from:%Y-%m-%d}"}


def regime_of(settings: LegalSettings, currency: str) -> Regime | None:
    """The regime the settings name (None for ``none``)."""
    if settings.regime == "none":
        return None
    if settings.regime == "contract":
        return contract_regime(float(settings.rate or 0.0), settings.fixed_fee, currency)
    return load_regimes()[settings.regime]


def lateness_start(ledger: Ledger) -> np.ndarray:
    """Per invoice, the last day before lateness starts (day numbers): the due date, or the later of
    the due date and the dispute's resolution; NEVER for a dispute still open."""
    tl = timeline_of(ledger)
    inv = ledger.invoices
    start = tl.due_day.copy()
    if "dispute_date" in inv or "disputed" in inv:
        none = np.zeros(len(inv), bool)
        raised = to_days(inv["dispute_date"]) < NEVER if "dispute_date" in inv else none
        flagged = inv["disputed"].fillna(False).astype(bool).to_numpy() if "disputed" in inv else none
        resolved = (to_days(inv["dispute_resolved_date"]) if "dispute_resolved_date" in inv
                    else np.full(len(inv), NEVER))
        disputed = raised | flagged
        start = np.where(disputed, np.where(resolved < NEVER, np.maximum(start, resolved), NEVER), start)
    return start


def _factor(regime: Regime, late_from: np.ndarray, until: np.ndarray) -> np.ndarray:
    """Σ of the annual rate / 365 over the days ``late_from + 1 … until`` of each pair (0 when not late)."""
    late = until > late_from
    if not late.any():
        return np.zeros(len(until))
    lo, hi = int(late_from[late].min()), int(until[late].max())
    rho = regime.daily_rates(lo, hi)  # index 0 is day lo
    if regime.rule == "half_year":
        cum = np.concatenate([[0.0], np.cumsum(rho / 365.0)])  # cum[k] = Σ over days lo … lo + k − 1
        a = np.clip(late_from - lo + 1, 0, len(rho))
        b = np.clip(until - lo + 1, 0, len(rho))
        return np.where(late, cum[b] - cum[a], 0.0)
    first = np.clip(late_from + 1 - lo, 0, len(rho) - 1)
    return np.where(late, rho[first] * (until - late_from) / 365.0, 0.0)


def _to_client(regime: Regime, currency: str, fx_rates: Mapping[str, float]) -> float:
    """Units of the client's currency per unit of the regime's (1 when the same)."""
    if not regime.currency or regime.currency == currency:
        return 1.0
    if regime.currency not in fx_rates:
        raise ConfigError(f"legal.regime {regime.key} has fixed sums in {regime.currency}; client.yaml's fx.rates "
                          f"needs a rate for {regime.currency} (units of {currency} per 1 {regime.currency}).")
    return float(fx_rates[regime.currency])


def entitlement(ledger: Ledger, as_of: pd.Timestamp | str, settings: LegalSettings, currency: str,
                fx_rates: Mapping[str, float] | None = None, regime: Regime | None = None) -> Entitlement:
    """The late-payment entitlement of the 12 months up to ``as_of`` (module docstring)."""
    regime = regime or regime_of(settings, currency)
    if regime is None:
        return Entitlement(False, "No late-payment law is set (legal.regime: none in client.yaml).")
    if ledger.shape != "ledger":
        return Entitlement(False, "An open-items export has no payment history: the interest owed on late "
                                  "payments cannot be worked out.", regime)
    tl = timeline_of(ledger)
    end = day_number(as_of)
    start = day_number(pd.Timestamp(as_of) - pd.DateOffset(months=WINDOW_MONTHS))
    late_from = lateness_start(ledger)
    rate = _to_client(regime, currency, fx_rates or {})

    inv, day, cash = cash_events(ledger)
    chunk = (tl.amount[inv] > 0) & (day > start) & (day <= end) & (day > late_from[inv])
    interest_each = cash[chunk] * _factor(regime, late_from[inv[chunk]], day[chunk])
    interest = np.bincount(inv[chunk], weights=interest_each, minlength=len(tl.amount))

    settled = settle_days(ledger)
    paid_late = (tl.settled_by_payment & (settled > start) & (settled <= end) & (settled > late_from)
                 & (late_from < NEVER))
    debt = tl.amount / rate  # the invoice in the regime's currency
    fixed = np.where(paid_late, regime.fixed_sum(debt) * rate, 0.0)
    rows = np.flatnonzero(paid_late | (interest > MONEY_EPSILON))

    known = tl.ev_day <= end
    balance = np.bincount(tl.ev_inv[known], weights=tl.ev_delta[known], minlength=len(tl.amount))
    still = (balance > MONEY_EPSILON) & (tl.amount > 0) & (late_from < end)
    accrued = balance[still] * _factor(regime, late_from[still], np.full(int(still.sum()), end))
    accrued_fixed = regime.fixed_sum(debt[still]) * rate
    accruing = (pd.DataFrame({"customer_id": tl.customer_ids[tl.customer[still]], "interest": accrued,
                              "fixed": accrued_fixed}).groupby("customer_id", sort=False).sum().reset_index())

    names = customer_table(ledger)["customer_name"]
    ids = tl.customer_ids[tl.customer[rows]]
    frame = pd.DataFrame({
        "invoice_id": ledger.invoices["invoice_id"].to_numpy()[rows], "customer_id": ids,
        "customer_name": names.reindex(ids).to_numpy(), "amount": tl.amount[rows],
        "due_date": pd.to_datetime(tl.due_day[rows], unit="D"),
        "settled": pd.to_datetime(np.where(settled[rows] < NEVER, settled[rows], 0), unit="D").where(
            settled[rows] < NEVER),
        "days_late": np.where(settled[rows] < NEVER, settled[rows] - late_from[rows], end - late_from[rows]),
        "interest": interest[rows], "fixed": fixed[rows]})
    frame["total"] = frame["interest"] + frame["fixed"]
    by_customer = (frame.groupby(["customer_id", "customer_name"], sort=False, dropna=False)
                   .agg(invoices=("invoice_id", "size"), interest=("interest", "sum"), fixed=("fixed", "sum"),
                        total=("total", "sum"))
                   .reset_index().sort_values(["total", "customer_id"], ascending=[False, True], ignore_index=True))
    disputed = int(((late_from == NEVER) & (tl.amount > 0)).sum())
    assumed = regime.known_until if regime.key != "contract" and end > day_number(regime.known_until) else None
    return Entitlement(
        True, "", regime, pd.Timestamp(as_of).normalize(), pd.Timestamp(start, unit="D"), currency,
        frame.sort_values(["total", "invoice_id"], ascending=[False, True], ignore_index=True), by_customer,
        float(interest.sum()), float(fixed.sum()), int(paid_late.sum()), disputed,
        float(accrued.sum()), float(accrued_fixed.sum()), int(still.sum()), assumed, accruing)
