"""Loader tests: client folder -> validated Ledger, with every problem named.

Rows are numbered as in the file (header = row 1, first data row = row 2) and
columns are named as in the export (before the client's column mapping).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from arassess import InputError, RejectionLimitError, compute_kpis, load_client
from arassess.ledger.quality import PROBLEM_COLUMNS

LENIENT = {"validation": {"max_rejected_share": 1.0}, "as_of": "2026-12-31"}
FULL_HEADER = "invoice_id,customer_id,invoice_date,due_date,amount,paid_date,is_credit_note,disputed"
GOOD_FULL_ROWS = (
    "G1,C1,2026-01-05,2026-02-04,100.00,2026-02-01,,no\n"
    "G2,C2,2026-01-06,2026-02-05,200.00,,,\n"
    "G3,C1,2026-01-07,2026-02-06,300.00,,,yes\n"
)


def problems(ledger_or_report) -> list[dict]:
    """The problems table as a list of dicts (from a Ledger or a QualityReport)."""
    report = getattr(ledger_or_report, "quality", ledger_or_report)
    return report.problems.to_dict("records")


def problems_at(found: list[dict], row: int) -> list[dict]:
    return [p for p in found if p["row"] == row]


def totals(ledger_or_report, file: str = "invoices.csv"):
    report = getattr(ledger_or_report, "quality", ledger_or_report)
    return next(t for t in report.totals if t.file == file)


# --- file-level problems: the load stops with a clear InputError -----------------------

def test_missing_invoices_file_names_the_file_and_the_setting(tmp_path, make_client):
    folder = make_client(tmp_path, None)
    with pytest.raises(InputError) as err:
        load_client(folder)
    message = str(err.value)
    assert str(folder / "invoices.csv") in message
    assert "does not exist" in message
    assert "files.invoices" in message


def test_empty_file_is_a_clear_error(tmp_path, make_client):
    folder = make_client(tmp_path, "")
    with pytest.raises(InputError) as err:
        load_client(folder)
    message = str(err.value)
    assert str(folder / "invoices.csv") in message
    assert "empty" in message and "header row" in message


def test_blank_lines_only_file_is_a_clear_error(tmp_path, make_client):
    folder = make_client(tmp_path, "\n\n\n")
    with pytest.raises(InputError) as err:
        load_client(folder)
    message = str(err.value)
    assert str(folder / "invoices.csv") in message
    assert "is empty" in message


def test_header_only_file_is_a_clear_error(tmp_path, make_client):
    folder = make_client(tmp_path, "invoice_id,customer_id,invoice_date,due_date,amount\n")
    with pytest.raises(InputError) as err:
        load_client(folder)
    message = str(err.value)
    assert str(folder / "invoices.csv") in message
    assert "header but no data rows" in message


def test_missing_required_columns_are_all_listed_with_the_columns_found(tmp_path, make_client):
    folder = make_client(tmp_path, "invoice_id,amount,Kunde\nA1,10,K1\n")
    with pytest.raises(InputError) as err:
        load_client(folder)
    message = str(err.value)
    assert str(folder / "invoices.csv") in message
    assert "['customer_id', 'invoice_date', 'due_date']" in message
    assert "Columns found: ['invoice_id', 'amount', 'Kunde']" in message
    assert "columns.invoices" in message


def test_missing_required_column_names_mapped_columns_absent_from_the_file(tmp_path, make_client):
    folder = make_client(tmp_path, "Nr,customer_id,invoice_date,due_date,amount\n1,C1,2026-01-01,2026-01-31,5\n",
                         yaml_extra={"columns": {"invoices": {"InvNo": "invoice_id"}}})
    with pytest.raises(InputError) as err:
        load_client(folder)
    message = str(err.value)
    assert "['invoice_id']" in message
    assert "The mapping names columns not in the file: ['InvNo']" in message


def test_missing_required_column_in_payments_names_the_payments_file(tmp_path, make_client, good_invoices):
    folder = make_client(tmp_path, good_invoices(2), payments="invoice_id,amount\nI1,10\n")
    with pytest.raises(InputError) as err:
        load_client(folder)
    message = str(err.value)
    assert str(folder / "payments.csv") in message
    assert "['payment_date']" in message
    assert "payments file" in message


def test_two_export_columns_mapped_to_one_canonical_column(tmp_path, make_client):
    folder = make_client(tmp_path, "Nr,Ref,customer_id,invoice_date,due_date,amount\n1,2,C1,2026-01-01,2026-01-31,5\n",
                         yaml_extra={"columns": {"invoices": {"Nr": "invoice_id", "Ref": "invoice_id"}}})
    with pytest.raises(InputError, match=r"more than one column maps to \['invoice_id'\]"):
        load_client(folder)


def test_unsupported_file_type(tmp_path, make_client):
    folder = make_client(tmp_path, None, yaml_extra={"files": {"invoices": "invoices.json"}})
    (folder / "invoices.json").write_text("{}")
    with pytest.raises(InputError, match=r"unsupported file type '\.json'; use \.csv or \.xlsx"):
        load_client(folder)


def test_wrong_encoding_names_the_setting_and_the_right_one_loads(tmp_path, make_client):
    text = "invoice_id,customer_id,invoice_date,due_date,amount\nA1,Müller,2026-01-01,2026-01-31,5\n"
    folder = make_client(tmp_path, text.encode("cp1252"), yaml_extra={"as_of": "2026-02-01"})
    with pytest.raises(InputError) as err:
        load_client(folder)
    assert "not encoded as utf-8" in str(err.value)
    assert "'encoding'" in str(err.value)
    folder = make_client(tmp_path / "fixed", text.encode("cp1252"),
                         yaml_extra={"as_of": "2026-02-01", "formats": {"encoding": "cp1252"}})
    assert load_client(folder).invoices.loc[0, "customer_id"] == "Müller"


def test_optional_file_named_but_missing_is_an_error(tmp_path, make_client, good_invoices):
    # a typo in a named payments file must not silently turn a ledger into open items
    folder = make_client(tmp_path, good_invoices(2), yaml_extra={"as_of": "2026-03-01",
                                                                   "files": {"payments": "payments.csv"}})
    with pytest.raises(InputError) as err:
        load_client(folder)
    assert str(folder / "payments.csv") in str(err.value) and "does not exist" in str(err.value)
    assert "files.payments" in str(err.value)


def test_optional_file_with_header_only_means_none(tmp_path, make_client, good_invoices):
    folder = make_client(tmp_path, good_invoices(2), payments="invoice_id,payment_date,amount\n",
                         yaml_extra={"as_of": "2026-03-01", "files": {"payments": "payments.csv"}})
    ledger = load_client(folder)
    assert ledger.payments.empty
    assert "payments.csv has a header but no rows: no payments." in ledger.quality.notes


# --- row-level problems: one named case per bad input -------------------------------------
# (case id, bad CSV line appended after 3 good rows -> it is row 5, expected column,
#  expected value, text the problem must contain)
ROW_CASES = [
    ("unparseable_invoice_date", "B1,C1,2026-02-30,2026-03-01,10.00,,,",
     "invoice_date", "2026-02-30", "expected a date in the format %Y-%m-%d (e.g. 2026-10-31)"),
    ("unparseable_due_date", "B1,C1,2026-01-31,31/03/2026,10.00,,,",
     "due_date", "31/03/2026", "cannot be read; expected a date in the format %Y-%m-%d"),
    ("unparseable_paid_date", "B1,C1,2026-01-31,2026-03-02,10.00,someday,,",
     "paid_date", "someday", "cannot be read; expected a date"),
    ("unparseable_amount", "B1,C1,2026-01-31,2026-03-02,1O0.00,,,",
     "amount", "1O0.00", "cannot be read; expected a number with '.' as decimal separator"),
    ("empty_amount", "B1,C1,2026-01-31,2026-03-02,,,,",
     "amount", "", "required value is empty; expected an invoice amount"),
    ("empty_customer_id", "B1,,2026-01-31,2026-03-02,10.00,,,",
     "customer_id", "", "required value is empty; expected a non-empty customer id"),
    ("due_date_before_invoice_date", "B1,C1,2026-01-31,2026-01-30,10.00,,,",
     "due_date", "2026-01-30", "due date is before the invoice date"),
    ("paid_date_before_invoice_date", "B1,C1,2026-01-31,2026-03-02,10.00,2026-01-15,,",
     "paid_date", "2026-01-15", "paid date is before the invoice date"),
    ("negative_amount_not_flagged", "B1,C1,2026-01-31,2026-03-02,-50.00,,,",
     "amount", -50.0, "negative amount on a row not flagged as a credit note"),
    ("negative_amount_flagged_no", "B1,C1,2026-01-31,2026-03-02,-50.00,,no,",
     "amount", -50.0, "negative amount on a row not flagged as a credit note"),
    ("zero_amount", "B1,C1,2026-01-31,2026-03-02,0,,,",
     "amount", 0.0, "amount must not be zero"),
    ("unreadable_flag", "B1,C1,2026-01-31,2026-03-02,10.00,,,maybe",
     "disputed", "maybe", "cannot be read; expected yes/no, true/false, 1/0"),
]


@pytest.mark.parametrize("line, column, value, reason", [c[1:] for c in ROW_CASES],
                         ids=[c[0] for c in ROW_CASES])
def test_bad_invoice_row_is_rejected_with_row_column_value_and_reason(tmp_path, make_client,
                                                                      line, column, value, reason):
    folder = make_client(tmp_path, FULL_HEADER + "\n" + GOOD_FULL_ROWS + line + "\n", yaml_extra=LENIENT)
    ledger = load_client(folder)
    found = problems(ledger)
    assert len(found) == 1, found
    problem = found[0]
    assert problem["file"] == "invoices.csv"
    assert problem["row"] == 5
    assert problem["column"] == column
    if isinstance(value, float):
        assert float(problem["value"]) == value
    else:
        assert problem["value"] == value
    assert reason in problem["problem"]
    assert list(ledger.invoices["invoice_id"]) == ["G1", "G2", "G3"]
    t = totals(ledger)
    assert (t.rows_read, t.rows_accepted, t.rows_rejected) == (4, 3, 1)
    if column == "amount" and reason.startswith(("cannot be read", "required value is empty")):
        # the row's amount is unknown: counted, not summed as 0, and the totals say so
        assert (t.amounts_unreadable, t.balanced, t.balance_text) == (1, False, "amount unknown: 1 row unreadable")
    else:
        assert t.balanced and t.balance_text == "yes"


def test_duplicate_invoice_ids_reject_every_copy_and_name_all_rows(tmp_path, make_client, good_invoices):
    text = good_invoices(60) + "I7,C9,2026-03-01,2026-03-31,55.00\nI7,C9,2026-03-02,2026-04-01,56.00\n"
    ledger = load_client(make_client(tmp_path, text, yaml_extra={"as_of": "2026-04-30"}))
    found = problems(ledger)
    assert sorted(p["row"] for p in found) == [8, 62, 63]
    for p in found:
        assert p["column"] == "invoice_id"
        assert p["value"] == "I7"
        assert p["problem"] == "duplicate invoice id: the same id is on rows 8, 62, 63"
    assert "I7" not in set(ledger.invoices["invoice_id"])
    assert ledger.invoices["invoice_id"].is_unique
    assert totals(ledger).rows_rejected == 3


def test_credit_note_flagged_is_accepted_with_its_negative_amount(tmp_path, make_client):
    text = (FULL_HEADER + "\n" + GOOD_FULL_ROWS
            + "CN1,C1,2026-01-20,2026-01-20,-40.00,,yes,\n"
            + "CN2,C2,2026-01-21,2026-01-21,-10.50,,x,\n")
    ledger = load_client(make_client(tmp_path, text))
    assert problems(ledger) == []
    notes = ledger.invoices.set_index("invoice_id")
    assert notes.loc["CN1", "amount"] == -40.0 and notes.loc["CN2", "amount"] == -10.5
    assert bool(notes.loc["CN1", "is_credit_note"]) and not bool(notes.loc["G1", "is_credit_note"])
    assert ledger.invoices["is_credit_note"].dtype == bool


def test_every_problem_is_collected_at_once(tmp_path, make_client, good_invoices):
    # 60 good rows + 3 bad ones = 4.8% rejected: under the default limit, so the load succeeds
    text = good_invoices(60) + (
        "B1,C1,2026-13-01,2026-02-01,10.00\n"     # row 62: bad date
        "B2,C1,2026-01-01,2026-02-01,ten\n"       # row 63: bad amount
        "B3,C1,2026-02-01,2026-01-01,10.00\n"     # row 64: due before invoice
    )
    ledger = load_client(make_client(tmp_path, text, yaml_extra={"as_of": "2026-04-30"}))
    found = {(p["row"], p["column"], p["value"]) for p in problems(ledger)}
    assert found == {(62, "invoice_date", "2026-13-01"), (63, "amount", "ten"), (64, "due_date", "2026-01-01")}
    t = totals(ledger)
    assert (t.rows_read, t.rows_accepted, t.rows_rejected) == (63, 60, 3)
    assert len(ledger.invoices) == 60


def test_every_problem_of_one_row_is_reported(tmp_path, make_client):
    text = FULL_HEADER + "\n" + GOOD_FULL_ROWS + "B1,C1,2026-01-31,2026-01-01,ten,,,\n"
    found = problems(load_client(make_client(tmp_path, text, yaml_extra=LENIENT)))
    assert {(p["row"], p["column"]) for p in found} == {(5, "amount"), (5, "due_date")}


def test_row_numbers_count_blank_lines_as_in_the_file(tmp_path, make_client):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount\n"
            "A1,C1,2026-01-01,2026-01-31,10\n"
            "\n"
            "A2,C1,2026-01-01,2026-01-31,ten\n")          # line 4 of the file
    found = problems(load_client(make_client(tmp_path, text, yaml_extra=LENIENT)))
    assert [(p["row"], p["value"]) for p in found] == [(4, "ten")]


def test_customers_rows_are_checked(tmp_path, make_client, good_invoices):
    customers = ("customer_id,name,credit_limit,terms_days\n"
                 "C1,Alpha,1000,30\n"
                 "C2,Beta,,2.5\n"          # row 3: terms not whole
                 "C3,Gamma,abc,30\n"       # row 4: bad credit limit
                 "C1,Alpha again,5,30\n")  # row 5: duplicate of row 2
    ledger = load_client(make_client(tmp_path, good_invoices(3), customers=customers,
                                     yaml_extra={**LENIENT, "as_of": "2026-03-01"}))
    found = [(p["file"], p["row"], p["column"], p["value"]) for p in problems(ledger)]
    assert sorted(found) == [("customers.csv", 2, "customer_id", "C1"), ("customers.csv", 3, "terms_days", "2.5"),
                             ("customers.csv", 4, "credit_limit", "abc"), ("customers.csv", 5, "customer_id", "C1")]
    assert list(ledger.customers["customer_id"]) == []
    t = totals(ledger, "customers.csv")
    assert (t.rows_read, t.rows_rejected) == (4, 4) and t.balanced


def test_infinite_amount_is_rejected(tmp_path, make_client):
    text = FULL_HEADER + "\n" + GOOD_FULL_ROWS + "B1,C1,2026-01-31,2026-03-02,inf,,,\n"
    ledger = load_client(make_client(tmp_path, text, yaml_extra=LENIENT))
    assert [(p["row"], p["column"], p["value"]) for p in problems(ledger)] == [(5, "amount", "inf")]
    assert totals(ledger).balance_text == "amount unknown: 1 row unreadable"  # "inf" is no amount


def test_rejected_rows_are_kept_as_read_with_their_reasons(tmp_path, make_client):
    text = ("Nr,customer_id,invoice_date,due_date,amount,Note\n"
            "A1,C1,2026-01-01,2026-01-31,100,fine\n"
            "A2,C1,2026-01-01,2026-01-31,1O0,typo\n"                 # row 3
            "A3,C1,2026-02-01,2026-01-01,-5,two problems\n")         # row 4
    folder = make_client(tmp_path / "client", text,
                         yaml_extra={**LENIENT, "columns": {"invoices": {"Nr": "invoice_id"}}})
    report = load_client(folder).quality
    rejected = report.rejected["invoices.csv"]
    assert list(rejected.columns) == ["row", "problems", "Nr", "customer_id", "invoice_date", "due_date", "amount",
                                      "Note"]
    assert list(rejected["row"]) == [3, 4]
    assert list(rejected["amount"]) == ["1O0", "-5"]                 # as written in the file
    assert list(rejected["Note"]) == ["typo", "two problems"]
    assert rejected["problems"].iloc[0].startswith("amount: cannot be read")
    assert "due_date: due date is before the invoice date" in rejected["problems"].iloc[1]
    assert "amount: negative amount" in rejected["problems"].iloc[1]
    (path,) = report.export_rejected(tmp_path / "out")
    assert path == tmp_path / "out" / "invoices.rejected.csv"
    assert pd.read_csv(path, dtype=str)["Nr"].tolist() == ["A2", "A3"]
    with pytest.raises(FileExistsError):
        report.export_rejected(tmp_path / "out")


def test_duplicate_id_whose_other_copy_is_unreadable(tmp_path, make_client):
    invoices = ("invoice_id,customer_id,invoice_date,due_date,amount\n"
                "A1,C1,2026-01-01,2026-01-31,abc\n"       # row 2: unreadable amount
                "A1,C1,2026-01-01,2026-01-31,100\n")      # row 3: same id
    payments = "invoice_id,payment_date,amount\nA1,2026-01-10,500\n"
    ledger = load_client(make_client(tmp_path, invoices, payments=payments, yaml_extra=LENIENT))
    assert ledger.payments.empty or ledger.payments["amount"].sum() <= ledger.invoices["amount"].sum()
    assert any(p["row"] == 3 and "duplicate" in p["problem"] for p in problems(ledger))


# --- payments: cross-file rules -----------------------------------------------------------
INVOICES_FOR_PAYMENTS = (
    "invoice_id,customer_id,invoice_date,due_date,amount\n"
    "A1,C1,2026-01-01,2026-01-31,100.00\n"   # row 2
    "A2,C1,2026-01-05,2026-01-01,80.00\n"    # row 3: rejected (due before invoice)
    "A3,C2,2026-01-10,2026-02-09,50.00\n"    # row 4
)


def _load_payments(tmp_path, make_client, payment_lines: str):
    folder = make_client(tmp_path, INVOICES_FOR_PAYMENTS,
                         payments="invoice_id,payment_date,amount\n" + payment_lines, yaml_extra=LENIENT)
    return load_client(folder)


def test_payments_exceeding_the_invoice_are_rejected_naming_both_totals(tmp_path, make_client):
    ledger = _load_payments(tmp_path, make_client, "A1,2026-01-10,60.00\nA1,2026-01-20,60.00\nA3,2026-01-20,50.00\n")
    found = [p for p in problems(ledger) if p["file"] == "payments.csv"]
    assert [(p["row"], p["column"]) for p in found] == [(2, "amount"), (3, "amount")]
    for p in found:
        assert p["problem"] == "payments for invoice A1 total 120.00, more than the invoice amount 100.00"
    assert float(found[0]["value"]) == 60.0
    assert list(ledger.payments["invoice_id"]) == ["A3"]    # paying exactly the amount is fine


def test_payments_within_the_invoice_amount_are_accepted(tmp_path, make_client):
    ledger = _load_payments(tmp_path, make_client, "A1,2026-01-10,60.00\nA1,2026-01-20,40.00\n")
    assert [p for p in problems(ledger) if p["file"] == "payments.csv"] == []
    assert ledger.payments["amount"].sum() == 100.0


def test_payment_for_unknown_invoice(tmp_path, make_client):
    ledger = _load_payments(tmp_path, make_client, "A1,2026-01-10,10.00\nZZ9,2026-01-10,5.00\n")
    found = [p for p in problems(ledger) if p["file"] == "payments.csv"]
    assert found == [{"file": "payments.csv", "row": 3, "column": "invoice_id", "value": "ZZ9",
                      "problem": "no invoice with this id in invoices.csv"}]


def test_payment_for_an_invoice_that_was_rejected_points_to_the_invoice_row(tmp_path, make_client):
    ledger = _load_payments(tmp_path, make_client, "A1,2026-01-10,10.00\nA2,2026-01-10,5.00\n")
    found = [p for p in problems(ledger) if p["file"] == "payments.csv"]
    assert found == [{"file": "payments.csv", "row": 3, "column": "invoice_id", "value": "A2",
                      "problem": "its invoice was rejected (see invoices.csv row 3)"}]
    assert list(ledger.payments["invoice_id"]) == ["A1"]


def test_payment_dated_before_its_invoice(tmp_path, make_client):
    ledger = _load_payments(tmp_path, make_client, "A3,2026-01-09,10.00\n")
    found = [p for p in problems(ledger) if p["file"] == "payments.csv"]
    assert found == [{"file": "payments.csv", "row": 2, "column": "payment_date", "value": "2026-01-09",
                      "problem": "payment is dated before its invoice date"}]


def test_payment_with_unparseable_date_and_amount(tmp_path, make_client):
    ledger = _load_payments(tmp_path, make_client, "A1,10/01/2026,10.00\nA3,2026-01-20,lots\n")
    found = [(p["row"], p["column"], p["value"]) for p in problems(ledger) if p["file"] == "payments.csv"]
    assert sorted(found) == [(2, "payment_date", "10/01/2026"), (3, "amount", "lots")]


def test_payment_with_non_positive_amount_is_rejected(tmp_path, make_client):
    ledger = _load_payments(tmp_path, make_client, "A1,2026-01-10,-3.00\n")
    found = [p for p in problems(ledger) if p["file"] == "payments.csv"]
    assert [(p["row"], p["column"], float(p["value"])) for p in found] == [(2, "amount", -3.0)]


def test_non_positive_payment_reason_is_written_for_a_finance_user(tmp_path, make_client):
    ledger = _load_payments(tmp_path, make_client, "A1,2026-01-10,-3.00\n")
    found = [p for p in problems(ledger) if p["file"] == "payments.csv"]
    assert found[0]["problem"] == "payment amount must be greater than zero"


def test_negative_write_off_reason_is_written_for_a_finance_user(tmp_path, make_client):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount,written_off_amount,written_off_date\n"
            "A1,C1,2026-01-01,2026-01-31,100,-5,2026-03-01\n")
    found = problems(load_client(make_client(tmp_path, text, yaml_extra={**LENIENT, "as_of": "2026-03-31"})))
    assert [(p["row"], p["column"], p["problem"]) for p in found] == [
        (2, "written_off_amount", "write-off amount must not be negative")]


def test_write_off_rules(tmp_path, make_client):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount,written_off_amount,written_off_date\n"
            "A1,C1,2026-01-01,2026-01-31,100,100,2026-03-01\n"   # row 2: fine
            "A2,C1,2026-01-01,2026-01-31,100,200,2026-03-01\n"   # row 3: more than the invoice
            "A3,C1,2026-01-01,2026-01-31,100,20,\n")             # row 4: no date
    found = problems(load_client(make_client(tmp_path, text, yaml_extra={**LENIENT, "as_of": "2026-03-31"})))
    assert [(p["row"], p["column"], p["problem"]) for p in found] == [
        (3, "written_off_amount", "write-off amount exceeds the invoice amount"),
        (4, "written_off_amount", "write-off amount given without a write-off date")]


# --- currencies -----------------------------------------------------------------------------
MIXED = ("invoice_id,customer_id,invoice_date,due_date,amount,currency\n"
         "A1,C1,2026-01-01,2026-01-31,100.00,USD\n"
         "A2,C1,2026-01-01,2026-01-31,200.00,EUR\n"
         "A3,C1,2026-01-01,2026-01-31,300.00,gbp\n"
         "A4,C1,2026-01-01,2026-01-31,400.00,\n"
         "A5,C1,2026-01-01,2026-01-31,500.00,USD\n")


def test_mixed_currencies_without_rates_list_every_currency_found(tmp_path, make_client):
    folder = make_client(tmp_path, MIXED, yaml_extra={"as_of": "2026-03-01"})
    with pytest.raises(InputError) as err:
        load_client(folder)
    message = str(err.value)
    assert message.startswith("invoices.csv holds amounts in several currencies")
    assert "EUR (2 rows)" in message and "USD (2 rows)" in message and "GBP (1 rows)" in message
    assert "no exchange rate for USD, GBP" in message
    assert "fx.rates" in message


def test_mixed_currencies_with_a_missing_rate_names_only_the_missing_one(tmp_path, make_client):
    folder = make_client(tmp_path, MIXED, yaml_extra={"as_of": "2026-03-01", "fx": {"rates": {"USD": 0.9}}})
    with pytest.raises(InputError, match="no exchange rate for GBP\\."):
        load_client(folder)


def test_fx_conversion_into_the_reporting_currency_keeps_the_original_amount(tmp_path, make_client):
    payments = "invoice_id,payment_date,amount\nA1,2026-01-10,50.00\nA3,2026-01-10,100.00\n"
    folder = make_client(tmp_path, MIXED, payments=payments,
                         yaml_extra={"fx": {"rates": {"USD": 0.9, "GBP": 1.2}}})
    ledger = load_client(folder)
    inv = ledger.invoices.set_index("invoice_id")
    assert inv["currency"].to_dict() == {"A1": "USD", "A2": "EUR", "A3": "GBP", "A4": "EUR", "A5": "USD"}
    assert inv["amount_original"].to_dict() == {"A1": 100.0, "A2": 200.0, "A3": 300.0, "A4": 400.0, "A5": 500.0}
    assert inv["amount"].to_dict() == pytest.approx({"A1": 90.0, "A2": 200.0, "A3": 360.0, "A4": 400.0, "A5": 450.0})
    pay = ledger.payments.set_index("invoice_id")   # no currency column: in the invoice's currency
    assert pay.loc["A1", "currency"] == "USD" and pay.loc["A1", "amount"] == pytest.approx(45.0)
    assert pay.loc["A3", "currency"] == "GBP" and pay.loc["A3", "amount"] == pytest.approx(120.0)
    assert pay["amount_original"].to_dict() == {"A1": 50.0, "A3": 100.0}
    # control totals are in the file's amounts, before conversion
    assert totals(ledger).amount_read == 1500.0


def test_payments_in_a_currency_without_rate(tmp_path, make_client, good_invoices):
    payments = "invoice_id,payment_date,amount,currency\nI1,2026-01-10,10.00,CHF\n"
    folder = make_client(tmp_path, good_invoices(2), payments=payments)
    with pytest.raises(InputError) as err:
        load_client(folder)
    assert str(err.value).startswith("payments.csv holds amounts in several currencies")
    assert "CHF (1 rows)" in str(err.value)


def test_overpayment_in_another_currency_is_detected(tmp_path, make_client):
    invoices = "invoice_id,customer_id,invoice_date,due_date,amount,currency\nA1,C1,2026-01-01,2026-01-31,100,USD\n"
    payments = "invoice_id,payment_date,amount,currency\nA1,2026-01-10,95,EUR\n"   # 95 EUR = 190 USD
    ledger = load_client(make_client(tmp_path, invoices, payments=payments,
                                     yaml_extra={**LENIENT, "fx": {"rates": {"USD": 0.5}}}))
    found = [p for p in problems(ledger) if p["file"] == "payments.csv"]
    assert [(p["row"], p["column"]) for p in found] == [(2, "amount")]


# --- extra columns ----------------------------------------------------------------------------

def test_unknown_extra_columns_are_kept_and_reported(tmp_path, make_client):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount,Region,Sales Rep\n"
            "A1,C1,2026-01-01,2026-01-31,10,North,Ann\n"
            "A2,C2,2026-01-02,2026-02-01,20,South,Bob\n")
    ledger = load_client(make_client(tmp_path, text, yaml_extra={"as_of": "2026-03-01"}))
    assert list(ledger.invoices["Region"]) == ["North", "South"]
    assert list(ledger.invoices["Sales Rep"]) == ["Ann", "Bob"]
    assert "invoices.csv: extra columns kept but not used: Region, Sales Rep." in ledger.quality.notes
    assert problems(ledger) == []


# --- control totals and the rejection limit ----------------------------------------------

def test_control_totals_balance_rows_and_amounts(tmp_path, make_client, good_invoices):
    text = good_invoices(40) + "B1,C1,2026-03-01,2026-02-01,1000.00\nB2,C1,2026-03-01,2026-04-01,n/a\n"
    payments = "invoice_id,payment_date,amount\nI1,2026-01-05,50.00\nI2,2026-01-05,500.00\nB1,2026-03-05,7.00\n"
    ledger = load_client(make_client(tmp_path, text, payments=payments, yaml_extra=LENIENT))
    inv = totals(ledger)
    good_sum = sum(100.0 + i for i in range(1, 41))
    assert (inv.rows_read, inv.rows_accepted, inv.rows_rejected) == (42, 40, 2)
    assert inv.amount_accepted == pytest.approx(good_sum)
    assert inv.amount_rejected == pytest.approx(1000.0)       # the unreadable amount is not summed
    assert inv.amount_read == pytest.approx(good_sum + 1000.0)
    assert inv.amounts_unreadable == 1 and not inv.balanced     # so the totals do not claim balance
    assert inv.balance_text == "amount unknown: 1 row unreadable"
    assert inv.rejected_share == pytest.approx(2 / 42)
    pay = totals(ledger, "payments.csv")     # I2 overpaid (102 due), B1's invoice rejected
    assert (pay.rows_read, pay.rows_accepted, pay.rows_rejected) == (3, 1, 2)
    assert (pay.amount_read, pay.amount_accepted, pay.amount_rejected) == (557.0, 50.0, 507.0)
    assert pay.balanced
    frame = ledger.quality.totals_frame()
    assert list(frame["file"]) == ["invoices.csv", "payments.csv"]
    assert list(frame["rows_read"]) == [42, 3]


def test_clean_load_reports_ok_and_notes(tmp_path, make_client, good_invoices):
    ledger = load_client(make_client(tmp_path, good_invoices(5), yaml_extra={"as_of": "2026-03-01"}))
    assert ledger.quality.ok
    assert list(ledger.quality.problems.columns) == PROBLEM_COLUMNS
    assert "payments: no file given in client.yaml." in ledger.quality.notes
    assert "customers: no file given in client.yaml." in ledger.quality.notes
    t = totals(ledger)
    assert (t.rows_read, t.rows_accepted, t.rows_rejected, t.amount_rejected) == (5, 5, 0, 0.0)


def _with_bad_rows(good_invoices, n_good: int, n_bad: int) -> str:
    bad = "".join(f"B{i},C1,2026-03-01,2026-02-01,10.00\n" for i in range(n_bad))  # due before invoice
    return good_invoices(n_good) + bad


@pytest.mark.parametrize("n_good, n_bad", [(19, 1), (20, 1), (38, 2)], ids=["at_5pct", "under_5pct", "at_5pct_2"])
def test_default_limit_allows_up_to_5_percent(tmp_path, make_client, good_invoices, n_good, n_bad):
    ledger = load_client(make_client(tmp_path, _with_bad_rows(good_invoices, n_good, n_bad),
                                     yaml_extra={"as_of": "2026-03-31"}))
    assert totals(ledger).rows_rejected == n_bad
    assert len(ledger.invoices) == n_good


@pytest.mark.parametrize("n_good, n_bad", [(18, 1), (37, 2)], ids=["1_of_19", "2_of_39"])
def test_default_limit_stops_just_over_5_percent(tmp_path, make_client, good_invoices, n_good, n_bad):
    folder = make_client(tmp_path, _with_bad_rows(good_invoices, n_good, n_bad), yaml_extra={"as_of": "2026-03-31"})
    with pytest.raises(RejectionLimitError) as err:
        load_client(folder)
    n = n_good + n_bad
    message = str(err.value)
    assert f"invoices.csv: {n_bad} of {n} rows ({n_bad / n:.1%})" in message
    assert "the limit is 5%" in message
    first_bad_row = n_good + 2
    assert f"invoices.csv row {first_bad_row}, column 'due_date': due date is before the invoice date" in message
    report = err.value.report
    assert sorted(report.problems["row"]) == list(range(first_bad_row, first_bad_row + n_bad))
    assert all(t.balanced for t in report.totals)


def test_configured_limit(tmp_path, make_client, good_invoices):
    share = {"validation": {"max_rejected_share": 0.10}, "as_of": "2026-03-31"}
    ledger = load_client(make_client(tmp_path / "at", _with_bad_rows(good_invoices, 18, 2), yaml_extra=share))
    assert totals(ledger).rows_rejected == 2                           # 2 of 20 = 10%: allowed
    with pytest.raises(RejectionLimitError, match=r"3 of 20 rows \(15\.0%\); the limit is 10%"):
        load_client(make_client(tmp_path / "over", _with_bad_rows(good_invoices, 17, 3), yaml_extra=share))


def test_zero_limit_rejects_any_bad_row_and_argument_overrides_config(tmp_path, make_client, good_invoices):
    folder = make_client(tmp_path, _with_bad_rows(good_invoices, 99, 1),
                         yaml_extra={"validation": {"max_rejected_share": 0.0}, "as_of": "2026-05-31"})
    with pytest.raises(RejectionLimitError, match=r"1 of 100 rows \(1\.0%\); the limit is 0%"):
        load_client(folder)
    ledger = load_client(folder, max_rejected_share=0.5)
    assert totals(ledger).rows_rejected == 1


def test_limit_applies_to_payments_too(tmp_path, make_client, good_invoices):
    payments = "invoice_id,payment_date,amount\nI1,2026-01-10,5.00\nNOPE,2026-01-10,5.00\n"
    folder = make_client(tmp_path, good_invoices(3), payments=payments)
    with pytest.raises(RejectionLimitError) as err:
        load_client(folder)
    assert "payments.csv: 1 of 2 rows (50.0%)" in str(err.value)
    assert "invoices.csv:" not in str(err.value).split(";")[0]
    assert "payments.csv row 3, column 'invoice_id': no invoice with this id in invoices.csv" in str(err.value)


def test_rejection_limit_error_is_an_input_error_with_an_exportable_report(tmp_path, make_client, good_invoices):
    folder = make_client(tmp_path / "client", _with_bad_rows(good_invoices, 5, 2), yaml_extra={"as_of": "2026-03-31"})
    with pytest.raises(InputError) as err:
        load_client(folder)
    assert isinstance(err.value, RejectionLimitError)
    target = err.value.report.export(tmp_path / "problems.csv")
    exported = pd.read_csv(target, dtype={"row": int, "value": str})
    assert list(exported.columns) == PROBLEM_COLUMNS
    assert list(exported["row"]) == [7, 8]
    assert list(exported["column"]) == ["due_date", "due_date"]
    assert set(exported["file"]) == {"invoices.csv"}


def test_export_never_overwrites(tmp_path, make_client, good_invoices):
    ledger = load_client(make_client(tmp_path / "client", _with_bad_rows(good_invoices, 5, 1), yaml_extra=LENIENT))
    target = tmp_path / "problems.csv"
    target.write_text("earlier run\n")
    with pytest.raises(FileExistsError, match="already exists"):
        ledger.quality.export(target)
    assert target.read_text() == "earlier run\n"


# --- formats and mappings -------------------------------------------------------------------
GERMAN_YAML = {
    "as_of": "2026-03-31",
    "formats": {"date_format": "%d.%m.%Y", "decimal": ",", "thousands": ".", "delimiter": ";"},
    "columns": {"invoices": {"Rechnung": "invoice_id", "Kunde": "customer_id", "Datum": "invoice_date",
                             "Fällig": "due_date", "Betrag": "amount", "Bezahlt": "paid_date",
                             "Gutschrift": "is_credit_note"}},
}
GERMAN = ("Rechnung;Kunde;Datum;Fällig;Betrag;Bezahlt;Gutschrift;Notiz\n"
          "R1;K1;05.01.2026;04.02.2026;1.234,56;10.02.2026;nein;erste\n"
          "R2;K2;31.01.2026;02.03.2026;12,5;;;\n"
          "R3;K2;01.02.2026;03.03.2026;(7,25);;ja;Gutschrift\n"
          "R4;K2;01.02.2026;03.03.2026;1.000.000,00;;;\n")


def test_mapping_date_format_decimal_comma_thousands_and_semicolon(tmp_path, make_client):
    ledger = load_client(make_client(tmp_path, GERMAN, yaml_extra={**GERMAN_YAML, **LENIENT}))
    assert problems(ledger) == []
    inv = ledger.invoices.set_index("invoice_id")
    assert inv["amount"].to_dict() == {"R1": 1234.56, "R2": 12.5, "R3": -7.25, "R4": 1_000_000.0}
    assert inv.loc["R1", "invoice_date"] == pd.Timestamp("2026-01-05")
    assert inv.loc["R2", "due_date"] == pd.Timestamp("2026-03-02")
    assert inv.loc["R1", "paid_date"] == pd.Timestamp("2026-02-10") and pd.isna(inv.loc["R2", "paid_date"])
    assert inv.loc["R1", "customer_id"] == "K1"
    assert inv.loc["R1", "Notiz"] == "erste"
    assert ledger.shape == "ledger"


def test_problems_name_the_export_column_and_the_expected_format(tmp_path, make_client):
    text = GERMAN + ("R5;K1;2026-01-31;02.03.2026;5,00;;;\n"          # row 6: ISO date in a German file
                     "R6;K1;01.02.2026;03.03.2026;-5,00;;nein;\n"      # row 7: negative, not a credit note
                     "R7;K1;01.02.2026;03.03.2026;fünf;;;\n")          # row 8: not a number
    ledger = load_client(make_client(tmp_path, text, yaml_extra={**GERMAN_YAML, **LENIENT}))
    found = {p["row"]: p for p in problems(ledger)}
    assert sorted(found) == [6, 7, 8]
    assert (found[6]["column"], found[6]["value"]) == ("Datum", "2026-01-31")
    assert found[6]["problem"] == "cannot be read; expected a date in the format %d.%m.%Y (e.g. 31.10.2026)"
    assert (found[7]["column"], found[7]["value"]) == ("Betrag", "-5,00")  # as written in the file
    assert "not flagged as a credit note" in found[7]["problem"]
    assert (found[8]["column"], found[8]["value"]) == ("Betrag", "fünf")
    assert found[8]["problem"] == ("cannot be read; expected a number with ',' as decimal separator "
                                   "and '.' for thousands")


def test_amount_in_the_wrong_convention_is_rejected_not_misread(tmp_path, make_client):
    text = ("Rechnung;Kunde;Datum;Fällig;Betrag\n"
            "R1;K1;05.01.2026;04.02.2026;12.5\n"
            "R2;K1;05.01.2026;04.02.2026;1,234.50\n")
    yaml_extra = {**GERMAN_YAML, **LENIENT}
    ledger = load_client(make_client(tmp_path, text, yaml_extra=yaml_extra))
    found = [(p["row"], p["column"], p["value"]) for p in problems(ledger)]
    assert found == [(2, "Betrag", "12.5"), (3, "Betrag", "1,234.50")]


def test_per_file_settings_override_the_defaults(tmp_path, make_client, good_invoices):
    payments = "Ref|Paid on|Paid\nI1|10/01/2026|50,00\n"
    folder = make_client(tmp_path, good_invoices(3), yaml_extra={
        "formats": {"decimal": "."},
        "files": {"payments": {"path": "payments.txt", "delimiter": "|", "date_format": "%d/%m/%Y",
                               "decimal": ",", "columns": {"Ref": "invoice_id", "Paid on": "payment_date",
                                                           "Paid": "amount"}}}})
    (folder / "payments.txt").write_text(payments)
    ledger = load_client(folder)
    assert problems(ledger) == []
    assert ledger.payments.loc[0, "payment_date"] == pd.Timestamp("2026-01-10")
    assert ledger.payments.loc[0, "amount"] == 50.0
    assert ledger.invoices.loc[0, "amount"] == 101.0


# --- XLSX -----------------------------------------------------------------------------------

def _write_xlsx(path, rows, sheet_title="Sheet"):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    for row in rows:
        sheet.append(row)
    book.save(path)


XLSX_HEADER = ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "paid_date", "Region"]


def test_xlsx_with_date_cells_numeric_cells_and_bad_cells(tmp_path, make_client):
    folder = make_client(tmp_path, None, yaml_extra={**LENIENT, "files": {"invoices": "ledger.xlsx"}})
    _write_xlsx(folder / "ledger.xlsx", [
        XLSX_HEADER,
        [1001, "C1", dt.datetime(2026, 1, 5), dt.datetime(2026, 2, 4), 1234, None, "North"],     # row 2
        ["A2", 77, dt.date(2026, 1, 6), "2026-02-05", "99", dt.datetime(2026, 2, 1), None],       # row 3
        ["A3", "C1", "not a date", dt.datetime(2026, 2, 4), "abc", None, "South"],                # row 4
        ["A4", "C1", dt.datetime(2026, 3, 5), dt.datetime(2026, 2, 4), 10, None, "East"],         # row 5
        ["A5", "C1", dt.datetime(2026, 3, 5), dt.datetime(2026, 4, 4), 10, None, "West"],         # row 6
    ])
    ledger = load_client(folder)
    found = sorted((p["file"], p["row"], p["column"], p["value"]) for p in problems(ledger))
    assert found == [("ledger.xlsx", 4, "amount", "abc"), ("ledger.xlsx", 4, "invoice_date", "not a date"),
                     ("ledger.xlsx", 5, "due_date", "2026-02-04")]
    inv = ledger.invoices.set_index("invoice_id")
    assert list(inv.index) == ["1001", "A2", "A5"]             # a numeric id cell reads as "1001", not "1001.0"
    assert inv.loc["A2", "customer_id"] == "77"
    assert inv.loc["1001", "invoice_date"] == pd.Timestamp("2026-01-05")
    assert inv.loc["A2", "invoice_date"] == pd.Timestamp("2026-01-06")
    assert inv.loc["A2", "due_date"] == pd.Timestamp("2026-02-05")      # a text date in the file's format
    assert inv.loc["A2", "paid_date"] == pd.Timestamp("2026-02-01")
    assert inv["amount"].to_dict() == {"1001": 1234.0, "A2": 99.0, "A5": 10.0}
    assert inv.loc["1001", "Region"] == "North"
    t = totals(ledger, "ledger.xlsx")
    assert (t.rows_read, t.rows_rejected, t.amount_read) == (5, 2, 1254.0 + 99.0)
    assert (t.amounts_unreadable, t.balanced) == (1, False)   # the "abc" amount is unknown


def test_xlsx_sheet_chosen_by_name_with_a_german_date_format(tmp_path, make_client):
    folder = make_client(tmp_path, None, yaml_extra={
        "as_of": "2026-03-31",
        "files": {"invoices": {"path": "export.xlsx", "sheet": "OP", "date_format": "%d.%m.%Y"}}})
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover"
    book.active.append(["not", "the", "data"])
    sheet = book.create_sheet("OP")
    sheet.append(XLSX_HEADER[:5])
    sheet.append(["A1", "C1", dt.datetime(2026, 1, 5), "04.02.2026", 100])
    book.save(folder / "export.xlsx")
    ledger = load_client(folder)
    assert problems(ledger) == []
    assert ledger.invoices.loc[0, "due_date"] == pd.Timestamp("2026-02-04")
    assert ledger.shape == "open_items"


def test_xlsx_with_non_whole_amounts(tmp_path, make_client):
    folder = make_client(tmp_path, None, yaml_extra={"as_of": "2026-03-31", "files": {"invoices": "ledger.xlsx"}})
    _write_xlsx(folder / "ledger.xlsx", [
        XLSX_HEADER[:5],
        ["A1", "C1", dt.datetime(2026, 1, 5), dt.datetime(2026, 2, 4), 100.5],
        ["A2", "C1", dt.datetime(2026, 1, 6), dt.datetime(2026, 2, 5), 200.25],
    ])
    ledger = load_client(folder)
    assert list(ledger.invoices["amount"]) == [100.5, 200.25]


# --- frames already typed (tests, notebooks) ------------------------------------------------

def test_ledger_from_frames_applies_the_same_rules():
    from arassess.inputs.intake import ledger_from_frames

    invoices = pd.DataFrame({"invoice_id": ["A", "A", "B"], "customer_id": ["c"] * 3,
                             "invoice_date": ["2026-01-01"] * 3,
                             "due_date": ["2026-02-01", "2026-02-01", "2025-12-01"], "amount": [1.0, 2.0, 3.0]})
    copy = invoices.copy()
    with pytest.raises(InputError) as err:
        ledger_from_frames(invoices)
    message = str(err.value)
    assert "invoices row 2, column 'invoice_id': duplicate invoice id: the same id is on rows 2, 3" in message
    assert "invoices row 4, column 'due_date': due date is before the invoice date" in message
    pd.testing.assert_frame_equal(invoices, copy)
    ledger = ledger_from_frames(invoices.iloc[[0, 2]].assign(due_date="2026-02-01"), as_of="2026-03-01")
    assert list(ledger.invoices["invoice_id"]) == ["A", "B"] and ledger.quality.ok


# --- shapes ---------------------------------------------------------------------------------

def test_open_items_shape_is_detected(tmp_path, make_client, good_invoices):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount,open_amount\n"
            "A1,C1,2026-01-01,2026-01-31,100,40\nA2,C2,2026-02-01,2026-03-03,50,50\n")
    ledger = load_client(make_client(tmp_path, text, yaml_extra={"as_of": "2026-03-31"}))
    assert ledger.shape == "open_items"
    assert "input shape detected: open-items export." in ledger.quality.notes
    assert ledger.as_of == pd.Timestamp("2026-03-31")
    assert list(ledger.invoices["open_amount"]) == [40.0, 50.0]
    assert ledger.payments.empty


def test_open_items_without_as_of_is_a_clear_error(tmp_path, make_client, good_invoices):
    folder = make_client(tmp_path, good_invoices(3))
    with pytest.raises(InputError) as err:
        load_client(folder)
    assert str(folder / "client.yaml") in str(err.value)
    assert "open-items export needs 'as_of'" in str(err.value)


@pytest.mark.parametrize("payments, paid_column", [(True, False), (False, True)], ids=["payments_file", "paid_dates"])
def test_full_ledger_shape_is_detected(tmp_path, make_client, payments, paid_column):
    text = "invoice_id,customer_id,invoice_date,due_date,amount" + (",paid_date" if paid_column else "") + "\n"
    text += "A1,C1,2026-01-01,2026-01-31,100" + (",2026-01-20" if paid_column else "") + "\n"
    pay = "invoice_id,payment_date,amount\nA1,2026-01-20,100\n" if payments else None
    ledger = load_client(make_client(tmp_path, text, payments=pay))
    assert ledger.shape == "ledger"
    assert "input shape detected: full ledger." in ledger.quality.notes


def test_declared_shape_is_used_as_given(tmp_path, make_client, good_invoices):
    ledger = load_client(make_client(tmp_path, good_invoices(2), yaml_extra={"shape": "ledger"}))
    assert ledger.shape == "ledger"
    assert not any(n.startswith("input shape detected") for n in ledger.quality.notes)


# --- inputs are never modified ------------------------------------------------------------

def test_inputs_are_never_modified_by_a_good_load(tmp_path, make_client, good_invoices, folder_digest):
    payments = "invoice_id,payment_date,amount\nI1,2026-01-10,50.00\n"
    customers = "customer_id,name\nC1,Alpha\n"
    folder = make_client(tmp_path, good_invoices(10), payments=payments, customers=customers)
    before = folder_digest(folder)
    load_client(folder)
    assert folder_digest(folder) == before


def test_inputs_are_never_modified_by_failing_loads(tmp_path, make_client, good_invoices, folder_digest):
    over_limit = make_client(tmp_path / "limit", _with_bad_rows(good_invoices, 5, 5),
                             yaml_extra={"as_of": "2026-03-31"})
    mixed = make_client(tmp_path / "fx", MIXED, yaml_extra={"as_of": "2026-03-31"})
    for folder, error in ((over_limit, RejectionLimitError), (mixed, InputError)):
        before = folder_digest(folder)
        with pytest.raises(error):
            load_client(folder)
        assert folder_digest(folder) == before


def test_xlsx_input_is_never_modified(tmp_path, make_client, folder_digest):
    folder = make_client(tmp_path, None, yaml_extra={**LENIENT, "files": {"invoices": "ledger.xlsx"}})
    _write_xlsx(folder / "ledger.xlsx", [XLSX_HEADER[:5],
                                          ["A1", "C1", dt.datetime(2026, 1, 5), dt.datetime(2026, 2, 4), 100],
                                          ["A2", "C1", "bad", dt.datetime(2026, 2, 4), 100]])
    before = folder_digest(folder)
    load_client(folder)
    assert folder_digest(folder) == before


# --- an as-of date the data contradicts -----------------------------------------------------------

OPEN_ITEMS_HEADER = "invoice_id,customer_id,invoice_date,due_date,amount\n"


def test_open_items_dated_after_as_of_are_a_loud_warning(tmp_path, make_client):
    rows = "".join(f"A{i},C1,2026-0{m}-10,2026-0{m + 1}-09,100.00\n" for i, m in enumerate((2, 3, 4, 5, 5)))
    folder = make_client(tmp_path, OPEN_ITEMS_HEADER + rows, yaml_extra={"shape": "open_items", "as_of": "2026-03-31"})
    ledger = load_client(folder)
    (warning,) = [n for n in ledger.quality.notes if n.startswith("WARNING")]
    assert warning.startswith("WARNING: 3 of 5 open items, 300 EUR are dated after the as-of date 2026-03-31 "
                              "(the latest on 2026-05-10) and are left out of every figure.")
    assert "as_of in client.yaml is probably wrong" in warning


@pytest.mark.parametrize("as_of, expected", [
    ("2025-12-31", "WARNING: the as-of date 2025-12-31 is before the first invoice (2026-02-10): there is nothing"),
    ("2027-06-30", "WARNING: the as-of date 2027-06-30 is more than a year after the last invoice (2026-03-10)"),
    ("2026-04-30", None),
])
def test_an_as_of_date_outside_the_ledger_is_a_warning(tmp_path, make_client, as_of, expected):
    rows = "A1,C1,2026-02-10,2026-03-12,100.00,2026-03-01\nA2,C1,2026-03-10,2026-04-09,50.00,\n"
    folder = make_client(tmp_path, OPEN_ITEMS_HEADER.rstrip("\n") + ",paid_date\n" + rows,
                         yaml_extra={"shape": "ledger", "as_of": as_of})
    warnings = [n for n in load_client(folder).quality.notes if n.startswith("WARNING")]
    assert warnings == ([] if expected is None else [w for w in warnings if w.startswith(expected)]) and (
        expected is None or len(warnings) == 1)


@pytest.mark.parametrize("sep, named", [(";", "';'"), ("\t", "a tab"), ("|", "'|'")])
def test_a_header_read_as_one_column_suggests_the_delimiter(tmp_path, make_client, sep, named):
    text = sep.join(["invoice_id", "customer_id", "invoice_date", "due_date", "amount"]) + "\n" + \
        sep.join(["A1", "C1", "2026-01-05", "2026-02-04", "10.00"]) + "\n"
    folder = make_client(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_client(folder)
    assert f"The header was read as one column holding {named}" in str(err.value)
    assert "set delimiter:" in str(err.value)


def test_ids_that_differ_only_in_case_width_or_invisible_characters_are_noted(tmp_path, make_client):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount\n"
            "INV-7,C1,2026-01-05,2026-02-04,10.00\ninv-7,C1,2026-01-05,2026-02-04,10.00\n"
            "ＩＮＶ-8,C1,2026-01-06,2026-02-05,11.00\nINV-8,C1,2026-01-06,2026-02-05,11.00\n"
            "INV\u200b-9,C1,2026-01-07,2026-02-06,12.00\nINV-9,C1,2026-01-07,2026-02-06,12.00\n"
            "INV-10,C1,2026-01-08,2026-02-07,13.00\n"
            "\u0406NV-11,C1,2026-01-09,2026-02-08,14.00\nINV-11,C1,2026-01-09,2026-02-08,14.00\n"   # Cyrillic І
            "inv\u201312,C1,2026-01-10,2026-02-09,15.00\nINV-12,C1,2026-01-10,2026-02-09,15.00\n"   # en dash
            "\u0440o-13,C1,2026-01-11,2026-02-10,16.00\nPO-13,C1,2026-01-11,2026-02-10,16.00\n"    # Cyrillic р
            "INV-14,C1,2026-01-12,2026-02-11,17.00\nINV-41,C1,2026-01-12,2026-02-11,17.00\n")      # different ids
    ledger = load_client(make_client(tmp_path, text, yaml_extra={"as_of": "2026-03-31"}))
    (note,) = [n for n in ledger.quality.notes if "likely the same invoice" in n]
    assert note.startswith("invoices.csv: 6 invoice id(s) differ from another only in case, width, invisible or "
                           "look-alike characters")
    assert len(ledger.invoices) == 15  # noted, not rejected: the consultant decides


# --- an open-items export with the open amount only ------------------------------------------------

OPEN_ONLY = ("Beleg,Kunde,Belegdatum,Faellig,Offen\n"
             "R1,C1,2026-02-10,2026-03-12,100.00\n"
             "R2,C1,2026-03-01,2026-03-31,-20.00\n"
             "R3,C2,2026-03-05,2026-04-04,250.50\n")
OPEN_ONLY_COLUMNS = {"Beleg": "invoice_id", "Kunde": "customer_id", "Belegdatum": "invoice_date",
                     "Faellig": "due_date", "Offen": "open_amount"}


def test_an_open_items_export_with_only_the_open_amount_is_read(tmp_path, make_client):
    folder = make_client(tmp_path, OPEN_ONLY, yaml_extra={**LENIENT, "shape": "open_items", "as_of": "2026-03-31",
                                                         "columns": {"invoices": OPEN_ONLY_COLUMNS}})
    ledger = load_client(folder)
    assert ledger.invoices["invoice_id"].tolist() == ["R1", "R3"]  # the negative item: a credit note needs its flag
    (problem,) = ledger.quality.problems.itertuples()
    assert problem.row == 3 and problem.column == "Offen"  # the amount's rule, on the open amount's column
    (note,) = [n for n in ledger.quality.notes if "no invoice amount" in n]
    assert note.startswith("invoices.csv gives each item's open amount ('Offen') but no invoice amount: the open "
                           "amount stands in for it")
    table = compute_kpis(ledger)
    assert table.value("ar_total") == pytest.approx(350.50)
    assert table.value("ar_overdue") == pytest.approx(100.0)  # R1 due 12 March; R3 due 4 April


def test_a_full_ledger_without_an_invoice_amount_is_a_clear_error(tmp_path, make_client):
    folder = make_client(tmp_path, OPEN_ONLY.replace("Offen\n", "Offen,paid\n").replace("\n", ",\n", 3)
                         .replace("Offen,paid,\n", "Offen,paid\n"),
                         yaml_extra={"shape": "ledger", "as_of": "2026-03-31",
                                     "columns": {"invoices": {**OPEN_ONLY_COLUMNS, "paid": "paid_date"}}})
    with pytest.raises(InputError) as err:
        load_client(folder)
    assert "has an open amount ('Offen') but no invoice amount" in str(err.value)
    assert "shape: open_items" in str(err.value)


# --- Excel serial dates ----------------------------------------------------------------------------

def test_xlsx_date_columns_typed_as_numbers_are_read_as_excel_serial_dates(tmp_path, make_client):
    """A workbook whose date columns hold day numbers (the cells formatted as numbers) is read as
    Excel's 1900 date system: 45596 is 31 October 2024; a number far outside the range of dates
    stays a problem."""
    folder = make_client(tmp_path, None, yaml_extra={**LENIENT, "files": {"invoices": "ledger.xlsx"}})
    _write_xlsx(folder / "ledger.xlsx", [
        XLSX_HEADER[:5],
        ["A1", "C1", 45596, 45626, 100],             # 2024-10-31, 2024-11-30
        ["A2", "C1", 45597.75, 45627, 50],           # a time of day is dropped
        ["A3", "C1", 12, 45627, 50],                 # 1900-01-11: not a plausible invoice date
    ])
    ledger = load_client(folder)
    got = ledger.invoices.set_index("invoice_id")
    assert got.loc["A1", "invoice_date"] == pd.Timestamp("2024-10-31")
    assert got.loc["A1", "due_date"] == pd.Timestamp("2024-11-30")
    assert got.loc["A2", "invoice_date"] == pd.Timestamp("2024-11-01")
    assert [(p["row"], p["column"]) for p in problems(ledger)] == [(4, "invoice_date")]


def test_serial_numbers_in_a_csv_date_column_get_the_excel_hint(tmp_path, make_client):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount\n"
            "A1,C1,45596,45626,100.00\nA2,C1,45597,45627,50.00\n")
    folder = make_client(tmp_path, text, yaml_extra=LENIENT)
    with pytest.raises(RejectionLimitError) as err:
        load_client(folder, max_rejected_share=0.0)
    reasons = set(err.value.report.problems["problem"])
    assert all("these look like Excel serial dates (day numbers such as 45596 = 2024-10-31)" in r for r in reasons)
    words = "invoice_id,customer_id,invoice_date,due_date,amount\nA1,C1,Oct 31st,Nov 30th,100.00\n"
    other = make_client(tmp_path / "other", words, yaml_extra=LENIENT)
    reasons = load_client(other).quality.problems["problem"]
    assert len(reasons) == 2 and not reasons.str.contains("serial").any()  # the hint only where it fits


# --- a title above the header ----------------------------------------------------------------------

TITLED = ("Offene Posten per 31.03.2026;;;;\n"
          ";;;;\n"
          "invoice_id,customer_id,invoice_date,due_date,amount\n"
          "A1,C1,2026-02-10,2026-03-12,100.00\n"
          "A2,C1,2026-02-11,not a date,50.00\n")


def test_a_title_above_the_header_names_the_header_row_to_set(tmp_path, make_client):
    folder = make_client(tmp_path, TITLED, yaml_extra=LENIENT)
    with pytest.raises(InputError) as err:
        load_client(folder)
    assert "Row 3 holds the column names (rows above it look like a title): set header_row: 3" in str(err.value)


def test_header_row_skips_the_title_and_keeps_the_file_row_numbers(tmp_path, make_client):
    folder = make_client(tmp_path, TITLED, yaml_extra={**LENIENT, "formats": {"header_row": 3}})
    ledger = load_client(folder)
    assert ledger.invoices["invoice_id"].tolist() == ["A1"]
    assert [(p["row"], p["column"], p["value"]) for p in problems(ledger)] == [(5, "due_date", "not a date")]


def test_header_row_in_a_workbook(tmp_path, make_client):
    folder = make_client(tmp_path, None, yaml_extra={**LENIENT, "files": {"invoices": {
        "path": "ledger.xlsx", "header_row": 2}}})
    _write_xlsx(folder / "ledger.xlsx", [["Aging report March 2026"], XLSX_HEADER[:5],
                                         ["A1", "C1", dt.datetime(2026, 2, 10), dt.datetime(2026, 3, 12), 100],
                                         ["A2", "C1", "bad", dt.datetime(2026, 3, 12), 100]])
    ledger = load_client(folder)
    assert ledger.invoices["invoice_id"].tolist() == ["A1"]
    assert [(p["row"], p["column"]) for p in problems(ledger)] == [(4, "invoice_date")]


@pytest.mark.parametrize("value", [0, -1, "two", 51, True])
def test_a_header_row_that_is_not_a_row_number_is_a_config_error(tmp_path, make_client, value):
    from arassess.errors import ConfigError
    folder = make_client(tmp_path, TITLED, yaml_extra={**LENIENT, "formats": {"header_row": value}})
    with pytest.raises(ConfigError, match="header_row' must be the row number of the column names"):
        load_client(folder)


def test_rows_with_too_few_fields_are_problems_not_padded(tmp_path, make_client):
    """A bare CR inside a record splits it in two short rows (3 and 2 of 5 fields): both are
    rejected with the reason, not read as rows with empty values; the other rows keep their numbers."""
    text = (b"invoice_id,customer_id,invoice_date,due_date,amount\n"
            b"A1,C1,2026-01-05,2026-02-04,100.00\n"
            b"A2,C1,2026-01-06\r2026-02-05,50.00\n"
            b"A3,C2,2026-01-07,2026-02-06,75.00\n")
    folder = make_client(tmp_path, None, yaml_extra=LENIENT)
    (folder / "invoices.csv").write_bytes(text)
    ledger = load_client(folder)
    assert ledger.invoices["invoice_id"].tolist() == ["A1", "A3"]
    short = [p for p in problems(ledger) if "of the header's 5 fields" in p["problem"]]
    assert [(p["row"], p["column"]) for p in short] == [(3, "due_date"), (4, "invoice_date")]
    assert short[0]["problem"].startswith("the row has 3 of the header's 5 fields (a line break inside a value")
    assert problems_at(problems(ledger), 5) == []  # A3 is row 5 of the file as the reader counts it
