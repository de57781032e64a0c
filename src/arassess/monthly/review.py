"""The monthly review (notebook 05, docs/process.md): this month's KPI snapshot against last month and
against each goal's glide path, what moved, the month's roll rates and the plan's due actions.

:func:`review` loads a client folder once, records the month's snapshot in the history store
(:mod:`arassess.monthly.store`, idempotent) and returns a :class:`MonthlyReview` holding data only; the
report sections are :mod:`arassess.monthly.sections`. Pieces, each a pure function:

- :func:`month_end`: "2026-10" → 2026-10-31.
- :func:`snapshot_at` / :func:`backfill_snapshots`: point-in-time KPIs, aging and control totals
  at month-ends — one :func:`arassess.kpi.engine.compute_kpis` call for any number of months, so a
  backfill equals the single months exactly. KPI values are stored rounded to
  :data:`STORE_DECIMALS` decimals: the engine's cumulative sums differ in the last bits
  (~1e-13) depending on which other dates they were computed with; rounding makes a snapshot
  independent of that.
- :func:`goal_status`: on track / at risk / off track (the rule is in its docstring).
- :func:`overdue_changes`, :func:`new_over_90`, :func:`reached_handoff`: what moved.
- :func:`actions_due`: the plan's actions due this month or late.

A ledger can be reviewed at any month-end its data reaches (an entry dated in the month or later);
an open-items export only in the month it was taken, at its export date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from arassess.assessment.case import Assessment, assess, load
from arassess.config.client import CONFIG_FILE, ClientConfig
from arassess.config.escalation import HANDOFF, find_step, handoff_day_of, ladder_from_config
from arassess.costs.case import load_case
from arassess.display.format import format_value
from arassess.errors import ArgumentError, MonthError
from arassess.forecast.model import CashForecast, cash_events, open_book, received
from arassess.forecast.model import forecast as cash_forecast
from arassess.forecast.newsales import received_new
from arassess.goals.model import Goal, glide_path, glide_paths
from arassess.goals.targets import goal_set
from arassess.inputs.checksums import checksums
from arassess.kpi.engine import compute_kpis, months_before
from arassess.kpi.measures import OVER_90_DAYS
from arassess.kpi.open_items import customer_table, open_invoices
from arassess.kpi.registry import KPIS
from arassess.kpi.registry import get as get_kpi
from arassess.kpi.rollrates import roll_rate_table
from arassess.ledger.balances import MONEY_EPSILON, NEVER, day_number, overdue_by_customer, timeline_of, to_days
from arassess.ledger.model import Ledger
from arassess.monthly.store import DEFAULT_STORE, TOTAL_COLUMNS, HistoryStore, Snapshot
from arassess.paths import resolve_client_dir
from arassess.plan.case import PlanCase, risk_worklist
from arassess.plan.roadmap import action_plan
from arassess.plan.store import ACTIONS_FILE, CLOSED, ActionStatus, read_action_log
from arassess.plan.worklist import customer_worklist

STORE_DECIMALS = 6     # KPI values and aging amounts as stored (see the module docstring)
AT_RISK_SHARE = 0.25   # goal_status: behind plan by at most this share of the planned improvement
WORSE_MONTHS = 2       # goal_status: worse this many months in a row while behind plan → off track
TOLERANCE = 1e-9       # goal_status comparisons absorb float noise of the glide path
TOP_MOVERS = 10        # overdue_changes: customers shown
HISTORY_MONTHS = 12    # review: months of history filled in from the ledger when the store lacks them
ROLL_MONTHS_SHOWN = 6  # review: the month's roll rates and the five months before
STATUSES = ("on track", "at risk", "off track", "deadline passed", "no data", "not started")
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


# --- months -------------------------------------------------------------------------------

def month_end(month: str | pd.Timestamp | dt.date) -> pd.Timestamp:
    """The last day of ``month``: "2026-10" → 2026-10-31 (also "2026-10-31", a date or a Timestamp,
    whose month is taken). MonthError (a ValueError) naming the value otherwise."""
    if isinstance(month, (pd.Timestamp, dt.date)):
        if pd.isna(month):
            raise MonthError("month is empty; write it as YYYY-MM, e.g. 2026-10")
        return pd.Timestamp(month).normalize() + pd.offsets.MonthEnd(0)
    if not isinstance(month, str):
        raise MonthError(f"month must be written YYYY-MM (e.g. 2026-10), got {month!r}")
    found = _MONTH.match(month.strip())
    if not found:
        raise MonthError(f"month must be written YYYY-MM (e.g. 2026-10), got {month!r}")
    year, number, day = int(found[1]), int(found[2]), found[3]
    if not 1 <= number <= 12:
        raise MonthError(f"month {month!r}: the month must be 01 to 12")
    if not 1900 <= year <= 2200:
        raise MonthError(f"month {month!r}: the year must be between 1900 and 2200")
    end = pd.Timestamp(year=year, month=number, day=1) + pd.offsets.MonthEnd(0)
    if day is not None and int(day) != end.day:
        raise MonthError(f"month {month!r} is a date inside the month; write the month as {end:%Y-%m} "
                         f"(reviews are at month-ends, here {end:%Y-%m-%d})")
    return end


def previous_month_end(end: pd.Timestamp) -> pd.Timestamp:
    """The month-end one calendar month before the month-end ``end`` (31 Mar → 28/29 Feb)."""
    return months_before(pd.Timestamp(end), 1)


def data_days(ledger: Ledger) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first invoice date and the latest dated entry (invoice, payment, write-off, paid date)."""
    tl = timeline_of(ledger)
    dated = tl.ev_day[tl.ev_day < NEVER]
    if not len(tl.inv_day) or not len(dated):
        raise MonthError(f"{ledger.name or 'the ledger'} holds no dated invoices")
    first, last = (pd.Timestamp(np.datetime64(int(d), "D")) for d in (tl.inv_day.min(), dated.max()))
    return first, last


