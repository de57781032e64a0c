"""The dashboard's pieces without a browser: client discovery, uploads, headline, panel updates."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from arassess import compute_kpis, load_client
from arassess.assessment.case import assess
from arassess.assessment.dashboard import AssessmentDashboard, headline_html, in_dashboard, upload_client
from arassess.assessment.sections import SECTIONS
from arassess.display.items import Text
from arassess.paths import find_clients

ROOT = Path(__file__).resolve().parents[2]
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
    # the report's cards: unit, the benchmark with its source, the status in words (not colour alone)
    dso_card = html.split('data-kpi="dso"')[1].split('data-kpi="cei"')[0]
    assert "days" in dso_card and "benchmark: Intrum average payment time, Europe ≤ 34.0 days (2018)" in dso_card
    assert "✖ needs attention" in dso_card
    assert "1,714,770 EUR overdue (29%)" in html


def test_headline_says_why_a_kpi_is_not_available():
    html = headline_html(assess(LEDGER.parent / "northwind_open_items"))
    dso_card = html.split('data-kpi="dso"')[1].split('data-kpi="cei"')[0]
    assert ">n/a<" in dso_card and "needs sales history, which an open-items export lacks" in dso_card
    assert "benchmark" not in dso_card and "needs attention" not in dso_card
    before = headline_html(assess(LEDGER, "2024-03-31"))  # before the first invoice: every card says why
    assert before.count(">n/a<") == 4 and before.count("before the ledger&#x27;s first invoice") == 4
    assert ">EUR<" not in before


def test_the_data_section_warns_about_the_date_being_looked_at():
    """The load's as-of warnings are for client.yaml's date; a dashboard date before the first
    invoice gets its own warning (and n/a KPIs), and the data section never shows the stale one."""
    from arassess.assessment.sections import data_section

    loaded = assess(LEDGER)
    assert not [n for n in loaded.notes if n.startswith("WARNING")]
    early = assess(LEDGER, "2024-03-31", loaded=(loaded.config, loaded.ledger))
    (warning,) = [n for n in early.notes if n.startswith("WARNING")]
    assert warning.startswith("WARNING: the as-of date 2024-03-31 is before the first invoice (2024-07-01)")
    shown = "".join(item.text for item in data_section(early) if isinstance(item, Text))
    shown = re.sub(r"\\(.)", r"\1", shown)  # the Markdown as read (client text is backslash-escaped)
    assert "before the first invoice (2024-07-01)" in shown
    assert "before the ledger's first invoice" in early.table.reason("ar_total")


def test_panel_recomputes_on_a_date_change_and_reports_bad_input_in_the_status():
    a = assess(LEDGER)
    panel = AssessmentDashboard(a, LEDGER)
    assert "Ready: Voltline Components GmbH at 2026-10-31" in panel.status.value
    panel.as_of.value = dt.date(2026, 6, 30)
    assert "at 2026-06-30" in panel.status.value  # ready: headline and the first sections shown
    expected = compute_kpis(load_client(LEDGER), "2026-06-30").value("dso")
    assert f'data-kpi="dso">{expected:.1f}<' in panel.headline.value
    panel.wait()  # the other sections are built in the background
    assert len(panel.shown_outputs()) > 20  # title + every section's tables and charts
    assert panel.complete.value == '<span data-complete="2"></span>'  # the date change's render, not the first
    panel.client.value = "northwind_open_items"  # a new client starts at its own as-of date
    assert "Ready: Northwind" in panel.status.value and "at 2026-10-31" in panel.status.value
    assert 'data-kpi="dso">n/a<' in panel.headline.value  # open items: no sales history
    panel.as_of.value = dt.date(2026, 9, 30)  # an open-items export only describes its own date
    assert "Cannot assess northwind_open_items" in panel.status.value
    assert "only" in panel.status.value


class _Elements(HTMLParser):
    """Every element and attribute of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def live_markup(fragment: str) -> list[str]:
    """Elements the hostile strings below would bring if they were markup: an <img src=x>, or any
    attribute running code (on...=)."""
    parser = _Elements()
    parser.feed(fragment)
    return [f"<{tag}>" for tag, attrs in parser.found
            if attrs.get("src") == "x" or any(name.startswith("on") for name in attrs)]


def uploaded(name: str, content: bytes) -> tuple[dict, ...]:
    """A FileUpload value as the browser sends it."""
    return ({"name": name, "type": "text/csv", "size": len(content), "content": memoryview(content),
             "last_modified": dt.datetime(2026, 12, 1)},)


def shown_html(panel: AssessmentDashboard) -> str:
    """Everything the panel shows as HTML: its HTML widgets and every text/html output."""
    parts = [panel.status.value, panel.headline.value, panel.complete.value]
    outputs = panel.shown_outputs() + panel.detail.outputs  # the answer and the consultant's detail
    parts += [o.get("data", {}).get("text/html", "") for o in outputs]
    parts += [o.get("data", {}).get("text/markdown", "") for o in outputs]
    return "\n".join(parts)


