"""Charts: each returns a Figure drawn from exactly the input numbers, says "no data" when there is
nothing to draw, renders to PNG with Agg, and keeps its text readable and inside the figure."""

from __future__ import annotations

import inspect

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from arassess.assessment import charts
from arassess.display import style as chartstyle
from arassess.display.format import format_value

BUCKETS = ["Current", "1–30", "31–60", "61–90", "91–120", "120+"]
MONTHS = pd.date_range("2025-01-31", periods=12, freq="ME", name="as_of")


@pytest.fixture(autouse=True)
def _mpl_config(tmp_path, monkeypatch):
    """matplotlib writes nothing under $HOME."""
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mplconfig"))


# --- inputs, in the shapes the analysis modules produce --------------------------------------

def aging_frame(share_as_percent: bool = False) -> pd.DataFrame:
    amount = pd.Series([4_300_000.0, 950_000.0, 215_000.0, 126_000.0, 125_000.0, 290_000.0], index=BUCKETS)
    share = amount / amount.sum() * (100 if share_as_percent else 1)
    return pd.DataFrame({"amount": amount, "count": [1370, 313, 86, 71, 73, 88], "share": share})


def segment_frame() -> pd.DataFrame:
    table = pd.DataFrame([[2_600_000.0, 430_000.0, 60_000.0, 30_000.0, 20_000.0, 120_000.0],
                          [170_000.0, 75_000.0, 20_000.0, 8_000.0, 5_000.0, 13_000.0],
                          [-5_000.0, 90_000.0, 20_000.0, 0.0, 0.0, 14_000.0]],
                         index=pd.Index(["OEM", "Maintenance & repair", "Reseller"], name="segment"),
                         columns=BUCKETS)
    table["total"] = table.sum(axis=1)
    return table


def top_frame(n: int = 5) -> pd.DataFrame:
    amount = np.array([160_000.0, 150_000.0, 120_000.0, 60_000.0, 40_000.0])[:n]
    share = amount / 1_650_000.0
    return pd.DataFrame({"customer_name": [f"Customer {i} GmbH & Co. KG with a long trading name" for i in range(n)],
                         "overdue_amount": amount, "share": share, "cumulative_share": share.cumsum()})


def kpi_values() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    values = pd.DataFrame({"dso": 50 + rng.normal(0, 4, 12), "dso_countback": 52 + rng.normal(0, 4, 12),
                           "bpdso": 38 + rng.normal(0, 3, 12), "add": 14 + rng.normal(0, 2, 12),
                           "cei": 84 + rng.normal(0, 2, 12), "pct_over_90": 6 + rng.normal(0, 1, 12)},
                          index=MONTHS)
    values.iloc[3:5, values.columns.get_loc("dso")] = np.nan  # a gap
    return values


def settled_frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    late = np.where(np.arange(n) % 4 == 0, rng.integers(1, 60, n), 0)  # every 4th invoice late
    return pd.DataFrame({"days_to_pay": 30 + late + rng.integers(-10, 5, n), "days_late": late,
                         "amount": rng.uniform(100, 10_000, n)})


def behaviour_frame(rate_scale: float = 100.0) -> pd.DataFrame:
    return pd.DataFrame({"invoices": [1071, 332, 678], "amount": [5.0e6, 2.9e5, 1.6e6],
                         "days_to_pay": [48.0, 55.0, 51.0], "mean_days_late": [9.4, 21.5, 14.8],
                         "on_time_rate": np.array([0.85, 0.41, 0.394]) * rate_scale},
                        index=pd.Index(["OEM", "Maintenance & repair", "Reseller"], name="segment"))


def roll_frame() -> pd.DataFrame:
    from arassess.kpi.rollrates import ROLL_LABELS

    rng = np.random.default_rng(3)
    rolls = pd.DataFrame(rng.uniform(0.05, 0.95, (12, len(ROLL_LABELS))), index=MONTHS.rename("month_end"),
                         columns=list(ROLL_LABELS))
    rolls.iloc[0, 5] = np.nan
    return rolls


