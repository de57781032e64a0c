"""Each fact is written once: a KPI label, a status word or a cost-comparison row changed in its one
place reaches the notebook's sections, the dashboards, the client report and the CLI alike."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from typing import Iterator

import pytest

from arassess.assessment.charts import scorecard_styler
from arassess.config.client import load_config
from arassess.costs import sections as cost_sections
from arassess.costs.case import load_case
from arassess.costs.dashboard import CostDashboard
from arassess.display import format as fmt
from arassess.inputs.intake import load_ledger
from arassess.kpi.engine import compute_kpis
from arassess.kpi.registry import KPIS, get
from arassess.kpi.scorecard import scorecard, scorecard_text
from arassess.paths import SAMPLE_DATA_DIR
from arassess.report.client import gather, render_html

VOLTLINE = SAMPLE_DATA_DIR / "voltline"


@contextlib.contextmanager
def relabelled(key: str, label: str) -> Iterator[None]:
    """The registry entry of ``key`` with another label (entries are frozen: set and restored here)."""
    kpi = get(key)
    old = kpi.label
    object.__setattr__(kpi, "label", label)
    try:
        yield
    finally:
        object.__setattr__(kpi, "label", old)


@pytest.fixture(scope="module")
def voltline():
    config = load_config(VOLTLINE)
    ledger = load_ledger(config)
    return config, ledger, compute_kpis(ledger, config.as_of)


@pytest.fixture(scope="module")
def report_data():
    return gather(VOLTLINE)


def test_every_measure_a_kpi_reads_exists(voltline):
    _config, _ledger, table = voltline
    columns = set(table.measures.columns)  # what kpi.measures.measure computed for the formulas
    for kpi in KPIS:
        assert kpi.reads and set(kpi.reads) <= columns, (kpi.key, set(kpi.reads) - columns)


def test_a_kpi_label_is_changed_in_the_registry_only(voltline):
    config, ledger, table = voltline
    label = "Share of AR beyond ninety days (relabelled)"
    with relabelled("pct_over_90", label):
        card = scorecard(table)
        assert label in card["kpi"].tolist()                        # notebook 01 and its dashboard
        assert label in scorecard_styler(card, "EUR").to_html()     # the notebook's styled table
        assert label in scorecard_text(table)                       # arassess kpis
        assert label in render_html(gather(VOLTLINE))               # the client report
    assert label not in scorecard(table)["kpi"].tolist()


def test_a_status_word_is_changed_in_display_format_only(voltline, report_data, monkeypatch):
    _config, _ledger, table = voltline
    monkeypatch.setitem(fmt.STATUS_WORDS, "bad", "off the benchmark")
    card = scorecard(table)
    assert "✖ off the benchmark" in scorecard_styler(card, "EUR").to_html()
    assert "✖ off the benchmark" in scorecard_text(table)
    assert "✖ off the benchmark" in render_html(report_data)
    assert "needs attention" not in scorecard_text(table)


def test_a_cost_comparison_row_is_changed_in_one_place(report_data, monkeypatch, tmp_path):
    rows = tuple((line, "Gross recovery (one place)", "Expected recovery (one place)", kind)
                 if line == "gross_recovery" else (line, consultant, client, kind)
                 for line, consultant, client, kind in cost_sections.COMPARISON_ROWS)
    monkeypatch.setattr(cost_sections, "COMPARISON_ROWS", rows)
    case = load_case(VOLTLINE)[0]
    notebook = cost_sections.section(case, "comparison")
    assert any("Gross recovery (one place)" in getattr(item, "to_html", lambda: "")() for item in notebook)
    client = tmp_path / "voltline"
    shutil.copytree(VOLTLINE, client)
    panel = CostDashboard(case, client)
    panel.wait()
    assert "Gross recovery (one place)" in panel.table.value
    assert "Expected recovery (one place)" in render_html(dataclasses.replace(report_data))


def test_a_risk_column_label_is_changed_in_the_risk_wing_only(report_data, monkeypatch):
    """The customer table's labels (both audiences, side by side in risk.tables) reach notebook 01's
    risk section, the client report and ``arassess risk``."""
    from click.testing import CliRunner

    from arassess.assessment.sections import section
    from arassess.cli import main
    from arassess.risk import tables as risktables

    columns = dict(risktables.CUSTOMER_LABELS, drivers=("What drives it (one place)", "Why late (one place)"))
    monkeypatch.setattr(risktables, "CUSTOMER_LABELS", columns)
    notebook = section(report_data.assessment, "risk")
    assert any("What drives it (one place)" in getattr(item, "to_html", lambda: "")() for item in notebook)
    report = render_html(report_data)
    assert "Why late (one place)" in report and "What drives it (one place)" not in report
    shown = CliRunner().invoke(main, ["risk", str(VOLTLINE), "--top", "2"])
    assert shown.exit_code == 0, shown.output
    assert "What drives it (one place)" in shown.output and "Why late" not in shown.output


def test_a_plan_column_label_is_changed_in_the_plan_wing_only(report_data, monkeypatch):
    """The action plan's and the ladder's labels (both audiences side by side in plan.tables) reach
    notebook 04's sections and the client report."""
    from arassess.plan import tables as plantables
    from arassess.plan.case import load_plan_case
    from arassess.plan.sections import section

    monkeypatch.setattr(plantables, "PLAN_LABELS", dict(plantables.PLAN_LABELS, reason=("Because (nb)", "Because")))
    monkeypatch.setattr(plantables, "LADDER_LABELS", dict(plantables.LADDER_LABELS, channel=("Via (nb)", "Via")))
    pc = load_plan_case(VOLTLINE)
    notebook = "".join(getattr(item, "to_html", lambda: "")() for name in ("plan", "escalation")
                       for item in section(pc, name))
    assert "Because (nb)" in notebook and "Via (nb)" in notebook
    report = render_html(report_data)
    assert ">Because<" in report and ">Via<" in report and "(nb)" not in report


