"""Aging views of the open invoices at one date.

Every function takes ``positions``, the table of
:func:`arassess.kpi.open_items.open_invoices` (one row per invoice open at T, with
open_amount, days_past_due, bucket, segment, customer_id, customer_name). Open
credit notes have a negative open_amount and reduce the totals they fall in,
as they do in the KPI engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arassess.errors import ArgumentError

TOP_CUSTOMERS = 10
SUMMARY_COLUMNS = ["amount", "count", "share"]
TOP_COLUMNS = ["customer_id", "customer_name", "segment", "overdue_amount", "share", "cumulative_share",
               "invoices", "oldest_days_past_due"]


def bucket_order(positions: pd.DataFrame) -> list[str]:
    """The aging bucket labels in order (the categories of ``positions["bucket"]``)."""
    bucket = positions["bucket"]
    if isinstance(bucket.dtype, pd.CategoricalDtype):
        return [str(c) for c in bucket.cat.categories]
    return [str(b) for b in pd.unique(bucket)]


def aging_summary(positions: pd.DataFrame) -> pd.DataFrame:
    """Open AR by aging bucket.

    Index: every bucket label in order (name "bucket"), empty buckets included.
    Columns: amount = Σ open_amount, count = number of open items, share =
    amount / Σ amount × 100 (NaN when there is no open AR). The amounts equal
    the KPI engine's aging at the same date.
    """
    labels = bucket_order(positions)
    bucket = positions["bucket"].astype(str)
    amount = positions["open_amount"].groupby(bucket).sum().reindex(labels, fill_value=0.0).astype(float)
    count = bucket.value_counts().reindex(labels, fill_value=0).astype(np.int64)
    total = amount.sum()
    share = amount / total * 100.0 if total > 0 else amount * np.nan
    out = pd.DataFrame({"amount": amount, "count": count, "share": share})
    out.index = pd.Index(labels, name="bucket")
    return out


def aging_by_segment(positions: pd.DataFrame) -> pd.DataFrame:
    """Open AR by customer segment and aging bucket.

    Index: segment (name "segment"), sorted by total, largest first. Columns:
    every bucket label in order (Σ open_amount, 0 where none), then total
    (Σ over the buckets).
    """
    labels = bucket_order(positions)
    table = (positions.assign(bucket=positions["bucket"].astype(str))
             .pivot_table(index="segment", columns="bucket", values="open_amount", aggfunc="sum", fill_value=0.0)
             .reindex(columns=labels, fill_value=0.0).astype(float))
    table.columns = pd.Index(labels, name=None)
    table["total"] = table[labels].sum(axis=1)
    table.index.name = "segment"
    return table.sort_values("total", ascending=False, kind="stable")


def customer_overdue(positions: pd.DataFrame) -> pd.DataFrame:
    """Net overdue balance of every customer that owes something overdue.

    overdue_amount = Σ open_amount of the customer's items with days_past_due > 0
    (overdue credit notes included, so the balance is net). Customers whose net
    is ≤ 0 owe nothing overdue and are left out — the same rule as the
    top10_overdue_share KPI. Sorted by overdue_amount, largest first (ties by
    customer_id). Columns: see :func:`top_overdue_customers` (without the shares).
    """
    overdue = positions[positions["days_past_due"] > 0]
    owed = overdue["open_amount"] > 0
    grouped = overdue.groupby("customer_id", sort=True)
    out = pd.DataFrame({
        "customer_name": grouped["customer_name"].first(),
        "segment": grouped["segment"].first(),
        "overdue_amount": grouped["open_amount"].sum().astype(float),
        "invoices": owed.groupby(overdue["customer_id"]).sum().astype(np.int64),
        "oldest_days_past_due": overdue["days_past_due"].where(owed).groupby(overdue["customer_id"]).max(),
    })
    out = out[out["overdue_amount"] > 0].reset_index()
    out["oldest_days_past_due"] = out["oldest_days_past_due"].astype(np.int64)  # a customer owing has a debit
    return out.sort_values(["overdue_amount", "customer_id"], ascending=[False, True], kind="stable",
                           ignore_index=True)


def top_overdue_customers(positions: pd.DataFrame, n: int = TOP_CUSTOMERS) -> pd.DataFrame:
    """The ``n`` customers owing most overdue AR.

    Index: rank 1…n (name "rank"). Columns: customer_id, customer_name,
    segment, overdue_amount (net, see :func:`customer_overdue`), share =
    overdue_amount / Σ overdue_amount of all customers owing × 100 (so the
    shares of the top 10 add up to the top10_overdue_share KPI),
    cumulative_share (running sum of share), invoices (overdue invoices with a
    positive balance), oldest_days_past_due (of those invoices).
    """
    if n < 1:
        raise ArgumentError(f"n must be a whole number ≥ 1, got {n}")
    owing = customer_overdue(positions)
    total = owing["overdue_amount"].sum()
    owing["share"] = owing["overdue_amount"] / total * 100.0 if total > 0 else np.nan
    owing["cumulative_share"] = owing["share"].cumsum()
    top = owing.head(n)[TOP_COLUMNS].copy()
    top.index = pd.RangeIndex(1, len(top) + 1, name="rank")
    return top


def customers_holding(top_customers: pd.DataFrame, share: float) -> int | None:
    """The smallest number of customers whose overdue AR adds up to ≥ ``share`` % of all overdue AR.

    ``top_customers`` is the table of :func:`top_overdue_customers`; None when
    its customers together hold less than ``share`` %.
    """
    reached = np.flatnonzero(top_customers["cumulative_share"].to_numpy(dtype=float) >= share - 1e-9)
    return int(reached[0]) + 1 if len(reached) else None
