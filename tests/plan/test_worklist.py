"""Escalation ladder and worklist: hand-computed stages and dates, configuration, priority,
the customer roll-up, formula neutralisation and the Excel file."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arassess.config.escalation import HANDOFF, default_ladder, handoff_day_of, ladder_from_config, parse_escalation
from arassess.errors import ConfigError, InputError
from arassess.plan.worklist import (
    DISPUTE_LABEL,
    RULE_AGE_WEIGHT,
    RULE_EXPECTED_LOSS,
    age_weight,
    build_worklist,
    customer_worklist,
    loss_rate,
    neutralise,
    write_worklist_xlsx,
)

AS_OF = pd.Timestamp("2026-10-31")


def positions(rows: list[dict]) -> pd.DataFrame:
    """A positions table like arassess.kpi.open_items.open_invoices; each row gives at least
    invoice_id and days_past_due (due date = AS_OF − days past due)."""
    out = []
    for r in rows:
        dpd = r["days_past_due"]
        due = AS_OF - pd.Timedelta(days=dpd)
        out.append({"invoice_id": r["invoice_id"], "customer_id": r.get("customer_id", "C1"),
                    "customer_name": r.get("customer_name", "Customer One"), "segment": "Trade",
                    "invoice_date": due - pd.Timedelta(days=30), "due_date": due,
                    "amount": r.get("open_amount", 100.0), "open_amount": r.get("open_amount", 100.0),
                    "days_past_due": dpd, "bucket": "x", "disputed": r.get("disputed", False)})
    return pd.DataFrame(out)


def offsets(ladder) -> list[tuple[str, int]]:
    return [(s.key, s.offset_days) for s in ladder]


# --- the ladder ----------------------------------------------------------------------------------

def test_in_house_ladder_has_no_handoff_and_the_final_notice_at_45():
    assert offsets(default_ladder(None)) == [("pre_due_reminder", -5), ("due_reminder", 0), ("friendly_reminder", 7),
                                             ("firm_reminder", 15), ("demand_letter", 30), ("final_notice", 45)]
    assert all(s.key != HANDOFF for s in default_ladder(None))


@pytest.mark.parametrize("d, expected", [
    (120, [-5, 0, 7, 15, 30, 106, 120]),     # final notice D − 14
    (60, [-5, 0, 7, 15, 30, 46, 60]),
    (45, [-5, 0, 7, 15, 31, 45]),            # demand letter 30 > 31 − 7: dropped
    (30, [-5, 0, 7, 16, 30]),                # firm reminder 15 > 16 − 7: dropped
    (0, [-5, 0, 7, 16, 30]),                 # "place everything": still not before day 30
    (90.2, [-5, 0, 7, 15, 30, 77, 91]),      # rounded up to whole days
], ids=["d120", "d60", "d45", "d30", "d0", "fractional"])
def test_default_ladder_with_a_handoff(d, expected):
    ladder = default_ladder(d)
    assert [s.offset_days for s in ladder] == expected
    assert ladder[-1].key == HANDOFF and ladder[-2].key == "final_notice"
    assert {s.key: s.letter for s in ladder if s.letter} == {
        k: k for k in ("friendly_reminder", "firm_reminder", "demand_letter", "final_notice")
        if k in {s.key for s in ladder}}


def test_handoff_day_of_the_cost_case():
    days = {"in_house": float("inf"), "agency": 30.0, "hybrid": 120.0}
    assert handoff_day_of(SimpleNamespace(strategy="in_house", days=days)) is None
    assert handoff_day_of(SimpleNamespace(strategy="hybrid", days=days)) == 120.0
    # agency: every overdue claim is placed from the minimum placement age
    assert handoff_day_of(SimpleNamespace(strategy="agency", days={**days, "agency": 45.0})) == 45.0


@pytest.mark.parametrize("bad", [float("nan"), -1])
def test_handoff_day_must_be_a_day(bad):
    with pytest.raises(ValueError, match="handoff_day"):
        default_ladder(bad)


@pytest.mark.parametrize("raw, d, expected", [
    ({"steps": {"firm_reminder": 20, "final_notice": 60}}, 90, [-5, 0, 7, 20, 30, 60, 90]),
    ({"steps": {"firm_reminder": 20, "final_notice": 60}}, None, [-5, 0, 7, 20, 30, 60]),
    ({"steps": {"pre_due_reminder": None, "demand_letter": None}}, None, [0, 7, 15, 45]),
    ({"notice_days": 21}, 90, [-5, 0, 7, 15, 30, 69, 90]),
    ({"steps": {"pre_due_reminder": -10}}, None, [-10, 0, 7, 15, 30, 45]),
    ({"steps": {"firm_reminder": 10, "demand_letter": 12}}, 30, [-5, 0, 7, 10, 12, 16, 30]),  # set: kept
    (None, 60, [-5, 0, 7, 15, 30, 46, 60]),
], ids=["override_with_handoff", "override_in_house", "drop_steps", "notice_days", "earlier_pre_due",
        "explicit_steps_kept", "none"])
def test_ladder_from_config(raw, d, expected):
    assert [s.offset_days for s in ladder_from_config(raw, d)] == expected


BAD_ESCALATION = [
    ("text_offset", {"steps": {"firm_reminder": "x"}}, 60,
     "client.yaml: 'escalation.steps.firm_reminder' must be a whole number of days, got 'x'."),
    ("fraction", {"steps": {"firm_reminder": 7.5}}, 60,
     "'escalation.steps.firm_reminder' must be a whole number of days, got 7.5"),
    ("boolean", {"steps": {"demand_letter": True}}, 60,
     "'escalation.steps.demand_letter' must be a whole number of days, got True"),
    ("not_increasing", {"steps": {"firm_reminder": 5}}, 60,
     "'escalation.steps.firm_reminder': 'firm_reminder' (5) must come later than 'friendly_reminder' (7)"),
    ("equal", {"steps": {"demand_letter": 15}}, None,
     "'escalation.steps.demand_letter': 'demand_letter' (15) must come later than 'firm_reminder' (15)"),
    ("final_at_handoff", {"steps": {"final_notice": 90}}, 90,
     "'escalation.steps.final_notice' (90) must be before the agency hand-off at 90 days past due"),
    ("final_after_handoff", {"steps": {"final_notice": 100}}, 90,
     "'escalation.steps.final_notice' (100) must be before the agency hand-off at 90 days past due"),
    ("letter_after_final", {"steps": {"demand_letter": 25}}, 30,
     "'escalation.steps.demand_letter': 'final_notice' (16) must come later than 'demand_letter' (25)"),
    ("final_dropped", {"steps": {"final_notice": None}}, 90, "'escalation.steps.final_notice' cannot be dropped"),
    ("handoff_key", {"steps": {"agency_handoff": 60}}, 90, "the hand-off day is the cost case's D"),
    ("unknown_step", {"steps": {"phone_call": 20}}, 90, "'escalation.steps.phone_call' is not a ladder step"),
    ("unknown_key", {"stpes": {}}, 90, "unknown key(s) ['stpes'] at 'escalation'"),
    ("pre_due_positive", {"steps": {"pre_due_reminder": 0}}, None,
     "'escalation.steps.pre_due_reminder' must be negative (days before the due date), got 0"),
    ("letter_before_due", {"steps": {"due_reminder": None, "friendly_reminder": 0}}, None,
     "'escalation.steps.friendly_reminder' must be at least 1 day past due"),
    ("notice_zero", {"notice_days": 0}, 90, "'escalation.notice_days' must be at least 1 day, got 0"),
    ("notice_too_long", {"notice_days": 40}, 30,
     "'escalation.notice_days': 'final_notice' (-10) must come later than 'due_reminder' (0)"),
    ("steps_not_mapping", {"steps": [7, 15]}, None, "'escalation.steps' must be a mapping of step to days"),
    ("everything_dropped", {"steps": {k: None for k in ("pre_due_reminder", "due_reminder", "friendly_reminder",
                                                        "firm_reminder", "demand_letter", "final_notice")}},
     None, "'escalation.steps' drops every step"),
    ("letters_unknown", {"letters": {"fax": "1"}}, None, "unknown key(s) ['fax'] at 'escalation.letters'"),
    ("letters_not_text", {"letters": {"email": ["a", "b"]}}, None, "'escalation.letters.email' must be a text"),
    ("too_far", {"steps": {"final_notice": 5000}}, None, "must be between -3650 and 3650 days"),
    ("not_a_mapping", [1, 2], None, "'escalation' must be a mapping"),
]


@pytest.mark.parametrize("raw, d, expected", [c[1:] for c in BAD_ESCALATION], ids=[c[0] for c in BAD_ESCALATION])
def test_bad_escalation_is_a_clear_error(raw, d, expected):
    with pytest.raises(ConfigError) as err:
        ladder_from_config(raw, d)
    assert expected in str(err.value)


def test_parse_escalation_keeps_letter_details():
    settings = parse_escalation({"letters": {"email": "ar@x.example", "phone": 4930123}, "notice_days": 10})
    assert dict(settings.letters) == {"email": "ar@x.example", "phone": "4930123"}
    assert settings.notice_days == 10


# --- stage and next step ---------------------------------------------------------------------------

# D = 60: ladder −5, 0, 7, 15, 30, 46, 60. AS_OF 2026-10-31; due date = AS_OF − days past due.
BOUNDARIES = [
    # days past due, due date, stage, stage date, next step, next date
    (-5, "2026-11-05", "pre_due_reminder", "2026-10-31", "due_reminder", "2026-11-05"),
    (0, "2026-10-31", "due_reminder", "2026-10-31", "friendly_reminder", "2026-11-07"),
    (6, "2026-10-25", "due_reminder", "2026-10-25", "friendly_reminder", "2026-11-01"),
    (7, "2026-10-24", "friendly_reminder", "2026-10-31", "firm_reminder", "2026-11-08"),
    (14, "2026-10-17", "friendly_reminder", "2026-10-24", "firm_reminder", "2026-11-01"),
    (15, "2026-10-16", "firm_reminder", "2026-10-31", "demand_letter", "2026-11-15"),
    (30, "2026-10-01", "demand_letter", "2026-10-31", "final_notice", "2026-11-16"),
    (59, "2026-09-02", "final_notice", "2026-10-18", "agency_handoff", "2026-11-01"),
    (60, "2026-09-01", "agency_handoff", "2026-10-31", None, None),
    (61, "2026-08-31", "agency_handoff", "2026-10-30", None, None),
]


def test_stage_and_next_date_at_the_boundary_ages():
    p = positions([{"invoice_id": f"I{dpd:+04d}", "days_past_due": dpd} for dpd, *_ in BOUNDARIES]
                  + [{"invoice_id": "I-006", "days_past_due": -6}])          # not on the ladder yet
    w = build_worklist(p, AS_OF, default_ladder(60)).set_index("invoice_id")
    assert len(w) == len(BOUNDARIES) and "I-006" not in w.index
    for dpd, due, stage, stage_date, nxt, next_date in BOUNDARIES:
        row = w.loc[f"I{dpd:+04d}"]
        got = (f"{row.due_date:%Y-%m-%d}", row.stage_key, f"{row.stage_date:%Y-%m-%d}",
               None if pd.isna(row.next_key) else row.next_key,
               None if pd.isna(row.next_date) else f"{row.next_date:%Y-%m-%d}")
        assert got == (due, stage, stage_date, nxt, next_date), dpd
    assert w.loc["I+007", "stage"] == "Friendly reminder" and w.loc["I+007", "next_step"] == "Firm reminder"
    assert w.loc["I+007", "letter"] == "friendly_reminder" and pd.isna(w.loc["I+000", "letter"])


def test_in_house_stops_at_the_final_notice():
    p = positions([{"invoice_id": "A", "days_past_due": 45}, {"invoice_id": "B", "days_past_due": 400},
                   {"invoice_id": "C", "days_past_due": 44}])
    w = build_worklist(p, AS_OF, default_ladder(None)).set_index("invoice_id")
    assert list(w.loc[["A", "B", "C"], "stage_key"]) == ["final_notice", "final_notice", "demand_letter"]
    assert w.loc["A", "stage_date"] == AS_OF
    assert w.loc["B", "stage_date"] == pd.Timestamp("2025-11-10")          # due 2025-09-26 + 45
    assert pd.isna(w.loc["A", "next_key"]) and pd.isna(w.loc["B", "next_date"])
    assert w.loc["C", "next_key"] == "final_notice" and w.loc["C", "next_date"] == pd.Timestamp("2026-11-01")


def test_disputed_invoices_are_resolved_first_and_get_no_letter():
    p = positions([{"invoice_id": "D", "days_past_due": 30, "disputed": True, "open_amount": 200.0},
                   {"invoice_id": "E", "days_past_due": 30}])
    w = build_worklist(p, AS_OF, default_ladder(60)).set_index("invoice_id")
    d = w.loc["D"]
    assert (d.stage, d.stage_key, d.stage_order) == (DISPUTE_LABEL, "dispute", -1) == \
        ("Dispute — resolve first", "dispute", -1)
    assert pd.isna(d.stage_date) and pd.isna(d.next_step) and pd.isna(d.next_date) and pd.isna(d.letter)
    assert d.priority == 200.0 * 2.0                         # still ranked: 30 days → weight 2
    assert w.loc["E", "letter"] == "demand_letter"


def test_credit_notes_and_closed_items_are_not_worklist_rows():
    p = positions([{"invoice_id": "CN", "days_past_due": 40, "open_amount": -50.0},
                   {"invoice_id": "Z", "days_past_due": 40, "open_amount": 0.0},
                   {"invoice_id": "OK", "days_past_due": 40, "open_amount": 0.01}])
    assert build_worklist(p, AS_OF, default_ladder(None))["invoice_id"].tolist() == ["OK"]


def test_empty_positions_give_an_empty_worklist():
    w = build_worklist(positions([]).reindex(columns=["invoice_id", "customer_id", "customer_name", "due_date",
                                                      "open_amount", "days_past_due", "disputed"]),
                       AS_OF, default_ladder(60))
    assert len(w) == 0 and "priority" in w
    assert len(customer_worklist(w)) == 0


# --- priority ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("days, weight", [(-5, 1.0), (0, 1.0), (15, 1.5), (30, 2.0), (90, 4.0), (180, 7.0),
                                          (365, 7.0)])
def test_age_weight(days, weight):
    assert age_weight(np.array([days]))[0] == weight


def test_priority_order_on_a_hand_checked_example():
    p = positions([
        {"invoice_id": "A", "customer_id": "CA", "open_amount": 1000.0, "days_past_due": 90},   # 1000 × 4   = 4000
        {"invoice_id": "B", "customer_id": "CB", "open_amount": 3000.0, "days_past_due": 0},    # 3000 × 1   = 3000
        {"invoice_id": "C", "customer_id": "CC", "open_amount": 500.0, "days_past_due": 365},   # 500 × 7    = 3500
        {"invoice_id": "D", "customer_id": "CD", "open_amount": 2000.0, "days_past_due": 15},   # 2000 × 1.5 = 3000
    ])
    w = build_worklist(p, AS_OF, default_ladder(None))
    assert w["invoice_id"].tolist() == ["A", "C", "D", "B"]          # tie D/B: the older first
    assert w["priority"].tolist() == [4000.0, 3500.0, 3000.0, 3000.0]
    assert w.attrs["priority_rule"] == RULE_AGE_WEIGHT
    assert w["expected_loss"].isna().all() and w["late_probability"].isna().all()


@pytest.mark.parametrize("days, recovered", [(-5, 0.94 - 0.22 / 3), (0, 0.94 - 0.22 / 3), (30, 0.94 - 0.22 / 3),
                                             (60, 0.94 - 0.22 * 60 / 90), (90, 0.72), (180, 0.50), (365, 0.27),
                                             (1000, 0.10)])
def test_loss_rate_on_the_survey_curve(days, recovered):
    # survey curve (0, .94) (90, .72) (180, .50) (365, .27) (730, .10), flat beyond; ages below 30 count as 30
    assert loss_rate(np.array([days]), 30)[0] == pytest.approx(1 - recovered)


def test_expected_loss_orders_the_worklist_on_a_hand_checked_example():
    p = positions([
        {"invoice_id": "A", "customer_id": "CA", "open_amount": 1000.0, "days_past_due": 90},
        {"invoice_id": "B", "customer_id": "CB", "open_amount": 3000.0, "days_past_due": 0},
        {"invoice_id": "C", "customer_id": "CC", "open_amount": 500.0, "days_past_due": 365},
        {"invoice_id": "D", "customer_id": "CD", "open_amount": 2000.0, "days_past_due": 15},
    ])
    probability = pd.Series({"A": 0.5, "B": 0.9, "D": 0.2, "ZZ": 0.7})   # C not scored: counts as 1
    w = build_worklist(p, AS_OF, default_ladder(None), probability, threshold_days=30)
    # A: 1000 × 0.5 × (1 − .72)  = 140        (90 days: 72% recoverable)
    # B: 3000 × 0.9 × (1 − .8667) = 360       (not due: valued at 30 days, 86.67% recoverable)
    # C:  500 × 1.0 × (1 − .27)  = 365        (365 days: 27% recoverable)
    # D: 2000 × 0.2 × (1 − .8667) = 53.33
    assert w["invoice_id"].tolist() == ["C", "B", "A", "D"]             # age weight alone gave A, C, D, B
    assert w["expected_loss"].tolist() == pytest.approx([365.0, 360.0, 140.0, 53.33], abs=0.006)
    assert (w["priority"] == w["expected_loss"]).all()
    assert w.set_index("invoice_id")["late_probability"].to_dict() == {"C": 1.0, "B": 0.9, "A": 0.5, "D": 0.2}
    assert w.attrs["priority_rule"] == RULE_EXPECTED_LOSS
    # a steeper recovery curve makes age matter more: B's 3000 not yet due drops below A
    steep = build_worklist(p, AS_OF, default_ladder(None), probability,
                           recovery_curve=((0, 0.99), (30, 0.98), (90, 0.40), (365, 0.0)))
    assert steep["invoice_id"].tolist() == ["C", "A", "B", "D"]         # 500, 300, 54, 8
    customers = customer_worklist(w, pd.DataFrame({"customer_id": ["CB", "CC"], "score": [0.9, 1.0],
                                                   "band": ["high", "high"]}))
    assert customers["customer_id"].tolist() == ["CC", "CB", "CA", "CD"]
    assert customers.set_index("customer_id")["risk_band"].fillna("").to_dict() == {
        "CC": "high", "CB": "high", "CA": "", "CD": ""}
    assert customers["expected_loss"].tolist() == pytest.approx([365.0, 360.0, 140.0, 53.33], abs=0.006)


def test_positions_of_another_date_are_an_error():
    p = positions([{"invoice_id": "A", "days_past_due": 9}])
    with pytest.raises(InputError, match="the positions table is not at 2026-11-01"):
        build_worklist(p, AS_OF + pd.Timedelta(days=1), default_ladder(None))


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_a_probability_outside_0_1_is_an_error(bad):
    with pytest.raises(InputError, match=r"probabilities must lie in \[0, 1\]"):
        build_worklist(positions([{"invoice_id": "A", "days_past_due": 9}]), AS_OF, default_ladder(None),
                       pd.Series({"A": bad}))


# --- customer roll-up ----------------------------------------------------------------------------------

def test_customer_roll_up():
    p = positions([
        {"invoice_id": "X1", "customer_id": "X", "open_amount": 1000.0, "days_past_due": 40},            # demand
        {"invoice_id": "X2", "customer_id": "X", "open_amount": 500.0, "days_past_due": 10},             # friendly
        {"invoice_id": "X3", "customer_id": "X", "open_amount": 300.0, "days_past_due": 50, "disputed": True},
        {"invoice_id": "X4", "customer_id": "X", "open_amount": 200.0, "days_past_due": -2},             # pre-due
        {"invoice_id": "Y1", "customer_id": "Y", "customer_name": "Why", "open_amount": 80.0, "days_past_due": 5,
         "disputed": True},
    ])
    c = customer_worklist(build_worklist(p, AS_OF, default_ladder(60))).set_index("customer_id")
    x = c.loc["X"]
    assert (x.invoices, x.open_amount, x.overdue_amount, x.disputed_amount, x.oldest_days_past_due) == \
        (4, 2000.0, 1800.0, 300.0, 50)
    assert (x.stage_key, x.letter, x.next_key) == ("demand_letter", "demand_letter", "final_notice")
    assert x.next_date == pd.Timestamp("2026-11-06")                  # due 2026-09-21 + 46
    # 1000 × (1 + 40/30) + 500 × (1 + 10/30) + 300 × (1 + 50/30) + 200 × 1
    assert x.priority == pytest.approx(1000 * 7 / 3 + 500 * 4 / 3 + 300 * 8 / 3 + 200, abs=0.02)
    y = c.loc["Y"]
    assert (y.stage, y.customer_name, y.invoices) == (DISPUTE_LABEL, "Why", 1) and pd.isna(y.letter)
    assert list(c.index) == ["X", "Y"]                                   # by priority


# --- property: stage brackets the age ----------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(days=st.lists(st.integers(-5, 800), min_size=1, max_size=30),
       d=st.one_of(st.none(), st.integers(0, 400)))
def test_stage_brackets_the_invoice_age(days, d):
    ladder = default_ladder(d)
    offs = {s.key: s.offset_days for s in ladder}
    p = positions([{"invoice_id": f"I{i}", "days_past_due": x} for i, x in enumerate(days)])
    w = build_worklist(p, AS_OF, ladder)
    assert len(w) == len(days)
    for row in w.itertuples():
        assert offs[row.stage_key] <= row.days_past_due
        assert row.stage_date <= AS_OF
        if pd.notna(row.next_key):
            assert row.days_past_due < offs[row.next_key] and row.next_date > AS_OF
        else:
            assert row.stage_key == ladder[-1].key


def test_voltline_worklist_rows(voltline):
    a = voltline
    w = build_worklist(a.positions, a.as_of, default_ladder(120))
    p = a.positions
    assert len(w) == int(((p["open_amount"] > 0) & (p["days_past_due"] >= -5)).sum())
    assert w["priority"].is_monotonic_decreasing
    assert (w.loc[w["disputed"], "stage"] == DISPUTE_LABEL).all()


@pytest.fixture(scope="module")
def voltline():
    from arassess.assessment.case import assess
    return assess("sample_data/voltline")


# --- neutralise and Excel ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"), ("\r=1", "'\r=1"), ("Müller GmbH", "Müller GmbH"), ("a=b", "a=b"), ("", ""),
    (-2, -2), (3.5, 3.5), (None, None),
], ids=["dde", "plus", "minus", "at", "tab", "cr", "plain", "inner_equals", "empty", "negative_number", "number",
        "none"])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


HOSTILE = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\t=2*3", "<script>alert(1)</script>"]


@pytest.fixture
def hostile_worklist():
    p = positions([{"invoice_id": f"=INV{i}" if i == 0 else f"INV{i}", "customer_id": f"C{i}", "customer_name": name,
                    "days_past_due": 10 * i + 1, "open_amount": 100.0 + i} for i, name in enumerate(HOSTILE)])
    return build_worklist(p, AS_OF, default_ladder(60))


def test_excel_has_the_sheets_header_filters_and_no_formula(tmp_path, hostile_worklist):
    w = hostile_worklist
    path = write_worklist_xlsx(w, tmp_path / "worklist.xlsx", ladder=default_ladder(60), currency="EUR")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Worklist", "Customers", "Ladder", "Notes"]
    notes = [[c.value for c in row] for row in book["Notes"].iter_rows(min_row=2)]
    assert notes == [["Priority", f"The list is ordered by {RULE_AGE_WEIGHT}."]]   # no risk columns, no notes on them
    ws = book["Worklist"]
    header = [c.value for c in ws[1]]
    assert header == ["Priority", "Customer ID", "Customer", "Invoice", "Invoice date", "Due date",
                      "Open amount (EUR)", "Days past due", "Disputed", "Stage today", "Stage date", "Next step",
                      "Next date"]                  # no probabilities: no empty risk columns
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2" and book["Customers"].freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:M{len(w) + 1}"
    assert ws.max_row == len(w) + 1 == 7
    assert book["Customers"].max_row == w["customer_id"].nunique() + 1
    assert book["Ladder"].max_row == len(default_ladder(60)) + 1
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    names = {ws.cell(row=r, column=3).value for r in range(2, ws.max_row + 1)}
    assert names == {"'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "'\t=2*3", "<script>alert(1)</script>"}
    assert "'=INV0" in {ws.cell(row=r, column=4).value for r in range(2, ws.max_row + 1)}
    first = 2
    assert ws.cell(row=first, column=7).number_format == "#,##0.00"
    assert ws.cell(row=first, column=6).number_format == "yyyy-mm-dd"
    assert ws.cell(row=first, column=6).is_date
    assert ws.column_dimensions["C"].width == pytest.approx(32, abs=1)  # the writer adds its padding


def test_excel_shows_probability_and_expected_loss_when_scored(tmp_path):
    p = positions([{"invoice_id": "A", "customer_id": "CA", "open_amount": 1000.0, "days_past_due": 90},
                   {"invoice_id": "B", "customer_id": "CB", "open_amount": 3000.0, "days_past_due": 0}])
    w = build_worklist(p, AS_OF, default_ladder(None), pd.Series({"A": 0.5, "B": 0.9}))
    scores = pd.DataFrame({"customer_id": ["CA", "CB"], "score": [0.5, 0.9], "band": ["medium", "high"]})
    path = write_worklist_xlsx(w, tmp_path / "w.xlsx", customer_worklist(w, scores), currency="EUR")
    book = openpyxl.load_workbook(path)
    ws, cs = book["Worklist"], book["Customers"]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["P(paid late)", "Expected loss (EUR)"]
    rows = {ws.cell(row=r, column=4).value: [c.value for c in ws[r]] for r in range(2, ws.max_row + 1)}
    assert rows["B"][-2:] == [0.9, 360.0] and rows["A"][-2:] == [0.5, 140.0]
    assert ws.cell(row=2, column=len(header) - 1).number_format == "0%"
    customer_header = [c.value for c in cs[1]]
    assert customer_header[-3:] == ["Expected loss (EUR)", "Late-payment score", "Risk band"]
    assert [c.value for c in cs[2]][-3:] == [360.0, 0.9, "high"]
    assert "Total open (EUR)" not in customer_header       # the scores given had no open amount
    notes = {row[0].value: row[1].value for row in book["Notes"].iter_rows(min_row=2)}
    assert notes["Priority"] == f"The list is ordered by {RULE_EXPECTED_LOSS}."
    assert notes["Expected loss"].startswith("Open amount × P(paid late) × (1 − share still recoverable")
    assert "not the write-off forecast" in notes["Expected loss"]


def test_excel_is_never_written_over(tmp_path, hostile_worklist):
    path = write_worklist_xlsx(hostile_worklist, tmp_path / "w.xlsx")
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="never written over"):
        write_worklist_xlsx(hostile_worklist.iloc[:1], path)
    assert path.read_bytes() == before
