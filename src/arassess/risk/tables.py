"""The risk wing's tables, each built once as a labelled frame: notebook 01's risk section, the
client report's risk chapter and ``arassess risk`` all show these frames.

Where the client report needs plainer words the builder takes an ``audience`` ("consultant" or
"client") and the two label sets stand side by side in one table of columns; a column a reader
does not get has no label (``None``) for that audience.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

from arassess.errors import ArgumentError

Audience = Literal["consultant", "client"]
AUDIENCES: tuple[str, ...] = ("consultant", "client")

TOP_CUSTOMERS = 10  # riskiest customers listed for the consultant (notebook 01)
CLIENT_CUSTOMERS = 5  # customers with the most expected to be paid late, in the client report

#: The customer table's columns: key → (consultant label, client label); ``{cur}`` is the currency.
CUSTOMER_LABELS: dict[str, tuple[str | None, str | None]] = {
    "customer": ("Customer", "Customer"),
    "segment": ("Segment", None),
    "open": ("Open amount ({cur})", "Open ({cur})"),
    "expected_late": (None, "Expected late ({cur})"),
    "score": ("Score", "Score"),
    "band": ("Band", "Band"),
    "past_late": ("Past late share", None),
    "drivers": ("Drivers", "Why"),
}
#: The customer table's text columns (left-aligned wherever it is shown).
CUSTOMER_TEXT = ("customer", "segment", "drivers")


def _share(value: Any) -> str:
    """A share as a whole percentage; blank when unknown."""
    return "" if value != value else f"{value:.0%}"


def _yes(flag: Any) -> str:
    return "yes" if bool(flag) else ""


def validation_table(validation: pd.DataFrame) -> pd.DataFrame:
    """The validation of the risk predictors in words: AUC with its 95% interval and Brier score on
    the test period, the Brier score the model was chosen on, which was chosen and which is used."""
    return pd.DataFrame({
        "Predictor": validation["predictor"],
        "AUC (test)": [f"{v:.3f}" for v in validation["auc"]],
        "AUC 95% interval": [f"{lo:.3f}–{hi:.3f}" for lo, hi in zip(validation["auc_low"], validation["auc_high"])],
        "Brier (test)": [f"{v:.4f}" for v in validation["brier"]],
        "Brier (model choice)": ["" if v != v else f"{v:.4f}" for v in validation["validation_brier"]],
        "Chosen": [_yes(v) for v in validation["chosen"]],
        "Used": [_yes(v) for v in validation["used"]],
    })


def band_table(bands: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Customers and open amount per band (:meth:`arassess.risk.model.RiskResult.band_counts`), with the
    band's share of the open amount (blank when nothing is open)."""
    total = float(bands["open_amount"].sum())
    return pd.DataFrame({
        "Band": bands["band"].astype(str),
        "Customers": bands["customers"].astype(int),
        f"Open amount ({currency})": bands["open_amount"].astype(float).round(0),
        "Share of open amount": [f"{v / total:.0%}" if total else "" for v in bands["open_amount"]],
    })


def age_table(age_check: pd.DataFrame) -> pd.DataFrame:
    """The age update's check on the test period (:attr:`arassess.risk.model.RiskResult.age_check`) in
    words: invoices still unpaid N days after due, their probability at issue and after the update,
    and the share that was paid late."""
    return pd.DataFrame({
        "Still unpaid (days after due)": age_check["days_past_due"].astype(int),
        "Invoices": age_check["invoices"].astype(int),
        "Probability at issue": [f"{v:.0%}" for v in age_check["at_issue"]],
        "After the age update": [f"{v:.0%}" for v in age_check["updated"]],
        "Paid late (observed)": [f"{v:.0%}" for v in age_check["observed"]],
    })


def customer_labels(currency: str, audience: Audience = "consultant") -> dict[str, str]:
    """The customer table's column key → label for ``audience`` (columns it does not get left out)."""
    if audience not in AUDIENCES:
        raise ArgumentError(f"unknown audience {audience!r}; valid: {', '.join(AUDIENCES)}")
    chosen = {key: labels[AUDIENCES.index(audience)] for key, labels in CUSTOMER_LABELS.items()}
    return {key: label.format(cur=currency) for key, label in chosen.items() if label is not None}


def customer_text_columns(currency: str, audience: Audience = "consultant") -> tuple[str, ...]:
    """The labels of the customer table's text columns for ``audience`` (shown left-aligned)."""
    labels = customer_labels(currency, audience)
    return tuple(labels[key] for key in CUSTOMER_TEXT if key in labels)


def customer_table(customers: pd.DataFrame, currency: str, n: int | None = None,
                   audience: Audience = "consultant") -> pd.DataFrame:
    """The customers to look at first (:attr:`arassess.risk.model.RiskResult.customers`).

    Consultant: the ``n`` (default :data:`TOP_CUSTOMERS`) highest scores, as the customers frame is
    ordered. Client: the ``n`` (default :data:`CLIENT_CUSTOMERS`) with the largest expected late
    amount (= open amount × score), ties by customer id — a large balance with a low score can hold
    more money at risk than a small one with a high score. Amounts are whole currency units."""
    labels = customer_labels(currency, audience)
    if audience == "client":
        c = customers.sort_values(["expected_late_amount", "customer_id"], ascending=[False, True])
        c = c.head(CLIENT_CUSTOMERS if n is None else n)
    else:
        c = customers.head(TOP_CUSTOMERS if n is None else n)
    columns = {
        "customer": lambda: c["customer_name"],
        "segment": lambda: c["segment"],
        "open": lambda: c["open_amount"].astype(float).round(0),
        "expected_late": lambda: c["expected_late_amount"].astype(float).round(0),
        "score": lambda: c["score"].map(_share),
        "band": lambda: c["band"].astype(str),
        "past_late": lambda: c["past_late_share"].map(_share),
        "drivers": lambda: c["drivers"].fillna(""),
    }
    return pd.DataFrame({label: columns[key]().to_numpy() for key, label in labels.items()})
