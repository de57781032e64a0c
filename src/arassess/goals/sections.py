"""Notebook 03 (set goals): the goals of one client as data, and the report sections showing them.

:func:`load_goals_case` assesses the client folder and resolves its goals (defaults ← client.yaml
← goals.yaml, :mod:`arassess.goals.targets`); each section returns the items to show (Markdown, tables,
PNG charts as in :mod:`arassess.assessment.sections`), so the same sections serve Papermill and the HTML
export; the Voila dashboard (:mod:`arassess.goals.dashboard`) reuses the tables and the chart.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from IPython.display import Markdown

from arassess.config.client import CONFIG_FILE
from arassess.display.cards import Card
from arassess.display.format import format_value, money_text
from arassess.display.items import Figure, Item, SectionRegistry, Table, Text, literal, md
from arassess.goals.case import GoalsCase
from arassess.goals.cash import cash_effect
from arassess.goals.model import Goal, glide_paths
from arassess.goals.store import GOALS_FILE
from arassess.goals.targets import DEFAULT_HORIZON_MONTHS, DSO_MARGIN_KPI, MODEST_SHARE
from arassess.kpi.registry import get as get_kpi

# --- display tables ------------------------------------------------------------------------------

def display_table(rows: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The goals table as people read it: values in their unit, the step per month signed."""
    def fmt(value: float, unit: str) -> str:
        return format_value(value, unit, currency)

    return pd.DataFrame({
        "KPI": rows["label"],
        "Baseline": [fmt(v, u) for v, u in zip(rows["baseline"], rows["unit"])],
        "Target": [fmt(v, u) for v, u in zip(rows["target"], rows["unit"])],
        "Deadline": [f"{d:%Y-%m-%d}" for d in rows["deadline"]],
        "Owner": rows["owner"],
        "Months": rows["months"].astype(int),
        "Step per month": [f"{v:+,.2f}" for v in rows["monthly_step"]],
        "Set by": rows["source"],
    })


