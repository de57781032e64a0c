"""The CFO dashboard's panel without a browser: sliders → assumptions → decision, reset, save."""

from __future__ import annotations

import base64
import re
import shutil

import numpy as np
import pytest

from arassess.costs.case import analyse, load_case, with_lever
from arassess.costs.dashboard import CostDashboard, scenario_costs
from arassess.costs.scenarios import load_scenario
from arassess.paths import SAMPLE_DATA_DIR


@pytest.fixture(scope="module")
def voltline_case():
    return load_case(SAMPLE_DATA_DIR / "voltline")[0]


@pytest.fixture
def panel(voltline_case, tmp_path):
    client = tmp_path / "voltline"
    shutil.copytree(SAMPLE_DATA_DIR / "voltline", client)
    return CostDashboard(voltline_case, client)


def strategy(p: CostDashboard) -> str:
    return re.search(r'data-strategy="(\w+)"', p.decision.value).group(1)


def test_starts_at_the_client_assumptions(panel, voltline_case):
    assert panel.assumptions() == voltline_case.assumptions
    assert (panel.ftes.value, panel.salary.value, panel.fee.value) == (3.0, 42_800, 25.0)
    assert panel.handoff.value == voltline_case.handoff_day and panel.optimal.value
    assert strategy(panel) == voltline_case.strategy == "in_house"
    panel.wait()  # the charts follow the answer
    assert panel.status.value.endswith(">Updated</span>")  # no timing for a CFO, the answer said once
    assert len(panel.charts.outputs) == 4
    assert 'data-done="' in panel.done.value
    for o in panel.charts.outputs:  # base64 text, as the front end needs (bytes show as broken images)
        png = o["data"]["image/png"]
        assert isinstance(png, str) and base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def northwind_case():
    return load_case(SAMPLE_DATA_DIR / "northwind_open_items")[0]


def test_fee_slider_past_break_even_flips_to_what_the_library_says(northwind_case, tmp_path):
    case = northwind_case
    panel = CostDashboard(case, tmp_path)
    be = case.break_evens[0]
    assert be.lever == "agency_fee_pct" and be.after == "agency" and 0.01 < be.value < 0.05
    panel.fee.value = 1
    expected = analyse(case.client, case.currency, case.as_of, case.claims, case.flow, case.book,
                       with_lever(case.assumptions, "agency_fee_pct", 0.01, case.book), None, case.input_notes,
                       case.observed, case.provenance)
    assert strategy(panel) == expected.strategy == "agency"
    panel.fee.value = 10
    assert strategy(panel) == case.strategy == "in_house"


def test_moving_d_leaves_optimal_and_the_optimal_box_brings_it_back(panel, voltline_case):
    panel.handoff.value = 300
    assert not panel.optimal.value and panel.case.days["hybrid"] == 300
    assert np.isnan(panel.case.optimal_day) and np.isnan(voltline_case.optimal_day)  # no hand-off pays
    panel.optimal.value = True
    assert panel.handoff.value == voltline_case.handoff_day and "hybrid" not in panel.case.days


def test_the_answer_comes_first_and_the_break_evens_follow(panel):
    panel.fee.value = 30
    assert "working them out" in panel.decision.value and not panel.case.sensitive
    panel.wait()
    assert panel.case.sensitive and "working them out" not in panel.decision.value
    assert "Agency fee" in panel.decision.value and len(panel.charts.outputs) == 4


def test_capacity_shortfall_is_said(panel):
    panel.ftes.value = 1.0
    assert "short by" in panel.decision.value and "team of 1 FTE" in panel.decision.value
    assert strategy(panel) == "in_house"  # the head count checks capacity; it does not decide


def test_reset_restores_the_client_assumptions(panel, voltline_case):
    panel.ftes.value, panel.fee.value, panel.relationship.value = 1.0, 50, 10
    panel.handoff.value = 30
    panel.reset.click()
    assert panel.assumptions() == voltline_case.assumptions
    assert panel.optimal.value and strategy(panel) == "in_house"
    assert panel.case.result["net_recovery"].tolist() == voltline_case.result["net_recovery"].tolist()


