"""The collections worklist: every open invoice on the escalation ladder, its stage today, the
next step and its date, and a priority; rolled up per customer and exported to Excel.

Input is the positions table (:mod:`arassess.kpi.open_items`); output columns of :func:`build_worklist`::

    customer_id, customer_name, invoice_id, invoice_date, due_date, open_amount, days_past_due,
    disputed, stage, stage_date, next_step, next_date, letter, age_weight, late_probability,
    loss_rate, expected_loss, priority, stage_key, next_key, stage_order

Rules:

- A row is an invoice with a positive open amount (credit notes and over-payments are not
  worked) that has reached the ladder's first step: days past due ≥ the first offset
  (−5 by default: due within five days, or overdue).
- Stage = the last step whose offset ≤ days past due; ``stage_date`` = due date + its offset.
  Next step = the following step, ``next_date`` = due date + its offset (none after the last).
- Disputed invoices get the stage "Dispute — resolve first" (``stage_key`` "dispute",
  ``stage_order`` −1) and no next step: no dunning letter goes out while an invoice is disputed;
  the dispute is resolved first and the ladder resumes from the invoice's age then.
- Priority, with late-payment probabilities (:mod:`arassess.risk.model`): the **expected loss**
  = open amount × P(paid more than ``threshold_days`` late) × loss rate, where
  loss rate = 1 − recovery share at max(days past due, threshold_days) on the recovery curve
  (:func:`arassess.costs.model.recovery_share`; the in-house curve of the cost case: the client's
  observed collection curve for a full ledger, the survey curve for an open-items export): what
  is lost if the invoice goes late, larger the older it gets.
  An invoice the probabilities do not cover counts as certain to be late (probability 1).
- Priority without probabilities (risk unavailable, e.g. an open-items export): open amount ×
  age weight, where age weight = 1 + min(max(days past due, 0), 180) / 30 (1 until due, 2 at 30
  days, 4 at 90, 7 from 180 days on); ``late_probability``, ``loss_rate`` and ``expected_loss``
  are then empty. ``attrs["priority_rule"]`` says which rule ordered the list.
- Sorted by priority, highest first (ties: older, then invoice id).

Excel (:func:`write_worklist_xlsx`): a text cell starting with = + - @, tab, CR or LF is written
with a leading apostrophe that stays part of the text (OWASP's advice against formula injection),
so no spreadsheet reads customer data as a formula; numbers and dates are written as such.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from arassess.config.escalation import Step, ladder_rows
from arassess.costs.assumptions import SURVEY_CURVE, Curve
from arassess.costs.model import recovery_share
from arassess.errors import ArgumentError, InputError, OverwriteError

AGE_WEIGHT_DAYS = 30       # one extra weight unit per 30 days past due
AGE_WEIGHT_CAP_DAYS = 180  # older invoices weigh no more than at 180 days
DISPUTE_KEY = "dispute"
DISPUTE_LABEL = "Dispute — resolve first"
REQUIRED = ("invoice_id", "customer_id", "customer_name", "due_date", "open_amount", "days_past_due")
WORKLIST_COLUMNS = ("customer_id", "customer_name", "invoice_id", "invoice_date", "due_date", "open_amount",
                    "days_past_due", "disputed", "stage", "stage_date", "next_step", "next_date", "letter",
                    "age_weight", "late_probability", "loss_rate", "expected_loss", "priority", "stage_key",
                    "next_key", "stage_order")
RULE_EXPECTED_LOSS = "expected loss = open amount × probability of paying late × loss rate at the invoice's age"
RULE_AGE_WEIGHT = "open amount × age weight (no late-payment probabilities)"
#: Columns left out of the Excel sheets when empty (no late-payment probabilities for this client).
RISK_COLUMNS = ("late_probability", "expected_loss", "risk_score", "risk_band", "total_open_amount")
#: Characters that make a spreadsheet read a text cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def age_weight(days_past_due: np.ndarray | pd.Series) -> np.ndarray:
    """1 + min(max(days past due, 0), 180) / 30 (see the module docstring)."""
    days = np.clip(np.asarray(days_past_due, dtype=float), 0, AGE_WEIGHT_CAP_DAYS)
    return 1.0 + days / AGE_WEIGHT_DAYS


def loss_rate(days_past_due: np.ndarray | pd.Series, threshold_days: int = 30,
              curve: Curve = SURVEY_CURVE) -> np.ndarray:
    """1 − recovery share at max(days past due, threshold_days) on ``curve``: the share of an
    invoice lost if it is paid late (it is then at least ``threshold_days`` past due).
    On the survey curve: 0.13 up to 30 days, 0.28 at 90, 0.50 at 180, 0.73 at 365."""
    days = np.maximum(np.asarray(days_past_due, dtype=float), float(threshold_days))
    return 1.0 - recovery_share(curve, days)


def _probabilities(invoice_ids: pd.Series, late_probability: pd.Series) -> np.ndarray:
    values = pd.to_numeric(pd.Series(late_probability), errors="coerce")
    bad = values[~values.between(0, 1)]
    if len(bad):
        raise InputError(f"late-payment probabilities must lie in [0, 1]; got {bad.head(5).to_dict()}")
    return invoice_ids.map(values).astype(float).fillna(1.0).to_numpy()


def build_worklist(positions: pd.DataFrame, as_of: Any, ladder: tuple[Step, ...],
                   late_probability: pd.Series | None = None, *, threshold_days: int = 30,
                   recovery_curve: Curve = SURVEY_CURVE) -> pd.DataFrame:
    """One row per open invoice on the ladder at ``as_of`` (rules in the module docstring).

    ``positions`` is :func:`arassess.kpi.open_items.open_invoices` at the same ``as_of`` (its
    ``days_past_due`` must equal as_of − due date, else InputError); ``late_probability`` maps
    invoice_id → P(paid more than ``threshold_days`` late) (:meth:`arassess.risk.model.RiskResult.probability`).
    """
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        raise InputError(f"the positions table lacks column(s) {missing}; expected arassess.kpi.open_items.open_invoices")
    if not ladder:
        raise ArgumentError("the escalation ladder has no steps")
    offsets = np.array([s.offset_days for s in ladder], dtype="int64")
    if np.any(np.diff(offsets) <= 0):
        raise ArgumentError(f"ladder offsets must strictly increase, got {offsets.tolist()}")
    keys = np.array([s.key for s in ladder] + [None], dtype=object)
    labels = np.array([s.label for s in ladder] + [None], dtype=object)
    letters = np.array([s.letter for s in ladder] + [None], dtype=object)

    days = positions["days_past_due"].to_numpy(dtype="int64")
    keep = (positions["open_amount"].to_numpy(dtype=float) > 0) & (days >= offsets[0])
    p = positions.loc[keep]
    days = days[keep]
    disputed = p["disputed"].to_numpy(dtype=bool) if "disputed" in p else np.zeros(len(p), dtype=bool)
    due = pd.to_datetime(p["due_date"]).to_numpy(dtype="datetime64[us]")
    t = np.datetime64(pd.Timestamp(as_of).normalize().to_datetime64(), "us")
    age = (t - due) // np.timedelta64(1, "D")
    if np.any(age != days):
        raise InputError(f"the positions table is not at {pd.Timestamp(as_of):%Y-%m-%d}: its days_past_due differ "
                         "from as_of − due_date; build the worklist from the positions of the same date")

    stage = np.searchsorted(offsets, days, side="right") - 1          # ≥ 0: days ≥ the first offset
    nxt = stage + 1                                                    # len(ladder) = no next step
    has_next = (nxt < len(ladder)) & ~disputed
    day = np.timedelta64(1, "D")
    stage_date = np.where(disputed, np.datetime64("NaT"), due + offsets[stage] * day)
    next_date = np.where(has_next, due + offsets[np.minimum(nxt, len(ladder) - 1)] * day, np.datetime64("NaT"))
    nxt = np.where(has_next, nxt, len(ladder))

    open_amount = p["open_amount"].to_numpy(dtype=float)
    weight = age_weight(days)
    if late_probability is not None:
        probability = _probabilities(p["invoice_id"], late_probability)
        loss = loss_rate(days, threshold_days, recovery_curve)
        expected = np.round(open_amount * probability * loss, 2)
        priority, rule = expected, RULE_EXPECTED_LOSS
    else:
        probability = loss = expected = np.full(len(p), np.nan)
        priority, rule = np.round(open_amount * weight, 2), RULE_AGE_WEIGHT
    out = pd.DataFrame({
        "customer_id": p["customer_id"].to_numpy(),
        "customer_name": p["customer_name"].to_numpy(),
        "invoice_id": p["invoice_id"].to_numpy(),
        "invoice_date": (pd.to_datetime(p["invoice_date"]).to_numpy(dtype="datetime64[us]") if "invoice_date" in p
                         else np.full(len(p), np.datetime64("NaT"), dtype="datetime64[us]")),
        "due_date": due,
        "open_amount": open_amount,
        "days_past_due": days,
        "disputed": disputed,
        "stage": np.where(disputed, DISPUTE_LABEL, labels[stage]),
        "stage_date": pd.to_datetime(stage_date),
        "next_step": labels[nxt],
        "next_date": pd.to_datetime(next_date),
        "letter": np.where(disputed, None, letters[stage]),
        "age_weight": weight,
        "late_probability": probability,
        "loss_rate": loss,
        "expected_loss": expected,
        "priority": priority,
        "stage_key": np.where(disputed, DISPUTE_KEY, keys[stage]),
        "next_key": keys[nxt],
        "stage_order": np.where(disputed, -1, stage).astype("int64"),
    })
    for column in ("stage", "next_step", "letter", "stage_key", "next_key"):
        out[column] = out[column].astype("string")
    out = out.sort_values(["priority", "days_past_due", "invoice_id"], ascending=[False, False, True],
                          ignore_index=True)
    out.attrs["as_of"] = pd.Timestamp(as_of).normalize()
    out.attrs["priority_rule"] = rule
    return out


def customer_worklist(worklist: pd.DataFrame, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer of a :func:`build_worklist` table, highest total priority first.

    ``scores`` (customer_id, score, band[, open_amount]: :attr:`arassess.risk.model.RiskResult.customers`)
    adds the customer's late-payment score and band as ``risk_score`` and ``risk_band``, and its
    whole open balance (the worklist holds only invoices on the ladder) as ``total_open_amount``.

    Columns: customer_id, customer_name, invoices, open_amount, overdue_amount (days past due > 0),
    disputed_amount, oldest_days_past_due, stage, next_step, next_date, letter, expected_loss (sum;
    empty without probabilities), priority (sum), stage_key, next_key, stage_order. Stage, next step and letter are those of the customer's most
    advanced invoice that is not disputed (ties: the earliest next date); a customer whose every
    row is disputed is at "Dispute — resolve first".
    """
    w = worklist
    if not len(w):
        return pd.DataFrame(columns=["customer_id", "customer_name", "invoices", "open_amount", "overdue_amount",
                                     "disputed_amount", "oldest_days_past_due", "stage", "next_step", "next_date",
                                     "letter", "expected_loss", "priority", "stage_key", "next_key",
                                     "stage_order"])
    sums = w.assign(overdue_amount=w["open_amount"].where(w["days_past_due"] > 0, 0.0),
                    disputed_amount=w["open_amount"].where(w["disputed"], 0.0))
    totals = sums.groupby("customer_id", sort=False).agg(
        customer_name=("customer_name", "first"), invoices=("invoice_id", "size"),
        open_amount=("open_amount", "sum"), overdue_amount=("overdue_amount", "sum"),
        disputed_amount=("disputed_amount", "sum"), oldest_days_past_due=("days_past_due", "max"),
        expected_loss=("expected_loss", lambda v: v.sum(min_count=1)), priority=("priority", "sum"))
    lead = (w.sort_values(["stage_order", "next_date"], ascending=[False, True], na_position="last")
            .drop_duplicates("customer_id").set_index("customer_id"))
    cols = ["stage", "next_step", "next_date", "letter", "stage_key", "next_key", "stage_order"]
    out = totals.join(lead[cols]).reset_index()
    out["priority"] = out["priority"].round(2)
    out["expected_loss"] = out["expected_loss"].round(2)
    extra: list[str] = []
    if scores is not None:
        known = scores.drop_duplicates("customer_id").set_index("customer_id")
        out["risk_score"] = out["customer_id"].map(known["score"]).astype(float)
        out["risk_band"] = out["customer_id"].map(known["band"].astype(str)).astype("string")
        extra = ["risk_score", "risk_band"]
        if "open_amount" in known:
            out["total_open_amount"] = out["customer_id"].map(known["open_amount"]).astype(float)
            extra.append("total_open_amount")
    out = out[["customer_id", "customer_name", "invoices", "open_amount", "overdue_amount", "disputed_amount",
               "oldest_days_past_due", "stage", "next_step", "next_date", "letter", "expected_loss", "priority",
               "stage_key", "next_key", "stage_order", *extra]]
    return out.sort_values(["priority", "customer_id"], ascending=[False, True], ignore_index=True)


