"""Saved cost-model scenarios: round trip, never overwritten, validated on save and on load."""

from __future__ import annotations

import datetime as dt

import pytest

from arassess.costs.case import load_case
from arassess.costs.scenarios import Scenario, list_scenarios, load_scenario, save_scenario, scenario_path
from arassess.errors import ConfigError, ScenarioExistsError
from arassess.paths import SAMPLE_DATA_DIR

NOW = dt.datetime(2026, 11, 23, 9, 30, 0)


def test_round_trip_and_listing(tmp_path):
    path = save_scenario(tmp_path, Scenario("high-fee", {"agency_fee_pct": 0.4, "collector_ftes": 2.0},
                                            handoff_day=90, as_of="2026-10-31"), now=NOW)
    assert path == tmp_path / "scenarios" / "high-fee.yaml"
    text = path.read_text()
    assert "arassess run costs" in text and "saved_at: '2026-11-23T09:30:00'" in text
    back = load_scenario(tmp_path, "high-fee")
    assert back == Scenario("high-fee", {"agency_fee_pct": 0.4, "collector_ftes": 2.0}, 90.0, "2026-10-31")
    save_scenario(tmp_path, Scenario("a-first", {}), now=NOW)
    assert list_scenarios(tmp_path) == ["a-first", "high-fee"]
    assert list_scenarios(tmp_path / "nowhere") == []


def test_saving_never_replaces_an_existing_scenario(tmp_path):
    path = save_scenario(tmp_path, Scenario("base", {"collector_ftes": 2.0}), now=NOW)
    before = path.read_bytes()
    with pytest.raises(ScenarioExistsError, match="already exists"):
        save_scenario(tmp_path, Scenario("base", {"collector_ftes": 9.0}), now=NOW)
    assert path.read_bytes() == before
    save_scenario(tmp_path, Scenario("base", {"collector_ftes": 9.0}), overwrite=True, now=NOW)
    assert load_scenario(tmp_path, "base").costs == {"collector_ftes": 9.0}


@pytest.mark.parametrize("name", ["", "../escape", ".hidden", "a/b", "x" * 65, "with space"])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(ConfigError, match="scenario name"):
        scenario_path(tmp_path, name)


def test_bad_costs_are_refused_on_save_and_on_load(tmp_path):
    with pytest.raises(ConfigError, match="costs.agency_fee_pct"):
        save_scenario(tmp_path, Scenario("bad", {"agency_fee_pct": 1.5}))
    assert not (tmp_path / "scenarios" / "bad.yaml").exists()
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "hand.yaml").write_text("costs:\n  collector_ftes: -1\n")
    with pytest.raises(ConfigError, match=r"hand\.yaml: costs\.collector_ftes"):
        load_scenario(tmp_path, "hand")
    (tmp_path / "scenarios" / "d.yaml").write_text("handoff_day: soon\n")
    with pytest.raises(ConfigError, match="handoff_day"):
        load_scenario(tmp_path, "d")
    with pytest.raises(ConfigError, match="no such scenario.*d, hand"):
        load_scenario(tmp_path, "missing")


def test_a_scenario_changes_the_case_and_an_explicit_day_wins(tmp_path):
    import shutil

    client = tmp_path / "voltline"
    shutil.copytree(SAMPLE_DATA_DIR / "voltline", client)
    save_scenario(client, Scenario("lean", {"collector_ftes": 2.0, "agency_fee_pct": 0.3}, handoff_day=60))
    base, none = load_case(client)
    case, chosen = load_case(client, scenario="lean")
    assert none is None and chosen.name == "lean"
    assert case.assumptions.collector_ftes == 2.0 and case.assumptions.agency_fee_pct == 0.3
    assert base.assumptions.collector_ftes == 3.0
    assert case.handoff_day == case.days["hybrid"] == 60
    assert "hybrid" not in base.days and base.handoff_day == base.assumptions.min_placement_age  # nothing beats in-house
    assert load_case(client, scenario="lean", handoff_day=150)[0].handoff_day == 150
    # the client's other assumptions stay: the scenario overrides, it does not replace
    assert case.assumptions.recovery_curve == base.assumptions.recovery_curve
