"""arassess's KPI engine agrees with an independent DuckDB SQL implementation (tests/duckdb_reference.py).

Small random ledgers (fixed seeds), loaded through ``ledger_from_frames`` (the
real input contract), full of edge cases: instalments, payments on and after
the paid date, invoices paid in full (or to within half a cent) without a paid
date, write-offs (amount empty, the remainder, half of it, more than is open,
on the day of a payment, on the paid date, before later payments), short payers,
disputes with and without a date (and dates without the flag), credit notes,
zero-term invoices, dates pinned on the window and bucket edges. Every KPI both
sides compute — AR, overdue, aging buckets, DSO, BPDSO, ADD, CEI, % over 90,
days to pay, mean days late, on-time rate, bad-debt ratio, AR turnover, dispute
rate, top-10 share — must match at a snapshot date and at month-ends, including
which ones are missing. Countback DSO and the roll-rate forecast have no SQL
twin. No timing here: the speed comparison is bench/kpi_engine.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from arassess.inputs.intake import ledger_from_frames
from arassess.kpi.engine import compute_kpis, kpi_series

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


import duckdb_reference as ref  # noqa: E402  (tests/ is on the path, as for conftest)

START = np.datetime64("2024-01-01", "D")
SPAN_DAYS = 760                      # a bit over two years of invoices
SNAPSHOT_DAY = SPAN_DAYS - 12        # the snapshot: not a month-end
N = 90
SEEDS = (1, 2, 3, 5, 8, 13)
MONEY_ATOL = 1e-4                    # arassess rounds money measures to 1/100 of a cent
RTOL = 1e-9


def _day(days: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    out = (START + np.asarray(days).astype("timedelta64[D]")).astype("datetime64[s]")
    if valid is not None:
        out[~valid] = np.datetime64("NaT")
    return out


def random_frames(seed: int, n: int = 320, n_customers: int = 14) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invoices and payments obeying the loader's rules, rich in edge cases."""
    rng = np.random.default_rng(seed)
    end = SPAN_DAYS
    t = SNAPSHOT_DAY
    customer = np.minimum((n_customers * rng.random(n) ** 1.7).astype(int), n_customers - 1)
    inv = rng.integers(0, end, n)
    terms = rng.choice([0, 10, 30, 45, 60], n)
    # dates pinned on the edges of the snapshot's windows and buckets
    inv[:6] = [t, t - N, t - N + 1, t - 365, t - 364, t - 1]
    due = inv + terms
    due[6:14] = [t, t - 1, t - 30, t - 31, t - 90, t - 91, t - 120, t - 121]
    inv[6:14] = np.minimum(inv[6:14], due[6:14])
    amount = np.round(rng.lognormal(6.0, 1.0, n) + 1.0, 2)
    credit = rng.random(n) < 0.03
    credit[:14] = False
    amount = np.where(credit, -np.round(amount / 4, 2), amount)

    late = np.round(rng.normal(2.0, 15.0, n)).astype(int)
    pay_day = np.maximum(due + late, inv)
    pay_day[14:18] = [t, t - N, t - N + 1, t + 1]
    pay_day = np.maximum(pay_day, inv)
    paid = (pay_day <= end) & (rng.random(n) < 0.9)
    paid[14:18] = True

    # partial payments on ~25% of (non-credit) invoices, some after a write-off or the paid date
    partial = (rng.random(n) < 0.25) & ~credit
    pos = np.flatnonzero(partial)
    k = rng.integers(1, 4, len(pos))
    owner = np.repeat(pos, k)
    last = np.where(paid[pos], pay_day[pos], end)
    span = np.repeat(last - inv[pos], k)
    p_day = np.repeat(inv[pos], k) + (rng.random(len(owner)) * (span + 1)).astype(int)
    share = rng.uniform(0.1, 0.95, len(pos)) / k
    p_amt = np.floor(np.repeat(amount[pos] * share, k) * 100) / 100
    keep = p_amt > 0
    owner, p_day, p_amt = owner[keep], p_day[keep], p_amt[keep]
    partial_sum = np.bincount(owner, weights=p_amt, minlength=n)
    done = pos[paid[pos]]
    rest = np.round(amount[done] - partial_sum[done], 2)
    rest_ok = rest > 0
    # short payers: on the paid date only half the rest arrives, the other half is written off
    short = done[rest_ok][2::4]
    last_rest = np.where(np.isin(done[rest_ok], short), np.round(rest[rest_ok] / 2, 2), rest[rest_ok])
    owner = np.concatenate([owner, done[rest_ok]])
    p_day = np.concatenate([p_day, pay_day[done][rest_ok]])
    p_amt = np.concatenate([p_amt, last_rest])
    # a few stray payments after the paid date (ignored: the invoice is closed)
    stray = np.flatnonzero(paid & ~partial & ~credit & (pay_day + 20 <= end))[:3]
    owner = np.concatenate([owner, stray])
    p_day = np.concatenate([p_day, pay_day[stray] + 20])
    p_amt = np.concatenate([p_amt, np.round(amount[stray] * 0.1, 2)])
    # a few invoices paid in full by instalments but with no paid date in the export
    no_paid_date = np.isin(np.arange(n), done[rest_ok][:2])   # (short starts at [2])
    p_amt[len(p_amt) - len(stray) - rest_ok.sum()] -= 0.004    # the first of them is paid to within half a cent
    paid = paid & ~no_paid_date

    # write-offs: amount empty (all that is open), the remainder, half of it, or more than is open (clipped)
    written = (rng.random(n) < 0.08) & ~credit
    wo_day = due + rng.integers(20, 300, n)
    written &= wo_day <= end
    # some write-offs on the day of a partial payment (that payment counts first), and some
    # on the paid date of an invoice paid without instalments (the write-off still counts).
    # (Not on the paid date after payments in full: see test_noop_write_off_after_full_payment.)
    last_payment = np.full(n, -1)
    np.maximum.at(last_payment, owner, p_day)
    same_day = np.flatnonzero(written & ~paid & (last_payment >= 0))[::2]
    wo_day[same_day] = last_payment[same_day]
    on_paid = np.flatnonzero((rng.random(n) < 0.04) & paid & ~partial & ~credit & (last_payment < 0))
    written[on_paid], wo_day[on_paid] = True, pay_day[on_paid]
    written[short], wo_day[short] = True, pay_day[short]
    remainder = np.maximum(amount - np.bincount(owner, weights=p_amt, minlength=n), 0)
    kind = rng.integers(0, 4, n)
    wo_amount = np.select([kind == 0, kind == 1, kind == 2], [np.nan, np.round(remainder, 2),
                          np.round(remainder / 2, 2)], amount)
    wo_amount = np.where(written, wo_amount, np.nan)
    wo_amount[short] = np.nan                                   # whatever the short payment left open

    disputed = rng.random(n) < 0.08
    dated = (disputed & (rng.random(n) < 0.7)) | (rng.random(n) < 0.02)   # some dates without the flag
    dispute_day = inv + rng.integers(0, 60, n)

    invoices = pd.DataFrame({
        "invoice_id": [f"I{seed}-{i:05d}" for i in range(n)],
        "customer_id": [f"C{c:03d}" for c in customer],
        "invoice_date": _day(inv),
        "due_date": _day(due),
        "amount": amount,
        "paid_date": _day(pay_day, paid),
        "disputed": disputed,
        "dispute_date": _day(dispute_day, dated),
        "written_off_date": _day(wo_day, written),
        "written_off_amount": wo_amount,
        "is_credit_note": credit,
    })
    payments = pd.DataFrame({
        "invoice_id": invoices["invoice_id"].to_numpy()[owner],
        "payment_date": _day(p_day),
        "amount": p_amt,
    })
    return invoices, payments


