"""The validated ledger: the one input every KPI and report works from.

Shape of the tables (all amounts in the reporting currency)::

    invoices   invoice_id, customer_id, invoice_date, due_date, amount,
               paid_date?, disputed?, dispute_date?, dispute_resolved_date?,
               written_off_date?, written_off_amount?, is_credit_note?,
               open_amount?, currency (as in the file), amount_original,
               + any extra export columns (kept)
    payments   invoice_id, payment_date, amount (+ currency, amount_original)
    customers  customer_id, name?, segment?, credit_limit?, terms_days? or None

``shape`` is "ledger" (all invoices with settlement, so history KPIs exist)
or "open_items" (only the items open at ``as_of``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from arassess.ledger.quality import QualityReport

LedgerShape = Literal["ledger", "open_items"]


@dataclass(frozen=True, eq=False)
class Ledger:
    """Validated invoices, payments and customers of one client."""

    invoices: pd.DataFrame
    payments: pd.DataFrame
    customers: pd.DataFrame | None
    shape: LedgerShape
    currency: str
    as_of: pd.Timestamp | None
    quality: QualityReport = field(default_factory=lambda: QualityReport(totals=()))
    name: str = ""
    #: row position in ``invoices`` of each payment's invoice (computed once at intake, so the
    #: timeline needs no join on text ids); None: worked out when the timeline is built
    payment_invoice: np.ndarray | None = field(default=None, repr=False)
    #: (code of each invoice's customer, the distinct customer ids in order of first appearance):
    #: pandas.factorize of ``invoices.customer_id``, hashed once at intake (arassess.ledger.keys); None:
    #: worked out when the timeline is built
    customer_codes: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
