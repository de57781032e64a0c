"""Payment behaviour and disputes: the invoice-level tables behind the settlement KPIs.

:func:`settled_invoices` lists the invoices behind days_to_pay, mean_days_late
and on_time_rate, with exactly the KPI engine's definition, so its averages
are those KPIs (see :func:`payment_behaviour`). N is the window in days
(default 90) and T the as-of date; the window is (T − N, T].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from arassess.config.client import DEFAULT_WINDOW_DAYS
from arassess.errors import ArgumentError
from arassess.kpi.open_items import invoice_identity, open_balance
from arassess.ledger.balances import MONEY_EPSILON, NEVER, day_number, timeline_of, to_days
from arassess.ledger.model import Ledger

SETTLED_COLUMNS = ["invoice_id", "customer_id", "customer_name", "segment", "amount", "invoice_date", "due_date",
                   "paid_date", "days_to_pay", "days_late", "on_time"]
BEHAVIOUR_COLUMNS = ["invoices", "amount", "days_to_pay", "mean_days_late", "on_time_rate"]
DISPUTE_ITEM_COLUMNS = ["invoice_id", "customer_id", "amount", "invoice_date", "dispute_date",
                        "dispute_resolved_date", "days_to_resolve", "open_at_as_of", "open_amount"]
RESOLUTION_QUANTILE = 0.9

NO_DISPUTE_COLUMNS = "the invoices file has no 'disputed' or 'dispute_date' column"
OPEN_ITEMS_DISPUTES = ("an open-items export lists only the invoices still open, so disputes raised and the "
                       "dispute rate over the window cannot be counted")


def _dates(days: np.ndarray) -> pd.DatetimeIndex:
    """Integer days to dates (NEVER → NaT)."""
    days = np.asarray(days, dtype=np.int64)
    dates = days.astype("datetime64[D]")
    dates[days >= NEVER] = np.datetime64("NaT")
    return pd.DatetimeIndex(dates)


def settled_invoices(ledger: Ledger, as_of: pd.Timestamp | str,
                     window_days: int = DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
    """Invoices settled by payment in (T − N, T], one row each.

    "Settled by payment" is the KPI engine's definition (arassess.kpi.measures):
    closed in the window by its paid date, or by the payment that cleared it
    when it has none (the close day of its balance events, ``timeline_of(ledger).close_day``); not a credit note; nothing
    written off (a write-off is bad debt, not paying).

    Columns: invoice_id, customer_id, customer_name, segment, amount,
    invoice_date, due_date, paid_date (the closing day), days_to_pay =
    paid − invoice date, days_late = max(0, paid − due), on_time = paid ≤ due.
    Sorted by paid_date, then invoice_id. Empty for an open-items export
    (nothing is settled in it).
    """
    if window_days < 1:
        raise ArgumentError(f"window_days must be a whole number of days ≥ 1, got {window_days}")
    tl = timeline_of(ledger)
    t = day_number(as_of)
    keep = tl.settled_by_payment & (tl.close_day > t - window_days) & (tl.close_day <= t)
    rows = np.flatnonzero(keep)
    inv = ledger.invoices.iloc[rows]
    close, inv_day, due_day = tl.close_day[rows], tl.inv_day[rows], tl.due_day[rows]
    out = pd.DataFrame({
        **invoice_identity(ledger, inv),
        "amount": tl.amount[rows],
        "invoice_date": _dates(inv_day),
        "due_date": _dates(due_day),
        "paid_date": _dates(close),
        "days_to_pay": (close - inv_day).astype(np.int64),
        "days_late": np.maximum(close - due_day, 0).astype(np.int64),
        "on_time": close <= due_day,
    }, columns=SETTLED_COLUMNS)
    return out.sort_values(["paid_date", "invoice_id"], kind="stable", ignore_index=True)


def _behaviour(settled: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    """Behaviour columns (see :func:`behaviour_by_segment`) of ``settled`` grouped by ``by``."""
    frame = pd.DataFrame({"amount": settled["amount"].astype(float),
                          "amount_days": settled["amount"] * settled["days_to_pay"],
                          "days_late": settled["days_late"].astype(float),
                          "on_time": settled["on_time"].astype(float),
                          "invoices": 1})
    sums = frame.groupby(by.to_numpy(), sort=True).sum()
    count = sums["invoices"].where(sums["invoices"] > 0)
    return pd.DataFrame({
        "invoices": sums["invoices"].astype(np.int64),
        "amount": sums["amount"],
        "days_to_pay": sums["amount_days"] / sums["amount"].where(sums["amount"] > 0),
        "mean_days_late": sums["days_late"] / count,
        "on_time_rate": sums["on_time"] / count * 100.0,
    }, columns=BEHAVIOUR_COLUMNS)


def behaviour_by_segment(settled: pd.DataFrame) -> pd.DataFrame:
    """Payment behaviour per customer segment of the invoices in ``settled``.

    Index: segment (name "segment"), largest amount first. Columns: invoices
    (count), amount (Σ), days_to_pay = Σ amount × days_to_pay / Σ amount
    (amount-weighted), mean_days_late = mean of days_late, on_time_rate =
    invoices with on_time / invoices × 100. No rows when nothing was settled.
    """
    out = _behaviour(settled, settled["segment"])
    out.index.name = "segment"
    return out.sort_values("amount", ascending=False, kind="stable")


def payment_behaviour(settled: pd.DataFrame) -> pd.Series:
    """The columns of :func:`behaviour_by_segment` for all of ``settled`` at once.

    Its days_to_pay, mean_days_late and on_time_rate are the registry KPIs of the
    same date and window; NaN (and 0 invoices) when nothing was settled.
    """
    if settled.empty:
        return pd.Series({"invoices": 0.0, "amount": 0.0, "days_to_pay": np.nan, "mean_days_late": np.nan,
                          "on_time_rate": np.nan}, dtype=float)
    return _behaviour(settled, pd.Series("all", index=settled.index)).loc["all"].rename(None)


# --- disputes -------------------------------------------------------------------------

@dataclass(frozen=True)
class DisputeSummary:
    """Disputes at T over the window (T − N, T] (see :func:`dispute_summary`).

    NaN marks a figure the data cannot give; ``reason`` (nothing about disputes
    can be said), ``rate_reason`` (raised / dispute rate) and
    ``resolution_reason`` (days to resolve) say why.
    """

    as_of: pd.Timestamp
    window_days: int
    available: bool
    reason: str = ""
    raised: float = float("nan")            # disputes raised in the window
    issued: float = float("nan")            # invoices issued in the window
    dispute_rate: float = float("nan")      # % of them disputed by T (the registry KPI)
    open_count: float = float("nan")        # disputed invoices open at T, not resolved by T
    open_amount: float = float("nan")       # their open balance
    resolved: float = float("nan")          # disputes resolved in the window
    days_to_resolve_median: float = float("nan")
    days_to_resolve_mean: float = float("nan")
    days_to_resolve_p90: float = float("nan")
    rate_reason: str = ""
    resolution_reason: str = ""
    items: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DISPUTE_ITEM_COLUMNS))

    def table(self) -> pd.DataFrame:
        """The summary as rows: measure, value, unit ('count' | '%' | 'currency' | 'days'), note.

        Rows: disputes raised in the window, invoices issued in the window,
        dispute rate, disputes open at T, open amount in dispute, disputes
        resolved in the window, days to resolve (median, mean, 90th percentile).
        ``note`` gives the reason where the value is NaN.
        """
        n = self.window_days
        general = self.reason
        rows = [
            (f"Disputes raised in the last {n} days", self.raised, "count", general or self.rate_reason),
            (f"Invoices issued in the last {n} days", self.issued, "count", general or self.rate_reason),
            ("Dispute rate (disputed / issued)", self.dispute_rate, "%", general or self.rate_reason),
            (f"Disputes open at {self.as_of:%Y-%m-%d}", self.open_count, "count", general),
            ("Open amount in dispute", self.open_amount, "currency", general),
            (f"Disputes resolved in the last {n} days", self.resolved, "count", general or self.resolution_reason),
            ("Days to resolve (median)", self.days_to_resolve_median, "days", general or self.resolution_reason),
            ("Days to resolve (mean)", self.days_to_resolve_mean, "days", general or self.resolution_reason),
            ("Days to resolve (90th percentile)", self.days_to_resolve_p90, "days",
             general or self.resolution_reason),
        ]
        frame = pd.DataFrame(rows, columns=["measure", "value", "unit", "note"])
        frame["note"] = np.where(frame["value"].isna(), frame["note"], "")
        return frame


def dispute_summary(ledger: Ledger, as_of: pd.Timestamp | str,
                    window_days: int = DEFAULT_WINDOW_DAYS) -> DisputeSummary:
    """Disputes at T over the window (T − N, T].

    A dispute is an invoice flagged ``disputed`` or with a ``dispute_date``;
    it is raised on its dispute_date (on the invoice date when only the flag is
    given — the KPI engine's convention) and resolved on its
    dispute_resolved_date.

    - raised = disputes raised in (T − N, T];
    - dispute rate = invoices issued in (T − N, T] whose dispute was raised by T
      / invoices issued in (T − N, T] × 100 (the registry's dispute_rate);
    - open at T = disputed invoices raised by T, not resolved by T, with an open
      balance at T (count and Σ open balance);
    - days to resolve = resolved − raised, over disputes resolved in (T − N, T]
      that have both dates: median, mean and 90th percentile (linear
      interpolation).

    Without a 'disputed' or 'dispute_date' column nothing is available (``reason``
    says so); no figure is reported as 0 for lack of data. An open-items export
    gives the open disputes only.
    """
    if window_days < 1:
        raise ArgumentError(f"window_days must be a whole number of days ≥ 1, got {window_days}")
    t_stamp = pd.Timestamp(as_of).normalize()
    inv = ledger.invoices
    if "disputed" not in inv and "dispute_date" not in inv:
        return DisputeSummary(t_stamp, window_days, False, NO_DISPUTE_COLUMNS)
    tl = timeline_of(ledger)
    t, start = day_number(t_stamp), day_number(t_stamp) - window_days
    flag = inv["disputed"].to_numpy(dtype=bool) if "disputed" in inv else np.zeros(len(inv), dtype=bool)
    raised_day = to_days(inv["dispute_date"]) if "dispute_date" in inv else np.full(len(inv), NEVER)
    disputed = flag | (raised_day < NEVER)
    raised_day = np.where(raised_day < NEVER, raised_day, tl.inv_day)
    resolved_day = (to_days(inv["dispute_resolved_date"]) if "dispute_resolved_date" in inv
                    else np.full(len(inv), NEVER))

    balance = open_balance(ledger, t_stamp)
    open_now = disputed & (raised_day <= t) & (resolved_day > t) & (np.abs(balance) > MONEY_EPSILON)
    history = ledger.shape == "ledger"
    issued_in = (tl.inv_day > start) & (tl.inv_day <= t)
    raised_in = disputed & (raised_day > start) & (raised_day <= t)
    issued = float(issued_in.sum()) if history else float("nan")
    rate_reason = "" if history else OPEN_ITEMS_DISPUTES
    rate = float("nan")
    if history:
        if issued > 0:
            rate = float((issued_in & disputed & (raised_day <= t)).sum()) / issued * 100.0
        else:
            rate_reason = f"no invoices issued in the last {window_days} days"

    has_dates = "dispute_date" in inv and "dispute_resolved_date" in inv
    dated = to_days(inv["dispute_date"]) < NEVER if "dispute_date" in inv else np.zeros(len(inv), dtype=bool)
    resolved_by_t = disputed & dated & (resolved_day <= t)
    resolved_in = resolved_by_t & (resolved_day > start)
    days = (resolved_day - raised_day)[resolved_in].astype(float)
    resolution_reason = ""
    if not has_dates:
        resolution_reason = ("days to resolve need 'dispute_date' and 'dispute_resolved_date' columns "
                             "in the invoices file")
    elif len(days) == 0:
        resolution_reason = f"no dispute was resolved in the last {window_days} days"
    stats = ((float(np.median(days)), float(days.mean()), float(np.quantile(days, RESOLUTION_QUANTILE)))
             if len(days) else (float("nan"),) * 3)

    rows = np.flatnonzero(disputed & (raised_day <= t))
    done = resolved_by_t[rows]
    items = pd.DataFrame({
        "invoice_id": inv["invoice_id"].to_numpy()[rows],
        "customer_id": inv["customer_id"].to_numpy()[rows],
        "amount": tl.amount[rows],
        "invoice_date": _dates(tl.inv_day[rows]),
        "dispute_date": _dates(raised_day[rows]),
        "dispute_resolved_date": _dates(np.where(done, resolved_day[rows], NEVER)),
        "days_to_resolve": np.where(done, resolved_day[rows] - raised_day[rows], np.nan),
        "open_at_as_of": open_now[rows],
        "open_amount": np.round(np.where(open_now[rows], balance[rows], 0.0), 2),
    }, columns=DISPUTE_ITEM_COLUMNS).sort_values(["dispute_date", "invoice_id"], kind="stable", ignore_index=True)

    return DisputeSummary(
        as_of=t_stamp, window_days=window_days, available=True,
        raised=float(raised_in.sum()) if history else float("nan"),
        issued=issued, dispute_rate=rate,
        open_count=float(open_now.sum()), open_amount=float(np.round(balance[open_now].sum(), 2)),
        resolved=float(len(days)) if has_dates else float("nan"),
        days_to_resolve_median=stats[0], days_to_resolve_mean=stats[1], days_to_resolve_p90=stats[2],
        rate_reason=rate_reason, resolution_reason=resolution_reason, items=items,
    )
