"""The late-payment entitlement as labelled frames (notebook 01, the dashboard and the report)."""

from __future__ import annotations

import pandas as pd

from arassess.legal.entitlement import Entitlement

CUSTOMERS_SHOWN = 10


def customers_table(e: Entitlement, n: int = CUSTOMERS_SHOWN) -> pd.DataFrame:
    """The customers who owed the most: invoices paid late, interest, fixed sums and total, in whole
    currency units."""
    c, cur = e.by_customer.head(n), e.currency
    return pd.DataFrame({"Customer": c["customer_name"].to_numpy(), "Invoices paid late": c["invoices"].to_numpy(),
                         f"Interest ({cur})": c["interest"].round(0).to_numpy(),
                         f"Fixed sums ({cur})": c["fixed"].round(0).to_numpy(),
                         f"Total ({cur})": c["total"].round(0).to_numpy()})


def rates_text(e: Entitlement) -> str:
    """Which rates were used, their source, and what was assumed."""
    r = e.regime
    if r.key == "contract":
        return f"Rate: the contractual {r.changes.iloc[-1]:g}% a year from client.yaml (legal.rate)."
    text = (f"Rate: the {r.reference_name} ({r.source}, checked {r.checked}) + {r.margin:g} points; "
            + ("each day late takes its half-year's reference rate" if r.rule == "half_year"
               else "the rate of the half-year in which the invoice became late, for its whole lateness")
            + ".")
    if e.assumed_from is not None:
        text += (f" The rate table's last change is on {e.assumed_from:%d %b %Y}; later rates are assumed "
                 "unchanged (add rows to templates/legal/reference_rates.yaml).")
    return text + (f" {r.note}" if r.note else "")
