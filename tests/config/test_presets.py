"""Industry presets: the shipped file checked, a preset changes exactly the defaults it names, the
client's own settings win key by key, and the cost assumptions say which input came from a preset."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from arassess.config import presets as cp
from arassess.config.client import load_config
from arassess.errors import ConfigError

BASE = "name: Test Client\ncurrency: EUR\n"


def client(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "client.yaml").write_text(BASE + text, encoding="utf-8")
    return folder


def _leaves(value, prefix=""):
    if isinstance(value, dict) and prefix != "kpis.aging_edges.":
        out = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): value}


def test_every_shipped_preset_names_an_industry_and_a_reason_for_each_setting():
    shipped = cp.read_presets()
    assert set(shipped) == {"distribution_wholesale", "manufacturing", "construction", "business_services",
                            "software_saas", "agricultural_commodities", "ecommerce"}
    for key, preset in shipped.items():
        assert preset.settings["industry"] == key  # each preset picks its industry's benchmarks
        for dotted in _leaves(preset.settings):
            covering = next(k for k in cp.PRESET_KEYS if dotted == k or dotted.startswith(k + "."))
            assert len(preset.why[covering]) > 40, (key, covering)
        assert "terms" not in str(preset.settings)  # payment terms come from the ledger's due dates


@pytest.mark.parametrize("key", sorted(cp.read_presets()))
def test_a_preset_changes_the_defaults_it_names_and_nothing_else(tmp_path, key):
    plain = load_config(client(tmp_path / "plain", ""))
    preset = load_config(client(tmp_path / "preset", f"preset: {key}\n"))
    settings = cp.read_presets()[key].settings
    changed = {f.name for f in dataclasses.fields(plain)
               if f.name not in ("root", "files", "preset") and getattr(plain, f.name) != getattr(preset, f.name)}
    named = {"industry"} | ({"aging_edges"} if "kpis" in settings else set()) \
        | {s for s in ("costs", "escalation") if s in settings}
    assert changed == named
    assert preset.industry == key
    if "kpis" in settings:
        assert list(preset.aging_edges) == settings["kpis"]["aging_edges"]
    for section in ("costs", "escalation"):
        if section in settings:
            assert _leaves(dict(getattr(preset, section))) == _leaves(settings[section])
    assert preset.preset is not None and preset.preset.key == key
    assert {k for k, _, _ in preset.preset.applied} == set(_leaves(settings))


def test_the_clients_own_settings_win_key_by_key(tmp_path):
    cfg = load_config(client(tmp_path / "c", "preset: construction\nindustry: manufacturing\n"
                                              "kpis: {aging_edges: [0, 30, 60, 90, 120, 365]}\n"
                                              "costs: {effort_hours: {demand_letter: 0.75}, hours_per_placement: 2}\n"))
    assert cfg.industry == "manufacturing"
    assert cfg.aging_edges == (0, 30, 60, 90, 120, 365)
    assert dict(cfg.costs["effort_hours"]) == {"demand_letter": 0.75, "final_notice": 1.0}  # the preset's rest stays
    assert cfg.costs["hours_per_claim_month"] == 1.0 and cfg.costs["hours_per_placement"] == 2
    applied = [k for k, _, _ in cfg.preset.applied]
    assert applied == ["costs.effort_hours.final_notice", "costs.hours_per_claim_month"]
    assert cfg.preset.keys("costs") == {"effort_hours", "hours_per_claim_month"}
    lines = cfg.preset.lines()
    assert lines[0].startswith("costs.effort_hours = final_notice 1.0: arassess convention")
    assert lines[1].startswith("costs.hours_per_claim_month = 1.0: arassess convention")


def test_a_ladder_preset_merges_with_the_clients_steps(tmp_path):
    cfg = load_config(client(tmp_path / "c", "preset: agricultural_commodities\n"
                                              "escalation: {steps: {firm_reminder: null}}\n"))
    assert dict(cfg.escalation["steps"]) == {"friendly_reminder": 3, "firm_reminder": None, "demand_letter": 14}
    assert "7 U.S.C. 499e(c)(3)" in cfg.preset.reason("escalation.steps")


def test_without_a_preset_nothing_is_laid_beneath(tmp_path):
    assert load_config(client(tmp_path / "c", "")).preset is None


def test_an_unknown_preset_names_the_valid_ones(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(client(tmp_path / "c", "preset: shipbuilding\n"))
    message = str(err.value)
    assert "'preset' must be one of distribution_wholesale, manufacturing" in message and "'shipbuilding'" in message


@pytest.mark.parametrize("settings, why, message", [
    ({"industry": "construction", "currency": "USD"}, {"industry": "x" * 50},
     "settings.currency is not a setting a preset may hold"),
    ({"industry": "construction", "kpis": {"aging_edges": [0, 30]}}, {"industry": "x" * 50},
     "why.kpis.aging_edges is missing: every preset setting states its reason"),
])
def test_a_broken_preset_file_names_the_preset_and_the_key(tmp_path, settings, why, message):
    path = tmp_path / "presets.yaml"
    path.write_text(yaml.safe_dump({"presets": {"builders": {"label": "Builders", "settings": settings, "why": why}}}),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        cp.read_presets(path)
    assert f"{path}: presets.builders" in str(err.value) and message in str(err.value)
