"""The benchmark library: its file checked entry by entry, the client's industry and region checked
against it, the match order, the rule-of-thumb fallback labelled, and the report citing what it
compared with."""

from __future__ import annotations

import dataclasses
import re
import shutil

import pytest
import yaml

from arassess.config import benchmarks as cb
from arassess.config.client import load_config
from arassess.errors import ConfigError
from arassess.kpi import benchmarks as kb
from arassess.paths import SAMPLE_DATA_DIR

VOLTLINE = SAMPLE_DATA_DIR / "voltline"


def entry(**fields) -> dict:
    base = {"kpi": "dso", "label": "Test median", "industry": "all", "region": "all", "value": 40,
            "meaning": "median", "source": "A survey", "year": 2020}
    return {**base, **fields}


def write(tmp_path, entries: list[dict]):
    raw = yaml.safe_load(cb.BENCHMARKS_FILE.read_text(encoding="utf-8"))
    raw["benchmarks"] = entries
    path = tmp_path / "benchmarks.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_every_shipped_entry_has_a_source_and_a_year_and_a_known_kpi():
    lib = cb.read_library()
    kb.check_library(lib)
    assert lib.entries and all(e.source and e.year and e.label for e in lib.entries)
    assert "construction" in lib.industries and "western_europe" in lib.regions


@pytest.mark.parametrize("bad, message", [
    ({"source": None}, r"benchmarks\[0\] lacks source"),
    ({"year": None}, r"benchmarks\[0\] lacks year"),
    ({"year": 1890}, r"year must be the year of the data"),
    ({"industry": "mining"}, r"industry must be all or one of"),
    ({"value": "forty"}, r"value must be a number"),
    ({"colour": "red"}, r"unknown key\(s\) colour"),
])
def test_a_broken_entry_names_the_file_the_entry_and_the_key(tmp_path, bad, message):
    path = write(tmp_path, [entry(**bad)])
    with pytest.raises(ConfigError, match=message) as info:
        cb.read_library(path)
    assert str(path) in str(info.value)


def test_an_unknown_kpi_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="'speed' is not a KPI with a direction"):
        kb.check_library(cb.read_library(write(tmp_path, [entry(kpi="speed")])))


def test_match_order_industry_and_region_then_industry_then_region_then_all(tmp_path):
    lib = cb.read_library(write(tmp_path, [
        entry(value=40), entry(value=41, region="us"), entry(value=42, industry="construction"),
        entry(value=43, industry="construction", region="us"), entry(value=39, year=2022)]))
    pick = lambda i, r: kb.benchmark_for("dso", i, r, lib).value  # noqa: E731
    assert pick("construction", "us") == 43
    assert pick("construction", "uk") == 42
    assert pick("software_saas", "us") == 41
    assert pick("software_saas", "uk") == 39   # of two 'all' entries, the most recent data
    rule = kb.benchmark_for("add", "construction", "us", lib)
    assert not rule.published and rule.value == 10.0
    assert rule.text() == "rule of thumb ≤ 10.0 days (no published source)"
    assert kb.benchmark_for("ar_total", None, None, lib) is None  # no direction, no benchmark


def test_the_client_names_its_industry_and_region_from_the_library(tmp_path):
    client = tmp_path / "voltline"
    shutil.copytree(VOLTLINE, client)
    config = load_config(client)
    assert (config.industry, config.region) == ("manufacturing", "western_europe")
    cfg = client / "client.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("industry: manufacturing", "industry: shipbuilding"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'industry' must be one of distribution_wholesale, manufacturing, "
                                          r"construction"):
        load_config(client)


def test_the_sample_is_compared_with_cited_figures_and_labelled_rules(sample_assessment):
    card = sample_assessment.scorecard.set_index("key")
    assert card.at["dso", "benchmark"] == 34.0  # Intrum, Western Europe
    assert card.at["dso", "benchmark_text"] == "Intrum average payment time, Europe ≤ 34.0 days (2018)"
    assert "Intrum European Payment Report" in card.at["dso", "benchmark_source"]
    assert card.at["cei", "benchmark_text"] == "CRF median, US ≥ 86.5% (2021)"
    assert card.at["cei", "status"] == "bad"  # 83.3% below the published median (the old rule of 80 said good)
    assert card.at["add", "benchmark_text"].startswith("rule of thumb")


@pytest.fixture(scope="module")
def sample_assessment():
    from arassess.assessment.case import assess
    return assess(VOLTLINE)


def test_a_construction_client_sees_the_construction_figure_in_the_report(tmp_path, monkeypatch):
    """With a construction entry in the library, a construction client (by its industry preset)
    compares its DSO with it and cites its source in the appendix; the sample (manufacturing) does not."""
    from arassess.report.client import gather, render_html

    lib = cb.read_library()
    construction = dataclasses.replace(lib.entries[0], kpi="dso", label="Builders' survey median", value=55.0,
                                       industry="construction", region="all", top=None,
                                       source="Construction Credit Survey (test entry)", year=2024)
    monkeypatch.setattr(kb, "library", lambda: dataclasses.replace(lib, entries=(*lib.entries, construction)))
    client = tmp_path / "builder"
    shutil.copytree(VOLTLINE, client)
    cfg = client / "client.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("industry: manufacturing", "preset: construction"),
                   encoding="utf-8")
    html = render_html(gather(client))
    assert "survey median ≤ 55.0 days (2024)" in html and "Builders&#x27;" in html  # escaped in the report
    assert "Construction Credit Survey (test entry)" in html
    assert "Construction in Western Europe" in html
    # the industry preset picked the industry; the appendix names it and what it supplied (the client's
    # own aging edges and hours per claim month win), and the cost assumptions mark its input
    assert "Industry preset used: Construction (templates/presets.yaml)" in html
    assert "costs.effort_hours = demand_letter 1.0, final_notice 1.0: arassess convention" in html
    assert "kpis.aging_edges =" not in html and "hours_per_claim_month =" not in html
    assert re.search(r"Hours per invoice at each reminder step</td>.*?>industry preset</td>.*?>Construction preset: "
                     r"arassess convention", html, re.S)
