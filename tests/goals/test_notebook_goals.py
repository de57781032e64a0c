"""Notebook 03 (set goals) executed by Papermill for both sample clients; values read back and
compared with the library's."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from arassess.goals.case import load_goals_case
from arassess.goals.store import GOALS_FILE, save_goals
from arassess.paths import SAMPLE_DATA_DIR
from arassess.run.notebooks import notebook_path, run_notebook

LEDGER = SAMPLE_DATA_DIR / "voltline"
OPEN_ITEMS = SAMPLE_DATA_DIR / "northwind_open_items"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
HEADINGS = ("1. Goals", "2. What reaching them is worth", "3. Glide paths", "4. How the goals were set")

pytestmark = pytest.mark.slow


def outputs(notebook: Path) -> list[dict]:
    nb = nbformat.read(notebook, as_version=4)
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def summary(run) -> dict:
    return json.loads((run.run_dir / "goals_summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Notebook 03 for the ledger client as configured, for a copy of it with a saved goals.yaml,
    and for the open-items client."""
    folder = tmp_path_factory.mktemp("runs")
    client = tmp_path_factory.mktemp("clients") / "voltline"
    shutil.copytree(LEDGER, client)
    case = load_goals_case(client)
    save_goals(client, [dataclasses.replace(g, target=50.0) if g.key == "dso" else g for g in case.goals],
               as_of=case.as_of)
    return {"ledger": run_notebook("goals", LEDGER, runs_dir=folder),
            "saved": run_notebook("goals", client, runs_dir=folder),
            "open_items": run_notebook("goals", OPEN_ITEMS, runs_dir=folder)}


def test_notebook_has_a_parameters_cell_and_a_kernel():
    nb = nbformat.read(notebook_path("goals"), as_version=4)
    assert nb.metadata.kernelspec.name == "python3" and nb.metadata.language_info.name == "python"
    first = nb.cells[0]
    assert first.metadata.get("tags") == ["parameters"]
    for name in ("client_dir: str", "as_of: str", "output_dir: str"):
        assert name in first.source
    assert not any(cell.get("outputs") for cell in nb.cells)  # committed without outputs


@pytest.mark.parametrize("name", ["ledger", "saved", "open_items"])
def test_runs_have_no_errors_no_widgets_and_every_section(runs, name):
    run = runs[name]
    found = outputs(run.notebook)
    assert not [o for o in found if o.get("output_type") == "error"]
    assert not [o for o in found if WIDGET_MIME in o.get("data", {})]
    assert len([o for o in found if "image/png" in o.get("data", {})]) == 1  # the glide-path chart
    html = run.html.read_text(encoding="utf-8")
    for heading in HEADINGS:
        assert heading in html
    assert "load_goals_case(" not in html


@pytest.mark.parametrize("name, folder", [("ledger", LEDGER), ("open_items", OPEN_ITEMS)])
def test_summary_equals_the_library(runs, name, folder):
    got = summary(runs[name])
    expected = load_goals_case(folder).summary()
    assert got["as_of"] == expected["as_of"] == "2026-10-31"
    assert [g["key"] for g in got["goals"]] == [g["key"] for g in expected["goals"]]
    for mine, lib in zip(got["goals"], expected["goals"]):
        for field in ("baseline", "target", "freed_cash", "yearly_value", "monthly_step"):
            assert mine[field] == pytest.approx(lib[field]), (mine["key"], field)
        assert (mine["deadline"], mine["owner"], mine["source"]) == (lib["deadline"], lib["owner"], lib["source"])
    for key, path in expected["glide_paths"].items():
        assert got["glide_paths"][key] == pytest.approx(path)
    assert got["notes"] == expected["notes"]


def test_ledger_summary_has_the_default_goals(runs):
    got = {g["key"]: g for g in summary(runs["ledger"])["goals"]}
    assert {k: g["target"] for k, g in got.items()} == {"dso": 52.3, "pct_over_90": 6.2, "cei": 86.5}  # CRF median
    assert got["dso"]["freed_cash"] == pytest.approx((got["dso"]["baseline"] - 52.3) * 35_313_783.6721 / 365)
    assert len(summary(runs["ledger"])["glide_paths"]["dso"]) == 12


def test_open_items_summary_has_only_the_over_90_goal(runs):
    got = summary(runs["open_items"])
    assert [g["key"] for g in got["goals"]] == ["pct_over_90"] and got["goals"][0]["target"] == 10.0
    assert got["annual_credit_sales"] is None and len(got["notes"]) == 2
    assert "No default goal for DSO (period)" in runs["open_items"].html.read_text(encoding="utf-8")


def test_a_saved_goals_file_is_used(runs):
    got = {g["key"]: g for g in summary(runs["saved"])["goals"]}
    assert got["dso"]["target"] == 50.0 and got["dso"]["source"] == GOALS_FILE
    assert summary(runs["saved"])["goals_file"] is True
    assert "goals.yaml" in runs["saved"].html.read_text(encoding="utf-8")
