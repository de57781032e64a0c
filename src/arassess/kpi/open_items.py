"""Invoice positions at a date: every invoice open at T with its balance and age.

The table every per-invoice view (aging by segment, top customers, worklists)
starts from. Columns::

    invoice_id, customer_id, customer_name, segment, invoice_date, due_date,
    amount, open_amount (open(i, T) > 0, or < 0 for open credit notes),
    days_past_due (T − due date), bucket (aging label), disputed

Customers missing from the customers file get segment "Unknown" and their id as name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arassess.config.client import DEFAULT_AGING_EDGES
from arassess.errors import ArgumentError
from arassess.kpi.measures import bucket_labels
from arassess.ledger.balances import MONEY_EPSILON, day_number, timeline_of
from arassess.ledger.model import Ledger

UNKNOWN_SEGMENT = "Unknown"


def open_balance(ledger: Ledger, as_of: pd.Timestamp | str) -> np.ndarray:
    """open(i, T) of every invoice of ``ledger.invoices`` (same order) at one date T."""
    tl = timeline_of(ledger)
    day = day_number(as_of)
    happened = tl.ev_day <= day
    return np.bincount(tl.ev_inv[happened], weights=tl.ev_delta[happened], minlength=len(tl.inv_day))


def customer_table(ledger: Ledger) -> pd.DataFrame:
    """customer_id → customer_name, segment. The name is the customers file's, else the first
    non-empty ``customer_name`` on the customer's invoices (an open-items export often carries it),
    else the id; the segment is the customers file's, else "Unknown"."""
    invoices = ledger.invoices
    ids = pd.Index(invoices["customer_id"].unique(), name="customer_id")
    out = pd.DataFrame(index=ids)
    customers = ledger.customers
    if customers is not None and len(customers):
        known = customers.drop_duplicates("customer_id").set_index("customer_id")
        out["customer_name"] = known["name"].reindex(ids) if "name" in known else None
        out["segment"] = known["segment"].reindex(ids) if "segment" in known else None
    else:
        out["customer_name"], out["segment"] = None, None
    if "customer_name" in invoices:
        named = invoices.loc[invoices["customer_name"].notna() & invoices["customer_name"].astype(str).str.strip().ne("")]
        on_invoices = named.drop_duplicates("customer_id").set_index("customer_id")["customer_name"].reindex(ids)
        out["customer_name"] = out["customer_name"].astype(object).where(out["customer_name"].notna(), on_invoices)
    out["customer_name"] = out["customer_name"].astype(object).where(out["customer_name"].notna(), ids.to_series())
    out["segment"] = out["segment"].astype(object).where(out["segment"].notna(), UNKNOWN_SEGMENT)
    return out


def invoice_identity(ledger: Ledger, invoices: pd.DataFrame) -> dict[str, np.ndarray]:
    """invoice_id, customer_id, customer_name, segment of some of ``ledger``'s invoices."""
    customers = customer_table(ledger)
    ids = invoices["customer_id"]
    return {
        "invoice_id": invoices["invoice_id"].to_numpy(),
        "customer_id": ids.to_numpy(),
        "customer_name": ids.map(customers["customer_name"]).to_numpy(),
        "segment": ids.map(customers["segment"]).to_numpy(),
    }


def open_invoices(ledger: Ledger, as_of: pd.Timestamp | str,
                  aging_edges: tuple[int, ...] = DEFAULT_AGING_EDGES) -> pd.DataFrame:
    """Every invoice with a non-zero open balance at ``as_of`` (see module docstring)."""
    t = pd.Timestamp(as_of).normalize()
    if ledger.shape == "open_items" and ledger.as_of is not None and t != ledger.as_of:
        raise ArgumentError(f"an open-items export describes only {ledger.as_of:%Y-%m-%d}, not {t:%Y-%m-%d}")
    balance = open_balance(ledger, t)
    keep = np.abs(balance) > MONEY_EPSILON
    inv = ledger.invoices.loc[keep]
    dpd = (t - inv["due_date"]).dt.days.to_numpy()
    edges = np.asarray(aging_edges)
    bucket_index = np.where(dpd <= 0, 0, np.searchsorted(edges, dpd, side="left"))
    labels = np.asarray(bucket_labels(tuple(aging_edges)), dtype=object)
    out = pd.DataFrame({
        **invoice_identity(ledger, inv),
        "invoice_date": inv["invoice_date"].to_numpy(),
        "due_date": inv["due_date"].to_numpy(),
        "amount": inv["amount"].to_numpy(),
        "open_amount": np.round(balance[keep], 2),
        "days_past_due": dpd,
        "bucket": pd.Categorical(labels[bucket_index], categories=list(labels), ordered=True),
        "disputed": _disputed_at(inv, t),
    })
    return out.sort_values(["days_past_due", "open_amount"], ascending=[False, False], ignore_index=True)


def _disputed_at(inv: pd.DataFrame, t: pd.Timestamp) -> np.ndarray:
    """Disputed and not resolved by T (dates when given, else the flag)."""
    flag = inv["disputed"].to_numpy(dtype=bool) if "disputed" in inv else np.zeros(len(inv), dtype=bool)
    if "dispute_date" in inv:
        raised = inv["dispute_date"].notna().to_numpy()
        flag = np.where(raised, (inv["dispute_date"] <= t).to_numpy(), flag)
    if "dispute_resolved_date" in inv:
        flag = flag & ~(inv["dispute_resolved_date"] <= t).to_numpy()
    return flag
