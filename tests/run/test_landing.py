"""The landing page of `arassess serve`: its cards from the latest run's summaries, client names kept
as text, no file names or paths; in Chromium it lists the sample clients, every link opens its
dashboard on the client it names (its title "Client — Dashboard"), it fits 1280×800 and 1024×768,
and axe finds no critical or serious accessibility violation."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from arassess.paths import SAMPLE_DATA_DIR, WORKSPACE_ENV, requested_client
from arassess.run import landing

VOLTLINE = SAMPLE_DATA_DIR / "voltline"
NORTHWIND = SAMPLE_DATA_DIR / "northwind_open_items"


def write_run(runs: Path, folder: str, name: str, *, complete: bool = True, **summaries: dict) -> Path:
    run = runs / folder / name
    run.mkdir(parents=True)
    for file, data in {"summary": {"kpis": {}}, **summaries}.items():
        (run / f"{file}.json").write_text(json.dumps(data), encoding="utf-8")
    if not complete:
        (run / landing.INCOMPLETE).write_text("", encoding="utf-8")
    return run


def test_headlines_come_from_the_latest_complete_run(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "acme", "2026-10-31_20261101-090000", summary={"kpis": {"dso": 99.0}})
    newest = write_run(runs, "acme", "2026-06-30_20261120-100000",
                       summary={"kpis": {"dso": 54.5575, "cei": 85.32}},
                       costs_summary={"strategy": "hybrid", "handoff_day": 75.0},
                       goals_summary={"goals": [{"key": "cei", "target": 90}, {"key": "dso", "target": 45.04,
                                                                                 "deadline": "2027-10-31"}]},
                       plan_summary={"actions": [{}, {}, {}], "worklist_invoices": 1234})
    write_run(runs, "acme", "2026-10-31_20261130-100000", complete=False, summary={"kpis": {"dso": 1.0}})
    assert landing.latest_run(runs, "acme") == newest  # newest by when it ran, not by its as-of date
    assert landing.headlines(newest) == {
        "assess": "DSO 54.6 days · CEI 85.3%",
        "costs": "In-house, then agency at 75 days",
        "goals": "DSO to 45.0 days by 2027-10-31",
        "plan": "3 actions · 1,234 invoices on the worklist"}
    assert landing.latest_run(runs, "nobody") is None


def test_cards_keep_hostile_names_as_text_and_show_no_paths(tmp_path, monkeypatch):
    hostile = tmp_path / "clients" / "evil"
    shutil.copytree(NORTHWIND, hostile)
    cfg = hostile / "client.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(re.sub(r"(?m)^name: .*$", 'name: "<script>alert(1)</script> & Co"', text), encoding="utf-8")
    broken = tmp_path / "clients" / "broken"
    broken.mkdir()
    (broken / "client.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path))
    html = landing.landing_html("/")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "Cannot open this client:" in html  # the broken client.yaml gets a card saying so
    assert str(tmp_path) not in html and ".ipynb" not in re.sub(r'href="[^"]*"', "", html)
    assert 'href="/voila/render/02_inhouse_vs_agency.ipynb?client=evil"' in html
    assert "Voltline Components GmbH" in html  # the checkout's sample clients are listed too


def test_a_page_names_its_client_by_folder_name_only(tmp_path, monkeypatch):
    client = tmp_path / "acme"
    shutil.copytree(NORTHWIND, client)
    monkeypatch.delenv(WORKSPACE_ENV, raising=False)
    monkeypatch.setenv("QUERY_STRING", "client=acme")
    assert requested_client("sample_data/voltline") == "sample_data/voltline"  # not under serve: the parameter
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path))
    assert requested_client("sample_data/voltline") == client
    monkeypatch.setenv("QUERY_STRING", "client=../../etc")
    assert requested_client("sample_data/voltline") == "sample_data/voltline"  # a name, never a path
    monkeypatch.setenv("QUERY_STRING", "")
    assert requested_client("x") == "x"


def test_a_preheated_kernel_waits_for_its_page_before_choosing_the_client(tmp_path, monkeypatch):
    """A kernel Voila started ahead of its page (VOILA_PREHEAT=True) has no request yet: the client is
    chosen once Voila's wait_for_request has put the page's query into the environment."""
    import voila.utils

    client = tmp_path / "acme"
    shutil.copytree(NORTHWIND, client)
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path))
    monkeypatch.delenv("QUERY_STRING", raising=False)
    waited = []

    def request_arrives() -> None:  # what Voila's wait_for_request does when the page asks
        waited.append(True)
        monkeypatch.setenv("QUERY_STRING", "client=acme")

    monkeypatch.setattr(voila.utils, "wait_for_request", request_arrives)
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # a kernel started for its page: nothing to wait for
    assert requested_client("sample_data/voltline") == "sample_data/voltline" and waited == []
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    assert requested_client("sample_data/voltline") == client and waited == [True]


# --- in the browser ----------------------------------------------------------------------

SIZES = {"desktop": {"width": 1280, "height": 800}, "tablet": {"width": 1024, "height": 768}}
FAILURE_TEXT = re.compile(r"Traceback|There was an error when executing cell|\b[A-Z]\w*(Error|Exception)\b")
RENDER_TIMEOUT_MS = 120_000
TIMING = re.compile(r"Updated in [\d,]+ ms|— [\d.]+ s\b")
#: An amount of a thousand or more written with cents ("1,316,354.59"): the dashboards show money in
#: whole units (the consultant's control totals with cents sit in a collapsed box, not in the text)
CENTS = re.compile(r"\b\d{1,3}(?:,\d{3})+\.\d{2}\b")


def notebook(title: str = "Assessment", parameters: str = 'client_dir: str = "sample_data/voltline"  # folder') -> dict:
    return {"metadata": {"title": title},
            "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Intro"},
                      {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": parameters}]}


def test_a_dashboard_page_gets_what_titles_it_client_then_dashboard(tmp_path, monkeypatch):
    """The page config of a dashboard page carries the notebook's title, every readable client's name
    by folder and the default client's name; the template's script picks one by ``?client=`` (checked
    in Chromium below and in tests/run/test_serve.py)."""
    clients = tmp_path / "clients"
    shutil.copytree(NORTHWIND, clients / "northwind")
    (clients / "broken").mkdir()
    (clients / "broken" / "client.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv(WORKSPACE_ENV, str(tmp_path))
    titles = landing.page_titles(notebook("Goals"))
    assert titles["title"] == "Goals"
    assert titles["clients"]["northwind"] == "Northwind Elektrotechnik GmbH"
    assert titles["clients"]["voltline"] == "Voltline Components GmbH"  # the checkout's samples too
    assert "broken" not in titles["clients"]  # a client.yaml that cannot be read names no page
    # no ?client= (or one that is not a client folder found): the notebook's default folder, as the
    # kernel resolves it (the checkout's sample)
    assert titles["default"] == "Voltline Components GmbH"
    assert landing.page_titles(notebook(parameters="as_of: str = ''"))["default"] == ""
    assert landing.page_titles({"metadata": {}, "cells": []}) == {}  # no title: nothing to add
    # Voila's page_config_hook: the titles on a notebook's page, the landing page on the tree page
    path = tmp_path / "dashboard.ipynb"
    path.write_text(json.dumps(notebook("Assessment")), encoding="utf-8")
    page = landing.page_config_hook({}, notebook_path=str(path), base_url="/")
    assert page["arassess_page"]["title"] == "Assessment" and "arassess_landing" not in page
    tree = landing.page_config_hook({}, notebook_path="", base_url="/")
    assert "Northwind Elektrotechnik GmbH" in tree["arassess_landing"] and "arassess_page" not in tree


@pytest.mark.parametrize("source, found", [
    ('client_dir: str = "clients/acme"  # the folder', "clients/acme"),
    ("client_dir = 'x'\nas_of = ''", "x"),
    ("client_dir = some_call()", None),
    ("client_dir: str = (", None)])
def test_the_default_client_is_read_from_the_parameters_cell(source, found):
    assert landing.default_client(notebook(parameters=source)) == found


@pytest.mark.browser
@pytest.mark.slow
def test_the_landing_page_leads_to_every_dashboard_of_a_client(tmp_path):
    """`arassess serve` opens on the landing page: the sample clients with their dates, a card per
    dashboard; each card of the open-items client opens its dashboard on that client, without an
    error, a timing, a path or a file name, and fits 1024×768 without horizontal scrolling; no file
    name or path on the landing page, which fits both sizes; axe-core finds no critical or serious
    violation on the landing page or on any dashboard."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect
    from voila_server import chromium_session, offline_context, voila_server

    cli = Path(sys.executable).with_name("arassess")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    write_run(workspace / "runs", "voltline", "2026-10-31_20261203-120000",
              summary={"kpis": {"dso": 59.3, "cei": 83.3}}, costs_summary={"strategy": "in_house"})
    with voila_server(command=lambda port: [str(cli), "serve", f"--port={port}"], cwd=workspace,
                      log_dir=tmp_path, debug=False) as server, chromium_session() as browser:
        for size, viewport in SIZES.items():
            context = offline_context(browser, viewport)
            try:
                page = context.new_page()
                page.goto(server.url, timeout=60_000)
                expect(page).to_have_title("Collection assessment — Dashboards")
                clients = page.get_by_role("navigation", name="Clients")
                expect(clients).to_contain_text("Voltline Components GmbH")
                expect(clients).to_contain_text("Northwind Elektrotechnik GmbH")
                expect(page.locator(".arassess-landing-card")).to_have_count(2 * len(landing.DASHBOARDS))
                voltline = page.locator("section.arassess-landing-client", has_text="Voltline Components GmbH")
                expect(voltline.locator('[data-dashboard="assess"]')).to_contain_text("DSO 59.3 days · CEI 83.3%")
                expect(voltline.locator('[data-dashboard="costs"]')).to_contain_text("Keep collections in-house")
                expect(voltline).to_contain_text("Figures from the assessment run on 03 December 2026")
                body = page.locator("body").inner_text()
                assert ".ipynb" not in body and str(workspace) not in body and "/work" not in body
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                page.screenshot(path=shots / f"landing-{size}.png", full_page=True)
                violations = Axe().run(page).response["violations"]
                serious = [v["id"] for v in violations if v.get("impact") in ("critical", "serious")]
                assert serious == [], serious
            finally:
                context.close()

        context = offline_context(browser, SIZES["tablet"])  # the dashboards at tablet width
        try:
            page = context.new_page()
            page.goto(server.url, timeout=60_000)
            northwind = page.locator("section.arassess-landing-client", has_text="Northwind Elektrotechnik GmbH")
            links = {d.key: northwind.locator(f'[data-dashboard="{d.key}"] a').get_attribute("href")
                     for d in landing.DASHBOARDS}
            for key, href in links.items():
                assert href.endswith("?client=northwind_open_items")
                page.goto(server.url.rstrip("/") + href, timeout=RENDER_TIMEOUT_MS)
                expect(page.locator("body")).to_contain_text("Northwind Elektrotechnik GmbH",
                                                             timeout=RENDER_TIMEOUT_MS)
                text = page.locator("body").inner_text()
                assert "Voltline" not in text, key  # the page opened on the client it named
                assert not TIMING.search(text), (key, TIMING.search(text))  # no internal timings for a CFO
                assert str(workspace) not in text and ".ipynb" not in text, key
                title = next(d.title for d in landing.DASHBOARDS if d.key == key)
                expect(page).to_have_title(f"Northwind Elektrotechnik GmbH — {title}")  # no file name
                failure = FAILURE_TEXT.search(text)
                assert failure is None, (key, text[max(0, failure.start() - 300):failure.end() + 300])
                page.wait_for_timeout(600)  # the template's repairs run within 0.5 s of a change
                violations = Axe().run(page).response["violations"]
                # e.g. every chart has its alt text, every slider its name, a scrolling box takes the focus
                serious = [v["id"] for v in violations if v.get("impact") in ("critical", "serious")]
                assert serious == [], (key, serious)
                assert not CENTS.search(text), (key, CENTS.findall(text)[:5])  # money without cents
                money = re.findall(r"\b\d{1,3}(?:,\d{3})+ EUR\b", text)
                assert money or key == "monthly", key  # … in the client's currency (checked: it is there)
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), key
                page.screenshot(path=shots / f"dashboard-{key}-tablet.png")
                page.set_viewport_size(SIZES["desktop"])  # and at 1280×800, the same page
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), key
                page.screenshot(path=shots / f"dashboard-{key}-desktop.png")
                page.set_viewport_size(SIZES["tablet"])
                server.remember_children()
        finally:
            context.close()
    print(f"\nlanding page screenshots: {shots}")
