"""Benchmark `arassess batch`: N sample clients, the monthly run on 1 worker vs 2 workers.

    python bench/batch.py                  # 20 clients x 24,000 invoices (the sample's size), ~4 min on 2 cores
    python bench/batch.py --clients 8 --invoices 100000 --workers 1,2

Generates N full-ledger sample clients (arassess.inputs.sample.write_sample_client, seeds 1..N) into a
temporary workspace, then times :func:`arassess.monthly.batch.run_batch` for each worker count, each on
its own store and run folders. It prints the wall time and the speed-up against 1 worker, and
what one client's run is made of:

- the fixed cost of a run: a trivial notebook (one cell) executed exactly as runner.execute does
  (kernel over IPC sockets, Papermill, HTML export), median of 5;
- the time of each cell of one executed notebook 05 (Papermill records it in the notebook's
  metadata), largest first, and what is left (kernel start and shutdown, HTML export);
- the steps of notebook 05's work timed one by one in a fresh Python process (imports, ledger
  load, review, report HTML, PDF), since its first cell does nearly all of it.

Progress goes to stderr, results to stdout. Nothing is timed against a fixed number: the target
(speed-up >= 1.7 on 2 cores) is for the reader. Timings move with the machine's load, which is
printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from arassess.inputs.sample import write_sample_client
from arassess.monthly.batch import run_batch, summary_table
from arassess.run.notebooks import export_html


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children and their descendants."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_busy() -> float:
    """CPU seconds all processes on the machine have used so far (Linux /proc/stat; NaN elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n")[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def make_workspace(root: Path, clients: int, invoices: int) -> Path:
    """``clients`` sample clients client01.. (seeds 1..N) under ``root/ws``."""
    workspace = root / "ws"
    for i in range(1, clients + 1):
        write_sample_client(workspace / f"client{i:02d}", seed=i, n_invoices=invoices)
    return workspace


def trivial_run(root: Path) -> float:
    """Seconds for a one-cell notebook through the same machinery as a client's run: a kernel
    over IPC sockets, Papermill (with a parameters cell) and the HTML export."""
    import papermill

    from arassess.run.notebooks import KERNEL, _local_kernel

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("x + 1")]
    source = root / "trivial.ipynb"
    nbformat.write(nb, source)
    out = root / f"trivial_out_{time.perf_counter_ns()}.ipynb"
    started = time.perf_counter()
    with _local_kernel() as km:
        papermill.execute_notebook(str(source), str(out), parameters={"x": 2}, kernel_name=KERNEL,
                                   progress_bar=False, cwd=str(root), km=km)
    export_html(out, out.with_suffix(".html"))
    return time.perf_counter() - started


BREAKDOWN = r"""
import json, sys, time
from pathlib import Path
t = {}
start = time.perf_counter()
from IPython.display import display
import arassess.monthly.sections as mr
from arassess.assessment.case import load
from arassess.report.client import write_pdf
from arassess.monthly.store import HistoryStore
from arassess.monthly.review import review
t["imports (pandas, matplotlib, arassess) in a fresh process"] = time.perf_counter() - start
client, month, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
start = time.perf_counter(); load(client); t["load the ledger (intake, validation), alone"] = time.perf_counter() - start
store = HistoryStore(out / "scratch.sqlite")
start = time.perf_counter(); r = review(client, month, store, record=True)
t["review: the same load + KPIs, history, what moved, plan"] = time.perf_counter() - start
(out / "outputs").mkdir()
start = time.perf_counter(); mr.write_outputs(r, out / "outputs", pdf=False)
t["outputs without PDF: worklist, letters, report HTML + charts"] = time.perf_counter() - start
start = time.perf_counter(); write_pdf(out / "outputs" / "monthly_report.html", out / "report.pdf")
t["report PDF (headless Chromium)"] = time.perf_counter() - start
print(json.dumps(t))
"""


