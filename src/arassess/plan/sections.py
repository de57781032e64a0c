"""Notebook 04 "Action plan": the plan, its timeline, the escalation ladder, the worklist and
the letters, computed once (:func:`load_plan_case`) and shown as report sections.

The plan follows from the assessment (notebook 01), the cost recommendation and its hand-off
day D (notebook 02) and the goals (notebook 03), all recomputed here from the same library
calls, so the notebooks never read each other's outputs. :func:`write_outputs` writes the
deliverables a collector works from: ``worklist.xlsx`` and ``letters/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown

from arassess.config.escalation import handoff_day_of
from arassess.costs.words import STRATEGY_WORDS, strategy_words
from arassess.display.cards import Card, cards
from arassess.display.format import format_value, money_text
from arassess.display.items import Figure, Item, SectionRegistry, Table, Text, literal, md
from arassess.plan import charts as plancharts
from arassess.plan import tables as plantables
from arassess.plan.case import LETTERS_DIR, WORKLIST_FILE, PlanCase
from arassess.plan.letters import missing_sender_details
from arassess.plan.roadmap import actions_by_area
from arassess.plan.store import ACTIONS_FILE, read_action_log


def plan_section(pc: PlanCase) -> list[Item]:
    if not len(pc.plan):
        return [Text("No action is triggered: no maturity gap, KPI gap or strategy change calls for one.")]
    by_area = actions_by_area(pc.plan)
    return [Text(f"{len(pc.plan)} actions, chosen by the rules of `templates/actions.yaml` from the gaps "
                     f"found; priority = impact / effort. By area: "
                     + ", ".join(f"{area} {n}" for area, n in by_area.items()) + "."),
            Table(plantables.plan_table(pc.plan), left=("Action", "Why", "Expected effect"))]


def status_counts(table: pd.DataFrame) -> str:
    """'2 done, 1 started, 9 not recorded yet' from a status table."""
    counts = table["Status"].value_counts()
    order = ["done", "started", "planned", "dropped", plantables.NOT_RECORDED]
    return ", ".join(f"{int(counts[k])} {k}" for k in order if k in counts)


def status_section(pc: PlanCase) -> list[Item]:
    """What became of each action, from the client's action log."""
    if not len(pc.plan):
        return [Text("No actions, so nothing to record.")]
    table = plantables.status_table(pc.plan, read_action_log(pc.assessment.config.root))
    return [Text(f"Recorded in `{ACTIONS_FILE}` of the client folder (the action-plan dashboard's form, "
                 f"`arassess action`, or by hand): {status_counts(table)}. The monthly review takes done and "
                 "dropped actions off its late list."),
            Table(table, left=("Action", "Id", "Status", "Note"))]


def timeline_section(pc: PlanCase) -> list[Item]:
    if not len(pc.plan):
        return [Text("No actions to schedule.")]
    return [Text("Each action starts the day after the actions it depends on are due."),
            Figure(plancharts.gantt_chart(pc.plan, pc.as_of))]


def escalation_section(pc: PlanCase) -> list[Item]:
    d = handoff_day_of(pc.case)
    handoff = (f"claims still unpaid {d:g} days after their due date go to the agency "
               f"(recommended: {pc.case.strategy.replace('_', '-')})" if d is not None
               else "no agency hand-off: the recommendation is to keep collections in-house")
    return [Text(f"Every open invoice follows this ladder; {handoff}. Configure it under "
                     f"`escalation:` in client.yaml."), Table(plantables.ladder_table(pc.ladder))]


def worklist_section(pc: PlanCase) -> list[Item]:
    if not len(pc.worklist):
        return [Text("Nothing to chase: no open invoice is overdue or close to its due date.")]
    cols = [c for c in ("customer_name", "invoice_id", "due_date", "open_amount", "days_past_due", "stage",
                        "next_step", "next_date", "late_probability", "expected_loss", "priority")
            if c in pc.worklist.columns and not pc.worklist[c].isna().all()]
    return [Text(f"{len(pc.worklist):,} invoices of {len(pc.customers):,} customers, "
                     f"{money_text(pc.worklist['open_amount'].sum(), pc.currency)} open, ordered by "
                     f"{pc.worklist.attrs.get('priority_rule', 'priority')}; the first 20 "
                     f"(the full list goes to {WORKLIST_FILE}):"),
            Table(pc.worklist[cols].head(20), money=("open_amount", "expected_loss", "priority")),
            Text("Customers to call first:"), Table(plantables.customers_table(pc.customers, pc.currency))]


