"""Cost case (arassess.costs.case): break-even and tornado by hand, the recommendation following
planted curves, the sample clients, provenance, and sanity across scales (a 50-invoice ledger,
the sample, the sample × 40)."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
from planted import SHAPES, Shape, planted_config, planted_ledger, true_collected

from arassess.assessment.case import load
from arassess.costs.assumptions import DEFAULT_EFFORT_HOURS
from arassess.costs.case import (
    BREAK_EVEN_LEVERS,
    LEVER,
    answer_sentence,
    break_even,
    cost_case,
    effective_fee,
    lever_value,
    strategy_net,
    tornado,
    with_lever,
)
from arassess.costs.claims import annual_credit_sales, overdue_claims, yearly_overdue_flow
from arassess.costs.collection import survey_curve
from arassess.costs.model import COST_LINES, Assumptions, Book, Claims, agency_share, best_strategy, tie
from arassess.paths import SAMPLE_DATA_DIR

AS_OF = pd.Timestamp("2026-10-31")
NO_COSTS = dict(collector_salary=0.0, software_per_year=0.0, training_per_year=0.0, management_per_year=0.0,
                legal_per_year=0.0, borrowing_rate=0.0, relationship_cost_share=0.0, suit_share=0.0,
                effort_hours=tuple((k, 0.0) for k, _ in DEFAULT_EFFORT_HOURS), hours_per_claim_month=0.0,
                hours_per_placement=0.0)


def stock(*rows: tuple[float, float], in_house: float = 0.4) -> Book:
    """A stock-only book (as from an open-items export) with a flat in-house curve."""
    frame = pd.DataFrame(rows, columns=["amount", "days_past_due"], dtype=float)
    return Book(curve=survey_curve(((0, in_house),), AS_OF), flow=None, stock=Claims.from_frame(frame),
                days=np.zeros(0), exposure=np.zeros(0), size_bands=(0.0, 300.0, 2000.0),
                size_mix=np.zeros((0, 3)), ladder=())


def flat(agency: float, fee: float | None, **kw) -> Assumptions:
    return Assumptions(agency_recovery_curve=((0, agency),), agency_fee_pct=fee, **{**NO_COSTS, **kw})


ONE = stock((100_000, 180))  # in-house 40,000; agency 100,000 × 0.5 × (1 − fee)


def best(book: Book, a: Assumptions, d: float | None = None) -> str:
    return best_strategy(strategy_net(book, a, d), tie(book))


# --- levers and break-even -------------------------------------------------------------------

def test_effective_fee_of_a_schedule_is_fees_over_agency_recovery():
    # fee schedule: 5,000 at 40 d → 20 %, 5,000 at 800 d → 50 %; the agency recovers 2,500 of each
    book = stock((5000, 40), (5000, 800))
    a = Assumptions(agency_recovery_curve=((0, 0.5),), **NO_COSTS)
    assert effective_fee(a, book) == pytest.approx((500 + 1250) / 5000)
    assert lever_value(a, "agency_fee_pct", book) == pytest.approx(0.35)
    assert effective_fee(dataclasses.replace(a, agency_fee_pct=0.3), book) == 0.3
    assert np.isnan(effective_fee(dataclasses.replace(a, agency_recovery_curve=((0, 0.0),)), book))


def test_capital_rate_lever_follows_the_basis():
    a = Assumptions(borrowing_rate=0.05, wacc=0.09, capital_rate_basis="wacc")
    assert lever_value(a, "capital_rate", ONE) == 0.09
    moved = with_lever(a, "capital_rate", 0.12, ONE)
    assert (moved.wacc, moved.borrowing_rate) == (0.12, 0.05)


TIE_ONE = 100.0  # 0.1% of the 100,000 stock


@pytest.mark.parametrize("lever, expected, before, after", [
    # agency 50,000 × (1 − f) beats in-house 40,000 by more than the tie when f < 0.2 − 100 / 50,000
    pytest.param("agency_fee_pct", 0.2 - TIE_ONE / 50_000, "in_house", "agency", id="fee"),
    # agency 37,500 × s beats 40,000 when s > (40,000 + 100) / 37,500
    pytest.param("agency_recovery_scale", (40_000 + TIE_ONE) / 37_500, "in_house", "agency", id="agency_scale"),
    # in-house 40,000 × s stays best while 40,000 s >= 37,500 − 100
    pytest.param("in_house_recovery_scale", (37_500 - TIE_ONE) / 40_000, "in_house", "agency", id="in_house_scale"),
])
def test_break_even_hand_computed(lever, expected, before, after):
    a = flat(0.5, 0.25)
    assert tie(ONE) == TIE_ONE
    be = break_even(ONE, a, None, lever)
    assert be.value == pytest.approx(expected, abs=1e-9)
    assert (be.lever, be.before, be.after) == (lever, before, after)
    assert be.base_value == pytest.approx(0.25 if lever == "agency_fee_pct" else 1.0)
    side = np.sign(be.value - be.base_value)
    assert best(ONE, with_lever(a, lever, be.value - side * 1e-6, ONE)) == before
    assert best(ONE, with_lever(a, lever, be.value + side * 1e-6, ONE)) == after


def test_break_even_sentence():
    a = flat(0.5, 0.25)
    assert break_even(ONE, a, None, "agency_fee_pct").sentence() == \
        "Agency fee below 19.8% (now 25%): agency beats in-house."
    # the team collects nothing: only a fee that takes all but 0.2% of the recovery makes in-house win
    assert break_even(stock((100_000, 180), in_house=0.0), a, None, "agency_fee_pct").sentence("EUR") == \
        "Agency fee above 99.8% (now 25%): in-house beats agency."
    assert break_even(ONE, flat(0.0, 0.25), None, "agency_fee_pct").sentence() == \
        "Agency fee: no value from 0% to 100% changes the decision (in-house; now 25%)."


def test_tornado_ranges_stay_within_lever_bounds_and_leave_out_what_moves_nothing():
    a = flat(0.5, 0.25, collector_salary=40_000, hours_per_claim_month=1.0)
    got = tornado(ONE, a, None).set_index("lever")
    for lever, row in got.iterrows():
        lo, hi = LEVER[lever].bounds
        assert lo <= row["low"] <= row["high"] <= hi
    assert "agency_fee_pct" in got.index and got.loc["agency_fee_pct", "flips"]  # 15%-35% crosses 19.8%
    assert "relationship_cost_share" not in got.index  # no customer sales: moves nothing
    assert got["swing"].is_monotonic_decreasing


# --- the recommendation follows the ledger ------------------------------------------------------

WEAK_UNTIL_60 = Shape("weak60", lambda u: np.where(u <= 60, 0.03, 0.0015), lambda u: np.full(u.shape, 0.004))


def _planted_case(shape: Shape):
    return cost_case(planted_config({"agency_fee_pct": 0.25}), planted_ledger(shape))


def _crossing(shape: Shape, case) -> int:
    """First age where the agency's net share beats the planted in-house share."""
    ages = np.arange(0, 500)
    anet = agency_share(case.assumptions, ages) * (1 - 0.25)
    return int(ages[np.flatnonzero(anet > true_collected(shape, ages))][0])


