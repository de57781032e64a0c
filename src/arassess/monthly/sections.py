"""Notebook 05 "Monthly review": report sections, charts, the summary and the report files.

Each section builder returns typed neutral items (:mod:`arassess.display.items`: ``Text``,
``Bullets``, ``Table``, ``Figure``) from a :class:`arassess.monthly.review.MonthlyReview`;
:func:`section` renders them for the notebook and :func:`chapters` as the blocks of the HTML report,
so the notebook and the report show the same items.
:func:`write_outputs` writes ``monthly_summary.json``, ``monthly_report.html`` (+ ``.pdf``) and,
through :func:`arassess.plan.case.write_outputs`, the updated worklist and letters.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import textwrap
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from IPython.display import Markdown
from matplotlib.figure import Figure as MplFigure

from arassess import __version__
from arassess.config.client import load_config
from arassess.costs.case import answer_sentence
from arassess.display.cards import Card, cards
from arassess.display.format import change_text, format_value, money_text
from arassess.display.items import Bullets, Figure, Item, SectionRegistry, Table, Text, block, literal, md, shown
from arassess.display.style import (
    BLUE,
    DEFAULT_COLORS,
    GREEN,
    GREY,
    ORANGE,
    SMALL,
    TITLE,
    VERMILLION,
    bucket_colours,
    legend_below,
    money_axis,
    new_figure,
    no_data_figure,
    shared_legend_below,
    style_axes,
)
from arassess.errors import ArgumentError, MonthError, ReportError
from arassess.forecast.charts import forecast_chart
from arassess.forecast.model import wape
from arassess.monthly.review import AT_RISK_SHARE, WORSE_MONTHS, MonthlyReview, default_store, review
from arassess.monthly.store import HistoryStore
from arassess.paths import resolve_client_dir
from arassess.plan.case import write_outputs as write_plan_outputs
from arassess.plan.store import ACTIONS_FILE
from arassess.report.client import PAPERS, REPORT_DIR, css_string, logo_data_uri, write_pdf

SUMMARY_FILE = "monthly_summary.json"
REPORT_HTML = "monthly_report.html"
REPORT_PDF = "monthly_report.pdf"
TREND_MONTHS = 24          # months of history drawn
PANEL_COLUMNS = 3
PANEL_HEIGHT = 2.9         # inches per row of goal panels
STATUS_COLOURS = {"on track": GREEN, "at risk": ORANGE, "off track": VERMILLION}
UNIT_LABELS = {"days": "days", "%": "%", "x": "×"}
HANDOFF_ROWS = 20          # invoices listed that reached the hand-off day (largest first)



# --- loading ------------------------------------------------------------------------------

def default_month(client_dir: str | Path) -> str:
    """The month of the client's as_of (client.yaml), as YYYY-MM."""

    config = load_config(resolve_client_dir(client_dir))
    if config.as_of is None:
        raise MonthError(f"{config.root / 'client.yaml'} has no as_of: name the month to review (YYYY-MM)")
    return f"{config.as_of:%Y-%m}"


def load_review(client_dir: str | Path, month: str = "", workspace: str = "", store: str = "", as_of: str = "",
                output_dir: str = "") -> tuple[MonthlyReview, dict[str, Any] | None]:
    """What notebook 05 runs: the review of ``month`` (default: the month of client.yaml's as_of)
    with the history store of :func:`arassess.monthly.review.default_store`, and its outputs.

    With ``output_dir`` the month's snapshot is recorded and the files of :func:`write_outputs`
    are written there; without it nothing is written anywhere (an existing store is only read)."""

    path = default_store(client_dir, workspace, store)
    record = bool(output_dir)
    history = HistoryStore(path) if record or path.is_file() else None
    run_id = Path(output_dir).name if output_dir else None
    r = review(client_dir, month or default_month(client_dir), history, record=record, as_of=as_of or None,
               run_id=run_id)
    return r, (write_outputs(r, output_dir) if output_dir else None)


# --- charts -------------------------------------------------------------------------------

