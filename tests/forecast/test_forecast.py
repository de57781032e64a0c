"""The 13-week receipts forecast: values worked out by pen on a hand ledger, the timing's shrinkage,
no look-ahead in the backtest, both branches of the honesty rule, and the band's coverage on the
sample client."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pointintime import ledger_at

from arassess.config.client import load_config
from arassess.forecast import model as fm
from arassess.forecast import timing
from arassess.inputs.intake import ledger_from_frames, load_ledger
from arassess.ledger.balances import day_number
from arassess.paths import SAMPLE_DATA_DIR

T = pd.Timestamp("2026-06-30")
DAY = pd.Timedelta(days=1)


def invoices_of(customer: str, pays_after_due: int, n: int = 20, first: pd.Timestamp = T - 400 * DAY,
                terms: int = 30, amount: float = 100.0) -> list[dict]:
    """``n`` invoices of ``customer``, ten days apart, each paid ``pays_after_due`` days after its due date."""
    rows = []
    for k in range(n):
        issued = first + 10 * k * DAY
        due = issued + terms * DAY
        rows.append({"invoice_id": f"{customer}{k}", "customer_id": customer, "invoice_date": issued,
                     "due_date": due, "amount": amount, "paid_date": due + pays_after_due * DAY})
    return rows


def open_invoice(iid: str, customer: str, due: pd.Timestamp, amount: float) -> dict:
    return {"invoice_id": iid, "customer_id": customer, "invoice_date": due - 30 * DAY, "due_date": due,
            "amount": amount, "paid_date": pd.NaT}


def hand_ledger(extra: list[dict] = ()):
    """A pays 10 days late, B on the due date, C 30 days late, always; open at T: A's due in 5 days,
    B's in 3, C's one 40 days overdue (past its usual day) and one due in 10 days."""
    rows = (invoices_of("A", 10) + invoices_of("B", 0) + invoices_of("C", 30)
            + [open_invoice("A-open", "A", T + 5 * DAY, 1000.0), open_invoice("B-open", "B", T + 3 * DAY, 500.0),
               open_invoice("C-late", "C", T - 40 * DAY, 700.0), open_invoice("C-next", "C", T + 10 * DAY, 300.0),
               *extra])
    invoices = pd.DataFrame(rows)
    invoices["paid_date"] = pd.to_datetime(invoices["paid_date"])
    return ledger_from_frames(invoices, as_of=T)


def test_hand_ledger_by_pen_without_shrinkage(monkeypatch):
    """Each customer on its own timing: B's 500 in week 1, A's 1,000 in week 3 (due + 5, paid 10 days
    later = day 15), C's next 300 in week 6 (due + 10, paid 30 later = day 40) — but only 20 of the 21
    C invoices that reached 30 days were paid then (its overdue one is still open at 40), so
    300 × 20/21; that overdue invoice is past anything C ever did: expected in no week."""
    monkeypatch.setattr(timing, "PRIOR_INVOICES", 0)
    ledger = hand_ledger()
    day = day_number(T)
    book = fm.open_book(ledger, day)
    assert book.total == pytest.approx(2500.0)
    weeks = fm.model_weeks(ledger, book, day)
    expected = np.zeros(13)
    expected[[0, 2, 5]] = [500.0, 1000.0, 300.0 * 20 / 21]
    np.testing.assert_allclose(weeks, expected, atol=1e-9)
    # the due-date baseline: A, B and the overdue C in week 1, C's next in week 2
    due = fm.due_date_weeks(ledger, book, day)
    np.testing.assert_allclose(due[:3], [2200.0, 300.0, 0.0])


def test_a_customer_without_history_takes_the_portfolio_timing():
    """D has no paid invoice: its timing is the portfolio's. At age 0 the portfolio has 60 paid
    invoices and C's overdue one still open (61 at risk), 20 of them paid on the due date, so D's
    610 due in 3 days is expected at 610 × 20/61 = 200 in week 1."""
    ledger = hand_ledger([open_invoice("D-open", "D", T + 3 * DAY, 610.0)])
    day = day_number(T)
    book = fm.open_book(ledger, day)
    d = book.rows == int(np.flatnonzero(ledger.invoices["invoice_id"].to_numpy() == "D-open")[0])
    only_d = fm.Book(book.rows[d], book.open[d], book.customer[d], book.age[d])
    weeks = fm.model_weeks(ledger, only_d, day)
    assert weeks[0] == pytest.approx(200.0)
    assert weeks.sum() == pytest.approx(610.0 * 60 / 61)  # all but C's still-open share, within 13 weeks


def test_shrinkage_pulls_a_short_history_towards_the_segment():
    """A customer with one invoice paid 50 days late keeps some of its segment's on-time habit."""
    t = day_number(T)
    one = invoices_of("E", 50, n=1, first=T - 200 * DAY)
    ledger = ledger_from_frames(pd.DataFrame(invoices_of("B", 0) + one), as_of=T)
    code = int(pd.factorize(ledger.invoices["customer_id"])[0][-1])
    table = timing.timing_at(ledger, t, np.array([code]))
    on_time = table.paid[0, table.column(np.array([0]))][0]
    assert 0.5 < on_time < 1.0  # mostly the segment's (10 pseudo-invoices against 1 of its own)


