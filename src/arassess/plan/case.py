"""Notebook 04's case: the plan, the escalation ladder, the worklist and the letters of a client as
data, loaded once, and the files a run writes (worklist.xlsx, letters/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from arassess.assessment.case import Assessment, assess, load
from arassess.config.escalation import Step, handoff_day_of, ladder_from_config, ladder_rows
from arassess.costs.assumptions import Curve
from arassess.costs.case import CostCase, load_case
from arassess.forecast.store import forecast_key, load_forecast
from arassess.goals.model import Goal, planning_start
from arassess.goals.targets import resolve_goals
from arassess.paths import resolve_client_dir
from arassess.plan.letters import missing_sender_details, render_letters
from arassess.plan.roadmap import action_plan
from arassess.plan.worklist import build_worklist, customer_worklist, write_worklist_xlsx
from arassess.risk.store import load_risk, risk_key

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
    start: pd.Timestamp | None = None  # the planning start; None: the assessment date

    @property
    def as_of(self) -> pd.Timestamp:
        return self.assessment.as_of

    @property
    def plan_start(self) -> pd.Timestamp:
        """The day the goals and the actions start from (never before the assessment date)."""
        return self.as_of if self.start is None else planning_start(self.as_of, self.start)

    @property
    def currency(self) -> str:
        return self.assessment.currency

    def summary(self) -> dict[str, Any]:
        """Key figures as JSON-ready data."""
        stages = self.worklist["stage"].value_counts() if len(self.worklist) else pd.Series(dtype=int)
        return {
            "client": self.assessment.config.name, "as_of": f"{self.as_of:%Y-%m-%d}",
            "plan_start": f"{self.plan_start:%Y-%m-%d}", "strategy": self.case.strategy,
            "handoff_day": handoff_day_of(self.case),
            "actions": self.plan["id"].tolist(), "goals": [g.key for g in self.goals],
            "ladder": ladder_rows(self.ladder),
            "worklist_invoices": len(self.worklist), "worklist_customers": len(self.customers),
            "worklist_open_amount": float(self.worklist["open_amount"].sum()) if len(self.worklist) else 0.0,
            "stages": {str(k): int(v) for k, v in stages.items()},
        }


def load_plan_case(client_dir: str | Path, as_of: str | None = None,
                   planned_on: str | pd.Timestamp | None = None, *, risk_dir: str | Path | None = None) -> PlanCase:
    """Assessment, cost case, goals, plan, ladder and worklist of a client at ``as_of``; the plan
    and the goals are scheduled from ``planned_on`` (one planning start: default today, never before
    as_of; :func:`arassess.goals.model.planning_start`). ``risk_dir``:
    a run folder whose ``risk.json`` and ``forecast.json`` (written by notebook 01) are reused when
    they match the data, settings and date (arassess.risk.store, arassess.forecast.store), instead of
    fitting the risk model and making the cash forecast again."""

    folder = resolve_client_dir(client_dir)
    loaded = load(folder)
    date = pd.Timestamp(as_of or loaded[0].as_of or loaded[1].as_of).normalize()
    a = assess(folder, date, loaded=loaded, risk=load_risk(risk_dir, risk_key(loaded[0], date)),
               forecast=load_forecast(risk_dir, forecast_key(loaded[0], date)))
    case, _ = load_case(folder, f"{a.as_of:%Y-%m-%d}", loaded=loaded)
    start = planning_start(a.as_of, planned_on)
    goals = tuple(resolve_goals(a, folder, start))
    ladder = ladder_from_config(a.config.escalation, handoff_day_of(case), a.config.root / "client.yaml")
    work = risk_worklist(a, ladder, case.assumptions.recovery_curve)
    plan = action_plan(a, case, goals, planned_on=start)
    return PlanCase(a, case, goals, plan, ladder, work,
                    customer_worklist(work, a.risk.customers if a.risk.available else None), start)


def risk_worklist(a: Assessment, ladder: tuple[Step, ...], recovery_curve: Curve) -> pd.DataFrame:
    """The worklist of ``a`` ordered by expected loss from its late-payment probabilities, or by
    open amount × age weight when risk scores are unavailable (arassess.plan.worklist)."""
    risk = a.risk
    if not risk.available:
        return build_worklist(a.positions, a.as_of, ladder)
    return build_worklist(a.positions, a.as_of, ladder, risk.probability(),
                          threshold_days=risk.settings.threshold_days, recovery_curve=recovery_curve)


def write_outputs(pc: PlanCase, output_dir: str | Path,
                  letter_date: str | pd.Timestamp | None = None) -> dict[str, Any]:
    """worklist.xlsx, letters/ and plan_summary.json in ``output_dir`` (none overwritten). Letters
    are dated ``letter_date`` (default: the planning start, which is never before the as-of date)."""
    out = Path(output_dir)
    day = max(pd.Timestamp(letter_date).normalize(), pc.as_of) if letter_date else pc.plan_start
    xlsx = write_worklist_xlsx(pc.worklist, out / WORKLIST_FILE, pc.customers, ladder=pc.ladder,
                               currency=pc.currency)
    a = pc.assessment
    letters = render_letters(pc.worklist, a.positions, a.config, pc.as_of, out / LETTERS_DIR, letter_date=day,
                             owed=a.entitlement if a.config.legal.charges_interest and a.entitlement.available
                             else None)
    summary = {**pc.summary(), "worklist_file": xlsx.name, "letters": [str(p.relative_to(out)) for p in letters],
               "letter_date": f"{day:%Y-%m-%d}",
               "letters_missing_details": missing_sender_details(pc.assessment.config)}
    with (out / "plan_summary.json").open("x", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2, default=str)
    return {"worklist": xlsx, "letters": letters}