def maturity_frame() -> pd.DataFrame:
    return pd.DataFrame({"area": ["credit_policy", "invoicing", "disputes", "escalation"],
                         "label": ["Credit policy and terms", "Invoicing accuracy and speed", "Dispute handling",
                                   "Escalation procedure"],
                         "score": [2.25, 3.5, np.nan, 0.75]})


def card_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "key": ["ar_total", "dso", "cei", "ar_turnover"],
        "kpi": ["Total AR", "DSO (period)", "CEI", "AR turnover (12 m)"],
        "value": [1_234_567.0, 59.3, 83.3, np.nan],
        "unit": ["currency", "days", "%", "x"],
        "benchmark": [np.nan, 45.0, 80.0, 8.0],
        "better": ["", "lower", "higher", "higher"],
        "status": ["", "bad", "good", ""],
        "note": ["", "", "", "the ledger does not reach back 365 days before the as-of date"],
        "3m_ago": [1_000_000.0, 55.0, 85.0, np.nan],
        "change_3m": [234_567.0, 4.3, -1.7, np.nan],
    })


# --- helpers ---------------------------------------------------------------------------------

def texts(fig: Figure) -> str:
    """Every piece of text in the figure (titles, labels, tick labels, annotations, legends)."""
    fig.draw_without_rendering()  # tick labels get their text when drawn
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def is_no_data(fig: Figure) -> bool:
    return "no data:" in texts(fig)


def bars(ax) -> list:
    """Data bars (legend proxies drawn at NaN are not data)."""
    return [p for p in ax.patches if np.isfinite(p.get_width()) and np.isfinite(p.get_height())]


def luminance(colour) -> float:
    r, g, b = to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# --- the whole set: type, PNG, fonts, layout ---------------------------------------------------

BUILDERS = {
    "aging": lambda: charts.aging_chart(aging_frame(), "EUR"),
    "aging_by_segment": lambda: charts.aging_by_segment_chart(segment_frame(), "EUR"),
    "top_customers": lambda: charts.top_customers_chart(top_frame(), "EUR"),
    "dso_trend": lambda: charts.dso_trend_chart(kpi_values()),
    "collection_trend": lambda: charts.collection_trend_chart(kpi_values()),
    "distribution": lambda: charts.distribution_chart(settled_frame()),
    "segment_behaviour": lambda: charts.segment_behaviour_chart(behaviour_frame()),
    "roll_rates": lambda: charts.roll_rate_chart(roll_frame()),
    "maturity": lambda: charts.maturity_chart(maturity_frame()),
    "no_data": lambda: chartstyle.no_data_figure("Title", "nothing"),
}
EXPECTED_AXES = {"aging": 2, "distribution": 2}


@pytest.mark.parametrize("name", BUILDERS)
def test_figure_renders_readable_png(name, tmp_path):
    before = dict(matplotlib.rcParams)
    fig = BUILDERS[name]()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == EXPECTED_AXES.get(name, 1)
    target = tmp_path / f"{name}.png"
    fig.savefig(target)  # Agg, no bbox_inches: everything must fit the figure as laid out
    assert target.stat().st_size > 2_000
    assert dict(matplotlib.rcParams) == before  # no global style changes
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            assert text.get_fontsize() >= 9, text.get_text()
    drawn, frame = fig.get_tightbbox(), fig.bbox_inches  # inches
    assert drawn.x0 >= -0.01 and drawn.y0 >= -0.01, "something is cut off at the left or bottom"
    assert drawn.x1 <= frame.x1 + 0.01 and drawn.y1 <= frame.y1 + 0.01, "something is cut off at the right or top"


