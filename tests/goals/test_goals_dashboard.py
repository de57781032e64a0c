"""The goals dashboard of notebook 03 (set goals), driven in a real browser (Debian's chromium).

One Voila server for the module serves a copy of ``notebooks/03_set_goals.ipynb`` whose parameters
cell points ``client_dir`` at a copy of ``sample_data/voltline`` in a temp folder: "Save goals"
writes ``goals.yaml`` (and its dated backups) into the client folder, and the repository's sample
data must stay untouched. Every test opens a fresh page, so a fresh kernel that reads the client
copy as it is then; what the page must show is computed here with the library
(``arassess.goals.case.load_goals_case`` on the same copy, ``arassess.goals.targets``) — never read back
from the page. The save test runs last: after it, the copy holds a goals.yaml.

The page is driven through the dashboard's CSS classes (``arassess.goals.dashboard``): per goal
``.arassess-target-<key>`` (a FloatText: ``<input type=number>``, committed with Enter),
``.arassess-deadline-<key>`` (``<input type=date>``), ``.arassess-owner-<key>`` (a Text, sent on
every keystroke) and ``.arassess-cash-<key>`` (the cash-effect sentence, or the validation
message in ``<span data-error="1">``); ``.arassess-save-goals``, ``.arassess-status`` ("Updated in
N ms: ready to save." / "N goal(s) need attention before saving", ``data-saved`` after a save),
``.arassess-goals-table`` (the glide-path steps: months and step per month), ``.arassess-cash-table``
and the glide-path chart (``.widget-output img``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import digest
from playwright.sync_api import Locator, Page, expect
from voila_server import REPO_ROOT, VoilaServer, chromium_session, dashboard_page, open_until, served_copy, serving_copy
from voila_server import assert_clean as page_is_clean

from arassess.assessment.case import assess
from arassess.display.format import format_value
from arassess.errors import ConfigError
from arassess.goals.case import GoalsCase, load_goals_case
from arassess.goals.dashboard import EDITED
from arassess.goals.model import Goal, planning_start
from arassess.goals.sections import cash_table, display_table, goal_cash_text
from arassess.goals.store import GOALS_FILE
from arassess.goals.targets import default_deadline, goal_set, validate_goal

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = REPO_ROOT / "notebooks" / "03_set_goals.ipynb"
CLIENT = REPO_ROOT / "sample_data" / "voltline"
RENDER_TIMEOUT_MS = 120_000  # first render: kernel start + assessment + goals + chart
UPDATE_TIMEOUT_MS = 30_000  # one edit → new texts, tables and chart
VIEWPORT = {"width": 1400, "height": 1800}  # the whole dashboard, chart included, in the screenshots
FAILURE_TEXT = re.compile(r"Traceback|There was an error when executing cell|Cannot evaluate"
                          r"|\b[A-Z]\w*(Error|Exception)\b")
SOURCE_TEXT = ("load_goals_case(", "from arassess", "goals_dashboard(", "in_dashboard(", "client_dir:")
UPDATED = re.compile(r"Updated in [\d,]+ ms: ")
READY = re.compile(r"Updated in [\d,]+ ms: ready to save\.")
BACKUP_NAME = re.compile(r"goals\.(\d{8}-\d{6})(-\d+)?\.yaml")
DEFAULT_KEYS = ["dso", "pct_over_90", "cei"]  # arassess.goals.targets.DEFAULT_GOAL_KPIS, all measurable for voltline

# the edits (DSO baseline 59.26 days, default target 52.3; CEI baseline 83.3 %, higher is better)
EDITED_DSO = 50.0
SECOND_DSO = 48.0
# 6 month-ends after the planning start (today, never before as-of 2026-10-31) instead of 12
EDITED_DEADLINE = f"{default_deadline(planning_start('2026-10-31'), 6):%Y-%m-%d}"
WORSE_DSO = 65.0  # above the baseline: worse, for a lower-is-better KPI

STATUS = ".arassess-status"
SAVE = ".arassess-save-goals"
CHART = ".widget-output img"


# --- the library's answer -------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def assessment(client: Path):
    return assess(client)


def library_case(client: Path) -> GoalsCase:
    """The library's goals for the client folder as it is now (defaults ← client.yaml ← goals.yaml)."""
    return load_goals_case(client, assessment=assessment(client))


