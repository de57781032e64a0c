"""A SMART goal (metric, baseline, target, deadline, owner, where it came from) and its monthly
glide path: the data every other room of the goals wing works on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Goal:
    """One SMART goal (see :mod:`arassess.goals.targets` for where goals come from)."""

    key: str
    label: str
    unit: str                                # from the KPI registry
    higher_is_better: bool
    baseline: float                          # value at as_of (NaN only when the KPI is unavailable)
    target: float
    deadline: pd.Timestamp
    owner: str                               # owner role, e.g. "Head of credit control"
    source: str                              # "default: <rule>" | "client.yaml" | "goals.yaml"

    @property
    def improvement(self) -> float:
        """How far the target is from the baseline in the good direction (≥ 0 for a valid goal)."""
        return self.target - self.baseline if self.higher_is_better else self.baseline - self.target


@dataclass(frozen=True)
class GoalSet:
    """The resolved goals and what was said on the way (skipped goals and why)."""

    goals: tuple[Goal, ...]
    notes: tuple[str, ...]


def planning_start(as_of: pd.Timestamp | str, planned_on: pd.Timestamp | str | None = None) -> pd.Timestamp:
    """The one day the goals and the actions start from: ``planned_on`` (default: today), never
    before the assessment date ``as_of`` (a historical as-of plans from today, not from the past)."""
    day = pd.Timestamp(planned_on if planned_on not in (None, "") else pd.Timestamp.today()).normalize()
    return max(pd.Timestamp(as_of).normalize(), day)


def glide_dates(as_of: pd.Timestamp | str, deadline: pd.Timestamp | str) -> pd.DatetimeIndex:
    """Month-ends after ``as_of`` up to ``deadline``, plus the deadline when it is not a month-end."""
    start, end = pd.Timestamp(as_of).normalize(), pd.Timestamp(deadline).normalize()
    dates = pd.date_range(start + pd.Timedelta(days=1), end, freq="ME")
    if end > start and (not len(dates) or dates[-1] != end):
        dates = dates.append(pd.DatetimeIndex([end]))
    return pd.DatetimeIndex(dates, name="month_end")


def glide_path(goal: Goal, as_of: pd.Timestamp | str) -> pd.Series:
    """The goal's planned value at each date of :func:`glide_dates`: equal monthly steps,
    value_i = baseline + (target − baseline) × i / n for i = 1..n (the last one is the target).
    E.g. baseline 60, target 45, 3 month-ends → 55, 50, 45. Index name "month_end"."""
    dates = glide_dates(as_of, goal.deadline)
    steps = np.arange(1, len(dates) + 1) / max(len(dates), 1)
    return pd.Series(goal.baseline + (goal.target - goal.baseline) * steps, index=dates, name=goal.key,
                     dtype=float)


def glide_paths(goals: Sequence[Goal], as_of: pd.Timestamp | str) -> pd.DataFrame:
    """One column per goal key (its :func:`glide_path`), index = every month-end of any path."""
    if not goals:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="month_end"))
    out = pd.concat([glide_path(g, as_of) for g in goals], axis=1)
    out.index.name = "month_end"
    return out