def test_a_strong_team_keeps_its_claims():
    case = _planted_case(SHAPES["strong"])
    assert case.strategy == "in_house" and "hybrid" not in case.days
    curve = case.handoff_curve
    assert (curve.loc[curve["claims_placed"] >= 0.5, "value_vs_in_house"] < 0).all()
    assert (curve["value_vs_in_house"] <= tie(case.book)).all()
    assert case.source("recovery_curve").kind == "ledger" and case.indicative is None


@pytest.mark.parametrize("shape, stops", [(WEAK_UNTIL_60, 60), (SHAPES["cliff"], 90)], ids=["weak", "cliff"])
def test_a_weak_team_hands_off_between_the_crossing_and_where_it_stops_collecting(shape, stops):
    case = _planted_case(shape)
    assert case.strategy in ("agency", "hybrid")
    d = case.days[case.strategy]
    assert _crossing(shape, case) <= max(d, case.assumptions.min_placement_age) and d <= stops
    assert f"{d:g} days past due" in answer_sentence(case) and "your team collected" in answer_sentence(case)


# --- the sample clients -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def voltline():
    config, ledger = load(SAMPLE_DATA_DIR / "voltline")
    return config, ledger, cost_case(config, ledger)


@pytest.fixture(scope="module")
def northwind():
    config, ledger = load(SAMPLE_DATA_DIR / "northwind_open_items")
    return config, ledger, cost_case(config, ledger)


