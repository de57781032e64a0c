"""Late-payment entitlement: hand-computed interest and fixed sums at the boundaries (paid on the due
date, one day late, a reference-rate change inside the lateness period, the UK size bands), partial
payments, credit notes, disputes, the 12-month window, the contract regime, currencies, and totals
by customer that add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from arassess.config.legal import LegalSettings, legal_settings
from arassess.errors import ConfigError
from arassess.inputs.intake import ledger_from_frames
from arassess.legal.entitlement import entitlement
from arassess.legal.rates import load_regimes

T = pd.Timestamp("2026-06-30")
EU = LegalSettings("eu")
UK = LegalSettings("uk")


def invoice(iid: str, due: str, paid: str | None, amount: float = 1000.0, customer: str = "A", **extra) -> dict:
    due_day = pd.Timestamp(due)
    return {"invoice_id": iid, "customer_id": customer, "invoice_date": due_day - pd.Timedelta(days=30),
            "due_date": due_day, "amount": amount, "paid_date": pd.Timestamp(paid) if paid else pd.NaT,
            "is_credit_note": amount < 0, **extra}


def ledger(*rows: dict, payments: pd.DataFrame | None = None, currency: str = "EUR"):
    frame = pd.DataFrame(list(rows))
    frame["paid_date"] = pd.to_datetime(frame["paid_date"])
    return ledger_from_frames(frame, payments, currency=currency, as_of=T)


def test_the_reference_rates_follow_the_half_year_rules():
    eu, uk = load_regimes()["eu"], load_regimes()["uk"]
    # EU: the ECB rate in force on 1 January / 1 July (3.15 from 18 Dec 2024; 2.15 from 11 Jun 2025)
    assert eu.half_year_reference(pd.Timestamp("2025-01-01")) == 3.15
    assert eu.half_year_reference(pd.Timestamp("2025-07-01")) == 2.15
    # UK: the Bank Rate on 31 December / 30 June before (4.75 on 31 Dec 2024; 4.25 on 30 Jun 2025)
    assert uk.half_year_reference(pd.Timestamp("2025-01-01")) == 4.75
    assert uk.half_year_reference(pd.Timestamp("2025-07-01")) == 4.25


def test_paid_on_the_due_date_owes_nothing():
    e = entitlement(ledger(invoice("I1", "2026-03-10", "2026-03-10")), T, EU, "EUR")
    assert e.available and (e.interest, e.fixed, e.late_invoices) == (0.0, 0.0, 0)
    assert e.invoices.empty and e.total == 0.0


def test_one_day_late_under_the_eu_directive():
    """10,000 one day late in H1 2026: ECB 2.15% on 1 January 2026 + 8 points = 10.15% a year."""
    e = entitlement(ledger(invoice("I1", "2026-03-10", "2026-03-11", 10_000.0)), T, EU, "EUR")
    assert e.interest == pytest.approx(10_000 * 0.1015 / 365)
    assert e.fixed == 40.0 and e.late_invoices == 1
    assert e.invoices["days_late"].tolist() == [1]


def test_a_rate_change_inside_the_lateness_period():
    """Due 20 June 2025, paid 10 July 2025: 10 days of H1 2025 (3.15 + 8 = 11.15%) and 10 days of
    H2 2025 (2.15 + 8 = 10.15%) under the EU rule; the UK rule fixes the rate of the half-year the
    debt became late in (Bank Rate 4.75 on 31 Dec 2024 + 8 = 12.75%) for all 20 days."""
    led = ledger(invoice("I1", "2025-06-20", "2025-07-10"))
    eu = entitlement(led, T, EU, "EUR")
    assert eu.interest == pytest.approx(1000 * (10 * 0.1115 + 10 * 0.1015) / 365)
    uk = entitlement(led, T, UK, "GBP")
    assert uk.interest == pytest.approx(1000 * 0.1275 * 20 / 365)
    assert uk.fixed == 70.0  # a debt of 1,000 is in the middle band


@pytest.mark.parametrize("amount, fixed", [(999.99, 40.0), (1000.0, 70.0), (9999.99, 70.0), (10_000.0, 100.0)])
def test_uk_fixed_sums_by_size_band(amount, fixed):
    e = entitlement(ledger(invoice("I1", "2026-03-10", "2026-03-20", amount)), T, UK, "GBP")
    assert e.fixed == fixed


def test_partial_payments_each_accrue_until_paid():
    """1,000 due 31 Jan 2026: 400 paid 10 days late, 600 paid 30 days late, at 10.15%."""
    payments = pd.DataFrame({"payment_id": ["P1", "P2"], "invoice_id": ["I1", "I1"],
                             "payment_date": pd.to_datetime(["2026-02-10", "2026-03-02"]), "amount": [400.0, 600.0]})
    e = entitlement(ledger(invoice("I1", "2026-01-31", None), payments=payments), T, EU, "EUR")
    assert e.interest == pytest.approx((400 * 10 + 600 * 30) * 0.1015 / 365)
    assert e.fixed == 40.0 and e.invoices["days_late"].tolist() == [30]


def test_credit_notes_and_disputes_as_documented():
    """A credit note owes nothing; a dispute resolved on 28 Feb makes the invoice late from 1 March
    (10 days to 10 March, not 38 from its due date); an open dispute takes the invoice out."""
    rows = [invoice("CN", "2026-01-31", "2026-03-10", -500.0),
            invoice("D1", "2026-01-31", "2026-03-10", dispute_date=pd.Timestamp("2026-01-20"),
                    dispute_resolved_date=pd.Timestamp("2026-02-28")),
            invoice("D2", "2026-01-31", None, dispute_date=pd.Timestamp("2026-01-25"))]
    e = entitlement(ledger(*rows), T, EU, "EUR")
    assert e.invoices["invoice_id"].tolist() == ["D1"]
    assert e.interest == pytest.approx(1000 * 0.1015 * 10 / 365)
    assert e.disputed_left_out == 1 and e.accruing_invoices == 0


def test_the_window_is_the_last_twelve_months_and_open_late_invoices_accrue_apart():
    rows = [invoice("OLD", "2025-05-01", "2025-06-15"),          # paid before 30 June 2025: outside
            invoice("IN", "2025-12-01", "2026-01-01"),           # 31 days late, inside
            invoice("OPEN", "2026-06-20", None, 2000.0, "B")]    # 10 days late at T, still open
    e = entitlement(ledger(*rows), T, EU, "EUR")
    assert e.invoices["invoice_id"].tolist() == ["IN"]
    h2_2025, h1_2026 = 0.1015, 0.1015  # ECB 2.15 on 1 Jul 2025 and on 1 Jan 2026
    assert e.interest == pytest.approx(1000 * (30 * h2_2025 + 1 * h1_2026) / 365)
    assert (e.accruing_invoices, e.accruing_fixed) == (1, 40.0)
    assert e.accruing_interest == pytest.approx(2000 * 0.1015 * 10 / 365)


def test_totals_by_customer_add_up():
    rows = [invoice(f"I{k}", "2026-02-01", f"2026-03-{k + 1:02d}", 100.0 * (k + 1), "ABC"[k % 3]) for k in range(9)]
    e = entitlement(ledger(*rows), T, EU, "EUR")
    assert e.by_customer["total"].sum() == pytest.approx(e.total)
    assert e.by_customer["invoices"].sum() == e.late_invoices == 9
    assert e.by_customer["total"].is_monotonic_decreasing


def test_contract_regime_and_none():
    led = ledger(invoice("I1", "2026-03-10", "2026-04-09"))
    e = entitlement(led, T, legal_settings({"regime": "contract", "rate": 0.12, "fixed_fee": 25}), "EUR")
    assert e.interest == pytest.approx(1000 * 0.12 * 30 / 365) and e.fixed == 25.0
    none = entitlement(led, T, LegalSettings(), "EUR")
    assert not none.available and "legal.regime: none" in none.reason


def test_fixed_sums_in_another_currency_need_a_rate():
    led = ledger(invoice("I1", "2026-03-10", "2026-03-11"), currency="USD")
    e = entitlement(led, T, EU, "USD", {"USD": 1.0, "EUR": 1.1})
    assert e.fixed == pytest.approx(44.0)
    with pytest.raises(ConfigError, match="fx.rates needs a rate for EUR"):
        entitlement(led, T, EU, "USD", {"USD": 1.0})


@pytest.mark.parametrize("raw, message", [
    ({"regime": "france"}, "legal.regime must be one of none, eu, uk, contract"),
    ({"regime": "contract"}, "legal.rate must be the contractual annual rate"),
    ({"regime": "eu", "rate": 0.1}, "legal.rate applies to legal.regime contract only"),
    ({"regime": "eu", "charges_interest": "yes"}, "legal.charges_interest must be true or false"),
    ({"regime": "eu", "interest": 1}, "unknown key"),
])
def test_bad_settings_name_the_key(raw, message):
    with pytest.raises(ConfigError, match=message):
        legal_settings(raw)


def test_rates_after_the_last_row_are_said_to_be_assumed():
    e = entitlement(ledger(invoice("I1", "2026-03-10", "2026-03-11")), pd.Timestamp("2027-03-31"), EU, "EUR")
    assert e.assumed_from == load_regimes()["eu"].known_until
    assert np.isfinite(e.total)