def test_hostile_upload_names_and_headers_are_shown_as_text(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the upload folder goes under tmp_path
    assert live_markup('<img src=x onerror="alert(1)">')  # the check can fail
    panel = AssessmentDashboard(assess(LEDGER), LEDGER, background=False)
    hostile = '<img src=x onerror=alert(1)>'
    csv = (f"invoice_id,customer_id,invoice_date,due_date,{hostile}\n"
           "A1,C1,2026-09-01,2026-10-01,100.00\n").encode()
    panel.upload.value = uploaded(f"{hostile}.csv", csv)   # a header the loader refuses
    assert "Cannot load" in panel.status.value and live_markup(shown_html(panel)) == []
    assert panel.client.value == "voltline"                               # still the client shown
    csv = ("invoice_id,customer_id,invoice_date,due_date,amount\n"
           f"A1,\"{hostile}\",2026-09-01,2026-10-01,100.00\n").encode()
    panel.upload.value = uploaded(f"ok {hostile}.csv", csv)  # accepted: names in the tables
    assert panel.status.value.startswith("Ready: Uploaded: ok &lt;img")
    assert live_markup(shown_html(panel)) == []


def test_a_csv_renamed_xlsx_is_an_error_and_never_shows_another_client(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    panel = AssessmentDashboard(assess(LEDGER), LEDGER, background=False)
    before = panel.headline.value
    csv = b"invoice_id,customer_id,invoice_date,due_date,amount\nA1,C1,2026-09-01,2026-10-01,100.00\n"
    panel.upload.value = uploaded("export.xlsx", csv)
    assert "Cannot load upload: export.xlsx" in panel.status.value
    assert "still showing voltline" in panel.status.value
    assert panel.client.value == "voltline" and panel.headline.value == before


def test_the_upload_limit_is_stated_beside_the_button_and_is_the_servers():
    """A file above the websocket limit never reaches the kernel, so the page says the limit first;
    the number shown is the one `arassess serve` gives Voila."""
    from arassess.serving import UPLOAD_LIMIT_BYTES, UPLOAD_LIMIT_MB, voila_command

    panel = AssessmentDashboard(assess(LEDGER), LEDGER, background=False)
    shown = panel.upload_limit.value
    assert f"up to {UPLOAD_LIMIT_MB} MB; a larger file is not received" in shown
    assert panel.upload.tooltip in shown and "arassess-upload-limit" in panel.upload_limit._dom_classes
    assert UPLOAD_LIMIT_BYTES == UPLOAD_LIMIT_MB * 1024 * 1024
    assert f'"websocket_max_message_size": {UPLOAD_LIMIT_BYTES}' in " ".join(voila_command(LEDGER, 1))


def test_the_answer_comes_first_and_the_consultants_detail_is_collapsed_below_it():
    panel = AssessmentDashboard(assess(LEDGER), LEDGER, background=False)
    answer = [o["data"].get("text/markdown", "") for o in panel.output.outputs]
    assert answer[0].startswith("# Voltline Components GmbH: assessment")
    assert answer[1].startswith("## ") and "KPI scorecard" in answer[1]          # the scorecard right after
    assert not any("Data received" in text for text in answer)                     # not in the answer
    detail = "\n".join(o["data"].get("text/markdown", "") + o["data"].get("text/html", "")
                       for o in panel.detail.outputs)
    assert "Data received" in detail and "Control totals" in detail and "rows_read" in detail
    assert panel.details.selected_index is None                                    # collapsed until opened
    assert panel.details.get_title(0).startswith("For the consultant: data received")
    children = list(panel.widget.children)                                      # answer, sections, detail
    assert children[children.index(panel.output) + 1:children.index(panel.details)] == list(panel.later.values())
    assert list(panel.later) == [name for name in SECTIONS if name not in ("scorecard", "data")]


def test_a_background_fill_shows_each_section_once_and_sends_what_it_changed_again(monkeypatch):
    """Each later section is set once, in its own output (not the whole page again per section);
    when the fill is done, every widget it changed is handed to resend_later (for a page that was
    still loading), with a check that stops the resend once a newer render has begun."""
    from arassess.assessment import dashboard as dash

    handed: list[tuple[list, object]] = []
    monkeypatch.setattr(dash, "resend_later", lambda widgets, current: handed.append((widgets, current)))
    sets: dict[str, int] = {}
    panel = AssessmentDashboard(assess(LEDGER), LEDGER)
    for name, shown in panel.later.items():
        shown.observe(lambda change, name=name: sets.__setitem__(name, sets.get(name, 0) + 1), names="outputs")
    panel.wait()
    assert sets == {name: 1 for name in panel.later}                 # each section sent once
    assert all(panel.later[name].outputs for name in panel.later)
    (widgets, current), = handed
    assert {id(w) for w in widgets} >= {id(panel.complete), id(panel.output), *map(id, panel.later.values())}
    assert current() is True
    panel.window.value = 60                                          # a newer render: the old resend stops
    assert current() is False
    panel.wait()
