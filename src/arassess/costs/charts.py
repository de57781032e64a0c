"""Charts of notebook 02 (in-house or agency?), drawn from a :class:`~arassess.costs.case.CostCase`.

Same look as :mod:`arassess.assessment.charts` (styles from :mod:`arassess.display.style`); no pyplot.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from arassess.costs import model as costmodel
from arassess.costs.case import CostCase, format_lever, strategy_net
from arassess.costs.model import best_strategy, tie
from arassess.costs.words import strategy_words
from arassess.display.style import (
    BLUE,
    FONT,
    GREEN,
    GREY,
    ORANGE,
    ROW_HEIGHT,
    SMALL,
    VERMILLION,
    legend,
    legend_below,
    money,
    money_axis,
    new_figure,
    style_axes,
)

#: The waterfall's steps: (column of the evaluate result, label); costs are drawn downwards.
WATERFALL_STEPS = (("agency_fees", "Agency fees"), ("suit_costs", "Suits"), ("team_costs", "Team"),
                   ("capital_cost", "Capital"), ("relationship_cost", "Relationship"))
STRATEGY_COLOUR = {"in_house": BLUE, "agency": ORANGE, "hybrid": GREEN}
TORNADO_ROWS = 10  # at most this many assumptions in the tornado
HANDOFF_LEGEND_HEIGHT = 0.55  # inches under the hand-off chart for its legend (two rows)


def thousands(value: float, currency: str = "") -> str:
    """Money in whole thousands with a thousands separator ('1,092k EUR'): precise enough that
    strategies a few thousand apart read differently; under 500 in absolute value: '0'."""
    if value is None or not np.isfinite(value):
        return "n/a"
    k = round(value / 1e3)
    if k == 0:
        return "0"
    return f"{k:,.0f}k" + (f" {currency}" if currency else "")


def _fixed(fig: Figure, fast: bool, **margins: float) -> Figure:
    """``fast``: fixed margins instead of constrained layout (one draw instead of two; the
    dashboard redraws on every change)."""
    if fast:
        fig.set_layout_engine(None)
        fig.subplots_adjust(**margins)
    return fig


def waterfall_chart(case: CostCase, fast: bool = False) -> Figure:
    """Per strategy: gross recovery, minus each cost, down to net recovery (steps that are zero for
    every strategy are left out); the three strategies side by side on one axis."""
    result, currency = case.result, case.currency
    steps = [(col, label) for col, label in WATERFALL_STEPS if result[col].abs().max() > 0.5]
    fig = new_figure(height=3.8)
    ax = fig.add_subplot()
    width = len(steps) + 2
    ticks, names = [], []
    for g, strategy in enumerate(case.strategies):
        row = result.loc[strategy]
        x0 = g * (width + 1)
        level = float(row["gross_recovery"])
        bottoms, heights, colours = [0.0], [level], [GREY]
        for col, _label in steps:
            cost = float(row[col])
            level -= cost
            bottoms.append(level)
            heights.append(cost)
            colours.append(VERMILLION)
        net = float(row["net_recovery"])
        bottoms.append(0.0)
        heights.append(net)
        colours.append(STRATEGY_COLOUR[strategy])
        x = x0 + np.arange(width)
        ax.bar(x, heights, bottom=bottoms, color=colours, width=0.75)
        ticks += list(x)
        names += ["Gross", *(label for _c, label in steps), "Net"]
        chosen = "✔ " if strategy == case.strategy else ""
        head = chosen + strategy_words(strategy, "heading", case.days.get(strategy))
        ax.text(x0 + (width - 1) / 2, 1.02, head, transform=ax.get_xaxis_transform(), ha="center",
                va="bottom", fontsize=FONT, fontweight="bold" if chosen else "normal")
        # above the last cost step too: the label is wider than the bar and would run into it
        ax.text(x[-1], max(net, bottoms[-2] + heights[-2], 0), thousands(net, currency), ha="center",
                va="bottom", fontsize=SMALL)
    ax.set_xticks(ticks, names, rotation=45, ha="right", fontsize=SMALL)
    style_axes(ax, "")
    money_axis(ax.yaxis, currency)
    period = "a year of newly overdue claims" if case.basis == "flow" else "today's overdue claims"
    fig.suptitle(f"From gross recovery to net recovered cash, per strategy ({period})", fontsize=FONT + 1,
                 x=0.02, ha="left")
    return _fixed(fig, fast, left=0.1, right=0.98, top=0.84, bottom=0.24)


def handoff_chart(case: CostCase, fast: bool = False) -> Figure:
    """Value of handing claims off at D against keeping them all in-house (net per year on the flow,
    or one-off on the stock), with markers at the best and the chosen D; above zero, the hand-off
    pays."""
    curve, currency = case.handoff_curve, case.currency
    fig = new_figure(height=3.6 + HANDOFF_LEGEND_HEIGHT)
    ax = fig.add_subplot()
    ax.plot(curve["handoff_day"], curve["value_vs_in_house"], color=STRATEGY_COLOUR["hybrid"], marker="o",
            markersize=3, label="hand off at D: net against all in-house")
    ax.axhline(0, color=STRATEGY_COLOUR["in_house"], linestyle="--", label="all in-house")
    best_day = case.optimal_day
    if np.isfinite(best_day) and (curve["handoff_day"] == best_day).any():
        best = curve.loc[curve["handoff_day"] == best_day, "value_vs_in_house"].iloc[0]
        if best > 0:  # a hand-off that only loses money has no "best" day worth a marker
            ax.plot([best_day], [best], marker="*", markersize=14, color=VERMILLION, linestyle="none",
                    label=f"best D = {best_day:g} days")
    if "hybrid" in case.days and case.days["hybrid"] != case.optimal_day:
        ax.axvline(case.days["hybrid"], color=GREY, linewidth=1, label=f"chosen D = {case.days['hybrid']:g} days")
    what = "per year" if case.basis == "flow" else "on today's overdue claims"
    style_axes(ax, f"Handing off at D against keeping everything in-house ({what})",
               "hand-off day D (days past due)", "net gain from the hand-off")
    money_axis(ax.yaxis, currency)
    legend_below(fig, ncols=3)  # under the plot: never over the lines
    height = fig.get_figheight()
    return _fixed(fig, fast, left=0.15, right=0.98, top=1 - 0.36 / height,
                  bottom=(0.55 + HANDOFF_LEGEND_HEIGHT) / height)


def runner_up(case: CostCase) -> str | None:
    """The best other strategy at base, the one the tornado's lead is measured against: the hybrid
    re-optimised when the case uses the optimal D, else held at the case's D (None: no other)."""
    start = case.tornado.attrs.get("strategy", case.strategy)
    fixed = case.days.get("hybrid")
    d = None if fixed is None or fixed == case.optimal_day else fixed
    net = strategy_net(case.book, case.assumptions, d)
    others = {s: v for s, v in net.items() if s != start}
    return best_strategy(others, tie(case.book)) if others else None