def _goal_panel(ax, r: MonthlyReview, status) -> None:
    goal = next(g for g in r.goals if g.key == status.key)
    first = r.month_end - pd.DateOffset(months=TREND_MONTHS)
    actual = r.history[goal.key].dropna() if goal.key in r.history else pd.Series(dtype=float)
    actual = actual[actual.index > first]
    if len(actual):
        ax.plot(actual.index, actual.to_numpy(), color=BLUE, marker="o", markersize=3, linewidth=1.6,
                label="Actual (history store)")
    path = r.glide[goal.key].dropna() if goal.key in r.glide else pd.Series(dtype=float)
    ax.plot([r.baseline, *path.index], [goal.baseline, *path.to_numpy()], color=GREY, linestyle="--",
            linewidth=1.4, label="Glide path")
    ax.scatter([goal.deadline], [goal.target], color=GREEN, marker="D", s=40, zorder=4, label="Target")
    ax.axvline(r.month_end, color=GREY, linestyle=":", linewidth=1.0)
    if np.isfinite(status.actual):
        colour = STATUS_COLOURS.get(status.status, GREY)
        ax.scatter([r.month_end], [status.actual], color=colour, s=70, zorder=5, edgecolor="white",
                   label="This month")
    unit = r.currency if goal.unit == "currency" else UNIT_LABELS.get(goal.unit, goal.unit)
    style_axes(ax, textwrap.fill(f"{goal.label}: {status.status}", 30), ylabel=unit)
    ax.title.set_fontsize(SMALL + 1)
    ax.title.set_color(STATUS_COLOURS.get(status.status, "black"))
    if goal.unit == "currency":
        money_axis(ax.yaxis, r.currency)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(labelsize=SMALL)
    ax.margins(y=0.2)


def goal_trend_chart(r: MonthlyReview) -> MplFigure:
    """One panel per goal: the KPI by month-end from the history store (last 24 months), the glide
    path from the baseline to the target, the reviewed month coloured by its status."""
    title = f"Goals at {r.month_end:%B %Y}: actual against the glide path"
    if not r.goals:
        return no_data_figure(title, "no goals are set")
    columns = min(len(r.goals), PANEL_COLUMNS)
    rows = math.ceil(len(r.goals) / columns)
    fig = new_figure(height=0.9 + PANEL_HEIGHT * rows)
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, status in zip(axes.flat, r.statuses):
        _goal_panel(ax, r, status)
    for ax in list(axes.flat)[len(r.goals):]:
        ax.set_axis_off()
    fig.suptitle(title, x=0.01, ha="left", fontsize=TITLE)
    shared_legend_below(fig, axes.flat)
    return fig


def aging_trend_chart(aging: pd.DataFrame, currency: str, months: int = TREND_MONTHS) -> MplFigure:
    """AR by aging bucket at each month-end (stacked bars), the last ``months`` months."""
    title = "Receivables by age at each month-end"
    data = aging.dropna(how="all").tail(months)
    if not len(data):
        return no_data_figure(title, "no month-end in the history")
    fig = new_figure()
    ax = fig.add_subplot()
    bottom = np.zeros(len(data))
    width = 20 if len(data) > 1 else 10
    for label, colour in zip(data.columns, bucket_colours(list(data.columns))):
        values = data[label].fillna(0.0).to_numpy(dtype=float)
        ax.bar(data.index, values, bottom=bottom, width=width, color=colour, label=str(label))
        bottom += values
    money_axis(ax.yaxis, currency)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    style_axes(ax, title, "Month-end", f"AR ({currency})")
    legend_below(fig, ncols=len(data.columns))
    return fig


# --- sections (neutral items) -------------------------------------------------------------

def _value(v: float, unit: str, currency: str) -> str:
    return format_value(v, unit, currency) if v is not None and np.isfinite(v) else "n/a"


def scorecard_items(r: MonthlyReview) -> list[Item]:
    card, cur = r.scorecard, r.currency
    last = r.previous
    source = "the history store" if last not in r.filled else "the ledger (not in the store)"
    shown = pd.DataFrame({
        "KPI": card["kpi"],
        f"{r.month_end:%b %Y}": [_value(v, u, cur) for v, u in zip(card["value"], card["unit"])],
        f"{last:%b %Y}": [_value(v, u, cur) for v, u in zip(card["last_month"], card["unit"])],
        "Change": [change_text(v, u, cur) for v, u in zip(card["change"], card["unit"])],
        "Trend": card["trend"], "Goal status": card["status"],
    })
    at = "" if r.date == r.month_end else f" (the export's date {r.date:%Y-%m-%d})"
    recorded = "recorded in the history store" if r.recorded else "not recorded (no output folder)"
    return [Text(f"KPIs at {r.month_end:%d %B %Y}{at}, window {r.config.window_days} days, amounts in {cur}, "
                     f"against {last:%d %B %Y} from {source}. This month's snapshot is {recorded}."),
            Table(shown, False)]


