"""The late-payment risk as the user sees it: the report section of notebook 01, the risk charts,
the block in the client report's current-state chapter and the dashboard's reuse of a fit.

The Voltline sample (a full ledger: risk available) is assessed once for the module through the
client report's :func:`~arassess.report.client.gather` (one fit, ~4 s); Northwind (an open-items
export: no risk scores) is cheap. Expected values are read from the :class:`RiskResult` and
written out the way the section should show them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from IPython.display import Markdown
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from arassess.assessment.sections import SECTION_TITLES, SECTIONS, section
from arassess.config.risk import RiskSettings
from arassess.display.format import format_value
from arassess.display.items import AltImage, block
from arassess.display.style import GREEN, ORANGE, VERMILLION, money
from arassess.report.client import CHAPTERS, chapters, gather, risk_blocks
from arassess.risk import charts as riskcharts
from arassess.risk.model import unavailable
from arassess.risk.tables import validation_table

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "sample_data" / "voltline"
OPEN_ITEMS = ROOT / "sample_data" / "northwind_open_items"
OPEN_ITEMS_REASON = ("an open-items export lists only the invoices still open, so there is no payment history to "
                     "learn from; export the full ledger (paid invoices too) for risk scores")


@pytest.fixture(autouse=True)
def _mpl_config(tmp_path, monkeypatch):
    """matplotlib writes nothing under $HOME."""
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mplconfig"))


@pytest.fixture(scope="module")
def voltline():
    """The client report's data for the sample ledger (its assessment carries the one risk fit)."""
    data = gather(LEDGER, planned_on="2026-11-02")
    assert data.assessment.risk.available, data.assessment.risk.reason
    return data


@pytest.fixture(scope="module")
def northwind():
    return gather(OPEN_ITEMS, planned_on="2026-11-02")


def markdown(items) -> list[str]:
    return [item.data for item in items if isinstance(item, Markdown)]


def frames(items) -> list[pd.DataFrame]:
    """The DataFrames behind the section's tables (Stylers)."""
    return [item.data for item in items if hasattr(item, "data") and isinstance(item.data, pd.DataFrame)]


def texts(fig: Figure) -> str:
    fig.draw_without_rendering()  # tick labels get their text when drawn
    return "\n".join(t.get_text() for t in fig.findobj(Text))


def legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def bars_by_colour(fig: Figure) -> dict[str, float]:
    """Total height of the histogram's bars per face colour."""
    out: dict[str, float] = {}
    for patch in fig.axes[0].patches:
        if isinstance(patch, Rectangle) and np.isfinite(patch.get_height()):
            colour = to_hex(patch.get_facecolor())
            out[colour] = out.get(colour, 0.0) + patch.get_height()
    return out


# --- the report section ----------------------------------------------------------------------

def test_risk_comes_after_behaviour_and_the_sections_are_numbered_in_order():
    assert list(SECTIONS) == ["data", "scorecard", "aging", "trends", "behaviour", "risk", "forecast", "entitlement",
                              "maturity", "findings"]
    assert list(SECTION_TITLES) == list(SECTIONS)
    assert SECTION_TITLES["risk"] == "6. Late-payment risk"
    assert [title.split(". ")[0] for title in SECTION_TITLES.values()] == [str(i) for i in range(1, 11)]
    assert SECTION_TITLES["forecast"] == "7. Cash in the next 13 weeks"
    assert SECTION_TITLES["entitlement"] == "8. Late-payment interest owed"
    assert SECTION_TITLES["maturity"] == "9. Process maturity" and SECTION_TITLES["findings"] == "10. Findings"