def review_date(ledger: Ledger, end: pd.Timestamp) -> pd.Timestamp:
    """The date the KPIs of month-end ``end`` are computed at: ``end`` for a ledger whose data reaches
    into that month (an entry dated after the month before, and the month not before the first
    invoice); an open-items export's own date for the month it was taken in. MonthError otherwise."""
    end = pd.Timestamp(end).normalize()
    if not end.is_month_end:
        raise MonthError(f"{end:%Y-%m-%d} is not a month-end")
    who = ledger.name or "this client"
    if ledger.shape == "open_items":
        taken = pd.Timestamp(ledger.as_of).normalize()
        if taken + pd.offsets.MonthEnd(0) != end:
            raise MonthError(f"{who} is an open-items export taken on {taken:%Y-%m-%d}: it describes only that day, "
                             f"so only month {taken:%Y-%m} can be reviewed, not {end:%Y-%m}. A full ledger "
                             "(every invoice with its paid date) can be reviewed at any month-end it covers.")
        return taken
    first, last = data_days(ledger)
    if end < first:
        raise MonthError(f"month {end:%Y-%m} ends before {who}'s first invoice ({first:%Y-%m-%d}).")
    if last <= previous_month_end(end):
        raise MonthError(f"{who}'s data ends on {last:%Y-%m-%d}, before month {end:%Y-%m}: load the export "
                         f"that covers {end:%Y-%m} (its latest entry must be dated in the month or later).")
    return end


# --- snapshots ----------------------------------------------------------------------------

def _stored(value: Any) -> float:
    number = float(value)
    return number if np.isnan(number) else round(number, STORE_DECIMALS)


def _control_totals(ledger: Ledger) -> list[dict[str, Any]]:
    frame = ledger.quality.totals_frame()[list(TOTAL_COLUMNS)]  # the columns the store keeps
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _snapshots(config: ClientConfig, ledger: Ledger, ends: Sequence[pd.Timestamp], run_id: str
               ) -> list[Snapshot]:
    """Snapshots at the month-ends ``ends`` from ONE compute_kpis call over all their review dates."""
    ends = [pd.Timestamp(e).normalize() for e in ends]
    dates = [review_date(ledger, e) for e in ends]
    table = compute_kpis(ledger, dates, window_days=config.window_days, aging_edges=config.aging_edges)
    totals = _control_totals(ledger)
    sums = checksums(spec.path for spec in config.files.values())
    out = []
    for end, date in zip(ends, dates):
        kpis = {kpi.key: _stored(table.values.at[date, kpi.key]) for kpi in KPIS}
        aging = {str(label): _stored(v) for label, v in table.aging.loc[date].items()}
        out.append(Snapshot(client=config.slug, month_end=end, kpis=kpis, aging=aging,
                            control_totals=[dict(t) for t in totals], run_id=run_id, input_checksums=dict(sums)))
    return out


