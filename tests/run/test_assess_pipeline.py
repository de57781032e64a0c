"""`arassess assess` end to end in a subprocess: notebooks 01-04, report HTML + PDF, worklist, letters."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "sample_data" / "voltline"
OPEN_ITEMS = ROOT / "sample_data" / "northwind_open_items"
CHAPTERS = ("1. Executive summary", "2. Current state", "3. In-house or agency?", "4. Goals",
            "5. Action plan and timeline", "6. Appendix")
NOTEBOOKS = ("01_assess_current_process", "02_inhouse_vs_agency", "03_set_goals", "04_action_plan")
# a 1×1 PNG
LOGO = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                     "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082")

pytestmark = pytest.mark.slow


def assess(client: Path, runs: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arassess.cli", "assess", str(client), "--runs-dir", str(runs),
                           *extra], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})})


def run_dir_of(result: subprocess.CompletedProcess[str]) -> Path:
    return Path(re.search(r"^Run folder: (.+)$", result.stdout, re.M).group(1))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def pdf_text(path: Path) -> str:
    """The PDF's text, ligatures unfolded (NFKC) and every run of whitespace as one space."""
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def ledger_run(tmp_path_factory):
    """One whole run (PDF included) of the sample ledger, branded, whose client name, two customer
    names and an open invoice id are markup (:func:`hostile_client`): names change no figure, so the
    deliverables' checks and the escaping checks share the run. (result, run folder, runs folder)"""
    root = tmp_path_factory.mktemp("ledger")
    client = hostile_client(root)
    (client / "logo.png").write_bytes(LOGO)
    text = (client / "client.yaml").read_text(encoding="utf-8")
    text = text.replace("consultant: Brightwater Receivables Advisory", "consultant: Acme <b>Advisory</b>")
    text = text.replace('primary_color: "#1B3A5C"', 'primary_color: "#224466"')
    text = text.replace("logo: null", "logo: logo.png")
    (client / "client.yaml").write_text(text, encoding="utf-8")
    runs = root / "runs"
    result = assess(client, runs)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, run_dir_of(result), runs


def test_every_deliverable_is_written_and_the_paths_are_printed(ledger_run):
    assert not (ledger_run[1] / "INCOMPLETE").exists()  # the run finished: no marker left
    result, run, _ = ledger_run
    for name in NOTEBOOKS:
        assert (run / f"{name}.ipynb").is_file() and (run / f"{name}.html").is_file()
        nb = nbformat.read(run / f"{name}.ipynb", as_version=4)
        assert not [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                    if o.get("output_type") == "error"], name
    for name in ("report.html", "report.pdf", "worklist.xlsx", "summary.json", "costs_summary.json",
                 "goals_summary.json", "plan_summary.json"):
        assert (run / name).is_file(), name
        assert str(run / name) in result.stdout or name.endswith(".json") or name.endswith(".ipynb")
    assert "Time:" in result.stdout and "total" in result.stdout
    assert "arassess assess: done" in result.stderr  # the progress bar reached the end


def test_the_cash_forecast_is_printed_reported_and_in_the_summary(ledger_run):
    """The 13-week forecast with its backtested accuracy: one line at the end of the command, its
    chapter section in the report, its weeks and WAPE in summary.json."""
    result, run, _ = ledger_run
    line = next(x for x in result.stdout.splitlines() if x.startswith("Cash forecast:"))
    assert "expected in 4 weeks" in line and "backtest WAPE (12 month-ends) weeks 1–4: forecast" in line
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))["forecast"]
    assert summary["available"] and len(summary["weeks"]) == 13 and summary["backtest"]["dates"] == 12
    assert summary["backtest"]["wape"]["weeks 1–4"]["model"] < summary["backtest"]["wape"]["weeks 1–4"]["due date"]
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "Cash in the next 13 weeks" in report and "Checked against what actually came in" in report


def test_pdf_has_every_chapter_in_order_and_the_recommendation(ledger_run):
    _, run, _ = ledger_run
    text = pdf_text(run / "report.pdf")
    positions = [text.find(title) for title in CHAPTERS]
    assert all(p >= 0 for p in positions), dict(zip(CHAPTERS, positions))
    assert positions == sorted(positions)
    costs = json.loads((run / "costs_summary.json").read_text())
    assert costs["strategy"] == "in_house" and costs["provenance"]["recovery_curve"]["source"] == "ledger"
    flat = " ".join(text.split())
    assert "Keep collections in-house." in flat and "Of what reached 120 days past due, your team collected" in flat
    assert "from your ledger" in flat and "set for this client" in flat  # the appendix says where inputs come from
    assert HOSTILE["name"] in text and "Acme <b>Advisory</b>" in text  # client text printed as text
    assert len(PdfReader(run / "report.pdf").pages) >= 6
    for bad in ("nan", "NaN", "None"):
        assert not re.search(rf"\b{bad}\b", text), bad


