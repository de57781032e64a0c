"""Notebook 04 "Action plan": the plan, its timeline, the escalation ladder, the worklist and
the letters, computed once (:func:`load_plan_case`) and shown as report sections.

The plan follows from the assessment (notebook 01), the cost recommendation and its hand-off
day D (notebook 02) and the goals (notebook 03), all recomputed here from the same library
calls, so the notebooks never read each other's outputs. :func:`write_outputs` writes the
deliverables a collector works from: ``worklist.xlsx`` and ``letters/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown

from arassess import plancharts
from arassess.assessment import Assessment, assess, load, resolve_client_dir
from arassess.costassumptions import Curve
from arassess.costcase import CostCase
from arassess.costreport import load_case
from arassess.escalation import Step, handoff_day_of, ladder_from_config, ladder_rows
from arassess.goals import Goal, resolve_goals
from arassess.letters import missing_sender_details, render_letters
from arassess.plan import action_plan, actions_by_area, plan_table
from arassess.report import figure_image, table, titled_section
from arassess.worklist import build_worklist, customer_worklist, write_worklist_xlsx

WORKLIST_FILE = "worklist.xlsx"
LETTERS_DIR = "letters"


@dataclass(frozen=True)
class PlanCase:
    """Everything notebook 04 shows, as data."""

    assessment: Assessment
    case: CostCase
    goals: tuple[Goal, ...]
    plan: pd.DataFrame
    ladder: tuple[Step, ...]
    worklist: pd.DataFrame
    customers: pd.DataFrame

    @property
    def as_of(self) -> pd.Timestamp:
        return self.assessment.as_of

    @property
    def currency(self) -> str:
        return self.assessment.currency

    def summary(self) -> dict[str, Any]:
        """Key figures as JSON-ready data."""
        stages = self.worklist["stage"].value_counts() if len(self.worklist) else pd.Series(dtype=int)
        return {
            "client": self.assessment.config.name, "as_of": f"{self.as_of:%Y-%m-%d}",
            "strategy": self.case.strategy, "handoff_day": handoff_day_of(self.case),
            "actions": self.plan["id"].tolist(), "goals": [g.key for g in self.goals],
            "ladder": ladder_rows(self.ladder),
            "worklist_invoices": len(self.worklist), "worklist_customers": len(self.customers),
            "worklist_open_amount": float(self.worklist["open_amount"].sum()) if len(self.worklist) else 0.0,
            "stages": {str(k): int(v) for k, v in stages.items()},
        }


def load_plan_case(client_dir: str | Path, as_of: str | None = None,
                   planned_on: str | pd.Timestamp | None = None, *, risk_dir: str | Path | None = None) -> PlanCase:
    """Assessment, cost case, goals, plan, ladder and worklist of a client at ``as_of``; the plan
    is scheduled from ``planned_on`` (default: today, or as_of when that is later). ``risk_dir``:
    a run folder whose ``risk.json`` (written by notebook 01) is reused when it matches the data,
    settings and date (arassess.riskfile), instead of fitting the risk model again."""
    from arassess.riskfile import load_risk, risk_key

    folder = resolve_client_dir(client_dir)
    loaded = load(folder)
    date = pd.Timestamp(as_of or loaded[0].as_of or loaded[1].as_of).normalize()
    a = assess(folder, date, loaded=loaded, risk=load_risk(risk_dir, risk_key(loaded[0], date)))
    case, _ = load_case(folder, f"{a.as_of:%Y-%m-%d}", loaded=loaded)
    goals = tuple(resolve_goals(a, folder))
    ladder = ladder_from_config(a.config.escalation, handoff_day_of(case), a.config.root / "client.yaml")
    work = risk_worklist(a, ladder, case.assumptions.recovery_curve)
    plan = action_plan(a, case, goals, planned_on=planned_on or pd.Timestamp.today())
    return PlanCase(a, case, goals, plan, ladder, work, customer_worklist(work, a.risk.customers if a.risk.available
                                                                         else None))


def risk_worklist(a: Assessment, ladder: tuple[Step, ...], recovery_curve: Curve) -> pd.DataFrame:
    """The worklist of ``a`` ordered by expected loss from its late-payment probabilities, or by
    open amount × age weight when risk scores are unavailable (arassess.worklist)."""
    risk = a.risk
    if not risk.available:
        return build_worklist(a.positions, a.as_of, ladder)
    return build_worklist(a.positions, a.as_of, ladder, risk.probability(),
                          threshold_days=risk.settings.threshold_days, recovery_curve=recovery_curve)


def write_outputs(pc: PlanCase, output_dir: str | Path,
                  letter_date: str | pd.Timestamp | None = None) -> dict[str, Any]:
    """worklist.xlsx, letters/ and plan_summary.json in ``output_dir`` (none overwritten). Letters
    are dated ``letter_date`` (default: today, or the as-of date when that is later)."""
    out = Path(output_dir)
    day = max(pd.Timestamp(letter_date or pd.Timestamp.today()).normalize(), pc.as_of)
    xlsx = write_worklist_xlsx(pc.worklist, out / WORKLIST_FILE, pc.customers, ladder=pc.ladder,
                               currency=pc.currency)
    letters = render_letters(pc.worklist, pc.assessment.positions, pc.assessment.config, pc.as_of,
                             out / LETTERS_DIR, letter_date=day)
    summary = {**pc.summary(), "worklist_file": xlsx.name, "letters": [str(p.relative_to(out)) for p in letters],
               "letter_date": f"{day:%Y-%m-%d}",
               "letters_missing_details": missing_sender_details(pc.assessment.config)}
    with (out / "plan_summary.json").open("x", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2, default=str)
    return {"worklist": xlsx, "letters": letters}


def plan_section(pc: PlanCase) -> list[Any]:
    if not len(pc.plan):
        return [Markdown("No action is triggered: no maturity gap, KPI gap or strategy change calls for one.")]
    by_area = actions_by_area(pc.plan)
    return [Markdown(f"{len(pc.plan)} actions, chosen by the rules of `templates/actions.yaml` from the gaps "
                     f"found; priority = impact / effort. By area: "
                     + ", ".join(f"{area} {n}" for area, n in by_area.items()) + "."),
            table(plan_table(pc.plan))]


def timeline_section(pc: PlanCase) -> list[Any]:
    if not len(pc.plan):
        return [Markdown("No actions to schedule.")]
    return [Markdown("Each action starts the day after the actions it depends on are due."),
            figure_image(plancharts.gantt_chart(pc.plan, pc.as_of))]


def escalation_section(pc: PlanCase) -> list[Any]:
    d = handoff_day_of(pc.case)
    handoff = (f"claims still unpaid {d:g} days after their due date go to the agency "
               f"(recommended: {pc.case.strategy.replace('_', '-')})" if d is not None
               else "no agency hand-off: the recommendation is to keep collections in-house")
    steps = pd.DataFrame(ladder_rows(pc.ladder)).rename(columns={"offset_days": "days from due date"})
    return [Markdown(f"Every open invoice follows this ladder; {handoff}. Configure it under "
                     f"`escalation:` in client.yaml."), table(steps)]


def worklist_section(pc: PlanCase) -> list[Any]:
    if not len(pc.worklist):
        return [Markdown("Nothing to chase: no open invoice is overdue or close to its due date.")]
    cols = [c for c in ("customer_name", "invoice_id", "due_date", "open_amount", "days_past_due", "stage",
                        "next_step", "next_date", "late_probability", "expected_loss", "priority")
            if c in pc.worklist.columns and not pc.worklist[c].isna().all()]
    customers = pc.customers.drop(columns=["stage_key", "next_key", "stage_order"], errors="ignore")
    customers = customers.loc[:, ~customers.isna().all()]
    return [Markdown(f"{len(pc.worklist):,} invoices of {len(pc.customers):,} customers, "
                     f"{pc.worklist['open_amount'].sum():,.0f} {pc.currency} open, ordered by "
                     f"{pc.worklist.attrs.get('priority_rule', 'priority')}; the first 20 "
                     f"(the full list goes to {WORKLIST_FILE}):"),
            table(pc.worklist[cols].head(20)),
            Markdown("Customers to call first:"), table(customers.head(10))]


def letters_section(pc: PlanCase, written: list[Path] | None = None) -> list[Any]:
    if written is None:
        return [Markdown(f"Letters and e-mails are written to `{LETTERS_DIR}/` when the notebook runs with "
                         "an output folder (`arassess run plan` or `arassess assess`).")]
    html = [p for p in written if p.suffix == ".html"]
    kinds = pd.Series([p.stem.split("_", 1)[1] for p in html], dtype="object").value_counts()
    items = [Markdown(f"{len(html)} letters (each with a plain-text e-mail) written to `{LETTERS_DIR}/`: "
                      + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in kinds.items()) + ".")]
    missing = missing_sender_details(pc.assessment.config)
    if missing:
        items.append(Markdown("**Before sending:** the letters show placeholders for "
                              + ", ".join(f"`escalation.letters.{k}`" for k in missing)
                              + " — fill them in client.yaml and run again."))
    return items


SECTIONS = {"plan": plan_section, "timeline": timeline_section, "escalation": escalation_section,
            "worklist": worklist_section}
SECTION_TITLES = {"plan": "1. Action plan", "timeline": "2. Timeline", "escalation": "3. Escalation ladder",
                  "worklist": "4. Worklist", "letters": "5. Letters"}


def section(pc: PlanCase, name: str, written: list[Path] | None = None) -> list[Any]:
    """The items of section ``name`` (SECTIONS or "letters"), headed by its title."""
    if name == "letters":
        return [Markdown(f"## {SECTION_TITLES[name]}"), *letters_section(pc, written)]
    return titled_section(SECTIONS, SECTION_TITLES, pc, name)


def title(pc: PlanCase) -> Markdown:
    return Markdown(f"# {pc.assessment.config.name}: action plan ({pc.as_of:%d %B %Y})")