def snapshot_at(config: ClientConfig, ledger: Ledger, month_end: pd.Timestamp, run_id: str) -> Snapshot:
    """The snapshot of one month-end: every registry KPI (rounded to STORE_DECIMALS; NaN where
    undefined), AR by aging bucket, the control totals of the load and the input files' sha256,
    computed point-in-time at :func:`review_date` with the client's window and aging edges."""
    return _snapshots(config, ledger, [month_end], run_id)[0]


def backfill_snapshots(config: ClientConfig, ledger: Ledger, first: pd.Timestamp | str,
                       last: pd.Timestamp | str, run_id: str) -> list[Snapshot]:
    """A snapshot for every month-end from ``first``'s month to ``last``'s, with one compute_kpis
    call over all of them (vectorized); each equals :func:`snapshot_at` of its month exactly.
    MonthError when ``first`` is after ``last`` or a month is outside the data."""
    start, stop = month_end(first), month_end(last)
    if start > stop:
        raise MonthError(f"backfill from {start:%Y-%m} to {stop:%Y-%m}: the first month is after the last")
    return _snapshots(config, ledger, list(pd.date_range(start, stop, freq="ME")), run_id)


# --- goal status --------------------------------------------------------------------------

@dataclass(frozen=True)
class GoalStatus:
    """A goal at one month-end: ``status`` (one of STATUSES) and the numbers behind it."""

    key: str
    label: str
    unit: str
    status: str
    reason: str
    actual: float          # the KPI at the month-end (NaN if unknown)
    planned: float         # the glide-path value then (NaN outside the path)
    gap: float             # how far actual is behind planned (> 0 = behind; NaN if unknown)
    tolerance: float       # AT_RISK_SHARE × |target − baseline|
    target: float
    deadline: pd.Timestamp


def _behind(goal: Goal, actual: float, reference: float) -> float:
    """How far ``actual`` is worse than ``reference`` in the goal's direction (negative = better)."""
    return reference - actual if goal.higher_is_better else actual - reference


def _value_at(history: pd.Series, date: pd.Timestamp) -> float:
    value = history.get(date, np.nan)
    return float(value) if value is not None else float("nan")


