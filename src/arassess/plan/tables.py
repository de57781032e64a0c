"""The plan wing's tables, each built once as a labelled frame: notebook 04 (and its dashboard) and
the client report's plan chapter show these frames.

Each table's columns are written once as key → (consultant label, client label); a column a reader
does not get has no label (``None``) for that audience, and ``{cur}`` stands for the currency. The
consultant sees dates as dates (the notebook writes them YYYY-MM-DD); the client report writes them
as '24 Nov 2026'.
"""

from __future__ import annotations

from typing import Any, Callable, Literal, Mapping

import pandas as pd

from arassess.config.escalation import Step
from arassess.display.format import day_text
from arassess.errors import ArgumentError
from arassess.plan.store import ActionStatus

Audience = Literal["consultant", "client"]
AUDIENCES: tuple[str, ...] = ("consultant", "client")
Labels = Mapping[str, tuple[str | None, str | None]]

#: The action plan (arassess.plan.roadmap.action_plan), in reading order.
PLAN_LABELS: dict[str, tuple[str | None, str | None]] = {
    "title": ("Action", "Action"),
    "area_label": ("Area", None),
    "owner": ("Owner", "Owner"),
    "effort": ("Effort", None),
    "impact": ("Impact", None),
    "priority": ("Priority", None),
    "start": ("Start", "Start"),
    "due": ("Due", "Due"),
    "reason": ("Why", "Why"),
    "effect": ("Expected effect", None),
}

#: The escalation ladder (arassess.config.escalation.Step), in reading order.
LADDER_LABELS: dict[str, tuple[str | None, str | None]] = {
    "key": ("Key (client.yaml)", None),
    "label": ("Step", "Step"),
    "offset": ("Days from due date", "Days from due date"),
    "channel": ("Channel", "Channel"),
    "letter": ("Letter", None),
}

#: The customers to chase first (arassess.plan.worklist.customer_worklist), in reading order.
CUSTOMER_LABELS: dict[str, tuple[str | None, str | None]] = {
    "customer_name": ("Customer", "Customer"),
    "customer_id": ("Customer id", None),
    "invoices": ("Invoices", None),
    "open_amount": ("Open ({cur})", None),
    "overdue_amount": ("Overdue ({cur})", "Overdue ({cur})"),
    "disputed_amount": ("Disputed ({cur})", None),
    "oldest_days_past_due": ("Oldest (days)", "Oldest (days)"),
    "expected_loss": ("Expected loss ({cur})", "Expected loss ({cur})"),
    "risk_score": ("Risk score", None),
    "risk_band": ("Risk band", "Risk band"),
    "stage": ("Stage today", "Stage today"),
    "next_step": ("Next step", "Next step"),
    "next_date": ("Next date", "Next date"),
    "letter": ("Letter", None),
    "priority": ("Priority", None),
}
CUSTOMERS_SHOWN = 10  # customers listed to call first
DATE_COLUMNS = ("start", "due", "next_date")
MONEY_COLUMNS = ("open_amount", "overdue_amount", "disputed_amount", "expected_loss")


def labels(columns: Labels, audience: Audience, currency: str = "") -> dict[str, str]:
    """Column key → label for ``audience``, the columns it does not get left out."""
    if audience not in AUDIENCES:
        raise ArgumentError(f"unknown audience {audience!r}; valid: {', '.join(AUDIENCES)}")
    at = AUDIENCES.index(audience)
    return {key: pair[at].format(cur=currency) for key, pair in columns.items() if pair[at] is not None}


def _framed(values: Mapping[str, Callable[[], Any]], chosen: dict[str, str]) -> pd.DataFrame:
    """A frame of the chosen columns (key → label), each value computed only when shown."""
    return pd.DataFrame({label: pd.Series(values[key]()).to_numpy() for key, label in chosen.items()})


def _dates(series: pd.Series, audience: Audience) -> pd.Series:
    return series.map(day_text) if audience == "client" else series


def plan_table(plan: pd.DataFrame, audience: Audience = "consultant") -> pd.DataFrame:
    """The action plan for reading: titled columns, area labels; dates as dates for the consultant
    and as '24 Nov 2026' for the client."""
    values = {key: (lambda key=key: plan[key]) for key in PLAN_LABELS}
    values["priority"] = lambda: plan["priority"].astype(float)
    values["start"] = lambda: _dates(plan["start"], audience)
    values["due"] = lambda: _dates(plan["due"], audience)
    return _framed(values, labels(PLAN_LABELS, audience))


def offset_text(days: int) -> str:
    """Days from the due date with their sign: '-3', '0', '+14'."""
    return f"{days:+d}" if days else "0"


def ladder_table(ladder: tuple[Step, ...], audience: Audience = "consultant") -> pd.DataFrame:
    """The escalation ladder, one row per step: its label, days from the due date ('+14'), channel;
    for the consultant also the step's key in client.yaml and its letter template."""
    values: dict[str, Callable[[], Any]] = {
        "key": lambda: [s.key for s in ladder],
        "label": lambda: [s.label for s in ladder],
        "offset": lambda: [offset_text(s.offset_days) for s in ladder],
        "channel": lambda: [s.channel for s in ladder],
        "letter": lambda: [s.letter or "" for s in ladder],
    }
    return _framed(values, labels(LADDER_LABELS, audience))


def customers_table(customers: pd.DataFrame, currency: str, audience: Audience = "consultant",
                    n: int = CUSTOMERS_SHOWN) -> pd.DataFrame:
    """The first ``n`` customers to chase (the worklist's customer summary, in its order). Columns
    with no value for any of them are left out (no risk scores: no expected loss, no band); amounts
    and the (money-weighted) priority in whole units; a missing risk band reads '—' for the client."""
    c = customers.head(n)
    chosen = {key: label for key, label in labels(CUSTOMER_LABELS, audience, currency).items()
              if key in c.columns and not c[key].isna().all()}
    values: dict[str, Callable[[], Any]] = {key: (lambda key=key: c[key]) for key in chosen}
    for key in set(MONEY_COLUMNS + ("priority",)) & set(chosen):  # the priority is money-weighted too
        values[key] = lambda key=key: c[key].astype(float).round(0)
    if "oldest_days_past_due" in chosen:
        values["oldest_days_past_due"] = lambda: c["oldest_days_past_due"].astype(int)
    if "next_date" in chosen:
        values["next_date"] = lambda: _dates(c["next_date"], audience)
    if "risk_band" in chosen and audience == "client":
        values["risk_band"] = lambda: c["risk_band"].astype("object").fillna("—")
    return _framed(values, chosen)


NOT_RECORDED = "not recorded yet"


def status_table(plan: pd.DataFrame, log: Mapping[str, ActionStatus]) -> pd.DataFrame:
    """Each action of the plan with what the action log (actions.yaml) records: its status, since
    when and the note ('not recorded yet' for an action the log does not name), in the plan's order."""
    entries = [log.get(str(a)) for a in plan["id"]]
    return pd.DataFrame({
        "Action": plan["title"].to_numpy(), "Id": plan["id"].to_numpy(), "Due": plan["due"].to_numpy(),
        "Status": [e.status if e else NOT_RECORDED for e in entries],
        "Since": [e.date if e and e.date is not None else pd.NaT for e in entries],
        "Note": [e.note if e else "" for e in entries],
    })
