"""`arassess assess` end to end at several sizes, each step beside its floor measured in the same run.

    python bench/pipeline.py                                   # the sample, 250k, 1M, 1M with 20,000 customers
    python bench/pipeline.py --sizes sample,250000             # quicker
    python bench/pipeline.py --sizes 1000000:20000 --keep runs-big

A size is ``sample`` (the committed 24,000-invoice client), ``N`` (a client written by
``arassess sample --invoices N``, seed 3, 150 customers) or ``N:C`` (with C customers); generated
clients are kept in ``bench/_data/`` (git-ignored) for the next run. For each size the whole
assessment — :func:`arassess.run.pipeline.run_assessment`, what ``arassess assess`` runs — is run in a
fresh process into a temporary runs folder, while this process samples the memory of that process
and of everything it starts (kernels, Chromium) every 0.1 s. Printed per step: wall time (the
pipeline's own step times), the peak RSS of the largest single process in the step (the number an
8 GB laptop cares about) and of the whole process tree (Chromium's processes share memory, so
this overstates the report step).

**The floor**, measured in this same run: four bare Papermill runs of a trivial notebook (kernel
start over IPC, Papermill, the HTML export: what any notebook step costs, ``bench/batch.py``'s
``trivial_run``), the DuckDB intake of the same client (``bench/intake.py``'s reference: the three
CSVs read with typed casts and the core checks, handed to pandas) and one headless Chromium print
of a one-page HTML file (:func:`arassess.report.client.write_pdf`). ``× floor`` = the run's wall
time / the floor.

Targets (issue 13): at 1M invoices ≤ 90 s and ≤ 2 GB peak RSS on 2 cores; at the sample ≤ 2× the
floor. Nothing is asserted; ``--json`` writes every number.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from arassess.paths import SAMPLE_DATA_DIR
from arassess.run.pipeline import STEP_LABELS, STEPS

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from batch import trivial_run  # noqa: E402  (the same fixed cost bench/batch.py measures)
from intake import REFERENCE, sample_client  # noqa: E402
from intake import run as run_code  # noqa: E402

SAMPLE_MS = 0.1  # seconds between two memory samples
CHILD = r"""
import json, sys, time
from arassess.run.pipeline import run_assessment
def step(name):
    print(json.dumps({"step": name, "t": time.time()}), flush=True)
done = run_assessment(sys.argv[1], runs_dir=sys.argv[2], on_step=step)
print(json.dumps({"step": "done", "t": time.time(), "seconds": done.seconds, "run_dir": str(done.run_dir)}),
      flush=True)
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Run:
    """One assessment: step start times, the pipeline's step seconds, memory samples."""

    wall_s: float = 0.0
    starts: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (time, largest MB, tree MB)
    run_dir: str = ""

    def peak(self, step: str) -> tuple[float, float]:
        """Largest single-process and whole-tree RSS (MB) while ``step`` ran."""
        names = [s for s in STEPS if s in self.starts]
        begin = self.starts[step]
        later = [self.starts[s] for s in names[names.index(step) + 1:]]
        end = later[0] if later else self.starts.get("done", float("inf"))
        inside = [s for s in self.samples if begin <= s[0] <= end] or [(0.0, float("nan"), float("nan"))]
        return max(s[1] for s in inside), max(s[2] for s in inside)


def _tree_rss(root: psutil.Process) -> tuple[float, float]:
    sizes = []
    for p in [root, *root.children(recursive=True)]:
        try:
            sizes.append(p.memory_info().rss)
        except psutil.Error:
            pass
    return (max(sizes, default=0) / 2**20, sum(sizes) / 2**20)


def run_assess(client: Path, runs: Path) -> Run:
    """run_assessment(client) in a fresh process, its memory sampled every SAMPLE_MS seconds."""
    out = Run()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(client), str(runs)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            largest, tree = _tree_rss(watched)
            out.samples.append((time.time(), largest, tree))
        except psutil.Error:
            pass
        time.sleep(SAMPLE_MS)
    reader.join()
    out.wall_s = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"the assessment of {client} failed:\n{proc.stderr.read()[-3000:]}")
    for line in lines:
        event = json.loads(line)
        out.starts[event["step"]] = event["t"]
        if event["step"] == "done":
            out.seconds, out.run_dir = event["seconds"], event["run_dir"]
    return out