def cash_table(rows: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Freed cash and yearly value per goal (n/a where there is no cash translation)."""
    def money(value: float) -> str:
        return money_text(value, currency)

    return pd.DataFrame({"KPI": rows["label"], "Cash freed (once)": [money(v) for v in rows["freed_cash"]],
                         "Value per year": [money(v) for v in rows["yearly_value"]],
                         "How": rows["cash_text"]})


def goal_cards(case: GoalsCase, goals: Sequence[Goal] | None = None) -> list[Card]:
    """A headline card per goal: the target in its unit, where it starts and by when, the cash it
    frees once reached (when it has a cash translation), and its owner."""
    rows = case.table(case.goals if goals is None else goals)
    out = []
    for r in rows.itertuples(index=False):
        freed = f"; frees {money_text(r.freed_cash, case.currency)}" if pd.notna(r.freed_cash) else ""
        out.append(Card(f"{r.label}: goal", format_value(r.target, r.unit, case.currency),
                        note=f"from {format_value(r.baseline, r.unit, case.currency)} by {r.deadline:%d %B %Y}{freed}",
                        status="neutral", status_text=f"Owner: {r.owner}", key=str(r.key)))
    return out


def path_table(goals: Sequence[Goal], as_of: pd.Timestamp) -> pd.DataFrame:
    """The planned value of each goal at each month-end (rows) by KPI label (columns), as text
    with 1 decimal (blank after a goal's deadline)."""
    paths = glide_paths(goals, as_of)
    labels = {g.key: g.label for g in goals}
    out = paths.rename(columns=labels).map(lambda v: "" if pd.isna(v) else f"{v:,.1f}")
    out.index = [f"{d:%Y-%m-%d}" for d in out.index]
    out.index.name = "Month-end"
    return out


# --- sections --------------------------------------------------------------------------------------

def goals_section(case: GoalsCase) -> list[Item]:
    if not case.goals:
        return [Text("No goal can be set from this data. " + " ".join(literal(n) for n in case.notes))]
    items: list[Item] = [
        Text(f"Goals from the assessment at {case.as_of:%Y-%m-%d}: the baseline is each KPI's value then; "
                 "the target is reached in equal monthly steps by the deadline. “Set by” says where the "
                 f"goal comes from: a default rule, {CONFIG_FILE} (`goals:`) or {GOALS_FILE} (saved from the "
                 "goals dashboard, which wins)."),
        Table(display_table(case.table(), case.currency))]
    if case.notes:
        items.append(Text("\n".join(f"- {literal(n)}" for n in case.notes)))
    return items


def cash_section(case: GoalsCase) -> list[Item]:
    if not case.goals:
        return [Text("No goals, so no cash effect.")]
    b = case.basis
    sales = (f"annual credit sales {money_text(b.annual_credit_sales, case.currency)}" if b.annual_credit_sales
             else "annual credit sales unknown (open items only; set costs: annual_credit_sales in client.yaml)")
    rows = case.table()
    items: list[Item] = [
        Text(f"Cash each goal frees once it is reached, and what that cash is worth each year at the "
                 f"client's {b.rate_label} of {b.rate:.1%} (client.yaml `costs:`); {sales}. A DSO reduction "
                 f"of Δ days frees Δ × annual credit sales / 365. The effects overlap (collecting old debt "
                 "also lowers DSO and raises CEI), so **do not add them up**."),
        Table(cash_table(rows, case.currency))]
    dso = rows.loc[rows["key"] == "dso"]
    if len(dso) and np.isfinite(dso["freed_cash"].iloc[0]):
        r = dso.iloc[0]
        items.append(Text(f"**Headline:** DSO from {r.baseline:.1f} to {r.target:.1f} days frees "
                              f"**{money_text(r.freed_cash, case.currency)}** of cash, worth "
                              f"{money_text(r.yearly_value, case.currency)} a year."))
    return items


def glide_section(case: GoalsCase) -> list[Item]:
    if not case.goals:
        return [Text("No goals, so no glide path.")]
    history = "the last 12 months in grey, " if case.history is not None else ""
    start = (f" from the start of the plan on {case.plan_start:%Y-%m-%d}" if case.plan_start != case.as_of else "")
    return [Text(f"Each goal in its own panel: {history}the baseline at {case.as_of:%Y-%m-%d}, the monthly "
                     f"glide path{start} and the target at the deadline (dotted line)."),
            Figure(case.chart()),
            Text("Planned value at each month-end (the monthly review compares the actual KPI with it):"),
            Table(path_table(case.goals, case.plan_start), index=True)]


def rules_section(case: GoalsCase) -> list[Item]:
    def bench(key: str) -> str:
        chosen = case.assessment.benchmarks.get(key)
        return f"{chosen.value if chosen is not None else get_kpi(key).benchmark:g}"

    return [Text(
        "How default goals are set (each one can be overridden):\n"
        f"- **DSO**: to best possible DSO (BPDSO, the DSO if nobody paid late) + {bench(DSO_MARGIN_KPI)} days, "
        f"the ADD benchmark; without BPDSO, the DSO benchmark of {bench('dso')} days.\n"
        f"- **% of AR over 90 days past due**: to the benchmark of {bench('pct_over_90')}%.\n"
        f"- **CEI**: to the benchmark of {bench('cei')}%.\n"
        f"- A KPI that already meets its benchmark gets a modest goal: {MODEST_SHARE:.0%} of the way from the "
        "baseline to the best possible value (0% over 90, CEI 100%, DSO = BPDSO); one already at the best "
        "value gets none. KPIs the data cannot measure get none.\n"
        f"- Deadline: the month-end {DEFAULT_HORIZON_MONTHS} months after the assessment date; targets are "
        "rounded to 0.1 in the direction of improvement.\n\n"
        f"Override in {CONFIG_FILE}, by KPI key (keys: target, deadline, owner, skip), e.g. "
        "`goals: {dso: {target: 50, deadline: 2027-06-30, owner: Head of credit control}}`. "
        f"The goals dashboard saves to {GOALS_FILE} in the client folder (the previous file is kept as "
        "`goals.<YYYYmmdd-HHMMSS>.yaml`); it overrides client.yaml.")]


SECTIONS = SectionRegistry(
    ("goals", "Goals", goals_section),
    ("cash", "What reaching them is worth", cash_section),
    ("glide", "Glide paths", glide_section),
    ("rules", "How the goals were set", rules_section),
)
SECTION_TITLES = SECTIONS.titles  # numbered from the order above


def section(case: GoalsCase, name: str) -> list[Any]:
    """The items of section ``name`` (one of SECTIONS), headed by its title."""
    return SECTIONS.titled(case, name)


def title(case: GoalsCase) -> Markdown:
    return md(f"# {literal(case.client)}: goals set at {case.as_of:%d %B %Y}")


def goal_cash_text(case: GoalsCase, goal: Goal) -> str:
    """The cash-effect sentence of one goal on the case's cash basis (the dashboard's live text)."""
    b = case.basis
    return cash_effect(goal, b.annual_credit_sales, b.rate, **b.kwargs()).text


__all__ = ["GoalsCase", "SECTIONS", "load_goals_case", "section", "title", "write_summary"]