def goals_items(r: MonthlyReview) -> list[Item]:
    if not r.goals:
        return [Text("No goals are set, so there is nothing to track.")]
    rows = pd.DataFrame({
        "KPI": [s.label for s in r.statuses],
        "Actual": [_value(s.actual, s.unit, r.currency) for s in r.statuses],
        "Plan this month": [_value(s.planned, s.unit, r.currency) for s in r.statuses],
        "Target": [_value(s.target, s.unit, r.currency) for s in r.statuses],
        "Deadline": pd.to_datetime([s.deadline for s in r.statuses]),
        "Status": [s.status for s in r.statuses],
        "Why": [s.reason for s in r.statuses],
    })
    items: list[Item] = [
        Text(f"Goals set at {r.baseline:%d %B %Y}; the glide path steps in equal parts from the baseline to the "
                 "target by the deadline."),
        Table(rows, False),
        Bullets(["On track: the actual is at least as good as the glide path this month.",
                  f"At risk: behind the glide path by at most {AT_RISK_SHARE:.0%} of the planned improvement "
                  "(target − baseline), and not worse two months running.",
                  f"Off track: behind by more than that, or behind and worse {WORSE_MONTHS} months in a row.",
                  "Deadline passed: the month is after the goal's deadline; not started: the month is before the "
                  "goals were set."])]
    if r.goal_notes:
        items.append(Bullets(list(r.goal_notes)))
    return items


def trends_items(r: MonthlyReview) -> list[Item]:
    stored = len(r.history) - len(r.filled)
    items: list[Item] = [Text(f"{len(r.history)} month-end(s) of history up to {r.month_end:%B %Y}, {stored} "
                                  "of them from the history store.")]
    if r.filled:
        items.append(Text(f"{len(r.filled)} month(s) missing from the store were computed from the ledger "
                              f"({r.filled[0]:%Y-%m} to {r.filled[-1]:%Y-%m}); backfill them with "
                              "`arassess monthly CLIENT --backfill FROM TO`."))
    return items + [Figure(goal_trend_chart(r), "Each goal: actual by month-end and its glide path"),
                    Figure(aging_trend_chart(r.aging_history, r.currency), "Receivables by age, month by month")]


def _customer_table(frame: pd.DataFrame, columns: dict[str, str], cur: str) -> pd.DataFrame:
    out = frame[list(columns)].rename(columns=columns)
    for label in out.columns:
        if f"({cur})" in label:
            out[label] = out[label].astype(float)
    return out


def moved_items(r: MonthlyReview) -> list[Item]:
    cur = r.currency
    items: list[Item] = []
    if r.movers is None:
        items.append(Text("Changes by customer need last month's balances, which an open-items export lacks."))
    elif not len(r.movers):
        items.append(Text(f"No customer's overdue balance changed since {r.previous:%d %B %Y}."))
    else:
        items += [Text(f"Largest changes in overdue AR by customer since {r.previous:%d %B %Y}:"),
                  Table(_customer_table(r.movers, {
                      "customer_name": "Customer", "segment": "Segment", "overdue_before": f"Before ({cur})",
                      "overdue_now": f"Now ({cur})", "change": f"Change ({cur})"}, cur), False)]
    if r.new_over_90 is not None:
        if len(r.new_over_90):
            items += [Text(f"{len(r.new_over_90)} account(s) newly more than 90 days past due, "
                               f"{money_text(r.new_over_90['over_90'].sum(), cur)}:"),
                      Table(_customer_table(r.new_over_90, {
                          "customer_name": "Customer", "segment": "Segment", "over_90": f"Over 90 days ({cur})",
                          "invoices": "Invoices", "oldest_days_past_due": "Oldest (days)"}, cur), False)]
        else:
            items.append(Text("No account became more than 90 days past due this month."))
    why = answer_sentence(r.plan_case.case)
    if r.handoff_day is None:
        items.append(Text(f"No agency hand-off: the recommendation is to keep collections in-house. {why}"))
    elif len(r.handoff):
        shown = "" if len(r.handoff) <= HANDOFF_ROWS else f" (the {HANDOFF_ROWS} largest shown)"
        items += [Text(f"{why} {len(r.handoff)} invoice(s) of {r.handoff['customer_id'].nunique()} account(s) "
                           f"reached the agency hand-off day ({r.handoff_day} days past due) this month, "
                           f"{money_text(r.handoff['open_amount'].sum(), cur)} open{shown}:"),
                  Table(_customer_table(r.handoff.head(HANDOFF_ROWS), {
                      "customer_name": "Customer", "invoice_id": "Invoice", "due_date": "Due",
                      "handoff_date": "Hand-off day", "open_amount": f"Open ({cur})",
                      "days_past_due": "Days past due"}, cur), False)]
    else:
        items.append(Text(f"{why} No open invoice reached the hand-off day ({r.handoff_day} days past due) this "
                              "month."))
    return items