def goal_status(goal: Goal, history: pd.Series, month_end: pd.Timestamp | str, *,
                as_of: pd.Timestamp | str) -> GoalStatus:
    """The status of ``goal`` at ``month_end``; ``history``: the KPI's values by month-end (e.g. a
    column of :meth:`HistoryStore.kpis`), ``as_of``: the assessment date the goal was set at.

    Rule (t = the month-end, a_t = the actual value, p_t = the glide-path value at t — the
    baseline at the assessment date itself — rounded to STORE_DECIMALS like stored values;
    gap = how far a_t is behind p_t in the goal's direction: p_t − a_t when higher is better,
    a_t − p_t otherwise; tolerance = AT_RISK_SHARE (25 %) of the planned improvement
    |target − baseline|; comparisons to 1e-9):

    - **not started**: t is before the assessment date (the goal did not exist yet);
    - **deadline passed**: t is after the deadline (the reason says whether the value at the last
      month-end on or before the deadline met the target);
    - **no data**: a_t is missing;
    - **on track**: gap ≤ 0 — the actual is at least as good as the glide path;
    - **off track**: gap > tolerance (behind by more than a quarter of the whole planned
      improvement, about three months of a twelve-month path), or behind (gap > 0) and the KPI got
      worse in each of the last WORSE_MONTHS (2) months (a_t worse than a_{t−1}, a_{t−1} worse than
      a_{t−2}, strictly, both months known);
    - **at risk**: otherwise — behind by at most the tolerance and not worsening two months running.

    A goal to hold a level (target = baseline) has no tolerance: any slip is off track.
    """
    t = pd.Timestamp(month_end).normalize()
    start = pd.Timestamp(as_of).normalize()
    values = pd.Series(history, dtype=float)
    values.index = pd.DatetimeIndex(values.index).normalize()
    actual = _value_at(values, t)
    tolerance = AT_RISK_SHARE * abs(goal.target - goal.baseline)
    kpi = get_kpi(goal.key)

    def status(name: str, reason: str, planned: float = np.nan, gap: float = np.nan) -> GoalStatus:
        return GoalStatus(goal.key, goal.label, goal.unit, name, reason, actual, planned, gap, tolerance,
                          goal.target, pd.Timestamp(goal.deadline))

    def text(value: float) -> str:
        return _fmt(value, kpi.unit)

    if t < start:
        return status("not started", f"the goal was set at {start:%Y-%m-%d}, after this month")
    if t > goal.deadline:
        upto = values[(values.index <= goal.deadline)].dropna()
        if not len(upto):
            return status("deadline passed", f"deadline {goal.deadline:%Y-%m-%d} passed; no value known by then")
        last = float(upto.iloc[-1])
        met = _behind(goal, last, goal.target) <= TOLERANCE
        return status("deadline passed", f"deadline {goal.deadline:%Y-%m-%d} passed: {text(last)} at "
                      f"{upto.index[-1]:%Y-%m-%d}, target {text(goal.target)} "
                      + ("reached" if met else "missed"))
    if np.isnan(actual):
        return status("no data", f"no value of {goal.label} at {t:%Y-%m-%d}")
    path = glide_path(goal, start)
    planned = goal.baseline if t == start or not len(path) else float(path.asof(t))
    if np.isnan(planned):  # t before the first step of a path starting mid-month
        planned = goal.baseline
    planned = round(planned, STORE_DECIMALS)  # as precise as the stored actual values
    gap = _behind(goal, actual, planned)
    if gap <= TOLERANCE:
        return status("on track", f"{text(actual)}, at least as good as the plan's {text(planned)}", planned, gap)
    earlier = [_value_at(values, months_before(t, k)) for k in range(1, WORSE_MONTHS + 1)]
    chain = [actual, *earlier]
    worsening = all(np.isfinite(chain)) and all(_behind(goal, a, b) > TOLERANCE for a, b in zip(chain, chain[1:]))
    behind = f"{text(actual)}, behind the plan's {text(planned)} by {_fmt(gap, kpi.unit)}"
    if gap > tolerance + TOLERANCE:
        return status("off track", f"{behind}, more than the tolerance {_fmt(tolerance, kpi.unit)}",
                      planned, gap)
    if worsening:
        return status("off track", f"{behind} and worse {WORSE_MONTHS} months in a row", planned, gap)
    return status("at risk", f"{behind}, within the tolerance {_fmt(tolerance, kpi.unit)}",
                  planned, gap)


def _fmt(value: float, unit: str) -> str:

    return format_value(value, unit, "").strip()


# --- what moved ---------------------------------------------------------------------------

MOVER_COLUMNS = ["customer_id", "customer_name", "segment", "overdue_before", "overdue_now", "change"]


def overdue_changes(ledger: Ledger, before: pd.Timestamp, now: pd.Timestamp, n: int = TOP_MOVERS) -> pd.DataFrame:
    """The ``n`` customers whose net overdue AR (due before the date; a customer whose credits
    exceed its debts owes 0, as in the top-10 KPI) changed most between ``before`` and ``now``.

    Columns: MOVER_COLUMNS, change = overdue_now − overdue_before (rounded to cents); customers
    whose change is under half a cent are left out. Sorted by |change|, largest first (ties by
    customer_id)."""
    days = to_days(pd.DatetimeIndex([pd.Timestamp(before), pd.Timestamp(now)]))
    tl = timeline_of(ledger)
    owed = np.round(np.maximum(overdue_by_customer(tl, days), 0.0), 2)
    frame = pd.DataFrame({"customer_id": tl.customer_ids, "overdue_before": owed[:, 0], "overdue_now": owed[:, 1]})
    frame["change"] = np.round(frame["overdue_now"] - frame["overdue_before"], 2)
    frame = frame[frame["change"].abs() > MONEY_EPSILON]
    names = customer_table(ledger)
    frame["customer_name"] = frame["customer_id"].map(names["customer_name"])
    frame["segment"] = frame["customer_id"].map(names["segment"])
    frame = frame.assign(size=frame["change"].abs()).sort_values(["size", "customer_id"], ascending=[False, True],
                                                                 kind="stable")
    return frame.head(n)[MOVER_COLUMNS].reset_index(drop=True)


def _over_90_by_customer(positions: pd.DataFrame) -> pd.Series:
    old = positions[positions["days_past_due"] > OVER_90_DAYS]
    return old.groupby("customer_id")["open_amount"].sum()