def test_save_writes_only_the_changes_and_refuses_to_overwrite(panel):
    panel.fee.value = 35
    panel.ftes.value = 2.5
    panel.name.value = "cheaper-team"
    panel.save.click()
    assert "data-saved" in panel.status.value
    shown = re.sub(r'data-saved="[^"]*"', "", panel.status.value)  # the page's text: no server path
    assert str(panel.client_dir) not in shown and "(scenarios/cheaper-team.yaml)" in shown
    saved = load_scenario(panel.client_dir, "cheaper-team")
    assert saved.costs == {"collector_ftes": 2.5, "agency_fee_pct": 0.35}
    assert saved.handoff_day is None and saved.as_of == "2026-10-31"  # D followed the optimum
    before = (panel.client_dir / "scenarios" / "cheaper-team.yaml").read_bytes()
    panel.ftes.value = 4.0
    panel.save.click()
    assert "Not saved" in panel.status.value and "already exists" in panel.status.value
    assert str(panel.client_dir) not in panel.status.value
    assert (panel.client_dir / "scenarios" / "cheaper-team.yaml").read_bytes() == before
    panel.name.value = "../../etc"
    panel.save.click()
    assert "Not saved" in panel.status.value and "scenario name" in panel.status.value


def test_fee_schedule_client_scales_its_schedule_to_the_chosen_effective_fee(tmp_path):
    from arassess.costs.case import effective_fee

    case = load_case(SAMPLE_DATA_DIR / "northwind_open_items")[0]
    p = CostDashboard(case, tmp_path)
    assert case.assumptions.agency_fee_pct is None
    assert p.assumptions() == case.assumptions and "fee schedule × 1.00" in p.fee_note.value
    assert p.fee.value == pytest.approx(100 * case.break_evens[0].base_value, abs=0.5)  # the effective rate
    p.fee.value = 30
    moved = p.assumptions()
    assert moved.agency_fee_pct is None  # still the schedule, scaled
    assert effective_fee(moved, case.book) == pytest.approx(0.3)
    assert f"× {moved.agency_fee_scale:.2f}" in p.fee_note.value
    assert scenario_costs(moved, case.assumptions) == {"agency_fee_scale": moved.agency_fee_scale}
    p.reset.click()
    assert p.assumptions() == case.assumptions


def test_every_input_says_where_it_comes_from(panel):
    shown = panel.inputs.value
    assert shown.startswith("<details>") and "Inputs and where they come from" in shown
    assert "from your ledger" in shown and "set for this client" in shown and "default" in shown


def test_a_groups_reset_restores_only_that_groups_controls(panel, voltline_case):
    a = voltline_case.assumptions
    panel.salary.value = 60_000
    panel.fee.value = 10
    panel.rate.value = 12.0
    panel.handoff.value = 90  # leaves "D = optimal"
    assert panel.assumptions().collector_salary == 60_000 and not panel.optimal.value
    panel.group_resets["Team"].click()
    assert panel.salary.value == a.collector_salary                      # the team's salary is back
    assert panel.fee.value == 10 and panel.rate.value == 12.0              # the other groups keep theirs
    assert panel.assumptions().agency_fee_pct == pytest.approx(0.10)       # the moved fee still counts
    panel.group_resets["Agency"].click()
    assert panel.fee.value == 25.0 and panel.assumptions().agency_fee_pct == a.agency_fee_pct  # not a flat fee
    assert panel.rate.value == 12.0 and not panel.optimal.value
    panel.group_resets["Hand-off"].click()
    assert panel.optimal.value and panel.handoff.value == voltline_case.handoff_day
    panel.reset.click()                                                   # and everything at once
    assert panel.assumptions() == a
    panel.wait()
    assert strategy(panel) == voltline_case.strategy
    assert [b.description for b in panel.group_resets.values()] == [
        "Reset team", "Reset agency", "Reset money and time", "Reset hand-off"]


def test_the_answer_leads_as_cards_that_follow_a_change(panel, voltline_case):
    from arassess.display.format import money_text

    net = voltline_case.result["net_recovery"].astype(float)
    cards = panel.headline.value
    assert 'data-kpi="strategy">Keep collections in-house<' in cards
    assert f'data-kpi="net">{money_text(net["in_house"])}<' in cards and "a year, net of fees" in cards
    runner = net.drop("in_house").idxmax()
    assert f'data-kpi="lead">{money_text(net["in_house"] - net[runner])}<' in cards
    assert panel.widget.children.index(panel.headline) < panel.widget.children.index(panel.decision)
    panel.in_scale.value = 0.5  # a much weaker team: the answer moves, and the cards with it
    assert strategy(panel) != "in_house"
    assert 'data-kpi="strategy">Keep collections in-house<' not in panel.headline.value
