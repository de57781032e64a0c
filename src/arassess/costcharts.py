"""Charts of notebook 02 (in-house or agency?), drawn from a :class:`~arassess.costcase.CostCase`.

Same look as :mod:`arassess.charts` (styles from :mod:`arassess.chartstyle`); no pyplot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arassess.chartstyle import (
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
from arassess.costcase import CostCase, format_lever
from arassess.costmodel import (
    SHORT,
    STRATEGIES,
    TIE,
    Claims,
    best_strategy,
    net_by_strategy,
    net_with_optimal_handoff,
    recovery_share,
)

#: The waterfall's steps: (column of the evaluate result, label); costs are drawn downwards.
WATERFALL_STEPS = (("agency_fees", "Agency fees"), ("suit_costs", "Suits"), ("in_house_costs", "Team"),
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
    for g, strategy in enumerate(STRATEGIES):
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
        chosen = " ✔" if strategy == case.strategy else ""
        head = f"{SHORT[strategy]}{chosen}" + (f" (D = {case.handoff_day:g})" if strategy == "hybrid" else "")
        ax.text(x0 + (width - 1) / 2, 1.02, head, transform=ax.get_xaxis_transform(), ha="center",
                va="bottom", fontsize=FONT, fontweight="bold" if chosen else "normal")
        # above the last cost step too: the label is wider than the bar and would run into it
        ax.text(x[-1], max(net, bottoms[-2] + heights[-2], 0), thousands(net, currency), ha="center",
                va="bottom", fontsize=SMALL)
    ax.set_xticks(ticks, names, rotation=45, ha="right", fontsize=SMALL)
    style_axes(ax, "")
    money_axis(ax.yaxis, currency)
    fig.suptitle("From gross recovery to net recovered cash, per strategy", fontsize=FONT + 1, x=0.02,
                 ha="left")
    return _fixed(fig, fast, left=0.1, right=0.98, top=0.84, bottom=0.24)


def handoff_chart(case: CostCase, fast: bool = False) -> Figure:
    """Hybrid net recovery as a function of the hand-off day D, with in-house and agency for
    reference and markers at the chosen and the optimal D."""
    curve, currency = case.handoff_curve, case.currency
    fig = new_figure(height=3.6 + HANDOFF_LEGEND_HEIGHT)
    ax = fig.add_subplot()
    ax.plot(curve["handoff_day"], curve["net_recovery"], color=STRATEGY_COLOUR["hybrid"], marker="o",
            markersize=3, label="hybrid: in-house until D, then agency")
    for strategy, style in (("in_house", "--"), ("agency", ":")):
        ax.axhline(float(case.result.loc[strategy, "net_recovery"]), color=STRATEGY_COLOUR[strategy],
                   linestyle=style, label=f"all {SHORT[strategy]}")
    best = curve.loc[curve["handoff_day"] == case.optimal_day, "net_recovery"].iloc[0]
    ax.plot([case.optimal_day], [best], marker="*", markersize=14, color=VERMILLION, linestyle="none",
            label=f"optimal D = {case.optimal_day:g} days")
    if case.handoff_day != case.optimal_day:
        ax.axvline(case.handoff_day, color=GREY, linewidth=1, label=f"chosen D = {case.handoff_day:g} days")
    style_axes(ax, "Net recovered cash by hand-off day D", "hand-off day D (days past due)",
               "net recovery")
    money_axis(ax.yaxis, currency)
    legend_below(fig, ncols=3)  # under the plot: never over the lines
    height = fig.get_figheight()
    return _fixed(fig, fast, left=0.15, right=0.98, top=1 - 0.36 / height,
                  bottom=(0.55 + HANDOFF_LEGEND_HEIGHT) / height)


def runner_up(case: CostCase) -> str | None:
    """The best other strategy at base, the one the tornado's lead is measured against: the hybrid
    re-optimised when the case uses the optimal D, else held at the case's D (None: no other)."""
    start = case.tornado.attrs.get("strategy", case.strategy)
    c = Claims.from_frame(case.claims)
    if case.handoff_day == case.optimal_day:
        net = net_with_optimal_handoff(c, case.assumptions)[0]
    else:
        net = net_by_strategy(c, case.assumptions, case.handoff_day)
    others = {s: v for s, v in net.items() if s != start}
    return best_strategy(others) if others else None


def tornado_chart(case: CostCase, top: int = TORNADO_ROWS, fast: bool = False) -> Figure:
    """Each assumption moved to its low and high value alone: the lead of the recommended strategy
    over the runner-up (the best other strategy at base). A bar crossing zero means that range
    alone flips the decision. Assumptions that do not move the lead are left out; at most
    ``top`` (≤ 10) rows, largest swing on top."""
    moves = case.tornado[case.tornado["swing"] > TIE] if "swing" in case.tornado else case.tornado.iloc[:0]
    table = moves.head(min(top, TORNADO_ROWS)).iloc[::-1]
    base = float(case.tornado.attrs.get("base_lead", 0.0))
    leader = SHORT[case.tornado.attrs.get("strategy", case.strategy)]
    other = runner_up(case)
    versus = SHORT[other] if other else "next best"
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


def recovery_curves_chart(case: CostCase) -> Figure:
    """The in-house and agency recovery curves (as scaled) with the overdue balance by age."""
    a, claims = case.assumptions, case.claims
    days = np.arange(0, 731, 5)
    fig = new_figure(height=3.4)
    ax = fig.add_subplot()
    for curve, scale, strategy in ((a.recovery_curve, a.in_house_recovery_scale, "in_house"),
                                   (a.agency_recovery_curve, a.agency_recovery_scale, "agency")):
        ax.plot(days, np.minimum(1, scale * recovery_share(curve, days)) * 100,
                color=STRATEGY_COLOUR[strategy], label=f"{SHORT[strategy]} (× {scale:.2f})")
    style_axes(ax, "Expected recovery by age of claim", "days past due", "recovered (%)")
    ax.set_ylim(0, 100)
    if len(claims):
        twin = ax.twinx()
        edges = np.arange(0, max(int(claims["days_past_due"].max()) + 31, 60), 30)
        balance = pd.cut(claims["days_past_due"], edges).pipe(
            lambda b: claims["amount"].groupby(b, observed=False).sum())
        twin.bar(edges[:-1] + 15, balance.to_numpy(), width=26, color=GREY, alpha=0.3,
                 label="overdue balance")
        money_axis(twin.yaxis, case.currency)
        twin.tick_params(labelsize=SMALL)
        twin.spines[["top"]].set_visible(False)
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
        legend(twin, loc="center right")
    legend(ax, loc="upper right")
    return fig
