"""Cost model (arassess.costs.model): the yearly flow and the stock by hand on small ledgers, fee
table boundaries, properties of the decision, and loading the assumptions from client.yaml."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arassess.config.client import load_config
from arassess.costs.assumptions import DEFAULT_EFFORT_HOURS
from arassess.costs.case import build_book
from arassess.costs.collection import observed_curve, survey_curve
from arassess.costs.model import (
    IN_HOUSE,
    SOURCES,
    SURVEY_CURVE,
    Assumptions,
    Book,
    Claims,
    FeeSchedule,
    agency_fee_rate,
    assumptions_from_config,
    capacity_note,
    flow_lines,
    load_fee_schedule,
    recovery_share,
    stock_lines,
    strategy_days,
)
from arassess.errors import ConfigError, InputError
from arassess.inputs.intake import ledger_from_frames
from arassess.paths import SAMPLE_DATA_DIR

T = pd.Timestamp("2026-12-31")
NO_EFFORT = {key: 0.0 for key, _ in DEFAULT_EFFORT_HOURS}
NO_COSTS = dict(collector_salary=0.0, software_per_year=0.0, training_per_year=0.0, management_per_year=0.0,
                legal_per_year=0.0, borrowing_rate=0.0, relationship_cost_share=0.0, suit_share=0.0,
                effort_hours=tuple(NO_EFFORT.items()), hours_per_claim_month=0.0, hours_per_placement=0.0)


# --- the yearly flow by hand ---------------------------------------------------------------

def five_claims() -> pd.DataFrame:
    """Five invoices of 1,000 due in early 2026 (all followed to the end): paid at +10, +40, +70,
    written off at +100, paid at +130 days past due."""
    due = pd.to_datetime(["2026-01-05", "2026-02-03", "2026-03-01", "2026-03-20", "2026-04-02"])
    ages = [10, 40, 70, 100, 130]
    when = [d + pd.Timedelta(days=a) for d, a in zip(due, ages)]
    return pd.DataFrame({
        "invoice_id": [f"I{i}" for i in range(1, 6)], "customer_id": ["A", "A", "B", "B", "C"],
        "invoice_date": due - pd.Timedelta(days=30), "due_date": due, "amount": 1000.0,
        "paid_date": [w if i != 3 else pd.NaT for i, w in enumerate(when)],
        "written_off_date": [w if i == 3 else pd.NaT for i, w in enumerate(when)],
    })


@pytest.fixture(scope="module")
def five() -> tuple[Book, Assumptions]:
    ledger = ledger_from_frames(five_claims(), as_of=T)
    a = Assumptions(agency_fee_pct=0.25, agency_recovery_curve=((0, 0.6),), collector_salary=17_600,
                    loaded_cost_multiplier=1.0, working_hours_per_fte_year=1_760, borrowing_rate=0.10,
                    effort_hours=tuple({**NO_EFFORT, "friendly_reminder": 0.1, "demand_letter": 0.5}.items()),
                    hours_per_claim_month=1.0, hours_per_placement=0.5, agency_days_to_cash=90.0)
    curve = observed_curve(ledger, T, SURVEY_CURVE, replicates=0, full_claims=1, full_customers=1)
    claims = pd.DataFrame({"amount": pd.Series(dtype=float), "days_past_due": pd.Series(dtype=float)})
    return build_book(ledger, T, a, claims, curve), a


def test_five_claim_curve_by_hand(five):
    book, _ = five
    c = book.curve
    assert c.collect[0] == pytest.approx(0.8) and c.collect[30] == pytest.approx(0.75)
    assert c.write_off[30] == pytest.approx(0.25)
    assert c.reach[30] == pytest.approx(0.8) and c.reach_count[45] == pytest.approx(0.6)
    assert c.days_to_cash[0] == pytest.approx((10 + 40 + 70 + 130) / 4)   # 62.5
    assert c.days_to_cash[30] == pytest.approx((10 + 40 + 100) / 3)       # 50
    assert (book.flow.invoices, book.flow.amount, book.flow.due_invoices) == (5, 5000, 5)


def test_five_claim_flow_value_of_policy_d_by_hand(five):
    book, a = five
    lines = flow_lines(book, a, [IN_HOUSE, 30])
    # all in-house: 5,000 × C(0) = 4,000 collected
    # hours: friendly (+7) 5 × 0.1 + demand (+30) 4 × 0.5 = 2.5; claim-months after the final notice
    # (+45): 5 × (24 × 0.6 + 30 × 0.4 + 30 × 0.2) days / 30.4375 = 5.3224 → 7.8224 h × 10 per h
    months = 5 * (24 * 0.6 + 30 * 0.4 + 30 * 0.2) / (365.25 / 12)
    team_in = (2.5 + months) * 10
    capital_in = 0.10 * 5000 * 0.8 * 62.5 / 365
    assert lines["in_house_recovery"][0] == pytest.approx(4000)
    assert lines["hours"][0] == pytest.approx(2.5 + months)
    assert lines["team_costs"][0] == pytest.approx(team_in)
    assert lines["capital_cost"][0] == pytest.approx(capital_in)
    assert lines["net_recovery"][0] == pytest.approx(4000 - team_in - capital_in)
    # hand off at 30: F(30) = 4,000 reach it, 4 claims; the team kept 1,000 (I1 at +10)
    # agency 4,000 × 0.6 = 2,400, fee 600; hours 0.5 (friendly) + 4 × 0.5 placements = 2.5
    # capital: 1,000 × 10 days in-house + 2,400 × (30 + 90) days at the agency
    capital_30 = 0.10 * (1000 * 10 + 2400 * 120) / 365
    assert lines["in_house_recovery"][1] == pytest.approx(1000)
    assert lines["agency_recovery"][1] == pytest.approx(2400)
    assert lines["agency_fees"][1] == pytest.approx(600)
    assert lines["claims_placed"][1] == pytest.approx(4)
    assert lines["hours"][1] == pytest.approx(2.5)
    assert lines["capital_cost"][1] == pytest.approx(capital_30)
    net_30 = 1000 + 2400 - 600 - 25 - capital_30
    assert lines["net_recovery"][1] == pytest.approx(net_30)
    # the value of D = 30 against all in-house, the credit manager's form:
    # F(D)[A(1 − f) − C(D)] + effort saved − Δcapital = 4,000 × (0.45 − 0.75) + (team_in − 25) − Δcapital
    value = 4000 * (0.45 - 0.75) + (team_in - 25) - (capital_30 - capital_in)
    assert lines["net_recovery"][1] - lines["net_recovery"][0] == pytest.approx(value)
    assert value == pytest.approx(-1159.93, abs=0.01)


def test_lines_add_up(five):
    book, a = five
    lines = flow_lines(book, a, [IN_HOUSE, 30, 45, 90, 200])
    costs = sum(lines[k] for k in ("agency_fees", "suit_costs", "team_costs", "capital_cost", "relationship_cost"))
    np.testing.assert_allclose(lines["in_house_recovery"] + lines["agency_recovery"], lines["gross_recovery"])
    np.testing.assert_allclose(lines["gross_recovery"] - costs, lines["net_recovery"])
    np.testing.assert_allclose(lines["amount"] - lines["gross_recovery"], lines["unrecovered"])
    assert (lines["gross_recovery"] <= lines["amount"] + 1e-9).all()


# --- today's stock by hand -----------------------------------------------------------------

def stock_book(rows: list[tuple[float, float]], curve=((0, 0.4),), customers=None, sales=None) -> Book:
    frame = pd.DataFrame(rows, columns=["amount", "days_past_due"], dtype=float)
    if customers is not None:
        frame["customer_id"], frame["customer_annual_sales"] = customers, sales
    return Book(curve=survey_curve(curve, T, months_open=3.0), flow=None, stock=Claims.from_frame(frame),
                days=np.zeros(0), exposure=np.zeros(0), size_bands=(0.0, 300.0, 2000.0),
                size_mix=np.zeros((0, 3)), ladder=())


def test_stock_by_hand():
    # two claims, 100,000 at 180 days and 2,000 at 20 days; in-house 40% of each, agency 50%
    book = stock_book([(100_000, 180), (2_000, 20)])
    a = Assumptions(agency_fee_pct=0.25, agency_recovery_curve=((0, 0.5),), collector_salary=17_600,
                    loaded_cost_multiplier=1.0, working_hours_per_fte_year=1_760, hours_per_claim_month=1.0,
                    hours_per_placement=2.0, **{k: v for k, v in NO_COSTS.items()
                                                 if k not in ("collector_salary", "hours_per_claim_month",
                                                              "hours_per_placement")})
    lines = stock_lines(book, a, [IN_HOUSE, 30])
    # in-house: 40,800 recovered, 2 claims × 3 months × 1 h × 10 = 60
    assert lines["in_house_recovery"][0] == pytest.approx(40_800)
    assert lines["team_costs"][0] == pytest.approx(60)
    # place at 30: the 180-day claim goes (50,000, fee 12,500, 2 h), the 20-day one stays (800, 3 h)
    assert lines["claims_placed"][1] == 1 and lines["amount_placed"][1] == 100_000
    assert lines["in_house_recovery"][1] == pytest.approx(800)
    assert lines["agency_recovery"][1] == pytest.approx(50_000)
    assert lines["agency_fees"][1] == pytest.approx(12_500)
    assert lines["team_costs"][1] == pytest.approx(50)
    assert lines["net_recovery"][1] == pytest.approx(800 + 50_000 - 12_500 - 50)


@pytest.mark.parametrize("amount, days, rate", [
    (0, 0, 0.50), (299.99, 0, 0.50), (300, 0, 0.30), (1999.99, 364, 0.30),
    (2000, 0, 0.20), (2000, 364.9, 0.20), (2000, 365, 0.50), (1e6, 1000, 0.50), (-5, -1, 0.50),
])
def test_fee_schedule_boundaries_lower_bound_inclusive(amount, days, rate):
    assert agency_fee_rate(FeeSchedule(), amount, days) == pytest.approx(rate)


def test_fee_schedule_vectorized_and_template_matches_default():
    got = agency_fee_rate(FeeSchedule(), [100, 500, 5000], [10, 10, 400])
    np.testing.assert_allclose(got, [0.5, 0.3, 0.5])
    loaded = load_fee_schedule()
    assert (loaded.amount_from, loaded.days_from, loaded.fee_rates) == (
        FeeSchedule().amount_from, FeeSchedule().days_from, FeeSchedule().fee_rates)
    assert "20-35%" in loaded.source


def test_flow_fee_follows_the_mix_of_claim_sizes_reaching_d(five):
    book, a = five
    schedule = dataclasses.replace(a, agency_fee_pct=None)
    # every claim reaching 30 is 1,000 (band 300-2,000: 30%); beyond a year old 50%
    from arassess.costs.model import flow_fee_rate

    np.testing.assert_allclose(flow_fee_rate(book, schedule, np.array([30.0, 60.0])), [0.30, 0.30])


def test_recovery_share_interpolates_and_clamps():
    np.testing.assert_allclose(recovery_share(((0, 1.0), (100, 0.5)), [0, 50, 100, 1000]), [1.0, 0.75, 0.5, 0.5])


def test_missing_column():
    with pytest.raises(InputError, match="days_past_due"):
        Claims.from_frame(pd.DataFrame({"amount": [1.0]}))


# --- properties -----------------------------------------------------------------------------

stocks = st.lists(st.tuples(st.floats(1, 1e6), st.floats(1, 800)), min_size=1, max_size=12)
assumption_draws = st.fixed_dictionaries({
    "agency_fee_pct": st.floats(0, 0.6), "agency_recovery_scale": st.floats(0.5, 1.5),
    "in_house_recovery_scale": st.floats(0.5, 1.5), "hours_per_claim_month": st.floats(0, 3),
    "hours_per_placement": st.floats(0, 3), "collector_salary": st.floats(0, 1e5),
    "min_placement_age": st.sampled_from([30.0, 45.0, 60.0]),
})


@settings(max_examples=40, deadline=None)
@given(stocks, assumption_draws)
def test_the_agency_never_receives_a_claim_younger_than_the_minimum_age(rows, kw):
    book = stock_book(rows)
    a = Assumptions(**kw)
    net, days, _best = strategy_days(book, a)
    assert all(d >= a.min_placement_age for s, d in days.items() if s != "in_house")
    lines = stock_lines(book, a, [days[s] for s in days])
    ages = np.array([r[1] for r in rows])
    for d, placed in zip(days.values(), lines["claims_placed"]):
        assert placed == (ages >= d).sum() if np.isfinite(d) else placed == 0
        assert placed <= (ages >= a.min_placement_age).sum()


@settings(max_examples=40, deadline=None)
@given(stocks, assumption_draws, st.floats(0, 0.5))
def test_raising_the_fee_never_favours_the_agency(rows, kw, more):
    book = stock_book(rows, curve=SURVEY_CURVE)
    a = Assumptions(**kw)
    dearer = dataclasses.replace(a, agency_fee_pct=min(1.0, a.agency_fee_pct + more))
    days = [IN_HOUSE, *np.arange(a.min_placement_age, 400, 15)]
    base, high = stock_lines(book, a, days), stock_lines(book, dearer, days)
    assert high["net_recovery"][0] == base["net_recovery"][0]
    assert (high["net_recovery"][1:] <= base["net_recovery"][1:] + 1e-6).all()
    from arassess.costs.model import best_strategy

    if best_strategy(strategy_days(book, a)[0]) == "in_house":
        assert best_strategy(strategy_days(book, dearer)[0]) == "in_house"


def test_doubling_the_workload_with_a_given_team_halves_nothing_and_says_so(five):
    book, a = five
    team = dataclasses.replace(a, collector_ftes=0.004)  # 7 h a year
    double = dataclasses.replace(book, flow=dataclasses.replace(book.flow, invoices=10, amount=10_000,
                                                                due_invoices=10))
    one, two = flow_lines(book, team, [IN_HOUSE]), flow_lines(double, team, [IN_HOUSE])
    assert two["gross_recovery"][0] == pytest.approx(2 * one["gross_recovery"][0])  # nothing capped silently
    assert two["hours"][0] == pytest.approx(2 * one["hours"][0])
    assert "short by" in capacity_note(float(two["hours"][0]), team)
    assert capacity_note(float(one["hours"][0]), dataclasses.replace(a, collector_ftes=None)) == ""


@settings(max_examples=25, deadline=None)
@given(stocks, st.floats(0.01, 100), st.floats(0.05, 0.5))
def test_scaling_amounts_scales_money_and_keeps_the_decision(rows, k, fee):
    a = Assumptions(agency_fee_pct=fee, **NO_COSTS)
    book = stock_book(rows, curve=SURVEY_CURVE)
    scaled = stock_book([(x * k, d) for x, d in rows], curve=SURVEY_CURVE)
    net, days, _ = strategy_days(book, a)
    net_k, days_k, _ = strategy_days(scaled, a)
    assert days == days_k
    for s in net:
        assert net_k[s] == pytest.approx(k * net[s], rel=1e-9, abs=1e-6)


# --- assumptions from client.yaml ------------------------------------------------------------

def test_sample_costs_load():
    cfg = load_config(SAMPLE_DATA_DIR / "voltline")
    a = assumptions_from_config(cfg.costs)
    assert a.collector_ftes == 3 and a.agency_fee_pct == 0.25 and a.wacc == 0.085
    assert a.recovery_curve == SURVEY_CURVE  # the ledger replaces it; no curve is set for the sample
    assert a.hours_per_claim_month == 0.5 and a.hours_per_placement == 0.5
    assert a.direct_payment_share == 0.15 and a.commission_on_direct_payments
    northwind = assumptions_from_config(load_config(SAMPLE_DATA_DIR / "northwind_open_items").costs)
    assert northwind.agency_fee_pct is None  # the fee schedule applies
    assert set(SOURCES) == {f.name for f in dataclasses.fields(Assumptions)}


@pytest.mark.parametrize("costs, key", [
    ({"borrowing_rate": 5.5}, "costs.borrowing_rate"),
    ({"collector_salary": -1}, "costs.collector_salary"),
    ({"gross_margin": "high"}, "costs.gross_margin"),
    ({"agency_fee_pct": True}, "costs.agency_fee_pct"),
    ({"recovery_curve": {90: 0.7, 0: 0.9}}, "costs.recovery_curve"),
    ({"recovery_curve": {0: 1.2}}, "costs.recovery_curve.0"),
    ({"loaded_cost_multiplier": 0.5}, "costs.loaded_cost_multiplier"),
    ({"agency_fee_schedule": {"amount_from": [0], "days_from": [0], "fee_rates": [[2]]}},
     "costs.agency_fee_schedule.fee_rates"),
    ({"colector_ftes": 3}, "valid keys are"),
    ({"effort_hours": {"demand_letter": -1}}, "costs.effort_hours.demand_letter"),
    ({"effort_hours": 3}, "costs.effort_hours"),
    ({"min_placement_age": 1000}, "costs.min_placement_age"),
    ({"hours_per_past_due_invoice": 0.75}, "costs.hours_per_past_due_invoice: no longer used"),
])
def test_bad_costs_raise_config_error_naming_key(costs, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        assumptions_from_config(costs)


def test_effort_hours_override_only_the_steps_named_and_a_client_curve_leaves_the_agency_on_the_survey():
    a = assumptions_from_config({"effort_hours": {"demand_letter": 1.5, "phone_call": 0.2},
                                 "recovery_curve": {0: 0.9, 365: 0.3}})
    assert a.step_hours("demand_letter") == 1.5 and a.step_hours("phone_call") == 0.2
    assert a.step_hours("firm_reminder") == dict(DEFAULT_EFFORT_HOURS)["firm_reminder"]
    assert a.recovery_curve == ((0, 0.9), (365, 0.3)) and a.agency_recovery_curve == SURVEY_CURVE
    assert Assumptions(collector_salary=52_800, loaded_cost_multiplier=1.0,
                       working_hours_per_fte_year=1_760).cost_per_hour == pytest.approx(30)


def test_intake_kit_costs_section_is_valid_and_uses_the_fee_schedule():
    import yaml

    from arassess.paths import TEMPLATES_DIR

    raw = yaml.safe_load((TEMPLATES_DIR / "client" / "client.yaml").read_text(encoding="utf-8"))
    a = assumptions_from_config(raw["costs"])
    assert a.agency_fee_pct is None and a.capital_rate_basis == "borrowing_rate"
    assert a.collector_ftes is None  # the kit leaves the team to be sized from the workload
    assert a.agency_recovery_curve == a.recovery_curve == SURVEY_CURVE
