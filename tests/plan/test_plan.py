"""The action catalog, the plan (choice, order, dates) and its timeline chart (docs/process.md).

Choice and order are checked on a small hand-written catalog whose priorities and dates can be
worked out by hand (see SMALL below); the shipped catalog is checked for coverage, its
dependencies, and (hypothesis) for the scheduling invariants under any context; Voltline and
the open-items sample run end to end.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace

import matplotlib.dates as mdates
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from arassess.assessment.case import assess
from arassess.assessment.maturity import load_questionnaire
from arassess.costs.case import load_case
from arassess.errors import ConfigError
from arassess.kpi.registry import KPIS
from arassess.paths import SAMPLE_DATA_DIR, TEMPLATES_DIR
from arassess.plan.catalog import Action, area_labels, dependency_cycle, load_catalog
from arassess.plan.charts import LABEL_CHARS, gantt_chart, wrap_title
from arassess.plan.roadmap import (
    PLAN_COLUMNS,
    PlanContext,
    action_plan,
    actions_by_area,
    choose_actions,
    plan_context,
    schedule,
    trigger_reasons,
)
from arassess.plan.tables import plan_table

AS_OF = pd.Timestamp("2026-10-31")
D = pd.Timestamp  # short for expected dates


def act(aid: str, trigger: dict, *, effort: int = 2, impact: int = 2, duration: int = 10,
        depends_on: list[str] | None = None, area: str = "kpi") -> dict:
    """One raw catalog entry with neutral texts."""
    entry = {"id": aid, "title": f"Action {aid.upper()}", "area": area, "description": f"Do {aid}.",
             "owner": "CFO", "effort": effort, "impact": impact, "kpis": ["dso"], "effect": "Better.",
             "duration_days": duration, "trigger": trigger}
    if depends_on is not None:
        entry["depends_on"] = depends_on
    return entry


# The small catalog and the context it is read against (CTX): what each action expects.
SMALL = {"version": 1, "actions": [
    act("a", {"maturity_below": {"area": "reminders", "score": 2.0}}, effort=1, impact=4, duration=10,
        area="reminders"),                                                    # 1.5 < 2.0: chosen, priority 4
    act("b", {"kpi_worse_than_benchmark": "dso"}, effort=2, impact=4, duration=20),  # 59.3 > 45: priority 2
    act("c", {"strategy_in": ["agency", "hybrid"]}, effort=2, impact=2, duration=5, depends_on=["a"],
        area="strategy"),                                                     # hybrid: chosen after a
    act("d", {"goal_on": "cei"}, effort=1, impact=1, duration=3, depends_on=["c"]),  # goal on CEI: after c
    act("e", {"maturity_below": {"area": "escalation", "score": 1.0}}, effort=4, impact=2, duration=30,
        area="escalation"),                                                   # 1.5 ≥ 1.0: only pulled in by f
    act("f", {"always": True}, effort=3, impact=3, duration=10, depends_on=["e"]),
    act("g", {"kpi_worse_than": {"kpi": "cei", "value": 70}}),              # CEI 75 ≥ 70: not chosen
    act("h", {"kpi_worse_than_benchmark": "dso_countback"}),                # NaN: never chosen
    act("i", {"maturity_below": {"area": "credit_policy", "score": 4.0}}),  # not assessed: not chosen
    act("j", {"any_of": [{"maturity_below": {"area": "disputes", "score": 2.0}},
                         {"kpi_worse_than_benchmark": "pct_over_90"}]}),    # 12 > 10: chosen, priority 1 quick
    act("k", {"strategy_in": ["in_house"]}),                                # hybrid: not chosen
    act("l", {"always": True}, effort=3, impact=3),                         # priority 1, not a quick win
    act("m", {"always": True}, effort=2, impact=2),                         # priority 1 quick, after j
    act("n", {"always": True}, effort=1, impact=1),                         # priority 1 quick, impact 1
    act("o", {"goal_on": "dso", "kpi_worse_than_benchmark": "cei"}),         # AND: no goal on DSO, not chosen
]}
CTX = PlanContext(as_of=AS_OF, maturity={"reminders": 1.5, "escalation": 1.5, "disputes": 3.0},
                  kpis={"dso": 59.26, "cei": 75.0, "pct_over_90": 12.0, "dso_countback": math.nan},
                  strategy="hybrid", handoff_day=120.0, goals=("cei",), currency="EUR")
# order by start, then priority desc, quick wins first, impact desc, catalog order
EXPECTED_ORDER = ["a", "b", "j", "m", "n", "l", "e", "c", "d", "f"]
EXPECTED_DATES = {  # id: (start, due), due = start + duration, start = as_of + 1 or latest dependency due + 1
    "a": ("2026-11-01", "2026-11-11"), "b": ("2026-11-01", "2026-11-21"), "j": ("2026-11-01", "2026-11-11"),
    "m": ("2026-11-01", "2026-11-11"), "n": ("2026-11-01", "2026-11-11"), "l": ("2026-11-01", "2026-11-11"),
    "e": ("2026-11-01", "2026-12-01"), "c": ("2026-11-12", "2026-11-17"), "d": ("2026-11-18", "2026-11-21"),
    "f": ("2026-12-02", "2026-12-12"),
}


def write(tmp_path: Path, data, name: str = "actions.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return load_catalog(write(tmp_path_factory.mktemp("catalog"), SMALL))


@pytest.fixture(scope="module")
def shipped():
    return load_catalog()


@pytest.fixture(scope="module")
def voltline():
    folder = SAMPLE_DATA_DIR / "voltline"
    return assess(folder), load_case(folder)[0]


def ids(chosen) -> list[str]:
    return [action.id for action, _ in chosen]


# --- choosing ---------------------------------------------------------------------------

def test_the_triggered_actions_and_their_prerequisites_are_chosen_in_catalog_order(small):
    chosen = choose_actions(CTX, small)
    assert ids(chosen) == ["a", "b", "c", "d", "e", "f", "j", "l", "m", "n"]


def test_reasons_cite_the_numbers_behind_each_trigger(small):
    reasons = dict((a.id, r) for a, r in choose_actions(CTX, small))
    assert reasons["a"] == "Reminder cadence and channels scored 1.5 of 4 (below 2.0)"
    assert reasons["b"] == "DSO (period) is 59.3 days, worse than the benchmark 45.0 days"
    assert reasons["c"] == "Recommended strategy: hybrid, hand-off at 120 days past due"
    assert reasons["d"] == "A goal is set on CEI (now 75.0%)"
    assert reasons["e"] == "Needed before: Action F"
    assert reasons["f"] == "Part of every plan"
    assert reasons["j"] == "% of AR over 90 days past due is 12.0%, worse than the benchmark 10.0%"


def test_a_prerequisite_is_pulled_in_transitively(small):
    """Without a strategy c does not trigger and with reminders at 3.0 neither does a, but d
    (goal on CEI) needs c, which needs a."""
    ctx = dataclasses.replace(CTX, strategy=None, handoff_day=None, maturity={**CTX.maturity, "reminders": 3.0})
    reasons = dict((a.id, r) for a, r in choose_actions(ctx, small))
    assert reasons["d"] == "A goal is set on CEI (now 75.0%)"
    assert reasons["c"] == "Needed before: Action D"
    assert reasons["a"] == "Needed before: Action C"


TRIGGER_CASES = {  # name: (trigger, context changes, reasons or None)
    "score_below": ({"maturity_below": {"area": "reminders", "score": 2.0}}, {},
                    ["Reminder cadence and channels scored 1.5 of 4 (below 2.0)"]),
    "score_equal_is_not_below": ({"maturity_below": {"area": "reminders", "score": 1.5}}, {}, None),
    "area_not_assessed": ({"maturity_below": {"area": "training", "score": 4.0}}, {}, None),
    "two_decimals": ({"maturity_below": {"area": "escalation", "score": 2.0}},
                     {"maturity": {"escalation": 0.75}}, ["Escalation procedure scored 0.75 of 4 (below 2.0)"]),
    "lower_is_better_above": ({"kpi_worse_than": {"kpi": "dso", "value": 50}}, {},
                              ["DSO (period) is 59.3 days, worse than the threshold 50.0 days"]),
    "lower_is_better_equal": ({"kpi_worse_than": {"kpi": "dso", "value": 59.26}}, {}, None),
    "higher_is_better_below": ({"kpi_worse_than_benchmark": "cei"}, {},
                               ["CEI is 75.0%, worse than the benchmark 80.0%"]),
    "higher_is_better_above": ({"kpi_worse_than_benchmark": "cei"}, {"kpis": {"cei": 85.0}}, None),
    "kpi_unavailable": ({"kpi_worse_than_benchmark": "dso"}, {"kpis": {"dso": math.nan}}, None),
    "kpi_absent": ({"kpi_worse_than_benchmark": "on_time_rate"}, {}, None),
    "strategy_hybrid": ({"strategy_in": ["hybrid"]}, {},
                        ["Recommended strategy: hybrid, hand-off at 120 days past due"]),
    "strategy_agency": ({"strategy_in": ["agency", "hybrid"]}, {"strategy": "agency", "handoff_day": 30.0},
                        ["Recommended strategy: agency, every overdue claim placed (from 30 days past due)"]),
    "strategy_in_house": ({"strategy_in": ["in_house"]}, {"strategy": "in_house", "handoff_day": None},
                          ["Recommended strategy: in-house (no agency hand-off)"]),
    "strategy_other": ({"strategy_in": ["agency"]}, {}, None),
    "no_strategy": ({"strategy_in": ["agency", "hybrid", "in_house"]}, {"strategy": None}, None),
    "goal_list_any": ({"goal_on": ["dso", "cei"]}, {}, ["A goal is set on CEI (now 75.0%)"]),
    "goal_without_value": ({"goal_on": "pct_over_90"}, {"goals": ("pct_over_90",), "kpis": {}},
                           ["A goal is set on % of AR over 90 days past due"]),
    "no_goal": ({"goal_on": "dso"}, {}, None),
    "and_both_hold": ({"goal_on": "cei", "kpi_worse_than_benchmark": "dso"}, {},
                      ["A goal is set on CEI (now 75.0%)",
                       "DSO (period) is 59.3 days, worse than the benchmark 45.0 days"]),
    "and_one_fails": ({"goal_on": "dso", "kpi_worse_than_benchmark": "dso"}, {}, None),
    "any_of_one": ({"any_of": [{"goal_on": "dso"}, {"always": True}]}, {}, ["Part of every plan"]),
    "any_of_none": ({"any_of": [{"goal_on": "dso"}, {"strategy_in": ["agency"]}]}, {}, None),
    "no_high_risk": ({"high_risk_customers": 1}, {}, None),
    "high_risk_below_minimum": ({"high_risk_customers": 2}, {"high_risk": (("Acme AG", 0.81, 12_300.0, 0.0),)},
                                None),
    "high_risk_one": ({"high_risk_customers": 1}, {"high_risk": (("Acme AG", 0.814, 12_300.4, 0.2),)},
                      ["1 customer at high late-payment risk: Acme AG (score 81%, 12,300 EUR open)"]),
    "high_risk_not_yet_late_first": ({"high_risk_customers": 1},
                                     {"high_risk": (("Acme AG", 0.95, 12_300.4, 0.9), ("Beta GmbH", 0.5, 950.0, 0.1))},
                                     ["2 customers at high late-payment risk; the 1 whose balance is mostly not yet "
                                      "late comes first, as a review can still protect new sales: Beta GmbH (score 50%, "
                                      "950 EUR open), Acme AG (score 95%, 12,300 EUR open)"]),
    "high_risk_first_five": ({"high_risk_customers": 1},
                             {"high_risk": tuple((f"C{i}", 0.9, 100.0, 0.0) for i in range(7))},
                             ["7 customers at high late-payment risk: C0 (score 90%, 100 EUR open), C1 (score 90%, "
                              "100 EUR open), C2 (score 90%, 100 EUR open), C3 (score 90%, 100 EUR open), C4 (score 90%, "
                              "100 EUR open) and 2 more"]),
    "money_kpi": ({"kpi_worse_than": {"kpi": "ar_overdue", "value": 1_000_000}},
                  {"kpis": {"ar_overdue": 1_714_770.0}},
                  ["Overdue AR is 1,714,770 EUR, worse than the threshold 1,000,000 EUR"]),
}


@pytest.mark.parametrize("name", list(TRIGGER_CASES))
def test_trigger_rules(name):
    trigger, changes, expected = TRIGGER_CASES[name]
    assert trigger_reasons(trigger, dataclasses.replace(CTX, **changes)) == expected


# --- scheduling -------------------------------------------------------------------------

def test_plan_order_is_start_then_priority_then_quick_wins_impact_and_catalog_order(small):
    plan = schedule(choose_actions(CTX, small), AS_OF)
    assert list(plan.columns) == PLAN_COLUMNS
    assert list(plan["id"]) == EXPECTED_ORDER
    by_id = plan.set_index("id")
    assert by_id.loc["a", "priority"] == 4.0 and by_id.loc["b", "priority"] == 2.0
    assert by_id.loc["e", "priority"] == 0.5
    assert by_id.loc[["j", "m", "n"], "quick_win"].all() and not by_id.loc["l", "quick_win"]


def test_start_and_due_dates_follow_dependencies_through_chains(small):
    plan = schedule(choose_actions(CTX, small), AS_OF).set_index("id")
    got = {aid: (f"{row.start:%Y-%m-%d}", f"{row.due:%Y-%m-%d}") for aid, row in plan.iterrows()}
    assert got == EXPECTED_DATES
    assert plan.loc["d", "start"] > plan.loc["c", "due"] > plan.loc["c", "start"] > plan.loc["a", "due"]
    assert plan.loc["c", "depends_on"] == "a" and plan.loc["a", "depends_on"] == ""


def test_start_waits_for_the_latest_of_several_dependencies():
    base = dict(title="t", area="kpi", description="d", owner="o", effort=1, impact=1, kpis=(), effect="e",
                trigger={"always": True})
    quick = Action(id="quick", duration_days=3, depends_on=(), **base)
    slow = Action(id="slow", duration_days=40, depends_on=(), **base)
    both = Action(id="both", duration_days=1, depends_on=("quick", "slow"), **base)
    plan = schedule([(quick, "r"), (slow, "r"), (both, "r")], "2026-01-31").set_index("id")
    assert plan.loc["quick", "due"] == D("2026-02-04")  # 1 Feb + 3 days
    assert plan.loc["slow", "due"] == D("2026-03-13")  # 1 Feb + 40 days
    assert plan.loc["both", "start"] == D("2026-03-14")  # the day after the later one
    assert plan.loc["both", "due"] == D("2026-03-15")
    assert plan.loc["both", "depends_on"] == "quick, slow"


def test_schedule_rejects_a_missing_prerequisite_and_a_cycle():
    base = dict(title="t", area="kpi", description="d", owner="o", effort=1, impact=1, kpis=(), effect="e",
                duration_days=1, trigger={"always": True})
    x = Action(id="x", depends_on=("y",), **base)
    with pytest.raises(ValueError, match=r"action 'x' depends on \['y'\], which are not in the plan"):
        schedule([(x, "r")], AS_OF)
    y = Action(id="y", depends_on=("x",), **base)
    with pytest.raises(ValueError, match="dependency cycle"):
        schedule([(x, "r"), (y, "r")], AS_OF)


def test_an_empty_choice_gives_an_empty_plan_with_the_columns(small):
    plan = schedule([], AS_OF)
    assert plan.empty and list(plan.columns) == PLAN_COLUMNS


def test_dependency_cycle_finds_the_path():
    assert dependency_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert dependency_cycle({"a": ["a"]}) == ["a", "a"]
    assert dependency_cycle({"a": ["b", "c"], "b": ["c"], "c": []}) is None


# --- the shipped catalog ----------------------------------------------------------------

def test_shipped_catalog_covers_every_area(shipped):
    areas = {a.area for a in shipped}
    assert areas == set(load_questionnaire().area_keys) | {"kpi", "strategy"} == set(area_labels())
    assert 20 <= len(shipped) <= 35
    assert len({a.id for a in shipped}) == len(shipped)
    keys = {k.key for k in KPIS}
    assert all(set(a.kpis) <= keys and 1 <= a.effort <= 5 and 1 <= a.impact <= 5 for a in shipped)


def test_shipped_catalog_dependencies(shipped):
    by_id = {a.id: a for a in shipped}

    def prerequisites(aid: str) -> set[str]:
        direct = set(by_id[aid].depends_on)
        return direct.union(*(prerequisites(d) for d in direct)) if direct else set()

    assert "clean_contact_data" in by_id["automated_dunning"].depends_on
    assert "escalation_procedure" in prerequisites("agency_handoff")
    assert {"agency_selection", "demand_letters"} <= set(by_id["agency_handoff"].depends_on)
    agency = [a for a in shipped if a.id.startswith("agency_")]
    assert len(agency) == 3 and all(a.trigger == {"strategy_in": ["agency", "hybrid"]} for a in agency)


WORST = PlanContext(as_of=AS_OF, maturity={}, kpis={}, strategy=None, handoff_day=None, goals=())
AREAS = list(load_questionnaire().area_keys)


@st.composite
def contexts(draw):
    maturity = draw(st.dictionaries(st.sampled_from(AREAS), st.floats(0, 4, allow_nan=False)))
    kpis = draw(st.dictionaries(st.sampled_from([k.key for k in KPIS]),
                                st.one_of(st.just(math.nan), st.floats(0, 500, allow_nan=False))))
    strategy = draw(st.sampled_from([None, "in_house", "agency", "hybrid"]))
    handoff = {"hybrid": draw(st.sampled_from([30.0, 120.0])), "agency": 0.0}.get(strategy or "")
    goals = tuple(draw(st.lists(st.sampled_from([k.key for k in KPIS]), unique=True, max_size=5)))
    high_risk = tuple((f"C{i}", 0.6, 1000.0, 0.5) for i in range(draw(st.integers(0, 3))))
    return PlanContext(as_of=draw(st.sampled_from([AS_OF, D("2027-02-28")])), maturity=maturity, kpis=kpis,
                       strategy=strategy, handoff_day=handoff, goals=goals, high_risk=high_risk)


@settings(max_examples=60, deadline=None)
@given(ctx=contexts())
def test_any_context_gives_a_consistent_schedule(shipped, ctx):
    chosen = choose_actions(ctx, shipped)
    plan = schedule(chosen, ctx.as_of).set_index("id")
    assert "plan_kickoff" in plan.index  # always
    assert all(reason for _, reason in chosen)
    for aid, row in plan.iterrows():
        assert row.due - row.start == pd.Timedelta(days=int(row.duration_days))
        deps = [d for d in row.depends_on.split(", ") if d]
        assert set(deps) <= set(plan.index)
        if deps:
            assert row.start == max(plan.loc[deps, "due"]) + pd.Timedelta(days=1)
        else:
            assert row.start == ctx.as_of + pd.Timedelta(days=1)
    starts = list(plan["start"])
    assert starts == sorted(starts)
    agency = {"agency_selection", "agency_handoff", "agency_review"} <= set(plan.index)
    assert agency == (ctx.strategy in ("agency", "hybrid"))
    assert ("credit_review_high_risk" in plan.index) == bool(ctx.high_risk)


def test_the_worst_client_gets_every_action_but_the_other_strategy(shipped):
    ctx = dataclasses.replace(
        WORST, maturity={a: 0.0 for a in AREAS}, strategy="hybrid", handoff_day=90.0,
        kpis={k.key: (1e9 if not k.higher_is_better else 0.0) for k in KPIS if k.higher_is_better is not None},
        goals=tuple(k.key for k in KPIS), high_risk=(("Acme AG", 0.9, 5000.0, 0.0),))
    plan = schedule(choose_actions(ctx, shipped), AS_OF).set_index("id")
    assert set(plan.index) == {a.id for a in shipped} - {"in_house_capacity"}
    chain = plan.loc[["escalation_procedure", "agency_selection", "agency_handoff", "agency_review"]]
    assert (chain["start"].iloc[1:].to_numpy() > chain["due"].iloc[:-1].to_numpy()).all()
    assert "hand-off at 90 days past due" in plan.loc["agency_handoff", "reason"]


# --- bad catalogs -----------------------------------------------------------------------

def _two() -> dict:
    return {"version": 1, "actions": [act("x", {"always": True}), act("y", {"always": True}, depends_on=["x"])]}


def _set(path: tuple, value):
    def change(data):
        target = data["actions"][0]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


BAD_CATALOGS = {  # name: (change to a valid two-action catalog, expected text after the file name)
    "unknown_key": (_set(("colour",), "red"), "action 'x': unknown key(s) ['colour']"),
    "missing_key": (lambda d: d["actions"][0].pop("owner"), "action 'x': missing key(s) ['owner']"),
    "unknown_dependency": (_set(("depends_on",), ["nope"]), "action 'x': 'depends_on': unknown action id 'nope'"),
    "dependency_not_a_list": (_set(("depends_on",), "y"), "action 'x': 'depends_on' must be a list of action ids"),
    "cycle": (_set(("depends_on",), ["y"]), "dependency cycle x → y → x (action 'x', 'depends_on')"),
    "self_cycle": (_set(("depends_on",), ["x"]), "dependency cycle x → x"),
    "unknown_kpi": (_set(("kpis",), ["dso", "dsoo"]), "action 'x': 'kpis': unknown KPI 'dsoo'"),
    "unknown_area": (_set(("area",), "sales"), "action 'x': 'area': unknown area 'sales'"),
    "unknown_maturity_area": (_set(("trigger",), {"maturity_below": {"area": "kpi", "score": 2}}),
                              "action 'x': 'trigger.maturity_below.area': unknown maturity area 'kpi'"),
    "maturity_score_above_scale": (_set(("trigger",), {"maturity_below": {"area": "reminders", "score": 5}}),
                                   "'trigger.maturity_below.score' must be a number above 0 and at most 4"),
    "effort_zero": (_set(("effort",), 0), "action 'x': 'effort' must be a whole number 1–5, got 0"),
    "effort_six": (_set(("effort",), 6), "action 'x': 'effort' must be a whole number 1–5, got 6"),
    "effort_fraction": (_set(("effort",), 2.5), "'effort' must be a whole number 1–5, got 2.5"),
    "effort_bool": (_set(("effort",), True), "'effort' must be a whole number 1–5, got True"),
    "impact_seven": (_set(("impact",), 7), "action 'x': 'impact' must be a whole number 1–5, got 7"),
    "duration_zero": (_set(("duration_days",), 0), "'duration_days' must be a whole number ≥ 1, got 0"),
    "empty_title": (_set(("title",), " "), "action 'x': 'title' must be a non-empty text"),
    "duplicate_id": (_set(("id",), "y"), "action 'y': duplicate id"),
    "bad_id": (_set(("id",), "Bad Id"), "action #1: 'id' must be lower-case letters"),
    "unknown_rule": (_set(("trigger",), {"sometimes": True}), "action 'x': 'trigger.sometimes': unknown rule"),
    "nested_unknown_rule": (_set(("trigger",), {"any_of": [{"always": True}, {"often": 1}]}),
                            "'trigger.any_of[1].often': unknown rule"),
    "empty_trigger": (_set(("trigger",), {}), "'trigger' must be a non-empty mapping of rules"),
    "unknown_trigger_kpi": (_set(("trigger",), {"kpi_worse_than_benchmark": "dsoo"}),
                            "'trigger.kpi_worse_than_benchmark': unknown KPI 'dsoo'"),
    "kpi_without_benchmark": (_set(("trigger",), {"kpi_worse_than_benchmark": "bpdso"}),
                              "KPI 'bpdso' has no benchmark in the registry"),
    "kpi_without_direction": (_set(("trigger",), {"kpi_worse_than": {"kpi": "ar_total", "value": 1}}),
                              "KPI 'ar_total' has no better direction"),
    "threshold_not_a_number": (_set(("trigger",), {"kpi_worse_than": {"kpi": "dso", "value": "high"}}),
                               "'trigger.kpi_worse_than.value' must be a number"),
    "unknown_strategy": (_set(("trigger",), {"strategy_in": ["outsourced"]}),
                         "'trigger.strategy_in' must be a list of strategies from ['in_house', 'agency', 'hybrid']"),
    "always_false": (_set(("trigger",), {"always": False}), "'trigger.always' must be true"),
    "high_risk_zero": (_set(("trigger",), {"high_risk_customers": 0}),
                       "'trigger.high_risk_customers' must be a whole number of customers ≥ 1, got 0"),
    "high_risk_text": (_set(("trigger",), {"high_risk_customers": "many"}),
                       "'trigger.high_risk_customers' must be a whole number of customers ≥ 1, got 'many'"),
    "unknown_goal_kpi": (_set(("trigger",), {"goal_on": ["dso", "xyz"]}), "'trigger.goal_on': unknown KPI 'xyz'"),
    "top_level_key": (lambda d: d.update(extra=1), "unknown key(s) ['extra'] at the top level"),
    "no_actions": (lambda d: d.update(actions=[]), "must be a mapping with 'version' and a non-empty list"),
}


@pytest.mark.parametrize("name", list(BAD_CATALOGS))
def test_bad_catalogs_name_the_file_action_and_key(tmp_path, name):
    change, expected = BAD_CATALOGS[name]
    data = copy.deepcopy(_two())
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert expected in message


def test_every_problem_of_a_catalog_is_reported_at_once(tmp_path):
    data = _two()
    data["actions"][0].update(effort=9, area="sales")
    data["actions"][1]["depends_on"] = ["zz"]
    message = str(pytest.raises(ConfigError, load_catalog, write(tmp_path, data)).value)
    assert "'effort' must be a whole number 1–5, got 9" in message
    assert "'area': unknown area 'sales'" in message
    assert "action 'y': 'depends_on': unknown action id 'zz'" in message


def test_missing_and_unreadable_catalog_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalog(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"actions.yaml is not valid YAML \(line \d+, column \d+\)"):
        load_catalog(write(tmp_path, "actions:\n  - id: [unclosed\n"))


def test_a_valid_small_catalog_round_trips(small):
    a = small[0]
    assert a == Action(id="a", title="Action A", area="reminders", description="Do a.", owner="CFO", effort=1,
                       impact=4, kpis=("dso",), effect="Better.", duration_days=10, depends_on=(),
                       trigger={"maturity_below": {"area": "reminders", "score": 2.0}})
    assert a.priority == 4.0 and a.quick_win


def test_catalog_default_path_is_the_template():
    assert (TEMPLATES_DIR / "actions.yaml").is_file()


# --- from an assessment -----------------------------------------------------------------

def test_plan_context_from_voltline(voltline):
    a, case = voltline
    ctx = plan_context(a, case, [SimpleNamespace(key="dso"), SimpleNamespace(key="cei"), SimpleNamespace(key="dso")])
    assert ctx.as_of == D("2026-10-31")
    assert ctx.maturity["reminders"] == 1.5 and ctx.maturity["escalation"] == 0.75 and len(ctx.maturity) == 9
    assert ctx.kpis["dso"] == pytest.approx(a.table.value("dso", a.as_of))
    assert ctx.strategy == "in_house" and ctx.handoff_day is None  # the sample's own curve keeps it in-house
    assert ctx.goals == ("dso", "cei")
    assert plan_context(a, None, []).strategy is None and plan_context(a, None, []).handoff_day is None
    agency = plan_context(a, dataclasses.replace(case, strategy="agency"), [])
    assert agency.handoff_day == 30.0  # every claim placed, from the minimum placement age
    assert plan_context(a, _hybrid(case), []).handoff_day == 120.0


def _hybrid(case):
    """The sample's case as if a hand-off at 120 days were recommended (the plan's hand-off path)."""
    return dataclasses.replace(case, strategy="hybrid", days={**case.days, "hybrid": 120.0})


def test_voltline_in_house_plan_staffs_the_team(voltline):
    a, case = voltline
    plan = action_plan(a, case, [SimpleNamespace(key="dso")]).set_index("id")
    assert plan.loc["in_house_capacity", "reason"] == "Recommended strategy: in-house (no agency hand-off)"
    assert not {"agency_selection", "agency_handoff", "agency_review"} & set(plan.index)


def test_voltline_plan_cites_the_client_values(voltline):
    a, case = voltline
    plan = action_plan(a, _hybrid(case), [SimpleNamespace(key="dso")]).set_index("id")
    dso = a.table.value("dso", a.as_of)
    reasons = plan["reason"]
    # the published benchmark of a Western European client (Intrum, 34 days), not the rule of thumb 45
    assert f"{dso:.1f} days, worse than the benchmark 34.0 days" in reasons["dso_glide_path"]
    assert reasons["escalation_procedure"] == "Escalation procedure scored 0.75 of 4 (below 2.0)"
    assert reasons["agency_handoff"] == "Recommended strategy: hybrid, hand-off at 120 days past due"
    top10 = a.table.value("top10_overdue_share", a.as_of)
    assert f"is {top10:.1f}%, worse than the benchmark 50.0%" in reasons["key_account_calls"]
    # not triggered: % over 90 (7.0%) and bad debt (0.8%) are within benchmark, technology 1.75 ≥ 1.5,
    # days to pay 51.9 < 60, the strategy is not in-house, credit policy 2.25 ≥ 2.0, no goal on CEI etc.
    for absent in ("payment_plans", "cash_application", "early_payment_discount", "in_house_capacity",
                   "credit_policy_written", "collector_targets"):
        assert absent not in plan.index
    high = a.risk.high_risk()
    assert a.risk.available and len(high) >= 1
    early = high[high["already_late_share"] < 0.5]
    first = early.iloc[0]
    assert reasons["credit_review_high_risk"].startswith(
        f"{len(high)} customers at high late-payment risk; the {len(early)} whose balance is mostly not yet late "
        f"come first, as a review can still protect new sales: {first['customer_name']} (score {first['score']:.0%}, "
        f"{first['open_amount']:,.0f} EUR open)")
    assert plan["start"].min() == D("2026-11-01")
    assert plan.loc["agency_handoff", "start"] > plan.loc["demand_letters", "due"]
    assert plan.loc["agency_handoff", "start"] > plan.loc["agency_selection", "due"]
    assert plan.loc["automated_dunning", "start"] > plan.loc["clean_contact_data", "due"]
    table = plan_table(plan.reset_index())
    assert list(table.columns[:3]) == ["Action", "Area", "Owner"] and len(table) == len(plan)
    counts = actions_by_area(plan.reset_index())
    assert counts.sum() == len(plan) and counts["Collection strategy"] == 3


def test_open_items_plan_skips_kpis_it_cannot_compute():
    folder = SAMPLE_DATA_DIR / "northwind_open_items"
    a = assess(folder)
    case = load_case(folder)[0]
    plan = action_plan(a, case, [SimpleNamespace(key="dso")]).set_index("id")
    assert "dso_glide_path" not in plan.index  # DSO is NaN without sales history
    assert "standard_terms" in plan.index and "days to pay" not in plan.loc["standard_terms", "reason"].lower()
    over90 = a.table.value("pct_over_90", a.as_of)
    assert f"{over90:.1f}%, worse than the benchmark 10.0%" in plan.loc["payment_plans", "reason"]
    if case.strategy == "agency":
        assert "every overdue claim placed" in plan.loc["agency_handoff", "reason"]


# --- the timeline -----------------------------------------------------------------------

def test_gantt_chart_draws_one_bar_per_action_and_the_as_of_line(small):
    plan = schedule(choose_actions(CTX, small), AS_OF)
    fig = gantt_chart(plan, AS_OF)
    png = fig._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_width() > 0]
    assert len(bars) == len(plan)
    f_bar = bars[list(plan["id"]).index("f")]
    assert f_bar.get_x() == pytest.approx(mdates.date2num(D("2026-12-02")))
    assert f_bar.get_width() == pytest.approx(10)
    lines = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [line.get_xdata()[0] for line in lines] == [mdates.date2num(AS_OF)]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(plan["title"])


def test_gantt_chart_grows_with_rows_and_wraps_titles(shipped):
    ctx = dataclasses.replace(WORST, maturity={a: 0.0 for a in AREAS}, strategy="hybrid", handoff_day=90.0)
    plan = schedule(choose_actions(ctx, shipped), AS_OF)
    big, few = gantt_chart(plan), gantt_chart(plan.head(3))
    assert big.get_figheight() > few.get_figheight() + 5
    labels = [t.get_text() for t in big.axes[0].get_yticklabels()]
    lines = [line for label in labels for line in label.split("\n")]
    assert max(map(len, lines)) <= LABEL_CHARS and max(label.count("\n") for label in labels) <= 1
    # whole titles, broken between words only: joined back they read as written, nothing cut off
    assert [label.replace("\n", " ") for label in labels] == list(plan["title"])
    long = plan["title"].str.len() > LABEL_CHARS
    assert long.any() and all("\n" in labels[i] for i in plan.index[long])
    assert not any("…" in label for label in labels)
    assert big._repr_png_()[:4] == b"\x89PNG"


def test_gantt_rows_grow_when_titles_take_two_lines(small):
    plan = schedule(choose_actions(CTX, small), AS_OF)
    wordy = plan.assign(title="Log every dispute with its cause, owner and deadline")  # 51 characters
    one_line, two_lines = gantt_chart(plan, AS_OF), gantt_chart(wordy, AS_OF)
    assert two_lines.get_figheight() > one_line.get_figheight()
    assert {t.get_text() for t in two_lines.axes[0].get_yticklabels()} == \
        {"Log every dispute with its cause,\nowner and deadline"}  # not "…owner and dea…"
    assert two_lines._repr_png_()[:4] == b"\x89PNG"


def test_wrap_title_breaks_between_words():
    assert wrap_title("Invoice on the day of delivery") == "Invoice on the day of delivery"
    assert wrap_title("  Review   dispute causes monthly with sales and operations ") == \
        "Review dispute causes monthly with\nsales and operations"
    very_long = " ".join(["collect"] * 20)  # 159 characters: two lines, then "…" after a whole word
    first, second = wrap_title(very_long).split("\n")
    assert len(first) <= LABEL_CHARS and len(second) <= LABEL_CHARS
    assert second.endswith("collect …")


def test_gantt_chart_of_an_empty_plan_says_so():
    fig = gantt_chart(schedule([], AS_OF))
    assert any("no action in the plan" in t.get_text() for t in fig.axes[0].texts)


def test_the_plan_leads_with_cards_for_actions_worklist_answer_and_goals():
    from arassess.plan.case import load_plan_case
    from arassess.plan.sections import headline, headline_cards

    pc = load_plan_case(SAMPLE_DATA_DIR / "voltline", planned_on="2026-10-31")
    cards = {c.key: c for c in headline_cards(pc)}
    assert list(cards) == ["actions", "worklist", "strategy", "goals"]
    assert (cards["actions"].figure, cards["actions"].unit) == (f"{len(pc.plan)}", "actions")
    assert cards["actions"].note.endswith(f"the first due {pc.plan['due'].min():%d %B %Y}")
    assert cards["worklist"].figure == f"{len(pc.worklist):,}"
    open_amount = pc.worklist["open_amount"].sum()
    assert cards["worklist"].note.startswith(f"{open_amount:,.0f} EUR open at {pc.worklist['customer_id'].nunique()}")
    assert cards["strategy"].figure == "Keep collections in-house" == pc.summary()["strategy"].replace(
        "in_house", "Keep collections in-house")
    assert cards["goals"].figure == "3" and cards["goals"].note.startswith("DSO to 52.3 days by")
    assert 'data-kpi="worklist">' in headline(pc).data
