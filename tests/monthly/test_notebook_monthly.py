"""Notebook 05 (monthly review) executed by Papermill for the sample client's October 2026, with a
history store (in a temporary folder) that already holds a backfilled history; its outputs read
back and compared with the library's."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from arassess.assessment.case import load
from arassess.monthly.review import backfill_snapshots, review
from arassess.monthly.sections import SECTION_TITLES, summary
from arassess.monthly.store import HistoryStore
from arassess.paths import REPO_ROOT, SAMPLE_DATA_DIR
from arassess.plan.store import save_action_status
from arassess.report.client import CHROMIUM
from arassess.run.notebooks import notebook_path, run_notebook

LEDGER = SAMPLE_DATA_DIR / "voltline"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.slow


def outputs(notebook: Path) -> list[dict]:
    nb = nbformat.read(notebook, as_version=4)
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def repo_files() -> set[Path]:
    """Every file under sample_data/ and notebooks/ (where a careless run would write)."""
    return {p for folder in (SAMPLE_DATA_DIR, REPO_ROOT / "notebooks") for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Notebook 05 for October 2026 with 23 months (Nov 2024 – Sep 2026) already in the store."""
    folder = tmp_path_factory.mktemp("monthly")
    store_path = folder / "history.sqlite"
    config, ledger = load(LEDGER)
    HistoryStore(store_path).write_many(backfill_snapshots(config, ledger, "2024-11", "2026-09", "backfill"))
    before = repo_files()
    result = run_notebook("monthly", LEDGER, runs_dir=folder / "runs",
                          parameters={"month": "2026-10", "store": str(store_path)})
    return {"result": result, "store": store_path, "new_repo_files": repo_files() - before}


def test_notebook_has_a_parameters_cell_and_a_kernel():
    nb = nbformat.read(notebook_path("monthly"), as_version=4)
    assert nb.metadata.kernelspec.name == "python3" and nb.metadata.language_info.name == "python"
    first = nb.cells[0]
    assert first.metadata.get("tags") == ["parameters"]
    for name in ("client_dir: str", "month: str", "workspace: str", "store: str", "output_dir: str"):
        assert name in first.source
    assert not any(cell.get("outputs") for cell in nb.cells)  # committed without outputs


def test_run_has_no_errors_and_every_section(run):
    result = run["result"]
    found = outputs(result.notebook)
    assert not [o for o in found if o.get("output_type") == "error"]
    assert not [o for o in found if WIDGET_MIME in o.get("data", {})]
    assert len([o for o in found if "image/png" in o.get("data", {})]) == 3  # goals, aging trends, cash forecast
    html = result.html.read_text(encoding="utf-8")
    for heading in SECTION_TITLES.values():
        assert heading in html
    assert "load_review(" not in html  # code hidden


def test_outputs_are_written_to_the_run_folder_only(run):
    out = run["result"].run_dir
    for name in ("monthly_summary.json", "monthly_report.html", "worklist.xlsx", "plan_summary.json"):
        assert (out / name).is_file(), name
    assert any((out / "letters").iterdir())
    if Path(CHROMIUM).exists():
        assert (out / "monthly_report.pdf").stat().st_size > 0
    assert run["new_repo_files"] == set()  # nothing written into the client folder or the repository
    assert not (SAMPLE_DATA_DIR / "history.sqlite").exists()


def test_the_month_is_recorded_next_to_the_backfill(run):
    store = HistoryStore(run["store"])
    months = store.months("voltline")
    assert len(months) == 24 and months[-1].strftime("%Y-%m-%d") == "2026-10-31"
    assert store.snapshot("voltline", months[-1]).run_id == run["result"].run_dir.name


def test_summary_equals_the_library(run):
    got = json.loads((run["result"].run_dir / "monthly_summary.json").read_text(encoding="utf-8"))
    expected = summary(review(LEDGER, "2026-10", HistoryStore(run["store"]), record=False,
                              run_id=run["result"].run_dir.name))
    assert got["month_end"] == expected["month_end"] == "2026-10-31"
    assert got["filled_from_ledger"] == expected["filled_from_ledger"] == []  # the store held the history
    for key in ("kpis", "last_month", "aging", "goals", "movers", "new_over_90", "handoff_day",
                "reached_handoff", "roll_rates", "actions", "control_totals", "input_checksums", "history_months"):
        assert got[key] == expected[key], key
    assert [g["status"] for g in got["goals"]] == ["on track", "on track", "on track"]
    assert got["kpis"]["dso"] == 59.260178 and got["recorded"] is True


def test_an_action_marked_done_leaves_the_late_list_of_the_executed_notebook(tmp_path):
    """A copy of the sample whose goals and plan were set at 2026-06-30, so by October its early
    actions are late. The action log (written as `arassess action` does) marks the kick-off (in every
    plan) done and the key-account calls dropped, and names an id the plan does not have; notebook
    05 run by Papermill shows both closed, every other action due by 30 September late, the unknown
    id in a note, and the drop's reason as text."""
    client = tmp_path / "voltline"
    shutil.copytree(LEDGER, client)
    cfg = client / "client.yaml"
    cfg.write_text(re.sub(r"(?m)^as_of: .*$", "as_of: 2026-06-30", cfg.read_text(encoding="utf-8")), encoding="utf-8")
    save_action_status(client, "plan_kickoff", "done", "2026-07-05")
    save_action_status(client, "key_account_calls", "dropped", "2026-07-10", note="Covered by the <new> ERP")
    save_action_status(client, "not_an_action", "done", "2026-07-10")
    result = run_notebook("monthly", client, runs_dir=tmp_path / "runs",
                          parameters={"month": "2026-10", "store": str(tmp_path / "history.sqlite")})
    actions = json.loads((result.run_dir / "monthly_summary.json").read_text(encoding="utf-8"))["actions"]
    status = {a["id"]: a["status"] for a in actions}
    due_by_september = [a["id"] for a in actions if a["due"] <= "2026-09-30"]
    assert {"plan_kickoff", "key_account_calls"} <= set(due_by_september)  # late without the log
    assert (status["plan_kickoff"], status["key_account_calls"]) == ("done", "dropped")
    late = [a["id"] for a in actions if a["status"] == "late"]
    assert late and set(late) == set(due_by_september) - {"plan_kickoff", "key_account_calls"}
    html = result.html.read_text(encoding="utf-8")
    assert "Covered by the &lt;new&gt; ERP" in html and "<new>" not in html
    assert "not_an_action" in html and "which is not an action of the plan" in html