@pytest.mark.parametrize("value, currency, cents, shown", [
    (1234567.4, "EUR", False, "1,234,567 EUR"), (-0.3, "USD", False, "0 USD"), (1234.5, "", True, "1,234.50"),
    (-0.004, "", True, "0.00"), (float("nan"), "EUR", False, "n/a"), (float("inf"), "EUR", False, "n/a"),
    (None, "EUR", False, "n/a")])
def test_money_text_is_the_one_money_format(value, currency, cents, shown):
    assert fmt.money_text(value, currency, cents=cents) == shown
    if not cents and value is not None:
        assert fmt.format_value(value, "currency", currency) == shown  # KPI money is the same format


def test_no_module_formats_money_itself():
    """An amount with its currency is written by display.format.money_text only: a module that
    formats one itself (e.g. f"{x:,.0f} {currency}") would drift from it (negative zero, n/a)."""
    import re
    from pathlib import Path

    import arassess

    PACKAGE_DIR = Path(arassess.__file__).parent
    pattern = re.compile(r":,\.[02]f\}\s*\{[\w.\[\]'\"]*(currency|cur)\}")
    found = [f"{path.relative_to(PACKAGE_DIR)}:{n}" for path in sorted(PACKAGE_DIR.rglob("*.py"))
             if path.name != "format.py" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert found == []
    assert pattern.search('f"{value:,.0f} {case.currency}"')  # the check can fail


def test_the_recommendation_is_worded_in_one_place(report_data, monkeypatch, tmp_path):
    """A strategy's words (costs.words: the answer, the card, the report's column, the runner-up) reach
    notebook 02's decision, its dashboard, the client report and the landing page's card."""
    import json

    from arassess.costs import words
    from arassess.run.landing import headlines

    strategy = report_data.case.strategy
    reworded = dict(words.STRATEGY_WORDS[strategy], recommendation="Keep it at home (one place)",
                    card="Home (one place)", column="At home (one place)")
    monkeypatch.setitem(words.STRATEGY_WORDS, strategy, reworded)
    case = load_case(VOLTLINE)[0]
    notebook = "".join(str(getattr(item, "data", "")) for item in cost_sections.section(case, "decision"))
    assert "Keep it at home (one place)" in notebook
    client = tmp_path / "voltline"
    shutil.copytree(VOLTLINE, client)
    panel = CostDashboard(case, client)
    panel.wait()
    assert "Keep it at home (one place)" in panel.decision.value
    report = render_html(gather(VOLTLINE))
    assert "Keep it at home (one place)" in report and "Home (one place)" in report
    assert "At home (one place)" in report
    assert "Keep collections in-house" not in report + notebook + panel.decision.value
    run = tmp_path / "run"
    run.mkdir()
    (run / "costs_summary.json").write_text(json.dumps({"strategy": strategy, "handoff_day": None}))
    assert headlines(run)["costs"] == "Home (one place)"


@pytest.mark.parametrize("strategy, day, form, said", [
    ("agency", 90.0, "recommendation", "Place overdue claims with an agency at 90 days past due"),
    ("agency", None, "recommendation", "Place overdue claims with an agency"),
    ("hybrid", 37.5, "card", "In-house, then agency at 37.5 days"),
    ("hybrid", None, "heading", "hybrid"),
    ("in_house", float("inf"), "column", "All in-house")])
def test_strategy_words_say_the_day_only_when_known(strategy, day, form, said):
    from arassess.costs.words import strategy_words

    assert strategy_words(strategy, form, day) == said


def test_strategy_words_refuse_unknown_names():
    from arassess.costs.words import strategy_words
    from arassess.errors import ArgumentError

    with pytest.raises(ArgumentError, match="unknown strategy 'outsourced'"):
        strategy_words("outsourced", "card")
    with pytest.raises(ArgumentError, match="unknown form 'title'"):
        strategy_words("agency", "title")