def letters_section(pc: PlanCase, written: list[Path] | None = None) -> list[Item]:
    if written is None:
        return [Text(f"Letters and e-mails are written to `{LETTERS_DIR}/` when the notebook runs with "
                         "an output folder (`arassess run plan` or `arassess assess`).")]
    html = [p for p in written if p.suffix == ".html"]
    kinds = pd.Series([p.stem.split("_", 1)[1] for p in html], dtype="object").value_counts()
    items = [Text(f"{len(html)} letters (each with a plain-text e-mail) written to `{LETTERS_DIR}/`: "
                      + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in kinds.items()) + ".")]
    missing = missing_sender_details(pc.assessment.config)
    if missing:
        items.append(Text("**Before sending:** the letters show placeholders for "
                              + ", ".join(f"`escalation.letters.{k}`" for k in missing)
                              + " — fill them in client.yaml and run again."))
    return items


SECTIONS = SectionRegistry(
    ("plan", "Action plan", plan_section),
    ("status", "Action status", status_section),
    ("timeline", "Timeline", timeline_section),
    ("escalation", "Escalation ladder", escalation_section),
    ("worklist", "Worklist", worklist_section),
    ("letters", "Letters", letters_section),  # built with the letters written (see section)
)
SECTION_TITLES = SECTIONS.titles  # numbered from the order above


def section(pc: PlanCase, name: str, written: list[Path] | None = None) -> list[Any]:
    """The items of section ``name`` (one of SECTIONS), headed by its title; "letters" lists
    ``written``, the letter files of this run."""
    if name == "letters":
        return SECTIONS.titled(pc, name, written)
    return SECTIONS.titled(pc, name)


def title(pc: PlanCase) -> Markdown:
    return md(f"# {literal(pc.assessment.config.name)}: action plan ({pc.as_of:%d %B %Y})")


def headline_cards(pc: PlanCase) -> list[Card]:
    """The plan at a glance, as the report's cards: the actions (quick wins, the first due), the
    worklist (invoices, open amount, customers), the in-house-or-agency answer and the goals."""
    plan, work, cur = pc.plan, pc.worklist, pc.assessment.currency
    quick = int(plan["quick_win"].sum()) if len(plan) else 0
    first = f"; the first due {plan['due'].min():%d %B %Y}" if len(plan) else ""
    out = [Card("Action plan", f"{len(plan):,}", "action" if len(plan) == 1 else "actions",
                f"{quick:,} quick win(s){first}", key="actions"),
           Card("Worklist", f"{len(work):,}", "invoices",
                f"{money_text(work['open_amount'].sum() if len(work) else 0.0, cur)} open at "
                f"{work['customer_id'].nunique() if len(work) else 0:,} customer(s)", key="worklist")]
    strategy = pc.case.strategy
    if strategy in STRATEGY_WORDS:
        out.append(Card("In-house or agency", strategy_words(strategy, "card", handoff_day_of(pc.case)),
                        key="strategy"))
    dso = next((g for g in pc.goals if g.key == "dso"), None)
    note = (f"DSO to {format_value(dso.target, dso.unit, cur)} by {dso.deadline:%d %B %Y}" if dso is not None
            else ", ".join(g.label for g in pc.goals))
    out.append(Card("Goals", f"{len(pc.goals):,}", "goal" if len(pc.goals) == 1 else "goals", note, key="goals"))
    return out


def headline(pc: PlanCase) -> Any:
    """:func:`headline_cards` to display under the title (notebook 04 and its dashboard)."""
    return cards(headline_cards(pc))
