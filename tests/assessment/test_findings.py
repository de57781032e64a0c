"""Findings and the seasonality note: named cases, then the two sample clients.

Rule cases feed ``generate_findings`` a scorecard built from a few KPI values
(every other KPI missing), so each expected sentence can be written out in full.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

import arassess
from arassess.assessment.aging import aging_summary, top_overdue_customers
from arassess.assessment.case import assess
from arassess.assessment.findings import (
    MAX_FINDINGS,
    SEVERITY_ORDER,
    Finding,
    benchmark_of,
    dso_change,
    generate_findings,
    relative_gap,
    seasonality_note,
    severity_of_gap,
)
from arassess.assessment.maturity import load_questionnaire, score_maturity
from arassess.config.client import load_config
from arassess.kpi.engine import compute_kpis, kpi_series, month_end_dates
from arassess.kpi.open_items import open_invoices
from arassess.kpi.registry import KPIS
from arassess.kpi.scorecard import scorecard

BUCKETS = ["Current", "1–30", "31–60", "61–90", "91–120", "120+"]
NO_AGING = pd.DataFrame({"amount": 0.0, "count": 0, "share": np.nan}, index=pd.Index(BUCKETS, name="bucket"))


def card(notes: dict[str, str] | None = None, **values: float) -> pd.DataFrame:
    """A scorecard (columns as arassess.kpi.scorecard.scorecard) with ``values``, every other KPI missing,
    compared with the registry's rules of thumb."""
    notes = notes or {}
    rows = []
    for kpi in KPIS:
        value = float(values.get(kpi.key, np.nan))
        rows.append({"key": kpi.key, "kpi": kpi.label, "value": value, "unit": kpi.unit,
                     "benchmark": kpi.benchmark,
                     "benchmark_text": "" if kpi.benchmark is None else f"rule of thumb {kpi.benchmark:g}",
                     "benchmark_source": "",
                     "better": "" if kpi.higher_is_better is None else ("higher" if kpi.higher_is_better else "lower"),
                     "status": kpi.status(value),
                     "note": "" if not np.isnan(value) else notes.get(kpi.key, "no credit sales in the window")})
    return pd.DataFrame(rows)


def aging(amounts: list[float]) -> pd.DataFrame:
    amount = pd.Series(amounts, index=pd.Index(BUCKETS, name="bucket"), dtype=float)
    return pd.DataFrame({"amount": amount, "count": 1, "share": amount / amount.sum() * 100})


def top(amounts: list[float], n: int = 10) -> pd.DataFrame:
    """top_overdue_customers of customers c1, c2, … owing ``amounts`` (one invoice each, 30 days overdue)."""
    positions = pd.DataFrame({
        "customer_id": [f"c{i + 1}" for i in range(len(amounts))],
        "customer_name": [f"Customer {i + 1}" for i in range(len(amounts))],
        "segment": "OEM", "open_amount": [float(a) for a in amounts], "days_past_due": 30,
        "bucket": pd.Categorical(["1–30"] * len(amounts), categories=BUCKETS, ordered=True)})
    return top_overdue_customers(positions, n=n)


NO_TOP = top([])


def series(dso_by_month: list[float], countback: list[float] | None = None, end: str = "2026-10-31") -> pd.DataFrame:
    index = month_end_dates(end, len(dso_by_month))
    frame = pd.DataFrame({"dso": dso_by_month}, index=index)
    if countback is not None:
        frame["dso_countback"] = countback
    return frame


def findings_by_key(findings: list[Finding]) -> dict[str, Finding]:
    return {f.key: f for f in findings}


def test_card_helper_has_the_scorecard_columns():
    ledger = arassess.inputs.intake.ledger_from_frames(pd.DataFrame([dict(
        invoice_id="X", customer_id="c", invoice_date="2026-01-01", due_date="2026-01-31", amount=1.0)]))
    assert list(card().columns) == list(scorecard(compute_kpis(ledger, "2026-02-01")).columns)


# --- the building blocks --------------------------------------------------------------

