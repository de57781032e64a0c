"""The input contract: canonical columns of each data file, declared once.

After the column mapping of ``client.yaml`` is applied, every file is read into
these canonical columns (extra columns are kept and reported)::

    invoices   invoice_id   str     required  unique
               customer_id  str     required
               invoice_date date    required
               due_date     date    required  >= invoice_date
               amount       float   required  > 0 unless is_credit_note
               currency     str     optional  ISO code; reporting currency if absent
               paid_date    date    optional  date fully settled (>= invoice_date)
               disputed     bool    optional
               dispute_date date    optional  when the dispute was raised
               dispute_resolved_date date optional
               written_off_date   date  optional
               written_off_amount float optional  <= amount
               is_credit_note     bool  optional  allows a negative amount
               open_amount  float   optional  open-items exports: balance still open
               customer_name str    optional  the customer's name on the invoice (used where the
                                              customers file gives none)
    payments   invoice_id   str     required  must exist in invoices
               payment_date date    required
               amount       float   required  > 0; sum per invoice <= invoice amount
               currency     str     optional
    customers  customer_id  str     required  unique
               name         str     optional
               segment      str     optional
               credit_limit float   optional  >= 0
               terms_days   int     optional  >= 0

Typing (strings to dates, numbers, booleans) happens in :mod:`arassess.inputs.parsing`;
the rules on typed values are the pandera schemas below (:func:`pandera_schema`), the
declared contract; the intake applies the same rules in one vectorized pass
(:func:`arassess.inputs.validation.schema_problems`), kept equal to pandera's by a property test.
Check names are the reasons users read, so every check is a named custom check
(pandera's built-ins report internal names).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from arassess.errors import ArgumentError

if TYPE_CHECKING:  # pragma: no cover
    import pandera.pandas as pa


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its kind of value and whether the file must have it."""

    name: str
    kind: str  # "id" | "text" | "date" | "money" | "bool" | "int"
    required: bool
    expected: str  # what a valid value looks like, for error messages


INVOICE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("invoice_id", "id", True, "a non-empty invoice number"),
    ColumnSpec("customer_id", "id", True, "a non-empty customer id"),
    ColumnSpec("invoice_date", "date", True, "an invoice date"),
    ColumnSpec("due_date", "date", True, "a due date"),
    ColumnSpec("amount", "money", True, "an invoice amount"),
    ColumnSpec("currency", "text", False, "a 3-letter currency code"),
    ColumnSpec("paid_date", "date", False, "the date the invoice was fully settled, or empty"),
    ColumnSpec("disputed", "bool", False, "yes/no, true/false or 1/0"),
    ColumnSpec("dispute_date", "date", False, "the date the dispute was raised, or empty"),
    ColumnSpec("dispute_resolved_date", "date", False, "the date the dispute was resolved, or empty"),
    ColumnSpec("written_off_date", "date", False, "the write-off date, or empty"),
    ColumnSpec("written_off_amount", "money", False, "the amount written off, or empty"),
    ColumnSpec("is_credit_note", "bool", False, "yes/no, true/false or 1/0"),
    ColumnSpec("open_amount", "money", False, "the balance still open, or empty"),
    ColumnSpec("customer_name", "text", False, "the customer's name, or empty"),
)

PAYMENT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("invoice_id", "id", True, "the invoice number the payment settles"),
    ColumnSpec("payment_date", "date", True, "a payment date"),
    ColumnSpec("amount", "money", True, "a payment amount"),
    ColumnSpec("currency", "text", False, "a 3-letter currency code"),
)

CUSTOMER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("customer_id", "id", True, "a non-empty customer id"),
    ColumnSpec("name", "text", False, "the customer's name"),
    ColumnSpec("segment", "text", False, "a segment label"),
    ColumnSpec("credit_limit", "money", False, "a credit limit (0 or more), or empty"),
    ColumnSpec("terms_days", "int", False, "payment terms in whole days, or empty"),
)

COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    "invoices": INVOICE_COLUMNS,
    "payments": PAYMENT_COLUMNS,
    "customers": CUSTOMER_COLUMNS,
}


def required_columns(kind: str) -> list[str]:
    """Canonical columns the file ``kind`` must have after mapping."""
    return [c.name for c in COLUMNS[kind] if c.required]


