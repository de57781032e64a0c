"""Notebook 02's charts and tables on the sample clients and on edge cases (no overdue claims)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from arassess import costcharts
from arassess.claims import CLAIM_COLUMNS
from arassess.costcase import analyse
from arassess.costmodel import SHORT, Assumptions, Claims, net_with_optimal_handoff
from arassess.costreport import SECTIONS, assumptions_table, claims_table, comparison_table, load_case, section
from arassess.paths import SAMPLE_DATA_DIR

CHARTS = (costcharts.waterfall_chart, costcharts.handoff_chart, costcharts.tornado_chart,
          costcharts.recovery_curves_chart)


@pytest.fixture(scope="module", params=["voltline", "northwind_open_items"])
def case(request):
    return load_case(SAMPLE_DATA_DIR / request.param)[0]


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.__name__)
def test_every_chart_renders_png(case, chart):
    assert chart(case)._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_waterfall_steps_add_up_to_net(case):
    fig = costcharts.waterfall_chart(case)
    bars = fig.axes[0].patches
    per_strategy = len(bars) // 3
    for g, strategy in enumerate(("in_house", "agency", "hybrid")):
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
    for strategy in ("in_house", "agency", "hybrid"):
        net = case.result.loc[strategy, "net_recovery"]
        assert f"{round(net / 1e3):,}k {case.currency}" in shown


def test_waterfall_net_labels_tell_voltline_strategies_apart():
    # nets 1,068.5k / 1,032.1k / 1,091.7k: "1.1M / 1M / 1.1M" hid the 23k the recommendation rests on
    case = load_case(SAMPLE_DATA_DIR / "voltline")[0]
    shown = texts(costcharts.waterfall_chart(case))
    assert {"1,069k EUR", "1,032k EUR", "1,092k EUR"} <= set(shown)


def test_thousands_labels():
    assert costcharts.thousands(1_091_708.0, "EUR") == "1,092k EUR"
    assert costcharts.thousands(-12_400.0, "EUR") == "-12k EUR"
    assert costcharts.thousands(400.0, "EUR") == "0" and costcharts.thousands(float("nan")) == "n/a"


def test_tornado_names_the_runner_up_and_the_base_lead(case):
    fig = costcharts.tornado_chart(case)
    ax = fig.axes[0]
    leader = case.tornado.attrs["strategy"]
    net = net_with_optimal_handoff(Claims.from_frame(case.claims), case.assumptions)[0]  # D is the optimal one
    other = max((s for s in net if s != leader), key=net.get)
    assert costcharts.runner_up(case) == other
    assert case.tornado.attrs["base_lead"] == pytest.approx(net[leader] - net[other])
    assert ax.get_xlabel().startswith(f"lead of {SHORT[leader]} over {SHORT[other]} (net recovery; base ")
    assert f"({SHORT[leader]} vs {SHORT[other]})" in ax.get_title(loc="left")


def test_tornado_runner_up_by_sample():
    volt = load_case(SAMPLE_DATA_DIR / "voltline")[0]
    assert costcharts.tornado_chart(volt).axes[0].get_xlabel() == \
        "lead of hybrid over in-house (net recovery; base 23k EUR)"
    northwind = load_case(SAMPLE_DATA_DIR / "northwind_open_items")[0]
    assert costcharts.tornado_chart(northwind).axes[0].get_xlabel().startswith("lead of agency over hybrid")


def test_tornado_runner_up_at_a_fixed_hand_off_day():
    # Voltline with D held at 30: in-house leads; the hybrid at D = 30 (1,015k) trails the agency (1,032k)
    case = load_case(SAMPLE_DATA_DIR / "voltline", handoff_day=30)[0]
    assert case.handoff_day != case.optimal_day
    assert costcharts.runner_up(case) == "agency"
    assert "lead of in-house over agency" in costcharts.tornado_chart(case).axes[0].get_xlabel()


@pytest.mark.parametrize("fast", [False, True])
def test_tornado_leaves_out_assumptions_without_effect_and_keeps_ten(case, fast):
    labels = [t.get_text().split("\n")[0] for t in costcharts.tornado_chart(case, fast=fast).axes[0].get_yticklabels()]
    moving = case.tornado[case.tornado["swing"] > 0.5]
    assert labels == list(moving["label"].head(10))[::-1]  # largest swing on top
    assert len(labels) <= 10
    assert not set(labels) & set(case.tornado.loc[case.tornado["swing"] <= 0.5, "label"])


def test_tornado_drops_zero_swings_and_caps_rows():
    case = load_case(SAMPLE_DATA_DIR / "voltline")[0]
    rows = pd.concat([case.tornado] * 2, ignore_index=True)
    rows["label"] = [f"lever {i}" for i in range(len(rows))]
    rows["swing"] = [0.0, 0.0, *range(len(rows) - 2, 0, -1)]  # two without effect, then 22 that move
    rows.attrs = dict(case.tornado.attrs)
    fig = costcharts.tornado_chart(dataclasses.replace(case, tornado=rows))
    labels = [t.get_text().split("\n")[0] for t in fig.axes[0].get_yticklabels()]
    assert labels == [f"lever {i}" for i in range(11, 1, -1)]  # rows 2..11, the first two dropped
    everything_still = rows.assign(swing=0.0)
    everything_still.attrs = dict(case.tornado.attrs)
    fig = costcharts.tornado_chart(dataclasses.replace(case, tornado=everything_still))
    assert not fig.axes[0].get_yticklabels() and any("changes the lead" in t for t in texts(fig))


@pytest.mark.parametrize("fixed_day", [None, 30.0])
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
    assert f"optimal D = {case.optimal_day:g} days" in shown
    assert (f"chosen D = {case.handoff_day:g} days" in shown) == (case.handoff_day != case.optimal_day)


def test_comparison_and_claims_tables(case):
    table = comparison_table(case)
    assert list(table.index[:1]) == ["Gross recovery"] and "= Net recovered cash" in table.index
    assert table.shape[1] == 3 and table.columns[2].startswith("hybrid (D = ")
    claims = claims_table(case)
    assert claims.iloc[-1]["bucket"] == "Total"
    assert claims.iloc[-1]["balance"] == pytest.approx(case.claims["amount"].sum())
    assert claims.iloc[:-1]["claims"].sum() == len(case.claims)
    sources = assumptions_table(case.assumptions, case.currency)
    assert sources["source"].str.len().min() > 10


def test_nothing_overdue_is_said_and_still_renders():
    empty = pd.DataFrame({c: pd.Series(dtype=float if c in ("amount", "days_past_due", "customer_annual_sales")
                                        else object) for c in CLAIM_COLUMNS})
    empty["bucket"] = pd.Categorical([], categories=["1–30"])
    case = analyse("Empty Ltd", "EUR", pd.Timestamp("2026-10-31"), empty, None, Assumptions(), None)
    assert any("No overdue invoices" in n for n in case.notes)
    assert case.result["net_recovery"].abs().max() == 0  # nothing recovered, no team cost charged
    for chart in CHARTS:
        assert chart(case)._repr_png_()
    for name in SECTIONS:
        assert section(case, name)


def test_only_a_comparison_without_workload_history_is_indicative(case):
    from arassess.clientreport import indicative

    assert (indicative(case) is not None) == (case.flow is None)  # Northwind: open items, no yearly count
    given = dataclasses.replace(case, assumptions=dataclasses.replace(case.assumptions, yearly_overdue_invoices=500))
    assert indicative(given) is None