def test_no_pyplot():
    source = inspect.getsource(charts)
    assert "import matplotlib.pyplot" not in source and "plt." not in source
    fig = charts.aging_chart(aging_frame(), "EUR")
    assert fig.canvas.manager is None  # not registered with pyplot: nothing shows, nothing leaks
    assert fig._repr_png_().startswith(b"\x89PNG")  # Jupyter still displays it without pyplot


# Millions and billions keep up to two decimals (a reviewer read 1.05M as "1.1M" and 1.0M as "1M"
# next to it); trailing zeros go; thousands and below stay whole.
@pytest.mark.parametrize("value, expected", [
    (0.0, "0"), (0.4, "0"), (-0.4, "0"), (850.0, "850 EUR"), (250_000.0, "250k EUR"),
    (1_000_000.0, "1M EUR"), (1_050_000.0, "1.05M EUR"), (1_100_000.0, "1.1M EUR"),
    (1_250_000.0, "1.25M EUR"), (1_092_345.0, "1.09M EUR"), (999_999.0, "1M EUR"),  # not "1,000k"
    (2_000_000.0, "2M EUR"), (-1_500_000.0, "-1.5M EUR"), (3.2e9, "3.2bn EUR"), (1_234_000_000_000.0, "1,234bn EUR"),
    (np.nan, "n/a"),
])
def test_money_labels(value, expected):
    assert chartstyle.money(value, "EUR") == expected
    assert chartstyle.money_formatter("EUR")(value) == expected  # no ticks set yet: as money()


def test_money_without_currency():
    assert chartstyle.money(1_050_000) == "1.05M" and chartstyle.money(0) == "0"


@pytest.mark.parametrize("ticks, expected", [
    ([1.0e6, 1.05e6, 1.1e6], ["1M EUR", "1.05M EUR", "1.1M EUR"]),
    ([1.0e6, 1.025e6, 1.05e6], ["1M EUR", "1.025M EUR", "1.05M EUR"]),
    ([0.0, 250e3, 500e3, 750e3, 1e6, 1.25e6], ["0", "250k EUR", "500k EUR", "750k EUR", "1M EUR", "1.25M EUR"]),
    ([1_000.0, 1_500.0, 2_000.0], ["1k EUR", "1.5k EUR", "2k EUR"]),  # money(1_500) alone is "2k"
    ([-200e3, 0.0, 200e3], ["-200k EUR", "0", "200k EUR"]),
    ([3e9, 3.25e9, 3.5e9], ["3bn EUR", "3.25bn EUR", "3.5bn EUR"]),
])
def test_money_ticks_take_their_decimals_from_the_step(ticks, expected):
    labels = chartstyle.money_formatter("EUR").format_ticks(ticks)
    assert labels == expected
    assert len(set(labels)) == len(ticks)


@pytest.mark.parametrize("low, high", [(1.0e6, 1.1e6), (1.0e6, 1.12e6), (1_018_000.0, 1_093_000.0),
                                       (0.0, 1.4e6), (-180e3, 105e3), (2_000.0, 3_100.0)])
def test_money_axis_never_repeats_a_tick_label(low, high):
    fig = chartstyle.new_figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [low, high])
    ax.set_ylim(low, high)
    chartstyle.money_axis(ax.yaxis, "EUR")
    fig.draw_without_rendering()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels


# --- aging -------------------------------------------------------------------------------------

@pytest.mark.parametrize("percent", [False, True])
def test_aging_chart_draws_the_amounts_counts_and_shares(percent):
    aging = aging_frame(share_as_percent=percent)
    fig = charts.aging_chart(aging, "CHF")
    amounts, counts = fig.axes
    assert [p.get_height() for p in bars(amounts)] == pytest.approx(aging["amount"].tolist())
    assert [p.get_height() for p in bars(counts)] == pytest.approx(aging["count"].tolist())
    assert "CHF" in amounts.get_title(loc="left") and "CHF" in amounts.get_ylabel()
    shown = texts(fig)
    assert "71.6%" in shown and "1,370" in shown  # 4.3M of 6.006M; a count label
    assert [t.get_text() for t in amounts.get_xticklabels()] == BUCKETS
    colours = [p.get_facecolor() for p in bars(amounts)]
    assert to_rgb(colours[0]) == to_rgb(chartstyle.CURRENT_COLOUR)
    overdue = [luminance(c) for c in colours[1:]]
    assert overdue == sorted(overdue, reverse=True)  # darker as age grows
    assert all(to_rgb(c) != to_rgb(colours[0]) for c in colours[1:])


