"""Goals: defaults from known baselines, overrides and their validation, glide paths, cash effects,
saving with a backup, the chart, the report sections and the dashboard panel (without a browser).

The hand-built client (``hand_built``) is small enough to compute every KPI by hand, at
T = 2026-03-31 with the 90-day window (S = 2025-12-31):

- I0 1,000 invoiced 2025-12-01, paid 2025-12-20 (before S: AR(S) = 0);
- I1 9,000 invoiced 2026-01-10, due 2026-02-09, open (50 days past due at T);
- I2 9,000 invoiced 2026-03-20, due 2026-04-19, open (current).

Sales (S, T] = 18,000; AR(T) = 18,000, current AR 9,000, nothing over 90 days, so
DSO = 18,000 / 18,000 × 90 = 90, BPDSO = 9,000 / 18,000 × 90 = 45, % over 90 = 0,
CEI = (0 + 18,000 − 18,000) / (0 + 18,000 − 9,000) × 100 = 0 (denominator 9,000);
annual credit sales (year to T) = 19,000.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.display import Markdown

from arassess.assessment.case import assess
from arassess.errors import ConfigError
from arassess.goals.case import GoalsCase, load_goals_case
from arassess.goals.cash import cash_basis, cash_effect
from arassess.goals.charts import glide_path_chart
from arassess.goals.dashboard import GoalsDashboard
from arassess.goals.model import Goal, glide_dates, glide_path, glide_paths, planning_start
from arassess.goals.sections import section
from arassess.goals.store import GOALS_FILE, save_goals, save_goals_with_backup
from arassess.goals.targets import (
    GOAL_KPIS,
    default_deadline,
    default_goals,
    default_target,
    goal_set,
    goals_table,
    resolve_goals,
    validate_goal,
)
from arassess.paths import SAMPLE_DATA_DIR

VOLTLINE = SAMPLE_DATA_DIR / "voltline"
NORTHWIND = SAMPLE_DATA_DIR / "northwind_open_items"
HAND_INVOICES = ("invoice_id,customer_id,invoice_date,due_date,amount,paid_date\n"
                 "I0,C1,2025-12-01,2025-12-31,1000,2025-12-20\n"
                 "I1,C1,2026-01-10,2026-02-09,9000,\n"
                 "I2,C2,2026-03-20,2026-04-19,9000,\n")
HAND_YAML = {"as_of": "2026-03-31", "shape": "ledger", "costs": {"borrowing_rate": 0.05}}
AS_OF = pd.Timestamp("2026-10-31")


def hand_client(root, make_client, goals=None):
    extra = {**HAND_YAML, **({"goals": goals} if goals is not None else {})}
    return make_client(root, HAND_INVOICES, yaml_extra=extra, name="Hand Built")


@pytest.fixture(scope="module")
def hand_built(tmp_path_factory, make_client):
    return assess(hand_client(tmp_path_factory.mktemp("hand") / "hand", make_client))


@pytest.fixture(scope="module")
def voltline():
    return assess(VOLTLINE)


@pytest.fixture(scope="module")
def northwind():
    return assess(NORTHWIND)


def with_goals(a, goals):
    """The assessment with client.yaml's ``goals:`` replaced (no re-assessment)."""
    return dataclasses.replace(a, config=dataclasses.replace(a.config, goals=goals))


def goal(key="dso", baseline=60.0, target=45.0, deadline="2027-01-31", owner="Head of credit control",
         source="client.yaml", unit="days", higher_is_better=False):
    return Goal(key, key.upper(), unit, higher_is_better, baseline, target, pd.Timestamp(deadline), owner, source)


# --- defaults -------------------------------------------------------------------------------------

DEFAULT_CASES = {
    # name: (key, baseline, bpdso, expected target or None)
    "dso_worse_than_bpdso_plus_10": ("dso", 60.0, 40.0, 50.0),
    "dso_rounded_down_to_0.1": ("dso", 60.0, 42.34, 52.3),
    "dso_already_within_10_days_modest": ("dso", 48.0, 40.0, 47.2),       # 48 − 10% × (48 − 40)
    "dso_at_bpdso_no_goal": ("dso", 40.0, 40.0, None),
    "dso_without_bpdso_uses_benchmark_45": ("dso", 60.0, float("nan"), 45.0),
    "over_90_above_10_to_10": ("pct_over_90", 18.04, float("nan"), 10.0),
    "over_90_below_10_modest": ("pct_over_90", 6.95, float("nan"), 6.2),  # 6.95 × 0.9 = 6.255 → 6.2
    "over_90_at_zero_no_goal": ("pct_over_90", 0.0, float("nan"), None),
    "cei_below_80_to_80": ("cei", 70.0, float("nan"), 80.0),
    "cei_above_80_modest_rounded_up": ("cei", 83.29, float("nan"), 85.0),  # 83.29 + 1.671 = 84.961 → 85.0
    "cei_at_100_no_goal": ("cei", 100.0, float("nan"), None),
    "unmeasured_no_goal": ("cei", float("nan"), float("nan"), None),
}


