"""The monthly review (arassess.monthly.review): months, snapshots and backfill, the goal-status rule at
its boundaries, what moved on a hand-built ledger, the plan's due actions, and review() itself."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest

from arassess.assessment.case import load
from arassess.errors import ArassessError, MonthError
from arassess.goals.model import Goal
from arassess.kpi.open_items import open_invoices
from arassess.kpi.registry import KPIS
from arassess.monthly import review as monthly
from arassess.monthly.review import (
    actions_due,
    backfill_snapshots,
    goal_status,
    month_end,
    new_over_90,
    overdue_changes,
    reached_handoff,
    review,
    snapshot_at,
)
from arassess.monthly.sections import summary
from arassess.monthly.store import HistoryStore
from arassess.paths import SAMPLE_DATA_DIR

LEDGER = SAMPLE_DATA_DIR / "voltline"
OPEN_ITEMS = SAMPLE_DATA_DIR / "northwind_open_items"
T = pd.Timestamp


@pytest.fixture(scope="module")
def voltline():
    return load(LEDGER)


# --- month_end --------------------------------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    ("2026-10", "2026-10-31"),
    ("2024-02", "2024-02-29"),        # leap year
    ("2026-02", "2026-02-28"),
    (" 2026-01 ", "2026-01-31"),       # surrounding blanks
    ("2026-10-31", "2026-10-31"),     # a month-end written as a date
    (T("2026-10-15"), "2026-10-31"),  # a Timestamp: its month
])
def test_month_end(given, expected):
    assert month_end(given) == T(expected)


@pytest.mark.parametrize("given, fragment", [
    ("2026-13", "01 to 12"),
    ("2026-00", "01 to 12"),
    ("10-2026", "YYYY-MM"),
    ("2026/10", "YYYY-MM"),
    ("", "YYYY-MM"),
    (202610, "YYYY-MM"),              # papermill's YAML turns -p month 202610 into an int
    ("2026-10-15", "write the month as 2026-10"),
    ("1800-01", "year"),
])
def test_month_end_errors_name_the_value(given, fragment):
    with pytest.raises(MonthError, match=fragment) as info:
        month_end(given)
    assert repr(given) in str(info.value) or str(given) in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, ArassessError)


# --- snapshots and backfill -------------------------------------------------------------

def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_backfill_of_24_months_equals_24_single_snapshots_exactly(voltline, monkeypatch):
    config, ledger = voltline
    calls = []
    real = monthly.compute_kpis
    monkeypatch.setattr(monthly, "compute_kpis", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    filled = backfill_snapshots(config, ledger, "2024-11", "2026-10", "backfill")
    assert len(calls) == 1 and len(calls[0]) == 24  # one vectorized call over every month-end
    assert [s.month_end for s in filled] == list(pd.date_range("2024-11-30", "2026-10-31", freq="ME"))
    nan_cells = 0
    for snap in filled:
        single = snapshot_at(config, ledger, snap.month_end, "backfill")
        assert list(snap.kpis) == [k.key for k in KPIS] == list(single.kpis)
        assert all(_same(snap.kpis[k], single.kpis[k]) for k in snap.kpis), snap.month_end
        nan_cells += sum(math.isnan(v) for v in snap.kpis.values())
        assert snap.aging == single.aging
        assert list(snap.aging) == ["Current", "1–30", "31–60", "61–90", "91–120", "120+"]
        assert snap.control_totals == single.control_totals
        assert snap.input_checksums == single.input_checksums
        assert (snap.client, snap.run_id) == (single.client, single.run_id) == ("voltline", "backfill")
    assert nan_cells > 0  # the first months lack 12 months of history: NaN positions are compared too
    assert math.isnan(filled[0].kpis["ar_turnover"]) and not math.isnan(filled[-1].kpis["ar_turnover"])


def test_snapshot_holds_kpis_aging_totals_and_checksums(voltline):
    config, ledger = voltline
    snap = snapshot_at(config, ledger, T("2026-10-31"), "run-1")
    assert snap.kpis["dso"] == 59.260178  # rounded to STORE_DECIMALS (6)
    assert math.isclose(sum(snap.aging.values()), snap.kpis["ar_total"], abs_tol=1e-3)
    assert snap.control_totals[0] == {"file": "invoices.csv", "rows_read": 24024, "rows_accepted": 23931,
                                      "rows_rejected": 93, "amount_read": 78133452.17,
                                      "amount_accepted": 77925704.18, "amount_rejected": 207747.99000000002,
                                      "amounts_unreadable": 9}  # kept since store version 3
    expected = {name: hashlib.sha256((LEDGER / name).read_bytes()).hexdigest()
                for name in ("invoices.csv", "payments.csv", "customers.csv")}
    assert dict(snap.input_checksums) == expected


def test_months_outside_the_data_are_refused(voltline):
    config, ledger = voltline
    with pytest.raises(MonthError, match="data ends on 2026-10-31, before month 2026-11"):
        snapshot_at(config, ledger, T("2026-11-30"), "x")
    with pytest.raises(MonthError, match="ends before .* first invoice"):
        snapshot_at(config, ledger, T("2024-06-30"), "x")
    with pytest.raises(MonthError, match="first month is after the last"):
        backfill_snapshots(config, ledger, "2026-10", "2026-09", "x")
    with pytest.raises(MonthError, match="not a month-end"):
        snapshot_at(config, ledger, T("2026-10-15"), "x")


def test_open_items_only_in_their_own_month():
    config, ledger = load(OPEN_ITEMS)
    snap = snapshot_at(config, ledger, T("2026-10-31"), "x")
    assert snap.kpis["ar_total"] == 214207.47 and math.isnan(snap.kpis["dso"])
    for month in ("2026-09", "2026-11"):
        with pytest.raises(MonthError, match=f"open-items export taken on 2026-10-31.*not {month}"):
            snapshot_at(config, ledger, month_end(month), "x")


# --- goal status ------------------------------------------------------------------------

AS_OF = T("2026-01-31")
DSO = Goal(key="dso", label="DSO (period)", unit="days", higher_is_better=False, baseline=60.0, target=48.0,
           deadline=T("2027-01-31"), owner="Head of credit control", source="test")
# 12 month-ends Feb 2026 … Jan 2027, one day a month: planned 57 at 2026-04-30; tolerance 25% × 12 = 3
CEI = Goal(key="cei", label="CEI", unit="%", higher_is_better=True, baseline=70.0, target=82.0,
           deadline=T("2027-01-31"), owner="Collections team lead", source="test")


def history(**values: float) -> pd.Series:
    """A KPI history from keyword month-ends, e.g. history(m2026_04=57)."""
    return pd.Series({T(k[1:].replace("_", "-")) + pd.offsets.MonthEnd(0): v for k, v in values.items()}, dtype=float)


@pytest.mark.parametrize("goal, values, month, status", [
    # on track: at least as good as the plan (57 at 2026-04-30)
    (DSO, dict(m2026_04=57.0), "2026-04-30", "on track"),
    (DSO, dict(m2026_04=56.0), "2026-04-30", "on track"),
    # behind by up to the tolerance (3 days): at risk; just more: off track
    (DSO, dict(m2026_04=57.5), "2026-04-30", "at risk"),
    (DSO, dict(m2026_04=60.0), "2026-04-30", "at risk"),
    (DSO, dict(m2026_04=60.25), "2026-04-30", "off track"),
    # behind and worse two months in a row (57 → 57.25 → 57.5): off track, even within the tolerance
    (DSO, dict(m2026_02=57.0, m2026_03=57.25, m2026_04=57.5), "2026-04-30", "off track"),
    # worse only one month, or unchanged one month, or a month unknown: at risk
    (DSO, dict(m2026_02=58.0, m2026_03=57.25, m2026_04=57.5), "2026-04-30", "at risk"),
    (DSO, dict(m2026_02=57.0, m2026_03=57.5, m2026_04=57.5), "2026-04-30", "at risk"),
    (DSO, dict(m2026_03=57.25, m2026_04=57.5), "2026-04-30", "at risk"),
    # worse two months but still on the plan: on track
    (DSO, dict(m2026_02=55.0, m2026_03=56.0, m2026_04=57.0), "2026-04-30", "on track"),
    # at the assessment date the plan is the baseline
    (DSO, dict(m2026_01=60.0), "2026-01-31", "on track"),
    (DSO, dict(m2026_01=60.5), "2026-01-31", "at risk"),
    # at the deadline the plan is the target
    (DSO, dict(m2027_01=48.0), "2027-01-31", "on track"),
    (DSO, dict(m2027_01=51.0), "2027-01-31", "at risk"),
    (DSO, dict(m2027_01=51.25), "2027-01-31", "off track"),
    # outside the path, or nothing known
    (DSO, dict(m2025_12=50.0), "2025-12-31", "not started"),
    (DSO, dict(m2027_01=47.0, m2027_02=47.0), "2027-02-28", "deadline passed"),
    (DSO, dict(m2026_03=57.0), "2026-04-30", "no data"),
    (DSO, dict(m2026_04=float("nan")), "2026-04-30", "no data"),
    # higher is better: plan 73 at 2026-04-30, tolerance 3
    (CEI, dict(m2026_04=73.0), "2026-04-30", "on track"),
    (CEI, dict(m2026_04=70.0), "2026-04-30", "at risk"),
    (CEI, dict(m2026_04=69.75), "2026-04-30", "off track"),
])
def test_goal_status_at_its_boundaries(goal, values, month, status):
    got = goal_status(goal, history(**values), T(month), as_of=AS_OF)
    assert got.status == status, got.reason


def test_goal_status_numbers_and_reasons():
    got = goal_status(DSO, history(m2026_04=60.0), T("2026-04-30"), as_of=AS_OF)
    assert (got.actual, got.planned, got.gap, got.tolerance) == (60.0, 57.0, 3.0, 3.0)
    assert got.reason == "60.0 days, behind the plan's 57.0 days by 3.0 days, within the tolerance 3.0 days"
    reached = goal_status(DSO, history(m2027_01=47.0), T("2027-02-28"), as_of=AS_OF)
    missed = goal_status(DSO, history(m2026_12=47.0, m2027_01=49.0), T("2027-03-31"), as_of=AS_OF)
    assert reached.reason.endswith("target 48.0 days reached") and "47.0 days at 2027-01-31" in reached.reason
    assert missed.reason.endswith("target 48.0 days missed") and "49.0 days at 2027-01-31" in missed.reason


def test_a_goal_to_hold_a_level_has_no_tolerance():
    hold = Goal("dso", "DSO (period)", "days", False, 60.0, 60.0, T("2027-01-31"), "x", "test")
    assert goal_status(hold, history(m2026_04=60.0), T("2026-04-30"), as_of=AS_OF).status == "on track"
    assert goal_status(hold, history(m2026_04=60.25), T("2026-04-30"), as_of=AS_OF).status == "off track"


# --- what moved on a hand-built ledger --------------------------------------------------

INVOICES = """invoice_id,customer_id,invoice_date,due_date,amount
I1,A,2025-11-01,2025-12-01,1000.00
I2,B,2026-01-15,2026-02-14,500.00
I3,C,2026-02-01,2026-03-03,2000.00
I4,C,2025-10-01,2025-10-31,300.00
I5,D,2026-03-01,2026-03-31,700.00
"""
PAYMENTS = """invoice_id,payment_date,amount
I2,2026-02-10,200.00
I2,2026-03-10,300.00
"""
CUSTOMERS = """customer_id,name,segment
A,Alpha GmbH,OEM
B,Beta AG,EMS
C,Gamma KG,OEM
D,Delta SE,Reseller
"""
# at 28 Feb 2026: I1 89 days past due (1,000), I2 14 days (300 after the first payment), I3 not due,
#                 I4 120 days (300), I5 not invoiced
# at 31 Mar 2026: I1 120 days, I2 paid, I3 28 days (2,000), I4 151 days, I5 due that day (current)


@pytest.fixture()
def small(tmp_path, make_client):
    return make_client(tmp_path / "small", INVOICES, PAYMENTS, CUSTOMERS, {"as_of": "2026-03-31"})


def test_overdue_changes_by_customer(small):
    _, ledger = load(small)
    moved = overdue_changes(ledger, T("2026-02-28"), T("2026-03-31"))
    assert moved[["customer_id", "customer_name", "overdue_before", "overdue_now", "change"]].values.tolist() == [
        ["C", "Gamma KG", 300.0, 2300.0, 2000.0],   # I3 fell due
        ["B", "Beta AG", 300.0, 0.0, -300.0],       # I2's rest paid
    ]  # A (1,000 both months) and D (not yet due) did not move
    assert overdue_changes(ledger, T("2026-02-28"), T("2026-03-31"), n=1)["customer_id"].tolist() == ["C"]


def test_new_over_90_accounts(small):
    _, ledger = load(small)
    found = new_over_90(open_invoices(ledger, T("2026-02-28")), open_invoices(ledger, T("2026-03-31")))
    # A: I1 went from 89 to 120 days; C was already over 90 (I4) so it is not new
    assert found.to_dict(orient="records") == [{"customer_id": "A", "customer_name": "Alpha GmbH", "segment": "OEM",
                                                "over_90": 1000.0, "invoices": 1, "oldest_days_past_due": 120}]


def test_reached_handoff_in_the_month(small):
    _, ledger = load(small)
    now = open_invoices(ledger, T("2026-03-31"))
    got = reached_handoff(now, T("2026-02-28"), T("2026-03-31"), 120)
    # I1: due 1 Dec + 120 = 31 Mar (in the month); I4: due 31 Oct + 120 = 28 Feb (last month, not counted)
    assert got[["invoice_id", "handoff_date", "open_amount", "days_past_due"]].values.tolist() == [
        ["I1", T("2026-03-31"), 1000.0, 120]]
    # I4: 31 Oct + 150 = 30 Mar
    assert reached_handoff(now, T("2026-02-28"), T("2026-03-31"), 150)["invoice_id"].tolist() == ["I4"]
    assert reached_handoff(now, T("2026-02-28"), T("2026-03-31"), None).empty  # in-house: no hand-off


# --- actions due or late ----------------------------------------------------------------

def test_actions_due_or_late():
    plan = pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"], "title": ["A", "B", "C", "D", "E"], "owner": ["o"] * 5,
        "start": pd.to_datetime(["2026-02-01"] * 5),
        "due": pd.to_datetime(["2026-03-01", "2026-02-28", "2026-02-15", "2026-03-31", "2026-04-01"]),
    })
    got = actions_due(plan, "2026-03-31")
    assert got[["id", "status", "days_late"]].values.tolist() == [
        ["c", "late", 44],            # due 15 Feb
        ["b", "late", 31],            # due on the previous month-end: late
        ["a", "due this month", 0],   # due 1 Mar
        ["d", "due this month", 0],   # due on the month-end itself
    ]                                 # e (due 1 Apr) is not due yet
    assert actions_due(plan, "2026-01-31").empty


# --- review -----------------------------------------------------------------------------

def test_review_records_the_month_once(small, tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite")
    first = review(small, "2026-03", store, run_id="first")
    second = review(small, "2026-03", store, run_id="second")
    assert store.months("small") == [T("2026-03-31")]  # twice → one snapshot
    assert store.kpis("small").shape[0] == 1 and store.snapshot("small", T("2026-03-31")).run_id == "second"
    assert store.kpis("small").iloc[0].to_dict() == pytest.approx(dict(second.snapshot.kpis), nan_ok=True)
    assert first.snapshot.kpis == second.snapshot.kpis or all(
        _same(first.snapshot.kpis[k], second.snapshot.kpis[k]) for k in first.snapshot.kpis)
    # last month was not in the store: computed from the ledger and named as such, not stored
    assert T("2026-02-28") in second.filled and T("2026-02-28") not in store.months("small")
    card = second.scorecard.set_index("key")
    assert card.at["ar_total", "value"] == 4000.0 and card.at["ar_total", "last_month"] == 3600.0
    assert card.at["ar_overdue", "trend"] == "worse"  # 1,600 → 3,300
    assert second.movers["customer_id"].tolist() == ["C", "B"]
    json.dumps(summary(second))  # JSON-ready


def test_review_without_a_store_writes_nothing(small, tmp_path):
    got = review(small, "2026-03", None, record=False)
    assert not got.recorded and got.snapshot.kpis["ar_total"] == 4000.0
    assert not list(tmp_path.glob("**/*.sqlite"))
    with pytest.raises(ValueError, match="needs a history store"):
        review(small, "2026-03", None)


def test_a_goal_whose_deadline_passed_is_shown_not_fatal(small, tmp_path, make_client):
    goals = {"pct_over_90": {"target": 10, "deadline": "2026-02-28"}, "on_time_rate": {"target": 60}}
    client = make_client(tmp_path / "late", INVOICES, PAYMENTS, CUSTOMERS, {"as_of": "2026-03-31", "goals": goals})
    got = review(client, "2026-03", None, record=False)
    statuses = {s.key: s for s in got.statuses}
    # a goal without a default keeps the default deadline (12 months on) and is tracked as usual
    assert statuses["on_time_rate"].deadline == T("2027-03-31") and statuses["on_time_rate"].status == "on track"
    status = statuses["pct_over_90"]
    # at 28 Feb: over 90 days = I4 (300) of AR 3,600 = 8.3% ≤ 10%
    assert status.status == "deadline passed"
    assert status.reason == "deadline 2026-02-28 passed: 8.3% at 2026-02-28, target 10.0% reached"
    assert any("not after the assessment date 2026-03-31" in n for n in got.goal_notes)
    from arassess.monthly.sections import SECTIONS, section

    shown = [item for name in SECTIONS for item in section(got, name)]  # every section, charts included
    tables = [item.data for item in shown if hasattr(item, "hide")]  # Stylers
    goals_table = next(t for t in tables if "Status" in t.columns and "Why" in t.columns)
    assert goals_table.set_index("KPI").at["% of AR over 90 days past due", "Status"] == "deadline passed"


def test_review_of_an_open_items_client(tmp_path):
    store = HistoryStore(tmp_path / "history.sqlite")
    got = review(OPEN_ITEMS, "2026-10", store)
    assert got.date == T("2026-10-31") and got.movers is None and got.rolls is None
    assert got.snapshot.kpis["ar_total"] == 214207.47 and math.isnan(got.snapshot.kpis["dso"])
    assert [s.key for s in got.statuses] == ["pct_over_90"] and got.statuses[0].status == "on track"
    assert got.handoff_day is None and got.handoff.empty  # kept in-house: no claim reaches a hand-off
    with pytest.raises(MonthError, match="only month 2026-10 can be reviewed"):
        review(OPEN_ITEMS, "2026-09", store)
    assert store.months("northwind_open_items") == [T("2026-10-31")]


def test_review_of_the_sample_at_its_assessment_month(voltline, tmp_path):
    config, ledger = voltline
    store = HistoryStore(tmp_path / "history.sqlite")
    store.write_many(backfill_snapshots(config, ledger, "2025-11", "2026-09", "backfill"))
    got = review(LEDGER, "2026-10", store, run_id="r")
    assert got.filled == () and len(got.history) == 12
    assert [(s.key, s.status) for s in got.statuses] == [("dso", "on track"), ("pct_over_90", "on track"),
                                                         ("cei", "on track")]  # the baseline month is the plan
    card = got.scorecard.set_index("key")
    assert card.at["dso", "last_month"] == store.kpis("voltline").at[T("2026-09-30"), "dso"]
    assert got.handoff_day is None and got.actions.empty  # in-house (its own curve); the plan starts 1 Nov
    assert got.rolls.index[-1] == T("2026-10-31") and len(got.rolls) == 6
    assert got.handoff.empty
    assert np.isclose(got.movers["change"].abs().iloc[0], 70722.69)


def test_last_months_forecast_is_kept_and_checked_against_what_came_in(voltline, tmp_path):
    """September's review keeps its 13-week forecast in the store; October's compares the 4 weeks
    that have ended with the cash the invoices open on 30 September actually paid (summed here from
    the payments file directly), and states the running accuracy."""
    from arassess.monthly.sections import items, summary

    config, ledger = voltline
    store = HistoryStore(tmp_path / "history.sqlite")
    september = review(LEDGER, "2026-09", store, run_id="sep")
    kept = store.snapshot("voltline", T("2026-09-30")).forecast
    assert [w["week"] for w in kept] == list(range(1, 14)) and kept[0]["start"] == "2026-10-01"
    assert kept[0]["expected"] == pytest.approx(september.forecast.weeks["expected"].iloc[0])
    october = review(LEDGER, "2026-10", store, run_id="oct")
    check = october.forecast_check
    assert check["week"].tolist() == [1, 2, 3, 4] and (check["month_end"] == T("2026-09-30")).all()
    assert check["forecast"].tolist() == pytest.approx([w["expected"] for w in kept[:4]])
    inv, pay = ledger.invoices, ledger.payments
    open_then = inv[(inv["invoice_date"] <= T("2026-09-30")) & ~(inv["paid_date"] <= T("2026-09-30"))
                    & ~(inv["written_off_date"] <= T("2026-09-30")) & (inv["amount"] > 0)]
    paid = pay[pay["invoice_id"].isin(open_then["invoice_id"])]
    for week in check.itertuples():
        in_week = paid[(paid["payment_date"] >= week.start) & (paid["payment_date"] <= week.end)]
        assert week.actual == pytest.approx(in_week["amount"].sum(), abs=0.01), week
    shown = items(october, "cash")
    text = " ".join(i.text for i in shown if hasattr(i, "text"))
    assert "The forecast made at 30 September 2026" in text and "Running accuracy: over 4 forecast week(s)" in text
    assert summary(october)["forecast_check"][0]["week"] == 1
    first = items(september, "cash")[0].text
    assert first.startswith("No forecast was recorded at 31 August 2026")


def test_outputs_without_chromium_and_never_overwritten(small, tmp_path, monkeypatch):
    from arassess.errors import ReportError
    from arassess.monthly import sections
    from arassess.monthly.sections import write_outputs

    def no_chromium(html, pdf):
        raise ReportError("PDF needs Chromium at /nowhere")

    monkeypatch.setattr(sections, "write_pdf", no_chromium)
    got = review(small, "2026-03", None, record=False)
    out = tmp_path / "out"
    out.mkdir()
    written = write_outputs(got, out)
    assert written["pdf"] is None and written["pdf_note"] == "No PDF: PDF needs Chromium at /nowhere"
    assert {"monthly_report.html", "monthly_summary.json", "plan_summary.json", "worklist.xlsx"} <= {
        p.name for p in out.iterdir()}
    assert not (out / "monthly_report.pdf").exists()
    html = (out / "monthly_report.html").read_text(encoding="utf-8")
    assert "Gamma KG" in html and "March 2026" in html
    assert json.loads((out / "monthly_summary.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(summary(got), default=str))
    with pytest.raises(FileExistsError):
        write_outputs(got, out)


@pytest.mark.parametrize("goal", [{"target": 50}, {"target": 50, "deadline": "2026-02-28"}])
def test_other_goal_problems_still_stop_the_review(tmp_path, make_client, goal):
    from arassess.errors import ConfigError

    client = make_client(tmp_path / "bad", INVOICES, PAYMENTS, CUSTOMERS,
                         {"as_of": "2026-03-31", "goals": {"pct_over_90": goal}})
    with pytest.raises(ConfigError, match="worse than the baseline 32.5"):  # over 90: 1,300 of 4,000
        review(client, "2026-03", None, record=False)


def test_the_review_leads_with_a_card_per_goal_its_status_in_words(voltline, tmp_path):
    import dataclasses

    from arassess.monthly.sections import headline, headline_cards

    got = review(LEDGER, "2026-10", HistoryStore(tmp_path / "history.sqlite"), run_id="r")
    cards = headline_cards(got)
    assert [(c.key, c.figure, c.status_text) for c in cards] == [
        ("dso", "59.3 days", "✔ on track"), ("pct_over_90", "7.0%", "✔ on track"), ("cei", "83.3%", "✔ on track")]
    assert cards[0].note == "goal 52.3 days by 31 October 2027; planned now 59.3 days"
    behind = dataclasses.replace(got.statuses[0], status="off track", actual=float("nan"))
    late = headline_cards(dataclasses.replace(got, statuses=(behind, got.statuses[1])))
    assert (late[0].figure, late[0].status, late[0].status_text) == ("n/a", "bad", "✖ off track")
    assert 'data-kpi="cei">83.3%<' in headline(got).data
    assert headline(dataclasses.replace(got, statuses=())).data == ""  # no goals: no empty row of cards
