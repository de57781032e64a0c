"""KPI engine: tables of named cases with hand-computed expectations (docs/kpis.md).

Every case is a tiny ledger whose numbers can be checked with pencil and paper;
the arithmetic is in the comment next to each expectation. Unless a case says
otherwise the as-of date is T = 2026-06-30 and N = 90, so

    the window (T − N, T]  = 2026-04-02 … 2026-06-30   (T − N = 2026-04-01 is outside)
    the 12 months          = 2025-07-01 … 2026-06-30   (T − 365 = 2025-06-30 is outside)

Most cases include ANCHOR, an old invoice paid in 2024, so that the ledger's
history reaches back more than a year and no KPI is missing for lack of history.
A ``Missing("…")`` expectation means: the value is NaN and the reason contains
that text (an undefined KPI is never 0 or inf).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from arassess.display.format import format_value
from arassess.errors import ArassessError
from arassess.inputs.intake import ledger_from_frames
from arassess.kpi.engine import compute_kpis, kpi_series, kpi_value
from arassess.kpi.registry import KPIS
from arassess.kpi.scorecard import scorecard

T = "2026-06-30"
HISTORY_KEYS = [k.key for k in KPIS if k.needs_history]
SNAPSHOT_KEYS = ["ar_total", "ar_overdue", "pct_over_90", "top10_overdue_share"]
BUCKETS = ["Current", "1–30", "31–60", "61–90", "91–120", "120+"]


def inv(invoice_id: str, customer_id: str, invoice_date: str, due_date: str, amount: float, **extra) -> dict:
    return dict(invoice_id=invoice_id, customer_id=customer_id, invoice_date=invoice_date,
                due_date=due_date, amount=float(amount), **extra)


def pay(invoice_id: str, payment_date: str, amount: float) -> dict:
    return dict(invoice_id=invoice_id, payment_date=payment_date, amount=float(amount))


def make(invoices, payments=(), **kw):
    """A validated ledger from rows (dicts) of canonical columns."""
    return ledger_from_frames(pd.DataFrame(list(invoices)),
                              pd.DataFrame(list(payments)) if payments else None, **kw)


ANCHOR = inv("ANCHOR", "c0", "2024-01-10", "2024-02-09", 500, paid_date="2024-02-01")


@dataclass(frozen=True)
class Missing:
    because: str  # a fragment of the reason


@dataclass(frozen=True)
class Case:
    invoices: tuple
    payments: tuple = ()
    expect: dict = field(default_factory=dict)
    aging: dict | None = None  # bucket → amount; buckets not named are 0
    as_of: str = T
    window_days: int = 90
    aging_edges: tuple = (0, 30, 60, 90, 120)
    shape: str = "ledger"
    ledger_as_of: str | None = None

    def ledger(self):
        return make(self.invoices, self.payments, shape=self.shape, as_of=self.ledger_as_of)

    def table(self):
        return compute_kpis(self.ledger(), self.as_of, window_days=self.window_days,
                            aging_edges=self.aging_edges)


def check_expectations(table, expect: dict, as_of) -> None:
    for key, want in expect.items():
        got = table.value(key, as_of)
        reason = table.reason(key, as_of)
        if isinstance(want, Missing):
            assert math.isnan(got), f"{key}: expected missing ({want.because!r}), got {got}"
            assert isinstance(reason, str) and want.because in reason, f"{key}: reason {reason!r}"
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-9), f"{key}: {got} != {want}"
            assert reason is None or (isinstance(reason, float) and math.isnan(reason)), \
                f"{key} is defined but has a reason: {reason!r}"


def check_aging(table, aging: dict, as_of) -> None:
    row = table.aging.loc[pd.Timestamp(as_of)]
    assert set(aging) <= set(row.index), f"unknown buckets {set(aging) - set(row.index)}"
    for bucket, amount in row.items():
        assert amount == pytest.approx(aging.get(bucket, 0.0), abs=1e-9), f"bucket {bucket}"


# ---------------------------------------------------------------------------------------
# The base case: every window KPI by hand.
#
#   id  cust invoice     due         amount  settlement                         open at T  dpd at T
#   P1  c1   2026-03-01  2026-03-31    4000  paid_date 2026-04-20                      0
#   P2  c2   2026-04-01  2026-05-01    3000  paid 1000 on 2026-05-10                2000     60
#   W1  c3   2026-04-02  2026-05-02    6000  paid_date 2026-05-02 (on the due date)     0
#   W2  c1   2026-05-15  2026-06-14    5000  open                                   5000     16
#   W3  c2   2026-06-10  2026-07-10    7000  open                                   7000    −10
#   W4  c3   2026-06-30  2026-07-30    2000  open (dated on T: in the window)       2000    −30
#
# sales(T−N, T] = W1..W4 = 20,000 (P2 is dated on T − N: outside)
# AR(T) = 16,000; current = W3 + W4 = 9,000; overdue = 7,000
# AR(S = T − N = 2026-04-01) = P1 4,000 + P2 3,000 = 7,000
# settled in the window: P1 (4,000; 50 days to pay; 20 late), W1 (6,000; 30 days; 0 late)
BASE = (
    ANCHOR,
    inv("P1", "c1", "2026-03-01", "2026-03-31", 4000, paid_date="2026-04-20"),
    inv("P2", "c2", "2026-04-01", "2026-05-01", 3000),
    inv("W1", "c3", "2026-04-02", "2026-05-02", 6000, paid_date="2026-05-02"),
    inv("W2", "c1", "2026-05-15", "2026-06-14", 5000),
    inv("W3", "c2", "2026-06-10", "2026-07-10", 7000),
    inv("W4", "c3", "2026-06-30", "2026-07-30", 2000),
)
BASE_PAYMENTS = (pay("P2", "2026-05-10", 1000),)

# one invoice, 2026-05-01 due 2026-05-31: 30 days past due at T (bucket 1–30)
Q = inv("Q", "c1", "2026-05-01", "2026-05-31", 1000)

CASES: dict[str, Case] = {
    # --- the base ledger ------------------------------------------------------------------
    "base_90_day_window": Case(
        BASE, BASE_PAYMENTS,
        expect={
            "ar_total": 16000, "ar_overdue": 7000,
            "dso": 16000 / 20000 * 90,                               # 72
            "bpdso": 9000 / 20000 * 90,                              # 40.5
            "add": 7000 / 20000 * 90,                                # 31.5 = 72 − 40.5
            "cei": (7000 + 20000 - 16000) / (7000 + 20000 - 9000) * 100,  # 61.11 (total sales)
            "pct_over_90": 0.0,
            "days_to_pay": (4000 * 50 + 6000 * 30) / 10000,          # 38 (amount-weighted)
            "mean_days_late": (20 + 0) / 2,                          # 10
            "on_time_rate": 1 / 2 * 100,                             # 50 (W1 paid on its due date)
            # 12 m sales: P1 + P2 + W1..W4 = 27,000; AR(T − 365) = 0
            "ar_turnover": 27000 / ((0 + 16000) / 2),                # 3.375
            "bad_debt_ratio": 0.0,
            # overdue by customer: c1 5,000 (W2), c2 2,000 (P2): all within the top 10
            "top10_overdue_share": 100.0,
            # June (30 d) 9,000 → rest 7,000; May (31 d) 5,000 → rest 2,000; April 9,000:
            "dso_countback": 30 + 31 + 2000 / 9000 * 30,             # 67.67
            "dispute_rate": Missing("no 'disputed'"),
        },
        aging={"Current": 9000, "1–30": 5000, "31–60": 2000},
    ),
    "base_30_day_window": Case(
        # window (2026-05-31, 2026-06-30]: sales W3 + W4 = 9,000; AR(2026-05-31) = P2 2,000 + W2 5,000
        BASE, BASE_PAYMENTS, window_days=30,
        expect={
            "dso": 16000 / 9000 * 30,                                # 53.33
            "bpdso": 9000 / 9000 * 30,                               # 30
            "add": 7000 / 9000 * 30,                                 # 23.33
            "cei": (7000 + 9000 - 16000) / (7000 + 9000 - 9000) * 100,  # 0: nothing collected
            "days_to_pay": Missing("no invoice was fully paid in the window"),
            "on_time_rate": Missing("no invoice was fully paid in the window"),
        },
    ),
    # --- empty and degenerate windows -----------------------------------------------------
    "empty_window": Case(
        (ANCHOR,),
        expect={
            "ar_total": 0.0, "ar_overdue": 0.0,
            "dso": Missing("no credit sales in the 90-day window"),
            "bpdso": Missing("no credit sales in the 90-day window"),
            "add": Missing("no credit sales in the 90-day window"),
            "cei": Missing("nothing was collectable"),
            "pct_over_90": Missing("no open AR"),
            "top10_overdue_share": Missing("no overdue AR"),
            "days_to_pay": Missing("no invoice was fully paid in the window"),
            "mean_days_late": Missing("no invoice was fully paid in the window"),
            "on_time_rate": Missing("no invoice was fully paid in the window"),
            "bad_debt_ratio": Missing("no credit sales in the last 12 months"),
            "ar_turnover": Missing("average AR is zero"),
            "dso_countback": 0.0,                                    # no AR: nothing outstanding
        },
        aging={},
    ),
    "no_sales_in_window_old_debt_open": Case(
        # OLD: 1,000 dated 2025-12-01, 400 paid 2026-01-15 → 600 open, 181 days past due
        (ANCHOR, inv("OLD", "c1", "2025-12-01", "2025-12-31", 1000)),
        (pay("OLD", "2026-01-15", 400),),
        expect={
            "ar_total": 600, "ar_overdue": 600,
            "dso": Missing("no credit sales in the 90-day window"),
            "cei": (600 + 0 - 600) / (600 + 0 - 0) * 100,            # 0: nothing collected
            "pct_over_90": 100.0,
            "ar_turnover": 1000 / ((0 + 600) / 2),                   # 3.33
            # Jun 30 + May 31 + Apr 30 + Mar 31 + Feb 28 + Jan 31 (no sales) = 181; Dec 1,000:
            "dso_countback": 181 + 600 / 1000 * 31,                  # 199.6
            "top10_overdue_share": 100.0,
        },
        aging={"120+": 600},
    ),
    "single_invoice_current": Case(
        (ANCHOR, inv("X", "c1", "2026-06-10", "2026-07-10", 1000)),
        expect={
            "ar_total": 1000, "ar_overdue": 0.0,
            "dso": 1000 / 1000 * 90, "bpdso": 90.0, "add": 0.0,
            "cei": Missing("nothing was collectable"),               # 0 / 0
            "pct_over_90": 0.0,
            "top10_overdue_share": Missing("no overdue AR"),
            "ar_turnover": 1000 / ((0 + 1000) / 2),
            "dso_countback": 30.0,                                   # AR = all of June's sales
        },
        aging={"Current": 1000},
    ),
    # --- payments, paid dates, write-offs, credit notes around T --------------------------
    "partial_payment_before_T": Case(
        (ANCHOR, Q), (pay("Q", "2026-06-15", 300),),
        expect={"ar_total": 700, "ar_overdue": 700, "dso": 700 / 1000 * 90,
                "days_to_pay": Missing("no invoice was fully paid")},
        aging={"1–30": 700},
    ),
    "partial_payment_after_T": Case(
        (ANCHOR, Q), (pay("Q", "2026-07-01", 300),),
        expect={"ar_total": 1000, "dso": 90.0},
        aging={"1–30": 1000},
    ),
    "payment_on_T_counts": Case(
        (ANCHOR, Q), (pay("Q", T, 300),),
        expect={"ar_total": 700, "dso": 63.0},
        aging={"1–30": 700},
    ),
    "paid_date_on_T_closes": Case(
        (ANCHOR, {**Q, "paid_date": T}),
        expect={"ar_total": 0.0, "dso": 0.0, "pct_over_90": Missing("no open AR"),
                "days_to_pay": 60.0,                                 # May 1 → Jun 30
                "mean_days_late": 30.0,                              # May 31 → Jun 30
                "on_time_rate": 0.0},
        aging={},
    ),
    "paid_date_after_T": Case(
        (ANCHOR, {**Q, "paid_date": "2026-07-01"}),
        expect={"ar_total": 1000, "days_to_pay": Missing("no invoice was fully paid")},
        aging={"1–30": 1000},
    ),
    "payments_then_paid_date_before_T": Case(
        (ANCHOR, {**Q, "paid_date": "2026-06-20"}), (pay("Q", "2026-06-10", 300),),
        expect={"ar_total": 0.0, "days_to_pay": 50.0, "mean_days_late": 20.0, "on_time_rate": 0.0},
    ),
    "payments_then_paid_date_after_T": Case(
        (ANCHOR, {**Q, "paid_date": "2026-06-20"}), (pay("Q", "2026-06-10", 300),),
        as_of="2026-06-15",
        expect={"ar_total": 700},
        aging={"1–30": 700},                                         # 15 days past due
    ),
    "writeoff_before_T": Case(
        (ANCHOR, {**Q, "written_off_date": "2026-06-20"}),
        expect={"ar_total": 0.0, "bad_debt_ratio": 1000 / 1000 * 100},
        aging={},
    ),
    "writeoff_partial_amount": Case(
        (ANCHOR, {**Q, "written_off_date": "2026-06-20", "written_off_amount": 400.0}),
        expect={"ar_total": 600, "bad_debt_ratio": 400 / 1000 * 100},
        aging={"1–30": 600},
    ),
    "writeoff_after_T": Case(
        (ANCHOR, {**Q, "written_off_date": "2026-07-05"}),
        expect={"ar_total": 1000, "bad_debt_ratio": 0.0},
        aging={"1–30": 1000},
    ),
    "writeoff_of_the_rest_after_partial_payment": Case(
        (ANCHOR, {**Q, "written_off_date": "2026-06-20"}), (pay("Q", "2026-06-10", 300),),
        expect={"ar_total": 0.0, "bad_debt_ratio": 700 / 1000 * 100},
    ),
    "writeoff_amount_clipped_to_open_balance": Case(
        # 900 asked, but only 700 was still open on the write-off date
        (ANCHOR, {**Q, "written_off_date": "2026-06-20", "written_off_amount": 900.0}),
        (pay("Q", "2026-06-10", 300),),
        expect={"ar_total": 0.0, "bad_debt_ratio": 70.0},
    ),
    "credit_note_nets_ar_and_sales": Case(
        # a −200 credit note of the same customer, due 2026-06-05 (25 days past due)
        (ANCHOR, Q, inv("CN", "c1", "2026-06-05", "2026-06-05", -200, is_credit_note=True)),
        expect={"ar_total": 800, "ar_overdue": 800,
                "dso": 800 / 800 * 90,                               # net credit sales 800
                "ar_turnover": 800 / ((0 + 800) / 2)},
        aging={"1–30": 800},
    ),
    # --- settlements: amount-weighted days to pay vs mean days late vs on-time rate -------
    "days_to_pay_weighted_vs_mean_late_vs_on_time": Case(
        (ANCHOR,
         inv("A", "c1", "2026-04-10", "2026-05-10", 1000, paid_date="2026-05-10"),  # 30 d, on time
         inv("B", "c2", "2026-04-20", "2026-05-20", 3000, paid_date="2026-06-19"),  # 60 d, 30 late
         inv("C", "c3", "2026-05-01", "2026-05-31", 6000, paid_date="2026-05-21"),  # 20 d, early
         inv("E", "c5", "2026-03-03", "2026-04-01", 2000, paid_date="2026-04-02"),  # 30 d, 1 late
         inv("D", "c4", "2026-03-01", "2026-03-31", 5000, paid_date="2026-04-01")), # paid on T − N: out
        expect={
            "days_to_pay": (1000 * 30 + 3000 * 60 + 6000 * 20 + 2000 * 30) / 12000,  # 32.5
            "mean_days_late": (0 + 30 + 0 + 1) / 4,                                 # 7.75
            "on_time_rate": 2 / 4 * 100,                                            # 50
        },
    ),
    # --- 12-month KPIs --------------------------------------------------------------------
    "bad_debt_ratio_trailing_12_months": Case(
        (ANCHOR,
         inv("E1", "c1", "2025-08-01", "2025-08-31", 10000, written_off_date="2026-02-01",
             written_off_amount=1500.0),                             # 1,500 written off, 8,500 open
         inv("E2", "c2", "2025-03-01", "2025-03-31", 5000, written_off_date="2025-06-30"),  # on T − 365: out
         inv("E3", "c3", "2025-09-15", "2025-10-15", 6000, written_off_date="2025-12-01"),  # rest: 4,000
         inv("E4", "c4", "2026-05-01", "2026-05-31", 4000)),
        (pay("E3", "2025-10-20", 2000),),
        expect={
            # sales (2025-06-30, 2026-06-30]: E1 + E3 + E4 = 20,000 (E2 is older)
            "bad_debt_ratio": (1500 + 4000) / 20000 * 100,           # 27.5
            "ar_total": 8500 + 4000,
            "ar_turnover": 20000 / ((0 + 12500) / 2),                # 3.2 (E2 gone by T − 365)
        },
    ),
    "ar_turnover_average_of_year_ago_and_now": Case(
        (ANCHOR,
         inv("Y1", "c1", "2025-06-01", "2025-07-01", 8000, paid_date="2025-08-15"),   # open at T−365
         inv("Y2", "c2", "2025-06-30", "2025-07-30", 2000, paid_date="2025-07-30"),   # dated T−365
         inv("Y3", "c3", "2025-07-01", "2025-07-31", 12000, paid_date="2025-09-01"),  # first 12 m day
         inv("Y4", "c1", "2026-05-15", "2026-06-14", 6000),
         inv("Y5", "c2", "2026-06-20", "2026-07-20", 5000)),
        expect={
            # sales (T − 365, T] = Y3 + Y4 + Y5 = 23,000; AR(T − 365) = 10,000; AR(T) = 11,000
            "ar_turnover": 23000 / ((10000 + 11000) / 2),            # 2.19
        },
    ),
    # --- disputes -------------------------------------------------------------------------
    "dispute_rate_flag_only": Case(
        ({**ANCHOR, "disputed": False},
         inv("D0", "c1", "2026-03-15", "2026-04-14", 100, disputed=True),  # issued before the window
         inv("D1", "c1", "2026-05-05", "2026-06-04", 100, disputed=True),
         inv("D2", "c2", "2026-05-10", "2026-06-09", 100, disputed=False),
         inv("D3", "c3", "2026-06-01", "2026-07-01", 100, disputed=False),
         inv("D4", "c4", "2026-06-20", "2026-07-20", 100, disputed=True)),
        expect={"dispute_rate": 2 / 4 * 100},
    ),
    "dispute_rate_with_dispute_dates": Case(
        ({**ANCHOR, "disputed": False},
         inv("D0", "c1", "2026-03-15", "2026-04-14", 100, disputed=True, dispute_date="2026-03-20"),
         inv("D1", "c1", "2026-05-05", "2026-06-04", 100, disputed=True, dispute_date="2026-06-01"),
         inv("D2", "c2", "2026-05-10", "2026-06-09", 100, disputed=False, dispute_date=T),  # raised on T
         inv("D3", "c3", "2026-06-01", "2026-07-01", 100, disputed=True, dispute_date="2026-07-05"),
         inv("D4", "c4", "2026-06-20", "2026-07-20", 100, disputed=True),   # no date: from issue
         inv("D5", "c5", "2026-06-25", "2026-07-25", 100, disputed=False)),
        expect={"dispute_rate": 3 / 5 * 100},                        # D1, D2, D4 of D1..D5
    ),
    "dispute_rate_with_dispute_dates_later": Case(
        ({**ANCHOR, "disputed": False},
         inv("D0", "c1", "2026-03-15", "2026-04-14", 100, disputed=True, dispute_date="2026-03-20"),
         inv("D1", "c1", "2026-05-05", "2026-06-04", 100, disputed=True, dispute_date="2026-06-01"),
         inv("D2", "c2", "2026-05-10", "2026-06-09", 100, disputed=False, dispute_date=T),
         inv("D3", "c3", "2026-06-01", "2026-07-01", 100, disputed=True, dispute_date="2026-07-05"),
         inv("D4", "c4", "2026-06-20", "2026-07-20", 100, disputed=True),
         inv("D5", "c5", "2026-06-25", "2026-07-25", 100, disputed=False)),
        as_of="2026-07-10",                                          # D3's dispute is raised by now
        expect={"dispute_rate": 4 / 5 * 100},
    ),
    # --- top-10 share with 12 customers -----------------------------------------------------
    "top10_share_of_overdue_with_12_customers": Case(
        (ANCHOR,
         *[inv(f"K{k:02d}", f"k{k:02d}", "2026-05-01", "2026-05-31", 100 * k) for k in range(1, 13)],
         inv("K01b", "k01", "2026-04-01", "2026-05-01", 1250),      # k01 now owes 1,350 overdue
         inv("K02c", "k02", "2026-06-15", "2026-07-15", 9999),      # current: not overdue
         inv("K13c", "k13", "2026-06-15", "2026-07-15", 5000)),     # current only
        expect={
            # overdue 100 × (1 + … + 12) + 1,250 = 9,050; the two smallest customers are
            # k02 (200) and k03 (300), so the top 10 owe 8,550 (by invoice it would be 8,450)
            "top10_overdue_share": 8550 / 9050 * 100,
            "ar_overdue": 9050,
        },
    ),
    # --- history coverage -----------------------------------------------------------------
    "history_starts_inside_the_window": Case(
        (inv("H", "c1", "2026-04-03", "2026-05-03", 1000),),        # first day after T − N + 1
        expect={
            "dso": Missing("does not reach back 90 days"),
            "bpdso": Missing("does not reach back 90 days"),
            "add": Missing("does not reach back 90 days"),
            "cei": Missing("does not reach back 90 days"),
            "bad_debt_ratio": Missing("does not reach back 365 days"),
            "ar_turnover": Missing("does not reach back 365 days"),
            "ar_total": 1000, "pct_over_90": 0.0, "top10_overdue_share": 100.0,
        },
        aging={"31–60": 1000},                                       # 58 days past due
    ),
    "history_starts_on_the_first_window_day": Case(
        (inv("H", "c1", "2026-04-02", "2026-05-02", 1000),),
        expect={"dso": 90.0, "bpdso": 0.0, "add": 90.0,
                "ar_turnover": Missing("does not reach back 365 days")},
    ),
    "history_starts_on_T_minus_N": Case(
        (inv("H", "c1", "2026-04-01", "2026-05-01", 1000),),        # covered, but no sales in the window
        expect={"dso": Missing("no credit sales in the 90-day window"),
                "cei": (1000 + 0 - 1000) / (1000 + 0 - 0) * 100},
    ),
    "history_starts_on_the_first_day_of_the_year": Case(
        (inv("H", "c1", "2025-07-01", "2025-07-31", 1000, paid_date="2025-08-01"),
         inv("Z", "c2", "2026-06-01", "2026-07-01", 3000)),
        expect={"ar_turnover": 4000 / ((0 + 3000) / 2), "bad_debt_ratio": 0.0, "dso": 90.0},
    ),
    "history_starts_a_day_inside_the_year": Case(
        (inv("H", "c1", "2025-07-02", "2025-08-01", 1000, paid_date="2025-08-01"),
         inv("Z", "c2", "2026-06-01", "2026-07-01", 3000)),
        expect={"ar_turnover": Missing("does not reach back 365 days"),
                "bad_debt_ratio": Missing("does not reach back 365 days"), "dso": 90.0},
    ),
    # --- custom aging edges -----------------------------------------------------------------
    "custom_aging_edges_0_15_45": Case(
        # days past due 0, 15, 16, 45, 46 with amounts 100, 200, 400, 800, 1,600
        (inv("G0", "c1", "2026-05-31", "2026-06-30", 100),
         inv("G15", "c1", "2026-05-16", "2026-06-15", 200),
         inv("G16", "c2", "2026-05-15", "2026-06-14", 400),
         inv("G45", "c2", "2026-04-16", "2026-05-16", 800),
         inv("G46", "c3", "2026-04-15", "2026-05-15", 1600)),
        aging_edges=(0, 15, 45),
        expect={"ar_total": 3100, "ar_overdue": 3000, "pct_over_90": 0.0},
        aging={"Current": 100, "1–15": 200, "16–45": 1200, "45+": 1600},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_named_case(name):
    case = CASES[name]
    table = case.table()
    check_expectations(table, case.expect, case.as_of)
    if case.aging is not None:
        check_aging(table, case.aging, case.as_of)


def test_every_registry_kpi_is_reported():
    table = CASES["base_90_day_window"].table()
    assert list(table.values.columns) == [k.key for k in KPIS]
    assert list(table.reasons.columns) == [k.key for k in KPIS]
    assert list(table.aging.columns) == BUCKETS


def test_add_is_exactly_dso_minus_bpdso():
    table = CASES["base_90_day_window"].table()
    assert table.value("add") == pytest.approx(table.value("dso") - table.value("bpdso"), abs=1e-12)
    assert table.value("add") == pytest.approx(31.5, abs=1e-12)


def test_aging_buckets_add_up_to_ar_and_overdue():
    table = CASES["base_90_day_window"].table()
    row = table.aging.loc[pd.Timestamp(T)]
    assert row.sum() == pytest.approx(table.value("ar_total"))
    assert row.drop("Current").sum() == pytest.approx(table.value("ar_overdue"))


# --- aging boundaries: one invoice of 1,000 due 2026-03-31, T = due + days past due ----------

DUE = pd.Timestamp("2026-03-31")
AGING_BOUNDARIES = [  # (days past due, bucket, counts as "over 90")
    (-1, "Current", False),
    (0, "Current", False),     # exactly on the due date: not yet due
    (1, "1–30", False),
    (30, "1–30", False),
    (31, "31–60", False),
    (60, "31–60", False),
    (61, "61–90", False),
    (90, "61–90", False),      # 90 days past due is not "over 90"
    (91, "91–120", True),
    (120, "91–120", True),
    (121, "120+", True),
    (400, "120+", True),
]


@pytest.mark.parametrize("days,bucket,over_90", AGING_BOUNDARIES,
                         ids=[f"{d}_days_past_due" for d, _, _ in AGING_BOUNDARIES])
def test_aging_bucket_boundaries(days, bucket, over_90):
    ledger = make([inv("I", "c1", "2026-03-01", DUE.strftime("%Y-%m-%d"), 1000)])
    as_of = DUE + pd.Timedelta(days=days)
    table = compute_kpis(ledger, as_of)
    check_aging(table, {bucket: 1000}, as_of)
    assert table.value("pct_over_90") == (100.0 if over_90 else 0.0)
    assert table.value("ar_overdue") == (0.0 if bucket == "Current" else 1000.0)


# --- countback DSO ---------------------------------------------------------------------------

# docs/kpis.md: AR 212,000 against monthly sales 100k, 80k, 70k of 30-day months → 30 + 30 + 32/70 × 30
# = 73.7. No two calendar months in a row have 30 days, so the engine (actual days) gives:
#   T = 2026-06-30: June 30 + May 31 + 32/70 × April 30 = 74.714
#   T = 2026-07-30: July 1–30 is 30 days + June 30 + 32/70 × May 31 = 74.171
# AR 212,000 = 250,000 of sales − 38,000 paid on April's invoice.
COUNTBACK_CASES = {
    "design_example_actual_month_lengths": (
        [ANCHOR, inv("APR", "c1", "2026-04-15", "2026-05-15", 70000),
         inv("MAY", "c2", "2026-05-15", "2026-06-14", 80000),
         inv("JUN", "c3", "2026-06-15", "2026-07-15", 100000)],
        [pay("APR", "2026-05-01", 38000)], "2026-06-30", 30 + 31 + 32 / 70 * 30),
    "design_example_as_of_the_30th_of_july": (
        [ANCHOR, inv("MAY", "c1", "2026-05-15", "2026-06-14", 70000),
         inv("JUN", "c2", "2026-06-15", "2026-07-15", 80000),
         inv("JUL", "c3", "2026-07-15", "2026-08-14", 100000)],
        [pay("MAY", "2026-06-01", 38000)], "2026-07-30", 30 + 30 + 32 / 70 * 31),
    "as_of_mid_month_counts_days_1_to_T": (
        # T = 2026-06-20: June 1–20 (20 days) 100k → rest 112k; May (31) 80k → 32k; stops in April (30)
        [ANCHOR, inv("MAY", "c2", "2026-05-15", "2026-06-14", 80000),
         inv("JUN", "c3", "2026-06-10", "2026-07-10", 100000),
         inv("APR", "c1", "2026-04-15", "2026-05-15", 70000)],
        [pay("APR", "2026-05-01", 38000)], "2026-06-20", 20 + 31 + 32 / 70 * 30),
    "rest_within_the_current_month": (
        [ANCHOR, inv("JUN", "c3", "2026-06-15", "2026-07-15", 1000)],
        [pay("JUN", "2026-06-20", 500)], "2026-06-30", 500 / 1000 * 30),
    "zero_ar": (
        [ANCHOR], [], "2026-06-30", 0.0),
    # regression: was missing ("AR is larger than all credit sales") when AR = every sale so far
    "ar_equals_all_sales_since_the_first_month": (
        [inv("J", "c1", "2026-06-01", "2026-07-01", 1000)], [], "2026-06-30", 30.0),
    # regression: was 91 (June + empty May and April + 0/10,000 of March) once June used the AR up
    "ar_used_up_exactly_before_months_without_sales": (
        [inv("MAR", "c1", "2026-03-10", "2026-03-20", 10000, paid_date="2026-03-25"),
         inv("JUN", "c1", "2026-06-05", "2026-07-05", 100000)], [], "2026-06-30", 30.0),
}


@pytest.mark.parametrize("name", list(COUNTBACK_CASES))
def test_countback_dso(name):
    invoices, payments, as_of, expected = COUNTBACK_CASES[name]
    table = compute_kpis(make(invoices, payments), as_of)
    assert table.value("dso_countback") == pytest.approx(expected, rel=1e-12)
    assert table.reason("dso_countback") is None


def test_countback_needs_whole_months_of_history():
    # the ledger starts on 10 June: June's sales before the 10th are unknown, so June cannot be counted
    table = compute_kpis(make([inv("J", "c1", "2026-06-10", "2026-07-10", 1000)]), "2026-06-30")
    assert math.isnan(table.value("dso_countback"))
    assert "whole months of history" in table.reason("dso_countback")


def test_design_countback_arithmetic_with_30_day_months():
    """The docs/kpis.md example's own arithmetic (three 30-day months): 73.7 days."""
    assert round(30 + 30 + 32 / 70 * 30, 1) == 73.7