def tornado_chart(case: CostCase, top: int = TORNADO_ROWS, fast: bool = False) -> Figure:
    """Each assumption moved to its low and high value alone: the lead of the recommended strategy
    over the runner-up (the best other strategy at base). A bar crossing zero means that range
    alone flips the decision. Assumptions that do not move the lead are left out; at most
    ``top`` (≤ 10) rows, largest swing on top."""
    moves = case.tornado[case.tornado["swing"] > tie(case.book)] if "swing" in case.tornado else case.tornado.iloc[:0]
    table = moves.head(min(top, TORNADO_ROWS)).iloc[::-1]
    base = float(case.tornado.attrs.get("base_lead", 0.0))
    leader = strategy_words(case.tornado.attrs.get("strategy", case.strategy), "short")
    other = runner_up(case)
    versus = strategy_words(other, "short") if other else "next best"
    fig = new_figure(height=max(2.8, 0.9 + ROW_HEIGHT * len(table)))
    ax = fig.add_subplot()
    y = np.arange(len(table))
    for column, colour, name in (("lead_low", BLUE, "low value"), ("lead_high", ORANGE, "high value")):
        values = table[column].to_numpy(dtype=float)
        ax.barh(y, values - base, left=base, color=colour, height=0.6, label=name)
    ax.axvline(base, color="black", linewidth=1)
    ax.axvline(0, color=VERMILLION, linewidth=1.5, linestyle="--", label="decision flips")
    labels = [f"{row.label}\n{format_lever(row.lever, row.low, case.currency)} – "
              f"{format_lever(row.lever, row.high, case.currency)}" for row in table.itertuples()]
    ax.set_yticks(y, labels, fontsize=SMALL)
    if not len(table):
        ax.text(0.5, 0.5, "no assumption, moved within its range, changes the lead", ha="center",
                va="center", fontsize=FONT, color=GREY, transform=ax.transAxes)
    style_axes(ax, f"What moves the decision ({leader} vs {versus})",
               f"lead of {leader} over {versus} (net recovery; base {money(base, case.currency)})",
               grid="x")
    money_axis(ax.xaxis, case.currency)
    legend(ax, loc="best")
    return _fixed(fig, fast, left=0.3, right=0.97, top=0.92, bottom=0.12)