def test_section_states_the_decision_the_meaning_of_late_and_the_split(voltline):
    a = voltline.assessment
    r, sp = a.risk, a.risk.split
    items = section(a, "risk")
    assert items[0].data == "## 6. Late-payment risk"
    intro = markdown(items)[1]
    assert "paid more than 30 days after the due date" in intro
    assert r.reason in intro and r.reason.startswith("On invoices due after the cut-off")
    assert f"cut-off {sp['cutoff']:%Y-%m-%d}" in intro
    assert f"({sp['train_rows']:,} invoices, {sp['train_late_share']:.0%} late)" in intro
    assert f"the {sp['test_rows']:,} invoices due after it ({sp['test_late_share']:.0%} late)" in intro
    assert f"The scores at 2026-10-31 use the **{r.model_name}** model." in intro and r.used == "model"
    assert markdown(items)[-1] == f"Fitted and validated in {r.fit_seconds:.1f} s."
    assert sum(isinstance(item, AltImage) for item in items) == 2  # calibration and score distribution


def test_section_says_when_the_history_was_sampled(voltline):
    a = voltline.assessment
    r, sp = a.risk, a.risk.split
    assert not sp["sampled"] and f"learn from {sp['history_rows']:,} invoices with a known outcome" in \
        markdown(section(a, "risk"))[1]
    sampled = dict(sp, sampled=True, history_rows=12_000, history_rows_available=sp["history_rows"])
    b = dataclasses.replace(a, known_risk=dataclasses.replace(r, split=sampled))
    intro = markdown(section(b, "risk"))[1]
    assert (f"learn from a seeded random sample of 12,000 of the {sp['history_rows']:,} invoices with a known "
            "outcome (a larger history is sampled to risk.max_history_rows, set in client.yaml), due ") in intro


def test_section_validation_table_has_every_predictor_with_readable_columns(voltline):
    r = voltline.assessment.risk
    shown = frames(section(voltline.assessment, "risk"))[0]
    assert list(shown.columns) == ["Predictor", "AUC (test)", "AUC 95% interval", "Brier (test)",
                                   "Brier (model choice)", "Chosen", "Used"]
    assert list(shown["Predictor"]) == ["baseline", "logistic regression", "gradient boosting"]
    v = r.validation.set_index("predictor")
    for row in shown.itertuples(index=False):
        expected = v.loc[row.Predictor]
        assert row[1] == f"{expected['auc']:.3f}"
        assert row[2] == f"{expected['auc_low']:.3f}–{expected['auc_high']:.3f}"
        assert row[3] == f"{expected['brier']:.4f}"
        assert row.Chosen == ("yes" if expected["chosen"] else "") and row.Used == ("yes" if expected["used"] else "")
    assert shown.loc[shown["Predictor"] == "baseline", "Brier (model choice)"].item() == ""  # not a candidate
    assert (shown["Used"] == "yes").sum() == 1 == (shown["Chosen"] == "yes").sum()
    assert shown.loc[shown["Used"] == "yes", "Predictor"].item() == r.model_name


def test_section_band_counts_and_riskiest_customers(voltline):
    a = voltline.assessment
    r = a.risk
    items = section(a, "risk")
    ages, bands, top = frames(items)[1:]
    check = r.age_check
    assert ages["Still unpaid (days after due)"].tolist() == [0, 10, 20]
    assert ages["After the age update"].tolist() == [f"{v:.0%}" for v in check["updated"]]
    assert ages["Paid late (observed)"].tolist() == [f"{v:.0%}" for v in check["observed"]]
    counts = r.band_counts()
    assert list(bands["Band"]) == ["low", "medium", "high"]
    assert bands["Customers"].tolist() == counts["customers"].tolist()
    assert bands["Customers"].sum() == len(r.customers)
    assert bands["Open amount (EUR)"].tolist() == counts["open_amount"].round(0).tolist()
    high = counts.set_index("band").loc["high"]
    assert f"**{int(high['customers']):,} customers are high risk**, owing " \
           f"{format_value(high['open_amount'], 'currency', 'EUR')}" in "\n".join(markdown(items))
    assert len(top) == 10
    expected = r.customers.head(10)
    assert top["Customer"].tolist() == expected["customer_name"].tolist()
    assert top["Score"].tolist() == [f"{s:.0%}" for s in expected["score"]]
    assert top["Band"].tolist() == expected["band"].astype(str).tolist()
    assert top["Drivers"].tolist() == expected["drivers"].tolist()
    assert top["Past late share"].iloc[0] == f"{expected['past_late_share'].iloc[0]:.0%}"
    scores = expected["score"].to_numpy()
    assert (np.diff(scores) <= 0).all() and scores[0] > 0.5  # highest first