# --- open-items export -------------------------------------------------------------------

OPEN_ITEMS = (
    inv("O1", "c1", "2026-01-10", "2026-02-09", 5000, open_amount=3000.0),  # 141 days past due
    inv("O2", "c2", "2026-06-01", "2026-07-01", 2000),                      # open_amount empty: all
    inv("O3", "c3", "2026-05-11", "2026-06-10", 1000, open_amount=1000.0),  # 20 days past due
)


def _open_items_ledger():
    return make(OPEN_ITEMS, shape="open_items", as_of=T)


def test_open_items_at_its_date_computes_balance_kpis():
    table = compute_kpis(_open_items_ledger(), T)
    check_expectations(table, {
        "ar_total": 3000 + 2000 + 1000,
        "ar_overdue": 4000,
        "pct_over_90": 3000 / 6000 * 100,
        "top10_overdue_share": 100.0,
    }, T)
    check_aging(table, {"Current": 2000, "1–30": 1000, "120+": 3000}, T)


@pytest.mark.parametrize("key", HISTORY_KEYS)
def test_open_items_history_kpis_are_missing_with_the_file_that_would_provide_them(key):
    table = compute_kpis(_open_items_ledger(), T)
    assert math.isnan(table.value(key))
    reason = table.reason(key)
    assert "open-items export" in reason
    assert "full invoice ledger" in reason and "paid dates" in reason


