"""The arassess command line, end to end through a subprocess on sample_data/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from arassess import compute_kpis, load_client

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "sample_data" / "voltline"
OPEN_ITEMS = ROOT / "sample_data" / "northwind_open_items"

pytestmark = pytest.mark.slow


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "arassess.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", [[], ["validate"], ["kpis"], ["risk"], ["forecast"], ["sample"], ["run"],
                                     ["serve"], ["action"], ["batch"]])
def test_help_on_every_command(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout
    assert "--help" in result.stdout


def test_kpis_table_shows_control_totals_scorecard_and_aging():
    result = run("kpis", str(LEDGER))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Control totals" in out and "rows_read" in out and "balanced" in out
    assert "DSO (period)" in out and "CEI" in out and "ADD (DSO − BPDSO)" in out
    assert "Aging of open AR" in out and "120+" in out
    assert "Traceback" not in out + result.stderr


def test_risk_json_matches_the_library_and_the_table_names_the_decision():
    from arassess.risk.model import assess_risk

    result = run("risk", str(LEDGER), "--format", "json", "--top", "5")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    ledger = load_client(LEDGER)
    expected = assess_risk(ledger, "2026-10-31")
    assert payload["available"] is True and payload["reason"] == expected.reason
    assert payload["model"] == expected.model_name and payload["threshold_days"] == 30
    assert [c["customer_id"] for c in payload["top_customers"]] == expected.customers["customer_id"].head(5).tolist()
    assert {b["band"]: b["customers"] for b in payload["bands"]} == dict(
        zip(expected.band_counts()["band"], expected.band_counts()["customers"]))
    table = run("risk", str(LEDGER), "--top", "3")
    assert table.returncode == 0, table.stderr
    assert expected.reason in table.stdout and "The 3 riskiest customers:" in table.stdout
    assert expected.customers["customer_name"].iloc[0] in table.stdout
    unavailable = run("risk", str(OPEN_ITEMS))
    assert unavailable.returncode == 0 and "Not available: an open-items export" in unavailable.stdout


def test_kpis_json_matches_the_library():
    result = run("kpis", str(LEDGER), "--as-of", "2026-09-30", "--window", "60", "--format", "json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["as_of"] == "2026-09-30" and payload["window_days"] == 60
    for totals in payload["control_totals"]:
        assert totals["rows_read"] == totals["rows_accepted"] + totals["rows_rejected"]
        assert totals["amount_read"] == pytest.approx(totals["amount_accepted"] + totals["amount_rejected"])
    expected = compute_kpis(load_client(LEDGER), "2026-09-30", window_days=60)
    by_key = {k["key"]: k for k in payload["kpis"]}
    for key in ("dso", "bpdso", "add", "cei", "pct_over_90", "ar_total"):
        assert by_key[key]["value"] == pytest.approx(expected.value(key))
    assert by_key["add"]["value"] == pytest.approx(by_key["dso"]["value"] - by_key["bpdso"]["value"])
    assert sum(payload["aging"].values()) == pytest.approx(by_key["ar_total"]["value"])


def test_kpis_csv_has_one_row_per_registry_kpi():
    from arassess.kpi.registry import KPIS

    result = run("kpis", str(LEDGER), "--format", "csv")
    assert result.returncode == 0, result.stderr
    from io import StringIO

    frame = pd.read_csv(StringIO(result.stdout))
    assert list(frame["key"]) == [k.key for k in KPIS]


def test_kpis_at_a_date_outside_the_ledger_warn_and_are_not_zero():
    before = run("kpis", str(LEDGER), "--as-of", "2019-03-31", "--format", "json")
    assert before.returncode == 0, before.stderr
    assert "WARNING: the as-of date 2019-03-31 is before the first invoice (2024-07-01)" in before.stderr
    payload = json.loads(before.stdout)
    assert payload["warnings"] and payload["warnings"][0].startswith("WARNING: the as-of date 2019-03-31")
    by_key = {k["key"]: k for k in payload["kpis"]}
    assert by_key["ar_total"]["value"] is None and by_key["dso"]["value"] is None
    assert "before the ledger's first invoice" in by_key["ar_total"]["note"]
    after = run("kpis", str(LEDGER), "--as-of", "2031-03-31")
    assert after.returncode == 0, after.stderr
    assert "more than a year after the last invoice (2026-10-30)" in after.stderr
    assert json.loads(run("kpis", str(LEDGER), "--format", "json").stdout)["warnings"] == []


def test_open_items_client_reports_unavailable_kpis_with_reasons():
    result = run("kpis", str(OPEN_ITEMS), "--format", "json")
    assert result.returncode == 0, result.stderr
    by_key = {k["key"]: k for k in json.loads(result.stdout)["kpis"]}
    assert by_key["ar_total"]["value"] > 0
    assert by_key["pct_over_90"]["value"] is not None
    assert by_key["dso"]["value"] is None
    assert "open-items export" in by_key["dso"]["note"] and "ledger" in by_key["dso"]["note"]


def test_validate_lists_rejected_rows_and_exits_1(tmp_path):
    export = tmp_path / "problems.csv"
    result = run("validate", str(LEDGER), "--export", str(export))
    assert result.returncode == 1  # the sample holds a few deliberately bad rows
    assert "Control totals" in result.stdout
    assert " row " in result.stdout and "column '" in result.stdout
    problems = pd.read_csv(export)
    assert list(problems.columns) == ["file", "row", "column", "value", "problem"]
    assert len(problems) > 0 and (problems["row"] >= 2).all()
    again = run("validate", str(LEDGER), "--export", str(export))
    assert again.returncode == 1 and "already exists" in again.stderr  # never overwritten


def test_validate_clean_client_exits_0(tmp_path):
    client = tmp_path / "clean"
    client.mkdir()
    (client / "client.yaml").write_text("name: Clean Co\ncurrency: EUR\nas_of: 2026-10-31\n")
    (client / "invoices.csv").write_text(
        "invoice_id,customer_id,invoice_date,due_date,amount,paid_date\n"
        "A1,C1,2026-09-01,2026-10-01,100.00,2026-09-20\n"
        "A2,C2,2026-10-05,2026-11-04,250.50,\n")
    result = run("validate", str(client))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 problem(s)" in result.stdout


def test_errors_are_one_paragraph_without_traceback(tmp_path):
    result = run("kpis", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: Client folder")
    assert "Traceback" not in result.stderr
    debug = run("--debug", "kpis", str(tmp_path / "nowhere"))
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_bad_as_of_is_a_usage_error():
    result = run("kpis", str(LEDGER), "--as-of", "31/10/2026")
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr


def test_sample_writes_a_loadable_client_and_refuses_foreign_folders(tmp_path):
    out = tmp_path / "demo"
    result = run("sample", "--out", str(out), "--seed", "3", "--invoices", "1500")
    assert result.returncode == 0, result.stderr
    ledger = load_client(out)
    assert 1200 <= len(ledger.invoices) <= 1600
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("client notes")
    refused = run("sample", "--out", str(foreign))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert (foreign / "notes.txt").read_text() == "client notes"


def test_run_help_names_the_costs_notebook_and_scenarios():
    result = run("run", "--help")
    assert "costs = 02_inhouse_vs_agency" in result.stdout and "--scenario NAME" in result.stdout


def test_bad_scenario_is_one_clear_error(tmp_path):
    for name, expected in (("nope", "no such scenario"), ("../x", "scenario name")):
        result = run("run", "costs", str(LEDGER), "--scenario", name, "--runs-dir", str(tmp_path))
        assert result.returncode == 1, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())
    wrong = run("run", "assess", str(LEDGER), "--scenario", "x", "--runs-dir", str(tmp_path))
    assert wrong.returncode == 1 and "costs notebook" in wrong.stderr


# --- outputs that cannot be written: one clear line, never a traceback ---------------------------

@pytest.mark.parametrize("where", ["under_a_file", "read_only"])
def test_an_output_that_cannot_be_written_is_one_clear_line(tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    if where == "read_only":
        target = tmp_path / "locked"
        target.mkdir()
        target.chmod(0o500)
        if os.access(target, os.W_OK):  # root writes anyway: nothing to test
            pytest.skip("running as root: a read-only folder is still writable")
    else:
        target = blocker
    for args in (("run", "assess", str(LEDGER), "--runs-dir", str(target / "runs")),
                 ("validate", str(LEDGER), "--export", str(target / "problems.csv")),
                 ("validate", str(LEDGER), "--rejected-dir", str(target / "rejected")),
                 ("sample", "--out", str(target / "sample"), "--invoices", "200")):
        result = run(*args)
        assert result.returncode == 1, (args, result.stderr[-2000:])
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and errors[0].startswith("Error: Cannot write"), (args, result.stderr)
        assert str(target) in errors[0] and "Traceback" not in result.stderr, args


def test_runs_dir_on_a_file_is_a_usage_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    result = run("run", "assess", str(LEDGER), "--runs-dir", str(blocker))
    assert result.returncode == 2 and "is a file" in result.stderr and "Traceback" not in result.stderr


def test_validate_finds_a_typo_under_costs_before_any_notebook(tmp_path):
    client = tmp_path / "acme"
    shutil.copytree(LEDGER, client)
    text = (client / "client.yaml").read_text(encoding="utf-8")
    (client / "client.yaml").write_text(text + "\ncosts:\n  colector_salary: 40000\n", encoding="utf-8")
    result = run("validate", str(client))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "costs.colector_salary" in result.stderr or "colector_salary" in result.stderr, result.stderr


def test_a_binary_client_yaml_is_named(tmp_path):
    client = tmp_path / "acme"
    client.mkdir()
    (client / "client.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    result = run("validate", str(client))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{client / 'client.yaml'} is not a text file" in result.stderr