def breakdown(client: Path, month: str, root: Path) -> dict[str, float]:
    """Seconds of each step of notebook 05's work, run in a fresh Python process (so imports are
    paid as a kernel pays them): imports, ledger load, review, outputs, PDF."""
    import json
    import subprocess

    out = root / f"breakdown_{client.name}"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", BREAKDOWN, str(client), month, str(out)], capture_output=True,
                          text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"the step-by-step timing failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell_times(notebook: Path) -> list[tuple[float, str]]:
    """(seconds, first source line) of each code cell, from Papermill's metadata, largest first."""
    nb = nbformat.read(notebook, as_version=4)
    rows = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        seconds = float(cell.metadata.get("papermill", {}).get("duration") or 0.0)
        first = next((line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")),
                     cell.source.splitlines()[0] if cell.source else "")
        rows.append((seconds, f"[{index}] {first[:70]}"))
    return sorted(rows, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--invoices", type=int, default=24000,
                        help="invoices per client (default: the size of the committed sample)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--month", default="2026-10")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    print(f"arassess batch benchmark: {args.clients} clients x {args.invoices:,} invoices, month {args.month}, "
          f"{os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="arassess-bench-batch-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        workspace = make_workspace(root, args.clients, args.invoices)
        print(f"generated the clients in {time.perf_counter() - started:.1f} s")

        log("timing a trivial notebook run (5x) ...")
        trivial_run(root)  # warm-up: first kernel start pays for cold imports and file caches
        fixed = statistics.median(trivial_run(root) for _ in range(5))

        walls: dict[int, float] = {}
        per_client: dict[int, list[float]] = {}
        runs = {}
        cpus: dict[int, float] = {}
        machine: dict[int, float] = {}
        for workers in counts:
            log(f"run_batch with {workers} worker(s) ...")
            cpu_before, machine_before = _children_cpu(), _machine_busy()
            started = time.perf_counter()
            results = run_batch(workspace, args.month, workers=workers, runs_dir=root / f"runs-{workers}",
                                store_path=root / f"history-{workers}.sqlite", progress=True)
            walls[workers] = time.perf_counter() - started
            cpus[workers] = _children_cpu() - cpu_before
            machine[workers] = _machine_busy() - machine_before
            failed = [r for r in results if not r.ok]
            if failed:
                print(summary_table(results))
                return 1
            per_client[workers] = [r.seconds for r in results]
            runs[workers] = results

        base = counts[0]
        print(f"\n{'workers':>7}  {'wall s':>7}  {'speed-up':>8}  {'client s (median)':>17}  {'clients/min':>11}  "
              f"{'CPU s':>6}  {'cores busy':>10}  {'machine busy':>12}")
        for workers in counts:
            print(f"{workers:>7}  {walls[workers]:>7.1f}  {walls[base] / walls[workers]:>7.2f}x  "
                  f"{statistics.median(per_client[workers]):>17.1f}  {60 * args.clients / walls[workers]:>11.1f}  "
                  f"{cpus[workers]:>6.0f}  {cpus[workers] / walls[workers]:>10.2f}  "
                  f"{machine[workers] / walls[workers]:>12.2f}")
        print(f"(CPU s: user + system time of the worker processes and everything they started - kernels, "
              f"Chromium; cores busy = CPU s / wall s; machine busy: the same for every process on the machine, "
              f"from /proc/stat, so machine - cores busy is what other jobs took. With c cores busy at 1 worker, "
              f"{os.cpu_count()} CPUs allow at most a {os.cpu_count()}/c speed-up: here "
              f"{os.cpu_count() / (cpus[base] / walls[base]):.2f}x)")

        client_s = statistics.median(per_client[base])
        warm = runs[base][min(1, len(runs[base]) - 1)]  # not the first client of a worker: imports are warm
        notebook = next(warm.run_dir.glob("05_*.ipynb"))
        cells = cell_times(notebook)
        in_cells = sum(s for s, _ in cells)
        started = time.perf_counter()
        export_html(notebook, root / "export_check.html")
        exported = time.perf_counter() - started
        print(f"\nOne client's run ({base} worker, median of {args.clients}): {client_s:.1f} s")
        print(f"  fixed cost of any notebook run (kernel start/stop, Papermill, HTML; trivial notebook): "
              f"{fixed:.1f} s = {100 * fixed / client_s:.0f} %")
        print(f"  {warm.client}: {warm.seconds:.1f} s, of which the cells of notebook 05 {in_cells:.1f} s and the rest "
              f"{warm.seconds - in_cells:.1f} s kernel start/stop, Papermill and the HTML export of the executed "
              f"notebook (the export alone {exported:.1f} s)")
        for seconds, label in cells[:4]:
            print(f"    {seconds:6.2f} s  {100 * seconds / warm.seconds:4.0f} %  {label}")
        log("timing the steps of one client's review in a fresh process ...")
        steps = breakdown(workspace / "client02", args.month, root)
        alone = steps["load the ledger (intake, validation), alone"]
        print(f"  the work of notebook 05 step by step (client02, fresh process, {sum(steps.values()) - alone:.1f} s "
              f"without the load timed alone, which the review repeats):")
        for label, seconds in steps.items():
            print(f"    {seconds:6.2f} s  {100 * seconds / client_s:4.0f} % of a client's run  {label}")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