def neutralise(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula (first character = + - @, tab, CR or LF)
    gets a leading apostrophe, which stays visible as part of the text; anything else is
    returned unchanged. ``"=SUM(A1)"`` → ``"'=SUM(A1)"``, ``-2`` (a number) → ``-2``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# --- Excel -------------------------------------------------------------------------------------

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
#: (column, header, kind, width): kind is text, money, date, int, number, percent or flag.
WORKLIST_SHEET = (
    ("priority", "Priority", "number", 12), ("customer_id", "Customer ID", "text", 14),
    ("customer_name", "Customer", "text", 32), ("invoice_id", "Invoice", "text", 16),
    ("invoice_date", "Invoice date", "date", 12), ("due_date", "Due date", "date", 12),
    ("open_amount", "Open amount", "money", 14), ("days_past_due", "Days past due", "int", 10),
    ("disputed", "Disputed", "flag", 9), ("stage", "Stage today", "text", 26),
    ("stage_date", "Stage date", "date", 12), ("next_step", "Next step", "text", 30),
    ("next_date", "Next date", "date", 12), ("late_probability", "P(paid late)", "percent", 11),
    ("expected_loss", "Expected loss", "money", 14),
)
CUSTOMER_SHEET = (
    ("priority", "Priority", "number", 12), ("customer_id", "Customer ID", "text", 14),
    ("customer_name", "Customer", "text", 32), ("invoices", "Invoices", "int", 9),
    ("open_amount", "Open on the worklist", "money", 14), ("total_open_amount", "Total open", "money", 14),
    ("overdue_amount", "Overdue amount", "money", 14),
    ("disputed_amount", "Disputed amount", "money", 14), ("oldest_days_past_due", "Oldest (days past due)", "int", 12),
    ("stage", "Stage today", "text", 26), ("next_step", "Next step", "text", 30),
    ("next_date", "Next date", "date", 12), ("expected_loss", "Expected loss", "money", 14),
    ("risk_score", "Late-payment score", "percent", 11), ("risk_band", "Risk band", "text", 10),
)
NOTES_SHEET = (("term", "Term", "text", 24), ("meaning", "What it means", "text", 110))


def notes_rows(worklist: pd.DataFrame) -> pd.DataFrame:
    """The "Notes" sheet: how the list is ordered and what the risk columns mean (those shown)."""
    rule = worklist.attrs.get("priority_rule", "")
    rows = [("Priority", f"The list is ordered by {rule}." if rule else "The list is ordered by priority, highest first.")]
    if "late_probability" in worklist and worklist["late_probability"].notna().any():
        rows += [
            ("P(paid late)", "Probability that the invoice is paid more than the risk threshold (30 days by default) "
                             "after its due date, from the late-payment risk model of the assessment (notebook 01); "
                             "100% for an invoice already that late."),
            ("Expected loss", "Open amount × P(paid late) × (1 − share still recoverable at the invoice's age, on the "
                              "recovery curve of the cost model). A measure for ranking the work: what waiting could "
                              "cost. It is not the write-off forecast of the assessment (expected write-off from roll "
                              "rates), which estimates bad debt from the client's own history."),
            ("Late-payment score", "Customer sheet: the share of the customer's whole open balance expected to be "
                                   "paid late; its band is high, medium or low."),
            ("Open on the worklist", "Customer sheet: the customer's invoices on the escalation ladder (due within "
                                     "five days or overdue); Total open: its whole open balance."),
        ]
    return pd.DataFrame(rows, columns=["term", "meaning"])


LADDER_SHEET = (
    ("label", "Step", "text", 32), ("offset_days", "Days from due date", "int", 12),
    ("channel", "Channel", "text", 18), ("letter", "Letter template", "text", 20),
)


def _column_values(values: pd.Series, kind: str) -> list[Any]:
    """A column as values the Excel writer takes, vectorized: missing → None, dates as datetimes,
    flags as yes/no, numbers as floats or ints, texts cleaned of characters XML cannot hold and
    neutralised (:func:`neutralise`)."""
    missing = values.isna().to_numpy()
    if kind == "date":
        out = pd.to_datetime(values).dt.to_pydatetime().tolist() if len(values) else []
    elif kind == "flag":
        out = np.where(values.fillna(False).astype(bool).to_numpy(), "yes", "no").tolist()
    elif kind == "int":
        out = pd.to_numeric(values, errors="coerce").fillna(0).astype(np.int64).tolist()
    elif kind in ("money", "number", "percent"):
        out = pd.to_numeric(values, errors="coerce").astype(float).tolist()
    else:
        text = values.astype(object).where(~pd.Series(missing, index=values.index), "").astype(str)
        text = text.str.replace(ILLEGAL_XML, "", regex=True)
        starts = text.str.startswith(FORMULA_STARTS)
        out = text.where(~starts, "'" + text).tolist()
    return [None if m else v for v, m in zip(out, missing)]


#: Characters an XML file (and so a workbook) cannot hold.
ILLEGAL_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
NUMBER_FORMATS = {"money": MONEY_FORMAT, "number": "#,##0.00", "date": DATE_FORMAT, "int": "0", "percent": "0%"}


def _fill_sheet(book: Any, name: str, frame: pd.DataFrame, spec: Iterable[tuple[str, str, str, int]],
                currency: str | None) -> None:
    """One sheet of ``book`` (an XlsxWriter workbook): bold header, column widths and number formats,
    the values column by column, frozen header row and filters."""
    ws = book.add_worksheet(name)
    bold = book.add_format({"bold": True})
    columns = [c for c in spec if c[0] in frame.columns
               and not (c[0] in RISK_COLUMNS and frame[c[0]].isna().all())]
    for j, (column, header, kind, width) in enumerate(columns):
        text = f"{header} ({currency})" if currency and kind == "money" else header
        ws.write_string(0, j, str(neutralise(text)), bold)
        fmt = book.add_format({"num_format": NUMBER_FORMATS[kind]}) if kind in NUMBER_FORMATS else None
        ws.set_column(j, j, width, fmt)
        for i, value in enumerate(_column_values(frame[column].reset_index(drop=True), kind), start=1):
            if value is None:
                continue
            if kind == "date":
                ws.write_datetime(i, j, value, fmt)
            elif isinstance(value, str):
                ws.write_string(i, j, value, fmt)
            else:
                ws.write_number(i, j, value, fmt)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(frame), max(len(columns), 1) - 1)


