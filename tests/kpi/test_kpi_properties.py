"""Properties of the KPI engine on small random ledgers (hypothesis).

The strategy draws valid ledgers of up to 30 invoices over two years with partial
payments (never more than the invoice amount), paid dates, write-offs, disputes and,
where a property allows them, credit notes; payments may come after a write-off (a
recovery). Amounts are whole numbers so that scaled ledgers add up exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arassess.inputs.intake import ledger_from_frames
from arassess.kpi.engine import compute_kpis, kpi_series

START = pd.Timestamp("2024-07-01")
SPAN_DAYS = 730
END = START + pd.Timedelta(days=SPAN_DAYS + 240)
MONTH_ENDS = pd.date_range(START, END, freq="ME")
N = 90

RATIO_KEYS = ["dso", "dso_countback", "bpdso", "add", "cei", "pct_over_90", "days_to_pay", "mean_days_late",
              "on_time_rate", "bad_debt_ratio", "dispute_rate", "ar_turnover", "top10_overdue_share"]
MONEY_KEYS = ["ar_total", "ar_overdue", "expected_write_off"]

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def day(offset: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=int(offset))


def chance(p_in_10: int):
    return st.integers(0, 9).map(lambda x: x < p_in_10)


@st.composite
def invoice_rows(draw, iid: str, customer: str, inv_off: int, credit_notes: bool):
    """One invoice row and its payments (offsets in days from START)."""
    terms = draw(st.sampled_from([0, 7, 14, 30, 45, 60, 90]))
    amount = draw(st.integers(1, 10_000))
    row = dict(invoice_id=iid, customer_id=customer, invoice_date=day(inv_off), due_date=day(inv_off + terms),
               amount=float(amount), paid_date=pd.NaT, written_off_date=pd.NaT, written_off_amount=np.nan,
               disputed=draw(chance(2)), dispute_date=pd.NaT, is_credit_note=False)
    if draw(chance(2)):
        row["dispute_date"] = day(inv_off + draw(st.integers(0, 120)))
    if credit_notes and draw(chance(1)):
        row.update(amount=-float(amount), is_credit_note=True)
        return row, []
    if draw(chance(2)):
        row["written_off_date"] = day(inv_off + draw(st.integers(0, 400)))
        if draw(st.booleans()):
            row["written_off_amount"] = float(draw(st.integers(1, amount)))
    if draw(chance(5)):
        row["paid_date"] = day(inv_off + draw(st.integers(0, 400)))
    payments, left = [], amount
    for _ in range(draw(st.integers(0, 3))):
        if left < 1:
            break
        paid = draw(st.integers(1, left))
        left -= paid
        payments.append(dict(invoice_id=iid, payment_date=day(inv_off + draw(st.integers(0, 400))),
                             amount=float(paid)))
    return row, payments


@st.composite
def ledger_frames(draw, credit_notes: bool = False, max_invoices: int = 30):
    """(invoices, payments) frames of a small valid ledger."""
    n = draw(st.integers(1, max_invoices))
    customers = draw(st.integers(1, 12))
    invoices, payments = [], []
    for i in range(n):
        row, pays = draw(invoice_rows(f"INV{i:03d}", f"C{draw(st.integers(0, customers - 1)):02d}",
                                      draw(st.integers(0, SPAN_DAYS)), credit_notes))
        invoices.append(row)
        payments.extend(pays)
    pay = pd.DataFrame(payments, columns=["invoice_id", "payment_date", "amount"])
    pay["payment_date"] = pd.to_datetime(pay["payment_date"])
    return pd.DataFrame(invoices), pay


def build(frames):
    invoices, payments = frames
    return ledger_from_frames(invoices, payments if len(payments) else None)


def series(frames, **kw):
    return kpi_series(build(frames), END, months=len(MONTH_ENDS), **kw)


def assert_same(a: pd.Series | float, b: pd.Series | float, what: str, rel=1e-9, abs_=1e-9) -> None:
    a, b = np.atleast_1d(np.asarray(a, dtype=float)), np.atleast_1d(np.asarray(b, dtype=float))
    assert (np.isnan(a) == np.isnan(b)).all(), f"{what}: missing in one only\n{a}\n{b}"
    ok = ~np.isnan(a)
    np.testing.assert_allclose(a[ok], b[ok], rtol=rel, atol=abs_, err_msg=what)


# --- balances ---------------------------------------------------------------------------

edges_strategy = st.lists(st.integers(1, 200), max_size=5, unique=True).map(lambda xs: (0, *sorted(xs)))


@PROPERTY_SETTINGS
@given(frames=ledger_frames(credit_notes=True), edges=edges_strategy)
def test_buckets_sum_to_total_ar(frames, edges):
    table = series(frames, aging_edges=edges)
    ar = table.values["ar_total"]
    np.testing.assert_allclose(table.aging.sum(axis=1, min_count=1), ar, atol=1e-6)
    np.testing.assert_allclose(table.aging.drop(columns="Current").sum(axis=1, min_count=1),
                               table.values["ar_overdue"], atol=1e-6)
    assert len(table.aging.columns) == len(edges) + 1


@PROPERTY_SETTINGS
@given(frames=ledger_frames())
def test_ar_never_negative(frames):
    table = series(frames)
    v = table.values.dropna(subset=["ar_total"])  # missing only before the first invoice
    assert (v["ar_total"] >= -1e-9).all()
    assert (v["ar_overdue"] >= -1e-9).all() and (v["ar_overdue"] <= v["ar_total"] + 1e-9).all()
    assert (table.aging.dropna() >= -1e-9).all().all()
    for key in ("pct_over_90", "top10_overdue_share", "on_time_rate", "dispute_rate"):
        defined = v[key].dropna()
        assert ((defined >= -1e-9) & (defined <= 100 + 1e-9)).all(), key


def _open_at(invoices: pd.DataFrame, payments: pd.DataFrame, t: pd.Timestamp) -> np.ndarray:
    """open(i, T) straight from docs/kpis.md, one invoice at a time: amount − payments ≤ T − write-offs
    ≤ T (a write-off without an amount takes all that is open), never below zero; 0 once paid_date ≤ T."""
    out = []
    for row in invoices.itertuples():
        if row.invoice_date > t or (pd.notna(row.paid_date) and row.paid_date <= t):
            out.append(0.0)
            continue
        mine = payments[payments["invoice_id"] == row.invoice_id]
        reduced = mine.loc[mine["payment_date"] <= t, "amount"].sum()
        if pd.notna(row.written_off_date) and row.written_off_date <= t:
            reduced += row.written_off_amount if pd.notna(row.written_off_amount) else abs(row.amount)
        out.append(np.sign(row.amount) * max(abs(row.amount) - reduced, 0.0))
    return np.array(out)


@PROPERTY_SETTINGS
@given(frames=ledger_frames(max_invoices=15), t_off=st.integers(0, SPAN_DAYS + 200))
def test_balances_and_window_kpis_match_the_design_formulas(frames, t_off):
    invoices, payments = frames
    t = day(t_off)
    table = compute_kpis(build(frames), t)
    if t < invoices["invoice_date"].min():  # no book yet: every KPI and the aging n/a, with the reason
        assert table.values.isna().all().all() and table.aging.isna().all().all()
        assert table.reason("ar_total").startswith("the date is before the ledger's first invoice")
        return
    open_t = _open_at(invoices, payments, t)
    dpd = (t - invoices["due_date"]).dt.days.to_numpy()
    ar, current = open_t.sum(), open_t[dpd <= 0].sum()
    assert table.value("ar_total") == pytest.approx(ar, abs=1e-6)
    assert table.value("ar_overdue") == pytest.approx(ar - current, abs=1e-6)
    for bucket, (lo, hi) in {"Current": (-10**9, 0), "1–30": (1, 30), "31–60": (31, 60), "61–90": (61, 90),
                             "91–120": (91, 120), "120+": (121, 10**9)}.items():
        assert table.aging.iloc[0][bucket] == pytest.approx(open_t[(dpd >= lo) & (dpd <= hi)].sum(), abs=1e-6)
    over_90 = open_t[dpd > 90].sum()
    assert_same(table.value("pct_over_90"), over_90 / ar * 100 if ar > 0 else np.nan, "pct_over_90")

    s = t - pd.Timedelta(days=N)
    in_window = (invoices["invoice_date"] > s) & (invoices["invoice_date"] <= t)
    sales = invoices.loc[in_window, "amount"].sum()
    covered = invoices["invoice_date"].min() <= s + pd.Timedelta(days=1)
    ar_s = _open_at(invoices, payments, s).sum()
    ok = covered and sales > 0
    assert_same(table.value("dso"), ar / sales * N if ok else np.nan, "dso")
    assert_same(table.value("bpdso"), current / sales * N if ok else np.nan, "bpdso")
    den = ar_s + sales - current
    cei = (ar_s + sales - ar) / den * 100 if covered and den > 0 else np.nan
    assert_same(table.value("cei"), cei, "cei", rel=1e-7)


# --- invariances ------------------------------------------------------------------------

@PROPERTY_SETTINGS
@given(frames=ledger_frames(), k=st.sampled_from([0.5, 2.0, 3.0, 10.0, 1000.0]))
def test_scaling_every_amount_leaves_ratios_unchanged(frames, k):
    invoices, payments = frames
    scaled = (invoices.assign(amount=invoices["amount"] * k, written_off_amount=invoices["written_off_amount"] * k),
              payments.assign(amount=payments["amount"] * k))
    a, b = series(frames).values, series(scaled).values
    for key in ("dso", "cei", "add"):  # the three
        assert_same(a[key], b[key], key)
    for key in RATIO_KEYS:
        assert_same(a[key], b[key], key)
    for key in MONEY_KEYS:
        assert_same(a[key] * k, b[key], key, abs_=1e-6)


@st.composite
def later_invoice(draw, t_off: int, customers: list[str]):
    inv_off = t_off + draw(st.integers(1, 200))
    customer = draw(st.sampled_from(customers + ["NEW"]))
    row, pays = draw(invoice_rows("LATER", customer, inv_off, credit_notes=True))
    return row, pays


@PROPERTY_SETTINGS
@given(data=st.data(), frames=ledger_frames(), t_off=st.integers(0, SPAN_DAYS + 100))
def test_an_invoice_dated_after_T_never_changes_kpis_at_T(data, frames, t_off):
    invoices, payments = frames
    t = day(t_off)
    row, pays = data.draw(later_invoice(t_off, sorted(invoices["customer_id"].unique())))
    more = (pd.concat([invoices, pd.DataFrame([row])], ignore_index=True),
            pd.concat([payments, pd.DataFrame(pays, columns=payments.columns)], ignore_index=True)
            if pays else payments)
    dates = list(MONTH_ENDS[MONTH_ENDS <= t]) + [t]
    a, b = compute_kpis(build(frames), dates), compute_kpis(build(more), dates)
    pd.testing.assert_frame_equal(a.values, b.values, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(a.reasons.fillna("-"), b.reasons.fillna("-"))
    pd.testing.assert_frame_equal(a.aging, b.aging, rtol=1e-9, atol=1e-9)


@PROPERTY_SETTINGS
@given(data=st.data(), frames=ledger_frames())
def test_paying_earlier_never_raises_dso_later(data, frames):
    invoices, payments = frames
    movable_payments = [j for j in range(len(payments))
                        if payments.at[j, "payment_date"] > invoices.set_index("invoice_id").at[
                            payments.at[j, "invoice_id"], "invoice_date"]]
    movable_paid = [i for i in range(len(invoices))
                    if pd.notna(invoices.at[i, "paid_date"]) and invoices.at[i, "paid_date"] > invoices.at[i, "invoice_date"]]
    choices = [("payment", j) for j in movable_payments] + [("paid_date", i) for i in movable_paid]
    if not choices:
        return
    kind, pos = data.draw(st.sampled_from(choices))
    invoices2, payments2 = invoices.copy(), payments.copy()
    if kind == "payment":
        first = invoices.set_index("invoice_id").at[payments.at[pos, "invoice_id"], "invoice_date"]
        old = payments.at[pos, "payment_date"]
        new = old - pd.Timedelta(days=data.draw(st.integers(1, (old - first).days)))
        payments2.at[pos, "payment_date"] = new
    else:
        old = invoices.at[pos, "paid_date"]
        new = old - pd.Timedelta(days=data.draw(st.integers(1, (old - invoices.at[pos, "invoice_date"]).days)))
        invoices2.at[pos, "paid_date"] = new
    a, b = series(frames).values, series((invoices2, payments2)).values
    for key in ("dso", "bpdso", "add", "ar_total"):
        before, after = a[key].to_numpy(), b[key].to_numpy()
        assert (np.isnan(before) == np.isnan(after)).all(), key
        ok = ~np.isnan(before)
        assert (after[ok] <= before[ok] + 1e-9).all(), f"{key} rose after paying earlier ({kind} → {new:%Y-%m-%d})"
        untouched = (a.index < new) & ok
        np.testing.assert_allclose(after[untouched], before[untouched], atol=1e-9, err_msg=key)


# --- derived series ------------------------------------------------------------------------

@PROPERTY_SETTINGS
@given(data=st.data(), frames=ledger_frames(credit_notes=True))
def test_series_equals_single_dates(data, frames):
    """kpi_series at a month-end equals compute_kpis at that date alone (every KPI, reason, bucket)."""
    ledger = build(frames)
    table = kpi_series(ledger, END, months=len(MONTH_ENDS))
    picks = data.draw(st.lists(st.sampled_from(list(MONTH_ENDS)), min_size=1, max_size=3, unique=True))
    for at in picks:
        one = compute_kpis(ledger, at)
        pd.testing.assert_frame_equal(table.values.loc[[at]], one.values.loc[[at]], rtol=1e-9, atol=1e-9)
        pd.testing.assert_frame_equal(table.reasons.loc[[at]].fillna("-"), one.reasons.loc[[at]].fillna("-"))
        pd.testing.assert_frame_equal(table.aging.loc[[at]], one.aging.loc[[at]], rtol=1e-9, atol=1e-9)
