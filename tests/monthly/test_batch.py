"""arassess.monthly.batch and `arassess batch` / `arassess monthly`: finding a workspace's clients, the
summary table, failures that never stop the other clients, and (slow) whole workspaces run on
local processes and on a Dask LocalCluster, plus the backfill."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from arassess.cli import main
from arassess.errors import ConfigError
from arassess.monthly.batch import ClientResult, find_workspace_clients, run_batch, run_monthly, summary_table

ROOT = Path(__file__).resolve().parents[2]


def write_config(folder: Path, text: str = "name: X\ncurrency: EUR\nfiles:\n  invoices: invoices.csv\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "client.yaml").write_text(text, encoding="utf-8")
    return folder


# --- finding the clients ------------------------------------------------------------------

def test_find_workspace_clients_one_level_down_sorted(tmp_path):
    for name in ("zeta", "Alpha", "mid"):
        write_config(tmp_path / name)
    write_config(tmp_path / ".hidden")              # hidden folder: skipped
    write_config(tmp_path / "group" / "nested")     # two levels down: not a client of this workspace
    (tmp_path / "runs" / "zeta").mkdir(parents=True)  # run folders, logs: no client.yaml
    (tmp_path / "logs").mkdir()
    (tmp_path / "history.sqlite").write_bytes(b"")
    (tmp_path / "client.yaml").write_text("name: top\n")  # the workspace itself is not a client
    (tmp_path / "notyaml").mkdir()
    (tmp_path / "notyaml" / "client.yml").write_text("name: X\n")
    (tmp_path / "dir_named_yaml" / "client.yaml").mkdir(parents=True)  # a folder, not a file
    assert find_workspace_clients(tmp_path) == [tmp_path / "Alpha", tmp_path / "mid", tmp_path / "zeta"]
    assert find_workspace_clients(tmp_path / "runs") == []


def test_find_workspace_clients_bad_workspace(tmp_path):
    with pytest.raises(ConfigError, match=re.escape(f"Workspace {tmp_path / 'nope'} is not a folder")):
        find_workspace_clients(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is not a folder"):
        find_workspace_clients(tmp_path / "file")


# --- the summary table --------------------------------------------------------------------

def test_summary_table_hand_checked():
    run = "/ws/runs/acme/2026-10-31_20261102-060001"   # 40 characters
    results = [ClientResult("acme", "ok", Path(run), "", 12.34),
               ClientResult("b", "failed", None, "ConfigError: b/client.yaml is missing.", 0.2)]
    assert summary_table(results).split("\n") == [
        "client  status    time  run folder" + " " * 32 + "error",
        "------  ------  ------  " + "-" * 40 + "  -----",
        "acme    ok      12.3 s  " + run,
        "b       failed   0.2 s  -" + " " * 41 + "ConfigError: b/client.yaml is missing.",
        "1 ok, 1 failed of 2 clients",
    ]


def test_summary_table_counts():
    ok = ClientResult("a", "ok", Path("r"), "", 1.0)
    assert summary_table([ok]).endswith("\n1 ok, 0 failed of 1 client")
    assert summary_table([]).endswith("\n0 ok, 0 failed of 0 clients")
    assert ok.ok and not ClientResult("a", "failed", None, "x", 0.0).ok


# --- failures never stop the others (fast: the clients fail before a kernel starts) ---------

def test_run_monthly_never_raises_for_a_client_problem(tmp_path):
    bad = write_config(tmp_path / "ws" / "bad", "name: Bad\ncurrency: euro\nfiles:\n  invoices: i.csv\n")
    result = run_monthly(bad, "2026-10", tmp_path / "ws", tmp_path / "ws" / "h.sqlite", tmp_path / "runs")
    assert (result.client, result.status, result.run_dir) == ("bad", "failed", None)
    assert "'currency' must be a 3-letter ISO code like EUR, got 'euro'" in result.error
    assert "\n" not in result.error and result.seconds >= 0
    assert not (tmp_path / "runs").exists()  # no kernel, no run folder for a client that cannot load


def test_run_batch_reports_every_client_and_keeps_their_order(tmp_path):
    ws = tmp_path / "ws"
    write_config(ws / "b_missing_name", "currency: EUR\nfiles:\n  invoices: i.csv\n")
    write_config(ws / "a_bad_yaml", "name: [unclosed\n")
    results = run_batch(ws, "2026-10", workers=2, progress=False)
    assert [(r.client, r.status) for r in results] == [("a_bad_yaml", "failed"), ("b_missing_name", "failed")]
    assert "is not valid YAML" in results[0].error
    assert "needs 'name'" in results[1].error


def test_run_batch_checks_its_arguments_before_starting(tmp_path):
    with pytest.raises(ConfigError, match="No client folders in workspace"):
        run_batch(tmp_path, "2026-10", progress=False)
    write_config(tmp_path / "a")
    with pytest.raises(ValueError, match="2026-13"):
        run_batch(tmp_path, "2026-13", progress=False)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        run_batch(tmp_path, "2026-10", workers=0, progress=False)


def test_cli_batch_exit_code_and_table_when_clients_fail(tmp_path):
    ws = tmp_path / "ws"
    write_config(ws / "only", "name: Only\ncurrency: EURO\nfiles:\n  invoices: i.csv\n")
    result = CliRunner().invoke(main, ["batch", str(ws), "--month", "2026-10", "--workers", "1"])
    assert result.exit_code == 1
    assert re.search(r"^only\s+failed\s+\d+\.\d s\s+-\s+.*'currency' must be a 3-letter ISO code like EUR, "
                     r"got 'EURO'", result.output, re.M)
    assert "0 ok, 1 failed of 1 client" in result.output
    assert CliRunner().invoke(main, ["batch", str(tmp_path / "none"), "--month", "2026-10"]).exit_code == 1


def test_cli_monthly_needs_exactly_one_of_month_and_backfill(tmp_path):
    runner = CliRunner()
    for args in ([], ["--month", "2026-10", "--backfill", "2026-01", "2026-02"]):
        result = runner.invoke(main, ["monthly", str(tmp_path), *args])
        assert result.exit_code == 2 and "either --month YYYY-MM or --backfill FROM TO" in result.output


def test_cli_backfill_range_must_be_in_order(tmp_path):
    result = CliRunner().invoke(main, ["monthly", str(tmp_path), "--backfill", "2026-10", "2025-11"])
    assert result.exit_code == 2 and "FROM (2026-10) is after TO (2025-11)" in result.output


# --- end to end (slow): a workspace of 3 clients, one broken ---------------------------------

MONTH, MONTH_END = "2026-10", pd.Timestamp("2026-10-31")
GOOD = ("alpha", "bravo")  # two good clients and a broken one: enough for two workers to share
RUN_DIR = r"\d{4}-\d{2}-\d{2}_\d{8}-\d{6}(?:-\d+)?"


@pytest.fixture(scope="module")
def workspace_template(tmp_path_factory) -> Path:
    """2 small full-ledger sample clients and 'delta', whose invoices file is missing (it fails
    inside the notebook, when the ledger is loaded)."""
    from arassess.inputs.sample import write_sample_client

    ws = tmp_path_factory.mktemp("template") / "ws"
    for seed, name in enumerate((*GOOD, "delta"), start=1):
        write_sample_client(ws / name, seed=seed, n_invoices=1500)
    (ws / "delta" / "invoices.csv").unlink()
    return ws


@pytest.fixture
def workspace(workspace_template, tmp_path) -> Path:
    """A fresh copy of the template workspace (its own store and run folders)."""
    return Path(shutil.copytree(workspace_template, tmp_path / "ws"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arassess.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def inputs(ws: Path) -> dict[str, bytes]:
    return {str(p.relative_to(ws)): p.read_bytes() for name in (*GOOD, "delta") for p in (ws / name).iterdir()}


def check_batch(result: subprocess.CompletedProcess[str], ws: Path, runs: Path, store: Path) -> None:
    """2 ok with a run folder each, delta failed with its reason and its notebook kept, exit 1,
    the store holding exactly the 2 good clients' snapshots of the month."""
    from arassess.assessment.case import load
    from arassess.monthly.review import snapshot_at
    from arassess.monthly.store import HistoryStore

    assert result.returncode == 1, result.stderr[-3000:]
    out = result.stdout
    for name in GOOD:
        row = re.search(rf"^{name}\s+ok\s+\d+\.\d s\s+({re.escape(str(runs / name))}/{RUN_DIR})$", out, re.M)
        assert row, out
        run = Path(row[1])
        for file in ("05_monthly_review.ipynb", "05_monthly_review.html", "monthly_report.html",
                     "monthly_summary.json"):
            assert (run / file).is_file(), (run, file)
    # the export is validated before a run folder or a kernel exists: a missing file fails there
    row = re.search(r"^delta\s+failed\s+\d+\.\d s\s+-\s+(.*)$", out, re.M)
    assert row, out
    assert f"The invoices file {ws / 'delta' / 'invoices.csv'} does not exist" in row[1]
    assert not (runs / "delta").exists()  # no empty run folder is left behind
    assert "\n2 ok, 1 failed of 3 clients\n" in out
    assert f"arassess batch {MONTH}: 3/3" in result.stderr              # the progress bar over clients

    history = HistoryStore(store)
    assert history.clients() == list(GOOD)
    assert [c for c in history.clients() if history.snapshot(c, MONTH_END) is not None] == list(GOOD)
    config, ledger = load(ws / "alpha")
    expected = snapshot_at(config, ledger, MONTH_END, "check")
    stored = history.snapshot("alpha", MONTH_END)
    assert stored.run_id == re.search(rf"{re.escape(str(runs / 'alpha'))}/({RUN_DIR})", out)[1]
    assert pd.Series(stored.kpis).equals(pd.Series(expected.kpis))  # NaN where undefined, equal otherwise
    assert dict(stored.aging) == dict(expected.aging)