def edited(goal: Goal, **fields: Any) -> Goal:
    """The goal as the dashboard holds it after an edit in the browser."""
    return dataclasses.replace(goal, **fields, source=EDITED)


def validation_message(goal: Goal, as_of: pd.Timestamp) -> str:
    """The library's ConfigError message for a goal edited in the dashboard ('' when it stands)."""
    try:
        validate_goal(goal, as_of, {f: EDITED for f in ("target", "deadline", "owner")})
    except ConfigError as exc:
        return str(exc)
    return ""


def table_rows(frame: pd.DataFrame) -> list[list[str]]:
    return [[str(v) for v in row] for row in frame.itertuples(index=False)]


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, Path]:
    """A copy of the sample client and of notebook 03 pointing at it (the folder Voila serves)."""
    return served_copy(tmp_path_factory.mktemp("goals-dashboard"), NOTEBOOK, CLIENT,
                       ignore=(GOALS_FILE, "goals.*.yaml"))


@pytest.fixture(scope="module")
def server(site):
    with serving_copy(site, CLIENT, "the goals dashboard") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium_session() as browser:
        yield browser


@pytest.fixture
def page(browser, server):
    with dashboard_page(browser, VIEWPORT, lambda p: open_dashboard(p, server)) as page:
        yield page


# --- helpers --------------------------------------------------------------------------------
def open_dashboard(page: Page, server: VoilaServer) -> float:
    """Load (or reload) the page and wait for the first "Updated in" status; return the seconds."""
    return open_until(page, server, STATUS, UPDATED, "goals dashboard", RENDER_TIMEOUT_MS)


def assert_clean(page: Page) -> None:
    """No code and no error on the page; the glide-path chart is a decoded image (not broken)."""
    page_is_clean(page, SOURCE_TEXT, FAILURE_TEXT)
    charts = page.locator(CHART)
    assert charts.count() == 1
    widths = charts.evaluate_all("imgs => imgs.map(i => i.complete ? i.naturalWidth : -1)")
    assert all(w > 100 for w in widths), f"broken or unloaded chart image: {widths}"


def target_input(page: Page, key: str) -> Locator:
    return page.locator(f".arassess-target-{key} input[type=number]")


def deadline_input(page: Page, key: str) -> Locator:
    return page.locator(f".arassess-deadline-{key} input[type=date]")


def owner_input(page: Page, key: str) -> Locator:
    return page.locator(f".arassess-owner-{key} input")


def cash(page: Page, key: str) -> Locator:
    return page.locator(f".arassess-cash-{key}")


def set_target(page: Page, key: str, text: str) -> None:
    """Type a target as a user would: click the box, replace its text, commit with Enter."""
    box = target_input(page, key)
    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def shown_table(page: Page, css: str) -> list[list[str]]:
    return page.locator(f"{css} table tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(td => td.innerText.trim()))")


def expect_table(page: Page, css: str, rows: list[list[str]]) -> None:
    """Wait until the table in ``css`` shows exactly ``rows`` (the kernel redraws it after each
    change; an edit that leaves the cash texts alone, such as the owner, only shows here)."""
    deadline = time.perf_counter() + UPDATE_TIMEOUT_MS / 1000
    while (shown := shown_table(page, css)) != rows:
        if time.perf_counter() > deadline:
            assert shown == rows, f"{css} after {UPDATE_TIMEOUT_MS / 1000:.0f} s"
        page.wait_for_timeout(50)


def chart_src(page: Page) -> str:
    return page.locator(CHART).get_attribute("src") or ""