@pytest.mark.parametrize("key, value, gap", [
    ("add", 15.0, 0.5),              # (15 − 10) / 10, lower is better
    ("add", 10.0, 0.0),              # at the benchmark
    ("add", 5.0, -0.5),              # better than the benchmark
    ("cei", 60.0, 0.25),             # (80 − 60) / 80, higher is better
    ("cei", 90.0, -0.125),
    ("on_time_rate", 40.0, 0.5),     # (80 − 40) / 80
    ("dispute_rate", 3.5, 0.75),     # (3.5 − 2) / 2
], ids=["add_half_over", "add_at", "add_better", "cei_below", "cei_above", "on_time_half", "disputes"])
def test_relative_gap(key, value, gap):
    """Against the registry's rules of thumb (the card helper's benchmarks)."""
    assert relative_gap(key, value, benchmark_of(card(), key)) == pytest.approx(gap)


def test_relative_gap_against_a_published_benchmark():
    """CEI 83.3 against the CRF median 86.5: (86.5 − 83.3) / 86.5 below it; DSO 59.3 against 34."""
    assert relative_gap("cei", 83.3, 86.5) == pytest.approx(3.2 / 86.5)
    assert relative_gap("dso", 59.3, 34.0) == pytest.approx(25.3 / 34.0)


def test_relative_gap_without_benchmark_is_nan():
    assert np.isnan(relative_gap("ar_total", 1000.0, benchmark_of(card(), "ar_total")))
    assert np.isnan(relative_gap("cei", np.nan, 80.0))


@pytest.mark.parametrize("gap, severity", [(1.0, "high"), (0.5, "high"), (0.49, "medium"), (0.01, "medium"),
                                           (0.0, "low"), (-0.3, "low"), (np.nan, "low")])
def test_severity_of_gap(gap, severity):
    assert severity_of_gap(gap) == severity


@pytest.mark.parametrize("dso, expected", [
    ([50.0] + [55.0] * 11 + [62.0], (50.0, 62.0, 12.0)),  # 13 month-ends: now vs 12 months earlier
    ([55.0] * 12, None),                                   # only 12 month-ends: no comparison
    ([np.nan] + [55.0] * 12, None),                        # no DSO a year ago
], ids=["thirteen_months", "twelve_months", "missing_then"])
def test_dso_change(dso, expected):
    result = dso_change(series(dso))
    if expected is None:
        assert all(np.isnan(x) for x in result)
    else:
        assert result == pytest.approx(expected)


# --- one rule at a time ---------------------------------------------------------------

RULE_CASES = {
    "add_high": (
        dict(scorecard=card(dso=60.0, bpdso=40.0, add=20.0, ar_overdue=1234567.8)),
        "add", "high", 20.0,
        "DSO is 60.0 days against a best possible 40.0 days: 20.0 days of delay (ADD); "
        "1,234,568 EUR of overdue AR is tied up."),
    "add_within_benchmark": (
        dict(scorecard=card(dso=45.0, bpdso=38.0, add=7.0, ar_overdue=5000.0)),
        "add", "low", 7.0,
        "DSO is 45.0 days against a best possible 38.0 days: 7.0 days of delay (ADD); "
        "5,000 EUR of overdue AR is tied up."),
    "concentration_one_customer": (
        dict(top_customers=top([600, 500, 250])),          # 600 / 1,350 = 44%
        "concentration", "high", 600 / 1350 * 100,
        "44% of overdue AR (600 EUR) sits with one customer, Customer 1."),
    "concentration_eight_of_twenty": (
        dict(top_customers=top([100] * 20)),               # 5% each: 8 reach 40%, the top 10 hold 50%
        "concentration", "low", 40.0,
        "40% of overdue AR (800 EUR) sits with 8 customers (the top 10 hold 50%)."),
    "concentration_spread": (
        dict(top_customers=top([100] * 30)),               # the top 10 hold 33%: nobody reaches 40%
        "concentration", "low", 100 / 3,
        "Overdue AR is spread widely: the 10 customers owing most hold 33% of it."),
    "pct_over_90_above": (
        dict(scorecard=card(pct_over_90=12.5, ar_total=200000.0)),   # 12.5% × 200,000
        "pct_over_90", "medium", 12.5,
        "12.5% of AR (25,000 EUR) is more than 90 days past due, above the 10% benchmark."),
    "cei_below": (
        dict(scorecard=card(cei=60.0)),
        "cei", "medium", 60.0,
        "The collection effectiveness index (CEI) is 60.0%, below the 80% benchmark: "
        "40% of what could be collected in the window was not."),
    "cei_above": (
        dict(scorecard=card(cei=85.04)),
        "cei", "low", 85.04,
        "The collection effectiveness index (CEI) is 85.0%, at or above the 80% benchmark."),
    "on_time_low": (
        dict(scorecard=card(on_time_rate=40.0, mean_days_late=12.34)),
        "on_time_rate", "high", 40.0,
        "Only 40% of the invoices paid in the window were paid by their due date (below the 80% benchmark); "
        "the mean days late was 12.3."),
    "bad_debt_within": (
        dict(scorecard=card(bad_debt_ratio=0.5)),
        "bad_debt_ratio", "low", 0.5,
        "Write-offs over the last 12 months were 0.50% of credit sales, within the 1% benchmark."),
    "disputes_above": (
        dict(scorecard=card(dispute_rate=3.5)),
        "dispute_rate", "high", 3.5,
        "3.5% of the invoices issued in the window were disputed, above the 2% benchmark."),
    "dso_up": (
        dict(series_values=series([50.0] + [55.0] * 11 + [62.0])),
        "dso_trend", "high", 12.0,
        "DSO rose by 12.0 days over the last 12 months, from 50.0 to 62.0 days."),
    "dso_down": (
        dict(series_values=series([60.0] + [55.0] * 11 + [56.0])),
        "dso_trend", "low", -4.0,
        "DSO fell by 4.0 days over the last 12 months, from 60.0 to 56.0 days."),
    "dso_stable": (
        dict(series_values=series([55.0] * 12 + [55.4])),
        "dso_trend", "low", 0.4,
        "DSO was stable over the last 12 months (55.0 then, 55.4 days now)."),
    "overdue_share": (
        dict(aging=aging([400, 300, 200, 50, 30, 20])),     # 600 of 1,000 past due
        "overdue_share", "high", 60.0,
        "60% of open AR (600 EUR of 1,000 EUR) is past due."),
    "overdue_share_low": (
        dict(aging=aging([900_000, 50_000, 30_000, 10_000, 5_000, 5_000])),
        "overdue_share", "low", 10.0,
        "10% of open AR (100,000 EUR of 1,000,000 EUR) is past due."),
}


