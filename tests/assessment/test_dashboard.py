"""The Voila dashboard of notebook 01, clicked in a real browser (Debian's chromium).

Voila serves the notebook on a free loopback port (tests/voila_server.py); the
page is driven through the CSS classes the dashboard puts on its widgets:
``.arassess-status`` (``Ready: <client> at <YYYY-MM-DD> (window N days)`` once a
render is done), ``.arassess-as-of`` (a DatePicker: ``<input type="date">``) and
``.arassess-headline`` (``<span data-kpi="dso">59.3</span>``). The KPI shown must
be the library's value for the same client, date and window.

Timings (page load → first Ready, as-of change → Ready) are measured, not
asserted: they are printed (``pytest -s``), recorded as junit properties and
written to ``timings.json`` beside the screenshots in the test's tmp_path.
"""

from __future__ import annotations

import functools
import json
import re
import time

import pytest
from playwright.sync_api import Page, expect
from voila_server import REPO_ROOT, VoilaServer, chromium_session, offline_context, open_until, voila_server
from voila_server import assert_clean as page_is_clean

from arassess.inputs.intake import load_client
from arassess.kpi.engine import compute_kpis

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = "notebooks/01_assess_current_process.ipynb"
CLIENT = "sample_data/voltline"
FIRST_AS_OF = "2026-10-31"  # the sample client's as_of (the notebook's default)
SECOND_AS_OF = "2026-06-30"
RENDER_TIMEOUT_MS = 120_000  # first render: kernel start + assessment + widgets
VIEWPORT = {"width": 1400, "height": 1000}
# Voila answers HTTP 200 even when a cell fails; what the user would see instead
FAILURE_TEXT = re.compile(r"Traceback|There was an error when executing cell|\b[A-Z]\w*(Error|Exception)\b")
REPORTED_SECONDS = re.compile(r"— ([\d.]+) s")  # the dashboard's own timing after "Ready: …"
SOURCE_TEXT = ("assess(", "from arassess", "in_dashboard(")


def ready(as_of: str) -> re.Pattern[str]:
    return re.compile(rf"Ready: .+ at {as_of} \(window (\d+) days\)")


@functools.lru_cache(maxsize=1)
def sample_ledger():
    return load_client(REPO_ROOT / CLIENT)


@functools.lru_cache(maxsize=2)
def riskiest_customer(as_of: str) -> str:
    """The library's riskiest customer of the sample client at ``as_of`` (risk section, first row)."""
    from arassess.risk.model import assess_risk

    return str(assess_risk(sample_ledger(), as_of).customers["customer_name"].iloc[0])


def assert_risk_section(page: Page, as_of: str) -> None:
    """The dashboard shows the late-payment risk section with the library's riskiest customer first
    and its two charts loaded (page_is_clean checks that no image is broken), once every section is
    shown (the headline comes first, the other sections as they finish)."""
    try:
        expect(page.locator(".arassess-complete [data-complete]")).to_have_count(1, timeout=RENDER_TIMEOUT_MS)
    except AssertionError as exc:  # say what the page showed instead (a failed fill names its error there)
        status = page.locator(".arassess-status").inner_text()
        raise AssertionError(f"sections never all shown; status line: {status!r}; "
                             f"headings: {page.get_by_role('heading').all_inner_texts()}") from exc
    expect(page.get_by_role("heading", name=re.compile(r"^6\. Late-payment risk"))).to_be_visible()
    table = page.locator("table", has_text="Past late share")
    expect(table).to_have_count(1)
    first_row = table.locator("tbody tr").first
    expect(first_row).to_contain_text(riskiest_customer(as_of))


RESEND_WINDOW_S = 11.0  # the fill's widgets are sent again 2 s and 10 s after it ends (arassess.display.live)


