"""Roll rates and the chained write-off forecast on hand-checked cohorts (docs/kpis.md).

The cohort ledger: for each month M, one invoice of 1,000 dated the 16th of M − 1 and due
the 15th of M. An invoice due on the 15th is, at the month-ends that follow,

    end of M − 1: Current | M: 13–16 days past due (1–30) | M+1: 41–47 (31–60)
    M+2: 69–78 (61–90)    | M+3: 97–109 (91–120)          | M+4: 125–140 (newly 120+, 121–150)

whatever the month lengths, so each 30-day bucket holds exactly one cohort. Each cohort pays
600 on the 10th of M, then 200, 100, 50, 25 on the 10th of M+1 … M+4, and the last 25 is
written off on the 10th of M+5. So the bucket balances at every month-end are

    Current 1,000 | 1–30 400 | 31–60 200 | 61–90 100 | 91–120 50 | 120+ 25

and every month the rolls are 400/1,000 = 0.4, then 0.5, 0.5, 0.5, 0.5, and 120+ → written
off 25/25 = 1. The expected write-off of the AR at a month-end is
Σ_b balance_b × Π_{k ≥ b} roll_k:

    1,000 × 0.4 × 0.5⁴ × 1 + 400 × 0.5⁴ + 200 × 0.5³ + 100 × 0.5² + 50 × 0.5 + 25 × 1
    = 25 + 25 + 25 + 25 + 25 + 25 = 150.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from arassess.inputs.intake import ledger_from_frames
from arassess.kpi.engine import compute_kpis, kpi_series
from arassess.kpi.rollrates import ROLL_LABELS, ROLL_MONTHS, chained, roll_rate_table

T = "2026-06-30"
STEADY = [0.4, 0.5, 0.5, 0.5, 0.5, 1.0]
STEADY_AGING = {"Current": 1000.0, "1–30": 400.0, "31–60": 200.0, "61–90": 100.0, "91–120": 50.0, "120+": 25.0}
PATTERN = (600, 200, 100, 50, 25)  # paid on the 10th of M, M+1, … M+4; the rest written off in M+5


def cohort_ledger(due_months, patterns=None, extra_invoices=()):
    """One cohort invoice per due month (see the module docstring); ``patterns`` overrides a month's payments."""
    patterns = patterns or {}
    invoices, payments = [], []
    for month in due_months:
        due = pd.Timestamp(f"{month}-15")
        iid = f"I{month}"
        invoices.append(dict(invoice_id=iid, customer_id=f"c{month}", invoice_date=due - pd.DateOffset(months=1)
                             + pd.Timedelta(days=1), due_date=due, amount=1000.0,
                             written_off_date=(due + pd.DateOffset(months=5)).replace(day=10)))
        for k, amount in enumerate(patterns.get(month, PATTERN)):
            payments.append(dict(invoice_id=iid, payment_date=(due + pd.DateOffset(months=k)).replace(day=10),
                                 amount=float(amount)))
    invoices.extend(extra_invoices)
    return ledger_from_frames(pd.DataFrame(invoices), pd.DataFrame(payments))