@pytest.mark.parametrize("aging", [
    pd.DataFrame(columns=["amount", "count", "share"]),
    pd.DataFrame({"amount": [np.nan] * 2, "count": [np.nan] * 2, "share": [np.nan] * 2}, index=BUCKETS[:2]),
    pd.DataFrame({"amount": [1.0]}, index=BUCKETS[:1]),
], ids=["no_rows", "all_nan", "missing_columns"])
def test_aging_chart_without_data(aging):
    assert is_no_data(charts.aging_chart(aging, "EUR"))


def test_aging_by_segment_stacks_buckets_largest_segment_on_top():
    table = segment_frame()
    fig = charts.aging_by_segment_chart(table, "EUR")
    ax = fig.axes[0]
    order = table["total"].sort_values().index  # bottom to top
    assert [t.get_text() for t in ax.get_yticklabels()] == list(order)
    drawn = np.array([p.get_width() for p in bars(ax)]).reshape(len(BUCKETS), len(table))
    np.testing.assert_allclose(drawn, table.loc[order, BUCKETS].to_numpy().T)
    row = list(order).index("Reseller")
    reseller = [p for p in bars(ax) if p.get_y() < row < p.get_y() + p.get_height()]
    assert reseller[0].get_x() == 0 and reseller[0].get_width() == -5_000  # a credit stacks left of zero
    assert reseller[1].get_x() == 0  # the next bucket starts at zero, not at −5,000
    assert [t.get_text() for t in fig.legends[0].get_texts()] == BUCKETS
    assert "EUR" in ax.get_title(loc="left") and "EUR" in ax.get_xlabel()
    assert "3.26M EUR" in texts(fig)  # OEM total (3,260,000) at the bar's end


def test_aging_by_segment_without_data():
    assert is_no_data(charts.aging_by_segment_chart(segment_frame().iloc[:0], "EUR"))
    assert is_no_data(charts.aging_by_segment_chart(segment_frame() * np.nan, "EUR"))


def test_top_customers_largest_on_top_with_shares():
    top = top_frame()
    fig = charts.top_customers_chart(top, "USD")
    ax = fig.axes[0]
    assert [p.get_width() for p in bars(ax)] == pytest.approx(top["overdue_amount"].tolist())
    assert ax.yaxis_inverted()  # first row (largest) on top
    assert bars(ax)[0].get_y() < bars(ax)[1].get_y()
    shown = texts(fig)
    assert "9.7%  (cum. 9.7%)" in shown and "(cum. 32.1%)" in shown
    assert "hold 32.1% of all overdue AR" in ax.get_title(loc="left")
    assert "USD" in ax.get_title(loc="left") and "USD" in ax.get_xlabel()
    assert all(len(t.get_text()) <= chartstyle.NAME_CHARS for t in ax.get_yticklabels())


def test_top_customers_without_data():
    assert is_no_data(charts.top_customers_chart(top_frame().iloc[:0], "EUR"))
    empty = top_frame().assign(overdue_amount=np.nan)
    assert is_no_data(charts.top_customers_chart(empty, "EUR"))


# --- trends ------------------------------------------------------------------------------------

def kpi_lines(ax) -> list[Line2D]:
    return [line for line in ax.get_lines() if line.get_linestyle() == "-"]


def benchmark_lines(ax) -> dict[float, str]:
    return {line.get_ydata()[0]: line.get_label() for line in ax.get_lines() if line.get_linestyle() == "--"}