def floor(root: Path, repeat: int = 3) -> dict[str, float]:
    """The fixed costs every run pays: a bare notebook run (median of ``repeat``) and a Chromium
    print of a one-page HTML file (median of ``repeat``)."""
    from arassess.report.client import write_pdf

    notebook = statistics.median(trivial_run(root) for _ in range(repeat))
    page = root / "page.html"
    page.write_text("<!doctype html><html><body><h1>One page</h1><p>The floor of a PDF print.</p></body></html>",
                    encoding="utf-8")
    prints = []
    for i in range(repeat):
        begin = time.perf_counter()
        write_pdf(page, root / f"page-{i}.pdf")
        prints.append(time.perf_counter() - begin)
    return {"notebook_s": notebook, "pdf_s": statistics.median(prints)}


def client_for(size: str) -> tuple[str, Path]:
    if size == "sample":
        return "sample (24k)", SAMPLE_DATA_DIR / "voltline"
    invoices, _, customers = size.partition(":")
    n, c = int(invoices), int(customers or 150)
    log(f"client of {n:,} invoices and {c:,} customers (written once into bench/_data/) …")
    return f"{n / 1000:,.0f}k, {c:,} customers", sample_client(n, c)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="sample,250000,1000000,1000000:20000",
                        help="comma-separated: sample, N (invoices) or N:C (invoices:customers)")
    parser.add_argument("--keep", type=Path, help="keep the run folders here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args(argv)
    log(f"load average at start: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GB")
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="arassess-bench-pipeline-") as tmp:
        root = Path(tmp)
        log("floor: bare notebook runs and a Chromium print …")
        fixed = floor(root)
        for size in args.sizes.split(","):
            label, client = client_for(size.strip())
            log(f"{label}: DuckDB intake …")
            duck = run_code(REFERENCE, client)
            runs = args.keep or root / "runs"
            runs.mkdir(parents=True, exist_ok=True)
            log(f"{label}: arassess assess …")
            done = run_assess(client, runs)
            floor_s = 4 * fixed["notebook_s"] + duck["seconds"] + fixed["pdf_s"]
            steps = {s: {"seconds": done.seconds.get(s, float("nan")),
                         "peak_mb": done.peak(s)[0], "tree_mb": done.peak(s)[1]} for s in STEPS}
            results.append({"size": label, "client": str(client), "invoices": duck["rows"]["invoices"],
                            "wall_s": done.wall_s, "floor_s": floor_s, "duckdb_intake_s": duck["seconds"],
                            "duckdb_rss_mb": duck["rss_mb"], "steps": steps, "run_dir": done.run_dir,
                            "peak_mb": max(s[1] for s in done.samples), "tree_mb": max(s[2] for s in done.samples)})
            log(f"{label}: {done.wall_s:.1f} s")
    log(f"load average at end: {os.getloadavg()[0]:.2f}")

    print(f"floor parts: bare notebook run {fixed['notebook_s']:.2f} s (×4), Chromium print of one page "
          f"{fixed['pdf_s']:.2f} s, DuckDB intake per size below")
    for r in results:
        print(f"\n{r['size']} ({r['invoices']:,} invoices): wall {r['wall_s']:.1f} s, floor {r['floor_s']:.1f} s "
              f"(DuckDB intake {r['duckdb_intake_s']:.2f} s), {r['wall_s'] / r['floor_s']:.1f}× floor; "
              f"peak RSS {r['peak_mb']:,.0f} MB (largest process), {r['tree_mb']:,.0f} MB (all processes)")
        print(f"  {'step':<28} {'seconds':>8} {'peak MB':>8} {'all MB':>8}   floor of the step")
        for name, s in r["steps"].items():
            part = {"intake": f"DuckDB intake {r['duckdb_intake_s']:.2f} s",
                    "report": f"Chromium print {fixed['pdf_s']:.2f} s"}.get(name, f"bare notebook {fixed['notebook_s']:.2f} s")
            print(f"  {STEP_LABELS[name]:<28} {s['seconds']:>8.1f} {s['peak_mb']:>8,.0f} {s['tree_mb']:>8,.0f}   {part}")
    if args.json:
        args.json.write_text(json.dumps({"floor": fixed, "runs": results}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