def months(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


STEADY_MONTHS = months("2025-01", "2026-07")  # first invoice 2024-12-16


def test_roll_rate_labels():
    assert ROLL_LABELS == ("Current → 1–30", "1–30 → 31–60", "31–60 → 61–90", "61–90 → 91–120",
                           "91–120 → 120+", "120+ → written off")
    assert ROLL_MONTHS == 6


def test_steady_state_roll_rates_every_month():
    table = roll_rate_table(cohort_ledger(STEADY_MONTHS), T, months=6)
    assert list(table.index) == list(pd.date_range("2026-01-31", T, freq="ME"))
    assert list(table.columns) == list(ROLL_LABELS)
    np.testing.assert_allclose(table.to_numpy(), np.tile(STEADY, (6, 1)), rtol=1e-12)


def test_steady_state_aging_and_expected_write_off():
    table = compute_kpis(cohort_ledger(STEADY_MONTHS), T)
    assert table.aging.loc[pd.Timestamp(T)].to_dict() == STEADY_AGING
    assert table.value("expected_write_off") == pytest.approx(150.0, rel=1e-12)
    assert table.reason("expected_write_off") is None


def test_expected_write_off_mid_month_uses_month_ends_before_T():
    # at 2026-06-20 the balances are the same (each cohort's June payment is on the 10th)
    table = compute_kpis(cohort_ledger(STEADY_MONTHS), "2026-06-20")
    assert table.aging.iloc[0].to_dict() == STEADY_AGING
    assert table.value("expected_write_off") == pytest.approx(150.0, rel=1e-12)


def test_rates_are_averaged_as_sum_of_numerators_over_sum_of_denominators():
    """The cohort due 2026-02 pays 400 then 400 (not 600 then 200).

    Monthly: Feb Current → 1–30 = 600/1,000 = 0.6; Mar 1–30 → 31–60 = 200/600 = 1/3.
    Averaged over the 6 months Jan … Jun: Current → 1–30 = (5 × 400 + 600)/6,000 = 2,600/6,000;
    1–30 → 31–60 = 6 × 200 / (5 × 400 + 600) = 1,200/2,600. The balances at T are the steady ones:
    1,000 × (2,600/6,000 × 1,200/2,600 × 0.5³) + 400 × (1,200/2,600 × 0.5³) + 25 × 4
    = 25 + 23.0769… + 100 = 148.0769….
    """
    ledger = cohort_ledger(STEADY_MONTHS, patterns={"2026-02": (400, 400, 100, 50, 25)})
    rates = roll_rate_table(ledger, T, months=6)
    assert rates.at[pd.Timestamp("2026-02-28"), "Current → 1–30"] == pytest.approx(0.6)
    assert rates.at[pd.Timestamp("2026-03-31"), "1–30 → 31–60"] == pytest.approx(1 / 3)
    assert rates.at[pd.Timestamp("2026-04-30"), "Current → 1–30"] == pytest.approx(0.4)
    table = compute_kpis(ledger, T)
    expected = (1000 * (2600 / 6000) * (1200 / 2600) * 0.5 ** 3
                + 400 * (1200 / 2600) * 0.5 ** 3 + 200 * 0.5 ** 3 + 100 * 0.5 ** 2 + 50 * 0.5 + 25)
    assert table.value("expected_write_off") == pytest.approx(expected, rel=1e-12)
    assert table.value("expected_write_off") == pytest.approx(148.076923, abs=1e-6)


def test_average_rate_is_capped_at_one():
    """An invoice of 10,000 dated and due 2026-06-02 lands in 1–30 at the June month-end without
    having been Current at the May month-end: June's Current → 1–30 is 10,400/1,000 = 10.4.
    The 6-month average (5 × 400 + 10,400)/6,000 = 2.07 is capped at 1 in the forecast:
    1,000 × 1 × 0.5⁴ + 10,400 × 0.5⁴ + 25 × 4 = 62.5 + 650 + 100 = 812.5 (uncapped: 879.17)."""
    spike = dict(invoice_id="SPIKE", customer_id="s", invoice_date=pd.Timestamp("2026-06-02"),
                 due_date=pd.Timestamp("2026-06-02"), amount=10000.0, written_off_date=pd.NaT)
    ledger = cohort_ledger(STEADY_MONTHS, extra_invoices=[spike])
    assert roll_rate_table(ledger, T, months=1).iloc[0, 0] == pytest.approx(10.4)   # raw monthly rate
    table = compute_kpis(ledger, T)
    assert table.aging.loc[pd.Timestamp(T), "1–30"] == 10400.0
    assert table.value("expected_write_off") == pytest.approx(812.5, rel=1e-12)


def test_rates_are_missing_where_the_starting_bucket_was_empty():
    # first cohort due 2025-01: at 2024-12-31 only Current (1,000) is filled
    rates = roll_rate_table(cohort_ledger(STEADY_MONTHS), "2025-03-31", months=3)
    assert list(rates.index) == list(pd.date_range("2025-01-31", "2025-03-31", freq="ME"))
    assert rates.iloc[0].tolist()[:1] == [0.4]
    assert all(math.isnan(v) for v in rates.iloc[0].tolist()[1:])          # Jan: nothing past due in Dec
    assert rates.iloc[2].tolist()[:3] == [0.4, 0.5, 0.5]                     # Mar: up to 31–60 → 61–90
    assert all(math.isnan(v) for v in rates.iloc[2].tolist()[3:])


def test_expected_write_off_missing_until_every_needed_rate_was_seen():
    # at 2025-04-30 the oldest cohort (due 2025-01) is in 91–120 but has never rolled into 120+,
    # and nothing has ever been written off: the chain is undefined, so the forecast is missing
    table = compute_kpis(cohort_ledger(STEADY_MONTHS), "2025-04-30")
    assert math.isnan(table.value("expected_write_off"))
    assert "roll rate" in table.reason("expected_write_off")


def test_expected_write_off_first_available_with_six_rolls():
    # rolls Jan … Jun 2025 (month-ends 2024-12 … 2025-06); 120+ → written off first seen in June 2025:
    # the cohort due 2025-01 reaches 120+ at 2025-05-31 and is written off 2025-06-10
    table = compute_kpis(cohort_ledger(STEADY_MONTHS), "2025-06-30")
    assert table.aging.iloc[0].to_dict() == STEADY_AGING
    assert table.value("expected_write_off") == pytest.approx(150.0, rel=1e-12)


def test_series_of_expected_write_off_equals_single_dates():
    ledger = cohort_ledger(STEADY_MONTHS)
    series = kpi_series(ledger, T, months=12)
    for at in series.values.index:
        single = compute_kpis(ledger, at)
        a, b = series.value("expected_write_off", at), single.value("expected_write_off")
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12), at
    assert series.value("expected_write_off") == pytest.approx(150.0)