@pytest.mark.slow
def test_batch_on_local_processes(workspace):
    before = inputs(workspace)
    result = cli("batch", str(workspace), "--month", MONTH, "--workers", "2")
    check_batch(result, workspace, workspace / "runs", workspace / "history.sqlite")
    assert "on 2 local worker(s)" in result.stdout
    assert inputs(workspace) == before  # input files never modified


@pytest.mark.slow
def test_batch_on_a_dask_cluster(workspace, tmp_path):
    """The same tasks on a real Dask scheduler and 2 worker processes on loopback."""
    from distributed import Client, LocalCluster

    runs, store = tmp_path / "elsewhere" / "runs", tmp_path / "elsewhere" / "h.sqlite"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        result = cli("batch", str(workspace), "--month", MONTH, "--scheduler", address,
                     "--runs-dir", str(runs), "--store", str(store))
        ran = cluster.scheduler.task_prefixes["run_monthly"].state_counts["memory"]
        with Client(cluster) as client:
            transitions = client.run(lambda dask_worker: dask_worker.state.transition_counter)
    check_batch(result, workspace, runs, store)
    assert f"on Dask scheduler {address}" in result.stdout
    assert ran == 3                                      # every client ran as a task on the cluster
    assert len(transitions) == 2 and all(n > 0 for n in transitions.values())  # on both workers
    assert not (workspace / "runs").exists() and not (workspace / "history.sqlite").exists()


