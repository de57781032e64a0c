"""Cost case (arassess.costcase): break-even, tornado and the whole analysis — hand-computed
cases, properties of the decision under moving levers, and the two sample clients.

Most cases use one claim of 100,000 at 180 days past due, flat recovery curves and no team
costs, so every net recovery is one multiplication: in-house = 100,000 × in-house share,
agency = 100,000 × agency share × (1 − fee). With one claim the hybrid always equals one of
the other two and is never a third option. A net recovery within TIE (0.5) of the best
counts as a tie and goes to the simpler strategy, which shifts break-evens by TIE / slope.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arassess.assessment import load
from arassess.claims import annual_credit_sales, overdue_claims, yearly_overdue_flow
from arassess.costcase import (
    BREAK_EVEN_LEVERS,
    LEVER,
    LEVERS,
    Lever,
    analyse,
    break_even,
    cost_case,
    effective_fee,
    lever_value,
    tornado,
    with_lever,
)
from arassess.costmodel import (
    SURVEY_CURVE,
    TIE,
    Assumptions,
    Claims,
    best_strategy,
    evaluate,
    hybrid_is_distinct,
    net_by_strategy,
    optimal_handoff,
    recommend,
)
from arassess.paths import SAMPLE_DATA_DIR

NO_COSTS = dict(collector_salary=0.0, software_per_year=0.0, training_per_year=0.0, management_per_year=0.0,
                legal_per_year=0.0, borrowing_rate=0.0, relationship_cost_share=0.0, suit_share=0.0,
                hours_per_past_due_invoice=0.0)
AS_OF = pd.Timestamp("2026-10-31")


def claims(*rows: tuple[float, float]) -> Claims:
    return Claims.from_frame(pd.DataFrame(rows, columns=["amount", "days_past_due"], dtype=float))


def flat(in_house: float, agency: float, fee: float | None, **kw) -> Assumptions:
    return Assumptions(recovery_curve=((0, in_house),), agency_recovery_curve=((0, agency),),
                       agency_fee_pct=fee, **{**NO_COSTS, **kw})


def best(c: Claims, a: Assumptions, d: float) -> str:
    return best_strategy(net_by_strategy(c, a, d))


ONE = claims((100_000, 180))


# --- levers -------------------------------------------------------------------------------

def test_effective_fee_of_a_schedule_is_fees_over_agency_recovery():
    # fee schedule: 5000 at 10 d → 20 %, 5000 at 800 d → 50 %; agency recovers 2500 of each
    a = Assumptions(agency_recovery_curve=((0, 0.5),), **NO_COSTS)
    c = claims((5000, 10), (5000, 800))
    assert effective_fee(a, c) == pytest.approx((500 + 1250) / 5000)
    assert lever_value(a, "agency_fee_pct", c) == pytest.approx(0.35)
    assert effective_fee(dataclasses.replace(a, agency_fee_pct=0.3), c) == 0.3
    assert np.isnan(effective_fee(dataclasses.replace(a, agency_recovery_curve=((0, 0.0),)), c))


def test_capital_rate_lever_follows_the_basis():
    a = Assumptions(borrowing_rate=0.05, wacc=0.09, capital_rate_basis="wacc")
    assert lever_value(a, "capital_rate", ONE) == 0.09
    moved = with_lever(a, "capital_rate", 0.12, ONE)
    assert (moved.wacc, moved.borrowing_rate) == (0.12, 0.05)
    assert with_lever(Assumptions(borrowing_rate=0.05), "capital_rate", 0.07, ONE).borrowing_rate == 0.07


# --- break-even ---------------------------------------------------------------------------

@pytest.mark.parametrize("lever, expected, without_tie, before, after", [
    # agency 50,000 × (1 − f) beats in-house 40,000 by more than TIE when f < 0.2 − TIE / 50,000
    pytest.param("agency_fee_pct", 0.2 - TIE / 50_000, 0.2, "in_house", "agency", id="fee"),
    # agency 37,500 × s beats 40,000 when s > (40,000 + TIE) / 37,500
    pytest.param("agency_recovery_scale", (40_000 + TIE) / 37_500, 16 / 15, "in_house", "agency",
                 id="agency_scale"),
    # in-house 40,000 × s stays best while 40,000 s >= 37,500 − TIE
    pytest.param("in_house_recovery_scale", (37_500 - TIE) / 40_000, 0.9375, "in_house", "agency",
                 id="in_house_scale"),
])
def test_break_even_hand_computed(lever, expected, without_tie, before, after):
    a = flat(0.4, 0.5, 0.25)
    be = break_even(ONE, a, 0, lever)
    assert be.value == pytest.approx(expected, abs=1e-9)
    assert be.value == pytest.approx(without_tie, abs=1e-4)
    assert (be.lever, be.before, be.after) == (lever, before, after)
    assert be.base_value == pytest.approx(0.25 if lever == "agency_fee_pct" else 1.0)
    step = 1e-6
    side = np.sign(be.value - be.base_value)
    assert best(ONE, with_lever(a, lever, be.value - side * step, ONE), 0) == before
    assert best(ONE, with_lever(a, lever, be.value + side * step, ONE), 0) == after


def test_break_even_sentence():
    a = flat(0.4, 0.5, 0.25)
    assert break_even(ONE, a, 0, "agency_fee_pct").sentence() == \
        "Agency fee below 20% (now 25%): agency beats in-house."
    assert break_even(ONE, flat(0.4, 0.0, 0.25), 0, "agency_fee_pct").sentence() == \
        "Agency fee: no value from 0% to 100% changes the decision (in-house; now 25%)."
    assert break_even(ONE, a, 0, "in_house_recovery_scale").sentence() == \
        "In-house recovery (× curve) below 0.94× (now 1.00×): agency beats in-house."


@pytest.mark.parametrize("lever", ["agency_fee_pct", "agency_recovery_scale"])
def test_break_even_none_when_nothing_changes(lever):
    # the agency recovers nothing at any fee or scale: in-house (40,000) always wins
    be = break_even(ONE, flat(0.4, 0.0, 0.25), 0, lever)
    assert (be.value, be.before, be.after) == (None, "in_house", None)


def test_break_even_none_when_the_change_lies_beyond_the_bounds():
    # agency nets 800; in-house 200 s − 100 would need s = 4.5 > 3 (the scale's upper bound)
    a = flat(0.1, 0.5, 0.2, software_per_year=100.0)
    be = break_even(claims((1000, 200), (1000, 400)), a, 0, "in_house_recovery_scale")
    assert (be.value, be.before) == (None, "agency")


def test_break_even_uses_the_hybrid_at_the_given_day():
    # two claims: 1000 at 50 d (in-house 0.9, agency 0.6), 1000 at 150 d (in-house 0.1, agency 0.6);
    # at D = 100 the hybrid nets 900 + 600 (1 − f); in-house 1000; agency 1200 (1 − f)
    a = Assumptions(recovery_curve=((0, 0.9), (100, 0.9), (120, 0.1)), agency_recovery_curve=((0, 0.6),),
                    agency_fee_pct=0.25, **NO_COSTS)
    c = claims((1000, 50), (1000, 150))
    assert net_by_strategy(c, a, 100) == pytest.approx({"in_house": 1000, "agency": 900, "hybrid": 1350})
    be = break_even(c, a, 100, "agency_fee_pct")
    # hybrid stays best up to 900 + 600 (1 − f) = 1000 + TIE → f = 5/6 − TIE / 600; then in-house;
    # going down, agency (1200 (1 − f)) never beats the hybrid (1500 − 600 f)
    assert (be.before, be.after) == ("hybrid", "in_house")
    assert be.value == pytest.approx(5 / 6 - TIE / 600, abs=1e-9)
    assert be.handoff_day == 100
    assert be.sentence().startswith("Agency fee above 83.")
    assert be.sentence().endswith("in-house beats hybrid (hybrid hand-off held at D = 100 days).")


def test_break_even_before_is_the_recommendation_under_a_fee_schedule():
    # schedule: 5000 at 10 d → 20 % fee, 5000 at 800 d → 50 %; effective flat fee 35 %.
    # in-house 4000 + 1500 = 5500; hybrid (D = 15) 4000 + 2500 × 0.5 = 5250 under the schedule, but
    # 4000 + 2500 × 0.65 = 5625 at a flat 35 %
    a = Assumptions(recovery_curve=((10, 0.8), (800, 0.3)), agency_recovery_curve=((0, 0.5),), **NO_COSTS)
    c = claims((5000, 10), (5000, 800))
    strategy, _ = recommend(evaluate(c, a, 15))
    assert strategy == "in_house"
    assert break_even(c, a, 15, "agency_fee_pct").before == strategy


def test_tornado_fee_row_is_centred_on_the_current_lead_under_a_fee_schedule():
    a = Assumptions(recovery_curve=((10, 0.8), (800, 0.3)), agency_recovery_curve=((0, 0.5),), **NO_COSTS)
    c = claims((5000, 10), (5000, 800))
    still = (Lever("agency_fee_pct", "Agency fee", "pct", (0.0, 1.0), lambda v: (v, v)),)
    got = tornado(c, a, 15, levers=still)
    assert got.attrs["base_lead"] == pytest.approx(250)
    assert got.loc[0, "lead_low"] == pytest.approx(got.attrs["base_lead"])


# --- tornado ------------------------------------------------------------------------------

def test_tornado_fee_has_the_largest_swing():
    # in-house 19,000; agency 50,000 × (1 − 0.6) = 20,000 → agency leads by 1,000
    a = flat(0.19, 0.5, 0.6)
    got = tornado(ONE, a, 0).set_index("lever")
    assert got.attrs == {"strategy": "agency", "base_lead": pytest.approx(1_000)}
    assert list(got.index[:4]) == ["agency_fee_pct", "agency_recovery_scale", "in_house_recovery_scale",
                                   "capital_rate"]
    expected = {  # lever: (low, high, lead_low, lead_high)
        "agency_fee_pct": (0.5, 0.7, 25_000 - 19_000, 15_000 - 19_000),
        "agency_recovery_scale": (0.8, 1.2, 16_000 - 19_000, 24_000 - 19_000),
        "in_house_recovery_scale": (0.8, 1.2, 20_000 - 15_200, 20_000 - 22_800),
        # capital at 2 %: agency 50,000 × 90 / 365 × 0.02, in-house 19,000 × 45 / 365 × 0.02
        "capital_rate": (0.0, 0.02, 1_000, 1_000 - (50_000 * 90 - 19_000 * 45) * 0.02 / 365),
    }
    for lever, (low, high, lead_low, lead_high) in expected.items():
        row = got.loc[lever]
        assert (row["low"], row["high"]) == (pytest.approx(low), pytest.approx(high)), lever
        assert (row["lead_low"], row["lead_high"]) == (pytest.approx(lead_low), pytest.approx(lead_high)), lever
        assert row["swing"] == pytest.approx(abs(lead_high - lead_low)), lever
        assert row["flips"] == (min(lead_low, lead_high) < 0), lever
    assert got.loc["agency_fee_pct", "swing"] == pytest.approx(10_000)
    assert list(got["flips"]) == [True, True, True] + [False] * (len(LEVERS) - 3)
    # no team costs, no capacity limit, no margin: the other levers do not move the lead
    others = got.index[4:]
    assert (got.loc[others, "swing"] == 0).all()
    np.testing.assert_allclose(got.loc[others, ["lead_low", "lead_high"]], 1_000)
    assert got.loc["agency_fee_pct", "label"] == "Agency fee" and got.loc["agency_fee_pct", "unit"] == "pct"


def test_tornado_ranges_stay_within_lever_bounds():
    a = flat(0.19, 0.5, 0.95, collector_ftes=0.5, loaded_cost_multiplier=1.1)
    got = tornado(ONE, a, 0).set_index("lever")
    assert (got.loc["agency_fee_pct", "low"], got.loc["agency_fee_pct", "high"]) == (pytest.approx(0.85), 1.0)
    assert got.loc["collector_ftes", "low"] == 0.0 and got.loc["collector_ftes", "high"] == 1.5
    assert got.loc["loaded_cost_multiplier", "low"] == 1.0
    assert list(got["swing"]) == sorted(got["swing"], reverse=True)


def test_northwind_like_hybrid_equal_to_agency_is_no_option():
    # two old claims; in-house recovers 10 % for a cost of 100, the agency 50 % at a 20 % fee.
    # agency 2,000 × 0.5 × 0.8 = 800; in-house 200 − 100 = 100; the best hybrid places everything
    # (D = 30, the earliest hand-off), so it *is* the agency: the tornado must compare agency with
    # in-house, not with itself
    a = flat(0.1, 0.5, 0.2, software_per_year=100.0)
    frame = pd.DataFrame({"amount": [1000.0, 1000.0], "days_past_due": [200.0, 400.0]})
    case = analyse("Northwind-like", "EUR", AS_OF, frame, None, a)
    assert (case.optimal_day, case.handoff_day, case.strategy) == (30.0, 30.0, "agency")
    assert not hybrid_is_distinct(Claims.from_frame(frame), 0.0)
    assert case.reason == "Place overdue claims with an agency: net recovery of 800, 700 more than in-house."
    # the notebook's tornado lets the hybrid re-optimise D: its best distinct hybrid keeps the
    # 200-day claim (100 − 100 = 0) and places the 400-day one (400): the agency leads by 400
    assert case.tornado.attrs["base_lead"] == pytest.approx(400)
    c = Claims.from_frame(frame)
    got = tornado(c, a, 0.0).set_index("lever")  # D held at 0: agency vs in-house only
    assert got.attrs["base_lead"] == pytest.approx(700)
    assert got["swing"].max() > 0 and (got["lead_low"] != 0).all()
    assert (got.loc["agency_fee_pct", "lead_low"], got.loc["agency_fee_pct", "lead_high"]) == (
        pytest.approx(900 - 100), pytest.approx(700 - 100))
    assert (got.loc["agency_recovery_scale", "lead_low"], got.loc["agency_recovery_scale", "lead_high"]) == (
        pytest.approx(640 - 100), pytest.approx(960 - 100))
    # software ±25 %: in-house costs 75 / 125
    assert (got.loc["software_per_year", "lead_low"], got.loc["software_per_year", "lead_high"]) == (
        pytest.approx(800 - 125), pytest.approx(800 - 75))
    assert got.index[0] == "agency_recovery_scale" and not got["flips"].any()
    fee, agency_scale, in_house_scale = (break_even(c, a, 0.0, lv) for lv in BREAK_EVEN_LEVERS)
    # agency 1000 (1 − f) falls to in-house 100 + TIE at f = 0.9 − TIE / 1000
    assert (fee.value, fee.after) == (pytest.approx(0.9 - TIE / 1000, abs=1e-9), "in_house")
    # agency 800 s falls to 100 + TIE at s = 100.5 / 800
    assert (agency_scale.value, agency_scale.after) == (pytest.approx((100 + TIE) / 800, abs=1e-9), "in_house")
    assert in_house_scale.value is None


# --- properties ---------------------------------------------------------------------------

claim_rows = st.lists(st.tuples(st.floats(1, 1e6), st.floats(1, 1000)), min_size=1, max_size=8)
PROPS = settings(max_examples=30, deadline=None)


#: In-house curve of the sample clients: the team has no escalation, so aged claims rarely pay
#: (with it a hybrid is often best; with the survey curve for both, rarely).
STEEP = ((0, 0.94), (60, 0.80), (120, 0.45), (180, 0.25), (365, 0.06), (730, 0.01))


@st.composite
def assumptions(draw, fee: bool = True) -> Assumptions:
    return Assumptions(
        recovery_curve=draw(st.sampled_from([SURVEY_CURVE, STEEP])),
        agency_fee_pct=draw(st.floats(0, 1)) if fee else None,
        collector_ftes=draw(st.floats(0, 5)), collector_salary=draw(st.floats(0, 1e5)),
        hours_per_past_due_invoice=draw(st.floats(0, 3)), software_per_year=draw(st.floats(0, 5e4)),
        borrowing_rate=draw(st.floats(0, 0.2)), relationship_cost_share=draw(st.floats(0, 0.2)),
        gross_margin=draw(st.floats(0, 0.5)), in_house_recovery_scale=draw(st.floats(0, 3)),
        agency_recovery_scale=draw(st.floats(0, 3)), direct_payment_share=draw(st.floats(0, 1)),
        commission_on_direct_payments=draw(st.booleans()), suit_share=draw(st.floats(0, 0.3)),
        suit_fee_per_claim=draw(st.floats(0, 500)))


@PROPS
@given(claim_rows, assumptions(), st.floats(0, 1), st.floats(0, 1), st.floats(0, 800))
def test_higher_flat_fee_never_favours_the_agency(rows, a, f1, f2, d):
    c = claims(*rows)
    lo, hi = (with_lever(a, "agency_fee_pct", f, c) for f in sorted((f1, f2)))
    net_lo, net_hi = net_by_strategy(c, lo, d), net_by_strategy(c, hi, d)
    assert net_hi["agency"] - net_hi["in_house"] <= net_lo["agency"] - net_lo["in_house"] + 1e-6
    if "hybrid" in net_lo:
        assert net_hi["agency"] - net_hi["hybrid"] <= net_lo["agency"] - net_lo["hybrid"] + 1e-6
    if best_strategy(net_lo) != "agency":
        assert best_strategy(net_hi) != "agency"


@PROPS
@given(claim_rows, assumptions(), st.sampled_from(["collector_salary", "loaded_cost_multiplier",
                                                   "software_per_year", "management_per_year",
                                                   "collector_ftes"]),
       st.floats(0, 1), st.floats(0, 1), st.floats(0, 800))
def test_dearer_team_never_favours_in_house(rows, a, lever, u1, u2, d):
    if lever == "collector_ftes":  # more FTEs also add capacity; without a capacity limit they only cost
        a = dataclasses.replace(a, hours_per_past_due_invoice=0.0)
    lo_bound, hi_bound = LEVER[lever].bounds
    top = min(hi_bound, 200_000.0)
    c = claims(*rows)
    lo, hi = (with_lever(a, lever, lo_bound + u * (top - lo_bound), c) for u in sorted((u1, u2)))
    net_lo, net_hi = net_by_strategy(c, lo, d), net_by_strategy(c, hi, d)
    assert net_hi["in_house"] - net_hi["agency"] <= net_lo["in_house"] - net_lo["agency"] + 1e-6
    if "hybrid" in net_lo:
        assert net_hi["hybrid"] - net_hi["agency"] <= net_lo["hybrid"] - net_lo["agency"] + 1e-6
    if best_strategy(net_lo) == "agency":
        assert best_strategy(net_hi) == "agency"


@PROPS
@given(claim_rows, assumptions(fee=False), st.booleans(), st.floats(0, 1), st.floats(0, 800))
def test_net_recovery_never_exceeds_the_overdue_balance(rows, a, flat_fee, fee, d):
    if flat_fee:
        a = dataclasses.replace(a, agency_fee_pct=fee)
    r = evaluate(claims(*rows), a, d)
    balance = sum(amount for amount, _ in rows)
    np.testing.assert_allclose(r["balance"], balance)
    assert (r["gross_recovery"] <= balance * (1 + 1e-12)).all()
    assert (r["net_recovery"] <= r["gross_recovery"] + 1e-6).all()


@PROPS
@given(claim_rows, assumptions(), st.one_of(st.none(), st.floats(0, 800)))
def test_break_even_lies_in_bounds_and_separates_two_strategies(rows, a, d):
    c = claims(*rows)
    if d is None:  # the optimal hand-off day, as analyse uses it
        d, _ = optimal_handoff(c, a)
    for lever in BREAK_EVEN_LEVERS:
        be = break_even(c, a, d, lever)
        lo, hi = LEVER[lever].bounds
        assert be.base_value == pytest.approx(lever_value(a, lever, c))
        assert be.before == best(c, a, d)
        if be.value is None:
            assert be.after is None
            for value in (lo, (lo + hi) / 2, hi):
                assert best(c, with_lever(a, lever, value, c), d) == be.before, (lever, value)
            continue
        assert lo <= be.value <= hi
        assert be.after != be.before
        eps = 1e-6 * (hi - lo)
        side = np.sign(be.value - be.base_value)
        assert best(c, with_lever(a, lever, be.value - side * eps, c), d) == be.before, lever
        outside = be.value + side * eps
        if lo <= outside <= hi:
            assert best(c, with_lever(a, lever, outside, c), d) == be.after, lever


# --- the sample clients -------------------------------------------------------------------

@pytest.fixture(scope="module")
def voltline():
    config, ledger = load(SAMPLE_DATA_DIR / "voltline")
    return config, ledger, cost_case(config, ledger)


@pytest.fixture(scope="module")
def northwind():
    config, ledger = load(SAMPLE_DATA_DIR / "northwind_open_items")
    return config, ledger, cost_case(config, ledger)


def test_voltline_recommends_hybrid_at_the_optimal_day(voltline):
    config, ledger, case = voltline
    assert case.as_of == AS_OF and case.client == "Voltline Components GmbH"
    assert case.strategy == "hybrid"
    assert case.optimal_day == case.handoff_day == 120.0
    assert "at 120 days past due" in case.reason and case.reason.startswith("Work claims in-house")
    assert case.label == "Work claims in-house, then hand off to an agency at 120 days past due"
    curve = case.handoff_curve.set_index("handoff_day")["net_recovery"]
    assert curve.idxmax() == 120.0
    assert curve[120.0] == pytest.approx(case.result.loc["hybrid", "net_recovery"])
    # the ledger supplies the workload and sales; no capacity note
    flow = yearly_overdue_flow(ledger, AS_OF)
    assert case.flow == flow and case.assumptions.yearly_overdue_invoices == flow.invoices
    assert case.assumptions.annual_credit_sales == pytest.approx(annual_credit_sales(ledger, AS_OF))
    assert case.notes == ()
    pd.testing.assert_frame_equal(case.claims, overdue_claims(ledger, AS_OF, config.aging_edges))
    fee = case.break_evens[0]
    assert (fee.lever, fee.base_value, fee.before, fee.after) == ("agency_fee_pct", 0.25, "hybrid", "agency")
    assert 0.0 < fee.value < 0.25


def test_northwind_recommends_agency_with_the_open_items_note(northwind):
    _, ledger, case = northwind
    assert ledger.shape == "open_items"
    # the hybrid's best D (from 30 days) loses to placing everything
    assert (case.strategy, case.handoff_day, case.optimal_day) == ("agency", 105.0, 105.0)
    assert case.reason.startswith("Place overdue claims with an agency") and "more than hybrid" in case.reason
    assert case.flow is None and case.assumptions.yearly_overdue_invoices is None
    assert case.assumptions.annual_credit_sales is None
    n = len(case.claims)
    assert any("open items only" in note and f"{n:,} overdue invoices" in note for note in case.notes)
    net = case.result["net_recovery"]
    assert case.tornado.attrs["strategy"] == "agency"
    # the lead over the best other option, the hybrid re-optimised (as the notebook recommends)
    from arassess.costmodel import net_with_optimal_handoff

    nets, _ = net_with_optimal_handoff(Claims.from_frame(case.claims), case.assumptions)
    assert nets["agency"] == pytest.approx(net["agency"]) and nets["in_house"] == pytest.approx(net["in_house"])
    runner_up = max(v for k, v in nets.items() if k != "agency")
    assert case.tornado.attrs["base_lead"] == pytest.approx(net["agency"] - runner_up)
    assert case.tornado["swing"].max() > 0


@pytest.mark.parametrize("client", ["voltline", "northwind"])
def test_summary_is_json(client, request):
    _, _, case = request.getfixturevalue(client)
    summary = case.summary()
    back = json.loads(json.dumps(summary, allow_nan=False))
    assert back == summary
    assert back["strategy"] == case.strategy and back["optimal_handoff_day"] == case.optimal_day
    assert set(back["net_recovery"]) == {"in_house", "agency", "hybrid"}
    assert set(back["break_even"]) == set(BREAK_EVEN_LEVERS)
    assert back["claims"] == len(case.claims)
    assert back["overdue_balance"] == pytest.approx(case.claims["amount"].sum())
