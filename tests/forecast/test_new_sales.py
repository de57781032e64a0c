"""Receipts from invoices not yet issued (``forecast.include_new_sales``): by pen on a steady ledger,
no look-ahead, off by default, the setting read from client.yaml, and what the sample shows."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from pointintime import ledger_at

from arassess.config.client import load_config
from arassess.errors import ConfigError
from arassess.forecast import model as fm
from arassess.forecast import newsales
from arassess.forecast import tables as forecasttables
from arassess.inputs.intake import ledger_from_frames, load_ledger
from arassess.ledger.balances import day_number
from arassess.monthly.review import NEW_SALES_MARK, forecast_check, forecast_rows
from arassess.paths import SAMPLE_DATA_DIR

T = pd.Timestamp("2026-06-30")
DAY = pd.Timedelta(days=1)


def steady_ledger(days: int = 400, amount: float = 100.0, terms: int = 30):
    """One invoice a day for ``days`` days up to T, each ``amount``, due after ``terms`` days and paid
    on its due date (those not due by T still open)."""
    issued = T - pd.to_timedelta(np.arange(days - 1, -1, -1), unit="D")
    due = issued + terms * DAY
    invoices = pd.DataFrame({"invoice_id": [f"I{k}" for k in range(days)], "customer_id": "A",
                             "invoice_date": issued, "due_date": due, "amount": amount,
                             "paid_date": pd.Series(due).where(due <= T)})
    return ledger_from_frames(invoices, as_of=T)


def test_steady_sales_by_pen():
    """100 a day issued in the last 91 days: 100 a day from tomorrow on, each paid 30 days later.
    Days 1–28 (weeks 1–4) bring nothing; day 31 is the first (issued on day 1), so week 5 (days
    29–35) gets days 31–35 = 500 and every later week 7 days = 700."""
    ledger = steady_ledger()
    day = day_number(T)
    rate = newsales.run_rate(ledger, day)
    assert rate.per_day == pytest.approx(100.0) and rate.median_terms == 30
    weeks = newsales.new_sales_days(ledger, day, fm.week_ends())
    expected = np.array([0, 0, 0, 0, 500] + [700] * 8, dtype=float)
    np.testing.assert_allclose(weeks, expected, atol=1e-6)


def test_received_new_counts_only_invoices_issued_after_the_date():
    """At T − 91 days: the invoices issued after it and paid by T are the ones issued on days 1–61
    after it (paid 30 days later), 100 each: weeks 5–13 hold 500, then 700 each."""
    ledger = steady_ledger()
    d = day_number(T) - 91
    got = newsales.received_new(ledger, fm.cash_events(ledger), d, fm.WEEKS)
    np.testing.assert_allclose(got, [0, 0, 0, 0, 500] + [700] * 8)


def test_on_a_steady_ledger_the_forecast_adds_new_sales_and_says_so():
    f = fm.forecast(steady_ledger(), T, "EUR", include_new_sales=True)
    assert f.available and f.new_sales["included"] is True
    assert f.new_sales["per_week"] == pytest.approx(700.0) and f.new_sales["terms_days"] == 30
    np.testing.assert_allclose(f.weeks["new sales"], [0, 0, 0, 0, 500] + [700] * 8, atol=1e-6)
    assert f.new_sales["wape"]["weeks 5–13"] == pytest.approx(0.0, abs=1e-9)  # steady: exact in the backtest
    # the open invoices (issued in the last 30 days, due in weeks 1–5) plus the new sales
    np.testing.assert_allclose(f.weeks["expected"], f.weeks["model"] + f.weeks["new sales"], atol=1e-6)
    assert "not yet issued are added" in f.reason and "700 EUR per week" in f.reason
    assert "Of which new sales (EUR)" in forecasttables.weeks_table(f).columns
    assert "from invoices not yet issued" in fm.headline(f)


def test_an_open_items_export_adds_no_new_sales():
    config = load_config(SAMPLE_DATA_DIR / "northwind_open_items")
    f = fm.forecast(load_ledger(config), config.as_of, config.currency, include_new_sales=True)
    assert f.new_sales["included"] is False and "open-items export" in f.new_sales["reason"]
    assert (f.weeks["new sales"] == 0).all()


def test_new_sales_are_off_by_default():
    f = fm.forecast(steady_ledger(), T, "EUR")
    assert f.new_sales == {} and (f.weeks["new sales"] == 0).all()
    assert "not yet issued" not in f.reason
    assert not any("new sales" in c for c in forecasttables.weeks_table(f).columns)


def test_too_little_history_adds_no_new_sales_and_says_why():
    f = fm.forecast(steady_ledger(days=120), T, "EUR", include_new_sales=True)
    assert not f.available and f.new_sales["included"] is False
    assert f.new_sales["reason"] == ("Receipts from invoices not yet issued are not added: too little history "
                                     "to test them.")
    assert (f.weeks["new sales"] == 0).all()


@pytest.mark.parametrize("cut", ["2025-11-30", "2026-05-31"])
def test_no_look_ahead_new_sales_at_a_past_date(cut):
    config = load_config(SAMPLE_DATA_DIR / "voltline")
    ledger = load_ledger(config)
    t = pd.Timestamp(cut)
    cut_ledger = ledger_at(ledger, config.currency, t)
    day = day_number(t)
    np.testing.assert_allclose(newsales.new_sales_days(ledger, day, fm.week_ends()),
                               newsales.new_sales_days(cut_ledger, day, fm.week_ends()), rtol=1e-9, atol=1e-6)


def test_client_yaml_switches_it_on_and_a_bad_value_is_named(tmp_path):
    client = tmp_path / "voltline"
    shutil.copytree(SAMPLE_DATA_DIR / "voltline", client)
    cfg = client / "client.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text + "\nforecast:\n  include_new_sales: true\n", encoding="utf-8")
    assert load_config(client).include_new_sales is True
    cfg.write_text(text + "\nforecast:\n  include_new_sales: sometimes\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"forecast\.include_new_sales' must be true or false"):
        load_config(client)
    cfg.write_text(text + "\nforecast:\n  new_sales: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="new_sales"):
        load_config(client)
    assert load_config(SAMPLE_DATA_DIR / "voltline").include_new_sales is False


def test_on_the_sample_new_sales_are_tested_and_the_band_holds_the_total():
    config = load_config(SAMPLE_DATA_DIR / "voltline")
    f = fm.forecast(load_ledger(config), config.as_of, config.currency, include_new_sales=True)
    ns = f.new_sales
    assert ns["included"] and ns["wape"]["weeks 5–13"] < 0.3
    assert (f.weeks["low"] <= f.weeks["expected"]).all() and (f.weeks["expected"] <= f.weeks["high"]).all()
    # weeks 1–4 come mostly from the open invoices; by week 13 mostly from new sales
    assert f.weeks["new sales"].iloc[:4].sum() < 0.05 * f.weeks["expected"].iloc[:4].sum()
    assert f.weeks["new sales"].iloc[-1] > 0.5 * f.weeks["expected"].iloc[-1]
    assert ns["total"] == pytest.approx(float(f.weeks["new sales"].sum()), abs=0.01)


def test_the_monthly_check_counts_new_sales_cash_only_for_a_forecast_that_included_them():
    """Stored at T − 91 days: the steady ledger's invoices issued after it brought 500 in week 5 and
    700 a week after (test_received_new…); a forecast without new sales is checked against the
    invoices open then only."""
    ledger = steady_ledger()
    d = T - 91 * DAY
    start = d + DAY + 7 * DAY * pd.Series(range(13))
    plain = pd.DataFrame({"month_end": d, "week": range(1, 14), "start": start, "expected": 0.0,
                          "low": 0.0, "high": 0.0, "method": "model"})
    marked = plain.assign(method="model" + NEW_SALES_MARK)
    open_only = forecast_check(plain, ledger, T)["actual"].to_numpy()
    with_new = forecast_check(marked, ledger, T)["actual"].to_numpy()
    np.testing.assert_allclose(with_new - open_only, [0, 0, 0, 0, 500] + [700] * 8)
    f = fm.forecast(ledger, T, "EUR", include_new_sales=True)
    assert all(r["method"].endswith(NEW_SALES_MARK) for r in forecast_rows(f))
    assert not any(r["method"].endswith(NEW_SALES_MARK) for r in forecast_rows(fm.forecast(ledger, T, "EUR")))