def test_report_html_is_self_contained(ledger_run):
    _, run, _ = ledger_run
    html = (run / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 6
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing fetched from the network
    assert "@page { size: A4" in html


def test_worklist_and_letters_match_the_plan_summary(ledger_run):
    _, run, _ = ledger_run
    summary = json.loads((run / "plan_summary.json").read_text())
    book = load_workbook(run / "worklist.xlsx")
    assert {"Worklist", "Customers"} <= set(book.sheetnames)
    assert book["Worklist"].max_row - 1 == summary["worklist_invoices"] > 0
    letters = sorted((run / "letters").rglob("*.html"))
    assert len(letters) == len([p for p in summary["letters"] if p.endswith(".html")]) > 0
    assert summary["handoff_day"] is None and summary["ladder"][-1]["step"] == "final_notice"  # kept in-house


def test_risk_is_fitted_once_validated_and_orders_the_worklist(ledger_run):
    """The sample's assessment shows validated risk scores, saved once in risk.json and reused by
    the plan and the report; the Excel worklist is ordered by expected loss."""
    _, run, _ = ledger_run
    risk = json.loads((run / "risk.json").read_text(encoding="utf-8"))
    assert risk["available"] and risk["used"] == "model" and risk["model_name"] == "gradient boosting"
    validation = risk["validation"]["data"]
    used = validation["used"].index(True)
    base = validation["predictor"].index("baseline")
    assert validation["auc"][used] > validation["auc"][base] > 0.5
    assert validation["brier"][used] < validation["brier"][base]
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert summary["risk"]["reason"] == risk["reason"]
    text = " ".join(pdf_text(run / "report.pdf").split())
    assert "Late-payment risk" in text and "the scores use the model." in text
    assert "ranked a late invoice above an on-time one in 85% of pairs, against 83%" in text
    ws = load_workbook(run / "worklist.xlsx")["Worklist"]
    header = [c.value for c in ws[1]]
    loss = [row[header.index("Expected loss (EUR)")] for row in ws.iter_rows(min_row=2, values_only=True)]
    priority = [row[header.index("Priority")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert loss == priority and loss == sorted(loss, reverse=True) and loss[0] > 0
    # the plan (notebook 04) used the same probabilities as notebook 01: one fit per run
    scored = dict(zip(risk["invoices"]["data"]["invoice_id"], risk["invoices"]["data"]["probability"]))
    probability = [row[header.index("P(paid late)")] for row in ws.iter_rows(min_row=2, values_only=True)]
    invoice = [row[header.index("Invoice")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert all(scored[i] == p for i, p in zip(invoice, probability))
    customers = load_workbook(run / "worklist.xlsx")["Customers"]
    assert {"Risk band", "Open on the worklist (EUR)", "Total open (EUR)"} <= {c.value for c in customers[1]}


@pytest.fixture(scope="module")
def open_items_run(tmp_path_factory):
    """The open-items sample assessed once, on US Letter paper: (result, run folder, runs folder)."""
    runs = tmp_path_factory.mktemp("open-items-runs")
    result = assess(OPEN_ITEMS, runs, "--paper", "Letter")
    assert result.returncode == 0, result.stderr[-3000:]
    return result, run_dir_of(result), runs


def test_a_second_run_without_a_pdf_engine_fails_clearly_in_a_new_folder(open_items_run, tmp_path):
    """A second run of the same client makes a new folder and leaves the first untouched; with no PDF
    engine it ends with one clear error (no traceback) and keeps the HTML report. (On the open-items
    sample, the quicker one: the rules are the same for every client.)"""
    _, first, runs = open_items_run
    before = digest(first)
    result = assess(OPEN_ITEMS, runs, env={"ARASSESS_CHROMIUM": str(tmp_path / "no-chromium")})
    assert result.returncode == 1
    assert "PDF needs Chromium" in result.stderr and "make system-deps" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(first) == before
    second = [p for p in runs.rglob("report.html") if p.parent != first]
    assert len(second) == 1 and second[0].parent.parent == first.parent
    assert not (second[0].parent / "report.pdf").exists()


def test_open_items_client_gets_a_report_without_history_kpis(open_items_run):
    _, run, _ = open_items_run
    text = pdf_text(run / "report.pdf")
    assert all(title in text for title in CHAPTERS)
    assert "Keep collections in-house" in text
    assert "Indicative: this export holds only the invoices open today" in " ".join(text.split())
    assert "(indicative)" in text  # on the headline card too
    assert "Risk scores are not available: an open-items export" in " ".join(text.split())
    assert "@page { size: Letter" in (run / "report.html").read_text(encoding="utf-8")
    width, height = PdfReader(run / "report.pdf").pages[0].mediabox.upper_right
    assert (round(float(width)), round(float(height))) == (612, 792)  # US Letter in points


# --- hostile client data: text, never markup, in every HTML output of a run ---------------------

HOSTILE = {
    "name": 'V <script>alert("name")</script>',
    "customer": '<img src=x onerror=alert("customer")>',
    "customer2": 'Smith & Co "quoted" <b onmouseover=alert("b")>bold</b>',
    "invoice": '<svg onload=alert("invoice")>',
}


class _Markup(HTMLParser):
    """Every element and attribute of an HTML document, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def live_hostile_markup(html_text: str) -> list[str]:
    """What of the hostile strings became markup: an element or attribute they brought, or a script
    holding their code. (Parsed, not grepped: escaped text may contain the same characters.)"""
    parser = _Markup()
    parser.feed(html_text)
    found = [f"<{tag} {name}=…>" for tag, attrs in parser.elements for name, value in attrs.items()
             if name.startswith("on") and value and "alert(" in value]
    found += [f"<{tag} src=x>" for tag, attrs in parser.elements if tag == "img" and attrs.get("src") == "x"]
    found += ["<script>alert…" for script in parser.scripts if 'alert("' in script]
    return found


def hostile_client(root: Path) -> Path:
    """A copy of the sample whose client name, two customer names and one open invoice id are markup."""
    client = root / "hostile"
    shutil.copytree(LEDGER, client)
    config = (client / "client.yaml").read_text(encoding="utf-8")
    config = config.replace("name: Voltline Components GmbH", f"name: '{HOSTILE['name']}'", 1)
    (client / "client.yaml").write_text(config, encoding="utf-8")
    customers = (client / "customers.csv").read_text(encoding="utf-8").splitlines()
    for i, key in ((1, "customer"), (2, "customer2")):
        cid, _name, *rest = customers[i].split(",")
        customers[i] = ",".join([cid, '"' + HOSTILE[key].replace('"', '""') + '"', *rest])
    (client / "customers.csv").write_text("\n".join(customers) + "\n", encoding="utf-8")
    paid = {line.split(",")[0] for line in (client / "payments.csv").read_text(encoding="utf-8").splitlines()[1:]}
    invoices = (client / "invoices.csv").read_text(encoding="utf-8").splitlines()
    for i in range(len(invoices) - 1, 0, -1):  # the last open invoice without payments
        fields = invoices[i].split(",")
        if not fields[6] and fields[0] not in paid:
            fields[0] = '"' + HOSTILE["invoice"].replace('"', '""') + '"'
            invoices[i] = ",".join(fields)
            break
    (client / "invoices.csv").write_text("\n".join(invoices) + "\n", encoding="utf-8")
    return client


@pytest.fixture(scope="module")
def hostile_run(ledger_run):
    """The run folder of the branded, hostile client (:func:`ledger_run`)."""
    return ledger_run[1]


def test_branding_reaches_the_report_and_client_text_is_escaped(hostile_run):
    html_text = (hostile_run / "report.html").read_text(encoding="utf-8")
    assert "Acme &lt;b&gt;Advisory&lt;/b&gt;" in html_text and "<b>Advisory</b>" not in html_text
    assert "--primary: #224466" in html_text
    assert 'class="logo" src="data:image/png;base64,' in html_text


def test_the_hostile_check_finds_live_markup():
    """The check below can fail: each hostile string, pasted raw into a page, is found."""
    for key in ("name", "customer", "customer2", "invoice"):
        assert live_hostile_markup(f"<p>{HOSTILE[key]}</p>"), key


def test_hostile_client_data_is_text_in_every_html_of_the_run(hostile_run):
    pages = sorted(hostile_run.rglob("*.html"))
    copies = [p.name for p in pages if p.parent == hostile_run]
    assert {f"{nb}.html" for nb in NOTEBOOKS} | {"report.html"} <= set(copies)
    assert any(p.parent.parent.name == "letters" for p in pages)
    for page in pages:
        assert live_hostile_markup(page.read_text(encoding="utf-8")) == [], page
    # the data did reach the pages, as text: the client's name in every page, a customer's name in
    # notebook 01's tables and in its letters
    for page in pages:
        assert HOSTILE["name"] in unescape(page.read_text(encoding="utf-8")), page
    assert HOSTILE["customer2"] in unescape((hostile_run / "01_assess_current_process.html").read_text(encoding="utf-8"))
    assert any(HOSTILE["customer2"] in unescape(p.read_text(encoding="utf-8")) for p in pages if "letters" in p.parts)