@pytest.mark.parametrize("case", DEFAULT_CASES)
def test_default_target_rules(case):
    key, baseline, bpdso, expected = DEFAULT_CASES[case]
    found = default_target(key, baseline, bpdso)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found[0] == pytest.approx(expected, abs=1e-9)
        assert found[1]  # the rule is stated


def test_default_rule_text_says_which_rule():
    assert "BPDSO 40.0 + 10 days" in default_target("dso", 60.0, 40.0)[1]
    assert "modest improvement" in default_target("cei", 83.29)[1]
    assert "benchmark ≤ 10" in default_target("pct_over_90", 18.0)[1]


def test_defaults_of_the_hand_built_client(hand_built):
    a = hand_built
    assert (a.table.value("dso", a.as_of), a.table.value("bpdso", a.as_of)) == (90.0, 45.0)
    goals = {g.key: g for g in default_goals(a)}
    assert list(goals) == ["dso", "cei"]  # % over 90 is 0: already the best value, no goal
    assert (goals["dso"].baseline, goals["dso"].target) == (90.0, 55.0)  # BPDSO 45 + 10
    assert (goals["cei"].baseline, goals["cei"].target) == (0.0, 86.5)  # the CRF median (all companies)
    assert "CRF median, US, 2021" in goals["cei"].source
    assert {g.deadline for g in goals.values()} == {pd.Timestamp("2027-03-31")}  # 12 months on
    assert goals["dso"].owner == "Head of credit control" and goals["dso"].source.startswith("default: ")
    notes = goal_set(a).notes
    assert any("% of AR over 90" in n and "best possible" in n for n in notes)


def test_defaults_of_voltline_follow_from_its_baseline(voltline):
    a = voltline
    value = {k: a.table.value(k, a.as_of) for k in ("dso", "bpdso", "pct_over_90", "cei")}
    goals = {g.key: g for g in default_goals(a)}
    assert list(goals) == ["dso", "pct_over_90", "cei"]
    # DSO 59.3 > BPDSO 42.3 + 10: target BPDSO + 10, rounded down to 0.1
    assert goals["dso"].target == math.floor((value["bpdso"] + 10) * 10) / 10 == 52.3
    # % over 90 is 7.0, within the 10% benchmark: modest, 10% of the way to 0
    assert goals["pct_over_90"].target == math.floor(value["pct_over_90"] * 0.9 * 10) / 10 == 6.2
    # CEI 83.3 is below its published benchmark, the CRF median 86.5 (the rule of thumb 80 would
    # have asked only a modest 85.0): the target is the benchmark
    assert value["cei"] < 86.5 and goals["cei"].target == 86.5
    assert all(g.baseline == value[g.key] for g in goals.values())
    assert all(g.deadline == pd.Timestamp("2027-10-31") for g in goals.values())


def test_open_items_get_only_the_goals_their_data_measures(northwind):
    found = goal_set(northwind)
    assert [g.key for g in found.goals] == ["pct_over_90"]
    assert found.goals[0].target == 10.0 and found.goals[0].baseline == pytest.approx(18.0424, abs=1e-4)
    assert any(n.startswith("No default goal for DSO") for n in found.notes)
    assert any(n.startswith("No default goal for CEI") for n in found.notes)


# --- overrides ------------------------------------------------------------------------------------

def test_client_yaml_overrides_a_default_field_by_field(tmp_path, make_client):
    folder = hand_client(tmp_path / "c", make_client,
                         goals={"dso": {"target": 60, "deadline": "2026-12-31", "owner": "CFO"},
                                "cei": {"owner": "Credit manager"}})
    goals = {g.key: g for g in resolve_goals(assess(folder))}
    assert (goals["dso"].target, goals["dso"].deadline, goals["dso"].owner) == (60.0, pd.Timestamp("2026-12-31"), "CFO")
    assert goals["dso"].source == "client.yaml"
    assert (goals["cei"].target, goals["cei"].owner, goals["cei"].source) == (86.5, "Credit manager", "client.yaml")


