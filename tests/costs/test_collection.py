"""The observed collection curve (arassess.costs.collection): a brute-force reference without censoring,
planted curves recovered within their interval, censoring handled (a naive share is not), no
look-ahead, and properties of the estimate."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from planted import SHAPES, planted_ledger, true_collected

from arassess.costs.assumptions import SURVEY_CURVE
from arassess.costs.collection import HORIZON_DAYS, observed_curve, survey_curve
from arassess.inputs.intake import ledger_from_frames

AS_OF = "2026-10-31"
CHECK_AGES = (0, 15, 30, 45, 60, 90, 120, 180)


@pytest.fixture(scope="module")
def curves():
    """The estimate on a planted ledger of each shape (6,000 invoices, 120 customers)."""
    return {name: observed_curve(planted_ledger(shape), AS_OF, SURVEY_CURVE) for name, shape in SHAPES.items()}


def _naive(inv: pd.DataFrame, t: pd.Timestamp, age: int) -> tuple[float, float, float, int]:
    """Brute force on whole-amount outcomes: of the invoices still open at the end of due + age,
    the amount later paid, written off, still open at T; and how many."""
    end = inv["due_date"] + pd.Timedelta(days=age)
    resolved = inv["paid_date"].fillna(inv["written_off_date"])
    reached = resolved.isna() | (resolved > end)
    base = inv.loc[reached, "amount"].sum()
    paid = inv.loc[reached & inv["paid_date"].notna(), "amount"].sum()
    written = inv.loc[reached & inv["written_off_date"].notna(), "amount"].sum()
    return paid / base, written / base, 1 - (paid + written) / base, int(reached.sum())


@pytest.mark.parametrize("shape", ["strong", "weak", "cliff"])
def test_without_censoring_the_estimate_is_the_brute_force_count(shape):
    # only invoices followed for the whole horizon: the estimator must equal plain counting
    full = planted_ledger(SHAPES[shape], invoices=3000, years=4.0, seed=3)
    t = pd.Timestamp(AS_OF)
    inv = full.invoices[full.invoices["due_date"] <= t - pd.Timedelta(days=HORIZON_DAYS)]
    ledger = ledger_from_frames(inv.drop(columns=["currency", "amount_original"]), as_of=t)
    curve = observed_curve(ledger, t, SURVEY_CURVE, replicates=0, full_claims=1, full_customers=1)
    for age in CHECK_AGES:
        if curve.claims[age] == 0:
            continue
        collected, written, still, n = _naive(inv, t, age)
        assert curve.claims[age] == n
        assert curve.collect[age] == pytest.approx(collected, abs=1e-9)
        assert curve.write_off[age] == pytest.approx(written, abs=1e-9)
        assert curve.still_open[age] == pytest.approx(still, abs=1e-9)


def test_planted_curves_lie_within_their_intervals(curves):
    # 95% intervals: nearly every (shape, age) covers the truth, none misses by much, and the point
    # estimate is close; a biased estimator fails all three
    inside, checks = 0, 0
    for name, curve in curves.items():
        table = curve.table.set_index("age")
        for age in CHECK_AGES:
            row = table.loc[age]
            if row["claims"] < 100:
                continue
            truth = float(true_collected(SHAPES[name], [age])[0])
            lo, hi = row["collected_lo"], row["collected_hi"]
            slack = 0.25 * (hi - lo)
            assert lo - slack <= truth <= hi + slack, (name, age, truth, lo, hi)
            assert row["collected"] == pytest.approx(truth, abs=0.04)
            inside += lo <= truth <= hi
            checks += 1
    assert checks >= 15 and inside / checks >= 0.85


def test_censoring_half_open_claims_gives_the_same_estimate_a_naive_share_does_not():
    # 15 months of history at T: about half of the claims that reached 90 days are still open;
    # the same invoices followed three more years are fully observed
    shape = SHAPES["weak"]
    t = pd.Timestamp(AS_OF)
    censored = planted_ledger(shape, invoices=8000, years=1.25)
    later = t + pd.Timedelta(days=3 * 365)
    observed = planted_ledger(shape, invoices=8000, years=1.25, cut=str(later.date()))
    inv = censored.invoices
    resolved = inv["paid_date"].fillna(inv["written_off_date"])
    at_90 = inv["due_date"] + pd.Timedelta(days=90)
    reached_90 = (at_90 <= t) & (resolved.isna() | (resolved > at_90))
    still_open = reached_90 & resolved.isna()
    assert 0.35 <= still_open.sum() / reached_90.sum() <= 0.65
    truth = float(true_collected(shape, [90])[0])
    a = observed_curve(censored, t, SURVEY_CURVE, replicates=0).table.set_index("age").loc[90, "collected"]
    b = observed_curve(observed, later, SURVEY_CURVE, replicates=0).table.set_index("age").loc[90, "collected"]
    assert a == pytest.approx(truth, abs=0.04) and b == pytest.approx(truth, abs=0.04)
    assert a == pytest.approx(b, abs=0.04)
    naive = inv.loc[reached_90 & inv["paid_date"].notna(), "amount"].sum() / inv.loc[reached_90, "amount"].sum()
    assert truth - naive > 0.05  # counting the open claims as lost is visibly wrong


def test_no_look_ahead_events_after_the_date_change_nothing():
    shape = SHAPES["cliff"]
    full = planted_ledger(shape, invoices=3000)
    cut = planted_ledger(shape, invoices=3000, cut="2026-03-31")
    at = pd.Timestamp("2026-03-31")
    x = observed_curve(full, at, SURVEY_CURVE, replicates=50)
    y = observed_curve(cut, at, SURVEY_CURVE, replicates=50)
    np.testing.assert_array_equal(x.claims, y.claims)
    np.testing.assert_allclose(x.collect, y.collect, equal_nan=True)
    pd.testing.assert_frame_equal(x.table, y.table)


def test_seeded_bootstrap_is_reproducible_and_the_seed_matters():
    ledger = planted_ledger(SHAPES["weak"], invoices=2000)
    one = observed_curve(ledger, AS_OF, SURVEY_CURVE, seed=4).table
    pd.testing.assert_frame_equal(one, observed_curve(ledger, AS_OF, SURVEY_CURVE, seed=4).table)
    other = observed_curve(ledger, AS_OF, SURVEY_CURVE, seed=5).table
    assert not one["collected_lo"].equals(other["collected_lo"])


def test_thin_ages_blend_towards_the_survey_and_say_by_how_much():
    # 40 invoices from 4 customers: weight = min(1, √(claims/50), √(customers/10))
    ledger = planted_ledger(SHAPES["strong"], invoices=40, customers=4)
    curve = observed_curve(ledger, AS_OF, SURVEY_CURVE, replicates=0)
    t = curve.table.set_index("age")
    w0 = min(1.0, np.sqrt(t.loc[0, "claims"] / 50), np.sqrt(t.loc[0, "customers"] / 10))
    assert t.loc[0, "weight"] == pytest.approx(w0)
    survey0 = 0.94
    assert t.loc[0, "used"] == pytest.approx(w0 * t.loc[0, "collected"] + (1 - w0) * survey0)
    assert t.loc[730, "weight"] == 0 and t.loc[730, "used"] == pytest.approx(0.10)


def test_open_items_have_no_curve_and_the_survey_object_is_the_fallback():
    inv = pd.DataFrame({"invoice_id": ["A"], "customer_id": ["C"], "invoice_date": ["2026-09-01"],
                        "due_date": ["2026-10-01"], "amount": [100.0]})
    ledger = ledger_from_frames(inv, as_of=AS_OF, shape="open_items")
    assert observed_curve(ledger, AS_OF, SURVEY_CURVE) is None
    s = survey_curve(SURVEY_CURVE, pd.Timestamp(AS_OF), months_open=4.0)
    assert s.collect[90] == pytest.approx(0.72) and s.months_open[10] == 4.0 and s.start_count == 0


def test_partial_payments_count_as_amounts_not_invoices():
    # one invoice of 1,000 due 2026-01-01: 400 paid at +10, 300 at +40, 300 written off at +70
    inv = pd.DataFrame({"invoice_id": ["A"], "customer_id": ["C"], "invoice_date": ["2025-12-01"],
                        "due_date": ["2026-01-01"], "amount": [1000.0],
                        "written_off_date": ["2026-03-12"], "written_off_amount": [300.0]})
    pay = pd.DataFrame({"invoice_id": ["A", "A"], "payment_date": ["2026-01-11", "2026-02-10"],
                        "amount": [400.0, 300.0]})
    ledger = ledger_from_frames(inv, pay, as_of=AS_OF)
    curve = observed_curve(ledger, AS_OF, SURVEY_CURVE, replicates=0, full_claims=1, full_customers=1)
    assert curve.collect[0] == pytest.approx(0.7) and curve.write_off[0] == pytest.approx(0.3)
    assert curve.collect[20] == pytest.approx(0.5) and curve.write_off[20] == pytest.approx(0.5)
    assert curve.amount[20] == pytest.approx(600.0) and curve.claims[20] == 1
    assert curve.collect[50] == 0.0 and curve.write_off[50] == pytest.approx(1.0)
    # time to cash from age 0: 400 after 10 days, 300 after 40 → (4000 + 12000) / 700
    assert curve.table.loc[0, "days_to_cash"] == pytest.approx(16000 / 700, rel=1e-9)


ledgers = st.lists(st.tuples(st.integers(1, 700), st.integers(0, 800), st.sampled_from(["paid", "wo", "open"]),
                             st.floats(1, 1e5)), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None)
@given(ledgers, st.sampled_from([10.0, 100.0, 1000.0]))
@example([(1, 1, "paid", 1.0), (1, 2, "paid", 1.0), (2, 2, "paid", 37317.5), (16, 16, "paid", 1.0)], 10.0)
def test_outcomes_add_up_and_do_not_depend_on_the_currency_unit(rows, k):
    t = pd.Timestamp(AS_OF)
    due = [t - pd.Timedelta(days=d) for d, *_ in rows]
    when = [dd + pd.Timedelta(days=a) for dd, (_d, a, *_r) in zip(due, rows)]
    inv = pd.DataFrame({
        "invoice_id": [f"I{i}" for i in range(len(rows))], "customer_id": [f"C{i % 3}" for i in range(len(rows))],
        "invoice_date": [d - pd.Timedelta(days=30) for d in due], "due_date": due,
        "amount": [round(r[3], 2) for r in rows],
        "paid_date": [w if r[2] == "paid" and w <= t else pd.NaT for w, r in zip(when, rows)],
        "written_off_date": [w if r[2] == "wo" and w <= t else pd.NaT for w, r in zip(when, rows)],
    })
    one = observed_curve(ledger_from_frames(inv, as_of=t), t, SURVEY_CURVE, replicates=0).table
    other = observed_curve(ledger_from_frames(inv.assign(amount=inv["amount"] * k), as_of=t), t, SURVEY_CURVE,
                           replicates=0).table
    seen = one["claims"] > 0
    parts = one.loc[seen, ["collected", "written_off", "still_open"]]
    np.testing.assert_allclose(parts.sum(axis=1), 1.0, atol=1e-9)
    # shares of 1 within float error: the estimator sums many steps (this example reached 1 + 2e-12)
    assert ((parts >= -1e-9) & (parts <= 1 + 1e-9)).all().all()
    pd.testing.assert_series_equal(one["claims"], other["claims"])
    np.testing.assert_allclose(one["collected"], other["collected"], rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(one["amount"] * k, other["amount"], rtol=1e-9)


def test_replace_keeps_the_frozen_curve_usable():
    curve = observed_curve(planted_ledger(SHAPES["cliff"], invoices=500), AS_OF, SURVEY_CURVE, replicates=0)
    other = dataclasses.replace(curve, collect=curve.collect * 0.5)
    assert other.at([30.7], "collect")[0] == pytest.approx(curve.collect[30] * 0.5)