def collection_curve_chart(case: CostCase, fast: bool = False) -> Figure:
    """The answer in one picture: of what reached each age unpaid, the share the client's team
    collected (observed, with its 95% interval; the used curve where thin data blend towards the
    survey), the survey curve, and what an agency would net after its fee. Where the agency's
    line rises above the team's, handing off pays (before effort and capital)."""
    a, book = case.assumptions, case.book
    ages = np.arange(0, book.curve.horizon + 1)
    fig = new_figure(height=3.6 + HANDOFF_LEGEND_HEIGHT)
    ax = fig.add_subplot()
    observed = case.observed
    src = case.source("recovery_curve")
    if observed is not None and observed.start_count:
        # only where the ledger alone is credible (weight 1); thinner ages show in the blended curve
        seen = np.isfinite(observed.collect) & (observed.weight >= 1.0)
        band = seen & np.isfinite(observed.collect_lo)
        ax.fill_between(ages, np.where(band, observed.collect_lo, np.nan) * 100,
                        np.where(band, observed.collect_hi, np.nan) * 100, color=BLUE, alpha=0.15,
                        label="your team: 95% interval")
        ax.plot(ages, np.where(seen, observed.collect, np.nan) * 100, color=BLUE, linewidth=2,
                label="your team: observed in the ledger")
    used = costmodel.in_house_share(book, a, ages) * 100
    if observed is not None and observed.start_count and (observed.claims > 0).any():
        last = int(np.flatnonzero(observed.claims > 0)[-1])  # no claim of the ledger ever got older
        used = np.where(ages <= last, used, np.nan)
    label = ("in-house curve used (set for this client)" if src is not None and src.kind == "client"
             else "in-house curve used (blended where data are thin)" if observed is not None and observed.start_count
             else "in-house: survey curve (no history)")
    ax.plot(ages, used, color=BLUE, linestyle="--", linewidth=1.2, label=label)
    survey = costmodel.recovery_share(a.agency_recovery_curve, ages) * 100
    ax.plot(ages, survey, color=GREY, linestyle=":", label="survey: collectable share")
    fee = (costmodel.flow_fee_rate(book, a, ages) if book.flow is not None
           else costmodel.claim_fee_rates(a, np.full(len(ages), float(np.median(book.stock.amount))
                                                     if len(book.stock) else 1000.0), ages))
    net = costmodel.agency_share(a, ages) * (1 - fee * costmodel.commissioned(a)) * 100
    ax.plot(ages, net, color=ORANGE, linewidth=2, label="agency: net of its fee")
    d_min = float(a.min_placement_age)
    ax.axvspan(0, d_min, color=GREY, alpha=0.08)
    ax.text(d_min + 4, 4, "← no placement", ha="left", va="bottom", fontsize=SMALL, color=GREY)
    style_axes(ax, "Of what reached each age unpaid: what your team collected, what an agency would net",
               "days past due", "share of the amount (%)")
    ax.set_ylim(0, 102)
    ax.set_xlim(0, book.curve.horizon)
    legend_below(fig, ncols=3)
    height = fig.get_figheight()
    return _fixed(fig, fast, left=0.1, right=0.98, top=1 - 0.36 / height,
                  bottom=(0.55 + HANDOFF_LEGEND_HEIGHT) / height)