def assert_resend_redraws_nothing(page: Page) -> None:
    """Once every section is shown, the two resends of the same state change nothing on the page:
    no section is drawn again (the front end finds the state equal), and every section is still there."""
    page.evaluate("""() => {
        window.__sectionMutations = 0;
        const observer = new MutationObserver(records => { window.__sectionMutations += records.length; });
        document.querySelectorAll('.arassess-section').forEach(
            box => observer.observe(box, {childList: true, subtree: true, characterData: true}));
    }""")
    sections = page.locator(".arassess-section")
    count = sections.count()
    assert count >= 8
    time.sleep(RESEND_WINDOW_S)
    assert page.evaluate("window.__sectionMutations") == 0
    assert sections.count() == count and all(sections.nth(i).inner_text().strip() for i in range(count))


def expected_dso(as_of: str, window_days: int) -> str:
    """The library's DSO for the sample client, formatted as the headline shows it (1 decimal)."""
    value = compute_kpis(sample_ledger(), as_of, window_days=window_days).value("dso", as_of)
    return f"{round(value, 1):.1f}"


def window_of(page: Page, as_of: str) -> int:
    return int(ready(as_of).search(page.locator(".arassess-status").inner_text()).group(1))


def open_dashboard(page: Page, server: VoilaServer) -> float:
    """Load the page and wait for the first render (at the default date); return the seconds it took."""
    return open_until(page, server, ".arassess-status", ready(FIRST_AS_OF), f"dashboard at {FIRST_AS_OF}",
                      RENDER_TIMEOUT_MS)


def assert_clean(page: Page) -> None:
    """No code and no error anywhere on the page (voila_server.assert_clean with this page's texts)."""
    page_is_clean(page, SOURCE_TEXT, FAILURE_TEXT)


@pytest.fixture(scope="module")
def browser():
    with chromium_session() as browser:
        yield browser


@pytest.fixture
def page(browser, tmp_path):
    context = offline_context(browser, VIEWPORT)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_dashboard_recomputes_kpis_when_the_as_of_date_changes(page, tmp_path, record_property):
    timings: dict[str, float] = {}
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    with voila_server(NOTEBOOK, log_dir=tmp_path) as server:
        timings["server_start_s"] = server.started_seconds
        status = page.locator(".arassess-status")
        dso = page.locator('.arassess-headline [data-kpi="dso"]')

        timings["page_load_to_first_ready_s"] = open_dashboard(page, server)
        server.remember_children()  # the kernel, so stop() can make sure it is gone
        page.screenshot(path=tmp_path / f"dashboard-{FIRST_AS_OF}.png", full_page=True)

        first = dso.inner_text()
        assert first == expected_dso(FIRST_AS_OF, window_of(page, FIRST_AS_OF))
        assert_risk_section(page, FIRST_AS_OF)
        assert_clean(page)
        assert_resend_redraws_nothing(page)

        as_of = page.locator(".arassess-as-of input[type=date]")
        assert as_of.input_value() == FIRST_AS_OF
        started = time.perf_counter()
        as_of.fill(SECOND_AS_OF)  # sets the value and fires `change`, which the DatePicker listens to
        expect(status).to_have_text(ready(SECOND_AS_OF), timeout=RENDER_TIMEOUT_MS)
        timings["as_of_change_to_ready_s"] = time.perf_counter() - started
        page.screenshot(path=tmp_path / f"dashboard-{SECOND_AS_OF}.png", full_page=True)

        second = dso.inner_text()
        assert second == expected_dso(SECOND_AS_OF, window_of(page, SECOND_AS_OF))
        assert second != first
        assert_risk_section(page, SECOND_AS_OF)           # refitted at the new date
        assert riskiest_customer(SECOND_AS_OF) != riskiest_customer(FIRST_AS_OF)
        assert_clean(page)
        assert script_errors == []
        reported = REPORTED_SECONDS.search(status.inner_text())
        if reported:
            timings["status_line_reported_s"] = float(reported.group(1))

    (tmp_path / "timings.json").write_text(json.dumps(timings, indent=2), encoding="utf-8")
    for key, seconds in timings.items():
        record_property(key, round(seconds, 3))
    print("\ndashboard timings (s): " + ", ".join(f"{k}={v:.2f}" for k, v in timings.items())
          + f"  [screenshots, timings.json, voila.log in {tmp_path}]")
