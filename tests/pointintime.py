"""A ledger as it stood at the end of a day: what the point-in-time (no look-ahead) tests compare with."""

from __future__ import annotations

import numpy as np
import pandas as pd

NAT = pd.NaT


def truncate(invoices: pd.DataFrame, payments: pd.DataFrame, t: pd.Timestamp):
    """The ledger as it stood at the end of day t: later invoices and payments dropped, later paid dates,
    write-offs and disputes blanked (a dispute raised later is not flagged yet)."""
    inv = invoices[invoices["invoice_date"] <= t].copy()
    pay = payments[(payments["payment_date"] <= t) & payments["invoice_id"].isin(inv["invoice_id"])]
    inv.loc[inv["paid_date"] > t, "paid_date"] = NAT
    later = inv["written_off_date"] > t
    inv.loc[later, "written_off_date"] = NAT
    inv.loc[later, "written_off_amount"] = np.nan
    if "dispute_date" in inv:
        later = inv["dispute_date"] > t
        inv.loc[later, "dispute_date"] = NAT
        inv.loc[later, "disputed"] = False
    return inv.reset_index(drop=True), pay.reset_index(drop=True)


def ledger_at(ledger, currency: str, t: pd.Timestamp):
    """The ledger as it stood at the end of day t (:func:`truncate`), loaded as a ledger again."""
    from arassess.inputs.intake import ledger_from_frames

    inv, pay = truncate(ledger.invoices, ledger.payments, t)
    return ledger_from_frames(inv.drop(columns=["currency", "amount_original"]),
                              pay.drop(columns=["currency", "amount_original"]),
                              ledger.customers, currency=currency, as_of=t)