def test_received_counts_cash_not_write_offs():
    rows = [{"invoice_id": "W", "customer_id": "A", "invoice_date": T - 60 * DAY, "due_date": T - 30 * DAY,
             "amount": 100.0, "paid_date": pd.NaT, "written_off_date": T + 3 * DAY, "written_off_amount": 100.0},
            {"invoice_id": "P", "customer_id": "A", "invoice_date": T - 60 * DAY, "due_date": T - 30 * DAY,
             "amount": 80.0, "paid_date": T + 9 * DAY, "written_off_date": pd.NaT, "written_off_amount": np.nan}]
    frame = pd.DataFrame(rows)
    ledger = ledger_from_frames(frame, as_of=T + 100 * DAY)
    day = day_number(T)
    book = fm.open_book(ledger, day)
    got = fm.received(fm.cash_events(ledger), book, day)
    assert got[1] == pytest.approx(80.0) and got.sum() == pytest.approx(80.0)


@pytest.fixture(scope="module")
def voltline():
    config = load_config(SAMPLE_DATA_DIR / "voltline")
    return config, load_ledger(config)


@pytest.fixture(scope="module")
def voltline_forecast(voltline):
    config, ledger = voltline
    return fm.forecast(ledger, config.as_of, config.currency)


@pytest.mark.parametrize("cut", ["2025-11-30", "2026-03-31", "2026-07-31"])
def test_no_look_ahead_forecasts_at_a_past_date_ignore_everything_after_it(voltline, cut):
    """The three forecasts at a past month-end are the same from the whole ledger and from the
    ledger cut at that date (later invoices, payments, paid dates and write-offs removed)."""
    config, ledger = voltline
    t = pd.Timestamp(cut)
    cut_ledger = ledger_at(ledger, config.currency, t)
    day = day_number(t)
    full_book, cut_book = fm.open_book(ledger, day), fm.open_book(cut_ledger, day)
    assert full_book.total == pytest.approx(cut_book.total)
    np.testing.assert_allclose(fm.model_weeks(ledger, full_book, day), fm.model_weeks(cut_ledger, cut_book, day),
                               rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(fm.due_date_weeks(ledger, full_book, day),
                               fm.due_date_weeks(cut_ledger, cut_book, day))
    np.testing.assert_allclose(fm.pattern_weeks(ledger, fm.cash_events(ledger), full_book, day),
                               fm.pattern_weeks(cut_ledger, fm.cash_events(cut_ledger), cut_book, day), rtol=1e-9)


def test_on_the_sample_the_forecast_beats_both_baselines_and_its_band_covers_about_80_percent(voltline_forecast):
    f = voltline_forecast
    assert f.available and f.used == {"weeks 1–4": "model", "weeks 5–13": "model"}
    assert f.tests["date"].nunique() == fm.BACKTEST_MONTHS
    for horizon in fm.HORIZONS:
        row = f.accuracy.loc[horizon]
        assert row["model"] < min(row["due date"], row["last 13 weeks"])
    assert 0.70 <= f.coverage <= 0.90
    assert "beat both naive methods" in f.reason and "WAPE" in f.reason
    assert (f.weeks["low"] <= f.weeks["expected"]).all() and (f.weeks["expected"] <= f.weeks["high"]).all()
    assert f.weeks["expected"].sum() <= f.open_total  # never more than is owed


def test_backtest_dates_are_month_ends_whose_13_weeks_have_passed(voltline_forecast):
    dates = sorted(voltline_forecast.tests["date"].unique())
    assert all(pd.Timestamp(d).is_month_end for d in dates)
    assert pd.Timestamp(dates[-1]) + 91 * DAY <= voltline_forecast.as_of


def regime_change_ledger() -> object:
    """40 customers who paid 45 days late for a year and a half, then, from 2026-01-01, pay every
    invoice on its due date: a history-based timing forecast is wrong, due dates are right."""
    rows = []
    change = pd.Timestamp("2026-01-01")
    for c in range(40):
        for k in range(70):
            issued = pd.Timestamp("2024-07-01") + (10 * k + c % 10) * DAY
            due = issued + 30 * DAY
            paid = due + (0 if due >= change else 45) * DAY
            rows.append({"invoice_id": f"R{c}-{k}", "customer_id": f"C{c}", "invoice_date": issued,
                         "due_date": due, "amount": 100.0 + c, "paid_date": paid if paid <= T else pd.NaT})
    return ledger_from_frames(pd.DataFrame(rows), as_of=T)


def test_when_the_forecast_does_not_beat_the_baselines_the_better_baseline_is_shown_and_said():
    f = fm.forecast(regime_change_ledger(), T, "EUR")
    assert f.available
    assert f.used["weeks 1–4"] != "model"
    row = f.accuracy.loc["weeks 1–4"]
    assert row["model"] >= min(row["due date"], row["last 13 weeks"])
    shown = f.used["weeks 1–4"]
    np.testing.assert_allclose(f.weeks["expected"].iloc[:4], f.weeks[shown].iloc[:4])
    assert "did not beat both naive methods" in f.reason and fm.METHOD_LABELS[shown] in f.reason


def test_an_open_items_export_gets_due_dates_only_with_the_reason():
    config = load_config(SAMPLE_DATA_DIR / "northwind_open_items")
    ledger = load_ledger(config)
    f = fm.forecast(ledger, config.as_of, config.currency)
    assert not f.available and (f.weeks["method"] == "due date").all()
    assert "no payment history" in f.reason
    assert f.weeks["expected"].sum() <= f.open_total + 0.01
    assert f.summary()["weeks"][0]["method"] == "due date"


def test_too_little_history_says_so():
    rows = invoices_of("A", 10, first=T - 250 * DAY) + [open_invoice("A-open", "A", T + 5 * DAY, 1000.0)]
    f = fm.forecast(ledger_from_frames(pd.DataFrame(rows), as_of=T), T, "EUR")  # no month-end with 13 weeks after
    assert not f.available and "Too little history to test a forecast (0 month-end(s)" in f.reason
    assert f.weeks["expected"].iloc[0] == pytest.approx(1000.0)  # due dates: A's invoice in week 1


def test_a_saved_forecast_reads_back_the_same_and_only_for_the_same_inputs(voltline_forecast, tmp_path):
    from arassess.forecast.store import FORECAST_FILE, forecast_key, load_forecast, save_forecast

    config = load_config(SAMPLE_DATA_DIR / "voltline")
    key = forecast_key(config, config.as_of)
    save_forecast(voltline_forecast, tmp_path, key)
    back = load_forecast(tmp_path, key)
    assert back is not None and back.reason == voltline_forecast.reason and back.used == voltline_forecast.used
    pd.testing.assert_frame_equal(back.weeks, voltline_forecast.weeks, check_dtype=False)
    pd.testing.assert_frame_equal(back.tests, voltline_forecast.tests, check_dtype=False)
    pd.testing.assert_frame_equal(back.accuracy, voltline_forecast.accuracy, check_dtype=False)
    assert back.summary() == voltline_forecast.summary()
    assert load_forecast(tmp_path, forecast_key(config, "2026-09-30")) is None  # another date: made again
    with pytest.raises(FileExistsError):
        save_forecast(voltline_forecast, tmp_path, key)  # never written over
    assert (tmp_path / FORECAST_FILE).is_file()


def test_a_date_long_after_the_data_expects_nothing_and_says_why(voltline):
    """At 2031 the sample's open invoices are years overdue and its last 12 month-ends brought no
    cash: nothing can be tested, and nothing is expected (not "everything in week 1")."""
    config, ledger = voltline
    f = fm.forecast(ledger, "2031-03-31", config.currency)
    assert not f.available and "Too little history to test a forecast (0 month-end(s)" in f.reason
    assert f.weeks["expected"].sum() == 0 and f.open_total > 0
    assert "nan" not in (f.reason + fm.headline(f) + fm.plain_reason(f)).lower()
