"""The dashboard's pieces without a browser: client discovery, uploads, headline, panel updates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from arassess import compute_kpis, load_client
from arassess.assessment.case import assess
from arassess.assessment.dashboard import AssessmentDashboard, find_clients, headline_html, in_dashboard, upload_client

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "sample_data" / "voltline"
OPEN_ITEMS = ROOT / "sample_data" / "northwind_open_items"


def test_find_clients_lists_folders_with_client_yaml(tmp_path):
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "client.yaml").write_text("name: Acme\ncurrency: EUR\n")
    (tmp_path / "not-a-client").mkdir()
    found = find_clients([ROOT / "sample_data", tmp_path])
    assert found["voltline"] == LEDGER and found["northwind_open_items"] == OPEN_ITEMS
    assert found["acme"] == tmp_path / "acme" and "not-a-client" not in found


def test_not_in_dashboard_outside_voila(monkeypatch):
    for name in ("VOILA_KERNEL_ID", "VOILA_APP_PORT", "VOILA_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert not in_dashboard()
    monkeypatch.setenv("VOILA_KERNEL_ID", "k")
    assert in_dashboard()


def test_uploaded_export_is_read_with_the_chosen_clients_mapping(tmp_path):
    # the open-items sample's German export, uploaded as is, read with that client's mapping and formats
    content = (OPEN_ITEMS / "open_items.csv").read_bytes()
    folder = upload_client(content, "export.csv", OPEN_ITEMS, dt.date(2026, 10, 31), folder=tmp_path)
    assert (folder / "export.csv").read_bytes() == content  # written as uploaded
    uploaded = load_client(folder)
    original = load_client(OPEN_ITEMS)
    assert uploaded.shape == "open_items"
    assert compute_kpis(uploaded).value("ar_total") == pytest.approx(compute_kpis(original).value("ar_total"))


def test_upload_with_canonical_names(tmp_path):
    csv = (b"invoice_id,customer_id,invoice_date,due_date,amount,paid_date\n"
           b"A1,C1,2026-09-01,2026-10-01,100.00,2026-09-20\nA2,C2,2026-10-05,2026-11-04,250.50,\n")
    folder = upload_client(csv, "ledger.csv", None, dt.date(2026, 10, 31), folder=tmp_path)
    assert compute_kpis(load_client(folder)).value("ar_total") == pytest.approx(250.5)


def test_headline_shows_the_library_values():
    a = assess(LEDGER)
    html = headline_html(a)
    dso = re.search(r'data-kpi="dso">([^<]+)<', html).group(1)
    assert dso == f"{a.table.value('dso', a.as_of):.1f}"
    assert 'data-kpi="ar_total">6,006,067<' in html


def test_panel_recomputes_on_a_date_change_and_reports_bad_input_in_the_status():
    a = assess(LEDGER)
    panel = AssessmentDashboard(a, LEDGER)
    assert "Ready: Voltline Components GmbH at 2026-10-31" in panel.status.value
    panel.as_of.value = dt.date(2026, 6, 30)
    assert "at 2026-06-30" in panel.status.value  # ready: headline and the first sections shown
    expected = compute_kpis(load_client(LEDGER), "2026-06-30").value("dso")
    assert f'data-kpi="dso">{expected:.1f}<' in panel.headline.value
    panel.wait()  # the other sections are built in the background
    assert len(panel.output.outputs) > 20  # title + every section's tables and charts
    assert panel.complete.value == '<span data-complete="2"></span>'  # the date change's render, not the first
    panel.client.value = "northwind_open_items"  # a new client starts at its own as-of date
    assert "Ready: Northwind" in panel.status.value and "at 2026-10-31" in panel.status.value
    assert 'data-kpi="dso">n/a<' in panel.headline.value  # open items: no sales history
    panel.as_of.value = dt.date(2026, 9, 30)  # an open-items export only describes its own date
    assert "Cannot assess northwind_open_items" in panel.status.value
    assert "only" in panel.status.value