def expect_shows(page: Page, case: GoalsCase, goals: list[Goal]) -> None:
    """Every goal's cash text, the goals table (glide-path months and step) and the cash table are
    the library's for ``goals`` (the goals as edited; all valid)."""
    for goal in goals:
        expect(cash(page, goal.key)).to_have_text(goal_cash_text(case, goal), timeout=UPDATE_TIMEOUT_MS)
        expect(cash(page, goal.key).locator("[data-error]")).to_have_count(0)
    rows = case.table(goals)
    expect_table(page, ".arassess-goals-table", table_rows(display_table(rows, case.currency)))
    expect_table(page, ".arassess-cash-table", table_rows(cash_table(rows, case.currency)))
    expect(page.locator(STATUS)).to_have_text(READY)
    expect(page.locator(SAVE)).to_be_enabled()


# --- tests ----------------------------------------------------------------------------------
def test_dashboard_shows_the_clients_goals(page, site, tmp_path, record_property):
    case = library_case(site["client"])
    assert [g.key for g in case.goals] == DEFAULT_KEYS
    assert page.locator("[class*='arassess-target-']").count() == len(case.goals)
    expect(page.get_by_text(f"goals from {case.as_of:%d %B %Y}")).to_be_visible()
    cards = page.locator(".arassess-headline .arassess-kpi")  # the goals at a glance, as the report's cards
    expect(cards).to_have_count(len(case.goals))
    for goal, card in zip(case.goals, cards.all()):
        expect(card).to_contain_text(f"{goal.label}: goal")
        expect(card).to_contain_text(format_value(goal.target, goal.unit, case.currency))
        expect(card).to_contain_text(f"Owner: {goal.owner}")
    for goal in case.goals:
        row = page.locator(".widget-hbox", has=page.locator(f".arassess-target-{goal.key}"))
        better = "higher" if goal.higher_is_better else "lower"
        expect(row).to_contain_text(goal.label)
        expect(row).to_contain_text(f"baseline {format_value(goal.baseline, goal.unit, case.currency)} "
                                    f"({better} is better)")
        assert float(target_input(page, goal.key).input_value()) == round(goal.target, 4)
        assert deadline_input(page, goal.key).input_value() == f"{goal.deadline:%Y-%m-%d}"
        assert owner_input(page, goal.key).input_value() == goal.owner
    expect_shows(page, case, list(case.goals))
    if not (site["client"] / GOALS_FILE).exists():  # the defaults: DSO to BPDSO + 10 days
        assert float(target_input(page, "dso").input_value()) == 52.3
        assert shown_table(page, ".arassess-goals-table")[0][-1].startswith("default: DSO (period) to BPDSO")
    assert_clean(page)
    page.screenshot(path=tmp_path / "goals-dashboard.png", full_page=True)
    record_property("page_load_to_first_update_s", round(page.load_seconds, 3))
    print(f"\ngoals dashboard: page load to first update {page.load_seconds:.2f} s (screenshot in {tmp_path})")


def test_editing_the_dso_goal_updates_cash_effect_and_glide_path(page, site, tmp_path):
    client = site["client"]
    before = digest(client)
    case = library_case(client)
    goals = {g.key: g for g in case.goals}
    assert goals["dso"].target != EDITED_DSO
    first_chart = chart_src(page)

    set_target(page, "dso", f"{EDITED_DSO:g}")
    goals["dso"] = edited(goals["dso"], target=EDITED_DSO)
    expect_shows(page, case, list(goals.values()))
    assert shown_table(page, ".arassess-goals-table")[0][2] == "50.0 days"
    assert shown_table(page, ".arassess-goals-table")[0][-1] == EDITED  # "Set by": not saved yet
    expect(page.locator(CHART)).not_to_have_attribute("src", first_chart)  # the DSO glide path redrawn
    page.screenshot(path=tmp_path / "dso-50.png", full_page=True)

    # a shorter deadline: half the months, so twice the monthly step (the cash effect stays)
    twelve = case.table(list(goals.values())).set_index("key").loc["dso"]
    deadline_input(page, "dso").fill(EDITED_DEADLINE)
    goals["dso"] = edited(goals["dso"], deadline=pd.Timestamp(EDITED_DEADLINE))
    expect(page.locator(".arassess-goals-table")).to_contain_text(EDITED_DEADLINE, timeout=UPDATE_TIMEOUT_MS)
    expect_shows(page, case, list(goals.values()))
    six = case.table(list(goals.values())).set_index("key").loc["dso"]
    assert (twelve.months, six.months) == (12, 6)
    assert six.monthly_step == pytest.approx(2 * twelve.monthly_step)
    assert_clean(page)

    # back to the client's goal: the same texts and the same chart as at first
    original = library_case(client).goals[0]
    set_target(page, "dso", f"{round(original.target, 4):g}")
    deadline_input(page, "dso").fill(f"{original.deadline:%Y-%m-%d}")
    expect_shows(page, case, list(case.goals))
    expect(page.locator(CHART)).to_have_attribute("src", first_chart, timeout=UPDATE_TIMEOUT_MS)
    assert digest(client) == before, "editing without saving wrote into the client folder"