def test_dso_trend_lines_gaps_and_benchmarks():
    values = kpi_values()
    fig = charts.dso_trend_chart(values)
    ax = fig.axes[0]
    lines = kpi_lines(ax)
    assert [line.get_label() for line in lines] == ["DSO (period)", "DSO (countback)", "Best possible DSO",
                                                      "ADD (DSO − BPDSO)"]
    np.testing.assert_allclose(lines[0].get_ydata(), values["dso"].to_numpy())  # NaN kept: a gap
    assert np.isnan(lines[0].get_ydata()[3:5]).all()
    marks = benchmark_lines(ax)
    assert set(marks) == {45.0, 10.0}  # DSO and countback share one line
    assert "DSO (period) / DSO (countback): ≤ 45 days" in marks[45.0]
    assert ax.get_ylabel() == "days"


def test_collection_trend_percent_axis_and_benchmarks():
    fig = charts.collection_trend_chart(kpi_values())
    ax = fig.axes[0]
    assert set(benchmark_lines(ax)) == {80.0, 10.0}
    assert "≥ 80%" in benchmark_lines(ax)[80.0]
    assert ax.yaxis.get_major_formatter()(50) == "50%"


def test_trend_chart_skips_keys_without_values_and_checks_keys():
    values = kpi_values().assign(add=np.nan)
    fig = charts.trend_chart(values, ["dso", "add"], "DSO", "days")
    assert [line.get_label() for line in kpi_lines(fig.axes[0])] == ["DSO (period)"]
    assert set(benchmark_lines(fig.axes[0])) == {45.0}
    with pytest.raises(ValueError, match="valid keys"):
        charts.trend_chart(values, ["nope"], "DSO", "days")


@pytest.mark.parametrize("values", [kpi_values().iloc[:0], kpi_values() * np.nan, kpi_values()[["cei"]]],
                         ids=["no_rows", "all_nan", "columns_absent"])
def test_dso_trend_without_data(values):
    fig = charts.dso_trend_chart(values)
    assert is_no_data(fig) and "DSO (period)" in texts(fig)


# --- payment behaviour ---------------------------------------------------------------------------

def test_distribution_counts_every_invoice_and_states_the_on_time_share():
    settled = settled_frame()
    fig = charts.distribution_chart(settled)
    pay, late = fig.axes
    assert sum(p.get_height() for p in bars(pay)) == len(settled)  # no long tail: every invoice shown
    assert sum(p.get_height() for p in bars(late)) == (settled["days_late"] > 0).sum()
    assert "Paid on time: 75.0%" in texts(fig)
    assert pay.get_xlabel() and "days" in pay.get_legend().get_texts()[0].get_text()


def test_distribution_notes_the_long_tail():
    settled = settled_frame(1000).assign(days_to_pay=lambda f: 20 + f.index % 21)
    settled.loc[:4, "days_to_pay"] = 5000  # 0.5% of invoices far beyond the 99% quantile (40 days)
    fig = charts.distribution_chart(settled)
    assert "5 beyond" in texts(fig)
    assert sum(p.get_height() for p in bars(fig.axes[0])) == 995


def test_distribution_when_nobody_pays_late():
    fig = charts.distribution_chart(settled_frame().assign(days_late=0))
    assert "Paid on time: 100.0%" in texts(fig) and "no invoice was paid late" in texts(fig)


@pytest.mark.parametrize("settled", [settled_frame().iloc[:0], settled_frame().assign(days_to_pay=np.nan),
                                     settled_frame()[["days_to_pay"]]])
def test_distribution_without_data(settled):
    assert is_no_data(charts.distribution_chart(settled))


