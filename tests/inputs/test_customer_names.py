"""Customer names: the customers file's, else the name on the invoices (open-items exports carry
it), else the id — in the positions, the report and the letters."""

from __future__ import annotations

import pandas as pd

from arassess.inputs.intake import ledger_from_frames
from arassess.kpi.open_items import UNKNOWN_SEGMENT, customer_table
from arassess.paths import SAMPLE_DATA_DIR
from arassess.plan.case import load_plan_case


def invoices(**extra) -> pd.DataFrame:
    frame = pd.DataFrame({
        "invoice_id": ["I1", "I2", "I3", "I4"], "customer_id": ["A", "A", "B", "C"],
        "invoice_date": pd.to_datetime(["2026-01-05"] * 4), "due_date": pd.to_datetime(["2026-02-04"] * 4),
        "amount": [100.0, 200.0, 300.0, 400.0]})
    return frame.assign(**extra)


def test_names_come_from_the_customers_file_then_the_invoices_then_the_id():
    customers = pd.DataFrame({"customer_id": ["A"], "name": ["Acme AG (master data)"], "segment": ["OEM"]})
    ledger = ledger_from_frames(invoices(customer_name=[None, "Acme on invoice", "Beta GmbH", ""]), None, customers)
    table = customer_table(ledger)
    assert table["customer_name"].to_dict() == {"A": "Acme AG (master data)", "B": "Beta GmbH", "C": "C"}
    assert table["segment"].to_dict() == {"A": "OEM", "B": UNKNOWN_SEGMENT, "C": UNKNOWN_SEGMENT}


def test_the_first_non_empty_name_on_a_customers_invoices_is_used():
    ledger = ledger_from_frames(invoices(customer_name=["", "Acme AG", "Beta GmbH", None]))
    assert customer_table(ledger)["customer_name"].to_dict() == {"A": "Acme AG", "B": "Beta GmbH", "C": "C"}
    assert customer_table(ledger_from_frames(invoices()))["customer_name"].to_dict() == {"A": "A", "B": "B", "C": "C"}


def test_open_items_sample_letters_greet_the_customer_by_name(tmp_path):
    """Northwind's export maps Kundenname to customer_name: its letters no longer say 'Dear 10001'."""
    pc = load_plan_case(SAMPLE_DATA_DIR / "northwind_open_items")
    source = pd.read_csv(SAMPLE_DATA_DIR / "northwind_open_items" / "open_items.csv", sep=";", dtype=str)
    names = source.drop_duplicates("Kunde").set_index("Kunde")["Kundenname"]
    shown = pc.customers.set_index("customer_id")["customer_name"]
    assert (shown == names.reindex(shown.index)).all()
    from arassess.plan.case import write_outputs

    written = write_outputs(pc, tmp_path)["letters"]
    html = [p for p in written if p.suffix == ".html"]
    assert html
    for path in html:
        text = path.read_text(encoding="utf-8")
        assert "Dear 1" not in text                      # never the customer number
        assert any(name in text for name in names)
