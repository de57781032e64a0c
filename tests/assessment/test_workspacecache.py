"""The dashboards' workspace cache (arassess.assessment.workspace_cache): a second session of the same client
reads the validated ledger and the risk fit back instead of redoing them, a changed input or
another client never does, and a workspace that cannot be written only loses the speed-up."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import digest

from arassess.assessment import workspace_cache as workspacecache
from arassess.config.client import load_config
from arassess.config.risk import RiskSettings
from arassess.paths import SAMPLE_DATA_DIR
from arassess.risk.model import RiskResult


@pytest.fixture
def workspace(tmp_path):
    ignore = shutil.ignore_patterns("scenarios", "goals*.yaml")
    shutil.copytree(SAMPLE_DATA_DIR / "voltline", tmp_path / "voltline", ignore=ignore)
    shutil.copytree(SAMPLE_DATA_DIR / "voltline", tmp_path / "twin", ignore=ignore)
    return tmp_path


@pytest.fixture
def loads(monkeypatch):
    """The client folders actually read and validated (not taken from the cache)."""
    calls: list[str] = []
    real = workspacecache.load_ledger

    def counting(config):
        calls.append(config.root.name)
        return real(config)

    monkeypatch.setattr(workspacecache, "load_ledger", counting)
    return calls


def _bump_last_amount(path) -> None:
    """Change the last digit of the last row's amount (the column before the currency)."""
    data = bytearray(path.read_bytes())
    at = data.rindex(b",") - 1
    data[at] = ord("9") if data[at] != ord("9") else ord("8")
    path.write_bytes(bytes(data))


def test_a_second_session_reads_the_cached_ledger(workspace, loads):
    before = digest(workspace / "voltline")
    _, first = workspacecache.cached_load(workspace / "voltline")
    _, second = workspacecache.cached_load(workspace / "voltline")
    assert loads == ["voltline"]
    pd.testing.assert_frame_equal(first.invoices, second.invoices)
    pd.testing.assert_frame_equal(first.payments, second.payments)
    assert first.quality.totals == second.quality.totals
    assert digest(workspace / "voltline") == before  # the client folder is never written
    folders = sorted(p.name for p in (workspace / ".arassess-cache" / "voltline").iterdir())
    assert len(folders) == 1 and folders[0].startswith("ledger-")


def test_a_changed_input_is_read_again_into_another_folder(workspace, loads):
    _, first = workspacecache.cached_load(workspace / "voltline")
    _bump_last_amount(workspace / "voltline" / "payments.csv")
    _, second = workspacecache.cached_load(workspace / "voltline")
    assert loads == ["voltline", "voltline"]
    assert second.payments["amount"].sum() == pytest.approx(first.payments["amount"].sum() - 0.01, abs=1e-6)
    assert len(list((workspace / ".arassess-cache" / "voltline").glob("ledger-*"))) == 2


def test_another_client_never_reads_the_cache(workspace, loads):
    workspacecache.cached_load(workspace / "voltline")
    config, ledger = workspacecache.cached_load(workspace / "twin")  # the same bytes, another client
    assert loads == ["voltline", "twin"]
    assert config.root.name == "twin" and ledger.name == load_config(workspace / "twin").name
    assert {p.name for p in (workspace / ".arassess-cache").iterdir()} == {"voltline", "twin"}


def test_no_temporary_folder_is_left_behind(workspace):
    workspacecache.cached_load(workspace / "voltline")
    assert not [p for p in (workspace / ".arassess-cache" / "voltline").iterdir() if p.name.startswith(".")]


def test_a_workspace_that_cannot_be_written_still_loads(workspace, loads):
    (workspace / ".arassess-cache").write_text("a file where the cache folder would go")  # even root cannot
    _, ledger = workspacecache.cached_load(workspace / "voltline")
    workspacecache.cached_load(workspace / "voltline")
    assert len(ledger.invoices) > 0 and loads == ["voltline", "voltline"]
    assert (workspace / ".arassess-cache").read_text() == "a file where the cache folder would go"


def _result(as_of: str) -> RiskResult:
    return RiskResult(available=False, reason="test: nothing to fit", settings=RiskSettings(),
                      as_of=pd.Timestamp(as_of))


def test_a_kept_risk_fit_is_read_back_only_for_its_date_and_inputs(workspace):
    config = load_config(workspace / "voltline")
    assert workspacecache.cached_risk(config, "2026-06-30") is None
    workspacecache.keep_risk(config, _result("2026-06-30"))
    back = workspacecache.cached_risk(config, "2026-06-30")
    assert back is not None and back.reason == "test: nothing to fit" and not back.available
    assert workspacecache.cached_risk(config, "2026-05-31") is None          # another date
    assert workspacecache.cached_risk(load_config(workspace / "twin"), "2026-06-30") is None  # another client
    _bump_last_amount(workspace / "voltline" / "payments.csv")
    assert workspacecache.cached_risk(load_config(workspace / "voltline"), "2026-06-30") is None  # changed input


def test_a_kept_risk_fit_is_never_written_over(workspace):
    config = load_config(workspace / "voltline")
    workspacecache.keep_risk(config, _result("2026-06-30"))
    folder = next((workspace / ".arassess-cache" / "voltline").glob("risk-2026-06-30-*"))
    before = digest(folder)
    workspacecache.keep_risk(config, RiskResult(available=False, reason="another", settings=RiskSettings(),
                                                as_of=pd.Timestamp("2026-06-30")))
    assert digest(folder) == before
    assert workspacecache.cached_risk(config, "2026-06-30").reason == "test: nothing to fit"


def test_a_second_session_shows_the_sections_the_first_one_built(workspace, monkeypatch):
    """The dashboard's sections of one client, date and window are built once: a second session
    shows the same outputs without building any section; another date or a changed client.yaml
    builds them again."""
    from arassess.assessment import dashboard as dash

    client = workspace / "voltline"
    first = dash.AssessmentDashboard(dash.dashboard_assessment(client), client, background=False)
    shown = first.shown_outputs()
    assert len(shown) > 20

    built: list[str] = []
    real = dash.section
    monkeypatch.setattr(dash, "section", lambda a, name, *rest: built.append(name) or real(a, name, *rest))
    second = dash.AssessmentDashboard(dash.dashboard_assessment(client), client, background=False)
    assert built == [] and second.shown_outputs() == shown
    second.as_of.value = pd.Timestamp("2026-09-30").date()      # another date: built, not reused
    assert "data" in built and second.shown_outputs() != shown
    built.clear()
    config = load_config(client)
    key = workspacecache.sections_key(config, "2026-10-31", 90, 24)
    (client / "client.yaml").write_text((client / "client.yaml").read_text() + "\n# edited\n")
    assert workspacecache.sections_key(load_config(client), "2026-10-31", 90, 24) != key
    assert workspacecache.cached_section(config, key, "aging") is not None