def test_section_for_an_open_items_export_is_one_line(northwind):
    a = northwind.assessment
    assert not a.risk.available
    items = section(a, "risk")
    assert [item.data for item in items] == ["## 6. Late-payment risk",
                                              f"Risk scores are not available: {OPEN_ITEMS_REASON}."]


def test_section_when_the_history_is_too_short_gives_the_reason_once(northwind):
    reason = "too little settled history for an honest test — training invoices: 120 (needs at least 400)."
    a = dataclasses.replace(northwind.assessment, known_risk=unavailable(reason, northwind.assessment.as_of,
                                                                          RiskSettings()))
    assert markdown(section(a, "risk"))[1] == f"Risk scores are not available: {reason}"  # no second period


def test_validation_table_without_a_model_choice():
    validation = pd.DataFrame({"predictor": ["baseline", "logistic regression"], "validation_brier": [np.nan, 0.1],
                               "auc": [0.61, 0.6], "auc_low": [0.55, 0.54], "auc_high": [0.66, 0.65],
                               "brier": [0.15, 0.16], "chosen": [False, True], "used": [True, False]})
    shown = validation_table(validation)
    assert shown.to_dict("records") == [
        {"Predictor": "baseline", "AUC (test)": "0.610", "AUC 95% interval": "0.550–0.660", "Brier (test)": "0.1500",
         "Brier (model choice)": "", "Chosen": "", "Used": "yes"},
        {"Predictor": "logistic regression", "AUC (test)": "0.600", "AUC 95% interval": "0.540–0.650",
         "Brier (test)": "0.1600", "Brier (model choice)": "0.1000", "Chosen": "yes", "Used": ""}]


# --- the charts -----------------------------------------------------------------------------

TINY_CUSTOMERS = pd.DataFrame({  # one customer per band; amounts by hand
    "customer_id": ["c1", "c2", "c3", "c4"], "score": [0.10, 0.30, 0.90, 1.0],
    "band": pd.Categorical(["low", "medium", "high", "high"], categories=["low", "medium", "high"]),
    "open_amount": [100.0, 200.0, 300.0, 50.0]})


def test_score_distribution_stacks_the_open_amount_by_band_with_the_thresholds():
    fig = riskcharts.score_distribution_chart(TINY_CUSTOMERS, 0.2, 0.5, "EUR")
    by_colour = bars_by_colour(fig)
    assert by_colour[to_hex(GREEN)] == pytest.approx(100.0)
    assert by_colour[to_hex(ORANGE)] == pytest.approx(200.0)
    assert by_colour[to_hex(VERMILLION)] == pytest.approx(350.0)  # 0.9 and 1.0 (the last bin holds 100%)
    lines = {line.get_gid(): line.get_xdata() for line in fig.axes[0].get_lines()}
    assert list(lines["threshold low below"]) == [0.2, 0.2] and list(lines["threshold high from"]) == [0.5, 0.5]
    assert legend_texts(fig) == ["low (< 20%): 1 customer, 100 EUR", "medium (20%–50%): 1 customer, 200 EUR",
                                 "high (≥ 50%): 2 customers, 350 EUR"]
    shown = texts(fig)
    assert "low below 20%" in shown and "high from 50%" in shown


