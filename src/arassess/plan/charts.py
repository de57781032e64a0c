"""Charts of the action plan (notebook 04), drawn from :func:`arassess.plan.roadmap.schedule`'s table.

Same look as the other charts (styles from :mod:`arassess.display.style`); no pyplot.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from arassess.display.style import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    MIN_HEIGHT,
    ORANGE,
    PURPLE,
    ROW_HEIGHT,
    SKY,
    SMALL,
    VERMILLION,
    YELLOW,
    legend_below,
    missing_columns,
    new_figure,
    no_data_figure,
    style_axes,
)
from arassess.plan.catalog import area_labels

TITLE = "Action plan timeline"
#: Okabe–Ito without black (black marks the as-of date); areas past eight repeat with a hatch.
AREA_COLOURS = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, GREY)
HATCHES = ("", "//", "..")
LABEL_CHARS = 38  # characters per line of an action title on the axis; longer titles wrap
LABEL_LINES = 2  # at most this many lines (a longer title ends in "…" at a word boundary)
WRAPPED_ROW_HEIGHT = 0.52  # inches per row when some title takes two lines
GANTT_WIDTH = 9.0  # inches: room for the labels on the left
LEGEND_ROWS_HEIGHT = 0.35  # inches per legend row under the chart


def area_styles(areas: list[str]) -> dict[str, tuple[str, str]]:
    """Area key → (colour, hatch): areas in catalog order (maturity areas, kpi, strategy), then
    any unknown ones; colour i mod 8, hatch i div 8 (so colours are stable within one plan)."""
    order = [a for a in area_labels() if a in areas] + sorted(set(areas) - set(area_labels()))
    return {area: (AREA_COLOURS[i % len(AREA_COLOURS)], HATCHES[(i // len(AREA_COLOURS)) % len(HATCHES)])
            for i, area in enumerate(order)}


def wrap_title(title: object, width: int = LABEL_CHARS, lines: int = LABEL_LINES) -> str:
    """An action title on at most ``lines`` lines of ``width`` characters, broken between words
    (a word longer than a line is split); beyond that it ends in "…" after a whole word."""
    text = " ".join(str(title).split())
    return "\n".join(textwrap.wrap(text, width=width, max_lines=lines, placeholder=" …",
                                    break_on_hyphens=False)) or text


def gantt_chart(plan: pd.DataFrame, as_of: pd.Timestamp | str | None = None, arrows: bool = True) -> Figure:
    """One horizontal bar per action from start to due, in plan order top to bottom, coloured by
    area (legend below), the due date at the bar's end, a vertical line at the as-of date
    (default: the day before the earliest start) and, with ``arrows``, thin grey arrows from each
    prerequisite's due date to the start of the action that waits for it. The height grows with
    the number of actions."""
    absent = missing_columns(plan, ["id", "title", "area", "start", "due"])
    if absent or plan.empty:
        return no_data_figure(TITLE, absent or "no action in the plan")
    start = pd.to_datetime(plan["start"])
    due = pd.to_datetime(plan["due"])
    date = pd.Timestamp(as_of) if as_of is not None else start.min() - pd.Timedelta(days=1)
    styles = area_styles(list(plan["area"]))
    n = len(plan)
    titles = [wrap_title(t) for t in plan["title"]]
    row_height = WRAPPED_ROW_HEIGHT if any("\n" in t for t in titles) else ROW_HEIGHT
    fig = new_figure(height=max(MIN_HEIGHT, 1.4 + row_height * n + LEGEND_ROWS_HEIGHT * ((len(styles) + 1) // 3 + 1)),
                     width=GANTT_WIDTH)
    ax = fig.add_subplot()
    y = np.arange(n)
    left = mdates.date2num(start.to_numpy())
    right = mdates.date2num(due.to_numpy())
    colours = [styles[area][0] for area in plan["area"]]
    bars = ax.barh(y, right - left, left=left, height=0.6, color=colours, edgecolor="white", linewidth=0.5)
    for bar, area in zip(bars, plan["area"]):
        bar.set_hatch(styles[area][1])
    for yi, end in zip(y, due):
        ax.text(mdates.date2num(end) + 1, yi, f"{end:%d %b}", va="center", fontsize=SMALL - 1, color=GREY)
    if arrows and "depends_on" in plan.columns:
        _dependency_arrows(ax, plan, left, right)
    as_of_line = ax.axvline(mdates.date2num(date), color=BLACK, linewidth=1, linestyle="--",
                            label=f"as of {date:%d %b %Y}")
    ax.set_yticks(y, titles, fontsize=SMALL)
    ax.set_ylim(n - 0.4, -0.6)
    ax.set_xlim(min(left.min(), mdates.date2num(date)) - 3, right.max() + 18)
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    style_axes(ax, TITLE, grid="x")
    ax.tick_params(axis="y", labelsize=SMALL)
    labels = area_labels()
    handles = [Patch(facecolor=c, hatch=h, edgecolor="white", label=labels.get(a, a)) for a, (c, h) in styles.items()]
    legend_below(fig, ncols=min(3, len(handles) + 1), handles=[as_of_line, *handles])
    return fig


def _dependency_arrows(ax, plan: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> None:
    """Arrows from each prerequisite's due date (bar end) to the dependent's start (bar start)."""
    row = {aid: i for i, aid in enumerate(plan["id"])}
    for i, deps in enumerate(plan["depends_on"].fillna("")):
        for dep in (d.strip() for d in str(deps).split(",") if d.strip()):
            j = row.get(dep)
            if j is None:
                continue
            ax.annotate("", xy=(left[i], i), xytext=(right[j], j),
                        arrowprops={"arrowstyle": "->", "color": GREY, "linewidth": 0.6, "alpha": 0.7,
                                    "connectionstyle": "angle,angleA=0,angleB=90,rad=0",
                                    "shrinkA": 0, "shrinkB": 2})


__all__ = ["area_styles", "gantt_chart", "wrap_title"]