def write_worklist_xlsx(worklist: pd.DataFrame, path: str | Path, customers: pd.DataFrame | None = None,
                        *, ladder: tuple[Step, ...] | None = None, currency: str | None = None) -> Path:
    """Write the worklist to a new Excel file: sheet "Worklist" (one row per invoice), sheet
    "Customers" (:func:`customer_worklist` unless given), when ``ladder`` is given sheet "Ladder",
    and sheet "Notes" (:func:`notes_rows`: the order and the risk columns explained). Bold frozen
    header, filters, money and date formats, column widths; every text cell passes
    :func:`neutralise` and is written as text (never as a formula or link). Written with XlsxWriter
    (a writer only, several times faster than openpyxl on thousands of rows). Raises
    FileExistsError when ``path`` exists (never overwritten)."""
    import xlsxwriter

    target = Path(path)
    if target.exists():
        raise OverwriteError(f"{target} already exists; the worklist is never written over an earlier one. "
                              "Choose a new file name or move the old file away.")
    try:
        handle = target.open("xb")
    except FileExistsError:
        raise OverwriteError(f"{target} already exists; the worklist is never written over an earlier one.") from None
    try:
        with handle:
            book = xlsxwriter.Workbook(handle, {"strings_to_formulas": False, "strings_to_urls": False,
                                                "strings_to_numbers": False})
            _fill_sheet(book, "Worklist", worklist, WORKLIST_SHEET, currency)
            _fill_sheet(book, "Customers", customer_worklist(worklist) if customers is None else customers,
                        CUSTOMER_SHEET, currency)
            if ladder is not None:
                _fill_sheet(book, "Ladder", pd.DataFrame(ladder_rows(ladder)), LADDER_SHEET, None)
            _fill_sheet(book, "Notes", notes_rows(worklist), NOTES_SHEET, None)
            as_of = worklist.attrs.get("as_of")
            if isinstance(as_of, (pd.Timestamp, dt.date)):
                book.set_properties({"title": f"Collections worklist {pd.Timestamp(as_of):%Y-%m-%d}"})
            book.close()
    except BaseException:
        target.unlink(missing_ok=True)  # our own half-written file
        raise
    return target