def test_score_distribution_draws_the_configured_thresholds(voltline):
    r = voltline.assessment.risk
    fig = riskcharts.score_distribution_chart(r.customers, 0.3, 0.65, "EUR")
    lines = {line.get_gid(): line.get_xdata() for line in fig.axes[0].get_lines()}
    assert list(lines["threshold low below"]) == [0.3, 0.3] and list(lines["threshold high from"]) == [0.65, 0.65]
    fig = riskcharts.score_distribution_chart(r.customers, r.settings.low_below, r.settings.high_from, "EUR")
    assert sum(bars_by_colour(fig).values()) == pytest.approx(r.customers["open_amount"].sum())
    counts = r.band_counts().set_index("band")
    high = f"high (≥ 50%): {counts.loc['high', 'customers']} customers, {money(counts.loc['high', 'open_amount'], 'EUR')}"
    assert high in legend_texts(fig)


def test_calibration_chart_has_the_diagonal_and_one_line_per_predictor_with_its_scores(voltline):
    r = voltline.assessment.risk
    fig = riskcharts.calibration_chart(r.calibration, r.validation)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    diagonal = lines.pop(riskcharts.DIAGONAL_LABEL)
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata())
    v = r.validation.set_index("predictor")
    assert len(lines) == r.calibration["predictor"].nunique() == 2
    for label, line in lines.items():
        name = label.split(" (")[0].split(":")[0]
        row = v.loc[name]
        assert label.endswith(f"AUC {row['auc']:.2f} ({row['auc_low']:.2f}–{row['auc_high']:.2f}), "
                              f"Brier {row['brier']:.3f}")
        points = r.calibration[r.calibration["predictor"] == name]
        assert np.allclose(line.get_xdata(), points["predicted"]) and np.allclose(line.get_ydata(), points["observed"])
    model = r.model_name
    assert any(label.startswith(f"{model} (chosen, used): ") for label in lines)
    assert any(label.startswith("baseline: ") for label in lines)
    top = float(r.calibration[["predicted", "observed"]].to_numpy().max())
    assert top < fig.axes[0].get_xlim()[1] <= 1.0  # every point inside the axes


def test_calibration_chart_marks_a_baseline_used_over_the_chosen_model():
    calibration = pd.DataFrame({"predictor": ["logistic regression"] * 2 + ["baseline"] * 2,
                                "predicted": [0.1, 0.4, 0.12, 0.35], "observed": [0.15, 0.3, 0.1, 0.4]})
    validation = pd.DataFrame({"predictor": ["baseline", "logistic regression"], "validation_brier": [np.nan, 0.1],
                               "auc": [0.61, 0.6], "auc_low": [0.55, 0.54], "auc_high": [0.66, 0.65],
                               "brier": [0.15, 0.16], "chosen": [False, True], "used": [True, False]})
    fig = riskcharts.calibration_chart(calibration, validation)
    assert legend_texts(fig) == ["perfectly calibrated",
                                 "logistic regression (chosen): AUC 0.60 (0.54–0.65), Brier 0.160",
                                 "baseline (used): AUC 0.61 (0.55–0.66), Brier 0.150"]
    assert fig.axes[0].get_xlim() == pytest.approx((0, 0.5))  # 0.4 + margin, rounded up to a tenth


@pytest.mark.parametrize("build", [
    lambda: riskcharts.score_distribution_chart(TINY_CUSTOMERS.iloc[:0], 0.2, 0.5, "EUR"),
    lambda: riskcharts.score_distribution_chart(pd.DataFrame(), 0.2, 0.5, "EUR"),
    lambda: riskcharts.calibration_chart(pd.DataFrame(), pd.DataFrame()),
], ids=["no_customers", "unavailable_customers", "unavailable_calibration"])
def test_charts_without_data_say_so(build):
    assert "no data:" in texts(build())


@pytest.mark.parametrize("name", ["distribution", "calibration"])
def test_risk_charts_render_readable_png_without_global_state(name, voltline, tmp_path):
    r = voltline.assessment.risk
    before = dict(matplotlib.rcParams)
    fig = (riskcharts.score_distribution_chart(r.customers, 0.2, 0.5, "EUR") if name == "distribution"
           else riskcharts.calibration_chart(r.calibration, r.validation))
    assert fig.canvas.manager is None  # not registered with pyplot
    fig.savefig(tmp_path / f"{name}.png")
    assert (tmp_path / f"{name}.png").stat().st_size > 2_000
    assert dict(matplotlib.rcParams) == before
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            assert text.get_fontsize() >= 9, text.get_text()
    drawn, frame = fig.get_tightbbox(), fig.bbox_inches
    assert drawn.x0 >= -0.01 and drawn.y0 >= -0.01 and drawn.x1 <= frame.x1 + 0.01 and drawn.y1 <= frame.y1 + 0.01


