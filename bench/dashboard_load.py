"""A workshop of CFOs: many people open the assessment dashboard at once, in a real browser.

    python bench/dashboard_load.py                  # 20 sessions at once (~9 min)
    python bench/dashboard_load.py --preheat 21     # served with 21 kernels started ahead (one more than the pages)
    python bench/dashboard_load.py --sessions 10 --json load.json

The server is the one ``arassess serve`` runs (arassess.serving.voila_command: loopback only,
sources hidden, idle kernels of closed pages culled — here after ``--cull`` seconds instead of 10
minutes, so the bench sees them go; the culler also stops a kernel whose page has not connected yet,
so ``--cull`` must exceed the time a page takes to connect under load), serving a copy of notebook 01 on a copy of the sample client
in a temporary folder (tests/voila_server.py; the repository is never written). Debian's chromium
opens every page; requests other than to the loopback server are refused, and the number of
sessions is capped (``--sessions`` ≤ 40).

Measured:

0. the reference, in the same run: ``--sessions`` trivial Voila pages (one widget saying "Ready",
   bench/dashboard.py) opened together — what Voila, the kernels and the browser cost on this
   machine before any assessment;
1. one page alone first (the consultant preparing the workshop: it fills the workspace cache with
   the validated ledger and the risk fit, which every later session of the same client reuses);
2. ``--sessions`` pages opened together: for each, seconds from the page load to its "Ready"
   status (headline and scorecard shown) and to every section shown; the server's memory (Voila
   and every kernel, resident set summed over the process tree, sampled every 0.25 s) at its peak;
   the most kernels alive at once;
3. every page closed: the kernels still alive ``--cull`` × 2 seconds later;
4. one person among many: ``--sessions`` sessions at once, one of them a page in Chromium and the
   others without a browser (bench/widget_sessions.py: each asks for the page, connects to its
   kernel and fetches every widget's state as the page's widget manager does, then follows the
   updates), each timed to "Ready" and to every section — the server carries every session, the
   browser draws one page, as a workshop's laptops would (that browser still shares the server's
   cores here).

With ``--preheat N`` the servers are started as ``arassess serve --preheat N`` (N kernels started
ahead of the pages; each step waits until the pool has started and the server is idle again). A
kernel taken is replaced only ``serving.PREHEAT_REFILL_DELAY_S`` later, so for every session of
step 2 to find one waiting after step 1 took one, give ``--preheat`` one more than ``--sessions``;
step 4 comes after the replacements.

Target (issue 15): 20 sessions all rendered, each ≤ 30 s, memory bounded, no kernel left after the
pages close. Nothing is asserted: the table is printed (and written as JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import psutil  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from voila_server import chromium, offline_context, served_copy, voila_server  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from dashboard import trivial_notebook  # noqa: E402
from widget_sessions import open_without_drawing  # noqa: E402

from arassess.serving import PREHEAT_REFILL_DELAY_S, voila_command  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}
CLIENT = REPO / "sample_data" / "voltline"
NOTEBOOK = REPO / "notebooks" / "01_assess_current_process.ipynb"
READY = re.compile(r"^Ready")
FAILED = re.compile(r"Cannot assess|Error|Traceback")
STATUS = ".arassess-status"
COMPLETE = ".arassess-complete [data-complete]"
MAX_SESSIONS = 40
TIMEOUT_S = float(os.environ.get("ARASSESS_LOAD_TIMEOUT", 300))
POLL_S = 0.1


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class TreeMemory:
    """Samples the resident memory of a process and all its descendants (MB) and the number of
    kernels among them, in a background thread, until stopped."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid, self.every = pid, every
        self.peak_mb = 0.0
        self.peak_kernels = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[float, int]:
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0.0, 0
        total, kernels = 0, 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
                kernels += "ipykernel" in " ".join(proc.cmdline())
            except psutil.Error:
                continue
        return total / 2**20, kernels

    def _run(self) -> None:
        while not self._stop.is_set():
            mb, kernels = self.sample()
            self.peak_mb, self.peak_kernels = max(self.peak_mb, mb), max(self.peak_kernels, kernels)
            self._stop.wait(self.every)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def open_together(browser: Any, url: str, sessions: int, complete: str = COMPLETE
                  ) -> tuple[list[dict[str, Any]], list[Any]]:
    """Open ``sessions`` pages at once (each in its own browser context, so its own kernel) and
    poll them all; per page the seconds to "Ready" and to every section shown (None: not within
    TIMEOUT_S, or the page said it failed). Returns the rows and the open contexts."""
    contexts = [offline_context(browser, VIEWPORT) for _ in range(sessions)]
    pages = [c.new_page() for c in contexts]
    errors: list[list[str]] = [[] for _ in pages]
    for page, seen in zip(pages, errors):  # what the browser said on a page that stays blank
        # (the CDN requests the context refuses, and the console lines they cause, are not news)
        page.on("console", lambda m, seen=seen: seen.append(m.text[:200])
                if m.type == "error" and "net::ERR_FAILED" not in m.text else None)
        page.on("pageerror", lambda exc, seen=seen: seen.append(str(exc)[:200]))
        page.on("requestfailed", lambda request, seen=seen: seen.append(
            f"{request.method} {request.url[:120]} failed: {request.failure}")
                if request.url.startswith("http://127.0.0.1") else None)
    started = time.perf_counter()
    for page in pages:
        page.goto(url, wait_until="commit", timeout=TIMEOUT_S * 1000)
    rows: list[dict[str, Any]] = [{"session": i + 1, "ready_s": None, "complete_s": None, "failed": ""}
                                  for i in range(sessions)]
    while time.perf_counter() - started < TIMEOUT_S:
        pending = [i for i, r in enumerate(rows) if r["complete_s"] is None and not r["failed"]]
        if not pending:
            break
        for i in pending:
            page, row = pages[i], rows[i]
            status = page.locator(STATUS)
            text = status.first.inner_text(timeout=1000) if status.count() else ""
            if FAILED.search(text):
                row["failed"] = text[:200]
            elif row["ready_s"] is None and READY.search(text):
                row["ready_s"] = time.perf_counter() - started
            if row["ready_s"] is not None and page.locator(complete).count():
                row["complete_s"] = time.perf_counter() - started
        time.sleep(POLL_S)
    for page, row, seen in zip(pages, rows, errors):
        if row["ready_s"] is None and not row["failed"]:  # what a stuck page shows
            row["failed"] = "no Ready within {:.0f} s; the page shows: {}{}".format(
                TIMEOUT_S, " ".join(page.locator("body").inner_text(timeout=5000).split())[:300],
                f"; the browser said: {' | '.join(seen[:3])}" if seen else "")
    return rows, contexts