@pytest.mark.parametrize("name", list(RULE_CASES))
def test_rule(name):
    inputs, key, severity, value, text = RULE_CASES[name]
    args = dict(scorecard=card(), aging=NO_AGING, top_customers=NO_TOP, maturity=None, currency="EUR",
                series_values=None)
    args.update(inputs)
    found = findings_by_key(generate_findings(**args))
    assert key in found, [f.key for f in found.values()]
    finding = found[key]
    assert finding.text == text
    assert finding.severity == severity and finding.value == pytest.approx(value)


def test_overdue_share_is_left_to_the_add_finding_when_add_exists():
    found = findings_by_key(generate_findings(card(dso=60.0, bpdso=40.0, add=20.0, ar_overdue=600.0),
                                              aging([400, 300, 200, 50, 30, 20]), NO_TOP, None, "EUR"))
    assert "add" in found and "overdue_share" not in found


def test_no_open_ar():
    found = findings_by_key(generate_findings(card(), NO_AGING, NO_TOP, None, "EUR"))
    assert found["overdue_share"].text == "There is no open AR at the as-of date."


def test_maturity_finding(tmp_path):
    m = score_maturity(load_questionnaire(), load_config("sample_data/voltline").questionnaire)
    found = findings_by_key(generate_findings(card(), NO_AGING, NO_TOP, m, "EUR"))
    f = found["maturity"]
    assert f.text == ("Process maturity is 1.6 of 4 (Developing); the weakest areas are escalation procedure "
                      "(0.75), dispute handling (1.00) and team training and empowerment (1.25).")
    assert f.severity == "high" and f.area == "escalation" and f.unit == "score"
    assert f.value == pytest.approx(58 / 36)


def test_data_gaps_finding_names_what_would_provide_them():
    notes = {"dispute_rate": "the invoices file has no 'disputed' or 'dispute_date' column"}
    values = {k.key: 1.0 for k in KPIS if k.key != "dispute_rate"}
    found = findings_by_key(generate_findings(card(notes, **values), NO_AGING, NO_TOP, None, "EUR"))
    assert found["data_gaps"].text == ("1 of the 16 KPIs cannot be computed from this data; it needs a "
                                       "'disputed' or 'dispute_date' column in the invoices file.")