def test_goals_yaml_wins_over_client_yaml(hand_built, tmp_path):
    a = with_goals(hand_built, {"dso": {"target": 60, "owner": "CFO"}})
    (tmp_path / GOALS_FILE).write_text("goals:\n  dso: {target: 50}\n", encoding="utf-8")
    goals = {g.key: g for g in resolve_goals(a, tmp_path)}
    assert goals["dso"].target == 50.0 and goals["dso"].source == "goals.yaml"
    assert goals["dso"].owner == "CFO"  # goals.yaml did not set the owner: client.yaml's stays


def test_a_goal_for_a_kpi_without_default_and_skip(hand_built, tmp_path):
    a = with_goals(hand_built, {"pct_over_90": {"target": 0}, "cei": {"skip": True}})
    found = goal_set(a, tmp_path)
    assert [g.key for g in found.goals] == ["dso", "pct_over_90"]
    extra = found.goals[1]
    assert (extra.target, extra.deadline, extra.source) == (0.0, pd.Timestamp("2027-03-31"), "client.yaml")
    assert any("CEI" in n and "skip" in n for n in found.notes)


def test_a_goal_on_a_kpi_the_data_cannot_measure_is_skipped_with_a_note(northwind, tmp_path):
    found = goal_set(with_goals(northwind, {"dso": {"target": 40}}), tmp_path)
    assert "dso" not in [g.key for g in found.goals]
    assert any("DSO (period) in client.yaml is skipped" in n for n in found.notes)


BAD_OVERRIDES = {
    # name: (goals mapping, regex the message must match)
    "unknown_kpi": ({"dsoo": {"target": 50}}, r"unknown goal key\(s\) \['dsoo'\].*valid keys are \[.*'dso'.*'cei'"),
    "no_direction_kpi": ({"ar_total": {"target": 5}}, r"unknown goal key\(s\) \['ar_total'\]"),
    "unknown_field": ({"dso": {"targte": 50}}, r"'goals.dso': unknown key\(s\) \['targte'\]; valid keys are "
                                               r"\['target', 'deadline', 'owner', 'skip'\]"),
    "text_target": ({"dso": {"target": "fifty"}}, r"'goals.dso.target' must be a number.*'fifty'"),
    "bool_target": ({"dso": {"target": True}}, r"'goals.dso.target' must be a number"),
    "target_worse": ({"dso": {"target": 95}}, r"'goals.dso.target' is 95, worse than the baseline 90.0 at "
                                             r"2026-03-31 \(DSO \(period\): lower is better\)"),
    "cei_target_worse": ({"cei": {"target": -1}}, r"'goals.cei.target' must be a percentage from 0 to 100"),
    "percent_over_100": ({"cei": {"target": 120}}, r"'goals.cei.target' must be a percentage from 0 to 100"),
    "deadline_before_as_of": ({"dso": {"deadline": "2026-01-31"}},
                              r"'goals.dso.deadline' is 2026-01-31, which is not after the assessment date 2026-03-31"),
    "deadline_on_as_of": ({"dso": {"deadline": "2026-03-31"}}, r"'goals.dso.deadline' is 2026-03-31, which is not after"),
    "deadline_not_a_date": ({"dso": {"deadline": "next year"}}, r"'goals.dso.deadline' must be a date written as YYYY-MM-DD"),
    "empty_owner": ({"dso": {"owner": " "}}, r"'goals.dso.owner' must name the owner's role"),
    "skip_not_bool": ({"dso": {"skip": "yes"}}, r"'goals.dso.skip' must be true or false"),
    "goal_not_a_mapping": ({"dso": 50}, r"'goals.dso' must be a mapping"),
    "no_target_without_default": ({"on_time_rate": {"owner": "CFO"}}, r"'goals.on_time_rate' needs a target"),
}


@pytest.mark.parametrize("case", BAD_OVERRIDES)
def test_bad_client_yaml_goals_name_the_file_and_key(case, hand_built, tmp_path):
    goals, pattern = BAD_OVERRIDES[case]
    with pytest.raises(ConfigError, match=pattern) as err:
        goal_set(with_goals(hand_built, goals), tmp_path)
    assert str(err.value).startswith(str(tmp_path / "client.yaml"))