# --- the client report ----------------------------------------------------------------------

def test_current_state_chapter_has_the_risk_block_with_the_high_risk_customers(voltline):
    r = voltline.assessment.risk
    parts = chapters(voltline)
    assert [c["title"] for c in parts] == [title for _, title, _ in CHAPTERS] == [
        "Executive summary", "Current state", "In-house or agency?", "Goals", "Action plan and timeline", "Appendix"]
    state = next(c for c in parts if c["key"] == "state")["blocks"]
    start = state.index({"kind": "heading", "text": "Late-payment risk"})
    block = state[start:]
    high = r.band_counts().set_index("band").loc["high"]
    assert high["customers"] == len(r.high_risk()) > 0
    v = r.validation.set_index("predictor")
    assert block[1]["text"].startswith("Each open invoice has a probability of being paid more than 30 days late")
    assert (f"Tested on {r.split['test_rows']:,} invoices due after {r.split['cutoff']:%d %B %Y}" in block[1]["text"])
    assert (f"ranked a late invoice above an on-time one in {v.loc['gradient boosting', 'auc']:.0%} of pairs, against "
            f"{v.loc['baseline', 'auc']:.0%} when each customer is judged by its own past record alone"
            in block[1]["text"])
    assert "AUC" not in block[1]["text"] and "Brier" not in block[1]["text"]        # no jargon for the client
    assert block[2]["text"].startswith(f"{int(high['customers'])} customers of {len(r.customers)} with an open balance "
                                       "are high risk (at least 50% of the balance expected to be paid more than "
                                       f"30 days late); they owe {format_value(high['open_amount'], 'currency', 'EUR')} (")
    assert block[3]["kind"] == "figure" and block[3]["src"].startswith("data:image/png;base64,")
    assert block[4]["text"].startswith("The 5 customers with the most expected to be paid more than 30 days late, "
                                       "whatever their band")
    table = block[5]["html"]
    top = r.customers.sort_values("expected_late_amount", ascending=False).head(5)
    assert set(top["band"].astype(str)) != {"high"}       # a low-score customer with a large balance is listed too
    assert all(html.escape(name) in table for name in top["customer_name"])
    assert table.count("<tr>") == 1 + 5  # header and five customers
    assert f"{top['expected_late_amount'].iloc[0]:,.0f}" in table
    assert html.escape(top["drivers"].iloc[0]) in table
    assert block[6] == {"kind": "heading", "text": "Cash in the next 13 weeks"}  # the forecast follows the risk
    assert block[9]["kind"] == "heading" and block[9]["text"].startswith("Process maturity")


def test_risk_block_for_an_open_items_export_is_one_sentence(northwind):
    state = next(c for c in chapters(northwind) if c["key"] == "state")["blocks"]
    start = state.index({"kind": "heading", "text": "Late-payment risk"})
    assert state[start + 1] == {"kind": "text", "text": f"Risk scores are not available: {OPEN_ITEMS_REASON}."}
    assert state[start + 2]["kind"] != "figure"


def test_risk_block_when_nobody_is_high_risk(voltline):
    r = voltline.assessment.risk
    calm = r.customers[r.customers["band"] != "high"].reset_index(drop=True)
    a = dataclasses.replace(voltline.assessment, known_risk=dataclasses.replace(r, customers=calm))
    blocks = [block(item) for item in risk_blocks(a)]
    assert blocks[2]["text"] == ("No customer is high risk (at least 50% of its balance expected to be paid more than "
                                 "30 days late).")
    assert [b["kind"] for b in blocks] == ["heading", "text", "text", "figure", "text", "table"]