def test_a_date_the_data_contradicts_comes_first_beyond_the_count():
    warnings = ["WARNING: the as-of date 2025-03-31 is before the first invoice (2025-12-05): there is nothing "
                "to assess at that date."]
    sc = card(dso=60.0, bpdso=40.0, add=20.0, ar_overdue=1000.0, on_time_rate=60.0, mean_days_late=5.0,
              cei=50.0, dispute_rate=4.0, pct_over_90=30.0, ar_total=10000.0, bad_debt_ratio=0.2)
    plain = generate_findings(sc, NO_AGING, top([600, 500, 250]), None, "EUR", series([50.0] + [55.0] * 12))
    dated = generate_findings(sc, NO_AGING, top([600, 500, 250]), None, "EUR", series([50.0] + [55.0] * 12),
                              date_warnings=warnings)
    assert dated[0].key == "as_of" and dated[0].severity == "high"
    assert dated[0].text == ("The as-of date 2025-03-31 is before the first invoice (2025-12-05): there is "
                             "nothing to assess at that date.")
    assert dated[1:] == plain and len(plain) == MAX_FINDINGS  # nothing else dropped for it


def test_an_as_of_before_the_first_invoice_leads_the_findings_of_the_assessment(tmp_path):
    client = tmp_path / "northwind"
    shutil.copytree("sample_data/northwind_open_items", client)
    settings = client / "client.yaml"
    text = settings.read_text(encoding="utf-8")
    assert re.search(r"^as_of: 2026-10-31 ", text, flags=re.M)
    settings.write_text(re.sub(r"^as_of: .*$", "as_of: 2025-03-31", text, flags=re.M), encoding="utf-8")
    a = assess(client)
    keys = [f.key for f in a.findings]
    assert keys[:2] == ["as_of", "as_of"]                  # open items after the date; before the first invoice
    assert "are dated after the as-of date 2025-03-31" in a.findings[0].text
    assert a.findings[1].text.startswith("The as-of date 2025-03-31 is before the first invoice")
    assert "as_of" not in [f.key for f in assess("sample_data/northwind_open_items").findings]


def test_order_is_severity_then_gap_and_at_most_seven():
    sc = card(dso=60.0, bpdso=40.0, add=20.0, ar_overdue=1000.0,   # add: high, gap 1.0
              on_time_rate=60.0, mean_days_late=5.0,               # medium, gap 0.25
              cei=50.0,                                            # medium, gap 0.375
              dispute_rate=4.0,                                    # high, gap 1.0 → after add (stable order)
              pct_over_90=30.0, ar_total=10000.0,                  # high, gap 2.0
              bad_debt_ratio=0.2)                                  # low
    findings = generate_findings(sc, NO_AGING, top([600, 500, 250]), None, "EUR",
                                 series([50.0] + [55.0] * 11 + [54.0]))
    keys = [f.key for f in findings]
    # high: % over 90 (gap 2.0), then add, concentration (one customer holds 44%) and disputes at gap 1.0
    # in rule order; the 9 candidates are cut to 7 (the two low ones go)
    assert keys[:4] == ["pct_over_90", "add", "concentration", "dispute_rate"]
    assert "bad_debt_ratio" not in keys and "data_gaps" not in keys
    assert len(findings) == MAX_FINDINGS
    assert [SEVERITY_ORDER[f.severity] for f in findings] == sorted(SEVERITY_ORDER[f.severity] for f in findings)
    assert keys.index("cei") < keys.index("on_time_rate")  # both medium: the larger gap first


# --- the sample clients ---------------------------------------------------------------

AREA_KEYS = {k.key for k in KPIS} | set(load_questionnaire().area_keys)


def _sections(folder: str):
    ledger = arassess.load_client(folder)
    table = compute_kpis(ledger)
    positions = open_invoices(ledger, ledger.as_of)
    series_values = kpi_series(ledger, months=24).values if ledger.shape == "ledger" else None
    m = score_maturity(load_questionnaire(), load_config(folder).questionnaire)
    return ledger, table, aging_summary(positions), top_overdue_customers(positions), m, series_values


@pytest.fixture(scope="module")
def voltline():
    return _sections("sample_data/voltline")


@pytest.fixture(scope="module")
def northwind():
    return _sections("sample_data/northwind_open_items")