def test_voltline_follows_its_own_ledger(voltline):
    config, ledger, case = voltline
    assert case.as_of == AS_OF and case.client == "Voltline Components GmbH"
    assert case.strategy == "in_house" and case.basis == "flow"
    row = case.book.curve.table.set_index("age").loc[120]
    assert row["weight"] == 1 and 0.75 < row["collected"] < 0.9 and row["claims"] > 500
    sentence = answer_sentence(case)
    assert re.fullmatch(r"Of what reached 120 days past due, your team collected \d\d% \(95% interval \d\d%–\d+%, "
                        r"[\d,]+ claims\); an agency would net about 4\d% \(6\d% recovered, less its 25% fee\)\.",
                        sentence), sentence
    flow = yearly_overdue_flow(ledger, AS_OF)
    assert case.book.flow.invoices == flow.invoices and case.book.flow.amount == pytest.approx(flow.amount)
    assert case.assumptions.annual_credit_sales == pytest.approx(annual_credit_sales(ledger, AS_OF))
    pd.testing.assert_frame_equal(case.claims, overdue_claims(ledger, AS_OF, config.aging_edges))
    assert case.source("recovery_curve").kind == "ledger" and "claims" in case.source("recovery_curve").detail
    assert case.source("agency_fee_pct").kind == "client"
    assert case.source("agency_recovery_curve").kind == "default"
    assert case.indicative is None
    assert any("team of 3 FTE" in n for n in case.notes)  # the given team checked against the workload


def test_no_head_count_decides(voltline):
    config, ledger, case = voltline
    for ftes in (0.1, 100.0, None):
        costs = {k: v for k, v in config.costs.items() if k != "collector_ftes"}
        other = cost_case(dataclasses.replace(config, costs={**costs, **({"collector_ftes": ftes} if ftes else {})}),
                          ledger)
        assert other.strategy == case.strategy and other.days == case.days
        pd.testing.assert_series_equal(other.result["net_recovery"], case.result["net_recovery"])
    sized = cost_case(dataclasses.replace(config, costs={k: v for k, v in config.costs.items()
                                                         if k != "collector_ftes"}), ledger)
    assert any("sized to the workload" in n for n in sized.notes)


def test_northwind_is_indicative_and_compares_the_stock(northwind):
    _, ledger, case = northwind
    assert ledger.shape == "open_items" and case.basis == "stock" and case.book.flow is None
    assert case.indicative.startswith("Indicative: this export holds only the invoices open today")
    assert "full ledger export" in case.indicative
    assert case.source("recovery_curve").kind == "default"
    assert case.result.loc["in_house", "amount"] == pytest.approx(case.claims["amount"].sum())
    assert "survey figures" in answer_sentence(case)


def test_a_client_curve_wins_and_a_large_gap_to_the_ledger_is_said(voltline):
    config, ledger, _ = voltline
    costs = {**config.costs, "recovery_curve": {0: 0.94, 60: 0.8, 120: 0.45, 180: 0.25, 365: 0.06, 730: 0.01}}
    case = cost_case(dataclasses.replace(config, costs=costs), ledger)
    assert case.source("recovery_curve").kind == "client"
    assert case.book.curve.at(120, "collect") == pytest.approx(0.45)
    assert any("differs from what the ledger shows" in n for n in case.notes)
    assert "the curve set for this client" in answer_sentence(case)


