"""Notebook 03's case: a client's goals as data (defaults, client.yaml, goals.yaml), loaded once, and
the summary file a run writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arassess.assessment.case import Assessment, assess
from arassess.goals.cash import CashBasis, cash_basis
from arassess.goals.charts import glide_path_chart
from arassess.goals.model import Goal, glide_paths, planning_start
from arassess.goals.store import GOALS_FILE
from arassess.goals.targets import goal_set, goals_table
from arassess.paths import resolve_client_dir

SUMMARY_FILE = "goals_summary.json"


@dataclass(frozen=True)
class GoalsCase:
    """Everything notebook 03 shows, as data."""

    assessment: Assessment
    client_dir: Path
    goals: tuple[Goal, ...]
    notes: tuple[str, ...]        # skipped goals and why
    basis: CashBasis
    start: pd.Timestamp | None = None  # the planning start; None: the assessment date

    @property
    def as_of(self) -> pd.Timestamp:
        return self.assessment.as_of

    @property
    def plan_start(self) -> pd.Timestamp:
        """The day the goals' glide paths start from (never before the assessment date)."""
        return self.as_of if self.start is None else planning_start(self.as_of, self.start)

    @property
    def currency(self) -> str:
        return self.assessment.currency

    @property
    def client(self) -> str:
        return self.assessment.config.name

    @property
    def history(self) -> pd.DataFrame | None:
        """Monthly KPI values for the chart (None for an open-items export)."""
        return self.assessment.series.values if self.assessment.series is not None else None

    def table(self, goals: Sequence[Goal] | None = None) -> pd.DataFrame:
        """:func:`arassess.goals.targets.goals_table` of ``goals`` (default: the case's) on the case's cash basis."""
        b = self.basis
        return goals_table(self.goals if goals is None else goals, self.plan_start, b.annual_credit_sales, b.rate,
                           **b.kwargs())

    def chart(self, goals: Sequence[Goal] | None = None) -> Figure:
        return glide_path_chart(self.goals if goals is None else goals, self.as_of, self.history, self.currency,
                                start=self.plan_start,
                                benchmarks={k: b.value for k, b in self.assessment.benchmarks.items()})

    def summary(self) -> dict[str, Any]:
        """Key figures as JSON-ready data (what tests and notebook 04 read back)."""
        def num(x: Any) -> float | None:
            return None if x is None or not np.isfinite(x) else float(x)

        rows = self.table()
        goals = [{"key": r.key, "label": r.label, "unit": r.unit, "baseline": num(r.baseline),
                  "target": num(r.target), "deadline": f"{r.deadline:%Y-%m-%d}", "owner": r.owner,
                  "months": int(r.months), "monthly_step": num(r.monthly_step), "freed_cash": num(r.freed_cash),
                  "yearly_value": num(r.yearly_value), "cash_text": r.cash_text, "source": r.source}
                 for r in rows.itertuples()]
        paths = glide_paths(self.goals, self.plan_start)
        return {
            "client": self.client, "as_of": f"{self.as_of:%Y-%m-%d}", "plan_start": f"{self.plan_start:%Y-%m-%d}",
            "currency": self.currency,
            "annual_credit_sales": self.basis.annual_credit_sales, "rate": self.basis.rate,
            "rate_label": self.basis.rate_label, "goals_file": (self.client_dir / GOALS_FILE).is_file(),
            "goals": goals,
            "glide_paths": {key: {f"{d:%Y-%m-%d}": float(v) for d, v in paths[key].dropna().items()}
                            for key in paths.columns},
            "notes": list(self.notes),
        }


def load_goals_case(client_dir: str | Path, as_of: str | pd.Timestamp | None = None, *,
                    assessment: Assessment | None = None,
                    planned_on: str | pd.Timestamp | None = None) -> GoalsCase:
    """Assess ``client_dir`` at ``as_of`` (or reuse ``assessment``) and resolve its goals, planned
    from ``planned_on`` (:func:`arassess.goals.model.planning_start`: default today, never before
    the assessment date)."""
    folder = resolve_client_dir(client_dir)
    a = assessment if assessment is not None else assess(folder, as_of or None)
    start = planning_start(a.as_of, planned_on)
    found = goal_set(a, folder, start=start)
    return GoalsCase(assessment=a, client_dir=folder, goals=found.goals, notes=found.notes, basis=cash_basis(a),
                     start=start)


def write_summary(case: GoalsCase, output_dir: str | Path) -> Path:
    """``goals_summary.json`` in ``output_dir`` (never over an existing file)."""
    target = Path(output_dir) / SUMMARY_FILE
    with target.open("x", encoding="utf-8") as handle:
        json.dump(case.summary(), handle, indent=2, default=str)
    return target
