"""The action-status form of notebook 04 (action plan), driven in a real browser (Debian's chromium).

One Voila server serves a copy of ``notebooks/04_action_plan.ipynb`` whose parameters cell points at
a copy of ``sample_data/voltline`` in a temp folder: "Save status" writes ``actions.yaml`` (and its
dated backups) there, never into the repository. What the page must offer and what the file must
hold are computed here with the library (``load_plan_case``, ``read_action_log``), never read back
from the page.

The form's CSS classes (``arassess.plan.dashboard``): ``.arassess-action`` (a Dropdown: ``<select>``
of the plan's actions), ``.arassess-action-status`` (planned/started/done/dropped),
``.arassess-action-date`` (``<input type=date>``), ``.arassess-action-note`` (a Text),
``.arassess-save-action``, ``.arassess-action-message`` (``data-saved`` after a save, ``data-error``
when the log refuses) and ``.arassess-action-log`` (the counts and the status table).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from playwright.sync_api import Page, expect
from voila_server import REPO_ROOT, chromium_session, dashboard_page, open_until, served_copy, serving_copy
from voila_server import assert_clean as page_is_clean

from arassess.plan.case import load_plan_case
from arassess.plan.store import ACTIONS_FILE, read_action_log

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = REPO_ROOT / "notebooks" / "04_action_plan.ipynb"
CLIENT = REPO_ROOT / "sample_data" / "voltline"
RENDER_TIMEOUT_MS = 180_000  # kernel start + assessment + cost case + plan + worklist
UPDATE_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 1400}
FAILURE_TEXT = re.compile(r"Traceback|There was an error when executing cell|Cannot evaluate"
                          r"|\b[A-Z]\w*(Error|Exception)\b")
SOURCE_TEXT = ("load_plan_case(", "from arassess", "action_form(", "in_dashboard(", "client_dir:")
LOG = ".arassess-action-log"
MESSAGE = ".arassess-action-message"
COUNTS = re.compile(r"\d+ (done|started|planned|dropped|not recorded yet)")
BACKUP_NAME = re.compile(r"actions\.(\d{8}-\d{6})(-\d+)?\.yaml")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, Path]:
    return served_copy(tmp_path_factory.mktemp("action-dashboard"), NOTEBOOK, CLIENT,
                       ignore=(ACTIONS_FILE, "actions.*.yaml"))


@pytest.fixture(scope="module")
def plan(site) -> pd.DataFrame:
    return load_plan_case(site["client"]).plan


@pytest.fixture(scope="module")
def server(site):
    with serving_copy(site, CLIENT, "the action-plan dashboard") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium_session() as browser:
        yield browser


@pytest.fixture
def page(browser, server):
    with dashboard_page(browser, VIEWPORT, lambda p: open_until(p, server, LOG, COUNTS, "action status form",
                                                                 RENDER_TIMEOUT_MS)) as page:
        yield page


def label(row) -> str:
    return f"{row.title} (due {pd.Timestamp(row.due):%d %b %Y})"


def choose(page: Page, action: int, status: str, day: str, note: str) -> None:
    """Pick the plan's ``action``-th action, its status, day and note, as a user would."""
    page.locator(".arassess-action select").select_option(index=action)
    page.locator(".arassess-action-status select").select_option(status)
    page.locator(".arassess-action-date input[type=date]").fill(day)
    note_box = page.locator(".arassess-action-note input")
    note_box.fill(note)
    note_box.press("Tab")


def test_the_form_offers_every_action_of_the_plan(page, plan):
    options = page.locator(".arassess-action select option").all_inner_texts()
    assert [o.replace("\xa0", " ") for o in options] == [label(r) for r in plan.itertuples()]  # ipywidgets: nbsp
    expect(page.locator(LOG)).to_contain_text(f"{len(plan)} not recorded yet")
    rows = page.locator(f"{LOG} table tbody tr")
    expect(rows).to_have_count(len(plan))
    page_is_clean(page, SOURCE_TEXT, FAILURE_TEXT)


def test_saving_a_status_writes_the_log_and_keeps_the_previous_file(page, site, plan, tmp_path):
    client = site["client"]
    target = client / ACTIONS_FILE
    assert not target.exists(), "actions.yaml already in the client copy"
    originals = sorted(p.name for p in client.iterdir())
    first, second = plan.iloc[0], plan.iloc[1]
    message = page.locator(MESSAGE)

    # dropped without a reason: the log's own message, nothing written
    choose(page, 0, "dropped", "2026-11-20", "")
    page.locator(".arassess-save-action").click()
    expect(message.locator("[data-error]")).to_have_count(1, timeout=UPDATE_TIMEOUT_MS)
    expect(message).to_contain_text("must give the reason an action was dropped")
    assert not target.exists()

    # with its reason: written, the table counts it
    choose(page, 0, "dropped", "2026-11-20", "Board keeps <collections> in-house")
    page.locator(".arassess-save-action").click()
    expect(message.locator("[data-saved]")).to_have_count(1, timeout=UPDATE_TIMEOUT_MS)
    assert read_action_log(client)[first.id].status == "dropped"
    assert read_action_log(client)[first.id].note == "Board keeps <collections> in-house"
    expect(page.locator(LOG)).to_contain_text(f"1 dropped, {len(plan) - 1} not recorded yet")
    expect(page.locator(LOG)).to_contain_text("Board keeps <collections> in-house")  # shown as text
    once = target.read_bytes()

    # a second action done: the first file is kept, byte for byte
    choose(page, 1, "done", "2026-11-25", "")
    page.locator(".arassess-save-action").click()
    expect(message).to_contain_text("the previous file is kept as", timeout=UPDATE_TIMEOUT_MS)
    backups = [p for p in client.iterdir() if BACKUP_NAME.fullmatch(p.name)]
    assert len(backups) == 1 and backups[0].read_bytes() == once
    body = yaml.safe_load(target.read_text(encoding="utf-8"))["actions"]
    assert body[second.id] == {"status": "done", "date": pd.Timestamp("2026-11-25").date()}
    assert body[first.id]["status"] == "dropped"
    expect(page.locator(LOG)).to_contain_text(f"1 done, 1 dropped, {len(plan) - 2} not recorded yet")
    assert sorted(p.name for p in client.iterdir()) == sorted([*originals, ACTIONS_FILE, backups[0].name])
    page.screenshot(path=tmp_path / "saved.png", full_page=True)

    # picking an action shows what the log records for it
    page.locator(".arassess-action select").select_option(index=0)
    expect(page.locator(".arassess-action-note input")).to_have_value("Board keeps <collections> in-house",
                                                                       timeout=UPDATE_TIMEOUT_MS)
    expect(page.locator(".arassess-action-status select")).to_have_value("dropped")
    page_is_clean(page, SOURCE_TEXT, FAILURE_TEXT)