def cash_items(r: MonthlyReview) -> list[Item]:
    """Last month's cash forecast against what came in, week by week, the running accuracy of every
    forecast kept in the store, and this month's forecast (its chart)."""
    cur, check = r.currency, r.forecast_check
    last = check[check["month_end"] == r.previous] if len(check) else check
    items: list[Item] = []
    if r.ledger.shape != "ledger":
        items.append(Text("Forecasts can be checked against receipts only with payment history; an open-items "
                          "export has none."))
    elif not len(last):
        items.append(Text(f"No forecast was recorded at {r.previous:%d %B %Y}: the history store keeps each month's "
                          "forecast from the first monthly review on, and compares it here the month after."))
    else:
        shown = pd.DataFrame({
            "Week": last["week"].astype(int).to_numpy(),
            "From": pd.to_datetime(last["start"]).to_numpy(), "To": pd.to_datetime(last["end"]).to_numpy(),
            f"Forecast ({cur})": last["forecast"].astype(float).round(0).to_numpy(),
            f"Received ({cur})": last["actual"].astype(float).round(0).to_numpy(),
            f"Difference ({cur})": (last["actual"] - last["forecast"]).astype(float).round(0).to_numpy(),
        })
        got, said = float(last["actual"].sum()), float(last["forecast"].sum())
        items += [Text(f"The forecast made at {r.previous:%d %B %Y} against what its open invoices paid, for the "
                       f"{len(last)} week(s) that have ended: {money_text(said, cur)} expected, "
                       f"{money_text(got, cur)} received."), Table(shown)]
    if len(check):
        months = check["month_end"].nunique()
        items.append(Text(f"Running accuracy: over {len(check)} forecast week(s) of {months} month(s) kept in the "
                          f"store, WAPE {wape(check['actual'], check['forecast']):.0%} "
                          "(the weekly error as a share of the cash received)."))
    f = r.forecast
    items += [Text(f"This month's forecast (kept in the store for next month's check): "
                   f"{money_text(float(f.weeks['expected'].head(4).sum()), cur)} expected in the next 4 weeks and "
                   f"{money_text(float(f.weeks['expected'].sum()), cur)} in 13. {f.reason}"),
              Figure(forecast_chart(f), "Expected receipts by week, next 13 weeks")]
    return items


def rolls_items(r: MonthlyReview) -> list[Item]:
    if r.rolls is None or not len(r.rolls):
        return [Text("Roll rates need month-end balances from a full ledger; an open-items export has one date.")]
    table = r.rolls.T.map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
    table.columns = [f"{d:%b %Y}" for d in r.rolls.index]
    table.index.name = "Transition"
    return [Text(f"Share of each aging bucket at the month-end before that moved one bucket older by the "
                     f"month-end (the last column is {r.month_end:%B %Y}); 120+ → written off: write-offs of the "
                     "month over the 120+ balance."),
            Table(table, True)]