def test_open_items_history_keys_are_the_sales_based_ones():
    assert set(SNAPSHOT_KEYS) == {k.key for k in KPIS if not k.needs_history}
    assert {"dso", "dso_countback", "bpdso", "add", "cei", "days_to_pay", "bad_debt_ratio",
            "ar_turnover"} <= set(HISTORY_KEYS)


def test_open_items_defaults_to_its_own_date():
    table = compute_kpis(_open_items_ledger())
    assert list(table.values.index) == [pd.Timestamp(T)]
    assert table.value("ar_total") == 6000


def test_open_items_away_from_its_date_is_missing():
    table = compute_kpis(_open_items_ledger(), ["2026-05-31", T])
    for key in table.values.columns:
        assert math.isnan(table.value(key, "2026-05-31"))
        assert "only its date 2026-06-30" in table.reason(key, "2026-05-31")
    assert table.aging.loc[pd.Timestamp("2026-05-31")].isna().all()
    assert table.value("ar_total", T) == 6000                        # its own date still computed


def test_a_date_before_the_first_invoice_has_no_kpis_only_the_reason():
    """Before the first invoice there is no book: every KPI is n/a (not 0 AR and "0.0 days"),
    while the dates after it are computed as usual."""
    ledger = make([ANCHOR, inv("A1", "c1", "2024-03-01", "2024-03-31", 100)])
    table = compute_kpis(ledger, ["2023-12-31", "2024-03-15"])
    for key in table.values.columns:
        assert math.isnan(table.value(key, "2023-12-31"))
        assert table.reason(key, "2023-12-31") == "the date is before the ledger's first invoice: there is nothing to assess"
    assert table.value("ar_total", "2024-03-15") == 100
    assert compute_kpis(ledger, "2024-01-10").value("ar_total") == 500  # the first invoice's own day counts


