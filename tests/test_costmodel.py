"""Cost model: hand-computed cases, fee-table boundaries, config loading and properties."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arassess.config import load_config
from arassess.costmodel import (
    SOURCES,
    SURVEY_CURVE,
    Assumptions,
    FeeSchedule,
    agency_fee_rate,
    assumptions_from_config,
    evaluate,
    in_house_fixed_cost,
    load_fee_schedule,
    optimal_handoff,
    recommend,
    recovery_share,
)
from arassess.errors import ConfigError, InputError
from arassess.paths import SAMPLE_DATA_DIR

NO_COSTS = {"collector_salary": 0.0, "software_per_year": 0.0, "training_per_year": 0.0,
            "management_per_year": 0.0, "legal_per_year": 0.0, "borrowing_rate": 0.0,
            "relationship_cost_share": 0.0, "suit_share": 0.0}


def claims(*rows: tuple[float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["amount", "days_past_due"])


def test_hand_computed_agency_net():
    a = Assumptions(agency_fee_pct=0.25, **NO_COSTS)
    r = evaluate(claims((100_000, 180)), a, handoff_day=0)
    assert r.loc["agency", "gross_recovery"] == pytest.approx(50_000)
    assert r.loc["agency", "agency_fees"] == pytest.approx(12_500)
    assert r.loc["agency", "net_recovery"] == pytest.approx(37_500)
    assert r.loc["hybrid", "net_recovery"] == pytest.approx(37_500)  # D=0: everything placed
    assert r.loc["in_house", "net_recovery"] == pytest.approx(50_000)


def test_no_recovery_no_fee():
    a = Assumptions(agency_fee_pct=0.25, agency_recovery_curve=((0, 0.0),), **NO_COSTS)
    r = evaluate(claims((100_000, 180), (500, 10)), a, handoff_day=0)
    assert r.loc["agency", "agency_fees"] == 0
    assert r.loc["agency", "net_recovery"] == 0
    assert np.isnan(r.loc["agency", "cost_per_unit_collected"])


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


def test_recovery_share_interpolates_and_clamps():
    np.testing.assert_allclose(recovery_share(((0, 1.0), (100, 0.5)), [0, 50, 100, 1000]),
                               [1.0, 0.75, 0.5, 0.5])


def test_capacity_limit_scales_in_house_recovery():
    a = Assumptions(collector_ftes=1, working_hours_per_fte_year=5, hours_per_past_due_invoice=1,
                    recovery_curve=((0, 1.0),), **NO_COSTS)
    r = evaluate(claims(*[(100, 10)] * 10), a, handoff_day=0)
    assert r.loc["in_house", "capacity_ratio"] == pytest.approx(0.5)
    assert r.loc["in_house", "gross_recovery"] == pytest.approx(500)
    assert bool(r.loc["in_house", "capacity_short"]) and "short of capacity" in r.loc["in_house", "note"]
    assert not r.loc["agency", "capacity_short"]


def test_in_house_costs_formula():
    a = Assumptions(collector_ftes=2, collector_salary=40_000, loaded_cost_multiplier=1.25,
                    software_per_year=1, training_per_year=2, management_per_year=3, legal_per_year=4)
    assert in_house_fixed_cost(a) == pytest.approx(100_010)


def test_known_optimal_handoff_day():
    a = Assumptions(recovery_curve=((0, 0.9), (100, 0.9), (120, 0.1)),
                    agency_recovery_curve=((0, 0.6),), agency_fee_pct=0.25, **NO_COSTS)
    c = claims((1000, 50), (1000, 150))
    best, curve = optimal_handoff(c, a, candidates=[0, 100, 200])
    assert best == 100
    np.testing.assert_allclose(curve["net_recovery"], [900, 1350, 1000])
    best_default, _ = optimal_handoff(c, a)
    assert best_default == 60  # earliest candidate of range(0, 366, 15) above 50
    strategy, reason = recommend(evaluate(c, a, best))
    assert strategy == "hybrid" and "100 days" in reason and reason.endswith(".")


def test_relationship_and_capital_costs():
    a = Assumptions(agency_fee_pct=0.0, **{**NO_COSTS, "relationship_cost_share": 0.1,
                                           "borrowing_rate": 0.0365}, gross_margin=0.2,
                    agency_recovery_curve=((0, 0.5),), agency_days_to_cash=100)
    r = evaluate(claims((10_000, 0)), a, handoff_day=0)
    assert r.loc["agency", "relationship_cost"] == pytest.approx(200)
    assert r.loc["agency", "capital_cost"] == pytest.approx(5000 * 0.0365 * 100 / 365)


def test_missing_column():
    with pytest.raises(InputError, match="days_past_due"):
        evaluate(pd.DataFrame({"amount": [1.0]}), Assumptions(), 0)


def test_sample_costs_load():
    cfg = load_config(SAMPLE_DATA_DIR / "voltline")
    a = assumptions_from_config(cfg.costs)
    assert a.collector_ftes == 3 and a.agency_fee_pct == 0.25 and a.wacc == 0.085
    assert a.recovery_curve[3] == (180, 0.25) and a.agency_recovery_curve[2] == (180, 0.5)
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
])
def test_bad_costs_raise_config_error_naming_key(costs, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        assumptions_from_config(costs)


claim_tables = st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1000)), min_size=1, max_size=8)


@settings(max_examples=30, deadline=None)
@given(claim_tables, st.floats(0, 1), st.floats(0, 1))
def test_higher_agency_fee_never_raises_agency_net(rows, f1, f2):
    lo, hi = sorted((f1, f2))
    c = claims(*rows)
    net = [evaluate(c, Assumptions(agency_fee_pct=f), 0).loc["agency", "net_recovery"] for f in (lo, hi)]
    assert net[1] <= net[0] + 1e-6


@settings(max_examples=30, deadline=None)
@given(claim_tables, st.floats(0, 2e5), st.floats(0, 2e5), st.floats(0, 5))
def test_higher_in_house_costs_never_raise_in_house_net(rows, s1, s2, hours):
    lo, hi = sorted((s1, s2))
    c = claims(*rows)
    base = Assumptions(hours_per_past_due_invoice=hours)
    net = [evaluate(c, dataclasses.replace(base, collector_salary=s), 0).loc["in_house", "net_recovery"]
           for s in (lo, hi)]
    assert net[1] <= net[0] + 1e-6
    base_net = evaluate(c, base, 0).loc["in_house", "net_recovery"]
    more_hours = dataclasses.replace(base, hours_per_past_due_invoice=hours + 1)
    assert evaluate(c, more_hours, 0).loc["in_house", "net_recovery"] <= base_net + 1e-6


@settings(max_examples=30, deadline=None)
@given(claim_tables, st.floats(0, 400), st.floats(0, 1), st.floats(0, 1))
def test_net_never_exceeds_balance(rows, d, rate, share):
    a = Assumptions(borrowing_rate=rate, relationship_cost_share=share, gross_margin=0.3)
    r = evaluate(claims(*rows), a, d)
    assert (r["net_recovery"] <= r["balance"] + 1e-6).all()
    assert (r["gross_recovery"] <= r["balance"] + 1e-6).all()


def test_commission_on_direct_payments():
    base = Assumptions(agency_fee_pct=0.2, agency_recovery_curve=((0, 0.5),), direct_payment_share=0.4,
                       **NO_COSTS)
    owed = evaluate(claims((10_000, 100)), base, 0).loc["agency"]
    assert owed["agency_fees"] == pytest.approx(0.2 * 5_000)  # commission on all 5,000 recovered
    waived = evaluate(claims((10_000, 100)),
                      dataclasses.replace(base, commission_on_direct_payments=False), 0).loc["agency"]
    assert waived["agency_fees"] == pytest.approx(0.2 * 5_000 * 0.6)  # not on the 40% paid to us directly


def test_capital_cost_uses_the_named_rate_and_equals_the_delta_dso_formula():
    a = Assumptions(agency_fee_pct=0.0, **{**NO_COSTS, "borrowing_rate": 0.05}, wacc=0.10,
                    recovery_curve=((0, 1.0),), in_house_days_to_cash=73, annual_credit_sales=365_000)
    r = evaluate(claims((36_500, 10)), a, 1000).loc["in_house"]
    # ΔDSO = 36,500 × 73 / 365,000 = 7.3 days; cost = ΔDSO × sales / 365 × rate = 7.3 × 1,000 × 0.05
    assert r["delta_dso"] == pytest.approx(7.3)
    assert r["capital_cost"] == pytest.approx(7.3 * 365_000 / 365 * 0.05) == pytest.approx(365)
    wacc = evaluate(claims((36_500, 10)), dataclasses.replace(a, capital_rate_basis="wacc"), 1000)
    assert wacc.loc["in_house", "capital_cost"] == pytest.approx(730)
    with pytest.raises(ConfigError, match="capital_rate_basis.*borrowing_rate, wacc"):
        assumptions_from_config({"capital_rate_basis": "cheap"})


def test_recovery_scale_is_capped_at_everything():
    a = Assumptions(in_house_recovery_scale=2.0, recovery_curve=((0, 0.8),), **NO_COSTS)
    assert evaluate(claims((1_000, 5)), a, 1000).loc["in_house", "gross_recovery"] == pytest.approx(1_000)


def test_workload_comes_from_the_yearly_flow_in_the_in_house_share():
    # 4 claims, 2 in-house under the hybrid; 400 newly overdue invoices a year at 1 h; 150 h available
    a = Assumptions(yearly_overdue_invoices=400, hours_per_past_due_invoice=1, collector_ftes=1,
                    working_hours_per_fte_year=150, recovery_curve=((0, 1.0),), **NO_COSTS)
    r = evaluate(claims((100, 10), (100, 20), (100, 200), (100, 300)), a, 100)
    assert r.loc["in_house", "hours_needed"] == 400 and r.loc["in_house", "capacity_ratio"] == pytest.approx(0.375)
    assert r.loc["hybrid", "hours_needed"] == 200 and r.loc["hybrid", "capacity_ratio"] == pytest.approx(0.75)
    assert r.loc["in_house", "gross_recovery"] == pytest.approx(400 * 0.375)


def test_relationship_cost_counts_each_placed_customer_once():
    frame = pd.DataFrame({"amount": [100.0, 200.0, 300.0], "days_past_due": [200, 250, 10],
                          "customer_id": ["A", "A", "B"], "customer_annual_sales": [50_000, 50_000, 80_000]})
    a = Assumptions(gross_margin=0.2, **{**NO_COSTS, "relationship_cost_share": 0.1})
    r = evaluate(frame, a, 100)
    assert r.loc["hybrid", "relationship_cost"] == pytest.approx(0.1 * 0.2 * 50_000)  # only A is placed
    assert r.loc["agency", "relationship_cost"] == pytest.approx(0.1 * 0.2 * 130_000)
    assert r.loc["in_house", "relationship_cost"] == 0


def test_a_hybrid_that_keeps_or_places_everything_is_not_recommended():
    a = Assumptions(agency_fee_pct=0.25, **NO_COSTS)
    strategy, reason = recommend(evaluate(claims((1000, 50)), a, 0))  # D=0: the hybrid places everything
    assert strategy == "in_house" and "hybrid" not in reason


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1000), st.sampled_from("ABC")), min_size=1, max_size=10),
       st.floats(0, 20), st.floats(0, 3), st.floats(0, 1), st.booleans(), st.floats(0, 1), st.floats(0, 2))
def test_vectorized_handoff_curve_equals_the_claim_by_claim_split(rows, ftes, hours, fee, schedule, rel, scale):
    from arassess.costmodel import Claims, _split, handoff_curve

    frame = pd.DataFrame(rows, columns=["amount", "days_past_due", "customer_id"])
    frame["customer_annual_sales"] = frame["customer_id"].map({"A": 1e5, "B": 0.0, "C": 3e4})
    a = Assumptions(collector_ftes=ftes, hours_per_past_due_invoice=hours, working_hours_per_fte_year=100,
                    agency_fee_pct=None if schedule else fee, relationship_cost_share=rel, gross_margin=0.3,
                    agency_fee_scale=scale, suit_share=0.1, suit_fee_per_claim=50, borrowing_rate=0.05,
                    yearly_overdue_invoices=40, direct_payment_share=0.2, commission_on_direct_payments=False)
    c = Claims.from_frame(frame)
    days = [0, 15, 200, 450, 1001]
    curve = handoff_curve(c, a, days)
    for d, row in zip(days, curve.itertuples()):
        lines = _split(c, a, c.days_past_due < d)
        assert row.claims_in_house == lines["claims_in_house"]
        assert row.gross_recovery == pytest.approx(lines["gross_recovery"], rel=1e-9, abs=1e-6)
        assert row.net_recovery == pytest.approx(lines["net_recovery"], rel=1e-9, abs=1e-6)


def test_intake_kit_costs_section_is_valid_and_uses_the_fee_schedule():
    import yaml

    from arassess.paths import TEMPLATES_DIR

    raw = yaml.safe_load((TEMPLATES_DIR / "client" / "client.yaml").read_text(encoding="utf-8"))
    a = assumptions_from_config(raw["costs"])
    assert a.agency_fee_pct is None and a.capital_rate_basis == "borrowing_rate"
    assert a.agency_recovery_curve == a.recovery_curve == SURVEY_CURVE
