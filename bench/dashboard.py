"""How long a person waits on the dashboards, measured in a real browser beside a trivial Voila page.

    python bench/dashboard.py                 # 3 page loads each, 5 date changes, 8 control changes (~2 min)
    python bench/dashboard.py --loads 5

Everything is served by Voila on 127.0.0.1 (tests/voila_server.py: the same server and Debian
chromium the browser tests use; the page reaches nothing but the loopback server) from a temporary
folder holding copies of the sample client and the notebooks, so the workspace cache starts empty
and the repository is never written. Measured, in the same run:

- **trivial page**: a notebook whose only output is a widget saying "Ready" — what any Voila page
  costs (kernel start, Voila's own page, the widget manager). Page load → "Ready", median.
- **assessment dashboard** (notebook 01): page load → its "Ready: …" status (headline and scorecard
  shown), and → every section shown (``data-complete``). The first load finds an empty workspace
  cache (reads and validates the export, fits the risk model); the next ones reuse the cached
  ledger and risk fit, as a second CFO opening the same client would.
- **as-of change** (notebook 01): typing a new date → "Ready" at that date, and → complete; five
  dates never shown before in the session.
- **CFO dashboard** (notebook 02): one control change (a key on the fee or FTE slider, or a value
  typed into a readout) → the status line changes, on the page's own clock (keydown
  ``event.timeStamp`` to the mutation), median of the changes.

Targets (issue 13): dashboard first render ≤ 2× the trivial page; control change ≤ 150 ms median;
as-of change ≤ 1 s. Nothing is asserted: the table is printed, and written as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import nbformat  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from voila_server import chromium, commit_change, offline_context, open_until, served_copy, voila_server  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 180_000
CLIENT = REPO / "sample_data" / "voltline"
READY = re.compile(r"^Ready")
NEW_DATES = ("2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30", "2026-05-31")
CFO_STEPS = (("fee", "key", "ArrowLeft"), ("fee", "key", "ArrowLeft"), ("fee", "key", "ArrowRight"),
             ("fee", "type", "27"), ("ftes", "key", "ArrowRight"), ("ftes", "key", "ArrowRight"),
             ("ftes", "key", "ArrowLeft"), ("ftes", "type", "2.5"))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def trivial_notebook(folder: Path) -> Path:
    """A notebook with a parameters cell and one widget saying "Ready" (class arassess-status)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("client_dir = 'unused'", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import ipywidgets\nstatus = ipywidgets.HTML('Ready')\n"
                                          "status.add_class('arassess-status')\nstatus")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "trivial.ipynb"
    nbformat.write(nb, path)
    return path


def page_loads(browser: Any, server: Any, loads: int, *, complete: str | None = None) -> list[dict[str, float]]:
    """Open the page ``loads`` times (a fresh page and kernel each); seconds to "Ready" and, when
    ``complete`` is a selector, to that element appearing."""
    rows = []
    for _ in range(loads):
        context = offline_context(browser, VIEWPORT)
        try:
            page = context.new_page()
            started = time.perf_counter()
            ready = open_until(page, server, ".arassess-status", READY, "Ready", TIMEOUT_MS)
            row = {"ready_s": ready}
            if complete:
                expect(page.locator(complete)).to_have_count(1, timeout=TIMEOUT_MS)
                row["complete_s"] = time.perf_counter() - started
            rows.append(row)
        finally:
            context.close()
    return rows


def as_of_changes(browser: Any, server: Any) -> list[dict[str, float]]:
    """On one page of notebook 01: type each of NEW_DATES; seconds to "Ready … at <date>" and to
    every section shown."""
    context = offline_context(browser, VIEWPORT)
    rows = []
    try:
        page = context.new_page()
        open_until(page, server, ".arassess-status", READY, "Ready", TIMEOUT_MS)
        expect(page.locator(".arassess-complete [data-complete]")).to_have_count(1, timeout=TIMEOUT_MS)
        box = page.locator(".arassess-as-of input[type=date]")
        for date in NEW_DATES:
            started = time.perf_counter()
            box.fill(date)
            expect(page.locator(".arassess-status")).to_contain_text(f"at {date}", timeout=TIMEOUT_MS)
            ready = time.perf_counter() - started
            expect(page.locator(".arassess-complete [data-complete]")).to_have_count(1, timeout=TIMEOUT_MS)
            rows.append({"date": date, "ready_s": ready, "complete_s": time.perf_counter() - started})
    finally:
        context.close()
    return rows