def new_over_90(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Customers with a net balance more than 90 days past due at ``now`` and none before.

    ``before`` and ``now``: :func:`arassess.kpi.open_items.open_invoices` at the two month-ends. Columns:
    customer_id, customer_name, segment, over_90 (net open amount > 90 days past due), invoices
    (of them with a positive balance), oldest_days_past_due; largest over_90 first."""
    was = _over_90_by_customer(before)
    is_ = _over_90_by_customer(now)
    new = is_[(is_ > MONEY_EPSILON) & ~(was.reindex(is_.index).fillna(0.0) > MONEY_EPSILON)]
    rows = now[now["customer_id"].isin(new.index) & (now["days_past_due"] > OVER_90_DAYS) & (now["open_amount"] > 0)]
    grouped = rows.groupby("customer_id")
    out = pd.DataFrame({"customer_name": grouped["customer_name"].first(), "segment": grouped["segment"].first(),
                        "over_90": new.round(2), "invoices": grouped.size(),
                        "oldest_days_past_due": grouped["days_past_due"].max()}).reset_index()
    out = out.astype({"invoices": "int64", "oldest_days_past_due": "int64"})
    return out.sort_values(["over_90", "customer_id"], ascending=[False, True], ignore_index=True)


def reached_handoff(now: pd.DataFrame, before: pd.Timestamp, date: pd.Timestamp, handoff_day: int | None
                    ) -> pd.DataFrame:
    """Invoices still open at ``date`` whose age reached the hand-off day D in the month: due date
    + D in (``before``, ``date``]. ``now``: the positions at ``date``. Columns: customer_id,
    customer_name, invoice_id, due_date, handoff_date, open_amount, days_past_due; largest first.
    Empty when there is no hand-off (in-house)."""
    columns = ["customer_id", "customer_name", "invoice_id", "due_date", "handoff_date", "open_amount",
               "days_past_due"]
    if handoff_day is None:
        return pd.DataFrame(columns=columns)
    handoff = pd.to_datetime(now["due_date"]) + pd.Timedelta(days=int(handoff_day))
    hit = (handoff > pd.Timestamp(before)) & (handoff <= pd.Timestamp(date)) & (now["open_amount"] > 0)
    out = now.loc[hit].assign(handoff_date=handoff[hit])[columns]
    return out.sort_values(["open_amount", "invoice_id"], ascending=[False, True], ignore_index=True)


# --- actions ------------------------------------------------------------------------------

def actions_due(plan: pd.DataFrame, month_end: pd.Timestamp | str,
                log: Mapping[str, ActionStatus] | None = None) -> pd.DataFrame:
    """The plan's actions due by the month ending ``month_end``, and any action the client's action
    log (actions.yaml) records as done or dropped by then. Status: "done" / "dropped" from the log
    (dated on or before ``month_end``), else "late" (due ≤ the previous month-end), else "due this
    month" (previous month-end < due ≤ month_end). Columns: id, title, owner, start, due, status,
    days_late (month_end − due for late ones, else 0), logged (the log's date), note (the log's
    note: a dropped action's reason); late first, then due this month, done and dropped, by due."""
    end = pd.Timestamp(month_end).normalize()
    before = previous_month_end(end)
    log = {k: v for k, v in (log or {}).items() if v.status in CLOSED and v.date is not None and v.date <= end}
    due = pd.to_datetime(plan["due"])
    rows = plan.loc[(due <= end) | plan["id"].isin(list(log)), ["id", "title", "owner", "start", "due"]].copy()
    late = pd.to_datetime(rows["due"]) <= before
    closed = rows["id"].map(lambda i: log[i].status if i in log else "")
    rows["status"] = np.where(closed != "", closed, np.where(late, "late", "due this month"))
    rows["days_late"] = np.where(rows["status"] == "late", (end - pd.to_datetime(rows["due"])).dt.days, 0
                                 ).astype("int64")
    rows["logged"] = pd.to_datetime(rows["id"].map(lambda i: log[i].date if i in log else pd.NaT))
    rows["note"] = rows["id"].map(lambda i: log[i].note if i in log else "")
    order = rows["status"].map({"late": 0, "due this month": 1, "done": 2, "dropped": 3})
    return (rows.assign(_order=order).sort_values(["_order", "days_late", "due", "id"],
                                                  ascending=[True, False, True, True], ignore_index=True)
            .drop(columns="_order"))


# --- goals --------------------------------------------------------------------------------

def review_goals(a: Assessment, folder: Path) -> tuple[tuple[Goal, ...], tuple[str, ...]]:
    """The client's goals at the assessment ``a`` (:func:`arassess.goals.targets.goal_set`); when that
    fails only because a goal's deadline is not after the assessment date, the goals are kept
    (shown as "deadline passed") with a note. Any other goal problem raises its ConfigError."""
    found = goal_set(a, folder, keep_past_deadlines=True)
    return found.goals, found.notes


# --- the review ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthlyReview:
    """Everything notebook 05 shows, as data (see :func:`review`)."""

    config: ClientConfig
    ledger: Ledger
    month_end: pd.Timestamp
    previous: pd.Timestamp            # the month-end before
    date: pd.Timestamp                # the KPIs' date: month_end, or an open-items export's date
    baseline: pd.Timestamp            # the assessment date the goals and the plan were set at
    snapshot: Snapshot                # this month's (recorded in the store when ``recorded``)
    recorded: bool
    scorecard: pd.DataFrame           # see :func:`month_scorecard`
    history: pd.DataFrame             # KPIs by month-end up to month_end: the store, plus `filled`
    aging_history: pd.DataFrame       # AR by aging bucket by month-end, the same months
    filled: tuple[pd.Timestamp, ...]  # months the store lacked, computed from the ledger (not stored)
    goals: tuple[Goal, ...]
    goal_notes: tuple[str, ...]
    statuses: tuple[GoalStatus, ...]
    glide: pd.DataFrame               # glide_paths(goals, baseline)
    movers: pd.DataFrame | None       # overdue_changes (None for open items)
    new_over_90: pd.DataFrame | None  # new_over_90 (None for open items)
    handoff_day: int | None           # the ladder's hand-off day D (None: in-house)
    handoff: pd.DataFrame             # reached_handoff
    rolls: pd.DataFrame | None        # roll rates of the month and the 5 before (None for open items)
    actions: pd.DataFrame             # actions_due
    plan_case: Any                    # arassess.plan.case.PlanCase with the worklist at ``date``
    forecast: CashForecast            # the cash forecast made at ``date`` (stored with the snapshot)
    forecast_check: pd.DataFrame      # forecast_check: every stored forecast week that has ended, against the actual
    action_notes: tuple[str, ...] = ()  # problems with the action log (ids not in the plan)

    @property
    def client(self) -> str:
        return self.config.name

    @property
    def currency(self) -> str:
        return self.config.currency


def month_scorecard(snapshot: Snapshot, last: pd.Series | None, statuses: Iterable[GoalStatus]) -> pd.DataFrame:
    """Every registry KPI this month against last month and its goal. Columns: key, kpi, unit,
    better ("higher" / "lower" / ""), value, last_month, change (value − last_month), trend
    ("better" / "worse" / "unchanged" in the KPI's direction; "" without one or a value), then
    for goal KPIs: target, planned (glide-path value) and status (:func:`goal_status`)."""
    by_key = {s.key: s for s in statuses}
    rows = []
    for kpi in KPIS:
        value = float(snapshot.kpis.get(kpi.key, np.nan))
        before = float(last.get(kpi.key, np.nan)) if last is not None else float("nan")
        change = value - before
        trend = ""
        if kpi.higher_is_better is not None and np.isfinite(change):
            better = change > 0 if kpi.higher_is_better else change < 0
            trend = "unchanged" if abs(change) <= TOLERANCE else ("better" if better else "worse")
        s = by_key.get(kpi.key)
        rows.append({"key": kpi.key, "kpi": kpi.label, "unit": kpi.unit,
                     "better": "" if kpi.higher_is_better is None else ("higher" if kpi.higher_is_better else "lower"),
                     "value": value, "last_month": before, "change": change, "trend": trend,
                     "target": s.target if s else np.nan, "planned": s.planned if s else np.nan,
                     "status": s.status if s else ""})
    return pd.DataFrame(rows)


def _frames(snapshots: Sequence[Snapshot]) -> tuple[pd.DataFrame, pd.DataFrame]:
    index = pd.DatetimeIndex([s.month_end for s in snapshots], name="month_end")
    return (pd.DataFrame([dict(s.kpis) for s in snapshots], index=index, dtype=float),
            pd.DataFrame([dict(s.aging) for s in snapshots], index=index, dtype=float))


def _history(store: HistoryStore | None, config: ClientConfig, ledger: Ledger, snap: Snapshot
             ) -> tuple[pd.DataFrame, pd.DataFrame, tuple[pd.Timestamp, ...]]:
    """The store's KPIs and aging up to the snapshot's month (the snapshot itself included), with the
    HISTORY_MONTHS month-ends the store lacks computed from a ledger (one compute_kpis call)."""
    end = snap.month_end
    kpis, aging = (store.kpis(config.slug, end=end), store.aging(config.slug, end=end)) if store is not None \
        else (pd.DataFrame(), pd.DataFrame())
    own_kpis, own_aging = _frames([snap])
    kpis = pd.concat([kpis.drop(index=[end], errors="ignore"), own_kpis])
    aging = pd.concat([aging.drop(index=[end], errors="ignore"), own_aging])
    filled: list[pd.Timestamp] = []
    if ledger.shape == "ledger":
        first, _ = data_days(ledger)
        wanted = [months_before(end, k) for k in range(HISTORY_MONTHS - 1, 0, -1)]
        filled = [m for m in wanted if m >= first and m not in kpis.index]
        if filled:
            more_kpis, more_aging = _frames(_snapshots(config, ledger, filled, run_id=""))
            kpis, aging = pd.concat([kpis, more_kpis]), pd.concat([aging, more_aging])
    kpis.index, aging.index = (pd.DatetimeIndex(f.index, name="month_end") for f in (kpis, aging))
    return kpis.sort_index().astype(float), aging.sort_index().astype(float), tuple(filled)


NEW_SALES_MARK = " + new sales"  # a stored week's method ends so when it included invoices not yet issued


def forecast_rows(f: CashForecast) -> list[dict[str, Any]]:
    """The weeks of a cash forecast as the history store keeps them (monthly.store.FORECAST_COLUMNS);
    a forecast with new sales marks its method (NEW_SALES_MARK), so its check counts their cash too."""
    mark = NEW_SALES_MARK if f.new_sales.get("included") else ""
    return [{"week": int(w.week), "start": f"{w.start:%Y-%m-%d}", "expected": float(w.expected),
             "low": float(w.low), "high": float(w.high), "method": str(w.method) + mark} for w in f.weeks.itertuples()]


FORECAST_CHECK_COLUMNS = ["month_end", "week", "start", "end", "forecast", "actual"]


def forecast_check(stored: pd.DataFrame, ledger: Ledger, date: pd.Timestamp) -> pd.DataFrame:
    """Stored forecasts (HistoryStore.forecasts) against what came in: for every stored week that
    ended by ``date``, the cash the invoices open at the forecast's date (the day before its first
    week) actually paid in that week, plus — for a forecast that included new sales — the cash from
    the invoices issued after that day. Empty for an open-items export (no payments to compare with)."""
    if not len(stored) or ledger.shape != "ledger":
        return pd.DataFrame(columns=FORECAST_CHECK_COLUMNS)
    events = cash_events(ledger)
    frames = []
    for month, weeks in stored.groupby("month_end"):
        weeks = weeks.assign(end=weeks["start"] + pd.Timedelta(days=6))
        done = weeks[weeks["end"] <= date]
        if not len(done):
            continue
        day = day_number(weeks["start"].min()) - 1
        got = received(events, open_book(ledger, day), day, weeks=int(done["week"].max()))
        if weeks["method"].astype(str).str.endswith(NEW_SALES_MARK).any():
            got = got + received_new(ledger, events, day, int(done["week"].max()))
        frames.append(pd.DataFrame({"month_end": month, "week": done["week"].astype(int).to_numpy(),
                                    "start": done["start"].to_numpy(), "end": done["end"].to_numpy(),
                                    "forecast": done["expected"].to_numpy(),
                                    "actual": got[done["week"].astype(int).to_numpy() - 1]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FORECAST_CHECK_COLUMNS)


def default_store(client_dir: str | Path, workspace: str | Path = "", store: str | Path = "") -> Path:
    """The history store of a client: ``store`` when given, else ``<workspace>/history.sqlite``,
    the workspace defaulting to the client folder's parent."""
    if store:
        return Path(store)
    root = Path(workspace) if workspace else resolve_client_dir(client_dir).resolve().parent
    return root / DEFAULT_STORE


def review(client_dir: str | Path, month: str | pd.Timestamp, store: HistoryStore | None, *,
           record: bool = True, as_of: str | pd.Timestamp | None = None, run_id: str | None = None
           ) -> MonthlyReview:
    """The monthly review of ``client_dir`` for ``month`` ("YYYY-MM").

    Records the month's snapshot in ``store`` first (``record``; re-running a month replaces its
    snapshot only). Goals, cost case (the hand-off day D) and action plan are those of the
    assessment at ``as_of`` (default: client.yaml's as_of), the date the goals were set — the plan
    is scheduled from that date too, so its due dates stay fixed month after month and an action
    not done in time shows as late (scheduling from today would move every action into the
    future). The worklist is rebuilt at the month's date with the same ladder.
    ``store`` None (with ``record`` False) reviews from the ledger alone.
    """

    if record and store is None:
        raise ArgumentError("record=True needs a history store")
    folder = resolve_client_dir(client_dir)
    config, ledger = loaded = load(folder)
    end = month_end(month)
    date = review_date(ledger, end)
    run = run_id or f"monthly-{end:%Y-%m}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    this_forecast = cash_forecast(ledger, date, config.currency, include_new_sales=config.include_new_sales)
    snap = replace(snapshot_at(config, ledger, end, run), forecast=forecast_rows(this_forecast))
    stored = store.forecasts(config.slug, end=previous_month_end(end)) if store is not None else pd.DataFrame()
    if record:
        store.write(snap)
    history, aging, filled = _history(store, config, ledger, snap)
    baseline = pd.Timestamp(as_of or config.as_of or ledger.as_of).normalize()
    if ledger.shape == "open_items" and baseline != date:
        raise MonthError(f"an open-items export describes only {date:%Y-%m-%d}; its goals and plan are set at that "
                         f"date, not {baseline:%Y-%m-%d}")
    base = assess(folder, baseline, loaded=loaded)
    goals, notes = review_goals(base, folder)
    statuses = tuple(goal_status(g, history[g.key] if g.key in history else pd.Series(dtype=float), end,
                                 as_of=baseline) for g in goals)
    case, _ = load_case(folder, f"{baseline:%Y-%m-%d}", loaded=loaded)
    ladder = ladder_from_config(config.escalation, handoff_day_of(case), folder / CONFIG_FILE)
    step = find_step(ladder, HANDOFF)
    plan = action_plan(base, case, goals, planned_on=baseline)
    log = read_action_log(folder)
    now = base if date == baseline else assess(folder, date, loaded=loaded)
    work = risk_worklist(now, ladder, case.assumptions.recovery_curve)
    previous = previous_month_end(end)
    last = history.loc[previous] if previous in history.index else None
    history_ledger = ledger.shape == "ledger"
    return MonthlyReview(
        config=config, ledger=ledger, month_end=end, previous=previous, date=date, baseline=baseline,
        snapshot=snap, recorded=record, scorecard=month_scorecard(snap, last, statuses), history=history,
        aging_history=aging, filled=filled, goals=goals, goal_notes=notes, statuses=statuses,
        glide=glide_paths(goals, baseline),
        movers=overdue_changes(ledger, previous, end) if history_ledger else None,
        new_over_90=new_over_90(open_invoices(ledger, previous, config.aging_edges), now.positions)
        if history_ledger else None,
        handoff_day=step.offset_days if step is not None else None,
        handoff=reached_handoff(now.positions, previous, date, step.offset_days if step is not None else None),
        rolls=roll_rate_table(ledger, end, months=ROLL_MONTHS_SHOWN) if history_ledger else None,
        actions=actions_due(plan, end, log),
        action_notes=tuple(f"{ACTIONS_FILE} names {action!r}, which is not an action of the plan (its ids: "
                           f"{', '.join(plan['id'])}); it is ignored." for action in log if action not in set(plan["id"])),
        plan_case=PlanCase(now, case, goals, plan, ladder, work, customer_worklist(work, now.risk.customers if now.risk.available else None)),
        forecast=this_forecast, forecast_check=forecast_check(stored, ledger, date),
    )


__all__ = ["GoalStatus", "MonthError", "MonthlyReview", "STATUSES", "actions_due", "backfill_snapshots",
           "default_store", "forecast_check", "forecast_rows", "goal_status", "month_end", "new_over_90", "overdue_changes", "reached_handoff",
           "review", "snapshot_at"]