@pytest.mark.slow
def test_monthly_one_client_defaults_to_its_workspace(workspace):
    result = cli("monthly", str(workspace / "alpha"), "--month", MONTH)
    assert result.returncode == 0, result.stderr[-3000:]
    run = Path(re.search(r"^Run folder: (.+)$", result.stdout, re.M)[1])
    assert re.fullmatch(rf"{re.escape(str(workspace / 'runs' / 'alpha'))}/{RUN_DIR}", str(run))
    for label, name in (("Notebook:", "05_monthly_review.ipynb"), ("HTML:", "05_monthly_review.html"),
                        ("Report:", "monthly_report.html")):
        assert f"{label:<11} {run / name}" in result.stdout
    assert f"Store:      {workspace / 'history.sqlite'}" in result.stdout
    from arassess.monthly.store import HistoryStore

    assert HistoryStore(workspace / "history.sqlite").clients() == ["alpha"]
    failed = cli("monthly", str(workspace / "delta"), "--month", MONTH)
    assert failed.returncode == 1
    assert re.search(r"^Error: The invoices file .*invoices.csv does not exist", failed.stderr, re.M)
    assert "Traceback" not in failed.stderr


@pytest.mark.slow
def test_backfill_writes_every_month_end_and_reruns_replace_them(workspace):
    from arassess.assessment.case import load
    from arassess.monthly.review import snapshot_at
    from arassess.monthly.store import HistoryStore

    client, store = workspace / "alpha", workspace / "history.sqlite"
    first = CliRunner().invoke(main, ["monthly", str(client), "--backfill", "2025-11", "2026-10"])
    assert first.exit_code == 0, first.output
    assert re.search(rf"^12 month\(s\) written for alpha \(2025-11 to 2026-10, run backfill_\d{{8}}-\d{{6}}\) "
                     rf"into {re.escape(str(store))}$", first.stdout, re.M)
    history = HistoryStore(store)
    assert history.months("alpha") == list(pd.date_range("2025-11-30", "2026-10-31", freq="ME"))
    config, ledger = load(client)
    for end in (pd.Timestamp("2025-11-30"), pd.Timestamp("2026-02-28")):
        assert pd.Series(history.snapshot("alpha", end).kpis).equals(
            pd.Series(snapshot_at(config, ledger, end, "x").kpis))
    again = CliRunner().invoke(main, ["monthly", str(client), "--backfill", "2026-09", "2026-10"])
    assert again.exit_code == 0 and "2 month(s) written for alpha" in again.stdout
    assert "; 2 replaced earlier snapshots of the same months" in again.stdout
    assert len(history.months("alpha")) == 12
    outside = CliRunner().invoke(main, ["monthly", str(client), "--backfill", "2026-10", "2026-12"])
    assert outside.exit_code == 1 and "Error: " in outside.output and "2026-11" in outside.output
    assert len(history.months("alpha")) == 12