def test_invalid_edits_are_said_and_write_nothing(page, site, tmp_path):
    client = site["client"]
    before = digest(client)
    case = library_case(client)
    goals = {g.key: g for g in case.goals}
    status = page.locator(STATUS)

    # an empty target is not taken: the box goes back to the goal's target (never 0 or NaN)
    set_target(page, "dso", "")
    expect(target_input(page, "dso")).to_have_value(f"{round(goals['dso'].target, 4):g}")

    # a DSO target above the baseline is worse: the library's message, in red, and no saving
    worse = edited(goals["dso"], target=WORSE_DSO)
    message = validation_message(worse, case.as_of)
    assert "worse than the baseline" in message
    set_target(page, "dso", f"{WORSE_DSO:g}")
    expect(cash(page, "dso").locator("[data-error]")).to_have_text(message, timeout=UPDATE_TIMEOUT_MS)
    expect(status).to_contain_text("1 goal(s) need attention before saving")
    expect(page.locator(SAVE)).to_be_disabled()

    # an empty owner (sent on each keystroke): the library's message too
    no_owner = edited(goals["cei"], owner="")
    owner_message = validation_message(no_owner, case.as_of)
    assert "must name the owner's role" in owner_message
    owner_input(page, "cei").fill("")
    expect(cash(page, "cei").locator("[data-error]")).to_have_text(owner_message, timeout=UPDATE_TIMEOUT_MS)
    expect(status).to_contain_text("2 goal(s) need attention before saving")
    # only the valid goal is left in the tables and the chart
    valid = [goals["pct_over_90"]]
    expect_table(page, ".arassess-goals-table", table_rows(display_table(case.table(valid), case.currency)))
    expect(cash(page, "pct_over_90")).to_have_text(goal_cash_text(case, goals["pct_over_90"]))
    page.screenshot(path=tmp_path / "invalid.png", full_page=True)
    assert_clean(page)

    # a cleared deadline: "Pick a deadline."
    deadline_input(page, "pct_over_90").fill("")
    expect(cash(page, "pct_over_90").locator("[data-error]")).to_have_text("Pick a deadline.",
                                                                              timeout=UPDATE_TIMEOUT_MS)
    expect(status).to_contain_text("3 goal(s) need attention before saving")
    expect(page.locator(".arassess-goals-table table")).to_have_count(0)
    expect(page.locator(CHART)).to_have_count(0)

    page.locator(SAVE).click(force=True)  # disabled: nothing may reach the kernel
    # fix all three (each edit a round trip after the click): only then is it ready to save
    deadline_input(page, "pct_over_90").fill(f"{goals['pct_over_90'].deadline:%Y-%m-%d}")
    owner_input(page, "cei").fill(goals["cei"].owner)
    set_target(page, "dso", f"{round(goals['dso'].target, 4):g}")
    expect_shows(page, case, list(case.goals))
    assert "Saved" not in status.inner_text() and page.locator(f"{STATUS} [data-saved]").count() == 0
    assert digest(client) == before, "an invalid edit (or the disabled save) wrote into the client folder"
    assert_clean(page)


