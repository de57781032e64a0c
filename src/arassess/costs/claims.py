"""What the cost model works on, read from the ledger at the assessment date T.

- :func:`overdue_claims`: the overdue stock — every invoice open and past due at T, with its
  open balance, age, aging bucket and the customer's credit sales over the year to T.
- :func:`yearly_overdue_flow`: how many invoices became past due in the year to T (the
  collectors' yearly workload) and their open amount on the day after their due date.
- :func:`annual_credit_sales`: credit sales invoiced in the year to T.

The last two need a full ledger; for an open-items export they return None and the
cost model falls back to the number of overdue claims (the notebook says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from arassess.config.client import DEFAULT_AGING_EDGES
from arassess.kpi.open_items import open_invoices
from arassess.ledger.balances import MONEY_EPSILON, day_number, timeline_of
from arassess.ledger.model import Ledger

YEAR_DAYS = 365

CLAIM_COLUMNS = ("invoice_id", "customer_id", "customer_name", "segment", "bucket", "amount",
                 "days_past_due", "customer_annual_sales")


def _year_mask(dates: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """Dates in the year to T: T − 365 days < date <= T."""
    return ((dates > as_of - pd.Timedelta(days=YEAR_DAYS)) & (dates <= as_of)).to_numpy()


def customer_annual_sales(ledger: Ledger, as_of: pd.Timestamp | str) -> pd.Series:
    """Σ invoice amount (credit notes net) per customer, invoices dated in the year to T.

    Empty for an open-items export (it holds no sales history)."""
    if ledger.shape != "ledger":
        return pd.Series(dtype=float, name="customer_annual_sales")
    inv = ledger.invoices
    year = _year_mask(inv["invoice_date"], pd.Timestamp(as_of).normalize())
    return inv.loc[year].groupby("customer_id")["amount"].sum().rename("customer_annual_sales")


def annual_credit_sales(ledger: Ledger, as_of: pd.Timestamp | str) -> float | None:
    """Σ invoice amount dated in the year to T (None for an open-items export)."""
    if ledger.shape != "ledger":
        return None
    return float(customer_annual_sales(ledger, as_of).sum())


def overdue_claims(ledger: Ledger, as_of: pd.Timestamp | str,
                   aging_edges: tuple[int, ...] = DEFAULT_AGING_EDGES) -> pd.DataFrame:
    """Every invoice with a positive open balance and days past due > 0 at T (columns
    :data:`CLAIM_COLUMNS`; ``amount`` is the open balance), oldest first.

    ``customer_annual_sales`` is NaN when the ledger has no sales history (open items)."""
    pos = open_invoices(ledger, as_of, aging_edges)
    pos = pos.loc[(pos["open_amount"] > MONEY_EPSILON) & (pos["days_past_due"] > 0)]
    sales = customer_annual_sales(ledger, as_of)
    out = pos.assign(amount=pos["open_amount"],
                     customer_annual_sales=pos["customer_id"].map(sales).astype(float))
    if ledger.shape == "ledger":  # no sales in the year is zero sales; open items: unknown (NaN)
        out["customer_annual_sales"] = out["customer_annual_sales"].fillna(0.0)
    out["bucket"] = out["bucket"].cat.remove_unused_categories() if len(out) else out["bucket"]
    return out.loc[:, list(CLAIM_COLUMNS)].reset_index(drop=True)


@dataclass(frozen=True)
class OverdueFlow:
    """Invoices that became past due in the year to T (due date in (T − 365, T − 1])."""

    invoices: int
    amount: float


def yearly_overdue_flow(ledger: Ledger, as_of: pd.Timestamp | str) -> OverdueFlow | None:
    """Count and open amount of invoices still open at the end of their due date, for due dates
    T − 365 < due <= T − 1 (each becomes past due the next day, within the year to T).

    None for an open-items export: invoices paid before T are not in it."""
    if ledger.shape != "ledger":
        return None
    tl = timeline_of(ledger)
    t = day_number(as_of)
    by_due = tl.ev_day <= tl.ev_due
    at_due = np.bincount(tl.ev_inv[by_due], weights=tl.ev_delta[by_due], minlength=len(tl.amount))
    became = (tl.due_day > t - YEAR_DAYS) & (tl.due_day <= t - 1) & (at_due > MONEY_EPSILON) & (tl.amount > 0)
    return OverdueFlow(invoices=int(became.sum()), amount=float(at_due[became].sum()))


def yearly_due_invoices(ledger: Ledger, as_of: pd.Timestamp | str) -> int | None:
    """Invoices (amount > 0) due in the year to T: T − 365 < due ≤ T (None for open items)."""
    if ledger.shape != "ledger":
        return None
    tl = timeline_of(ledger)
    t = day_number(as_of)
    return int(((tl.due_day > t - YEAR_DAYS) & (tl.due_day <= t) & (tl.amount > 0)).sum())


@dataclass(frozen=True)
class ReachProfile:
    """At each age D in ``days``: ``exposure`` = yearly credit sales of the customers who had a claim
    reach D unpaid in the year to T (scaled up when the ledger starts too late to see a whole year
    of crossings at D); ``size_mix`` = share of the amount reaching D (over the whole history) in
    each claim-size band starting at ``size_bands``."""

    days: np.ndarray
    exposure: np.ndarray
    size_bands: tuple[float, ...]
    size_mix: np.ndarray
    note: str = ""


def reach_profile(ledger: Ledger, as_of: pd.Timestamp | str, days: np.ndarray,
                  size_bands: tuple[float, ...]) -> ReachProfile:
    """:class:`ReachProfile` of a full ledger at T (empty for open items). Balances at each age are
    built incrementally over the events sorted by age (one pass, no loop over invoices)."""
    days = np.asarray(days, dtype=float)
    bands = tuple(float(b) for b in size_bands)
    if ledger.shape != "ledger" or not len(days):
        return ReachProfile(days, np.zeros(len(days)), bands, np.zeros((len(days), len(bands))))
    tl = timeline_of(ledger)
    t = day_number(as_of)
    n = len(tl.amount)
    ev_age = tl.ev_day - tl.ev_due
    known = tl.ev_day <= t
    sales = customer_annual_sales(ledger, as_of)
    code_sales = pd.Series(tl.customer_ids).map(sales).fillna(0.0).to_numpy(dtype=float)
    followed = t - tl.due_day
    claim = (tl.amount > 0) & (followed >= 0)
    order = np.flatnonzero(known)
    order = order[np.argsort(ev_age[order], kind="stable")]
    sorted_age = ev_age[order]
    balance = np.zeros(n)
    done = 0
    first_due = int(tl.due_day[claim].min()) if claim.any() else t
    exposure = np.zeros(len(days))
    mix = np.zeros((len(days), len(bands)))
    notes = []
    for j, d in enumerate(days):
        upto = int(np.searchsorted(sorted_age, d, side="right"))
        step = order[done:upto]
        balance += np.bincount(tl.ev_inv[step], weights=tl.ev_delta[step], minlength=n)
        done = upto
        reached = claim & (followed >= d) & (balance > MONEY_EPSILON)
        amounts = balance[reached]
        if len(amounts):
            band = np.clip(np.searchsorted(bands, amounts, side="right") - 1, 0, None)
            mix[j] = np.bincount(band, weights=amounts, minlength=len(bands)) / amounts.sum()
        recent = reached & (followed < d + YEAR_DAYS)
        customers = np.unique(tl.customer[recent])
        seen = (t - d) - max(first_due - 1, t - d - YEAR_DAYS)  # days of due dates the ledger covers
        value = float(code_sales[customers].sum())
        if 0 < seen < YEAR_DAYS:
            value = min(value * YEAR_DAYS / seen, float(code_sales.sum()))
            notes.append(d)
        exposure[j] = value if seen > 0 else np.nan
    note = ""
    if notes:
        note = (f"The ledger starts too late to see a whole year of claims reaching {min(notes):g} days or more; "
                "the customers placed there were scaled up to a year.")
    if np.isnan(exposure).any():
        last = np.flatnonzero(~np.isnan(exposure))
        exposure = np.where(np.isnan(exposure), exposure[last[-1]] if len(last) else 0.0, exposure)
    return ReachProfile(days, exposure, bands, mix, note)