def test_cli_batch_bad_month_is_one_error_line(tmp_path):
    write_config(tmp_path / "a")
    result = CliRunner().invoke(main, ["batch", str(tmp_path), "--month", "2026-13"])
    assert result.exit_code == 1
    assert result.output == "Error: month '2026-13': the month must be 01 to 12\n"
    both = CliRunner().invoke(main, ["batch", str(tmp_path), "--month", "2026-10", "--workers", "2",
                                     "--scheduler", "tcp://127.0.0.1:8786"])
    assert both.exit_code == 2 and "--workers is for local processes" in both.output


@pytest.mark.slow
def test_a_hanging_cell_is_stopped_and_its_client_fails_with_the_cell(tmp_path, monkeypatch):
    """--cell-timeout: a notebook whose cell sleeps far longer than the limit is stopped, the client is
    reported as failed naming that cell, and the notebook as far as it ran is kept in its run folder."""
    import nbformat

    from arassess.run import notebooks

    hanging = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('client_dir = ""\noutput_dir = ""\nmonth = ""\nworkspace = ""\nstore = ""',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\ntime.sleep(120)"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    source = tmp_path / "05_monthly_review.ipynb"
    nbformat.write(hanging, source)
    monkeypatch.setattr(notebooks, "notebook_path", lambda name: source)
    result = run_monthly(ROOT / "sample_data" / "voltline", "2026-10", tmp_path, tmp_path / "h.sqlite",
                         tmp_path / "runs", cell_timeout=3)
    assert result.status == "failed", result
    assert "05_monthly_review.ipynb stopped: cell" in result.error and "ran longer than 3 s" in result.error
    kept = result.run_dir / "05_monthly_review.ipynb"
    assert kept.is_file() and (result.run_dir / "INCOMPLETE").exists()
    assert result.seconds < 100  # stopped, not waited out (the cell sleeps 120 s)
