"""The cash forecast as people see it: notebook 01's section, the client report's blocks, the
tables and ``arassess forecast`` (table, JSON, CSV), each checked against the library's numbers."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from arassess.assessment.case import assess
from arassess.assessment.sections import section
from arassess.cli import main
from arassess.display.format import money_text
from arassess.display.items import block
from arassess.forecast import tables
from arassess.forecast.model import METHOD_LABELS, plain_reason
from arassess.paths import SAMPLE_DATA_DIR
from arassess.report.client import forecast_blocks

VOLTLINE = SAMPLE_DATA_DIR / "voltline"
NORTHWIND = SAMPLE_DATA_DIR / "northwind_open_items"


@pytest.fixture(scope="module")
def voltline():
    return assess(VOLTLINE)


def test_section_leads_with_the_cash_expected_and_the_verdict(voltline):
    f = voltline.forecast
    items = section(voltline, "forecast")
    assert items[0].data == "## 7. Cash in the next 13 weeks"
    four = money_text(float(f.weeks["expected"].head(4).sum()), "EUR")
    assert f"**{four}** is expected in the next 4 weeks" in items[1].data
    assert items[2].data.replace("\\", "") == f.reason  # the verdict with the WAPE of the three methods
    assert sum(type(i).__name__ == "AltImage" for i in items) == 2  # the weekly chart and the backtest chart
    assert any("The 80% band held" in getattr(i, "data", "") for i in items if isinstance(getattr(i, "data", None), str))


def test_weeks_table_matches_the_forecast(voltline):
    f = voltline.forecast
    shown = tables.weeks_table(f)
    assert shown["Week"].tolist() == list(range(1, 14))
    assert shown["Expected (EUR)"].tolist() == f.weeks["expected"].round(0).tolist()
    assert (shown["Low (EUR)"] <= shown["Expected (EUR)"]).all()
    assert set(shown["Shown from"]) == {METHOD_LABELS["model"]}
    assert shown["From"].iloc[0] == pd.Timestamp("2026-11-01") and shown["To"].iloc[-1] == pd.Timestamp("2027-01-30")
    accuracy = tables.accuracy_table(f)
    assert accuracy["Horizon"].tolist() == ["weeks 1–4", "weeks 5–13"]
    assert accuracy.iloc[0, 1] == f"{f.accuracy.loc['weeks 1–4', 'model']:.0%}"


def test_report_blocks_say_how_far_to_trust_the_figures(voltline):
    blocks = [block(b) for b in forecast_blocks(voltline)]
    assert [b["kind"] for b in blocks] == ["heading", "text", "figure"]
    assert blocks[1]["text"].endswith(plain_reason(voltline.forecast))
    assert "off by" in blocks[1]["text"] and "WAPE" not in blocks[1]["text"]  # plain words for the client
    assert blocks[2]["src"].startswith("data:image/png;base64,")


def test_open_items_report_says_due_dates_only():
    a = assess(NORTHWIND)
    blocks = [block(b) for b in forecast_blocks(a)]
    assert "no payment history" in blocks[1]["text"]


def test_cli_table_json_and_csv_agree_with_the_library(voltline):
    f = voltline.forecast
    runner = CliRunner()
    table = runner.invoke(main, ["forecast", str(VOLTLINE), "--weeks", "4"])
    assert table.exit_code == 0, table.output
    assert f.reason in table.output and "Total in 4 week(s): " + money_text(
        float(f.weeks["expected"].head(4).round(0).sum()), "EUR") in table.output
    payload = json.loads(runner.invoke(main, ["forecast", str(VOLTLINE), "--format", "json", "--weeks", "3"]).output)
    assert [w["week"] for w in payload["weeks"]] == [1, 2, 3]
    assert payload["weeks"][0]["expected"] == pytest.approx(f.weeks["expected"].iloc[0], abs=0.01)
    assert payload["backtest"]["used"] == f.used and payload["client"] == "Voltline Components GmbH"
    csv = pd.read_csv(io.StringIO(runner.invoke(main, ["forecast", str(VOLTLINE), "--format", "csv"]).output))
    assert len(csv) == 13 and csv["Expected (EUR)"].tolist() == f.weeks["expected"].round(0).tolist()


def test_cli_on_an_open_items_export_names_the_reason():
    shown = CliRunner().invoke(main, ["forecast", str(NORTHWIND), "--weeks", "2"])
    assert shown.exit_code == 0 and "no payment history" in shown.output and "nan" not in shown.output.lower()
