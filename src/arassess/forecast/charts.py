"""Charts of the cash forecast (:mod:`arassess.forecast.model`): expected receipts week by week with
the band and the due-date baseline, and the backtest (forecast against what came in).

Same look as the other wings' charts (:mod:`arassess.display.style`); nothing shown here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arassess.display.style import (
    BLACK,
    BLUE,
    GREY,
    ORANGE,
    SKY,
    legend_below,
    money_axis,
    new_figure,
    no_data_figure,
    style_axes,
)
from arassess.forecast.model import METHOD_LABELS, CashForecast

TITLE = "Expected receipts, next 13 weeks"


def week_labels(weeks: pd.DataFrame) -> list[str]:
    """Each week by its first day, '2 Nov'."""
    return [f"{d.day} {d:%b}" for d in pd.to_datetime(weeks["start"])]


def forecast_chart(f: CashForecast) -> Figure:
    """Bars: the receipts shown for each week (from the method the backtest chose; the part from
    invoices not yet issued stacked on top when added), with the 80% band as whiskers; a dashed
    line: every open invoice paid on its due date (overdue ones in week 1)."""
    w = f.weeks
    if not len(w) or f.open_total <= 0:
        return no_data_figure(TITLE, "no open invoices at this date")
    fig = new_figure()
    ax = fig.add_subplot()
    x = np.arange(len(w))
    label = ("expected receipts" if f.available and set(w["method"]) == {"model"}
             else "receipts shown (" + ", ".join(sorted({METHOD_LABELS[m] for m in w["method"]})) + ")")
    new = w["new sales"].astype(float) if f.new_sales.get("included") else pd.Series(0.0, index=w.index)
    if new.gt(0).any():
        label = "from invoices open today"
    ax.bar(x, w["expected"] - new, color=BLUE, width=0.7, label=label, zorder=2)
    if new.gt(0).any():
        ax.bar(x, new, bottom=w["expected"] - new, color=SKY, width=0.7, label="from invoices not yet issued",
               zorder=2)
    band = w["low"].notna() & w["high"].notna()
    if band.any():
        low = (w["expected"] - w["low"]).clip(lower=0)[band]
        high = (w["high"] - w["expected"]).clip(lower=0)[band]
        ax.errorbar(x[band.to_numpy()], w["expected"][band], yerr=[low, high], fmt="none", ecolor=BLACK,
                    elinewidth=1, capsize=3, label="80% band (from the backtest)", zorder=3)
    ax.plot(x, w["due date"], color=ORANGE, linestyle="--", marker="s", markersize=4,
            label="if every invoice were paid on its due date", zorder=4)
    ax.set_xticks(x, week_labels(w), rotation=45, ha="right")
    money_axis(ax.yaxis, f.currency)
    style_axes(ax, TITLE, xlabel="week starting")
    legend_below(fig, ncols=3)
    return fig


def backtest_chart(f: CashForecast) -> Figure:
    """At each backtest month-end: cash received in the following 4 weeks, and what the forecast
    and the two naive methods said then."""
    t = f.tests
    if not len(t):
        return no_data_figure("Forecast against what came in", "no month-end with 13 weeks after it to test")
    first = t[t["week"] <= 4].groupby("date")[["actual", "model", "due date", "last 13 weeks"]].sum()
    fig = new_figure()
    ax = fig.add_subplot()
    x = np.arange(len(first))
    ax.bar(x, first["actual"], color=SKY, width=0.7, label="received", zorder=2)
    ax.plot(x, first["model"], color=BLUE, marker="o", label="forecast", zorder=4)
    ax.plot(x, first["due date"], color=ORANGE, linestyle="--", marker="s", markersize=4, label="due dates", zorder=3)
    ax.plot(x, first["last 13 weeks"], color=GREY, linestyle=":", marker="^", markersize=4,
            label="last 13 weeks repeated", zorder=3)
    ax.set_xticks(x, [f"{d:%b %y}" for d in pd.to_datetime(first.index)], rotation=45, ha="right")
    money_axis(ax.yaxis, f.currency)
    style_axes(ax, "Forecast against what came in: the first 4 weeks after each month-end",
               xlabel="forecast made at the end of")
    legend_below(fig, ncols=4)
    return fig