def actions_items(r: MonthlyReview) -> list[Item]:
    """The plan's actions due or late, and those the action log (actions.yaml) records as done or
    dropped: done against planned, a dropped action with its reason."""
    a = r.actions
    if not len(a):
        return [Text(f"No action of the plan (made {r.baseline:%d %B %Y}) is due by {r.month_end:%d %B %Y}."),
                *([Bullets(literal(n) for n in r.action_notes)] if r.action_notes else [])]
    count = a["status"].value_counts()
    late, now, done, dropped = (int(count.get(k, 0)) for k in ("late", "due this month", "done", "dropped"))
    planned = int((pd.to_datetime(a["due"]) <= r.month_end).sum())
    shown = pd.DataFrame({"Action": a["title"], "Owner": a["owner"], "Due": a["due"], "Status": a["status"],
                          "Days late": a["days_late"], "Done or dropped on": a["logged"], "Note": a["note"]})
    shown = shown.loc[:, ~shown.isna().all() & ~(shown.astype(str) == "").all()]
    items: list[Item] = [
        Text(f"{done} of {planned} action(s) due by {r.month_end:%d %B %Y} done, {dropped} dropped; {late} late "
             f"(due before the month) and {now} due this month, from the plan made {r.baseline:%d %B %Y}. "
             f"Status comes from the client's action log ({ACTIONS_FILE}: `arassess action CLIENT ID --status done`); "
             "an action not in it is open."),
        Table(shown, False, left=("Action", "Owner", "Status", "Note"))]
    for row in a[a["status"] == "dropped"].itertuples():
        items.append(Text(f"Dropped on {row.logged:%d %B %Y}: {literal(row.title)} — {literal(row.note)}"))
    if r.action_notes:
        items.append(Bullets(literal(n) for n in r.action_notes))
    return items


def worklist_items(r: MonthlyReview, written: dict[str, Any] | None = None) -> list[Item]:
    pc = r.plan_case
    rule = pc.worklist.attrs.get("priority_rule", "priority")
    items: list[Item] = [Text(f"The worklist at {r.date:%d %B %Y}: {len(pc.worklist):,} invoices of "
                                  f"{len(pc.customers):,} customers to chase, ordered by {rule}.")]
    if len(pc.customers):
        top = pc.customers.head(10)
        shown = pd.DataFrame({
            "Customer": top["customer_name"], f"Overdue ({r.currency})": top["overdue_amount"].astype(float),
            "Oldest (days)": top["oldest_days_past_due"], "Stage": top["stage"], "Next step": top["next_step"],
            "Next date": top["next_date"]})
        if top["expected_loss"].notna().any():
            shown[f"Expected loss ({r.currency})"] = top["expected_loss"].astype(float)
        if "risk_band" in top:
            shown["Risk band"] = top["risk_band"].fillna("")
        items.append(Table(shown, False, money=(f"Overdue ({r.currency})", f"Expected loss ({r.currency})")))
    if written is None:
        items.append(Text("worklist.xlsx and the letters are written when the notebook runs with an output "
                              "folder."))
    else:
        items.append(Text(f"The full worklist is in {Path(written['worklist']).name}; "
                              f"{len(written['letters'])} letter and e-mail file(s) are in letters/."))
    return items


def outputs_text(written: dict[str, Any] | None) -> Markdown:
    """What :func:`write_outputs` wrote (for the notebook's last cell)."""
    if written is None:
        return md("Nothing written: run with an output folder (`arassess monthly`) to record the month in the "
                        "history store and write the report, the worklist and the letters.")
    names = [Path(written[k]).name for k in ("summary", "html", "pdf", "worklist") if written.get(k)]
    lines = [f"Written: {', '.join(names)} and {len(written['letters'])} file(s) in letters/."]
    if written.get("pdf_note"):
        lines.append(written["pdf_note"])
    return md(" ".join(lines))


SECTIONS = SectionRegistry(
    ("scorecard", "This month against last month", scorecard_items),
    ("goals", "Goals: on track?", goals_items),
    ("trends", "Trends", trends_items),
    ("moved", "What moved", moved_items),
    ("cash", "Cash: forecast against what came in", cash_items),
    ("rolls", "Roll rates of the month", rolls_items),
    ("actions", "Actions due or late", actions_items),
    ("worklist", "Worklist", worklist_items),  # built with the files written (see items)
)
SECTION_TITLES = SECTIONS.titles  # numbered from the order above