def control_changes(browser: Any, server: Any) -> list[dict[str, Any]]:
    """On one page of notebook 02: the CFO_STEPS; browser round trip in ms (None: the status text
    came back identical, so there was nothing to see change)."""
    context = offline_context(browser, VIEWPORT)
    rows = []
    try:
        page = context.new_page()
        open_until(page, server, ".arassess-status", re.compile(r"Updated in"), "cost dashboard", TIMEOUT_MS)
        for slider, how, what in CFO_STEPS:
            css = f".arassess-{slider}"
            if how == "key":
                handle = page.locator(f"{css} .noUi-handle")
                handle.focus()
                action = lambda: handle.press(what)  # noqa: E731
            else:
                page.locator(f"{css} .widget-readout").click()
                page.keyboard.press("Control+A")
                page.keyboard.type(what)
                action = lambda: page.keyboard.press("Enter")  # noqa: E731
            probe = commit_change(page, action, ".arassess-status", ".arassess-comparison", TIMEOUT_MS)
            ms = None if probe["statusAt"] is None else probe["statusAt"] - probe["t0"]
            rows.append({"control": slider, "action": f"{how} {what}", "round_trip_ms": ms})
    finally:
        context.close()
    return rows


def median(rows: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=3, help="page loads per dashboard (default 3)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = parser.parse_args(argv)
    log(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="arassess-bench-dashboard-") as tmp:
        root = Path(tmp)
        trivial = trivial_notebook(root)
        nb01 = served_copy(root, REPO / "notebooks" / "01_assess_current_process.ipynb", CLIENT,
                           ignore=("scenarios",))["notebook"]
        nb02 = root / "cfo"
        nb02.mkdir()
        nb02 = served_copy(nb02, REPO / "notebooks" / "02_inhouse_vs_agency.ipynb", CLIENT,
                           ignore=("scenarios",))["notebook"]
        with sync_playwright() as playwright, chromium(playwright) as browser:
            log("trivial Voila page …")
            with voila_server(trivial.name, cwd=root, log_dir=root / "voila-trivial") as server:
                page_loads(browser, server, 1)  # warm-up: the first kernel start pays for cold files
                results["trivial"] = page_loads(browser, server, args.loads)
            log("assessment dashboard (notebook 01) …")
            with voila_server(nb01.name, cwd=root, log_dir=root / "voila-01") as server:
                complete = ".arassess-complete [data-complete]"
                results["assessment_cold"] = page_loads(browser, server, 1, complete=complete)
                results["assessment_warm"] = page_loads(browser, server, args.loads, complete=complete)
                log("as-of changes …")
                results["as_of"] = as_of_changes(browser, server)
            log("CFO dashboard (notebook 02) …")
            with voila_server(nb02.name, cwd=nb02.parent, log_dir=root / "voila-02") as server:
                results["cfo"] = control_changes(browser, server)
    log(f"load average at end: {os.getloadavg()[0]:.2f}")

    trivial_s = median(results["trivial"], "ready_s")
    cold, warm = results["assessment_cold"][0], results["assessment_warm"]
    lines = [
        ("trivial Voila page: load → Ready", f"{trivial_s:.2f} s", "", "the floor"),
        ("assessment dashboard, empty cache: load → Ready", f"{cold['ready_s']:.2f} s",
         f"{cold['ready_s'] / trivial_s:.1f}×", "≤ 2×"),
        ("  … → every section shown", f"{cold['complete_s']:.2f} s", f"{cold['complete_s'] / trivial_s:.1f}×", ""),
        ("assessment dashboard, cached client: load → Ready", f"{median(warm, 'ready_s'):.2f} s",
         f"{median(warm, 'ready_s') / trivial_s:.1f}×", "≤ 2×"),
        ("  … → every section shown", f"{median(warm, 'complete_s'):.2f} s",
         f"{median(warm, 'complete_s') / trivial_s:.1f}×", ""),
        ("as-of change → Ready (median of 5 new dates)", f"{median(results['as_of'], 'ready_s'):.2f} s", "",
         "≤ 1 s"),
        ("  … → every section shown", f"{median(results['as_of'], 'complete_s'):.2f} s", "", ""),
        (f"CFO control change → status (median of {len(CFO_STEPS)})", f"{median(results['cfo'], 'round_trip_ms'):.0f} ms",
         "", "≤ 150 ms"),
    ]
    print(f"{'measured (median of ' + str(args.loads) + ' page loads where it says load)':<62} {'time':>9} "
          f"{'× trivial':>10} {'target':>9}")
    for label, value, ratio, target in lines:
        print(f"{label:<62} {value:>9} {ratio:>10} {target:>9}")
    print("CFO changes (ms): " + ", ".join(
        f"{r['control']} {r['action']}: {'same text' if r['round_trip_ms'] is None else round(r['round_trip_ms'])}"
        for r in results["cfo"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