@pytest.mark.parametrize("scale", [100.0, 1.0], ids=["percent", "fraction"])
def test_segment_behaviour_bars_are_the_on_time_rates(scale):
    fig = charts.segment_behaviour_chart(behaviour_frame(scale))
    ax = fig.axes[0]
    assert sorted(p.get_width() for p in bars(ax)) == pytest.approx([39.4, 41.0, 85.0])
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "OEM"  # best on top
    benchmark = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert benchmark[0].get_xdata()[0] == 80
    colours = {round(p.get_width(), 1): to_rgb(p.get_facecolor()) for p in bars(ax)}
    assert colours[85.0] == to_rgb(chartstyle.GOOD) and colours[39.4] == to_rgb(chartstyle.BAD)
    assert "39.4% ✖  (678 inv.)" in texts(fig)


def test_segment_behaviour_without_data():
    assert is_no_data(charts.segment_behaviour_chart(behaviour_frame().iloc[:0]))
    assert is_no_data(charts.segment_behaviour_chart(behaviour_frame().assign(on_time_rate=np.nan)))


def test_roll_rate_lines_are_the_rates():
    rolls = roll_frame()
    fig = charts.roll_rate_chart(rolls)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == list(rolls.columns)
    for line, column in zip(ax.get_lines(), rolls.columns):
        np.testing.assert_allclose(line.get_ydata(), rolls[column].to_numpy())
    assert ax.yaxis.get_major_formatter()(0.25) == "25%"
    assert "%" in ax.get_ylabel()


def test_roll_rate_without_data():
    assert is_no_data(charts.roll_rate_chart(roll_frame().iloc[:0]))
    assert is_no_data(charts.roll_rate_chart(roll_frame() * np.nan))


# --- maturity ------------------------------------------------------------------------------------

def test_maturity_scores_levels_and_unanswered_areas():
    areas = maturity_frame()
    fig = charts.maturity_chart(areas)
    ax = fig.axes[0]
    assert [p.get_width() for p in bars(ax)] == pytest.approx([2.25, 3.5, 0.0, 0.75])
    assert [t.get_text() for t in ax.get_yticklabels()] == areas["label"].tolist()
    assert ax.yaxis_inverted()
    shown = texts(fig)
    assert "not answered" in shown and "2.25" in shown
    assert all(level in shown for level in chartstyle.MATURITY_LEVELS)
    colours = [to_rgb(p.get_facecolor()) for p in bars(ax)]
    assert colours[0] == to_rgb(chartstyle.GOOD) and colours[3] == to_rgb(chartstyle.BAD)


def test_maturity_without_answers():
    assert is_no_data(charts.maturity_chart(maturity_frame().assign(score=np.nan)))
    assert is_no_data(charts.maturity_chart(maturity_frame().iloc[:0]))


# --- scorecard table -----------------------------------------------------------------------------

def test_scorecard_styler_formats_colours_and_hides_the_index():
    card = card_frame()
    styler = charts.scorecard_styler(card, "EUR")
    html = styler.to_html()
    shown = styler.data
    assert list(shown.columns) == ["KPI", "Value", "Benchmark", "Status", "3 months ago", "Change vs 3 m", "Note"]
    assert shown["Value"].tolist() == [format_value(v, u, "EUR") for v, u in zip(card["value"], card["unit"])]
    assert shown["Benchmark"].tolist() == ["", "≤ 45.0 days", "≥ 80.0%", "≥ 8.00x"]
    assert shown["Status"].tolist() == ["", "✖ needs attention", "✔ within benchmark", ""]
    assert shown["Change vs 3 m"].tolist() == ["+234,567 EUR", "+4.3 days", "-1.7 pp", "n/a"]
    assert "the ledger does not reach back 365 days" in html
    assert "1,234,567 EUR" in html and "EUR" in styler.caption
    assert "row_heading" not in html  # no index column
    for status, css in chartstyle.STATUS_STYLE.items():
        assert css.split(";")[0].split(":")[1].strip() in html


def test_scorecard_styler_without_rows():
    assert "no data" in charts.scorecard_styler(card_frame().iloc[:0], "EUR").to_html()