def _ours(table) -> pd.DataFrame:
    return pd.concat([table.values, table.aging.add_prefix("bucket:")], axis=1)


def reference(ledger, dates, **options) -> pd.DataFrame:
    """The DuckDB reference's KPIs of ``ledger`` at ``dates``."""
    con = duckdb.connect(":memory:")
    try:
        ref.register(con, ledger.invoices, ledger.payments)
        return ref.compute(con, dates, **options)
    finally:
        con.close()


def assert_agree(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert list(theirs.index) == list(ours.index)
    for column in theirs.columns:
        a = ours[column].to_numpy(dtype=float)
        b = theirs[column].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{column}: missing at different dates")
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=MONEY_ATOL, equal_nan=True,
                                   err_msg=f"{column} differs from the DuckDB reference")


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def ledger_and_db(request):
    invoices, payments = random_frames(request.param)
    ledger = ledger_from_frames(invoices, payments, currency="EUR")
    con = duckdb.connect(":memory:")
    ref.register(con, ledger.invoices, ledger.payments)
    yield ledger, con
    con.close()


def test_snapshot_agrees(ledger_and_db):
    ledger, con = ledger_and_db
    snapshot = pd.Timestamp(START + SNAPSHOT_DAY)
    ours = _ours(compute_kpis(ledger, snapshot, window_days=N))
    theirs = ref.compute(con, [snapshot], window_days=N)
    assert_agree(ours, theirs)
    assert theirs[["dso", "cei", "ar_turnover", "bad_debt_ratio", "dispute_rate"]].notna().all(axis=None)


