"""Features and outcomes of the late-payment risk model (arassess.risk.features).

Three kinds of test:

- a brute-force reference: every feature recomputed row by row with plain Python loops straight
  from the invoices / payments frames, following the module docstring literally, compared with the
  vectorized ``features`` — on a hand-made ledger (where a few values are also checked by hand) and
  on random small ledgers (hypothesis), for history rows (g = invoice date − 1) and open rows (g = T);
- no look-ahead: features at T do not change when everything dated after T is dropped;
- outcomes: hand-checked boundary cases of ``outcomes``.

Days are integers (days since the epoch, as ``arassess.ledger.balances.to_days``); offsets in the hand
ledger are days from START.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pointintime import truncate

from arassess.inputs.intake import ledger_from_frames
from arassess.kpi.open_items import open_balance
from arassess.ledger.balances import MONEY_EPSILON, timeline_of, to_days
from arassess.risk import features as rf

START = pd.Timestamp("2024-01-01")
S0 = int(to_days(pd.DatetimeIndex([START]))[0])   # START as a day number
NAT = pd.NaT
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
INVOICE_COLUMNS = ["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "paid_date",
                   "written_off_date", "written_off_amount", "disputed", "dispute_date", "is_credit_note"]


def day(offset: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=int(offset))


def build(invoices: pd.DataFrame, payments: pd.DataFrame, customers: pd.DataFrame):
    return ledger_from_frames(invoices, payments if len(payments) else None, customers)


# --- the brute-force reference --------------------------------------------------------------------

def _day_or_none(value) -> int | None:
    return None if pd.isna(value) else int(to_days(pd.DatetimeIndex([value]))[0])


@dataclass
class RefInvoice:
    """One invoice as the module docstring sees it (days as integers, None = never)."""

    customer: str
    inv: int
    due: int
    amount: float
    eligible: bool
    paid_date: int | None
    payments: list[tuple[int, float]]      # (day, amount), a payment before the invoice counts on its date
    wo_day: int | None                     # write-off day (not before the invoice date)
    wo_amount: float                       # its amount (all that is open when none is given)
    written_off: int | None = None         # the day a write-off actually reduced the balance
    close: int | None = None               # settled by payment on this day (not written off)
    late: bool = False
    known: int = 0
    dispute: int | None = None

    def balance(self, d: int) -> float:
        """open(i, d): amount − payments ≤ d − write-offs ≤ d, never below zero; 0 once paid_date ≤ d."""
        if d < self.inv or (self.paid_date is not None and self.paid_date <= d):
            return 0.0
        reduced = sum(a for p, a in self.payments if p <= d)
        if self.wo_day is not None and self.wo_day <= d:
            reduced += self.wo_amount
        left = max(abs(self.amount) - reduced, 0.0)
        return 0.0 if left <= MONEY_EPSILON else left

    @property
    def days_late(self) -> float:
        return float(max(0, self.close - self.due))


def reference_invoices(invoices: pd.DataFrame, payments: pd.DataFrame, threshold: int) -> list[RefInvoice]:
    """Every invoice of the frames with its outcome, one at a time (module docstring)."""
    out = []
    for row in invoices.itertuples(index=False):
        inv = _day_or_none(row.invoice_date)
        mine = payments[payments["invoice_id"] == row.invoice_id]
        pays = sorted((max(_day_or_none(p), inv), float(a)) for p, a in zip(mine["payment_date"], mine["amount"]))
        credit = bool(getattr(row, "is_credit_note", False)) or row.amount <= 0
        wo_raw = _day_or_none(getattr(row, "written_off_date", NAT))
        wo_amt = getattr(row, "written_off_amount", np.nan)
        r = RefInvoice(customer=row.customer_id, inv=inv, due=_day_or_none(row.due_date), amount=float(row.amount),
                       eligible=not credit, paid_date=_day_or_none(getattr(row, "paid_date", NAT)), payments=pays,
                       wo_day=None if wo_raw is None else max(wo_raw, inv),
                       wo_amount=abs(float(row.amount)) if pd.isna(wo_amt) else float(wo_amt))
        # a write-off counts when it reduces an open balance: not after the paid date, and something left
        # after the payments up to that day (payments of a day come before its write-off)
        if r.wo_day is not None and (r.paid_date is None or r.wo_day <= r.paid_date):
            left = abs(r.amount) - sum(a for p, a in pays if p <= r.wo_day)
            if left > MONEY_EPSILON:
                r.written_off = r.wo_day
        if r.written_off is None:      # settled by payment: paid_date, or the clearing payment if earlier
            cleared = [p for p, _ in pays if abs(r.amount) - sum(a for q, a in pays if q <= p) <= MONEY_EPSILON]
            settled = [d for d in (r.paid_date, min(cleared, default=None)) if d is not None]
            r.close = min(settled, default=None)
        limit = r.due + threshold
        in_time = r.close is not None and r.close <= limit
        r.late = not in_time                           # paid late, never paid, or written off
        r.known = r.close if in_time else limit + 1
        if r.written_off is not None:                  # a write-off is never after the payment that settles
            r.known = min(r.known, r.written_off)
        out.append(r)
    has_dates = "dispute_date" in invoices
    for r, row in zip(out, invoices.itertuples(index=False)):
        dated = _day_or_none(row.dispute_date) if has_dates else None
        flagged = bool(getattr(row, "disputed", False))
        r.dispute = dated if dated is not None else (r.known if flagged else None)
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def reference_features(invoices: pd.DataFrame, payments: pd.DataFrame, customers: pd.DataFrame,
                       rows, feature_day, threshold: int, mutant: str = "") -> pd.DataFrame:
    """The feature table of ``rows`` (positions in ``invoices``) at ``feature_day``, one row and one
    feature at a time. ``mutant`` deliberately breaks one rule (to show the comparison can fail)."""
    refs = reference_invoices(invoices, payments, threshold)
    segment = {c: s for c, s in zip(customers["customer_id"], customers["segment"])}
    seg_of = [segment.get(r.customer, "Unknown") for r in refs]
    records = []
    for i, g in zip(rows, feature_day):
        i, g = int(i), int(g)
        if mutant == "g_plus_1":
            g += 1
        me = refs[i]
        leave_out = mutant != "own_included"
        everyone = [r for j, r in enumerate(refs) if r.eligible and (j != i or not leave_out)]
        others = [r for r in everyone if r.customer == me.customer]

        known = [r for r in others if r.known <= g]
        known_all = [r for r in everyone if r.known <= g]
        p = _mean([float(r.late) for r in known_all]) if known_all else 0.0
        late_share = (sum(r.late for r in known) + 2 * p) / (len(known) + 2)

        paid = [r for r in others if r.close is not None and r.close <= g]
        mean_late = _mean([r.days_late for r in paid]) if paid else 0.0
        recent = [r for r in paid if r.close > g - (89 if mutant == "trend_89" else 90)]
        trend = _mean([r.days_late for r in recent]) - mean_late if recent else 0.0

        issued = [r for r in others if r.inv <= g]
        disputes = [r for r in others if r.dispute is not None and r.dispute <= g]
        dispute_share = len(disputes) / len(issued) if issued else 0.0
        usual = _mean([math.log(r.amount) for r in issued]) if issued else math.log(me.amount)

        firsts = [r.inv for r in refs if r.customer == me.customer and r.eligible and r.inv <= g]
        tenure = g - min(firsts) if firsts else 0

        balances = [(r.balance(g), r.due) for r in others]
        open_bal = sum(b for b, _ in balances)
        overdue = sum(b for b, due in balances if due < g)
        overdue_dues = [due for b, due in balances if b > MONEY_EPSILON and due < g]
        records.append({
            "hist_invoices": math.log(1 + len(known)),
            "hist_late_share": late_share,
            "hist_mean_days_late": mean_late,
            "days_late_trend": trend,
            "dispute_share": dispute_share,
            "amount_vs_usual": math.log(me.amount) - usual,
            "terms_days": float(me.due - me.inv),
            "tenure_days": float(tenure),
            "overdue_balance": math.log(1 + overdue),
            "overdue_share": overdue / open_bal if open_bal > MONEY_EPSILON else 0.0,
            "oldest_days_past_due": float(g - min(overdue_dues)) if overdue_dues else 0.0,
        })
    X = pd.DataFrame(records, columns=list(rf.NUMERIC_FEATURES))
    # one column per segment of the customers invoiced by the last feature day, and of the rows' customers
    last = max((int(g) for g in feature_day), default=0)
    seen = {seg_of[j] for j, r in enumerate(refs) if r.inv <= last} | {seg_of[int(i)] for i in rows}
    for name in sorted(seen):
        X[rf.SEGMENT_PREFIX + name] = [float(seg_of[int(i)] == name) for i in rows]
    return X


def history_rows(refs: list[RefInvoice]) -> tuple[np.ndarray, np.ndarray]:
    rows = np.array([j for j, r in enumerate(refs) if r.eligible], dtype=np.int64)
    return rows, np.array([refs[j].inv - 1 for j in rows], dtype=np.int64)


def open_rows(refs: list[RefInvoice], t: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.array([j for j, r in enumerate(refs) if r.eligible and r.balance(t) > MONEY_EPSILON], dtype=np.int64)
    return rows, np.full(len(rows), t, dtype=np.int64)


def assert_frames_close(got: pd.DataFrame, want: pd.DataFrame, what: str = "") -> None:
    assert list(got.columns) == list(want.columns), f"{what}: columns {list(got.columns)} != {list(want.columns)}"
    assert len(got) == len(want), what
    for column in want.columns:
        np.testing.assert_allclose(got[column].to_numpy(dtype=float), want[column].to_numpy(dtype=float),
                                   rtol=1e-9, atol=1e-9, err_msg=f"{what}: {column}")


def check_against_reference(invoices, payments, customers, rows, g, threshold, what: str) -> pd.DataFrame:
    ledger = build(invoices, payments, customers)
    got = rf.features(ledger, rows, g, threshold)
    np.testing.assert_array_equal(got.rows, rows)
    np.testing.assert_array_equal(got.feature_day, g)
    want = reference_features(invoices, payments, customers, rows, g, threshold)
    assert_frames_close(got.X, want, what)
    return got.X


# --- the hand-made ledger ---------------------------------------------------------------------------

THRESHOLD = 10
T_HAND = 135


def _inv(iid, cust, inv, due, amount, paid=None, wo=None, wo_amount=np.nan, disputed=False, dispute=None,
         credit=False):
    return dict(invoice_id=iid, customer_id=cust, invoice_date=day(inv), due_date=day(due), amount=float(amount),
                paid_date=day(paid) if paid is not None else NAT,
                written_off_date=day(wo) if wo is not None else NAT, written_off_amount=wo_amount,
                disputed=disputed, dispute_date=day(dispute) if dispute is not None else NAT, is_credit_note=credit)


def hand_ledger():
    """3 customers, 17 invoices (offsets in days from START; threshold 10 days).

    outcome (late, known day) of each eligible invoice:
      A1 paid 35, due 30          → on time, known 35, 5 days late
      A2 paid 200@20 + 300@60     → clears 60 > 40+10: late, known 51, 20 days late
      A3 300@70 of 800, never     → late, known 91 (open 500 from day 70)
      A4 terms 0, paid 126        → on time (1 day late), known 126
      A5 dispute 125, paid 200    → late, known 161
      B1 fully written off at 40  → late, known 40 (before 35+10+1)
      B2 paid 55, flag only       → on time, known 55 (its dispute, flag without a date, dated 55)
      B3 100@90, 200 w/o at 95    → late, known 95 (open 400 from day 95)
      B4 dispute 115, open        → late, known 151
      B5 open                     → late, known 171
      B6 open, due 135 (= T_HAND) → late, known 146
      D1 paid 70 = 60 + 10        → on time (threshold exactly), known 70
      D2 paid 81 = 70 + 10 + 1    → late, known 81
      D3 open                     → late, known 131
      D4 50@150 of 100            → late, known 181
      CN, CN3 credit notes        → no rows, no history (CN3 predates C3's first invoice D1)
    """
    rows = [
        _inv("A1", "C1", 0, 30, 1000, paid=35),
        _inv("A2", "C1", 10, 40, 500),
        _inv("A3", "C1", 50, 80, 800),
        _inv("CN", "C1", 60, 60, -150, credit=True, disputed=True, dispute=61),
        _inv("A4", "C1", 125, 125, 50, paid=126),
        _inv("A5", "C1", 120, 150, 400, paid=200, dispute=125, disputed=True),
        _inv("B1", "C2", 5, 35, 2000, wo=40),
        _inv("B2", "C2", 20, 50, 1500, paid=55, disputed=True),
        _inv("B3", "C2", 70, 100, 700, wo=95, wo_amount=200.0),
        _inv("B4", "C2", 110, 140, 900, dispute=115, disputed=True),
        _inv("B5", "C2", 130, 160, 300),
        _inv("B6", "C2", 105, 135, 250),
        _inv("CN3", "C3", 20, 20, -80, credit=True),      # before C3's first invoice: not its tenure start
        _inv("D1", "C3", 30, 60, 600, paid=70),
        _inv("D2", "C3", 40, 70, 250, paid=81),
        _inv("D3", "C3", 90, 120, 1000),
        _inv("D4", "C3", 140, 170, 100),
    ]
    invoices = pd.DataFrame(rows, columns=INVOICE_COLUMNS)
    payments = pd.DataFrame({
        "invoice_id": ["A2", "A2", "A3", "A5", "B3", "D4"],
        "payment_date": [day(20), day(60), day(70), day(130), day(90), day(150)],
        "amount": [200.0, 300.0, 300.0, 150.0, 100.0, 50.0],
    })
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "name": ["One", "Two", "Three"],
                              "segment": ["Retail", "Wholesale", "Retail"]})
    return invoices, payments, customers


def test_hand_ledger_reference_history_rows():
    invoices, payments, customers = hand_ledger()
    refs = reference_invoices(invoices, payments, THRESHOLD)
    rows, g = history_rows(refs)
    assert len(rows) == 15                                              # credit notes are no rows
    X = check_against_reference(invoices, payments, customers, rows, g, THRESHOLD, "history rows")
    X.index = invoices["invoice_id"].to_numpy()[rows]

    # A5 (invoiced 120, g = 119). C1's other invoices with an outcome known by 119: A1 on time, A2 and A3
    # late (A4 is issued only on 125). Portfolio known by 119: A1 F, A2 L, A3 L, B1 L, B2 F, B3 L, D1 F, D2 L
    # → p = 5/8, so (2 + 2·5/8) / (3 + 2) = 0.65.
    a5 = X.loc["A5"]
    assert a5["hist_invoices"] == pytest.approx(math.log(4))
    assert a5["hist_late_share"] == pytest.approx((2 + 2 * 5 / 8) / (3 + 2))
    # paid by 119: A1 5 days late (day 35), A2 20 (day 60), both inside (29, 119] → trend 0
    assert a5["hist_mean_days_late"] == pytest.approx(12.5)
    assert a5["days_late_trend"] == pytest.approx(0.0)
    assert a5["amount_vs_usual"] == pytest.approx(math.log(400) - np.mean(np.log([1000, 500, 800])))
    assert a5["dispute_share"] == 0.0                                    # the credit note's dispute is no history
    assert a5["tenure_days"] == 119.0
    # at 119: A3 has 500 open, due 80 → overdue 500 of 500, 39 days past due
    assert a5["overdue_balance"] == pytest.approx(math.log(501))
    assert a5["overdue_share"] == 1.0 and a5["oldest_days_past_due"] == 39.0

    # D3 (invoiced 90, g = 89): C3's D1 on time (70), D2 late (81); paid 70 − 60 = 10 and 81 − 70 = 11 days late
    d3 = X.loc["D3"]
    assert d3["hist_late_share"] == pytest.approx((1 + 2 * p_at(refs, S0 + 89)) / (2 + 2))
    assert p_at(refs, S0 + 89) == pytest.approx(3 / 6)                    # A1 F, A2 L, B1 L, B2 F, D1 F, D2 L
    assert d3["hist_mean_days_late"] == pytest.approx(10.5)
    assert d3["overdue_balance"] == 0.0 and d3["overdue_share"] == 0.0  # both paid by 89

    # B5 (invoiced 130, g = 129): disputes raised by 129 among B1..B4, B6: B2 (flag, dated at its outcome
    # 55) and B4 (115) → 2 / 5; balances at 129: B3 400 (due 100, overdue), B4 900 (due 140), B6 250 (135)
    b5 = X.loc["B5"]
    assert b5["dispute_share"] == pytest.approx(2 / 5)
    assert b5["overdue_share"] == pytest.approx(400 / 1550)
    assert b5["oldest_days_past_due"] == 29.0
    # first invoices: nothing before them
    for first in ("A1", "B1", "D1"):
        assert X.loc[first, "tenure_days"] == 0.0 and X.loc[first, "hist_invoices"] == 0.0
        assert X.loc[first, "amount_vs_usual"] == 0.0
    assert list(X.columns[-2:]) == ["segment=Retail", "segment=Wholesale"]
    assert X.loc["B5", "segment=Wholesale"] == 1.0 and X.loc["B5", "segment=Retail"] == 0.0


def p_at(refs: list[RefInvoice], g: int) -> float:
    known = [r.late for r in refs if r.eligible and r.known <= g]
    return sum(known) / len(known)


def test_hand_ledger_reference_open_rows():
    invoices, payments, customers = hand_ledger()
    refs = reference_invoices(invoices, payments, THRESHOLD)
    rows, g = open_rows(refs, S0 + T_HAND)
    ids = list(invoices["invoice_id"].to_numpy()[rows])
    assert ids == ["A3", "A5", "B3", "B4", "B5", "B6", "D3"]
    X = check_against_reference(invoices, payments, customers, rows, g, THRESHOLD, "open rows")
    X.index = ids

    # A5 at 135: C1's others A1 F, A2 L, A3 L (91), A4 F (126) → n 4, late 2; portfolio without A5 known by
    # 135: A1 F A2 L A3 L A4 F B1 L B2 F B3 L D1 F D2 L D3 L (131) → p = 6/10: (2 + 1.2) / (4 + 2)
    a5 = X.loc["A5"]
    assert a5["hist_late_share"] == pytest.approx((2 + 2 * 0.6) / 6)
    # paid by 135: A1 (35, 5 days late), A2 (60, 20), A4 (126, 1) → mean 26/3; in (45, 135]: A2, A4 → 10.5
    assert a5["hist_mean_days_late"] == pytest.approx(26 / 3)
    assert a5["days_late_trend"] == pytest.approx(10.5 - 26 / 3)
    assert a5["overdue_share"] == 1.0 and a5["oldest_days_past_due"] == 135 - 80   # A3; A5 itself left out
    assert a5["overdue_balance"] == pytest.approx(math.log(501))
    assert a5["dispute_share"] == 0.0                                              # its own dispute left out
    # A3 at 135 is C1's oldest overdue item, but its own: the others (A5, due 150) are not overdue
    a3 = X.loc["A3"]
    assert a3["oldest_days_past_due"] == 0.0 and a3["overdue_balance"] == 0.0 and a3["overdue_share"] == 0.0
    # B3 likewise; B4 900, B5 300 and B6 250 (due 135: due today is not overdue) are open, not overdue
    assert X.loc["B3", "oldest_days_past_due"] == 0.0 and X.loc["B3", "overdue_share"] == 0.0
    # B5: B3 400 overdue since 100, B4 900 and B6 250 not → 400 / 1550; disputes B2 (55), B4 (115) of 5
    b5 = X.loc["B5"]
    assert b5["overdue_share"] == pytest.approx(400 / 1550) and b5["oldest_days_past_due"] == 35.0
    assert b5["dispute_share"] == pytest.approx(2 / 5)
    # B6, due today: its own 250 is not overdue, so nothing of it comes off the others' overdue 400
    assert X.loc["B6", "overdue_share"] == pytest.approx(400 / 1600)
    assert X.loc["B6", "overdue_balance"] == pytest.approx(math.log(401))
    assert X.loc["B4", "dispute_share"] == pytest.approx(1 / 5)                    # its own dispute left out
    # own amount left out of "usual": B4 900 against B1 2000, B2 1500, B3 700, B5 300, B6 250
    assert X.loc["B4", "amount_vs_usual"] == pytest.approx(
        math.log(900) - np.mean(np.log([2000, 1500, 700, 300, 250])))
    assert X.loc["D3", "tenure_days"] == 135 - 30


def _disagreeing(got: pd.DataFrame, want: pd.DataFrame) -> set[str]:
    return {c for c in want.columns
            if not np.allclose(got[c].to_numpy(dtype=float), want[c].to_numpy(dtype=float), rtol=1e-9, atol=1e-9)}


@pytest.mark.parametrize("kind, mutant, broken", [
    # the own invoice counted among the customer's other invoices and the portfolio, at T
    ("open", "own_included", {"hist_invoices", "hist_late_share", "dispute_share", "amount_vs_usual",
                              "overdue_balance", "overdue_share", "oldest_days_past_due"}),
    # the feature day one day late (a history row would see its own invoice's issue day)
    ("history", "g_plus_1", {"hist_late_share", "days_late_trend", "dispute_share", "tenure_days",
                             "oldest_days_past_due"}),
    ("open", "g_plus_1", {"tenure_days", "oldest_days_past_due", "overdue_balance", "overdue_share"}),
    # an 89-day trend window: A4's row (g = 124) then misses A1, paid on 35 = 124 − 89
    ("history", "trend_89", {"days_late_trend"}),
    # a wrong outcome rule: threshold 9 instead of 10 (D1, paid exactly due + 10, becomes late)
    ("history", "threshold_9", {"hist_late_share"}),
])
def test_reference_is_not_trivially_passing(kind, mutant, broken):
    """Deliberately wrong references disagree with the vectorized features, on the features the mistake
    should break — so the agreement above means something."""
    invoices, payments, customers = hand_ledger()
    refs = reference_invoices(invoices, payments, THRESHOLD)
    rows, g = history_rows(refs) if kind == "history" else open_rows(refs, S0 + T_HAND)
    got = rf.features(build(invoices, payments, customers), rows, g, THRESHOLD).X
    threshold = THRESHOLD - 1 if mutant == "threshold_9" else THRESHOLD
    want = reference_features(invoices, payments, customers, rows, g, threshold, mutant=mutant)
    assert _disagreeing(got, want) == broken
    with pytest.raises(AssertionError):
        assert_frames_close(got, want, f"{kind}/{mutant}")


def test_reference_without_dispute_dates_and_without_customers_file():
    """Only the ``disputed`` flag: each flagged invoice's dispute is dated at its outcome day; customers
    missing from the customers file are segment Unknown."""
    invoices, payments, customers = hand_ledger()
    invoices = invoices.drop(columns="dispute_date")
    customers = customers[customers["customer_id"] != "C3"]
    refs = reference_invoices(invoices, payments, THRESHOLD)
    for rows, g in (history_rows(refs), open_rows(refs, S0 + T_HAND), open_rows(refs, S0 + 200)):
        X = check_against_reference(invoices, payments, customers, rows, g, THRESHOLD, "flag only")
        assert "segment=Unknown" in X.columns
    # at 200, B4 (flagged, known late on 151) counts as disputed for B5; A5 (known 161) for A3
    rows, g = open_rows(refs, S0 + 200)
    X = rf.features(build(invoices, payments, customers), rows, g, THRESHOLD).X
    X.index = invoices["invoice_id"].to_numpy()[rows]
    assert X.loc["B5", "dispute_share"] == pytest.approx(2 / 5)          # B2 (55) and B4 (151) of 5
    assert X.loc["A3", "dispute_share"] == pytest.approx(1 / 4)          # A5 (161) of A1, A2, A4, A5
    # at 135 B4's flag is not seen yet (its outcome is known on 151), nor A5's (161)
    rows, g = open_rows(refs, S0 + T_HAND)
    X = rf.features(build(invoices, payments, customers), rows, g, THRESHOLD).X
    X.index = invoices["invoice_id"].to_numpy()[rows]
    assert X.loc["B5", "dispute_share"] == pytest.approx(1 / 5) and X.loc["A3", "dispute_share"] == 0.0


def test_no_rows_and_no_eligible_invoices():
    """No rows, or a ledger of credit notes only: an empty table with every numeric column."""
    invoices, payments, customers = hand_ledger()
    none = np.zeros(0, dtype=np.int64)
    X = rf.features(build(invoices, payments, customers), none, none, THRESHOLD).X
    assert list(X.columns) == list(rf.NUMERIC_FEATURES) and len(X) == 0
    credit_only = invoices[invoices["is_credit_note"]]
    out = rf.outcomes(build(credit_only, payments.iloc[:0], customers), THRESHOLD)
    assert not out.eligible.any()
    X = rf.features(build(credit_only, payments.iloc[:0], customers), none, none, THRESHOLD).X
    assert list(X.columns) == list(rf.NUMERIC_FEATURES) and len(X) == 0


# --- random ledgers ---------------------------------------------------------------------------------

SEGMENTS = ["Retail", "Wholesale", "Public"]
SPAN = 200          # invoice dates in [0, SPAN]; events up to 160 days after the invoice (trend window 90)


def chance(p_in_10: int):
    return st.integers(0, 9).map(lambda x: x < p_in_10)


@st.composite
def invoice_rows(draw, iid: str, customer: str, inv_off: int):
    """One invoice row and its payments (offsets in days from START)."""
    terms = draw(st.sampled_from([0, 7, 30, 60]))
    amount = draw(st.integers(1, 5_000))
    row = _inv(iid, customer, inv_off, inv_off + terms, amount, disputed=draw(chance(3)))
    if draw(chance(3)):
        row["dispute_date"] = day(inv_off + draw(st.integers(0, 60)))
    if draw(chance(1)):
        row.update(amount=-float(amount), is_credit_note=True)
        return row, []
    if draw(chance(2)):
        row["written_off_date"] = day(inv_off + draw(st.integers(0, 160)))
        if draw(st.booleans()):
            row["written_off_amount"] = float(draw(st.integers(1, amount)))
    if draw(chance(4)):
        row["paid_date"] = day(inv_off + draw(st.integers(0, 160)))
    payments, left = [], amount
    for _ in range(draw(st.integers(0, 3))):
        if left < 1:
            break
        paid = draw(st.sampled_from(sorted({left, draw(st.integers(1, left))})))   # often the rest
        left -= paid
        payments.append(dict(invoice_id=iid, payment_date=day(inv_off + draw(st.integers(0, 160))),
                             amount=float(paid)))
    return row, payments


@st.composite
def ledgers(draw, max_invoices: int = 18):
    """(invoices, payments, customers) of a small valid ledger: up to 4 customers (so they have a
    history), sometimes without dispute dates (flag only)."""
    n = draw(st.integers(1, max_invoices))
    k = draw(st.integers(1, 4))
    invoices, payments = [], []
    for i in range(n):
        row, pays = draw(invoice_rows(f"I{i:02d}", f"C{draw(st.integers(0, k - 1))}", draw(st.integers(0, SPAN))))
        invoices.append(row)
        payments.extend(pays)
    inv = pd.DataFrame(invoices, columns=INVOICE_COLUMNS)
    if draw(chance(3)):
        inv = inv.drop(columns="dispute_date")
    pay = pd.DataFrame(payments, columns=["invoice_id", "payment_date", "amount"])
    pay["payment_date"] = pd.to_datetime(pay["payment_date"])
    customers = pd.DataFrame({"customer_id": [f"C{c}" for c in range(k)],
                              "segment": [draw(st.sampled_from(SEGMENTS)) for _ in range(k)]})
    return inv, pay, customers


thresholds = st.sampled_from([0, 5, 30])


def as_of_day(data, invoices: pd.DataFrame, threshold: int) -> int:
    """A day T (days since the epoch): half the time on or next to a day where something changes
    (an invoice, due, due + threshold, paid, write-off or dispute date), else any day of the ledger."""
    dates = pd.concat([invoices[c] for c in ("invoice_date", "due_date", "paid_date", "written_off_date")
                       if c in invoices] + [invoices["due_date"] + pd.Timedelta(days=threshold)]).dropna()
    edges = sorted({int(to_days(pd.DatetimeIndex([d]))[0]) for d in dates})
    if data.draw(st.booleans(), label="near an edge"):
        return data.draw(st.sampled_from(edges), label="edge") + data.draw(st.sampled_from([-1, 0, 1]), label="±")
    return S0 + data.draw(st.integers(0, SPAN + 100), label="T offset")


@PROPERTY_SETTINGS
@given(data=st.data(), frames=ledgers(), threshold=thresholds)
def test_random_ledgers_match_the_reference(data, frames, threshold):
    invoices, payments, customers = frames
    refs = reference_invoices(invoices, payments, threshold)
    rows, g = history_rows(refs)
    check_against_reference(invoices, payments, customers, rows, g, threshold, "history rows")
    t = as_of_day(data, invoices, threshold)
    rows, g = open_rows(refs, t)
    check_against_reference(invoices, payments, customers, rows, g, threshold, f"open rows at {t - S0}")
    # any invoices at any feature days: the invoice itself issued, paid, written off or not by then
    eligible = [j for j, r in enumerate(refs) if r.eligible]
    if eligible:
        picks = data.draw(st.lists(st.tuples(st.sampled_from(eligible), st.integers(-5, SPAN + 200)),
                                   min_size=1, max_size=8), label="rows at any days")
        rows = np.array([j for j, _ in picks], dtype=np.int64)
        g = np.array([S0 + d for _, d in picks], dtype=np.int64)
        check_against_reference(invoices, payments, customers, rows, g, threshold, "rows at any days")


# --- no look-ahead ----------------------------------------------------------------------------------

def assert_no_look_ahead(invoices, payments, customers, t_day: int, threshold: int,
                         more_rows: list[tuple[str, int]] = ()) -> int:
    """Features at t of the open rows, of the history rows of the invoices issued by t, and of
    ``more_rows`` ((invoice id, feature day ≤ t) of invoices issued by t) agree between the ledger and
    its truncation at t, matched by invoice id; returns how many rows were compared."""
    t = pd.Timestamp(0) + pd.Timedelta(days=t_day)
    cut_inv, cut_pay = truncate(invoices, payments, t)
    if not len(cut_inv):
        return 0
    full, cut = build(invoices, payments, customers), build(cut_inv, cut_pay, customers)
    ids_full, ids_cut = invoices["invoice_id"].to_numpy(), cut_inv["invoice_id"].to_numpy()

    def same(ids, g, what: str) -> int:
        pos_full = np.array([np.flatnonzero(ids_full == i)[0] for i in ids], dtype=np.int64)
        pos_cut = np.array([np.flatnonzero(ids_cut == i)[0] for i in ids], dtype=np.int64)
        g = np.asarray(g, dtype=np.int64)
        assert (g <= t_day).all()
        assert_frames_close(rf.features(full, pos_full, g, threshold).X, rf.features(cut, pos_cut, g, threshold).X,
                            f"{what} (t = {t.date()})")
        return len(ids)

    eligible_full, eligible_cut = rf.outcomes(full, threshold).eligible, rf.outcomes(cut, threshold).eligible
    open_full = eligible_full & (open_balance(full, t) > MONEY_EPSILON)
    open_cut = eligible_cut & (open_balance(cut, t) > MONEY_EPSILON)
    assert sorted(ids_full[open_full]) == sorted(ids_cut[open_cut])
    compared = same(ids_cut[open_cut], np.full(int(open_cut.sum()), t_day), "open rows")
    compared += same(ids_cut[eligible_cut], timeline_of(cut).inv_day[eligible_cut] - 1, "history rows")
    if more_rows:
        compared += same([i for i, _ in more_rows], [g for _, g in more_rows], "rows at other days")
    return compared


def test_no_look_ahead_on_the_hand_ledger():
    invoices, payments, customers = hand_ledger()
    t = S0 + T_HAND
    # later events for existing customers (an invoice the day after T, a payment and a write-off of open
    # items after T) and a new customer with a new segment first invoiced the day after T
    later = pd.DataFrame([
        _inv("A9", "C1", T_HAND + 1, T_HAND + 1, 70, paid=T_HAND + 2, disputed=True, dispute=T_HAND + 1),
        _inv("N1", "C9", T_HAND + 1, T_HAND + 20, 5000, dispute=T_HAND + 3, disputed=True),
    ], columns=INVOICE_COLUMNS)
    invoices = pd.concat([invoices, later], ignore_index=True)
    invoices.loc[invoices["invoice_id"] == "D3", ["written_off_date"]] = day(T_HAND + 1)
    invoices.loc[invoices["invoice_id"] == "B5", ["paid_date"]] = day(T_HAND + 1)
    payments = pd.concat([payments, pd.DataFrame({"invoice_id": ["B4", "A3"], "payment_date": [day(T_HAND + 1)] * 2,
                                                  "amount": [900.0, 100.0]})], ignore_index=True)
    customers = pd.concat([customers, pd.DataFrame({"customer_id": ["C9"], "name": ["Nine"],
                                                    "segment": ["Public"]})], ignore_index=True)
    for t_day in (t, t - 1, S0 + 60, S0 + 95):
        assert assert_no_look_ahead(invoices, payments, customers, t_day, THRESHOLD) > 0
    # the new segment is no column at T, and the truncation did change the ledger
    refs = reference_invoices(invoices, payments, THRESHOLD)
    rows, g = open_rows(refs, t)
    X = rf.features(build(invoices, payments, customers), rows, g, THRESHOLD).X
    assert "segment=Public" not in X.columns
    cut_inv, cut_pay = truncate(invoices, payments, day(T_HAND))
    assert len(cut_inv) < len(invoices) and len(cut_pay) < len(payments)


@PROPERTY_SETTINGS
@given(data=st.data(), frames=ledgers(), threshold=thresholds)
def test_random_ledgers_have_no_look_ahead(data, frames, threshold):
    invoices, payments, customers = frames
    t = as_of_day(data, invoices, threshold)
    # one more invoice after t, for an existing customer or a new one with a segment of its own
    customer = data.draw(st.sampled_from(sorted(customers["customer_id"]) + ["NEW"]), label="later customer")
    row, pays = data.draw(invoice_rows("LATER", customer, t - S0 + data.draw(st.sampled_from([1, 2, 40]))),
                          label="later invoice")
    invoices = pd.concat([invoices, pd.DataFrame([row], columns=invoices.columns)], ignore_index=True)
    payments = pd.concat([payments, pd.DataFrame(pays, columns=payments.columns)], ignore_index=True)
    customers = pd.concat([customers, pd.DataFrame({"customer_id": ["NEW"], "segment": ["Newcomers"]})],
                          ignore_index=True)
    issued = invoices.loc[(to_days(invoices["invoice_date"]) <= t) & ~invoices["is_credit_note"], "invoice_id"]
    more = data.draw(st.lists(st.tuples(st.sampled_from(sorted(issued)), st.integers(S0 - 5, t)), max_size=6)
                     if len(issued) else st.just([]), label="rows at other days")
    assert_no_look_ahead(invoices, payments, customers, t, threshold, more)


# --- outcomes -------------------------------------------------------------------------------------

def test_outcomes_hand_checked():
    th = 10
    rows = [
        _inv("ON_LIMIT", "C1", 0, 30, 100, paid=40),          # paid due + 10: on time, known 40
        _inv("ONE_OVER", "C1", 0, 30, 100, paid=41),          # paid due + 11: late, known 41 = due + th + 1
        _inv("NEVER", "C1", 0, 30, 100),                      # never paid: late, known 41
        _inv("WO_EARLY", "C1", 0, 30, 100, wo=35),            # written off at 35 < 40: late, known 35
        _inv("WO_LATE", "C1", 0, 30, 100, wo=60),             # written off after 41: late, known 41
        _inv("CLEARED", "C1", 0, 30, 100),                    # two payments clear it on 33: on time, known 33
        _inv("PART_WO", "C1", 0, 30, 100, wo=20, wo_amount=10.0, paid=25),  # 10 written off, rest paid 25
        _inv("CN", "C1", 5, 5, -50, credit=True),             # credit note: not eligible
        _inv("EARLY", "C1", 10, 40, 100, paid=12),            # paid before due: 0 days late
        _inv("CLEARED_FIRST", "C1", 0, 30, 100, paid=45),     # payments clear it on 32, paid_date 45:
    ]                                                         # on time, known 32 (the paid_date is later)
    invoices = pd.DataFrame(rows, columns=INVOICE_COLUMNS)
    payments = pd.DataFrame({"invoice_id": ["CLEARED", "CLEARED", "CLEARED_FIRST"],
                             "payment_date": [day(31), day(33), day(32)], "amount": [60.0, 40.0, 100.0]})
    ledger = build(invoices, payments, pd.DataFrame({"customer_id": ["C1"], "segment": ["Retail"]}))
    out = rf.outcomes(ledger, th)
    got = pd.DataFrame({"eligible": out.eligible, "late": out.late, "known": out.known_day - S0,
                        "paid": np.where(out.paid_day < rf.FAR, out.paid_day - S0, -1), "days_late": out.days_late},
                       index=invoices["invoice_id"])
    expect = pd.DataFrame.from_dict({
        "ON_LIMIT": (True, False, 40, 40, 10.0),
        "ONE_OVER": (True, True, 41, 41, 11.0),
        "NEVER": (True, True, 41, -1, 0.0),
        "WO_EARLY": (True, True, 35, -1, 0.0),
        "WO_LATE": (True, True, 41, -1, 0.0),
        "CLEARED": (True, False, 33, 33, 3.0),
        "PART_WO": (True, True, 20, -1, 0.0),
        "EARLY": (True, False, 12, 12, 0.0),
        "CLEARED_FIRST": (True, False, 32, 32, 2.0),
    }, orient="index", columns=["eligible", "late", "known", "paid", "days_late"])
    pd.testing.assert_frame_equal(got.drop(index="CN"), expect, check_names=False, check_dtype=False)
    assert not got.loc["CN", "eligible"]
    # the same from the reference
    for r, iid in zip(reference_invoices(invoices, payments, th), invoices["invoice_id"]):
        if r.eligible:
            assert (r.late, r.known - S0) == tuple(expect.loc[iid, ["late", "known"]]), iid
    # settle day: first day the open balance is zero (WO_EARLY fully written off at 35, NEVER open)
    settle = pd.Series(np.where(out.settle_day < rf.FAR, out.settle_day - S0, -1), index=invoices["invoice_id"])
    assert settle.to_dict() == {"ON_LIMIT": 40, "ONE_OVER": 41, "NEVER": -1, "WO_EARLY": 35, "WO_LATE": 60,
                                "CLEARED": 33, "PART_WO": 25, "CN": -1, "EARLY": 12,
                                "CLEARED_FIRST": 32}
    # EARLY's features as of 45: the 8 other eligible outcomes are all known by 41 (5 of them late), the
    # credit note is neither row nor history
    X = rf.features(ledger, np.array([8]), np.array([S0 + 45]), th).X
    assert X.loc[0, "hist_invoices"] == pytest.approx(math.log(1 + 8))
    assert X.loc[0, "hist_late_share"] == pytest.approx((5 + 2 * 5 / 8) / (8 + 2))
