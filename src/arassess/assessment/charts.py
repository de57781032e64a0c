"""Figures and styled tables of the assessment report.

Every chart function takes data (the DataFrames of the analysis modules) and
returns a :class:`matplotlib.figure.Figure` built directly, without pyplot: no
global state, nothing shown, no rcParams touched; the caller displays or saves
it. The style (sizes, fonts, colour-blind-safe Okabe–Ito palette) is defined
once below. Input with nothing to draw (no rows, all NaN) gives a figure
saying "no data: <reason>" instead of an exception.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter
from pandas.io.formats.style import Styler

from arassess.display import items
from arassess.display.style import (
    BAD,
    BLACK,
    BLUE,
    FONT,
    GOOD,
    GREY,
    HIST_MAX_BINS,
    HIST_QUANTILE,
    HIST_TAIL,
    MARKERS,
    MATURITY_GAP_BELOW,
    MATURITY_LEVELS,
    MIN_HEIGHT,
    ORANGE,
    ROW_HEIGHT,
    SERIES,
    SMALL,
    VERMILLION,
    as_percent,
    bucket_colours,
    count_axis,
    legend,
    legend_below,
    missing_columns,
    money,
    money_axis,
    new_figure,
    no_data_figure,
    plural,
    shorten,
    style_axes,
)
from arassess.kpi.registry import get as get_kpi
from arassess.kpi.scorecard import scorecard_table


def aging_chart(aging: pd.DataFrame, currency: str) -> Figure:
    """Open AR by aging bucket: amounts with their share (left) and invoice counts (right).

    ``aging``: index = bucket labels in order ("Current", "1–30", … "120+"),
    columns amount, count, share (fraction or %).
    """
    title = "Open AR by aging bucket"
    why = missing_columns(aging, ("amount", "count", "share"))
    if why or len(aging) == 0 or not aging["amount"].fillna(0).abs().sum():
        return no_data_figure(title, why or "no open invoices at the as-of date")
    labels = [str(b) for b in aging.index]
    colours = bucket_colours(labels)
    amount = aging["amount"].astype(float).fillna(0.0)
    count = aging["count"].astype(float).fillna(0.0)
    share = as_percent(aging["share"])
    fig = new_figure()
    left, right = fig.subplots(1, 2)
    bars = left.bar(labels, amount, color=colours)
    left.bar_label(bars, labels=["" if pd.isna(s) else f"{s:.1f}%" for s in share], padding=2, fontsize=SMALL)
    money_axis(left.yaxis, currency)
    left.margins(y=0.12)
    style_axes(left, f"{title} ({currency})", "Days past due", f"Open amount ({currency})")
    bars = right.bar(labels, count, color=colours)
    right.bar_label(bars, labels=[f"{c:,.0f}" for c in count], padding=2, fontsize=SMALL)
    count_axis(right.yaxis)
    right.margins(y=0.12)
    style_axes(right, "Open invoices", "Days past due", "Invoices")
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30 if len(labels) > 6 else 0, labelsize=SMALL)
    return fig


def _stacked_barh(ax: Axes, frame: pd.DataFrame, colours: Sequence[str]) -> None:
    """Horizontal stacked bars; negative parts (credit notes) stack to the left of zero."""
    y = np.arange(len(frame))
    pos, neg = np.zeros(len(frame)), np.zeros(len(frame))
    for column, colour in zip(frame.columns, colours):
        v = frame[column].to_numpy(dtype=float)
        base = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=base, color=colour, label=str(column), height=0.7)
        pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)


def aging_by_segment_chart(table: pd.DataFrame, currency: str) -> Figure:
    """Open AR per customer segment, stacked by aging bucket (largest segment on top).

    ``table``: index = segment, columns = bucket labels in order + "total".
    """
    title = f"Open AR by segment and aging bucket ({currency})"
    buckets = [c for c in table.columns if c != "total"]
    data = table[buckets].apply(pd.to_numeric, errors="coerce").astype(float)
    if not buckets or len(table) == 0 or data.isna().all().all():
        return no_data_figure(title, "no open invoices by segment")
    total = table["total"].astype(float) if "total" in table else data.sum(axis=1)
    data = data.fillna(0.0).loc[total.fillna(0.0).sort_values().index]  # ascending: largest drawn on top
    fig = new_figure(max(MIN_HEIGHT, ROW_HEIGHT * len(data) + 1.8))
    ax = fig.add_subplot()
    _stacked_barh(ax, data, bucket_colours(buckets))
    ax.set_yticks(np.arange(len(data)), [shorten(s) for s in data.index])
    totals = total.reindex(data.index).fillna(0.0)
    for y, value in enumerate(totals):
        ax.text(max(value, 0), y, f" {money(value, currency)}", va="center", fontsize=SMALL)
    ax.margins(x=0.15)
    money_axis(ax.xaxis, currency)
    style_axes(ax, title, f"Open amount ({currency})", "", grid="x")
    legend_below(fig, min(len(buckets), 7), title="Days past due", title_fontsize=SMALL)
    return fig


def top_customers_chart(top: pd.DataFrame, currency: str) -> Figure:
    """The customers owing most overdue AR, largest on top, each with its share and the running total.

    ``top``: columns customer_name, overdue_amount, share, cumulative_share (fractions or %),
    ordered largest first.
    """
    title = f"Customers with the most overdue AR ({currency})"
    why = missing_columns(top, ("customer_name", "overdue_amount", "share", "cumulative_share"))
    if why or len(top) == 0 or top["overdue_amount"].isna().all():
        return no_data_figure(title, why or "no overdue AR at the as-of date")
    top = top[top["overdue_amount"].notna()]
    amount = top["overdue_amount"].astype(float).to_numpy()
    both = as_percent(pd.concat([top["share"], top["cumulative_share"]], ignore_index=True))
    share, cumulative = both.iloc[: len(top)].to_numpy(), both.iloc[len(top):].to_numpy()
    fig = new_figure(max(MIN_HEIGHT, ROW_HEIGHT * len(top) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(top))
    bars = ax.barh(y, amount, color=VERMILLION, height=0.7)
    ax.set_yticks(y, [shorten(n) for n in top["customer_name"]])
    ax.invert_yaxis()  # largest (first row) on top
    ax.bar_label(bars, labels=[f"{s:.1f}%  (cum. {c:.1f}%)" for s, c in zip(share, cumulative)],
                 padding=3, fontsize=SMALL)
    ax.margins(x=0.32)
    ax.set_xlim(left=min(0.0, float(np.nanmin(amount))))
    money_axis(ax.xaxis, currency)
    who = "This customer holds" if len(top) == 1 else f"These {len(top)} customers hold"
    style_axes(ax, f"{title}\n{who} {cumulative[-1]:.1f}% of all overdue AR",
           f"Overdue amount ({currency}); labels: share of all overdue AR (cumulative)", "", grid="x")
    return fig


# --- trends -----------------------------------------------------------------------------

def _date_axis(ax: Axes, dates: pd.DatetimeIndex) -> None:
    """Month-ends on x, padded by half a month (one month alone is not stretched over years)."""
    pad = pd.Timedelta(days=16)
    ax.set_xlim(dates.min() - pad, dates.max() + pad)
    if len(dates) < 4:  # a few months: label each one
        ax.set_xticks(dates, [f"{d:%b %Y}" for d in dates])
        return
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _value_axis(ax: Axes, unit_label: str) -> None:
    if unit_label.strip() == "%":
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))


def trend_chart(values: pd.DataFrame, keys: Sequence[str], title: str, unit_label: str,
                benchmarks: Mapping[str, float] | None = None) -> Figure:
    """Monthly KPI lines (registry labels) with their benchmarks as dashed lines.

    ``values``: :attr:`arassess.kpi.engine.KpiTable.values` (index = month-end dates,
    columns = registry keys); NaN months are gaps. ``benchmarks``: the client's (KPI key → value,
    as the scorecard compares them), else the registry's. KPIs sharing a benchmark share one line.
    """
    kpis = [get_kpi(k) for k in keys]  # ValueError on an unknown key
    present = [k for k in kpis if k.key in values.columns and values[k.key].notna().any()]
    if len(values) == 0 or not present:
        shown = ", ".join(k.label for k in kpis)
        return no_data_figure(title, f"no monthly values of {shown}")
    fig = new_figure()
    ax = fig.add_subplot()
    dates = pd.DatetimeIndex(values.index)
    for i, kpi in enumerate(kpis):
        if kpi in present:
            ax.plot(dates, values[kpi.key].astype(float), color=SERIES[i % len(SERIES)],
                    marker=MARKERS[i % len(MARKERS)], markersize=4, linewidth=1.8, label=kpi.label)
    chosen = {k.key: k.benchmark for k in kpis if k.benchmark is not None}
    chosen.update({k: v for k, v in (benchmarks or {}).items() if k in chosen})
    lines: dict[float, list] = {}
    for i, kpi in enumerate(kpis):
        if kpi.key in chosen and kpi in present:
            lines.setdefault(chosen[kpi.key], []).append((i, kpi))
    for level, group in lines.items():
        colour = SERIES[group[0][0] % len(SERIES)] if len(group) == 1 else GREY
        sign = "≥" if group[0][1].higher_is_better else "≤"
        names = " / ".join(k.label for _, k in group)
        unit = unit_label if unit_label == "%" else f" {unit_label}"
        ax.axhline(level, color=colour, linestyle="--", linewidth=1.2,
                   label=f"Benchmark {names}: {sign} {level:g}{unit}")
        ax.annotate(f"{sign} {level:g}", (1.0, level), xycoords=("axes fraction", "data"), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=SMALL, color=colour)
    drawn = np.append(values[[k.key for k in present]].to_numpy(dtype=float).ravel(), list(lines))
    if np.nanmin(drawn) >= 0:  # a positive measure starts at zero, with room above the highest point
        ax.set_ylim(0, np.nanmax(drawn) * 1.08 or 1)
    _date_axis(ax, dates)
    _value_axis(ax, unit_label)
    style_axes(ax, title, "Month-end", unit_label)
    legend_below(fig, 2)
    return fig


def dso_trend_chart(values: pd.DataFrame, benchmarks: Mapping[str, float] | None = None) -> Figure:
    """DSO (period and countback), best possible DSO and ADD by month, in days."""
    return trend_chart(values, ["dso", "dso_countback", "bpdso", "add"], "Days sales outstanding by month", "days",
                       benchmarks)


def collection_trend_chart(values: pd.DataFrame, benchmarks: Mapping[str, float] | None = None) -> Figure:
    """CEI and % of AR over 90 days past due by month, in %."""
    return trend_chart(values, ["cei", "pct_over_90"], "Collection effectiveness and AR over 90 days", "%",
                       benchmarks)


# --- payment behaviour ------------------------------------------------------------------

def _histogram(ax: Axes, data: np.ndarray, colour: str) -> str:
    """Histogram of ``data`` (up to its HIST_QUANTILE if the tail is long); returns a note on any values beyond."""
    lo, hi = float(data.min()), float(data.max())
    cut = float(np.quantile(data, HIST_QUANTILE))
    hi = cut if hi - lo > HIST_TAIL * (cut - lo) else hi
    width = max(1.0, np.ceil((hi - lo + 1) / HIST_MAX_BINS))
    edges = np.arange(np.floor(lo), hi + width + 1e-9, width)
    ax.hist(data, bins=edges, color=colour, edgecolor="white", linewidth=0.5)
    count_axis(ax.yaxis)
    ax.margins(y=0.3)  # room for the legend and notes above the bars
    beyond = int((data > edges[-1]).sum())
    return f"{beyond:,} beyond {edges[-1]:,.0f} days not shown" if beyond else ""


def distribution_chart(settled: pd.DataFrame) -> Figure:
    """Invoices paid in the window: days to pay (left) and days late of the late ones (right).

    ``settled``: one row per paid invoice, columns days_to_pay, days_late, amount.
    """
    title = "How long customers take to pay"
    why = missing_columns(settled, ("days_to_pay", "days_late", "amount"))
    if why or len(settled) == 0 or settled["days_to_pay"].isna().all():
        return no_data_figure(title, why or "no invoice was paid in the window")
    ok = settled.dropna(subset=["days_to_pay"])
    pay = ok["days_to_pay"].to_numpy(dtype=float)
    late_all = ok["days_late"].to_numpy(dtype=float)
    late = late_all[late_all > 0]
    on_time = float(np.mean(late_all[~np.isnan(late_all)] <= 0)) * 100 if np.isfinite(late_all).any() else np.nan
    fig = new_figure()
    left, right = fig.subplots(1, 2)
    note = _histogram(left, pay, BLUE)
    median = float(np.median(pay))
    weights = np.nan_to_num(ok["amount"].to_numpy(dtype=float))
    weighted = float(np.average(pay, weights=weights)) if weights.sum() > 0 else np.nan
    left.axvline(median, color=BLACK, linestyle="--", linewidth=1.2, label=f"median {median:.0f} days")
    if np.isfinite(weighted):
        left.axvline(weighted, color=ORANGE, linestyle=":", linewidth=1.8,
                     label=f"amount-weighted mean {weighted:.0f} days")
    legend(left, loc="upper right")
    style_axes(left, f"Days to pay ({plural(len(pay), 'invoice')})", "Days from invoice date to payment", "Invoices")
    if note:
        left.text(0.99, 0.6, note, transform=left.transAxes, ha="right", fontsize=SMALL, color=GREY)
    summary = f"Paid on time: {on_time:.1f}%" if np.isfinite(on_time) else "On-time share: n/a"
    if len(late):
        note = _histogram(right, late, VERMILLION)
        if note:
            right.text(0.99, 0.6, note, transform=right.transAxes, ha="right", fontsize=SMALL, color=GREY)
    else:
        right.text(0.5, 0.4, "no invoice was paid late", transform=right.transAxes, ha="center",
                   fontsize=FONT, color=GREY)
        right.set_xticks([])
        right.set_yticks([])
    right.text(0.99, 0.97, f"{summary}\n{len(late):,} paid late", transform=right.transAxes, ha="right",
               va="top", fontsize=FONT, fontweight="bold")
    style_axes(right, "Days late (late invoices)", "Days paid after the due date", "Invoices")
    return fig


def segment_behaviour_chart(table: pd.DataFrame, benchmark: float | None = None) -> Figure:
    """On-time payment rate per customer segment against ``benchmark`` (the client's; default the
    registry's).

    ``table``: index = segment, columns invoices, amount, days_to_pay,
    mean_days_late, on_time_rate (% or fraction).
    """
    title = "On-time payment rate by segment"
    why = missing_columns(table, ("invoices", "on_time_rate"))
    if why or len(table) == 0 or table["on_time_rate"].isna().all():
        return no_data_figure(title, why or "no invoice was paid in the window")
    kpi = get_kpi("on_time_rate")
    rate = as_percent(table["on_time_rate"]).sort_values(na_position="first")  # best on top
    invoices = table["invoices"].reindex(rate.index)
    fig = new_figure(max(MIN_HEIGHT, ROW_HEIGHT * len(rate) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(rate))
    level = float(kpi.benchmark if benchmark is None else benchmark)
    good = rate >= level
    bars = ax.barh(y, rate.fillna(0.0), color=np.where(good, GOOD, BAD), height=0.7)
    ax.bar_label(bars, labels=["n/a" if pd.isna(r) else f"{r:.1f}%{'' if g else ' ✖'}  ({n:,.0f} inv.)"
                               for r, g, n in zip(rate, good, invoices)], padding=3, fontsize=SMALL)
    ax.set_yticks(y, [shorten(s) for s in rate.index])
    ax.axvline(level, color=BLACK, linestyle="--", linewidth=1.2, label=f"benchmark ≥ {level:g}%")
    for colour, label in ((GOOD, "meets the benchmark"), (BAD, "below the benchmark (✖)")):
        ax.barh([np.nan], [np.nan], color=colour, label=label)
    ax.set_xlim(0, 125)
    ax.set_xticks(range(0, 101, 20))
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    style_axes(ax, title, "Invoices paid on or before the due date (%)", "", grid="x")
    legend_below(fig, 3)
    return fig


def roll_rate_chart(rolls: pd.DataFrame) -> Figure:
    """Monthly roll rates between aging buckets (share of a bucket moving one bucket older).

    ``rolls``: :func:`arassess.kpi.rollrates.roll_rate_table` (index = month-end,
    columns = transitions, fractions; NaN where the starting bucket was empty).
    """
    title = "Monthly roll rates between aging buckets"
    if rolls.shape[0] == 0 or rolls.shape[1] == 0 or rolls.isna().all().all():
        return no_data_figure(title, "no month-end pair with a non-empty starting bucket")
    fig = new_figure()
    ax = fig.add_subplot()
    dates = pd.DatetimeIndex(rolls.index)
    for i, column in enumerate(rolls.columns):
        if rolls[column].notna().any():
            ax.plot(dates, rolls[column].astype(float), color=SERIES[i % len(SERIES)],
                    marker=MARKERS[i % len(MARKERS)], markersize=4, linewidth=1.6, label=str(column))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    _date_axis(ax, dates)
    style_axes(ax, title, "Month-end", "Balance rolled to the next bucket (%)")
    legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Transition", title_fontsize=SMALL)
    return fig


# --- maturity ---------------------------------------------------------------------------

def maturity_chart(areas: pd.DataFrame, levels: Sequence[str] = MATURITY_LEVELS) -> Figure:
    """Process-maturity score per area (0–4) against the level thresholds; NaN = "not answered".

    ``areas``: columns area, label, score; drawn in the given order, top to bottom.
    """
    title = "Process maturity by area (0–4)"
    why = missing_columns(areas, ("label", "score"))
    if why or len(areas) == 0 or areas["score"].isna().all():
        return no_data_figure(title, why or "no questionnaire answers")
    score = pd.to_numeric(areas["score"], errors="coerce").astype(float).to_numpy()
    fig = new_figure(max(MIN_HEIGHT, ROW_HEIGHT * len(areas) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(areas))
    gap = score < MATURITY_GAP_BELOW
    ax.barh(y, np.nan_to_num(score), color=np.where(gap, BAD, GOOD), height=0.65)
    for yi, s in zip(y, score):
        text, style = (f" {s:.2f}".rstrip("0").rstrip("."), "normal") if np.isfinite(s) else (" not answered", "italic")
        ax.text(0 if np.isnan(s) else s, yi, text, va="center", fontsize=SMALL, style=style,
                color=BLACK if np.isfinite(s) else GREY)
    ax.set_yticks(y, [shorten(label, 34) for label in areas["label"]])
    ax.invert_yaxis()
    ax.set_xlim(0, len(levels) - 1 + 0.3)
    ax.set_xticks(range(len(levels)), [f"{i}\n{name}" for i, name in enumerate(levels)])
    for x in range(1, len(levels)):
        ax.axvline(x, color=GREY, linestyle=":", linewidth=1)
    for colour, label in ((BAD, f"gap: below {MATURITY_GAP_BELOW:g} ({levels[int(MATURITY_GAP_BELOW)]})"),
                          (GOOD, f"{MATURITY_GAP_BELOW:g} ({levels[int(MATURITY_GAP_BELOW)]}) or more")):
        ax.barh([np.nan], [np.nan], color=colour, label=label)
    style_axes(ax, title, "Score and maturity level", "", grid="")
    legend_below(fig, 2)
    return fig


# --- scorecard table --------------------------------------------------------------------

def scorecard_item(card: pd.DataFrame, currency: str) -> items.Table:
    """The KPI scorecard as a table item (:func:`arassess.kpi.scorecard.scorecard_table`): formatted
    values, benchmark, status (coloured background plus ✔/✖ marker), comparisons when present and
    notes; a one-cell 'no data' table when the card is empty or lacks columns."""
    columns = ("kpi", "value", "unit", "benchmark", "better", "status", "note")
    why = missing_columns(card, columns)
    if why or len(card) == 0:
        return items.Table(pd.DataFrame({"KPI": [f"no data: {why or 'the scorecard is empty'}"]}))
    shown = scorecard_table(card, currency)
    return items.Table(shown, left=("KPI", "Status", "Note"),
                       right=tuple(c for c in shown.columns if c not in ("KPI", "Status", "Note")),
                       status="Status", notes=("Note",), caption=f"KPI scorecard (amounts in {currency})")


def scorecard_styler(card: pd.DataFrame, currency: str) -> Styler:
    """The scorecard item as the notebook shows it (a pandas Styler; no index)."""
    return items.shown(scorecard_item(card, currency))