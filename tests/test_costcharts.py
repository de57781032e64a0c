"""Notebook 02's charts and tables on the sample clients and on edge cases (no overdue claims)."""

from __future__ import annotations

import pandas as pd
import pytest

from arassess import costcharts
from arassess.claims import CLAIM_COLUMNS
from arassess.costcase import analyse
from arassess.costmodel import Assumptions
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
