"""The goals chart: each goal's glide path in its own panel (small multiples), in the look of
:mod:`arassess.display.style` (no pyplot).

Per panel: the KPI's last 12 months (when a history is given), the baseline at the assessment
date, the dashed monthly glide path to the target at the deadline, a dotted line at the deadline
and the KPI's benchmark.
"""

from __future__ import annotations

import math
import textwrap
from typing import Mapping, Sequence

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

from arassess.display.style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    SMALL,
    TITLE,
    VERMILLION,
    money_axis,
    new_figure,
    no_data_figure,
    shared_legend_below,
    style_axes,
)
from arassess.goals.model import Goal, glide_path, planning_start
from arassess.kpi.engine import months_before
from arassess.kpi.registry import get as get_kpi

HISTORY_MONTHS = 12  # months of history shown before the assessment date
PANEL_COLUMNS = 3  # panels per row
PANEL_HEIGHT = 2.9  # inches per row of panels
TITLE_TEXT = "Goals: monthly glide path from today's level to the target"
TITLE_CHARS = 26  # panel titles wrap at this width
MAX_TICKS = 5  # date ticks per panel
UNIT_LABELS = {"days": "days", "%": "%", "x": "×"}


def _history(history: pd.DataFrame | None, key: str, as_of: pd.Timestamp) -> pd.Series:
    """The KPI's monthly values in the HISTORY_MONTHS months up to ``as_of`` (empty when none)."""
    if history is None or key not in history.columns:
        return pd.Series(dtype=float)
    values = history[key].astype(float)
    index = pd.DatetimeIndex(values.index)
    keep = (index > months_before(as_of, HISTORY_MONTHS)) & (index <= as_of)
    return values.loc[keep].dropna()


def _tick_months(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Months between date ticks: the smallest of 1, 2, 3, 4, 6, 12 giving at most MAX_TICKS ticks."""
    span = (end.year - start.year) * 12 + end.month - start.month + 1
    return next((m for m in (1, 2, 3, 4, 6) if span / m <= MAX_TICKS), 12)


def _panel(ax, goal: "Goal", as_of: pd.Timestamp, history: pd.DataFrame | None, currency: str,
           title_chars: int = TITLE_CHARS, start: pd.Timestamp | None = None,
           benchmarks: Mapping[str, float] | None = None) -> None:
    start = as_of if start is None else start

    past = _history(history, goal.key, as_of)
    if len(past):
        ax.plot(pd.DatetimeIndex(past.index), past.to_numpy(), color=GREY, marker=".", markersize=4,
                linewidth=1.2, label=f"Last {HISTORY_MONTHS} months")
    path = glide_path(goal, start)
    ax.plot([start, *path.index], [goal.baseline, *path.to_numpy()], color=BLUE, linestyle="--",
            marker="o", markersize=3, linewidth=1.6, label="Glide path")
    ax.scatter([as_of], [goal.baseline], color=ORANGE, s=45, zorder=4, label="Baseline")
    ax.scatter([goal.deadline], [goal.target], color=GREEN, marker="D", s=45, zorder=4, label="Target")
    ax.axvline(goal.deadline, color=GREY, linestyle=":", linewidth=1.0)
    benchmark = (benchmarks or {}).get(goal.key, get_kpi(goal.key).benchmark)
    if benchmark is not None:
        ax.axhline(benchmark, color=VERMILLION, linestyle="-.", linewidth=0.9, label="Benchmark")
    rising = goal.target >= goal.baseline  # the path comes from below: label above it, else below
    ax.annotate(f"target {goal.target:,.1f}\nby {goal.deadline:%b %Y}", (goal.deadline, goal.target),
                xytext=(-6, 6 if rising else -6), textcoords="offset points", ha="right",
                va="bottom" if rising else "top", fontsize=SMALL, color=GREEN)
    unit = currency if goal.unit == "currency" else UNIT_LABELS.get(goal.unit, goal.unit)
    style_axes(ax, textwrap.fill(goal.label, title_chars), ylabel=unit)
    ax.title.set_fontsize(SMALL + 1)
    if goal.unit == "currency":
        money_axis(ax.yaxis, currency)
    first = pd.Timestamp(past.index[0]) if len(past) else as_of
    locator = mdates.MonthLocator(bymonth=range(1, 13, _tick_months(first, goal.deadline)))
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(labelsize=SMALL)
    ax.margins(y=0.25)


def glide_path_chart(goals: Sequence["Goal"], as_of: pd.Timestamp | str, history: pd.DataFrame | None = None,
                     currency: str = "", *, start: pd.Timestamp | str | None = None,
                     benchmarks: Mapping[str, float] | None = None) -> Figure:
    """One panel per goal, up to PANEL_COLUMNS per row, each on its own y axis.

    ``history``: monthly KPI values (index = month-end dates, columns = registry keys), e.g.
    ``Assessment.series.values``; the last 12 months up to ``as_of`` are drawn. The glide path
    runs from the planning ``start`` (default ``as_of``), at the baseline, to the target."""
    if not goals:
        return no_data_figure(TITLE_TEXT, "no goals are set")
    as_of = pd.Timestamp(as_of).normalize()
    begin = as_of if start is None else planning_start(as_of, start)
    columns = min(len(goals), PANEL_COLUMNS)
    rows = math.ceil(len(goals) / columns)
    fig = new_figure(height=0.9 + PANEL_HEIGHT * rows)
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, goal in zip(axes.flat, goals):
        _panel(ax, goal, as_of, history, currency, TITLE_CHARS * PANEL_COLUMNS // columns, begin, benchmarks)
    for ax in list(axes.flat)[len(goals):]:
        ax.set_axis_off()
    fig.suptitle(TITLE_TEXT, x=0.01, ha="left", fontsize=TITLE)
    shared_legend_below(fig, axes.flat)
    return fig