def test_month_end_series_agrees(ledger_and_db):
    """All month-ends since the first: early ones lack the window / 12-month history (missing on both sides)."""
    ledger, con = ledger_and_db
    table = kpi_series(ledger, pd.Timestamp(START + SNAPSHOT_DAY), months=25, window_days=N)
    ours = _ours(table)
    theirs = ref.compute(con, ours.index, window_days=N)
    known = ours.index >= ledger.invoices["invoice_date"].min()  # before the first invoice: n/a by rule
    assert ours[~known].isna().all().all()
    assert_agree(ours[known], theirs[known])
    assert theirs["dso"].isna().any() and theirs["dso"].notna().any()
    assert theirs["ar_turnover"].isna().any() and theirs["ar_turnover"].notna().any()


@pytest.mark.parametrize("window_days,edges", [(30, (0, 30, 60, 90, 120)), (60, (0, 15, 45, 90))])
def test_other_window_and_buckets_agree(window_days, edges):
    invoices, payments = random_frames(21)
    ledger = ledger_from_frames(invoices, payments, currency="EUR")
    dates = pd.DatetimeIndex([START + SNAPSHOT_DAY, "2025-06-30", "2025-11-30"])
    ours = _ours(compute_kpis(ledger, dates, window_days=window_days, aging_edges=edges))
    assert_agree(ours, reference(ledger, dates, window_days=window_days, aging_edges=edges))


def test_bench_ledger_is_valid_and_agrees():
    """The benchmark's generator passes the input contract, and both engines agree on it."""
    bench = _load("kpi_engine")
    invoices, payments = bench.synthetic_frames(3000, seed=7)
    ledger = bench.make_ledger(invoices, payments, validate=True)   # pandera + cross-file rules
    dates = pd.DatetimeIndex([bench.SNAPSHOT]).append(bench.series_dates())
    ours = _ours(compute_kpis(ledger, dates, window_days=bench.WINDOW_DAYS))
    assert_agree(ours, reference(ledger, dates, window_days=bench.WINDOW_DAYS))


def test_noop_write_off_after_full_payment():
    """B is paid in full on its paid date; a write-off booked that day after the payments removes nothing."""
    invoices = pd.DataFrame({
        "invoice_id": ["A", "B"], "customer_id": ["C1", "C1"],
        "invoice_date": pd.to_datetime(["2025-01-02", "2025-01-02"]),
        "due_date": pd.to_datetime(["2025-02-01", "2025-02-01"]),
        "amount": [17511.11, 172.87],
        "paid_date": pd.to_datetime(["2025-01-10", "2025-01-20"]),
        "written_off_date": pd.to_datetime([None, "2025-01-20"]),
        "written_off_amount": [np.nan, 172.87],
    })
    payments = pd.DataFrame({
        "invoice_id": ["A", "B", "B"],
        "payment_date": pd.to_datetime(["2025-01-10", "2025-01-15", "2025-01-20"]),
        "amount": [17511.11, 81.51, 91.36],
    })
    ledger = ledger_from_frames(invoices, payments, currency="EUR")
    theirs = reference(ledger, ["2025-01-31"])
    assert theirs["days_to_pay"].iloc[0] == pytest.approx((17511.11 * 8 + 172.87 * 18) / 17683.98)
    assert_agree(_ours(compute_kpis(ledger, "2025-01-31")), theirs)