def spread(values: list[float]) -> str:
    """min / median / max in seconds ("none" for no values)."""
    if not values:
        return "none"
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f} s"


def seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:.1f} s"


def kernels_alive(pid: int) -> int:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return 0
    alive = 0
    for proc in children:
        try:
            alive += "ipykernel" in " ".join(proc.cmdline()) and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            continue
    return alive


def wait_until_quiet(pid: int, kernels: int, timeout_s: float = 600.0, idle_cores: float = 0.15) -> float:
    """Wait until at least ``kernels`` kernels run under ``pid`` and the server with its kernels has
    used less than ``idle_cores`` of a core for 3 s (a preheated pool has started and run its
    notebooks' first cells); the seconds waited."""
    started = time.perf_counter()

    def cpu() -> float:
        total = 0.0
        try:
            procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        except psutil.Error:
            return 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    while time.perf_counter() - started < timeout_s:
        before = cpu()
        time.sleep(3)
        if kernels_alive(pid) >= kernels and cpu() - before < 3 * idle_cores:
            break
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help=f"pages opened at once (1–{MAX_SESSIONS})")
    parser.add_argument("--cull", type=int, default=90,
                        help="seconds before an unconnected kernel is culled (longer than a page takes to connect "
                             "under load: a kernel whose page has not connected yet is culled too)")
    parser.add_argument("--preheat", type=int, default=0,
                        help="serve as `arassess serve --preheat N`: N kernels started ahead of the pages (0: none)")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument("--logs", type=Path, help="copy the servers' logs (voila.log: Voila's and the kernels' "
                                                  "output) into this folder")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be from 1 to {MAX_SESSIONS}")
    log(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; "
        f"{psutil.virtual_memory().total / 2**30:.1f} GB memory")
    results: dict[str, Any] = {"sessions": args.sessions, "cull_s": args.cull, "preheat": args.preheat}
    with tempfile.TemporaryDirectory(prefix="arassess-bench-load-") as tmp:
        root = Path(tmp)
        served = served_copy(root, NOTEBOOK, CLIENT, ignore=("scenarios",))["notebook"]
        trivial = trivial_notebook(root)
        command = lambda port: voila_command(served, port, cull_idle=args.cull, preheat=args.preheat)  # noqa: E731
        with sync_playwright() as playwright, chromium(playwright) as browser:
            log(f"reference: {args.sessions} trivial Voila pages at once …")
            with voila_server(command=lambda port: voila_command(trivial, port, cull_idle=args.cull,
                                                                 preheat=args.preheat),
                              cwd=root, log_dir=root / "voila-trivial") as server:
                warm(server.process.pid, args)
                rows, contexts = open_together(browser, f"http://127.0.0.1:{server.port}/", args.sessions,
                                               complete=STATUS)
                results["trivial"] = rows
                log(f"  Ready: {spread([r['ready_s'] for r in rows if r['ready_s'] is not None])}")
                for context in contexts:
                    context.close()
            try:
                results.update(measure(browser, command, root, args))
            finally:
                if args.logs:
                    for log_file in root.glob("voila*/voila.log"):
                        target = args.logs / log_file.parent.name
                        target.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(log_file, target / log_file.name)
    log(f"load average at end: {os.getloadavg()[0]:.2f}")
    report(results, args)
    return 0