# --- the dashboard --------------------------------------------------------------------------

def test_dashboard_shows_the_risk_section_and_keeps_the_fit_when_only_the_window_changes(voltline):
    from arassess.assessment.case import load
    from arassess.assessment.dashboard import AssessmentDashboard

    a = voltline.assessment
    panel = AssessmentDashboard(a, LEDGER)
    panel.wait()
    shown = [o["data"].get("text/markdown", "") for o in panel.shown_outputs()]
    assert "## 6. Late-payment risk" in shown and "## 10. Findings" in shown
    assert shown.index("## 6. Late-payment risk") > shown.index("## 5. Payment behaviour")
    panel.window.value = 60
    panel.wait()
    assert "window 60 days" in panel.status.value
    assert panel._shown.window_days == 60 and panel._shown.risk is a.risk  # not refitted
    assert panel._reusable_risk(a.ledger, dt.date(2026, 6, 30)) is None  # another date: a new fit
    assert panel._reusable_risk(load(LEDGER)[1], a.as_of.date()) is None  # another ledger (a new upload)


def test_accounts_to_act_on_first_are_ordered_by_expected_loss(voltline):
    plan = next(c for c in chapters(voltline) if c["key"] == "plan")["blocks"]
    start = plan.index({"kind": "heading", "text": "Accounts to act on first"})
    intro, table = plan[start + 1], plan[start + 2]["html"]
    assert intro["text"].startswith("The customers to chase first, ordered by expected loss: open amount × "
                                    "probability of being paid late")
    assert "Expected loss (EUR)" in table and "Risk band" in table
    top = voltline.customers.head(10)
    assert top["expected_loss"].is_monotonic_decreasing
    np.testing.assert_allclose(top["priority"], top["expected_loss"], atol=0.011)
    positions = [table.find(html.escape(name)) for name in top["customer_name"]]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    assert f"{top['expected_loss'].iloc[0]:,.0f}" in table


def test_accounts_to_act_on_first_without_scores_say_their_order(northwind):
    plan = next(c for c in chapters(northwind) if c["key"] == "plan")["blocks"]
    start = plan.index({"kind": "heading", "text": "Accounts to act on first"})
    assert plan[start + 1]["text"].startswith("The customers to chase first, ordered by open amount weighted by age")
    assert "Expected loss" not in plan[start + 2]["html"]


def test_data_received_states_the_warnings_about_the_assessment_date(voltline):
    from arassess.report.client import appendix_chapter

    blocks = [block(b) for b in appendix_chapter(voltline)]
    assert not [b for b in blocks if b.get("text") == "Warnings about the data:"]
    early = dataclasses.replace(voltline, assessment=dataclasses.replace(voltline.assessment,
                                                                         as_of=pd.Timestamp("2019-01-31")))
    blocks = [block(b) for b in appendix_chapter(early)]
    at = blocks.index({"kind": "text", "text": "Warnings about the data:"})
    assert blocks[at + 1]["kind"] == "list"
    assert blocks[at + 1]["items"][0].startswith("the as-of date 2019-01-31 is before the first invoice (2024-07-01)")


def test_the_goals_and_the_actions_share_one_planning_start_stated_on_the_cover(voltline):
    """gather(planned_on=2 Nov 2026): the actions start the next day, the goals' deadlines are 12
    monthly steps from that day, and the cover says which day it is."""
    from arassess.goals.targets import default_deadline
    from arassess.report.client import render_html

    assert voltline.planned_on == pd.Timestamp("2026-11-02")
    assert pd.to_datetime(voltline.plan["start"]).min() == pd.Timestamp("2026-11-03")
    assert set(voltline.goals_table["deadline"]) == {default_deadline(voltline.planned_on)} == {
        pd.Timestamp("2027-10-31")}
    assert "<td>Goals and actions set on</td><td><b>02 November 2026</b></td>" in render_html(voltline)
