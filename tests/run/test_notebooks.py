"""Every notebook executed by Papermill on the sample clients; values read back and checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from arassess import compute_kpis, load_client
from arassess.errors import NotebookError
from arassess.run.notebooks import INCOMPLETE, NOTEBOOKS, notebook_path, run_notebook

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "sample_data" / "voltline"
OPEN_ITEMS = ROOT / "sample_data" / "northwind_open_items"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.slow


def outputs(notebook: Path) -> list[dict]:
    nb = nbformat.read(notebook, as_version=4)
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


@pytest.fixture(scope="module")
def ledger_run(tmp_path_factory):
    return run_notebook("assess", LEDGER, runs_dir=tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def open_items_run(tmp_path_factory):
    return run_notebook("assess", OPEN_ITEMS, runs_dir=tmp_path_factory.mktemp("runs"))


def test_every_notebook_has_a_runner_entry():
    on_disk = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert on_disk == sorted(NOTEBOOKS.values())


def test_ledger_run_writes_notebook_html_and_summary_with_the_library_values(ledger_run):
    run = ledger_run
    assert run.notebook.exists() and run.html.exists()
    assert run.run_dir.parent.name == "voltline" and run.run_dir.name.startswith("2026-10-31_")
    summary = json.loads((run.run_dir / "summary.json").read_text())
    expected = compute_kpis(load_client(LEDGER), "2026-10-31")
    for key in ("ar_total", "dso", "dso_countback", "bpdso", "add", "cei", "pct_over_90", "on_time_rate"):
        assert summary["kpis"][key] == pytest.approx(expected.value(key)), key
    assert sum(summary["aging"].values()) == pytest.approx(expected.value("ar_total"))
    assert 3 <= len(summary["findings"]) <= 7
    assert summary["maturity"]["level"]
    assert summary["rejected_rows"] > 0  # the sample's deliberate bad rows are reported


def test_ledger_run_has_no_errors_no_widgets_and_charts(ledger_run):
    found = outputs(ledger_run.notebook)
    assert not [o for o in found if o.get("output_type") == "error"]
    assert not [o for o in found if WIDGET_MIME in o.get("data", {})]
    images = [o for o in found if "image/png" in o.get("data", {})]
    assert len(images) >= 8  # aging, segments, customers, 2 trends, distribution, segment, rolls, maturity


def test_html_hides_code_and_shows_every_section(ledger_run):
    html = ledger_run.html.read_text(encoding="utf-8")
    for heading in ("Data received", "KPI scorecard", "Aging", "Trends", "Payment behaviour",
                    "Late-payment risk", "Process maturity", "Findings"):
        assert heading in html
    assert "assess(client_dir" not in html and "display(*section" not in html
    assert "DSO (period)" in html


def test_open_items_run_reports_unavailable_kpis(open_items_run):
    summary = json.loads((open_items_run.run_dir / "summary.json").read_text())
    assert summary["shape"] == "open_items"
    assert summary["kpis"]["dso"] is None and "open-items" in summary["missing"]["dso"]
    assert summary["kpis"]["pct_over_90"] == pytest.approx(
        compute_kpis(load_client(OPEN_ITEMS)).value("pct_over_90"))
    assert len(summary["findings"]) >= 3
    html = open_items_run.html.read_text(encoding="utf-8")
    assert "cannot be computed from this data" in html
    assert "Risk scores are not available: an open-items export" in html


def test_runs_never_overwrite_each_other(tmp_path):
    import datetime as dt

    from arassess.run.notebooks import new_run_dir

    now = dt.datetime(2026, 11, 23, 10, 0, 0)
    first = new_run_dir(tmp_path, "acme", "2026-10-31", now)
    second = new_run_dir(tmp_path, "acme", "2026-10-31", now)
    assert first != second and first.exists() and second.exists()
    assert second.name == first.name + "-2"


def test_failing_cell_keeps_the_executed_notebook_and_names_the_cell(tmp_path):
    with pytest.raises(NotebookError) as err:
        run_notebook("assess", LEDGER, as_of="not-a-date", runs_dir=tmp_path)
    message = str(err.value)
    assert "failed in cell" in message and "not-a-date" in message
    assert err.value.notebook.exists()
    assert err.value.cell_index is not None and err.value.ename  # which cell, which error
    marker = err.value.notebook.parent / INCOMPLETE                # the failed run says so
    assert marker.exists() and "has not finished" in marker.read_text()
    assert any(o.get("output_type") == "error" for o in outputs(err.value.notebook))


def test_plain_papermill_cli_works_from_the_repository_root(tmp_path):
    out = tmp_path / "out.ipynb"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-m", "papermill", str(notebook_path("assess")), str(out),
                             "-p", "client_dir", "sample_data/northwind_open_items", "--no-progress-bar"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not [o for o in outputs(out) if o.get("output_type") == "error"]


def test_papermill_help_notebook_lists_parameters_with_comments():
    result = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(notebook_path("assess"))],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for name in ("client_dir", "as_of", "window_days", "history_months", "output_dir"):
        assert name in result.stdout
    assert "client folder holding client.yaml" in result.stdout


def test_cli_run_assess_prints_the_run_paths(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-m", "arassess.cli", "run", "assess", str(OPEN_ITEMS),
                             "--runs-dir", str(tmp_path), "-p", "history_months", "12"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    html = Path(result.stdout.split("HTML:")[1].strip())
    assert html.exists() and html.suffix == ".html"


@pytest.fixture(scope="module")
def costs_runs(tmp_path_factory):
    """Notebook 02 for the sample client as configured, and for a saved scenario of a copy of it."""
    import shutil

    from arassess.costs.scenarios import Scenario, save_scenario

    runs = tmp_path_factory.mktemp("runs")
    client = tmp_path_factory.mktemp("clients") / "voltline"
    shutil.copytree(LEDGER, client)
    save_scenario(client, Scenario("expensive-agency", {"agency_fee_pct": 0.6}, handoff_day=120))
    return (run_notebook("costs", LEDGER, runs_dir=runs),
            run_notebook("costs", client, runs_dir=runs, scenario="expensive-agency"))


def test_costs_run_matches_the_library_and_shows_every_section(costs_runs):
    from arassess.costs.case import load_case

    run, _ = costs_runs
    summary = json.loads((run.run_dir / "costs_summary.json").read_text())
    case, _ = load_case(LEDGER)
    assert summary["strategy"] == case.strategy == "in_house" and summary["handoff_day"] is None
    assert summary["optimal_handoff_day"] is None and np.isnan(case.optimal_day)  # no hand-off day pays
    assert summary["sentence"].startswith("Of what reached")
    for strategy, value in summary["net_recovery"].items():
        assert value == pytest.approx(float(case.result.loc[strategy, "net_recovery"]))
    assert summary["scenario"] is None
    found = outputs(run.notebook)
    assert not [o for o in found if o.get("output_type") == "error"]
    assert not [o for o in found if WIDGET_MIME in o.get("data", {})]
    assert len([o for o in found if "image/png" in o.get("data", {})]) == 4  # curve, waterfall, D, tornado
    html = run.html.read_text(encoding="utf-8")
    for heading in ("Recommendation", "What the ledger says", "The strategies compared", "value by day D",
                    "What moves the decision", "Inputs and where they come from"):
        assert heading in html
    assert "Break-even points" in html  # and every input says where it comes from:
    assert "set for this client" in html and "from your ledger" in html and "2,080 paid hours" in html
    assert "load_case(" not in html


def test_costs_scenario_run_uses_the_scenario(costs_runs):
    base, scenario_run = costs_runs
    first = json.loads((base.run_dir / "costs_summary.json").read_text())
    summary = json.loads((scenario_run.run_dir / "costs_summary.json").read_text())
    assert summary["scenario"] == "expensive-agency" and summary["strategy"] == "in_house"
    assert set(summary["net_recovery"]) == {"in_house", "agency", "hybrid"}  # the hybrid held at D = 120
    assert summary["net_recovery"]["hybrid"] < summary["net_recovery"]["in_house"]
    assert summary["net_recovery"]["in_house"] == pytest.approx(first["net_recovery"]["in_house"])
    assert summary["net_recovery"]["agency"] < first["net_recovery"]["agency"]
    assert "expensive-agency" in scenario_run.html.read_text(encoding="utf-8")


def test_costs_run_for_open_items_says_what_it_assumed(tmp_path):
    run = run_notebook("costs", OPEN_ITEMS, runs_dir=tmp_path)
    summary = json.loads((run.run_dir / "costs_summary.json").read_text())
    assert summary["strategy"] == "in_house" and summary["claims"] == 39 and summary["basis"] == "stock"
    html = run.html.read_text(encoding="utf-8")
    assert "this export holds only the invoices open today" in html and "fee schedule" in html.lower()
    assert summary["indicative"].startswith("Indicative")


def test_unknown_scenario_fails_before_a_kernel_starts(tmp_path):
    from arassess.errors import ConfigError

    with pytest.raises(ConfigError, match="no such scenario"):
        run_notebook("costs", LEDGER, runs_dir=tmp_path, scenario="nope")
    assert not any(tmp_path.iterdir())  # no run folder was made


@pytest.mark.parametrize("client", [LEDGER, OPEN_ITEMS], ids=["ledger", "open_items"])
def test_plan_run_writes_worklist_letters_and_matches_the_library(client, tmp_path):
    from arassess.plan.case import load_plan_case

    run = run_notebook("plan", client, runs_dir=tmp_path)
    summary = json.loads((run.run_dir / "plan_summary.json").read_text())
    pc = load_plan_case(client)
    assert summary["actions"] == pc.plan["id"].tolist() and summary["actions"]
    assert summary["worklist_invoices"] == len(pc.worklist)
    assert summary["strategy"] == pc.case.strategy
    assert (run.run_dir / "worklist.xlsx").is_file()
    assert len(summary["letters"]) == len(list((run.run_dir / "letters").rglob("*.*"))) > 0
    found = outputs(run.notebook)
    assert not [o for o in found if o.get("output_type") == "error"]
    assert len([o for o in found if "image/png" in o.get("data", {})]) == 1  # the Gantt chart
    html = run.html.read_text(encoding="utf-8")
    for heading in ("Action plan", "Timeline", "Escalation ladder", "Worklist", "Letters"):
        assert heading in html
    assert "letters (each with a plain-text e-mail) written" in html


def test_plan_outputs_are_never_overwritten(tmp_path):
    from arassess.plan.case import load_plan_case, write_outputs

    pc = load_plan_case(OPEN_ITEMS)
    write_outputs(pc, tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(FileExistsError):
        write_outputs(pc, tmp_path)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