def test_save_writes_goals_yaml_and_keeps_the_previous_file(page, server, site, tmp_path):
    client = site["client"]
    target = client / GOALS_FILE
    assert not target.exists(), "goals.yaml already in the client copy: another test saved"
    originals = sorted(p.name for p in client.iterdir())
    case = library_case(client)
    goals = {g.key: g for g in case.goals}
    status = page.locator(STATUS)
    saved = page.locator(f"{STATUS} [data-saved]")

    # first save: DSO target 50 and a new owner; no earlier file, so no backup
    set_target(page, "dso", f"{EDITED_DSO:g}")
    owner_input(page, "dso").fill("CFO")
    goals["dso"] = edited(goals["dso"], target=EDITED_DSO, owner="CFO")
    expect_shows(page, case, list(goals.values()))
    started = dt.datetime.now().replace(microsecond=0)
    page.locator(SAVE).click()
    expect(saved).to_have_count(1, timeout=UPDATE_TIMEOUT_MS)
    assert Path(saved.get_attribute("data-saved")) == target
    assert f"Saved {len(goals)} goal(s) to goals.yaml in the client folder {client.name}." in status.inner_text()
    assert str(client) not in status.inner_text()  # no server path on the page
    assert "kept as" not in status.inner_text()
    page.screenshot(path=tmp_path / "saved.png", full_page=True)

    body = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert body["as_of"] == f"{case.as_of:%Y-%m-%d}"
    assert dt.datetime.fromisoformat(body["saved_at"]) >= started
    assert body["goals"] == {g.key: {"target": g.target, "deadline": g.deadline.date(), "owner": g.owner}
                             for g in goals.values()}
    default = default_deadline(planning_start(case.as_of)).date()  # 12 months from the planning start
    assert body["goals"]["dso"] == {"target": EDITED_DSO, "deadline": default, "owner": "CFO"}
    # the library reads it back: goals.yaml now wins over the defaults
    back = {g.key: g for g in goal_set(assessment(client), client).goals}
    assert (back["dso"].target, back["dso"].owner, back["dso"].source) == (EDITED_DSO, "CFO", GOALS_FILE)
    first = target.read_bytes()
    # what is on screen is now what goals.yaml says
    expect(page.locator(".arassess-goals-table tbody tr").first).to_contain_text(GOALS_FILE)

    # second save: the first file is kept as goals.<YYYYmmdd-HHMMSS>.yaml, byte for byte
    set_target(page, "dso", f"{SECOND_DSO:g}")
    goals["dso"] = edited(goals["dso"], target=SECOND_DSO)
    expect(cash(page, "dso")).to_have_text(goal_cash_text(case, goals["dso"]), timeout=UPDATE_TIMEOUT_MS)
    page.locator(SAVE).click()
    expect(status).to_contain_text("the previous file is kept as", timeout=UPDATE_TIMEOUT_MS)
    backups = sorted(p for p in client.iterdir() if BACKUP_NAME.fullmatch(p.name))
    assert len(backups) == 1, sorted(p.name for p in client.iterdir())
    backup = backups[0]
    assert f"the previous file is kept as {backup.name}." in status.inner_text()
    stamp = dt.datetime.strptime(BACKUP_NAME.fullmatch(backup.name).group(1), "%Y%m%d-%H%M%S")
    assert started <= stamp <= dt.datetime.now() + dt.timedelta(seconds=1)
    assert backup.read_bytes() == first
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["goals"]["dso"]["target"] == SECOND_DSO
    # nothing else in the folder (no temporary file left), and the client's own files unchanged
    assert sorted(p.name for p in client.iterdir()) == sorted([*originals, GOALS_FILE, backup.name])
    assert_clean(page)

    # a new session (reload: a new kernel) starts from the saved goals
    open_dashboard(page, server)
    reloaded = library_case(client)
    assert [round(g.target, 4) for g in reloaded.goals] == [SECOND_DSO, *(round(g.target, 4) for g in case.goals[1:])]
    assert float(target_input(page, "dso").input_value()) == SECOND_DSO
    assert owner_input(page, "dso").input_value() == "CFO"
    expect_shows(page, reloaded, list(reloaded.goals))
    assert shown_table(page, ".arassess-goals-table")[0][-1] == GOALS_FILE
    assert_clean(page)
