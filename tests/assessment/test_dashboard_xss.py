"""Hostile uploads clicked in a real browser: the dashboard shows every string from the upload (its
file name, a column header, the error message that quotes it, customer names and invoice ids in the
section tables) as text. The page is served by Voila on loopback (tests/voila_server.py) from a
copy of notebook 01, and driven through Debian's chromium; each payload, if it ever became markup,
would set ``window.__xss`` or add an ``img[src=x]`` / ``svg`` element — both are checked, and a
control page proves the checks can fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from voila_server import chromium_session, offline_context, open_until, served_copy, voila_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "01_assess_current_process.ipynb"
CLIENT = ROOT / "sample_data" / "voltline"
TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1400, "height": 1000}

NAME = '<img src=x onerror="window.__xss=1">.csv'
HEADER = '<img src=x onerror="window.__xss=2">'
GOOD_NAME = 'ok <svg onload="window.__xss=3">.csv'
CUSTOMER = '<img src=x onerror="window.__xss=4">'
INVOICE = '<b onmouseover="window.__xss=5">INV-1</b>'


def quoted(value: str) -> str:
    """A CSV field holding ``value`` (quotes doubled)."""
    return '"' + value.replace('"', '""') + '"'


def injected(page) -> list[str]:
    """What of the payloads became live in the page: the flag a handler set, and any element they
    brought (an image with src=x, an svg carrying onload, a bold element carrying onmouseover)."""
    found = []
    if page.evaluate("window.__xss") is not None:
        found.append(f"window.__xss = {page.evaluate('window.__xss')}")
    for selector in ("img[src=x]", "svg[onload]", "b[onmouseover]"):
        if page.locator(selector).count():
            found.append(selector)
    return found


@pytest.fixture(scope="module")
def browser():
    with chromium_session() as browser:
        yield browser


def test_the_injection_check_can_fail(browser):
    context = offline_context(browser, VIEWPORT)
    try:
        page = context.new_page()
        page.set_content(f"<p>{HEADER}</p><p>{INVOICE}</p>")
        page.wait_for_function("window.__xss !== undefined")
        assert injected(page)
    finally:
        context.close()


def test_hostile_uploads_are_text_in_the_dashboard(browser, tmp_path):
    served = served_copy(tmp_path, NOTEBOOK, CLIENT, ignore=("scenarios",))
    context = offline_context(browser, VIEWPORT)
    dialogs: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        with voila_server(served["notebook"].name, cwd=tmp_path, log_dir=tmp_path / "voila") as server:
            open_until(page, server, ".arassess-status", re.compile(r"^Ready: .+ at 2026-10-31"), "dashboard",
                       TIMEOUT_MS)
            status = page.locator(".arassess-status")

            def upload(name: str, content: str) -> None:
                with page.expect_file_chooser() as chooser:
                    page.locator(".arassess-upload").first.click()
                chooser.value.set_files(files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}])

            # 1. a hostile file name and a hostile column header: the load fails, and its message
            #    quotes both — as text; the client on screen stays the one selected
            bad = f"invoice_id,customer_id,invoice_date,due_date,{HEADER}\nA1,C1,2026-09-01,2026-10-01,100.00\n"
            upload(NAME, bad)
            expect(status).to_contain_text("Cannot load", timeout=TIMEOUT_MS)
            shown = status.inner_text()
            assert "<img src=x" in shown          # the name arrived, and is shown as the characters it is
            assert "still showing voltline" in shown
            assert injected(page) == []

            # 2. an accepted upload whose customer and invoice id are markup: the status, the
            #    headline and every section table show them as text
            good = ("invoice_id,customer_id,invoice_date,due_date,amount\n"
                    f"{quoted(INVOICE)},{quoted(CUSTOMER)},2026-08-01,2026-08-31,250.00\n"
                    "A2,C2,2026-09-01,2026-10-01,100.00\n")
            upload(GOOD_NAME, good)
            expect(status).to_contain_text("Ready: Uploaded: ok <svg", timeout=TIMEOUT_MS)
            expect(page.locator(".arassess-complete [data-complete]")).to_have_count(1, timeout=TIMEOUT_MS)
            body = page.locator("body").inner_text()
            assert CUSTOMER in body                # in the top-customers table, as text
            page.locator("table", has_text=CUSTOMER).first.hover()  # a live onmouseover would fire now
            assert injected(page) == [] and dialogs == []
            page.screenshot(path=tmp_path / "hostile-upload.png", full_page=True)
    finally:
        context.close()
