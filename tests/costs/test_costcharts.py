"""Notebook 02's charts and tables on the sample clients and on edge cases (no overdue claims)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from arassess.costs import charts as costcharts
from arassess.costs.case import analyse, build_book, load_case, strategy_net
from arassess.costs.claims import CLAIM_COLUMNS
from arassess.costs.collection import survey_curve
from arassess.costs.model import Assumptions, best_strategy, tie
from arassess.costs.sections import SECTIONS, assumptions_table, claims_table, comparison_table, formatted, section
from arassess.costs.words import STRATEGY_WORDS
from arassess.paths import SAMPLE_DATA_DIR

CHARTS = (costcharts.waterfall_chart, costcharts.handoff_chart, costcharts.tornado_chart,
          costcharts.collection_curve_chart)


@pytest.fixture(scope="module", params=["voltline", "northwind_open_items"])
def case(request):
    return load_case(SAMPLE_DATA_DIR / request.param)[0]


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.__name__)
def test_every_chart_renders_png(case, chart):
    assert chart(case)._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_waterfall_steps_add_up_to_net(case):
    fig = costcharts.waterfall_chart(case)
    bars = fig.axes[0].patches
    per_strategy = len(bars) // len(case.strategies)
    for g, strategy in enumerate(case.strategies):
        group = bars[g * per_strategy:(g + 1) * per_strategy]
        gross, *costs, net = (b.get_height() for b in group)
        assert gross == pytest.approx(case.result.loc[strategy, "gross_recovery"])
        assert gross - sum(costs) == pytest.approx(net)
        assert net == pytest.approx(case.result.loc[strategy, "net_recovery"])


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.mark.parametrize("fast", [False, True])
def test_waterfall_labels_each_net_in_whole_thousands(case, fast):
    shown = texts(costcharts.waterfall_chart(case, fast=fast))
    for strategy in case.strategies:
        net = case.result.loc[strategy, "net_recovery"]
        assert f"{round(net / 1e3):,}k {case.currency}" in shown


def test_waterfall_net_labels_tell_voltline_strategies_apart():
    # a year's nets of 19.3M and 17.9M: whole thousands keep the 1.5M between them readable
    case = load_case(SAMPLE_DATA_DIR / "voltline")[0]
    shown = texts(costcharts.waterfall_chart(case))
    net = case.result["net_recovery"]
    assert {f"{round(v / 1e3):,}k EUR" for v in net} <= set(shown)


def test_thousands_labels():
    assert costcharts.thousands(1_091_708.0, "EUR") == "1,092k EUR"
    assert costcharts.thousands(-12_400.0, "EUR") == "-12k EUR"
    assert costcharts.thousands(400.0, "EUR") == "0" and costcharts.thousands(float("nan")) == "n/a"


def test_tornado_names_the_runner_up_and_the_base_lead(case):
    fig = costcharts.tornado_chart(case)
    ax = fig.axes[0]
    leader = case.tornado.attrs["strategy"]
    net = strategy_net(case.book, case.assumptions, None)  # D is the optimal one
    other = max((s for s in net if s != leader), key=net.get)
    assert costcharts.runner_up(case) == other
    assert case.tornado.attrs["base_lead"] == pytest.approx(net[leader] - net[other])
    lead, runner = STRATEGY_WORDS[leader]["short"], STRATEGY_WORDS[other]["short"]
    assert ax.get_xlabel().startswith(f"lead of {lead} over {runner} (net recovery; base ")
    assert f"({lead} vs {runner})" in ax.get_title(loc="left")


def test_tornado_runner_up_at_a_fixed_hand_off_day():
    # Voltline with D held at 60: the hybrid is a column; in-house still leads
    case = load_case(SAMPLE_DATA_DIR / "voltline", handoff_day=60)[0]
    assert case.days["hybrid"] == 60 and case.strategy == "in_house"
    net = strategy_net(case.book, case.assumptions, 60.0)
    other = best_strategy({s: v for s, v in net.items() if s != "in_house"}, tie(case.book))
    assert costcharts.runner_up(case) == other
    runner = STRATEGY_WORDS[other]["short"]
    assert f"lead of in-house over {runner}" in costcharts.tornado_chart(case).axes[0].get_xlabel()


@pytest.mark.parametrize("fast", [False, True])
def test_tornado_leaves_out_assumptions_without_effect_and_keeps_ten(case, fast):
    labels = [t.get_text().split("\n")[0] for t in costcharts.tornado_chart(case, fast=fast).axes[0].get_yticklabels()]
    moving = case.tornado[case.tornado["swing"] > tie(case.book)]
    assert labels == list(moving["label"].head(10))[::-1]  # largest swing on top
    assert len(labels) <= 10
    assert not set(labels) & set(case.tornado.loc[case.tornado["swing"] <= tie(case.book), "label"])


def test_tornado_drops_zero_swings_and_caps_rows():
    case = load_case(SAMPLE_DATA_DIR / "voltline")[0]
    rows = pd.concat([case.tornado] * 2, ignore_index=True)
    rows["label"] = [f"lever {i}" for i in range(len(rows))]
    rows["swing"] = [0.0, 0.0, *(1e6 * k for k in range(len(rows) - 2, 0, -1))]  # two without effect
    rows.attrs = dict(case.tornado.attrs)
    fig = costcharts.tornado_chart(dataclasses.replace(case, tornado=rows))
    labels = [t.get_text().split("\n")[0] for t in fig.axes[0].get_yticklabels()]
    assert labels == [f"lever {i}" for i in range(11, 1, -1)]  # rows 2..11, the first two dropped
    everything_still = rows.assign(swing=0.0)
    everything_still.attrs = dict(case.tornado.attrs)
    fig = costcharts.tornado_chart(dataclasses.replace(case, tornado=everything_still))
    assert not fig.axes[0].get_yticklabels() and any("changes the lead" in t for t in texts(fig))


@pytest.mark.parametrize("fixed_day", [None, 60.0])
@pytest.mark.parametrize("fast", [False, True])
def test_handoff_legend_sits_below_the_plot(case, fast, fixed_day):
    if fixed_day is not None:
        case = load_case(SAMPLE_DATA_DIR / "voltline", handoff_day=fixed_day)[0]
    fig = costcharts.handoff_chart(case, fast=fast)
    ax = fig.axes[0]
    assert ax.get_legend() is None and len(fig.legends) == 1
    assert (fig.get_layout_engine() is None) == fast  # fast: fixed margins, one draw
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box, plot = fig.legends[0].get_window_extent(renderer), ax.get_tightbbox(renderer)
    assert box.y1 <= plot.y0 + 1  # under the plot and its x-axis label, over nothing drawn
    assert box.y0 >= 0 and box.x0 >= 0 and box.x1 <= fig.bbox.x1  # inside the figure
    assert plot.x0 >= 0  # the y-axis label is not cut off
    shown = [t.get_text() for t in fig.legends[0].get_texts()]
    best = case.handoff_curve.set_index("handoff_day")["value_vs_in_house"].get(case.optimal_day, 0.0)
    assert (f"best D = {case.optimal_day:g} days" in shown) == (best > 0)
    chosen = case.days.get("hybrid")
    assert any(t.startswith("chosen D") for t in shown) == (chosen is not None and chosen != case.optimal_day)


def test_comparison_and_claims_tables(case):
    table = comparison_table(case)
    assert table.index[0] == "Overdue amount worked" and "= Net recovered cash" in table.index
    assert table.shape[1] == len(case.strategies) and table.columns[0] == "in-house"
    assert table.columns[1] == f"agency (D = {case.days['agency']:g})"
    shown = formatted(table)
    assert shown.loc["= Net recovered cash", "in-house"] == f"{case.result.loc['in_house', 'net_recovery']:,.0f}"
    assert "." not in shown.loc["Claims placed"].iloc[1]  # counts as whole numbers
    client = comparison_table(case, "client")
    assert "Collected by your team" in client.index and "− Suit fees and court costs" not in client.index
    claims = claims_table(case)
    assert claims.iloc[-1]["bucket"] == "Total"
    assert claims.iloc[-1]["balance"] == pytest.approx(case.claims["amount"].sum())
    assert claims.iloc[:-1]["claims"].sum() == len(case.claims)
    sources = assumptions_table(case)
    assert set(sources["from"]) <= {"from your ledger", "set for this client", "default"}
    assert sources["detail"].str.len().min() > 10
    assert (sources["from"] == "from your ledger").any() == (case.basis == "flow")


def test_a_cost_row_is_labelled_once_for_every_reader(case):
    from arassess.costs.sections import COMPARISON_ROWS

    for line, consultant, client, _kind in COMPARISON_ROWS:
        assert line in case.result.columns
        assert consultant in comparison_table(case).index
    with pytest.raises(ValueError, match="valid: consultant, client"):
        comparison_table(case, "board")


def test_nothing_overdue_is_said_and_still_renders():
    empty = pd.DataFrame({c: pd.Series(dtype=float if c in ("amount", "days_past_due", "customer_annual_sales")
                                        else object) for c in CLAIM_COLUMNS})
    empty["bucket"] = pd.Categorical([], categories=["1–30"])
    from arassess.inputs.intake import ledger_from_frames

    ledger = ledger_from_frames(pd.DataFrame({"invoice_id": ["A"], "customer_id": ["C"],
                                              "invoice_date": ["2026-09-01"], "due_date": ["2026-12-01"],
                                              "amount": [10.0]}), as_of="2026-10-31", shape="open_items")
    a = Assumptions()
    curve = survey_curve(a.recovery_curve, pd.Timestamp("2026-10-31"))
    book = build_book(ledger, pd.Timestamp("2026-10-31"), a, empty, curve)
    case = analyse("Empty Ltd", "EUR", pd.Timestamp("2026-10-31"), empty, None, book, a, None)
    assert any("No overdue invoices" in n for n in case.notes)
    assert case.result["net_recovery"].abs().max() == 0  # nothing recovered, no team cost charged
    for chart in CHARTS:
        assert chart(case)._repr_png_()
    for name in SECTIONS:
        assert section(case, name)


def test_only_a_comparison_without_history_is_indicative(case):
    assert (case.indicative is not None) == (case.flow is None)  # Northwind: open items, no history