def test_same_items_as_a_full_ledger_give_the_same_balances():
    """The open-items numbers equal the full ledger's at T (O1 part-paid by a payment)."""
    full = make([{k: v for k, v in row.items() if k != "open_amount"} for row in OPEN_ITEMS],
                [pay("O1", "2026-03-01", 2000)])
    a, b = compute_kpis(full, T), compute_kpis(_open_items_ledger(), T)
    for key in SNAPSHOT_KEYS:
        assert a.value(key) == pytest.approx(b.value(key))
    pd.testing.assert_frame_equal(a.aging, b.aging)


def test_open_items_without_its_date_is_a_clear_error():
    # regression: was a TypeError from formatting None; now refused when the ledger is built
    with pytest.raises(ArassessError, match="as_of"):
        make(OPEN_ITEMS, shape="open_items")
    ledger = dataclasses.replace(make(OPEN_ITEMS, shape="open_items", as_of=T), as_of=None)
    with pytest.raises(ValueError, match="as_of"):
        compute_kpis(ledger, T)


# --- series: derived from the same computation as a single date ---------------------------

def rich_ledger(seed: int = 7, n: int = 240):
    """A deterministic, busy ledger 2024-01 … 2026-07: payments, paid dates, write-offs, disputes, credit notes."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    invoices, payments = [], []
    for i in range(n):
        day = start + pd.Timedelta(days=int(rng.integers(0, 940)))
        due = day + pd.Timedelta(days=int(rng.choice([0, 15, 30, 45, 60])))
        amount = float(rng.integers(100, 20000))
        row = inv(f"R{i:04d}", f"cust{int(rng.integers(0, 25)):02d}", day, due, amount,
                  disputed=bool(rng.random() < 0.1), paid_date=pd.NaT, written_off_date=pd.NaT,
                  written_off_amount=np.nan, is_credit_note=False)
        if rng.random() < 0.05:
            row.update(amount=-amount / 10, is_credit_note=True)
        else:
            late = int(rng.integers(-20, 200))
            if rng.random() < 0.4:
                paid_on = max(day, due + pd.Timedelta(days=late // 2))
                payments.append(pay(row["invoice_id"], paid_on, amount / 4))
            if rng.random() < 0.75:
                row["paid_date"] = max(day, due + pd.Timedelta(days=late))
            elif rng.random() < 0.3:
                row["written_off_date"] = due + pd.Timedelta(days=int(rng.integers(120, 240)))
        invoices.append(row)
    return make(invoices, payments)


def _assert_same_table(series, single, at):
    a = series.values.loc[[at]]
    b = single.values.loc[[at]]
    pd.testing.assert_frame_equal(a, b, rtol=1e-12, atol=1e-9)
    pd.testing.assert_frame_equal(series.reasons.loc[[at]].fillna("-"), single.reasons.loc[[at]].fillna("-"))
    pd.testing.assert_frame_equal(series.aging.loc[[at]], single.aging.loc[[at]], rtol=1e-12, atol=1e-9)


def test_series_equals_single_dates_at_each_month_end():
    ledger = rich_ledger()
    series = kpi_series(ledger, "2026-06-30", months=24)
    assert list(series.values.index) == list(pd.date_range("2024-07-31", "2026-06-30", freq="ME"))
    assert series.values["expected_write_off"].notna().sum() > 6      # the forecast is exercised
    assert series.values["dso"].notna().all()
    for at in series.values.index:
        _assert_same_table(series, compute_kpis(ledger, at), at)


def test_series_of_the_base_case_by_hand():
    series = kpi_series(make(BASE, BASE_PAYMENTS), "2026-06-30", months=3)
    assert list(series.values.index) == [pd.Timestamp(d) for d in ("2026-04-30", "2026-05-31", "2026-06-30")]
    # AR: Apr 30: P2 3,000 + W1 6,000; May 31: P2 2,000 + W2 5,000; Jun 30: 16,000
    assert series.values["ar_total"].tolist() == [9000.0, 7000.0, 16000.0]
    assert series.value("dso") == pytest.approx(72.0)
    assert (series.values["add"] - (series.values["dso"] - series.values["bpdso"])).abs().max() < 1e-9


def test_series_ending_mid_month_stops_at_the_previous_month_end():
    series = kpi_series(make(BASE, BASE_PAYMENTS), "2026-06-20", months=2)
    assert list(series.values.index) == [pd.Timestamp("2026-04-30"), pd.Timestamp("2026-05-31")]


def test_kpi_value_is_the_table_value():
    ledger = make(BASE, BASE_PAYMENTS)
    assert kpi_value(ledger, "dso", T) == pytest.approx(72.0)
    with pytest.raises(ValueError, match="valid keys"):
        kpi_value(ledger, "dso_typo", T)


def test_invalid_window_is_rejected():
    with pytest.raises(ValueError, match="window_days"):
        compute_kpis(make(BASE, BASE_PAYMENTS), T, window_days=0)


# --- regressions: engine bugs found while writing these cases ------------------------------

def test_invoice_settled_by_payments_counts_as_settled():
    """No paid_date: the invoice is settled on the payment that clears it (2026-05-20)."""
    ledger = make([ANCHOR, inv("A", "c1", "2026-04-10", "2026-05-10", 1000)],
                  [pay("A", "2026-05-01", 600), pay("A", "2026-05-20", 400)])
    table = compute_kpis(ledger, T)
    check_expectations(table, {"ar_total": 0.0, "days_to_pay": 40.0, "mean_days_late": 10.0,
                               "on_time_rate": 0.0}, T)


def test_recovery_after_writeoff_never_makes_ar_negative():
    """A payment after a full write-off does not drive the balance below zero."""
    ledger = make([ANCHOR, {**Q, "written_off_date": "2026-06-01"}], [pay("Q", "2026-06-20", 300)])
    table = compute_kpis(ledger, T)
    check_expectations(table, {"ar_total": 0.0, "bad_debt_ratio": 100.0}, T)
    assert (table.aging.loc[pd.Timestamp(T)] == 0).all()


@pytest.mark.parametrize("edges", [(30, 60), (), (0, 60, 30), (0, 30, 30)])
def test_invalid_aging_edges_are_rejected(edges):
    """Edges must start at 0 and increase (else days 1–30 fell in no bucket and buckets missed AR)."""
    ledger = make([inv("I", "c1", "2026-01-01", "2026-01-31", 100)])
    with pytest.raises(ValueError, match="aging_edges"):
        compute_kpis(ledger, "2026-02-10", aging_edges=edges)


def test_dispute_rate_from_dispute_dates_alone():
    """A dispute_date column without a disputed column still records the disputes."""
    ledger = make([ANCHOR,
                   inv("D1", "c1", "2026-05-05", "2026-06-04", 100, dispute_date="2026-06-01"),
                   inv("D2", "c2", "2026-05-10", "2026-06-09", 100)])
    assert compute_kpis(ledger, T).value("dispute_rate") == pytest.approx(50.0)


def test_sentinel_due_dates_neither_widen_nor_change_the_aging():
    # ERPs write 9999-12-31 for "no due date" and 1900-01-01 for "unknown": the balance table is
    # clipped to what the dates can tell apart, so the aging is the same and memory stays small
    ledger = make([inv("F", "c1", "2026-01-05", "9999-12-31", 100),
                   inv("P", "c2", "1899-12-01", "1900-01-01", 50)])
    series = kpi_series(ledger, "2026-10-31", months=24)
    assert series.aging.iloc[-1].to_dict() == {"Current": 100.0, "1–30": 0.0, "31–60": 0.0,
                                               "61–90": 0.0, "91–120": 0.0, "120+": 50.0}
    assert series.value("pct_over_90") == pytest.approx(100 * 50 / 150)


def test_aging_edges_beyond_the_supported_range_are_rejected():
    with pytest.raises(ValueError, match="aging_edges"):
        compute_kpis(make([ANCHOR]), T, aging_edges=(0, 30, 40_000))


# --- an empty book: float residues are not money ------------------------------------------------

def test_a_book_paid_off_in_pieces_has_no_countback_residue_and_no_negative_zero():
    """60 invoices, each paid in three parts, all settled by August 2024: the event sums leave a
    float residue that is not money. Measured in cents, AR is 0 and countback DSO 0 days (before:
    457 days, walking back over 13 months without sales), and nothing reads "-0" (before: AR -0.0)."""
    rng = np.random.default_rng(3)
    invoices, payments = [], []
    for i in range(60):
        amount = round(float(rng.uniform(10, 5000)), 2)
        invoices.append(inv(f"I{i}", f"c{i % 7}", f"2024-{1 + i % 6:02d}-{1 + i % 27:02d}", "2024-08-01", amount))
        a, b = round(amount * float(rng.uniform(0.1, 0.5)), 2), round(amount * float(rng.uniform(0.1, 0.4)), 2)
        payments += [pay(f"I{i}", "2024-08-10", a), pay(f"I{i}", "2024-08-15", b),
                     pay(f"I{i}", "2024-08-20", round(amount - a - b, 2))]
    table = compute_kpis(make(invoices, payments), "2025-09-30")
    assert table.value("ar_total") == 0.0 and str(table.value("ar_total")) == "0.0"  # not -0.0
    assert table.value("dso_countback") == 0.0
    card = scorecard(table)
    shown = {k: format_value(v, u, "EUR") for k, v, u in zip(card["key"], card["value"], card["unit"])}
    assert shown["ar_total"] == "0 EUR" and not any(text.startswith("-0") for text in shown.values())
    assert not (table.aging.to_numpy() < 0).any()


def test_a_value_that_rounds_to_zero_is_written_without_a_sign():
    assert [format_value(v, u, "USD") for v, u in ((-0.0, "currency"), (-0.4, "currency"), (-0.04, "%"),
                                                   (-0.001, "x"), (-0.6, "currency"))] == [
        "0 USD", "0 USD", "0.0%", "0.00x", "-1 USD"]