def test_series_equals_single_dates_after_months_with_no_ar():
    """Regression: the series used to skip a month-end with no AR and reach further back than a
    single date could (cohorts due 2024-01 … 2025-03, all written off by 2025-08-10; none until
    the cohorts due 2025-10 …, so AR is 0 at the 2025-08-31 month-end)."""
    ledger = cohort_ledger(months("2024-01", "2025-03") + months("2025-10", "2026-07"))
    series = kpi_series(ledger, T, months=24)
    assert series.value("ar_total", "2025-08-31") == 0.0
    for at in series.values.index:
        a, b = series.value("expected_write_off", at), compute_kpis(ledger, at).value("expected_write_off")
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12), at
    # six steady month-end pairs again from 2026-03-31 (pairs Oct … Mar): the steady 150
    assert series.value("expected_write_off", "2026-03-31") == pytest.approx(150.0)


def test_a_zero_roll_ends_the_chain_even_before_an_undefined_rate():
    chain = chained(np.array([0.4, 0.0, np.nan, np.nan, np.nan, np.nan]))
    assert chain[:2].tolist() == [0.0, 0.0] and np.isnan(chain[2:]).all()
    assert chained(np.array(STEADY)).tolist() == pytest.approx([0.025, 0.0625, 0.125, 0.25, 0.5, 1.0])
    assert math.isnan(chained(np.array([0.4, np.nan, 0.0, 0.5, 0.5, 1.0]))[0])  # an unknown roll comes first


def test_a_book_whose_balances_never_pass_31_days_forecasts_no_write_off():
    """Every cohort pays 600 then 400 a month later: nothing is ever in 31–60 or older, so the roll
    from 1–30 is 0 and the forecast is 0 — not "not available" for want of rates that could not exist."""
    ledger = cohort_ledger(STEADY_MONTHS, patterns={m: (600, 400) for m in STEADY_MONTHS})
    table = compute_kpis(ledger, "2025-12-31")
    assert table.aging.iloc[0].to_dict() == {"Current": 1000.0, "1–30": 400.0, "31–60": 0.0, "61–90": 0.0,
                                             "91–120": 0.0, "120+": 0.0}
    assert table.value("expected_write_off") == 0.0 and table.reason("expected_write_off") is None
