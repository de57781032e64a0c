"""What the cost model reads from the ledger (arassess.costs.claims): overdue claims, the yearly
overdue flow and annual credit sales — hand-computed cases, boundaries and properties.

The hand-built ledger, assessed at T = 2026-10-31 (T − 365 = 2025-10-31, T − 364 = 2025-11-01)::

    id  customer invoice     due         amount  payments                      at T
    A   C1       2025-10-31  2025-10-31    1000  -                             open 1000, 365 d past due
    B   C1       2025-11-01  2025-11-01    2000  500 on 2026-01-15             open 1500, 364 d
    C   C2       2026-08-01  2026-08-31    3000  1000 on 08-20, 500 on 09-15   open 1500, 61 d
    D   C2       2026-09-01  2026-10-01     800  800 on 2026-10-01 (due date)  closed
    E   C3       2026-09-10  2026-10-10     600  600 on 2026-09-30             closed
    F   C3       2026-10-31  2026-10-31     700  -                             open, due today (0 d)
    G   C1       2026-07-01  2026-07-31    -400  credit note                   open −400, 92 d
    I   C3       2026-09-30  2026-10-30     250  -                             open 250, 1 d
    J   C1       2026-03-01  2026-03-31    1200  1200 on 2026-04-20            closed (paid late)
    K   C4       2025-06-01  2025-07-01     300  -                             open 300, 487 d

Claims (open > 0 and past due): K, A, B, C, I = 300 + 1000 + 1500 + 1500 + 250 = 4550.
Overdue AR (the KPI) nets the past-due credit note: 4550 − 400 = 4150.
Sales dated in (T − 365, T]: C1 = B 2000 + G −400 + J 1200 = 2800 (A is dated T − 365),
C2 = C 3000 + D 800 = 3800, C3 = E 600 + F 700 + I 250 = 1550, C4 = 0; total 8150.
Flow (due in [T − 364, T − 1], open at the end of the due date): B 2000 (due T − 364),
C 3000 − 1000 = 2000, I 250 (due T − 1), J 1200 → 4 invoices, 5450. Not counted: A (due
T − 365), D (paid on its due date), E (paid early), F (due T), G (credit note), K (due 2025).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arassess.assessment.case import load
from arassess.costs.claims import (
    CLAIM_COLUMNS,
    OverdueFlow,
    annual_credit_sales,
    customer_annual_sales,
    overdue_claims,
    yearly_overdue_flow,
)
from arassess.inputs.intake import ledger_from_frames, load_client
from arassess.kpi.engine import kpi_value
from arassess.paths import SAMPLE_DATA_DIR

T = pd.Timestamp("2026-10-31")

INVOICES = """invoice_id,customer_id,invoice_date,due_date,amount,is_credit_note
A,C1,2025-10-31,2025-10-31,1000.00,no
B,C1,2025-11-01,2025-11-01,2000.00,no
C,C2,2026-08-01,2026-08-31,3000.00,no
D,C2,2026-09-01,2026-10-01,800.00,no
E,C3,2026-09-10,2026-10-10,600.00,no
F,C3,2026-10-31,2026-10-31,700.00,no
G,C1,2026-07-01,2026-07-31,-400.00,yes
I,C3,2026-09-30,2026-10-30,250.00,no
J,C1,2026-03-01,2026-03-31,1200.00,no
K,C4,2025-06-01,2025-07-01,300.00,no
"""
PAYMENTS = """invoice_id,payment_date,amount
B,2026-01-15,500.00
C,2026-08-20,1000.00
C,2026-09-15,500.00
D,2026-10-01,800.00
E,2026-09-30,600.00
J,2026-04-20,1200.00
"""


@pytest.fixture(scope="module")
def ledger(tmp_path_factory, make_client):
    folder = make_client(tmp_path_factory.mktemp("claims"), INVOICES, PAYMENTS,
                         yaml_extra={"shape": "ledger", "as_of": f"{T:%Y-%m-%d}"})
    return load_client(folder)


@pytest.fixture(scope="module")
def northwind():
    return load(SAMPLE_DATA_DIR / "northwind_open_items")


# --- overdue claims -----------------------------------------------------------------------

def test_claims_rows_amounts_ages_and_sales(ledger):
    got = overdue_claims(ledger, T)
    assert tuple(got.columns) == CLAIM_COLUMNS
    expected = pd.DataFrame({
        "invoice_id": ["K", "A", "B", "C", "I"],
        "customer_id": ["C4", "C1", "C1", "C2", "C3"],
        "amount": [300.0, 1000.0, 1500.0, 1500.0, 250.0],
        "days_past_due": [487, 365, 364, 61, 1],
        "customer_annual_sales": [0.0, 2800.0, 2800.0, 3800.0, 1550.0],
        "bucket": ["120+", "120+", "120+", "61–90", "1–30"],
    })
    cols = list(expected.columns)
    pd.testing.assert_frame_equal(got[cols].astype({"bucket": str, "days_past_due": int}),
                                  expected, check_dtype=False)
    assert got["amount"].sum() == pytest.approx(4550.0)
    # customers without a customers file are named by their id, segment unknown
    assert list(got["customer_name"]) == list(got["customer_id"])
    assert set(got["segment"]) == {"Unknown"}


def test_claims_exclude_not_yet_due_paid_and_credit_notes(ledger):
    ids = set(overdue_claims(ledger, T)["invoice_id"])
    assert not ids & {"D", "E", "F", "G", "J"}


def test_claims_sum_is_overdue_ar_without_open_credit_notes(ledger):
    # the KPI nets the past-due credit note G (−400); the claims keep only positive balances
    assert kpi_value(ledger, "ar_overdue", T) == pytest.approx(4150.0)
    assert overdue_claims(ledger, T)["amount"].sum() == pytest.approx(4150.0 + 400.0)


def test_claims_at_an_earlier_date(ledger):
    # at 2026-09-01: C is 1 day past due with 2000 open (the 500 of 09-15 not yet paid);
    # J is closed; F and I not yet invoiced; G is an open credit note (not a claim)
    got = overdue_claims(ledger, "2026-09-01").set_index("invoice_id")
    assert list(got.index) == ["K", "A", "B", "C"]
    assert got.loc["C", "amount"] == pytest.approx(2000.0)
    assert got.loc["C", "days_past_due"] == 1
    assert got.loc["A", "days_past_due"] == 305
    # sales in (2025-09-01, 2026-09-01]: C1 = A 1000 + B 2000 + J 1200 + G −400
    assert got.loc["A", "customer_annual_sales"] == pytest.approx(3800.0)


def test_claims_custom_aging_edges_keep_only_used_buckets(ledger):
    got = overdue_claims(ledger, T, aging_edges=(0, 100, 400))
    assert list(got["bucket"].astype(str)) == ["400+", "101–400", "101–400", "1–100", "1–100"]
    assert list(got["bucket"].cat.categories) == ["1–100", "101–400", "400+"]


def test_no_claims_before_anything_is_due(ledger):
    got = overdue_claims(ledger, "2025-06-15")
    assert got.empty and tuple(got.columns) == CLAIM_COLUMNS


def _k_ledger(extra_sale: bool):
    """K of the table above (C4, dated 2025-06-01, 300 open), with or without one sale of C5 in the year."""
    inv = pd.DataFrame({"invoice_id": ["K", "S"], "customer_id": ["C4", "C5"],
                        "invoice_date": pd.to_datetime(["2025-06-01", "2026-10-01"]),
                        "due_date": pd.to_datetime(["2025-07-01", "2026-12-01"]), "amount": [300.0, 50.0]})
    return ledger_from_frames(inv if extra_sale else inv.iloc[:1])


def test_customer_without_sales_in_the_year_gets_zero():
    assert overdue_claims(_k_ledger(extra_sale=True), T)["customer_annual_sales"].tolist() == [0.0]


def test_no_sales_in_the_year_means_zero_not_nan():
    got = overdue_claims(_k_ledger(extra_sale=False), T)
    assert got["customer_annual_sales"].tolist() == [0.0]


# --- annual credit sales --------------------------------------------------------------------

def test_customer_annual_sales_window_excludes_t_minus_365_includes_t(ledger):
    got = customer_annual_sales(ledger, T)
    assert got.to_dict() == pytest.approx({"C1": 2800.0, "C2": 3800.0, "C3": 1550.0})
    assert annual_credit_sales(ledger, T) == pytest.approx(8150.0)
    # one day later A (dated T − 365) stays out, F (dated T) stays in; B (dated T − 364) drops out
    assert annual_credit_sales(ledger, T + pd.Timedelta(days=1)) == pytest.approx(8150.0 - 2000.0)
    # one day earlier F (dated T) is not yet invoiced and A (dated T − 365) comes in
    assert annual_credit_sales(ledger, T - pd.Timedelta(days=1)) == pytest.approx(8150.0 - 700.0 + 1000.0)


# --- yearly overdue flow --------------------------------------------------------------------

def test_yearly_overdue_flow_hand_computed(ledger):
    assert yearly_overdue_flow(ledger, T) == OverdueFlow(invoices=4, amount=pytest.approx(5450.0))


def _one_invoice(due_offset: int, payments: list[tuple[int, float]] = (), amount: float = 1000.0,
                 credit: bool = False) -> pd.DataFrame:
    due = T + pd.Timedelta(days=due_offset)
    inv = pd.DataFrame({"invoice_id": ["X"], "customer_id": ["C1"], "invoice_date": [due - pd.Timedelta(days=30)],
                        "due_date": [due], "amount": [-amount if credit else amount],
                        "is_credit_note": [credit]})
    pay = pd.DataFrame({"invoice_id": ["X"] * len(payments),
                        "payment_date": [due + pd.Timedelta(days=d) for d, _ in payments],
                        "amount": [a for _, a in payments]})
    return ledger_from_frames(inv, pay if len(pay) else None)


@pytest.mark.parametrize("due_offset, payments, credit, expected", [
    pytest.param(-365, [], False, OverdueFlow(0, 0.0), id="due_T_minus_365_excluded"),
    pytest.param(-364, [], False, OverdueFlow(1, 1000.0), id="due_T_minus_364_included"),
    pytest.param(-1, [], False, OverdueFlow(1, 1000.0), id="due_T_minus_1_included"),
    pytest.param(0, [], False, OverdueFlow(0, 0.0), id="due_T_excluded"),
    pytest.param(-100, [(0, 1000.0)], False, OverdueFlow(0, 0.0), id="paid_on_due_date_excluded"),
    pytest.param(-100, [(-5, 1000.0)], False, OverdueFlow(0, 0.0), id="paid_before_due_excluded"),
    pytest.param(-100, [(1, 1000.0)], False, OverdueFlow(1, 1000.0), id="paid_day_after_due_included"),
    pytest.param(-100, [(0, 400.0)], False, OverdueFlow(1, 600.0), id="part_paid_on_due_date"),
    pytest.param(-100, [(-10, 250.0), (30, 750.0)], False, OverdueFlow(1, 750.0), id="part_before_rest_after"),
    pytest.param(-100, [], True, OverdueFlow(0, 0.0), id="credit_note_excluded"),
])
def test_yearly_overdue_flow_boundaries(due_offset, payments, credit, expected):
    got = yearly_overdue_flow(_one_invoice(due_offset, payments, credit=credit), T)
    assert got.invoices == expected.invoices
    assert got.amount == pytest.approx(expected.amount)


# --- open items ---------------------------------------------------------------------------

def test_open_items_have_no_flow_or_sales(northwind):
    config, ledger = northwind
    as_of = pd.Timestamp(config.as_of)
    assert ledger.shape == "open_items"
    assert yearly_overdue_flow(ledger, as_of) is None
    assert annual_credit_sales(ledger, as_of) is None
    assert customer_annual_sales(ledger, as_of).empty
    got = overdue_claims(ledger, as_of, config.aging_edges)
    assert len(got) > 0 and got["customer_annual_sales"].isna().all()
    assert (got["amount"] > 0).all() and (got["days_past_due"] > 0).all()


def test_small_open_items_ledger_claims():
    inv = pd.DataFrame({"invoice_id": ["P", "Q", "R"], "customer_id": ["C1", "C1", "C2"],
                        "invoice_date": pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01"]),
                        "due_date": pd.to_datetime(["2026-08-31", "2026-10-01", "2026-10-31"]),
                        "amount": [500.0, 900.0, 100.0], "open_amount": [200.0, 900.0, 100.0]})
    ledger = ledger_from_frames(inv, shape="open_items", as_of=T)
    got = overdue_claims(ledger, T)
    assert list(got["invoice_id"]) == ["P", "Q"]           # R is due today
    assert list(got["amount"]) == [200.0, 900.0]           # the open amount, not the invoice amount
    assert list(got["days_past_due"]) == [61, 30]
    assert got["customer_annual_sales"].isna().all()
    assert yearly_overdue_flow(ledger, T) is None and annual_credit_sales(ledger, T) is None


# --- properties ----------------------------------------------------------------------------

START = T - pd.Timedelta(days=500)


@st.composite
def small_ledgers(draw):
    """Up to 12 invoices over ~500 days before T (whole amounts), partial payments dated
    around the due date, sometimes a paid date, some credit notes."""
    rows, pays = [], []
    for i in range(draw(st.integers(1, 12))):
        inv_off = draw(st.integers(0, 500))
        terms = draw(st.sampled_from([0, 14, 30, 60]))
        amount = draw(st.integers(1, 5000))
        inv_day = START + pd.Timedelta(days=inv_off)
        due = inv_day + pd.Timedelta(days=terms)
        credit = draw(st.integers(0, 9)) == 0
        row = {"invoice_id": f"I{i}", "customer_id": f"C{draw(st.integers(0, 3))}", "invoice_date": inv_day,
               "due_date": due, "amount": float(-amount if credit else amount), "is_credit_note": credit,
               "paid_date": pd.NaT}
        if not credit:
            left = amount
            for _ in range(draw(st.integers(0, 3))):
                if left < 1:
                    break
                paid = draw(st.integers(1, left))
                left -= paid
                pays.append({"invoice_id": f"I{i}", "amount": float(paid),
                             "payment_date": max(inv_day, due + pd.Timedelta(days=draw(st.integers(-20, 60))))})
            if draw(st.integers(0, 4)) == 0:
                row["paid_date"] = max(inv_day, due + pd.Timedelta(days=draw(st.integers(-10, 40))))
        rows.append(row)
    inv = pd.DataFrame(rows)
    pay = pd.DataFrame(pays, columns=["invoice_id", "payment_date", "amount"])
    return inv, pay


def _build(inv: pd.DataFrame, pay: pd.DataFrame):
    pay = pay.loc[pay["invoice_id"].isin(inv["invoice_id"])]
    return ledger_from_frames(inv, pay if len(pay) else None)


def _open_at_due(inv: pd.DataFrame, pay: pd.DataFrame) -> pd.Series:
    """Reference: open amount of each invoice at the end of its due date (loops, no timeline)."""
    out = {}
    for row in inv.itertuples():
        if row.amount < 0 or (pd.notna(row.paid_date) and row.paid_date <= row.due_date):
            out[row.invoice_id] = 0.0 if row.amount > 0 else row.amount
            continue
        mine = pay.loc[(pay["invoice_id"] == row.invoice_id) & (pay["payment_date"] <= row.due_date), "amount"]
        out[row.invoice_id] = max(0.0, row.amount - mine.sum())
    return pd.Series(out)


@settings(max_examples=30, deadline=None)
@given(small_ledgers())
def test_flow_matches_reference_and_ignores_invoices_paid_by_due(frames):
    inv, pay = frames
    got = yearly_overdue_flow(_build(inv, pay), T)
    at_due = _open_at_due(inv, pay).reindex(inv["invoice_id"]).to_numpy()
    window = ((inv["due_date"] > T - pd.Timedelta(days=365)) & (inv["due_date"] <= T - pd.Timedelta(days=1))
              & (inv["amount"] > 0)).to_numpy()
    counted = window & (at_due > 0.005)
    assert got.invoices == int(counted.sum())
    assert got.amount == pytest.approx(float(at_due[counted].sum()), abs=1e-6)
    # dropping every invoice paid in full by its due date changes nothing
    kept = inv.loc[~((inv["amount"] > 0).to_numpy() & (at_due <= 0.005))]
    if len(kept):
        assert yearly_overdue_flow(_build(kept, pay), T) == OverdueFlow(got.invoices, pytest.approx(got.amount))
    else:
        assert got == OverdueFlow(0, 0.0)


@settings(max_examples=30, deadline=None)
@given(small_ledgers())
def test_claims_sum_to_overdue_ar_less_open_credit_notes(frames):
    inv, pay = frames
    ledger = _build(inv, pay)
    claims = overdue_claims(ledger, T)
    # open past-due credit notes: never paid or closed here, so their whole amount
    credits = inv.loc[(inv["amount"] < 0) & (inv["due_date"] < T), "amount"].sum()
    overdue = kpi_value(ledger, "ar_overdue", T)
    assert claims["amount"].sum() == pytest.approx(overdue - credits, abs=1e-6)
    assert (claims["amount"] > 0).all() and (claims["days_past_due"] > 0).all()
    assert list(claims["days_past_due"]) == sorted(claims["days_past_due"], reverse=True)
    sales = inv.loc[(inv["invoice_date"] > T - pd.Timedelta(days=365)) & (inv["invoice_date"] <= T)]
    assert annual_credit_sales(ledger, T) == pytest.approx(float(sales["amount"].sum()), abs=1e-6)
    if len(sales):  # no sales at all in the year: see test_no_sales_in_the_year_means_zero_not_nan
        by_customer = sales.groupby("customer_id")["amount"].sum()
        expected = claims["customer_id"].map(by_customer).fillna(0.0).to_numpy(dtype=float)
        np.testing.assert_allclose(claims["customer_annual_sales"].to_numpy(dtype=float), expected)