@pytest.mark.parametrize("client", ["voltline", "northwind"])
def test_summary_is_json(client, request):
    _, _, case = request.getfixturevalue(client)
    summary = case.summary()
    back = json.loads(json.dumps(summary, allow_nan=False))
    assert back == summary
    assert back["strategy"] == case.strategy and back["sentence"] == answer_sentence(case)
    assert set(back["net_recovery"]) == set(case.strategies)
    assert set(back["break_even"]) == set(BREAK_EVEN_LEVERS)
    assert back["claims"] == len(case.claims)
    assert back["provenance"]["recovery_curve"]["source"] in ("ledger", "default")
    assert len(back["curve"]) == len(case.book.curve.table)


# --- sanity across scales -----------------------------------------------------------------------

def _scaled(ledger, k: float):
    inv = ledger.invoices.copy()
    for col in ("amount", "written_off_amount", "amount_original"):
        if col in inv:
            inv[col] = inv[col] * k
    pay = ledger.payments.assign(amount=ledger.payments["amount"] * k)
    return dataclasses.replace(ledger, invoices=inv, payments=pay)


def _sane(case) -> None:
    """Lines add up, percentages only of positive bases, no default head count in the decision."""
    r = case.result
    np.testing.assert_allclose(r["in_house_recovery"] + r["agency_recovery"], r["gross_recovery"], rtol=1e-9)
    np.testing.assert_allclose(r["gross_recovery"] - r[list(COST_LINES)].sum(axis=1), r["net_recovery"], rtol=1e-9)
    assert (r["gross_recovery"] <= r["amount"] * (1 + 1e-9)).all()
    from arassess.costs.sections import decision_lines, decision_text

    words = " ".join([decision_text(case), *decision_lines(case)[1:2], *case.notes])
    assert "% of it" not in words and not re.search(r"-\d[\d,.]*%", words)
    assert case.assumptions.collector_ftes is None or case.source("collector_ftes").kind == "client"


def test_sanity_on_a_50_invoice_ledger():
    case = cost_case(planted_config({"agency_fee_pct": 0.25}), planted_ledger(SHAPES["strong"], invoices=50,
                                                                              customers=6))
    _sane(case)
    assert case.book.curve.table.set_index("age").loc[30, "weight"] < 1  # thin: blended and said
    assert "blended with the survey curve" in case.source("recovery_curve").detail


def test_sanity_on_the_sample_and_the_sample_times_40(voltline):
    config, ledger, case = voltline
    _sane(case)
    big = cost_case(config, _scaled(ledger, 40.0))
    _sane(big)
    assert big.strategy == case.strategy
    # recoveries scale by 40; team hours do not depend on amounts
    for s in case.strategies:
        assert big.result.loc[s, "gross_recovery"] == pytest.approx(40 * case.result.loc[s, "gross_recovery"],
                                                                    rel=1e-6)
        assert big.result.loc[s, "hours"] == pytest.approx(case.result.loc[s, "hours"])


def test_a_date_after_the_ledger_ends_follows_claims_only_to_its_end(voltline):
    config, ledger, case = voltline
    late = cost_case(config, ledger, "2028-12-31")
    assert any(n.startswith("The ledger ends on 31 October 2026, 792 days before") for n in late.notes)
    # claims open when the export was taken are censored there, not read as two years unpaid
    np.testing.assert_allclose(late.book.curve.table["collected"], case.book.curve.table["collected"],
                               equal_nan=True)
    assert late.basis == "stock" and late.indicative.startswith("Indicative: no invoice fell past due in the year")


def test_a_date_before_anything_fell_due_says_there_is_no_history(voltline):
    config, ledger, _ = voltline
    early = cost_case(config, ledger, "2024-03-31")
    assert early.indicative.startswith("Indicative: no invoice of the ledger had fallen past due by 31 March 2024")
    assert early.strategy == "in_house" and "nothing is overdue at this date" in early.reason
    _sane(early)