def items(r: MonthlyReview, name: str, written: dict[str, Any] | None = None) -> list[Item]:
    """The neutral items of section ``name`` (ValueError listing the valid names)."""
    return SECTIONS[name](r, written) if name == "worklist" else SECTIONS[name](r)


def section(r: MonthlyReview, name: str, written: dict[str, Any] | None = None) -> list[Any]:
    """The notebook display items of section ``name``, headed by its title."""
    found = items(r, name, written)
    return [md(f"## {SECTION_TITLES[name]}"), *(shown(i) for i in found)]


def title(r: MonthlyReview) -> Markdown:
    return md(f"# {literal(r.client)}: monthly review, {r.month_end:%B %Y}")


#: A goal's status on its card: the card's colour, and the words with a mark (never colour alone).
CARD_STATUS = {"on track": ("good", "✔ on track"), "at risk": ("neutral", "! at risk"),
               "off track": ("bad", "✖ off track")}


def headline_cards(r: MonthlyReview) -> list[Card]:
    """Each goal at the month-end as the report's cards: the KPI's value, the goal and where its
    glide path stands now, and the status in words (on track, at risk, off track, …)."""
    out = []
    for st in r.statuses:
        def value(x: float) -> str:
            return format_value(x, st.unit, r.currency) if x == x else "n/a"

        planned = f"; planned now {value(st.planned)}" if st.planned == st.planned else ""
        colour, words = CARD_STATUS.get(st.status, ("neutral", st.status))
        out.append(Card(st.label, value(st.actual), note=f"goal {value(st.target)} by {st.deadline:%d %B %Y}{planned}",
                        status=colour, status_text=words, key=st.key))
    return out


def headline(r: MonthlyReview) -> Any:
    """:func:`headline_cards` to display under the title (notebook 05 and its dashboard); nothing
    when no goal is set."""
    return cards(headline_cards(r)) if r.statuses else md("")


# --- summary ------------------------------------------------------------------------------

def _num(x: Any) -> float | None:
    return None if x is None or not np.isfinite(float(x)) else float(x)


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    """A frame as JSON-ready rows: dates 'YYYY-MM-DD' (a missing one None), numbers as numbers."""
    if frame is None:
        return None
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (None if v is pd.NaT else f"{v:%Y-%m-%d}" if isinstance(v, (pd.Timestamp, dt.date)) else
                        _num(v) if isinstance(v, (float, np.floating)) else
                        int(v) if isinstance(v, (np.integer,)) else v) for k, v in row.items()})
    return out


def summary(r: MonthlyReview) -> dict[str, Any]:
    """Key figures as JSON-ready data (what tests and later runs read back)."""
    card = r.scorecard
    statuses = [{"key": s.key, "label": s.label, "status": s.status, "reason": s.reason, "actual": _num(s.actual),
                 "planned": _num(s.planned), "gap": _num(s.gap), "tolerance": _num(s.tolerance),
                 "target": _num(s.target), "deadline": f"{s.deadline:%Y-%m-%d}"} for s in r.statuses]
    rolls = None if r.rolls is None or not len(r.rolls) else \
        {str(k): _num(v) for k, v in r.rolls.iloc[-1].items()}
    return {
        "client": r.client, "slug": r.config.slug, "month": f"{r.month_end:%Y-%m}",
        "month_end": f"{r.month_end:%Y-%m-%d}", "date": f"{r.date:%Y-%m-%d}", "previous": f"{r.previous:%Y-%m-%d}",
        "baseline": f"{r.baseline:%Y-%m-%d}", "currency": r.currency, "shape": r.ledger.shape,
        "recorded": r.recorded, "run_id": r.snapshot.run_id,
        "kpis": {k: _num(v) for k, v in zip(card["key"], card["value"])},
        "last_month": {k: _num(v) for k, v in zip(card["key"], card["last_month"])},
        "aging": {k: _num(v) for k, v in r.snapshot.aging.items()},
        "goals": statuses, "goal_notes": list(r.goal_notes),
        "history_months": [f"{d:%Y-%m-%d}" for d in r.history.index],
        "filled_from_ledger": [f"{d:%Y-%m-%d}" for d in r.filled],
        "movers": _records(r.movers), "new_over_90": _records(r.new_over_90),
        "handoff_day": r.handoff_day, "strategy": r.plan_case.case.strategy,
        "strategy_sentence": answer_sentence(r.plan_case.case), "reached_handoff": _records(r.handoff),
        "roll_rates": rolls, "actions": _records(r.actions),
        "control_totals": [dict(t) for t in r.snapshot.control_totals],
        "input_checksums": dict(r.snapshot.input_checksums),
        "forecast": r.forecast.summary(),
        "forecast_check": _records(r.forecast_check),
    }