# --- rules on typed values (pandera) -------------------------------------------------
# Check names double as the user-facing reason, so they are written as sentences. The schemas
# are built on first use: the intake applies the same rules in one vectorized pass
# (arassess.inputs.validation.schema_problems), so importing arassess does not import pandera.

def _due_not_before_invoice(df: pd.DataFrame) -> pd.Series:
    return ~(df["due_date"] < df["invoice_date"])


def _paid_not_before_invoice(df: pd.DataFrame) -> pd.Series:
    if "paid_date" not in df:
        return pd.Series(True, index=df.index)
    return ~(df["paid_date"] < df["invoice_date"])


def _negative_only_if_credit_note(df: pd.DataFrame) -> pd.Series:
    flagged = df["is_credit_note"].fillna(False).astype(bool) if "is_credit_note" in df else False
    return ~(df["amount"] < 0) | flagged


def _written_off_within_amount(df: pd.DataFrame) -> pd.Series:
    if "written_off_amount" not in df:
        return pd.Series(True, index=df.index)
    return ~(df["written_off_amount"] > df["amount"].abs() + 0.005)


def _written_off_has_date(df: pd.DataFrame) -> pd.Series:
    if "written_off_amount" not in df:
        return pd.Series(True, index=df.index)
    has_amount = df["written_off_amount"].fillna(0) > 0
    has_date = df["written_off_date"].notna() if "written_off_date" in df else False
    return ~has_amount | has_date


@functools.lru_cache(maxsize=None)
def pandera_schema(kind: str) -> "pa.DataFrameSchema":
    """The declared pandera schema of the file ``kind`` (invoices, payments, customers)."""
    import pandera.pandas as pa

    if kind == "invoices":
        return pa.DataFrameSchema(
            {
                "invoice_id": pa.Column(str, nullable=False, unique=True,
                                        checks=pa.Check(lambda s: s.str.len() > 0, name="invoice id must not be empty")),
                "customer_id": pa.Column(str, nullable=False,
                                         checks=pa.Check(lambda s: s.str.len() > 0, name="customer id must not be empty")),
                "invoice_date": pa.Column("datetime64[ns]", nullable=False, coerce=True),
                "due_date": pa.Column("datetime64[ns]", nullable=False, coerce=True),
                "amount": pa.Column(float, nullable=False,
                                    checks=pa.Check(lambda s: s != 0, name="amount must not be zero")),
                "written_off_amount": pa.Column(float, nullable=True, required=False,
                                                checks=pa.Check(lambda s: s >= 0,
                                                                name="write-off amount must not be negative")),
                "open_amount": pa.Column(float, nullable=True, required=False),
            },
            checks=[
                pa.Check(_due_not_before_invoice, name="due date is before the invoice date"),
                pa.Check(_paid_not_before_invoice, name="paid date is before the invoice date"),
                pa.Check(_negative_only_if_credit_note,
                         name="negative amount on a row not flagged as a credit note (set is_credit_note)"),
                pa.Check(_written_off_within_amount, name="write-off amount exceeds the invoice amount"),
                pa.Check(_written_off_has_date, name="write-off amount given without a write-off date"),
            ],
            strict=False,
            name="invoices",
        )
    if kind == "payments":
        return pa.DataFrameSchema(
            {
                "invoice_id": pa.Column(str, nullable=False,
                                        checks=pa.Check(lambda s: s.str.len() > 0, name="invoice id must not be empty")),
                "payment_date": pa.Column("datetime64[ns]", nullable=False, coerce=True),
                "amount": pa.Column(float, nullable=False,
                                    checks=pa.Check(lambda s: s > 0, name="payment amount must be greater than zero")),
            },
            strict=False,
            name="payments",
        )
    if kind == "customers":
        return pa.DataFrameSchema(
            {
                "customer_id": pa.Column(str, nullable=False, unique=True,
                                         checks=pa.Check(lambda s: s.str.len() > 0, name="customer id must not be empty")),
                "credit_limit": pa.Column(float, nullable=True, required=False,
                                          checks=pa.Check(lambda s: s >= 0, name="credit limit must not be negative")),
                "terms_days": pa.Column(float, nullable=True, required=False,
                                        checks=pa.Check(lambda s: s >= 0, name="terms must not be negative")),
            },
            strict=False,
            name="customers",
        )
    raise ArgumentError(f"unknown file kind {kind!r}; valid: invoices, payments, customers")
