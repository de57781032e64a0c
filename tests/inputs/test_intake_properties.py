"""Property tests of the loader: random mixes of good and bad rows.

Whatever the mix, the control totals balance (rows and amounts), the rejected
rows are exactly the rows with a problem, the accepted invoices obey the
contract, the rejection limit triggers exactly when the share is exceeded,
and the input files are never modified.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from arassess import RejectionLimitError, load_client

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = dt.date(2025, 1, 1)
KINDS = ("good", "good", "good", "bad_date", "bad_amount", "empty_customer", "due_before", "duplicate", "negative")
OWN_DEFECTS = {"bad_date", "bad_amount", "empty_customer", "due_before", "negative"}


@dataclass(frozen=True)
class Format:
    """One export convention: how dates and amounts are written."""

    name: str
    date_format: str
    decimal: str
    thousands: str
    delimiter: str
    bad_dates: tuple[str, ...]
    bad_amounts: tuple[str, ...]

    def amount(self, cents: int) -> str:
        text = f"{cents / 100:,.2f}"                    # 1,234.56
        if not self.thousands:
            return text.replace(",", "")
        return text.translate(str.maketrans({",": self.thousands, ".": self.decimal}))

    def yaml(self) -> dict:
        return {"formats": {"date_format": self.date_format, "decimal": self.decimal,
                            "thousands": self.thousands, "delimiter": self.delimiter}}


FORMATS = (
    Format("iso", "%Y-%m-%d", ".", "", ",", ("2025-02-30", "31/01/2025", "yesterday", "2025-13-01"),
           ("ten", "1O0", "--5", "12.3.4", "EUR")),
    Format("german", "%d.%m.%Y", ",", ".", ";", ("30.02.2025", "2025-01-31", "gestern", "1.13.2025"),
           ("zehn", "1O0", "--5", "1,2,3", "EUR")),
)


@dataclass(frozen=True)
class Row:
    kind: str
    invoice_id: str
    invoice_date: dt.date
    due_date: dt.date
    cents: int
    bad_text: str

    def amount_value(self) -> float | None:
        """The amount as the file states it (None when it cannot be read)."""
        if self.kind == "bad_amount":
            return None
        return -self.cents / 100 if self.kind == "negative" else self.cents / 100

    def line(self, fmt: Format) -> str:
        invoice_date = self.bad_text if self.kind == "bad_date" else self.invoice_date.strftime(fmt.date_format)
        value = self.amount_value()
        if self.kind == "bad_amount":
            amount = self.bad_text
        else:
            amount = ("-" if value < 0 else "") + fmt.amount(self.cents)
        customer = "" if self.kind == "empty_customer" else f"C{self.cents % 5}"
        return fmt.delimiter.join([self.invoice_id, customer, invoice_date,
                                   self.due_date.strftime(fmt.date_format), amount])


@st.composite
def ledgers(draw, fmt: Format) -> list[Row]:
    """A list of invoice rows of random kinds; every kind but 'duplicate' has a fresh id."""
    n = draw(st.integers(min_value=1, max_value=40))
    rows: list[Row] = []
    for i in range(n):
        kind = draw(st.sampled_from(KINDS))
        invoice_date = BASE + dt.timedelta(days=draw(st.integers(0, 600)))
        if kind == "due_before":
            due_date = invoice_date - dt.timedelta(days=draw(st.integers(1, 60)))
        else:
            due_date = invoice_date + dt.timedelta(days=draw(st.integers(0, 90)))
        if kind == "duplicate" and rows:
            invoice_id = draw(st.sampled_from([r.invoice_id for r in rows]))
        else:
            kind = "good" if kind == "duplicate" else kind
            invoice_id = f"INV-{i:04d}"
        bad_text = ""
        if kind == "bad_date":
            bad_text = draw(st.sampled_from(fmt.bad_dates))
        elif kind == "bad_amount":
            bad_text = draw(st.sampled_from(fmt.bad_amounts))
        cents = draw(st.integers(min_value=1, max_value=100_000_000))
        rows.append(Row(kind, invoice_id, invoice_date, due_date, cents, bad_text))
    return rows


def _csv(rows: list[Row], fmt: Format) -> str:
    header = fmt.delimiter.join(["invoice_id", "customer_id", "invoice_date", "due_date", "amount"])
    return "\n".join([header, *(r.line(fmt) for r in rows)]) + "\n"


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
@SETTINGS
@given(data=st.data(), share=st.floats(min_value=0.0, max_value=1.0))
def test_control_totals_always_balance(make_client, folder_digest, fmt, data, share):
    rows = data.draw(ledgers(fmt), label="rows")
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_client(Path(tmp) / "client", _csv(rows, fmt),
                             yaml_extra={**fmt.yaml(), "as_of": "2027-12-31",
                                         "validation": {"max_rejected_share": 1.0}})
        before = folder_digest(folder)
        ledger = load_client(folder)
        assert folder_digest(folder) == before

        (totals,) = ledger.quality.totals
        problems = ledger.quality.problems
        problem_rows = set(problems["row"])
        file_row = {i + 2: r for i, r in enumerate(rows)}

        # rows and amounts read = accepted + rejected
        assert totals.rows_read == len(rows)
        assert totals.rows_accepted + totals.rows_rejected == totals.rows_read
        readable = [r.amount_value() for r in rows if r.amount_value() is not None]
        # an unreadable amount is unknown: counted, not summed as 0, and the totals do not claim balance
        assert totals.amounts_unreadable == len(rows) - len(readable)
        assert totals.balanced == (len(readable) == len(rows))
        assert totals.amount_read == pytest.approx(sum(readable), rel=1e-9, abs=1e-6)
        assert totals.amount_accepted == pytest.approx(ledger.invoices["amount"].sum(), rel=1e-9, abs=1e-6)

        # rejected rows are exactly the rows with at least one problem, all in this file
        assert set(problems["file"]) <= {"invoices.csv"}
        assert problem_rows <= set(file_row)
        assert totals.rows_rejected == len(problem_rows)
        assert len(ledger.invoices) == len(rows) - len(problem_rows)

        # every row with a defect of its own is rejected; a good row with a unique id is kept
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.invoice_id] = counts.get(r.invoice_id, 0) + 1
        for number, r in file_row.items():
            if r.kind in OWN_DEFECTS:
                assert number in problem_rows, (number, r)
            elif counts[r.invoice_id] == 1:
                assert number not in problem_rows, (number, r, problems.to_dict("records"))

        # the accepted invoices obey the contract, with the values as written in the file
        accepted = ledger.invoices
        assert accepted["invoice_id"].is_unique
        assert (accepted["due_date"] >= accepted["invoice_date"]).all()
        assert (accepted["amount"] > 0).all()
        kept = {r.invoice_id: r for n, r in file_row.items() if n not in problem_rows}
        assert set(accepted["invoice_id"]) == set(kept)
        for inv in accepted.itertuples():
            source = kept[inv.invoice_id]
            assert inv.amount == pytest.approx(source.amount_value(), abs=1e-9)
            assert inv.invoice_date.date() == source.invoice_date
            assert inv.due_date.date() == source.due_date

        # the limit stops the load exactly when the rejected share is above it
        folder2 = make_client(Path(tmp) / "limited", _csv(rows, fmt),
                              yaml_extra={**fmt.yaml(), "as_of": "2027-12-31",
                                          "validation": {"max_rejected_share": share}})
        before = folder_digest(folder2)
        event(f"rejected rows: {'none' if not problem_rows else 'some'}")
        if totals.rows_rejected / totals.rows_read > share:
            event("limit exceeded")
            with pytest.raises(RejectionLimitError) as err:
                load_client(folder2)
            report = err.value.report
            assert report.totals == ledger.quality.totals
            assert set(report.problems["row"]) == problem_rows
        else:
            assert len(load_client(folder2).invoices) == totals.rows_accepted
        assert folder_digest(folder2) == before


INVOICES = ("invoice_id,customer_id,invoice_date,due_date,amount\n"
            "A1,C1,2025-01-10,2025-02-09,100.00\n"
            "A2,C1,2025-01-20,2025-02-19,250.00\n"
            "A3,C2,2025-02-01,2025-01-01,80.00\n"      # rejected: due before invoice
            "A4,C2,2025-02-15,2025-03-17,40.00\n")
INVOICE_AMOUNTS = {"A1": 100.0, "A2": 250.0, "A4": 40.0}
INVOICE_DATES = {"A1": dt.date(2025, 1, 10), "A2": dt.date(2025, 1, 20), "A3": dt.date(2025, 2, 1),
                 "A4": dt.date(2025, 2, 15)}

payment_rows = st.lists(st.tuples(
    st.sampled_from(["A1", "A2", "A3", "A4", "ZZ"]),                # ZZ: no such invoice
    st.integers(min_value=-5, max_value=120),                        # days after 2025-01-15
    st.one_of(st.integers(min_value=-1000, max_value=20_000).map(lambda c: f"{c / 100:.2f}"),
              st.sampled_from(["", "n/a"])),
), min_size=1, max_size=25)


@SETTINGS
@given(rows=payment_rows)
def test_payment_totals_balance_and_accepted_payments_obey_the_rules(make_client, folder_digest, rows):
    lines = "".join(f"{inv},{BASE + dt.timedelta(days=14 + d):%Y-%m-%d},{amount}\n" for inv, d, amount in rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_client(Path(tmp), INVOICES, payments="invoice_id,payment_date,amount\n" + lines,
                             yaml_extra={"validation": {"max_rejected_share": 1.0}})
        before = folder_digest(folder)
        ledger = load_client(folder)
        assert folder_digest(folder) == before

    totals = {t.file: t for t in ledger.quality.totals}["payments.csv"]
    problems = ledger.quality.problems
    problem_rows = set(problems.loc[problems["file"] == "payments.csv", "row"])
    assert totals.rows_read == len(rows)
    assert totals.rows_rejected == len(problem_rows)
    unreadable = sum(a in ("", "n/a") for _, _, a in rows)
    assert totals.amounts_unreadable == unreadable and totals.balanced == (unreadable == 0)
    readable = sum(float(a) for _, _, a in rows if a not in ("", "n/a"))
    assert totals.amount_read == pytest.approx(readable, abs=1e-6)
    assert totals.amount_accepted == pytest.approx(ledger.payments["amount"].sum(), abs=1e-6)

    pay = ledger.payments
    assert set(pay["invoice_id"]) <= set(INVOICE_AMOUNTS)            # unknown and rejected invoices: out
    assert (pay["amount"] > 0).all()
    per_invoice = pay.groupby("invoice_id")["amount"].sum()
    for invoice_id, paid in per_invoice.items():
        assert paid <= INVOICE_AMOUNTS[invoice_id] + 0.005
    for p in pay.itertuples():
        assert p.payment_date.date() >= INVOICE_DATES[p.invoice_id]
    for number, (inv, _, amount) in enumerate(rows, start=2):
        if inv in ("A3", "ZZ") or amount in ("", "n/a") or float(amount) <= 0:
            assert number in problem_rows


# --- the vectorized rules are the declared pandera schema's ------------------------------------
invoice_rows = st.lists(st.tuples(
    st.sampled_from(["A", "B", "C", "D", ""]),                        # invoice id (repeats, empty)
    st.sampled_from(["C1", "C2", ""]),                                # customer id
    st.integers(0, 40), st.integers(-5, 40), st.one_of(st.none(), st.integers(-5, 60)),  # invoice, due, paid day
    st.one_of(st.none(), st.sampled_from([0.0, -20.0, 5.0, 120.0, 1e6])),  # amount (None: unreadable)
    st.booleans(),                                                    # is_credit_note
    st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 50.0, 150.0])),  # written_off_amount
    st.booleans(),                                                    # has a write-off date
), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(invoice_rows)
def test_vectorized_rules_find_what_the_pandera_schema_finds(rows):
    import numpy as np
    import pandas as pd

    from arassess.inputs.validation import pandera_problems, schema_problems

    day = pd.Timestamp("2026-01-01")
    frame = pd.DataFrame({
        "invoice_id": pd.Series([r[0] for r in rows], dtype="str"),
        "customer_id": pd.Series([r[1] for r in rows], dtype="str"),
        "invoice_date": [day + pd.Timedelta(days=r[2]) for r in rows],
        "due_date": [day + pd.Timedelta(days=r[3]) for r in rows],
        "paid_date": pd.Series([day + pd.Timedelta(days=r[4]) if r[4] is not None else pd.NaT for r in rows],
                               dtype="datetime64[us]"),
        "amount": [np.nan if r[5] is None else r[5] for r in rows],
        "is_credit_note": pd.array([r[6] for r in rows], dtype="boolean"),
        "written_off_amount": [np.nan if r[7] is None else r[7] for r in rows],
        "written_off_date": pd.Series([day + pd.Timedelta(days=50) if r[8] else pd.NaT for r in rows],
                                      dtype="datetime64[us]"),
    })
    ours = schema_problems("invoices", frame, "invoices.csv", lambda index: np.asarray(index) + 2,
                           {c: c for c in frame.columns})
    found = {(int(p.row) - 2, p.column, "field_uniqueness" if p.problem.startswith("duplicate") else p.problem)
             for p in ours.itertuples()}
    assert found == pandera_problems("invoices", frame)


# --- the integer keys kept from intake (arassess.ledger.keys) ------------------------------------------
ids = st.lists(st.sampled_from(["C1", "C2", "c1", "Ä-7", "", " C1", "C10", "x" * 40]), max_size=40)


@settings(max_examples=80, deadline=None)
@given(values=ids, keys=ids)
def test_key_codes_are_pandas_factorize_and_first_positions(values, keys):
    import numpy as np
    import pandas as pd

    from arassess.ledger.keys import codes, customer_codes, first_positions

    series = pd.Series(values, dtype="string[pyarrow]")
    want_code, want_ids = pd.factorize(series)
    code, distinct = codes(series)
    assert code.tolist() == want_code.tolist() and distinct.to_pylist() == list(want_ids)
    code, distinct = customer_codes(pd.DataFrame({"customer_id": series}))
    assert code.tolist() == want_code.tolist() and distinct.tolist() == list(want_ids)
    first = {k: i for i, k in reversed(list(enumerate(keys)))}
    got = first_positions(series, pd.Series(keys, dtype="string[pyarrow]"))
    assert got.dtype == np.int64 and got.tolist() == [first.get(v, -1) for v in values]
