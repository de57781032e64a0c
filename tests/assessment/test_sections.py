"""Assessment sections: data coverage, aging views, payment behaviour and disputes.

Named cases on tiny ledgers whose numbers can be checked by hand (the
arithmetic is next to each expectation), then consistency with the registry
KPIs on the Voltline sample (a full ledger) and runs on the Northwind sample
(an open-items export). Unless a case says otherwise T = 2026-06-30 and
N = 90, so the window (T − N, T] is 2026-04-02 … 2026-06-30.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import arassess
from arassess.assessment.aging import aging_by_segment, aging_summary, customers_holding, top_overdue_customers
from arassess.assessment.behaviour import (
    DisputeSummary,
    behaviour_by_segment,
    dispute_summary,
    payment_behaviour,
    settled_invoices,
)
from arassess.inputs.intake import ledger_from_frames
from arassess.kpi.coverage import (
    DISPUTE_COLUMNS,
    FULL_LEDGER,
    NOT_AN_INPUT,
    PAID_DATES,
    date_coverage,
    kpi_availability,
    monthly_sales,
    months_spanned,
    provided_by,
)
from arassess.kpi.engine import compute_kpis
from arassess.kpi.formulas import NO_HISTORY
from arassess.kpi.open_items import open_invoices
from arassess.kpi.registry import KPIS

T = "2026-06-30"
BUCKETS = ["Current", "1–30", "31–60", "61–90", "91–120", "120+"]
NAN = float("nan")


def inv(invoice_id, customer_id, invoice_date, due_date, amount, **extra) -> dict:
    return dict(invoice_id=invoice_id, customer_id=customer_id, invoice_date=invoice_date,
                due_date=due_date, amount=float(amount), **extra)


def pay(invoice_id, payment_date, amount) -> dict:
    return dict(invoice_id=invoice_id, payment_date=payment_date, amount=float(amount))


# The tiny ledger. Open at T (days past due = T − due):
#   A1 c1 1,000 due 07-01 (−1, Current)   A2 c1 400 due 05-31 (30, 1–30)
#   A3 c1 300 − 100 paid = 200 due 03-31 (91, 91–120)
#   B1 c2 600 due 05-01 (60, 31–60)       B2 c2 credit note −100 due 04-10 (81, 61–90)
#   C1 c3 250 due 2025-12-31 (181, 120+)  D1 c4 credit note −50 due 05-15 (46, 31–60)
# Closed: P1 (paid 04-20, in the window), P2 (cleared by its second payment on 05-04, in the window),
#   P3 (paid 03-20, before the window), W1 (paid 05-20 after a 50 write-off: bad debt, not paying),
#   CN2 (a credit note settled 05-05: not a payment).
TINY_INVOICES = [
    inv("A1", "c1", "2026-06-01", "2026-07-01", 1000),
    inv("A2", "c1", "2026-05-01", "2026-05-31", 400),
    inv("A3", "c1", "2026-03-01", "2026-03-31", 300),
    inv("B1", "c2", "2026-04-01", "2026-05-01", 600),
    inv("B2", "c2", "2026-04-10", "2026-04-10", -100, is_credit_note=True),
    inv("C1", "c3", "2025-12-01", "2025-12-31", 250),
    inv("D1", "c4", "2026-05-01", "2026-05-15", -50, is_credit_note=True),
    inv("P1", "c1", "2026-04-01", "2026-05-01", 800, paid_date="2026-04-20"),
    inv("P2", "c2", "2026-03-15", "2026-04-14", 500),
    inv("P3", "c1", "2026-01-10", "2026-02-09", 700, paid_date="2026-03-20"),
    inv("W1", "c3", "2025-10-01", "2025-10-31", 150, paid_date="2026-05-20",
        written_off_date="2026-05-20", written_off_amount=50.0),
    inv("CN2", "c2", "2026-05-05", "2026-05-05", -30, is_credit_note=True, paid_date="2026-05-05"),
]
TINY_PAYMENTS = [pay("A3", "2026-04-15", 100), pay("P2", "2026-04-10", 200), pay("P2", "2026-05-04", 300),
                 pay("W1", "2026-05-10", 100)]
TINY_CUSTOMERS = pd.DataFrame({"customer_id": ["c1", "c2"], "name": ["Alpha", "Beta"],
                               "segment": ["OEM", "Reseller"]})


def tiny_ledger(invoices=TINY_INVOICES, payments=TINY_PAYMENTS, customers=TINY_CUSTOMERS):
    frame = pd.DataFrame(invoices)
    if "is_credit_note" in frame:
        frame["is_credit_note"] = frame["is_credit_note"].fillna(False).astype(bool)
    return ledger_from_frames(frame, pd.DataFrame(payments) if payments else None, customers)


@pytest.fixture(scope="module")
def tiny():
    return tiny_ledger()


@pytest.fixture(scope="module")
def tiny_positions(tiny):
    return open_invoices(tiny, T)


# --- coverage -------------------------------------------------------------------------

@pytest.mark.parametrize("first, last, months", [
    ("2026-01-10", "2026-03-05", 3),   # Jan, Feb, Mar
    ("2026-03-01", "2026-03-31", 1),   # one month
    ("2026-01-31", "2026-02-01", 2),   # two days, two calendar months
    ("2025-12-15", "2026-01-15", 2),   # across a year end
    ("2024-07-01", "2026-10-30", 28),  # 12 × 2 + (10 − 7) + 1
], ids=["three_months", "one_month", "two_days", "year_end", "voltline_span"])
def test_months_spanned(first, last, months):
    assert months_spanned(pd.Timestamp(first), pd.Timestamp(last)) == months


def test_months_spanned_without_dates_is_nan():
    assert math.isnan(months_spanned(pd.NaT, pd.Timestamp("2026-01-01")))


def test_date_coverage_of_the_tiny_ledger(tiny):
    cov = date_coverage(tiny).set_index("table")
    assert list(cov.index) == ["invoices", "payments", "customers"]
    assert list(cov.columns) == ["date_column", "rows", "first_date", "last_date", "months"]
    # invoices: W1 2025-10-01 … A1 2026-06-01 → 12 × 1 + (6 − 10) + 1 = 9 months
    assert cov.loc["invoices"].tolist() == ["invoice_date", 12, pd.Timestamp("2025-10-01"),
                                            pd.Timestamp("2026-06-01"), 9.0]
    # payments: P2 2026-04-10 … W1 2026-05-10 → 2 months
    assert cov.loc["payments"].tolist() == ["payment_date", 4, pd.Timestamp("2026-04-10"),
                                            pd.Timestamp("2026-05-10"), 2.0]
    customers = cov.loc["customers"]
    assert customers["rows"] == 2 and customers["date_column"] == ""
    assert pd.isna(customers["first_date"]) and pd.isna(customers["last_date"]) and math.isnan(customers["months"])


def test_date_coverage_leaves_out_tables_not_loaded():
    ledger = tiny_ledger(payments=[], customers=None)
    assert date_coverage(ledger)["table"].tolist() == ["invoices"]


@pytest.mark.parametrize("key, reason, expected", [
    ("dso", NO_HISTORY, FULL_LEDGER),
    ("dispute_rate", NO_HISTORY, FULL_LEDGER + ", with " + DISPUTE_COLUMNS),
    ("dso", "an open-items export describes only its date 2026-10-31", FULL_LEDGER),
    ("dispute_rate", "the invoices file has no 'disputed' or 'dispute_date' column", DISPUTE_COLUMNS),
    ("cei", "the ledger does not reach back 90 days before the as-of date",
     "invoices going back 90 days before the as-of date"),
    ("ar_turnover", "the ledger does not reach back 365 days before the as-of date",
     "invoices going back 365 days before the as-of date"),
    ("expected_write_off", "roll rates need 7 month-ends of history before the as-of date",
     "invoices going back 7 month-ends before the as-of date"),
    ("dso_countback", "AR is larger than all credit sales in the ledger's whole months of history",
     "invoices going back further (enough whole months of credit sales to cover today's AR)"),
    ("on_time_rate", "no invoice was fully paid in the window", PAID_DATES),
    ("dso", "no credit sales in the 90-day window", NOT_AN_INPUT),
    ("pct_over_90", "no open AR at the as-of date", NOT_AN_INPUT),
    ("dso", "", ""),
], ids=["open_items", "open_items_dispute", "open_items_other_date", "no_dispute_column", "short_window",
        "short_year", "roll_history", "countback_history", "nothing_paid", "no_sales", "no_ar", "available"])
def test_provided_by(key, reason, expected):
    assert provided_by(key, reason) == expected


def test_open_items_dispute_rate_with_a_dispute_column_needs_only_the_ledger():
    assert provided_by("dispute_rate", NO_HISTORY, has_dispute_column=True) == FULL_LEDGER


def test_kpi_availability_of_the_tiny_ledger(tiny):
    avail = kpi_availability(compute_kpis(tiny, T)).set_index("key")
    assert list(avail.index) == [k.key for k in KPIS]
    assert list(avail.columns) == ["kpi", "available", "reason", "provided_by"]
    for key in ("ar_total", "dso", "bpdso", "cei", "days_to_pay", "on_time_rate", "top10_overdue_share"):
        assert avail.loc[key, "available"] and avail.loc[key, "reason"] == avail.loc[key, "provided_by"] == ""
    # history starts 2025-10-01: no 12 months; no dispute columns at all
    for key in ("ar_turnover", "bad_debt_ratio"):
        assert not avail.loc[key, "available"]
        assert avail.loc[key, "provided_by"] == "invoices going back 365 days before the as-of date"
    assert avail.loc["dispute_rate", "provided_by"] == DISPUTE_COLUMNS
    assert "dispute" in avail.loc["dispute_rate", "reason"]


def test_kpi_availability_reads_the_date_asked_for(tiny):
    table = compute_kpis(tiny, [T, "2025-10-15"])
    early = kpi_availability(table, "2025-10-15").set_index("key")
    late = kpi_availability(table, T).set_index("key")
    assert not early.loc["dso", "available"] and late.loc["dso", "available"]
    assert early.loc["dso", "provided_by"] == "invoices going back 90 days before the as-of date"
    assert kpi_availability(table).equals(kpi_availability(table, T))  # default: the last date


def test_monthly_sales_whole_months_only(tiny):
    sales = monthly_sales(tiny, T, months=12)
    # the ledger starts 2025-10-01, a whole month; Oct W1 150, Dec C1 250, Jan P3 700, Mar A3 + P2 800,
    # Apr B1 + B2 + P1 1,300, May A2 + D1 + CN2 320, Jun A1 1,000; Nov and Feb nothing
    assert sales.index[0] == pd.Timestamp("2025-10-31") and sales.index[-1] == pd.Timestamp(T)
    assert sales.tolist() == [150, 0, 250, 700, 0, 800, 1300, 320, 1000]


# --- aging ----------------------------------------------------------------------------

def test_aging_summary_by_hand(tiny_positions):
    aging = aging_summary(tiny_positions)
    assert list(aging.index) == BUCKETS and aging.index.name == "bucket"
    assert list(aging.columns) == ["amount", "count", "share"]
    # 31–60: B1 600 + D1 −50; 61–90: the credit note B2; total 2,300
    assert aging["amount"].tolist() == [1000, 400, 550, -100, 200, 250]
    assert aging["count"].tolist() == [1, 1, 2, 1, 1, 1]
    assert aging["share"].to_numpy() == pytest.approx(np.array([1000, 400, 550, -100, 200, 250]) / 2300 * 100)


def test_aging_summary_keeps_empty_buckets(tiny):
    positions = open_invoices(tiny, T)
    current_only = aging_summary(positions[positions["bucket"] == "Current"])
    assert list(current_only.index) == BUCKETS
    assert current_only["amount"].tolist() == [1000, 0, 0, 0, 0, 0]
    assert current_only["share"].tolist() == [100, 0, 0, 0, 0, 0]
    empty = aging_summary(positions.iloc[:0])
    assert list(empty.index) == BUCKETS and empty["amount"].sum() == 0 and empty["share"].isna().all()


def test_aging_summary_equals_the_engine_aging(tiny, tiny_positions):
    engine = compute_kpis(tiny, T).aging.iloc[0]
    assert aging_summary(tiny_positions)["amount"].tolist() == pytest.approx(engine.tolist())


def test_aging_by_segment_by_hand(tiny_positions):
    table = aging_by_segment(tiny_positions)
    assert list(table.columns) == [*BUCKETS, "total"]
    # OEM (c1) 1,000 + 400 + 200; Reseller (c2) 600 − 100; Unknown (c3, c4 not in customers) 250 − 50
    assert list(table.index) == ["OEM", "Reseller", "Unknown"] and table.index.name == "segment"
    assert table.loc["OEM"].tolist() == [1000, 400, 0, 0, 200, 0, 1600]
    assert table.loc["Reseller"].tolist() == [0, 0, 600, -100, 0, 0, 500]
    assert table.loc["Unknown"].tolist() == [0, 0, -50, 0, 0, 250, 200]


def test_top_overdue_customers_by_hand(tiny_positions):
    top = top_overdue_customers(tiny_positions)
    assert list(top.columns) == ["customer_id", "customer_name", "segment", "overdue_amount", "share",
                                 "cumulative_share", "invoices", "oldest_days_past_due"]
    assert list(top.index) == [1, 2, 3] and top.index.name == "rank"
    # c1: A2 400 + A3 200; c2: B1 600 − credit note 100; c3: C1 250; c4 (only a credit) owes nothing
    assert top["customer_id"].tolist() == ["c1", "c2", "c3"]
    assert top["customer_name"].tolist() == ["Alpha", "Beta", "c3"]
    assert top["segment"].tolist() == ["OEM", "Reseller", "Unknown"]
    assert top["overdue_amount"].tolist() == [600, 500, 250]
    assert top["share"].to_numpy() == pytest.approx(np.array([600, 500, 250]) / 1350 * 100)
    assert top["cumulative_share"].to_numpy() == pytest.approx(np.array([600, 1100, 1350]) / 1350 * 100)
    assert top["invoices"].tolist() == [2, 1, 1]  # the credit note is not an overdue invoice
    assert top["oldest_days_past_due"].tolist() == [91, 60, 181]


def test_top_overdue_customers_keeps_n_but_shares_of_all(tiny_positions):
    top = top_overdue_customers(tiny_positions, n=2)
    assert len(top) == 2 and top["share"].sum() == pytest.approx(1100 / 1350 * 100)
    with pytest.raises(ValueError, match="n must be"):
        top_overdue_customers(tiny_positions, n=0)


@pytest.mark.parametrize("share, count", [(40, 1), (44.4, 1), (50, 2), (81.48, 2), (90, 3), (100, 3)],
                         ids=["40", "just_below_first", "50", "two", "90", "all"])
def test_customers_holding(tiny_positions, share, count):
    assert customers_holding(top_overdue_customers(tiny_positions), share) == count


def test_customers_holding_more_than_the_table_is_none(tiny_positions):
    assert customers_holding(top_overdue_customers(tiny_positions, n=1), 50) is None


def test_top10_shares_add_up_to_the_kpi(tiny, tiny_positions):
    top = top_overdue_customers(tiny_positions, n=10)
    assert top["share"].sum() == pytest.approx(compute_kpis(tiny, T).value("top10_overdue_share"))


# --- payment behaviour ----------------------------------------------------------------

def test_settled_invoices_by_hand(tiny):
    settled = settled_invoices(tiny, T)
    assert list(settled.columns) == ["invoice_id", "customer_id", "customer_name", "segment", "amount",
                                     "invoice_date", "due_date", "paid_date", "days_to_pay", "days_late", "on_time"]
    # P1 paid 04-20; P2 cleared by its payment of 05-04 (no paid date). Not P3 (before the window),
    # not W1 (written off), not CN2 (a credit note), not A3 (partly paid)
    assert settled["invoice_id"].tolist() == ["P1", "P2"]
    assert settled["paid_date"].tolist() == [pd.Timestamp("2026-04-20"), pd.Timestamp("2026-05-04")]
    assert settled["days_to_pay"].tolist() == [19, 50]     # 04-01 → 04-20; 03-15 → 05-04
    assert settled["days_late"].tolist() == [0, 20]        # due 05-01 (early); due 04-14 → 05-04
    assert settled["on_time"].tolist() == [True, False]
    assert settled["segment"].tolist() == ["OEM", "Reseller"]


@pytest.mark.parametrize("window, ids", [(90, ["P1", "P2"]), (60, ["P2"]), (200, ["P3", "P1", "P2"])],
                         ids=["default", "short_window_from_may_1", "long_window_includes_march"])
def test_settled_invoices_window(tiny, window, ids):
    assert settled_invoices(tiny, T, window)["invoice_id"].tolist() == ids


def test_payment_behaviour_by_hand_equals_the_kpis(tiny):
    overall = payment_behaviour(settled_invoices(tiny, T))
    assert overall["invoices"] == 2 and overall["amount"] == 1300
    assert overall["days_to_pay"] == pytest.approx((800 * 19 + 500 * 50) / 1300)  # 30.92
    assert overall["mean_days_late"] == pytest.approx(10.0)                        # (0 + 20) / 2
    assert overall["on_time_rate"] == pytest.approx(50.0)
    table = compute_kpis(tiny, T)
    for key in ("days_to_pay", "mean_days_late", "on_time_rate"):
        assert overall[key] == pytest.approx(table.value(key))


def test_behaviour_by_segment_by_hand(tiny):
    seg = behaviour_by_segment(settled_invoices(tiny, T))
    assert list(seg.columns) == ["invoices", "amount", "days_to_pay", "mean_days_late", "on_time_rate"]
    assert list(seg.index) == ["OEM", "Reseller"] and seg.index.name == "segment"
    assert seg.loc["OEM"].tolist() == [1, 800, 19, 0, 100]
    assert seg.loc["Reseller"].tolist() == [1, 500, 50, 20, 0]


def test_nothing_settled_gives_empty_tables_and_nan_behaviour(tiny):
    settled = settled_invoices(tiny, "2026-03-01", 30)  # nothing closed 01-31 … 03-01
    assert settled.empty and list(settled.columns)[0] == "invoice_id"
    assert behaviour_by_segment(settled).empty
    overall = payment_behaviour(settled)
    assert overall["invoices"] == 0 and overall[["days_to_pay", "mean_days_late", "on_time_rate"]].isna().all()


def test_settled_invoices_rejects_a_bad_window(tiny):
    with pytest.raises(ValueError, match="window_days"):
        settled_invoices(tiny, T, 0)


# --- disputes -------------------------------------------------------------------------

# D1 issued 04-05, disputed 04-10, resolved 05-10 (30 days), paid      D2 issued 05-01, disputed 05-20, open
# D3 issued 02-01, disputed 03-01, resolved 04-20 (50 days), paid      D4 issued 06-10, disputed 07-05 (after T)
# D5 issued 03-01, disputed 03-05, resolved 03-25 (before the window)  D6 issued 04-15, disputed 06-01,
# N1, N2 issued in the window, never disputed                              resolved 06-21 (20 days), unpaid
DISPUTE_INVOICES = [
    inv("D1", "c1", "2026-04-05", "2026-05-05", 100, disputed=True, dispute_date="2026-04-10",
        dispute_resolved_date="2026-05-10", paid_date="2026-06-01"),
    inv("D2", "c1", "2026-05-01", "2026-05-31", 200, disputed=True, dispute_date="2026-05-20"),
    inv("D3", "c2", "2026-02-01", "2026-03-03", 300, disputed=True, dispute_date="2026-03-01",
        dispute_resolved_date="2026-04-20", paid_date="2026-05-01"),
    inv("D4", "c2", "2026-06-10", "2026-07-10", 400, disputed=True, dispute_date="2026-07-05"),
    inv("D5", "c2", "2026-03-01", "2026-03-31", 500, disputed=True, dispute_date="2026-03-05",
        dispute_resolved_date="2026-03-25", paid_date="2026-04-01"),
    inv("D6", "c3", "2026-04-15", "2026-05-15", 600, disputed=True, dispute_date="2026-06-01",
        dispute_resolved_date="2026-06-21"),
    inv("N1", "c3", "2026-05-15", "2026-06-14", 700, disputed=False),
    inv("N2", "c3", "2026-06-20", "2026-07-20", 50, disputed=False),
]


def test_dispute_summary_by_hand():
    ledger = tiny_ledger(DISPUTE_INVOICES, payments=[], customers=None)
    d = dispute_summary(ledger, T)
    assert isinstance(d, DisputeSummary) and d.available and d.reason == ""
    assert d.raised == 3            # D1 04-10, D2 05-20, D6 06-01
    assert d.issued == 6            # D1, D2, D4, D6, N1, N2
    assert d.dispute_rate == pytest.approx(50.0)  # D1, D2, D6 of 6 (D4's dispute comes after T)
    assert d.open_count == 1 and d.open_amount == 200  # D2; D6 is unpaid but its dispute is resolved
    assert d.resolved == 3          # D1 30, D3 50, D6 20 days (D5 was resolved before the window)
    assert d.days_to_resolve_median == 30
    assert d.days_to_resolve_mean == pytest.approx(100 / 3)
    assert d.days_to_resolve_p90 == pytest.approx(46.0)  # 20, 30, 50: 30 + 0.8 × (50 − 30)
    assert d.dispute_rate == pytest.approx(compute_kpis(ledger, T).value("dispute_rate"))
    assert d.items["invoice_id"].tolist() == ["D3", "D5", "D1", "D2", "D6"]  # raised by T, by raise date
    assert d.items["days_to_resolve"].fillna(-1).tolist() == [50, 20, 30, -1, 20]
    assert d.items["open_at_as_of"].tolist() == [False, False, False, True, False]


def test_dispute_summary_table_rows():
    d = dispute_summary(tiny_ledger(DISPUTE_INVOICES, payments=[], customers=None), T)
    table = d.table()
    assert list(table.columns) == ["measure", "value", "unit", "note"]
    assert table["value"].tolist() == pytest.approx([3, 6, 50, 1, 200, 3, 30, 100 / 3, 46])
    assert table["unit"].tolist() == ["count", "count", "%", "count", "currency", "count", "days", "days", "days"]
    assert (table["note"] == "").all()


def test_dispute_summary_with_the_flag_only():
    rows = [{k: v for k, v in r.items() if k not in ("dispute_date", "dispute_resolved_date")}
            for r in DISPUTE_INVOICES]
    ledger = tiny_ledger(rows, payments=[], customers=None)
    d = dispute_summary(ledger, T)
    # the flag alone: raised on the invoice date; D1, D2, D4, D6 issued in the window → 4 of 6
    assert d.raised == 4 and d.dispute_rate == pytest.approx(4 / 6 * 100)
    assert d.dispute_rate == pytest.approx(compute_kpis(ledger, T).value("dispute_rate"))
    assert d.open_count == 3 and d.open_amount == 1200  # D2, D4, D6 unpaid
    assert math.isnan(d.resolved) and math.isnan(d.days_to_resolve_median)
    assert "dispute_resolved_date" in d.resolution_reason
    notes = d.table().set_index("measure")["note"]
    assert notes["Days to resolve (median)"] == d.resolution_reason


def test_dispute_summary_without_dispute_columns_says_so(tiny):
    d = dispute_summary(tiny, T)
    assert not d.available and "no 'disputed' or 'dispute_date' column" in d.reason
    table = d.table()
    assert table["value"].isna().all()  # never zeros for lack of data
    assert (table["note"] == d.reason).all()


def test_dispute_summary_nothing_resolved_in_the_window():
    d = dispute_summary(tiny_ledger(DISPUTE_INVOICES, payments=[], customers=None), "2026-04-15", 10)
    assert d.resolved == 0 and math.isnan(d.days_to_resolve_mean)
    assert d.resolution_reason == "no dispute was resolved in the last 10 days"


# --- the Voltline sample (full ledger): consistency with the registry KPIs ----------------

@pytest.fixture(scope="module")
def voltline():
    return arassess.load_client("sample_data/voltline")


@pytest.fixture(scope="module")
def voltline_table(voltline):
    return compute_kpis(voltline)


@pytest.fixture(scope="module")
def voltline_positions(voltline):
    return open_invoices(voltline, voltline.as_of)


def test_voltline_coverage(voltline):
    cov = date_coverage(voltline).set_index("table")
    assert cov.loc["invoices", "rows"] == len(voltline.invoices)
    assert cov.loc["payments", "rows"] == len(voltline.payments)
    assert cov.loc["customers", "rows"] == len(voltline.customers)
    assert cov.loc["invoices", "first_date"] == voltline.invoices["invoice_date"].min()
    assert cov.loc["invoices", "months"] >= 24


def test_voltline_every_kpi_is_available(voltline_table):
    avail = kpi_availability(voltline_table)
    assert avail["available"].all(), avail[~avail["available"]]
    assert (avail["provided_by"] == "").all()


def test_voltline_aging_equals_the_engine(voltline_table, voltline_positions):
    aging = aging_summary(voltline_positions)
    engine = voltline_table.aging.iloc[-1]
    assert list(aging.index) == list(engine.index)
    # positions round each balance to the cent: at most half a cent per open item apart
    assert np.abs(aging["amount"].to_numpy() - engine.to_numpy()).max() <= 0.005 * len(voltline_positions)
    assert aging["amount"].sum() == pytest.approx(voltline_table.value("ar_total"), rel=1e-9)
    assert aging["share"].sum() == pytest.approx(100.0)
    by_segment = aging_by_segment(voltline_positions)
    assert by_segment["total"].sum() == pytest.approx(aging["amount"].sum())
    assert by_segment[BUCKETS].sum().to_numpy() == pytest.approx(aging["amount"].to_numpy())
    assert by_segment["total"].is_monotonic_decreasing


def test_voltline_top10_shares_equal_the_kpi(voltline_table, voltline_positions):
    top = top_overdue_customers(voltline_positions, n=10)
    assert len(top) == 10 and top["overdue_amount"].is_monotonic_decreasing
    assert top["share"].sum() == pytest.approx(voltline_table.value("top10_overdue_share"), abs=1e-6)
    assert (top["oldest_days_past_due"] > 0).all() and (top["invoices"] > 0).all()


@pytest.mark.parametrize("as_of, window", [(None, 90), ("2026-06-30", 60), ("2025-12-31", 30)],
                         ids=["as_of_90", "june_60", "year_end_30"])
def test_voltline_settled_invoices_reproduce_the_kpis(voltline, as_of, window):
    date = voltline.as_of if as_of is None else pd.Timestamp(as_of)
    table = compute_kpis(voltline, date, window_days=window)
    settled = settled_invoices(voltline, date, window)
    overall = payment_behaviour(settled)
    assert overall["invoices"] == table.measures["settled_count"].iloc[0]
    for key in ("days_to_pay", "mean_days_late", "on_time_rate"):
        assert overall[key] == pytest.approx(table.value(key), rel=1e-12), key
    seg = behaviour_by_segment(settled)
    assert seg["invoices"].sum() == len(settled)
    weighted = (seg["days_to_pay"] * seg["amount"]).sum() / seg["amount"].sum()
    assert weighted == pytest.approx(overall["days_to_pay"])
    on_time = (seg["on_time_rate"] * seg["invoices"]).sum() / seg["invoices"].sum()
    assert on_time == pytest.approx(overall["on_time_rate"])


def test_voltline_dispute_rate_equals_the_kpi(voltline, voltline_table, voltline_positions):
    d = dispute_summary(voltline, voltline.as_of, 90)
    assert d.available and d.dispute_rate == pytest.approx(voltline_table.value("dispute_rate"))
    assert d.issued == voltline_table.measures["issued_window"].iloc[-1]
    disputed_open = voltline_positions[voltline_positions["disputed"]]
    assert d.open_count == len(disputed_open)
    assert d.open_amount == pytest.approx(disputed_open["open_amount"].sum())
    assert d.resolved > 0 and d.days_to_resolve_median <= d.days_to_resolve_p90


def test_voltline_monthly_sales_add_up_to_the_12_month_sales(voltline, voltline_table):
    sales = monthly_sales(voltline)
    assert sales.index[-1] == voltline.as_of  # 2026-10-31 is a month-end
    # (T − 365, T] = 2025-11-01 … 2026-10-31: exactly the last 12 calendar months
    assert sales.iloc[-12:].sum() == pytest.approx(voltline_table.measures["sales_12m"].iloc[-1])


# --- the Northwind sample (open-items export) -----------------------------------------

@pytest.fixture(scope="module")
def northwind():
    return arassess.load_client("sample_data/northwind_open_items")


def test_northwind_sections_run(northwind):
    table = compute_kpis(northwind)
    positions = open_invoices(northwind, northwind.as_of)
    cov = date_coverage(northwind)
    assert cov["table"].tolist() == ["invoices"] and cov["rows"].iloc[0] == len(northwind.invoices)

    avail = kpi_availability(table).set_index("key")
    history = [k.key for k in KPIS if k.needs_history]
    assert not avail.loc[history, "available"].any()
    assert (avail.loc[history, "provided_by"] == FULL_LEDGER).all()  # it has a dispute flag already
    assert avail.loc[[k.key for k in KPIS if not k.needs_history], "available"].all()

    aging = aging_summary(positions)
    assert aging["amount"].sum() == pytest.approx(table.value("ar_total"))
    assert aging["amount"].to_numpy() == pytest.approx(table.aging.iloc[-1].to_numpy())
    top = top_overdue_customers(positions)
    assert top["share"].sum() == pytest.approx(table.value("top10_overdue_share"), abs=1e-6)
    assert list(aging_by_segment(positions).index) == ["Unknown"]  # no customers file

    settled = settled_invoices(northwind, northwind.as_of)
    assert settled.empty and behaviour_by_segment(settled).empty
    assert monthly_sales(northwind).empty


def test_northwind_disputes_open_only(northwind):
    d = dispute_summary(northwind, northwind.as_of)
    positions = open_invoices(northwind, northwind.as_of)
    assert d.available
    assert math.isnan(d.dispute_rate) and math.isnan(d.raised) and "open-items" in d.rate_reason
    assert d.open_count == positions["disputed"].sum() > 0
    assert d.open_amount == pytest.approx(positions.loc[positions["disputed"], "open_amount"].sum())