def warm(pid: int, args: argparse.Namespace) -> None:
    """With ``--preheat``: wait until the pool is full and the server idle (the consultant starts the
    server before the workshop)."""
    if args.preheat:
        log(f"  waiting for {args.preheat} preheated kernels …")
        log(f"  … {wait_until_quiet(pid, args.preheat):.0f} s")


def measure(browser: Any, command: Any, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The assessment dashboard: one page alone, then ``args.sessions`` at once, then closed, then
    the same number of sessions without a browser."""
    results: dict[str, Any] = {}
    with voila_server(command=command, cwd=root, log_dir=root / "voila") as server:
        url = f"http://127.0.0.1:{server.port}/"
        warm(server.process.pid, args)
        log("one page alone (fills the workspace cache) …")
        alone, contexts = open_together(browser, url, 1)
        results["alone"] = alone[0]
        log(f"  Ready {alone[0]['ready_s']}, every section {alone[0]['complete_s']}")
        for context in contexts:
            context.close()
        idle = TreeMemory(server.process.pid).sample()[0]
        results["server_idle_mb"] = idle
        log(f"{args.sessions} pages at once …")
        opened = time.perf_counter()
        with TreeMemory(server.process.pid) as memory:
            rows, contexts = open_together(browser, url, args.sessions)
        results["together"] = rows
        log(f"  Ready: {spread([r['ready_s'] for r in rows if r['ready_s'] is not None])}; "
            f"peak {memory.peak_mb:,.0f} MB")
        results["peak_mb"], results["peak_kernels"] = memory.peak_mb, memory.peak_kernels
        for context in contexts:
            context.close()
        log(f"pages closed; waiting {args.cull * 2} s for the cull …")
        time.sleep(args.cull * 2)
        results["kernels_after_close"] = kernels_alive(server.process.pid)
        results["server_after_close_mb"] = TreeMemory(server.process.pid).sample()[0]
        if args.preheat:  # the kernels the pages took are replaced PREHEAT_REFILL_DELAY_S after
            time.sleep(max(0.0, opened + PREHEAT_REFILL_DELAY_S + 30 - time.perf_counter()))
        warm(server.process.pid, args)
        log(f"{args.sessions} sessions at once: one page in Chromium, {args.sessions - 1} without a browser …")
        undrawn: list[dict[str, Any]] = []
        others = threading.Thread(target=lambda: undrawn.extend(open_without_drawing(
            url, args.sessions - 1, complete_class="arassess-complete", timeout_s=TIMEOUT_S)))
        with TreeMemory(server.process.pid) as memory:
            others.start()
            drawn, contexts = open_together(browser, url, 1)  # Playwright's sync API: this thread only
            others.join()
        for context in contexts:
            context.close()
        results["undrawn"], results["drawn_among"], results["undrawn_peak_mb"] = undrawn, drawn[0], memory.peak_mb
        log(f"  without a browser: {spread([r['ready_s'] for r in undrawn if r['ready_s'] is not None])}; "
            f"the page in Chromium: Ready {drawn[0]['ready_s']}, every section {drawn[0]['complete_s']}")
    return results


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    """Print the table (and write the JSON)."""
    rows = results["together"]
    trivial = [r["ready_s"] for r in results["trivial"] if r["ready_s"] is not None]
    ready = [r["ready_s"] for r in rows if r["ready_s"] is not None]
    complete = [r["complete_s"] for r in rows if r["complete_s"] is not None]
    failed = [r for r in rows if r["failed"]]

    alone = results["alone"]
    undrawn, drawn = results["undrawn"], results["drawn_among"]
    lines = [
        ("preheated kernels per page (arassess serve --preheat)", f"{args.preheat}"),
        (f"reference: {args.sessions} trivial Voila pages at once → Ready", spread(trivial)),
        ("one page alone: load → Ready / every section", f"{alone['ready_s']:.1f} / {alone['complete_s']:.1f} s"),
        (f"{args.sessions} at once: rendered (Ready)", f"{len(ready)} of {args.sessions}"),
        ("  load → Ready, min / median / max", spread(ready)),
        ("  load → every section, min / median / max", spread(complete)),
        ("  sessions Ready within 30 s", f"{sum(v <= 30 for v in ready)} of {args.sessions}"),
        ("  failed (the page said so)", f"{len(failed)}"),
        ("server memory: idle → peak (Voila + kernels, RSS)",
         f"{results['server_idle_mb']:,.0f} → {results['peak_mb']:,.0f} MB"),
        ("most kernels alive at once", f"{results['peak_kernels']}"),
        (f"kernels alive {args.cull * 2} s after every page closed", f"{results['kernels_after_close']}"),
        ("server memory then", f"{results['server_after_close_mb']:,.0f} MB"),
        (f"{args.sessions} at once, one drawn: the page in Chromium → Ready / every section",
         f"{seconds(drawn['ready_s'])} / {seconds(drawn['complete_s'])}"),
        (f"  the {len(undrawn)} without a browser → page", spread(
            [r["page_s"] for r in undrawn if r.get("page_s") is not None])),
        ("  → Ready, min / median / max", spread([r["ready_s"] for r in undrawn if r["ready_s"] is not None])),
        ("  → every section, min / median / max",
         spread([r["complete_s"] for r in undrawn if r["complete_s"] is not None])),
        ("  sessions Ready within 30 s (all of them)",
         f"{sum((r['ready_s'] or 1e9) <= 30 for r in [*undrawn, drawn])} of {args.sessions}"),
        ("  server memory, peak", f"{results['undrawn_peak_mb']:,.0f} MB"),
    ]
    for label, value in lines:
        print(f"{label:<56} {value:>28}")
    for r in failed:
        print(f"session {r['session']} failed: {r['failed']}")
    if drawn["failed"]:
        print(f"the page drawn among them failed: {drawn['failed']}")
    for r in undrawn:
        if r["failed"]:
            print(f"session {r['session']} without a browser failed: {r['failed']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