def write_summary(r: MonthlyReview, output_dir: str | Path) -> Path:
    """``monthly_summary.json`` in ``output_dir`` (never over an existing file)."""
    target = Path(output_dir) / SUMMARY_FILE
    with target.open("x", encoding="utf-8") as handle:
        json.dump(summary(r), handle, indent=2, default=str)
    return target


# --- the HTML / PDF report ----------------------------------------------------------------

def chapters(r: MonthlyReview, written: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The report's chapters: one per section, its items as report blocks."""
    return [{"key": name, "title": SECTION_TITLES[name].split(". ", 1)[1],
             "blocks": [block(i) for i in items(r, name, written)]} for name in SECTIONS]


def render_html(r: MonthlyReview, paper: str = "A4", now: dt.datetime | None = None,
                written: dict[str, Any] | None = None) -> str:
    """The monthly report as one self-contained HTML document (templates/report/monthly.html.j2,
    the assessment report's stylesheet; autoescaped)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    if paper not in PAPERS:
        raise ArgumentError(f"paper {paper!r}: expected one of {', '.join(PAPERS)}")
    env = Environment(loader=FileSystemLoader(REPORT_DIR), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined)
    parts = chapters(r, written)
    for chapter in parts:
        for block in chapter["blocks"]:
            if block["kind"] == "table":
                block["html"] = Markup(block["html"])  # built from escaped cells
    branding = r.config.branding or {}
    month = f"{r.month_end:%B %Y}"
    return env.get_template("monthly.html.j2").render(
        client=r.client, month=month, as_of=f"{r.date:%Y-%m-%d}", baseline=f"{r.baseline:%d %B %Y}",
        prepared_for=branding.get("prepared_for") or r.client, consultant=branding.get("consultant") or "—",
        primary_color=branding.get("primary_color", DEFAULT_COLORS["primary_color"]),
        accent_color=branding.get("accent_color", DEFAULT_COLORS["accent_color"]),
        logo=logo_data_uri(branding, r.config.root), generated=f"{(now or dt.datetime.now()):%d %B %Y}",
        css=Markup((REPORT_DIR / "report.css").read_text(encoding="utf-8")), paper=paper, chapters=parts,
        version=__version__, footer_css=Markup(css_string(f"{r.client} — monthly review {month}")))


def write_outputs(r: MonthlyReview, output_dir: str | Path, *, paper: str = "A4", pdf: bool = True
                  ) -> dict[str, Any]:
    """Into ``output_dir`` (nothing overwritten): worklist.xlsx, letters/ and plan_summary.json
    (:func:`arassess.plan.case.write_outputs`, at the month's date), monthly_report.html, its PDF
    (skipped with a note in ``pdf_note`` when Chromium is missing or fails) and monthly_summary.json.
    Returns the paths: worklist, letters, html, pdf (None when skipped), summary, pdf_note."""

    out = Path(output_dir)
    written: dict[str, Any] = dict(write_plan_outputs(r.plan_case, out))
    written.update(pdf=None, pdf_note="")
    html_path = out / REPORT_HTML
    document = render_html(r, paper, written=written)  # before opening: a failure leaves no empty file
    with html_path.open("x", encoding="utf-8") as handle:
        handle.write(document)
    written["html"] = html_path
    if pdf:
        try:
            written["pdf"] = write_pdf(html_path, out / REPORT_PDF)
        except ReportError as exc:
            written["pdf_note"] = f"No PDF: {exc}"
    else:
        written["pdf_note"] = "No PDF: not asked for."
    written["summary"] = write_summary(r, out)
    return written


__all__ = ["SECTIONS", "aging_trend_chart", "chapters", "goal_trend_chart", "headline", "headline_cards",
           "load_review", "outputs_text", "render_html", "section",
           "summary", "title", "write_outputs", "write_summary"]