def _check_findings(findings: list[Finding]) -> None:
    assert 3 <= len(findings) <= MAX_FINDINGS
    assert [SEVERITY_ORDER[f.severity] for f in findings] == sorted(SEVERITY_ORDER[f.severity] for f in findings)
    assert len({f.key for f in findings}) == len(findings)
    for f in findings:
        assert f.area in AREA_KEYS, f
        assert f.text.endswith(".") and "\n" not in f.text and not re.search(r"\.\s+[A-Z]", f.text), f.text
        assert "nan" not in f.text and np.isfinite(f.value)


def test_voltline_findings(voltline):
    ledger, table, aging_table, top_table, m, series_values = voltline
    findings = generate_findings(scorecard(table), aging_table, top_table, m, ledger.currency, series_values)
    _check_findings(findings)
    found = findings_by_key(findings)
    assert found["add"].severity == "high" and found["add"].value == pytest.approx(table.value("add"))
    assert f"{table.value('ar_overdue'):,.0f} EUR" in found["add"].text
    # concentration: the smallest number of customers holding ≥ 40% of the overdue AR
    k = int(re.search(r"sits with (\d+) customers", found["concentration"].text).group(1))
    cumulative = top_table["cumulative_share"]
    assert cumulative.iloc[k - 1] >= 40 > cumulative.iloc[k - 2]
    assert found["concentration"].value == pytest.approx(cumulative.iloc[k - 1])


def test_voltline_findings_accept_the_scorecard_with_changes(voltline):
    ledger, table, aging_table, top_table, m, series_values = voltline
    extended = scorecard(table).assign(**{"3m_ago": 1.0, "change_3m": 2.0})
    plain = generate_findings(scorecard(table), aging_table, top_table, m, ledger.currency, series_values)
    assert generate_findings(extended, aging_table, top_table, m, ledger.currency, series_values) == plain


def test_northwind_open_items_still_gives_findings(northwind):
    ledger, table, aging_table, top_table, m, _ = northwind
    card_ = scorecard(table)
    with_maturity = generate_findings(card_, aging_table, top_table, m, ledger.currency, None)
    _check_findings(with_maturity)
    assert {"overdue_share", "concentration", "pct_over_90", "maturity"} <= {f.key for f in with_maturity}
    without = generate_findings(card_, aging_table, top_table, None, ledger.currency, None)
    _check_findings(without)
    gaps = findings_by_key(without)["data_gaps"]
    assert gaps.text == ("12 of the 16 KPIs cannot be computed from this data; they need the full invoice ledger "
                         "with paid dates (invoices + payments files).")


# --- seasonality ----------------------------------------------------------------------

def test_seasonality_from_period_vs_countback():
    note = seasonality_note(series([50.0, 60.5, 52.0], countback=[50.0, 55.0, 53.0], end="2026-03-31"))
    # Feb 2026: |60.5 − 55| / 55 = 10% exactly is not enough; make it 11%
    assert note is None
    note = seasonality_note(series([50.0, 61.05, 52.0], countback=[50.0, 55.0, 53.0], end="2026-03-31"))
    assert note is not None and "in Feb 2026" in note and "11% apart" in note and "countback" in note


def test_seasonality_from_sales_swing():
    months = month_end_dates("2026-06-30", 6)
    swinging = pd.Series([100.0, 100, 100, 100, 150, 50], index=months)  # std 28.9 / mean 100 = 29%
    note = seasonality_note(series([50.0] * 6, countback=[50.0] * 6, end="2026-06-30"), swinging)
    assert note is not None and "29%" in note and "from 50 in Jun 2026 to 150 in May 2026" in note
    flat = pd.Series([100.0, 104, 96, 100, 102, 98], index=months)         # 2.6%
    assert seasonality_note(series([50.0] * 6, countback=[50.0] * 6, end="2026-06-30"), flat) is None
    assert seasonality_note(series([50.0] * 6), swinging.iloc[:5]) is None  # fewer than 6 months


def test_seasonality_without_countback_column_or_values():
    assert seasonality_note(series([50.0, 70.0])) is None
    assert seasonality_note(series([50.0, 70.0], countback=[np.nan, np.nan])) is None


def test_voltline_seasonality(voltline):
    note = seasonality_note(voltline[5])
    assert note is not None and "in Oct 2025" in note and "countback" in note