def test_bad_goals_yaml_names_goals_yaml(hand_built, tmp_path):
    (tmp_path / GOALS_FILE).write_text("goals:\n  dso: {target: 95}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"goals\.yaml: 'goals.dso.target' is 95, worse than the baseline"):
        goal_set(hand_built, tmp_path)
    (tmp_path / GOALS_FILE).write_text("goal:\n  dso: {target: 50}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"goals\.yaml: unknown key\(s\) \['goal'\].*'saved_at', 'as_of', 'goals'"):
        goal_set(hand_built, tmp_path)
    (tmp_path / GOALS_FILE).write_text("goals: [dso]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"goals\.yaml: 'goals' must be a mapping of KPI keys to goals"):
        goal_set(hand_built, tmp_path)
    (tmp_path / GOALS_FILE).write_text("goals: [dso\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"goals\.yaml is not valid YAML"):
        goal_set(hand_built, tmp_path)


def test_the_field_names_the_file_that_set_it(hand_built, tmp_path):
    """A worse target from client.yaml is client.yaml's fault even when goals.yaml set the deadline."""
    a = with_goals(hand_built, {"dso": {"target": 95}})
    (tmp_path / GOALS_FILE).write_text("goals:\n  dso: {deadline: 2026-12-31}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"client\.yaml: 'goals.dso.target' is 95"):
        goal_set(a, tmp_path)


def test_unknown_goal_keys_fail_when_client_yaml_is_read(tmp_path, make_client):
    folder = hand_client(tmp_path / "c", make_client, goals={"speed": {"target": 1}})
    with pytest.raises(ConfigError, match=r"client\.yaml: unknown goal key\(s\) \['speed'\]"):
        load_goals_case(folder)


def test_validate_goal_cases():
    validate_goal(goal(), AS_OF)  # fine
    validate_goal(goal(target=60.0), AS_OF)  # holding the level is allowed
    with pytest.raises(ConfigError, match=r"^client\.yaml: 'goals.dso.target' is 61, worse"):
        validate_goal(goal(target=61.0), AS_OF)
    with pytest.raises(ConfigError, match=r"^goals\.yaml: 'goals.dso.deadline' is 2026-10-31"):
        validate_goal(goal(deadline="2026-10-31", source="goals.yaml"), AS_OF)
    with pytest.raises(ConfigError, match=r"^default goal: 'goals.dso.target' must be a number"):
        validate_goal(goal(target=float("nan"), source="default: x"), AS_OF)
    with pytest.raises(ConfigError, match=r"unknown goal key 'speed'"):
        validate_goal(goal(key="speed"), AS_OF)
    with pytest.raises(ConfigError, match=r"'goals.cei.target' is 70, worse .*higher is better"):
        validate_goal(goal("cei", 75.0, 70.0, unit="%", higher_is_better=True), AS_OF)
    with pytest.raises(ConfigError, match=r"must be 0 or more"):
        validate_goal(goal(target=-1.0), AS_OF)


def test_goal_kpis_are_the_registry_kpis_with_a_direction():
    assert "dso" in GOAL_KPIS and "cei" in GOAL_KPIS and "ar_total" not in GOAL_KPIS


# --- glide path -----------------------------------------------------------------------------------

def test_glide_path_by_hand():
    path = glide_path(goal(baseline=60.0, target=45.0, deadline="2027-01-31"), AS_OF)
    assert path.index.name == "month_end"
    assert list(path.index) == [pd.Timestamp("2026-11-30"), pd.Timestamp("2026-12-31"), pd.Timestamp("2027-01-31")]
    assert path.tolist() == pytest.approx([55.0, 50.0, 45.0])


def test_glide_path_with_a_mid_month_deadline_and_as_of():
    path = glide_path(goal(baseline=60.0, target=45.0, deadline="2027-01-15"), AS_OF)
    assert list(path.index.strftime("%Y-%m-%d")) == ["2026-11-30", "2026-12-31", "2027-01-15"]
    assert path.tolist() == pytest.approx([55.0, 50.0, 45.0])
    path = glide_path(goal("cei", 80.0, 84.0, deadline="2026-12-31", unit="%", higher_is_better=True), "2026-10-15")
    assert list(path.index.strftime("%Y-%m-%d")) == ["2026-10-31", "2026-11-30", "2026-12-31"]
    assert path.tolist() == pytest.approx([81 + 1 / 3, 82 + 2 / 3, 84.0])
    one = glide_path(goal(deadline="2026-11-10"), AS_OF)
    assert list(one.index.strftime("%Y-%m-%d")) == ["2026-11-10"] and one.tolist() == [45.0]


def test_glide_paths_one_column_per_goal():
    paths = glide_paths([goal(deadline="2027-01-31"), goal("cei", 80.0, 82.0, "2026-12-31", unit="%",
                                                           higher_is_better=True)], AS_OF)
    assert list(paths.columns) == ["dso", "cei"] and paths.index.name == "month_end" and len(paths) == 3
    assert paths["cei"].tolist()[:2] == pytest.approx([81.0, 82.0]) and np.isnan(paths["cei"].iloc[2])
    assert glide_paths([], AS_OF).empty


@settings(max_examples=60, deadline=None)
@given(baseline=st.floats(0, 200), gain=st.floats(0, 100), months=st.integers(1, 36), day=st.integers(1, 28))
def test_glide_path_steps_evenly_to_the_target(baseline, gain, months, day):
    deadline = AS_OF + pd.DateOffset(months=months - 1) + pd.offsets.MonthBegin(1) + pd.Timedelta(days=day - 1)
    g = goal(baseline=baseline, target=max(baseline - gain, 0.0), deadline=deadline)
    path = glide_path(g, AS_OF)
    assert len(path) == months  # one point per month-end before the deadline, then the deadline
    assert path.iloc[-1] == pytest.approx(g.target) and path.index[-1] == deadline
    steps = np.diff(np.r_[baseline, path.to_numpy()])
    assert np.allclose(steps, (g.target - baseline) / months)
    assert (path.index > AS_OF).all() and path.index.is_monotonic_increasing


# --- cash effect ----------------------------------------------------------------------------------

def test_dso_cash_effect_by_hand():
    effect = cash_effect(goal(baseline=60.0, target=50.0), 365_000.0, 0.05, currency="EUR")
    assert effect.freed_cash == pytest.approx(10_000.0)  # 10 days × 365,000 / 365
    assert effect.yearly_value == pytest.approx(500.0)   # × 5%
    assert "10,000 EUR" in effect.text and "500 EUR a year at 5.0%" in effect.text


def test_over_90_cash_effect_by_hand():
    g = goal("pct_over_90", 20.0, 10.0, unit="%")
    effect = cash_effect(g, None, 0.10, ar_total=1_000_000.0)
    freed = 0.10 * 1_000_000 / 0.90  # (b − t) × AR / (1 − t)
    assert effect.freed_cash == pytest.approx(freed) and effect.yearly_value == pytest.approx(freed * 0.10)
    assert (200_000 - freed) / (1_000_000 - freed) == pytest.approx(0.10)  # the share does fall to 10%
    assert cash_effect(g, None, 0.10).freed_cash is None  # no AR given


def test_cei_cash_effect_by_hand():
    g = goal("cei", 80.0, 85.0, unit="%", higher_is_better=True)
    effect = cash_effect(g, None, 0.05, cei_collectable=2_000_000.0)
    assert (effect.freed_cash, effect.yearly_value) == pytest.approx((100_000.0, 5_000.0))


def test_cash_effect_without_inputs_or_translation():
    assert cash_effect(goal(), None, 0.05).freed_cash is None
    assert "annual credit sales" in cash_effect(goal(), None, 0.05).text
    other = cash_effect(goal("on_time_rate", 40.0, 60.0, unit="%", higher_is_better=True), 1e6, 0.05)
    assert other.freed_cash is None and "No direct cash translation" in other.text
    no_rate = cash_effect(goal(baseline=60.0, target=50.0), 365_000.0, 0.0)
    assert no_rate.yearly_value == 0.0 and "no yearly value" in no_rate.text


def test_cash_basis_and_table_of_the_hand_built_client(hand_built):
    b = cash_basis(hand_built)
    assert (b.annual_credit_sales, b.rate, b.rate_label) == (19_000.0, 0.05, "borrowing rate")
    assert (b.ar_total, b.cei_collectable) == (18_000.0, 9_000.0)
    rows = goals_table(default_goals(hand_built), hand_built.as_of, b.annual_credit_sales, b.rate, **b.kwargs())
    assert list(rows.columns[:11]) == ["key", "label", "baseline", "target", "deadline", "owner", "months",
                                       "monthly_step", "freed_cash", "yearly_value", "source"]
    dso, cei = rows.iloc[0], rows.iloc[1]
    assert dso.months == 12 and dso.monthly_step == pytest.approx(-35 / 12)
    assert dso.freed_cash == pytest.approx(35 * 19_000 / 365) and dso.yearly_value == pytest.approx(35 * 19_000 / 365 * 0.05)
    assert cei.freed_cash == pytest.approx(0.865 * 9_000) and cei.yearly_value == pytest.approx(389.25)


def test_cash_basis_uses_the_wacc_and_a_sales_override(hand_built):
    a = dataclasses.replace(hand_built, config=dataclasses.replace(
        hand_built.config, costs={"borrowing_rate": 0.05, "wacc": 0.09, "capital_rate_basis": "wacc",
                                  "annual_credit_sales": 730_000}))
    b = cash_basis(a)
    assert (b.rate, b.rate_label, b.annual_credit_sales) == (0.09, "WACC", 730_000.0)


def test_open_items_have_no_sales_but_an_over_90_cash_effect(northwind):
    b = cash_basis(northwind)
    assert b.annual_credit_sales is None and b.cei_collectable is None
    (g,) = default_goals(northwind)
    effect = cash_effect(g, b.annual_credit_sales, b.rate, **b.kwargs())
    ar = northwind.table.value("ar_total", northwind.as_of)
    assert effect.freed_cash == pytest.approx((g.baseline - 10) / 100 * ar / 0.9)


# --- saving -----------------------------------------------------------------------------------------

def test_save_writes_goals_yaml_and_reads_back(hand_built, tmp_path):
    edited = [dataclasses.replace(g, target=g.target + (1 if g.higher_is_better else -1)) for g in default_goals(hand_built)]
    path = save_goals(tmp_path, edited, as_of=hand_built.as_of, now=dt.datetime(2026, 11, 1, 9, 0, 0))
    assert path == tmp_path / GOALS_FILE and sorted(p.name for p in tmp_path.iterdir()) == [GOALS_FILE]
    assert path.stat().st_mode & 0o777 == 0o644  # not the private mode of a temporary file
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert body["as_of"] == "2026-03-31" and body["goals"]["dso"] == {
        "target": 54.0, "deadline": dt.date(2027, 3, 31), "owner": "Head of credit control"}
    back = {g.key: g for g in resolve_goals(hand_built, tmp_path)}
    assert (back["dso"].target, back["cei"].target) == (54.0, 87.5)
    assert {g.source for g in back.values()} == {"goals.yaml"}


def test_save_keeps_the_previous_file_and_never_overwrites_a_backup(hand_built, tmp_path):
    goals = default_goals(hand_built)
    now = dt.datetime(2026, 11, 2, 10, 30, 5)
    save_goals(tmp_path, goals, now=now)
    first = (tmp_path / GOALS_FILE).read_bytes()
    _, backup = save_goals_with_backup(tmp_path, [dataclasses.replace(goals[0], target=60.0)], now=now)
    assert backup == tmp_path / "goals.20261102-103005.yaml" and backup.read_bytes() == first
    second = (tmp_path / GOALS_FILE).read_bytes()
    _, again = save_goals_with_backup(tmp_path, goals, now=now)  # same second: a new name
    assert again == tmp_path / "goals.20261102-103005-2.yaml" and again.read_bytes() == second
    assert backup.read_bytes() == first  # the first backup is untouched


def test_an_existing_backup_is_never_overwritten(hand_built, tmp_path, monkeypatch):
    goals = default_goals(hand_built)
    save_goals(tmp_path, goals)
    taken = tmp_path / "goals.20261102-103005.yaml"
    taken.write_text("an older backup\n", encoding="utf-8")
    before = (tmp_path / GOALS_FILE).read_bytes()
    monkeypatch.setattr("arassess.goals.store.backup_path", lambda *_a, **_k: taken)  # as if a race took the name
    with pytest.raises(FileExistsError):
        save_goals(tmp_path, [dataclasses.replace(goals[0], target=70.0)])
    assert taken.read_text(encoding="utf-8") == "an older backup\n"
    assert (tmp_path / GOALS_FILE).read_bytes() == before


def test_a_failed_write_leaves_the_old_file(hand_built, tmp_path, monkeypatch):
    goals = default_goals(hand_built)
    save_goals(tmp_path, goals)
    before = (tmp_path / GOALS_FILE).read_bytes()

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr("arassess.config.yamlfile.os.replace", broken)  # the one writer of client-folder files
    with pytest.raises(OSError, match="disk full"):
        save_goals(tmp_path, [dataclasses.replace(goals[0], target=70.0)], now=dt.datetime(2026, 11, 3))
    assert (tmp_path / GOALS_FILE).read_bytes() == before
    assert not list(tmp_path.glob(".goals-*"))  # no temporary file left behind


# --- chart and sections -----------------------------------------------------------------------------

def test_chart_has_one_panel_per_goal_with_baseline_target_and_history(voltline):
    goals = default_goals(voltline)
    fig = glide_path_chart(goals, voltline.as_of, voltline.series.values, "EUR")
    panels = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title(loc="left") for ax in panels] == ["DSO (period)", "% of AR over 90 days past\ndue", "CEI"]
    for ax, g in zip(panels, goals):
        history, path = ax.lines[0], ax.lines[1]
        assert len(history.get_xdata()) == 12  # the last 12 month-ends up to as_of
        assert path.get_ydata()[0] == g.baseline and path.get_ydata()[-1] == pytest.approx(g.target)
        offsets = [c.get_offsets()[0] for c in ax.collections]  # baseline and target points
        assert [o[1] for o in offsets] == pytest.approx([g.baseline, g.target])
    assert "no goals" in glide_path_chart([], AS_OF).axes[0].texts[0].get_text()


def test_sections_show_the_goals_and_the_cash(voltline):
    case = load_goals_case(VOLTLINE, assessment=voltline, planned_on="2026-11-02")  # 12 months: to 31 Oct 2027
    goals_items = section(case, "goals")
    assert goals_items[0].data == "## 1. Goals"
    html = goals_items[2].to_html()
    assert "52.3 days" in html and "2027-10-31" in html and "default: DSO (period) to BPDSO" in html
    cash = " ".join(i.data for i in section(case, "cash") if isinstance(i, Markdown))
    assert "do not add them up" in cash and "673,398 EUR" in cash
    assert any(type(i).__name__ == "AltImage" for i in section(case, "glide"))
    assert "ADD benchmark" in section(case, "rules")[1].data


# --- dashboard panel ------------------------------------------------------------------------------

@pytest.fixture
def panel(voltline, tmp_path):
    case = load_goals_case(VOLTLINE, assessment=voltline, planned_on="2026-10-31")  # the plan starts at as-of
    return GoalsDashboard(dataclasses.replace(case, client_dir=tmp_path))


def cash_of(p: GoalsDashboard, key: str) -> str:
    return p.rows[key].cash.value


def test_panel_starts_with_the_library_cash_effects(panel):
    b = panel.case.basis
    for g in panel.case.goals:
        text = cash_effect(g, b.annual_credit_sales, b.rate, **b.kwargs()).text
        assert html.escape(text) in cash_of(panel, g.key)
    assert len(panel.chart.outputs) == 1
    png = panel.chart.outputs[0]["data"]["image/png"]
    assert isinstance(png, str) and base64.b64decode(png).startswith(b"\x89PNG")  # base64 text, as Voila needs
    assert not panel.save.disabled and "ready to save" in panel.status.value


def test_changing_a_target_updates_the_cash_effect(panel):
    before = cash_of(panel, "dso")
    panel.rows["dso"].target.value = 49.26  # 10 days below the 59.26 baseline
    after = cash_of(panel, "dso")
    assert after != before
    sales = panel.case.basis.annual_credit_sales
    freed = (panel.case.goals[0].baseline - 49.26) * sales / 365
    assert f"Frees {freed:,.0f} EUR" in after
    assert "49.3 days" in panel.table.value


def test_an_invalid_target_is_said_and_blocks_saving(panel, tmp_path):
    panel.rows["dso"].target.value = 70.0
    assert 'data-error="1"' in cash_of(panel, "dso") and "worse than the baseline" in cash_of(panel, "dso")
    assert panel.save.disabled and "need attention" in panel.status.value
    panel._save()
    assert not (tmp_path / GOALS_FILE).exists() and "Not saved" in panel.status.value
    panel.rows["dso"].deadline.value = None
    assert "Pick a deadline" in cash_of(panel, "dso")


def test_changing_the_deadline_changes_the_months(panel):
    panel.rows["cei"].deadline.value = dt.date(2027, 4, 30)
    assert re.search(r"<td[^>]*>6</td>", panel.table.value)  # Nov..Apr: 6 month-ends


def test_save_writes_the_edited_goals_and_keeps_the_old_file(panel, tmp_path, voltline):
    panel.rows["dso"].target.value = 50.0
    panel.rows["dso"].owner.value = "CFO"
    panel._save(now=dt.datetime(2026, 11, 23, 12, 0, 0))
    assert "data-saved" in panel.status.value
    saved = {g.key: g for g in resolve_goals(voltline, tmp_path)}
    assert (saved["dso"].target, saved["dso"].owner, saved["dso"].source) == (50.0, "CFO", "goals.yaml")
    assert saved["cei"].target == 86.5
    first = (tmp_path / GOALS_FILE).read_bytes()
    panel.rows["dso"].target.value = 48.0
    panel._save(now=dt.datetime(2026, 11, 23, 12, 5, 0))
    assert (tmp_path / "goals.20261123-120500.yaml").read_bytes() == first
    assert "previous file is kept as goals.20261123-120500.yaml" in panel.status.value
    assert resolve_goals(voltline, tmp_path)[0].target == 48.0


def test_panel_for_a_client_without_goals(hand_built, tmp_path):
    a = with_goals(hand_built, {"dso": {"skip": True}, "cei": {"skip": True}})
    case = load_goals_case(tmp_path, assessment=a)
    p = GoalsDashboard(dataclasses.replace(case, client_dir=tmp_path))
    assert p.save.disabled and p.chart.outputs == ()
    assert isinstance(case, GoalsCase) and case.goals == ()


def test_inputs_are_not_modified(tmp_path, folder_digest, voltline):
    client = tmp_path / "voltline"
    shutil.copytree(VOLTLINE, client)
    before = folder_digest(client)
    case = load_goals_case(client, assessment=voltline)
    assert folder_digest(client) == before
    save_goals(client, case.goals)
    after = folder_digest(client)
    assert {k: v for k, v in after.items() if k != GOALS_FILE} == before


@pytest.mark.parametrize("baseline, target, higher, shown, allowed", [
    (90.0, 95.0, False, "90.0", "90.0"),          # one decimal when it reads differently from the target
    (59.2619, 59.3, False, "59.26", "59.26"),     # DSO 59.26 shows as 59.3: typing 59.3 is refused, so say 59.26
    (6.95, 7.0, False, "6.95", "6.95"),           # % over 90 shown 7.0%
    (75.041, 75.0, True, "75.04", "75.05"),       # higher is better: the allowed value rounds up
    (75.04, 75.0, True, "75.04", "75.04"),        # not 75.05 from 75.04 × 100 = 7504.000000000001
])
def test_the_refusal_names_a_baseline_that_reads_differently_from_the_target(baseline, target, higher, shown,
                                                                             allowed):
    from arassess.goals.targets import _baseline_texts

    assert _baseline_texts(baseline, target, higher) == (shown, allowed)
    assert (float(allowed) >= baseline) if higher else (float(allowed) <= baseline)


# --- one planning start for the goals and the actions --------------------------------------------

@pytest.mark.parametrize("as_of, planned_on, start", [
    ("2026-10-31", "2026-12-03", "2026-12-03"),
    ("2026-10-31", "2026-09-01", "2026-10-31"),   # never before the assessment date
    ("2013-12-31", "2026-12-03", "2026-12-03"),   # a historical as-of plans from today, not from 2013
])
def test_planning_start_is_the_plan_day_never_before_as_of(as_of, planned_on, start):
    assert planning_start(as_of, planned_on) == pd.Timestamp(start)


def test_planning_start_defaults_to_today():
    assert planning_start("2013-12-31") == pd.Timestamp.today().normalize()


@pytest.mark.parametrize("start, deadline", [("2026-10-31", "2027-10-31"), ("2026-12-03", "2027-11-30"),
                                             ("2024-02-29", "2025-02-28"), ("2026-06-15", "2027-05-31")])
def test_default_deadline_is_twelve_monthly_steps_from_the_start(start, deadline):
    assert default_deadline(pd.Timestamp(start)) == pd.Timestamp(deadline)
    assert len(glide_dates(start, deadline)) == 12


def test_a_historical_assessment_sets_its_goals_from_the_planning_start(voltline):
    """Goals of an old as-of date run from the plan's start (the same day the actions start), not
    12 months after the data date: no 2025 deadline next to 2026 actions."""
    case = load_goals_case(VOLTLINE, assessment=voltline, planned_on="2028-03-15")
    assert case.plan_start == pd.Timestamp("2028-03-15")
    assert {g.deadline for g in case.goals} == {pd.Timestamp("2029-02-28")}
    rows = case.table()
    assert (rows["months"] == 12).all()
    summary = case.summary()
    assert summary["plan_start"] == "2028-03-15" and summary["as_of"] == "2026-10-31"
    assert min(min(p) for p in summary["glide_paths"].values()) == "2028-03-31"
    assert all(g.baseline == voltline.table.value(g.key, voltline.as_of) for g in case.goals)  # still at as-of


def test_the_dashboard_leads_with_a_card_per_goal_that_follows_an_edit(panel):
    cards = panel.headline.value
    assert cards.count('class="arassess-kpi"') == len(panel.rows) == 3
    assert 'data-kpi="dso">52.3 days<' in cards and "DSO (period): goal" in cards
    assert "from 59.3 days by 31 October 2027; frees 673,398 EUR" in cards
    assert "Owner: Head of credit control" in cards
    assert panel.widget.children.index(panel.headline) < panel.widget.children.index(panel.table)
    panel.rows["dso"].target.value = 50.0
    assert 'data-kpi="dso">50.0 days<' in panel.headline.value
    panel.rows["dso"].target.value = 70.0  # worse than the baseline: that goal leaves the cards
    assert 'data-kpi="dso"' not in panel.headline.value and panel.headline.value.count("arassess-kpi") == 2
