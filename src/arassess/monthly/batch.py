"""Many clients, one month: notebook 05 for every client folder of a workspace, in parallel.

A *workspace* is a folder whose sub-folders are client folders (each with ``client.yaml``);
it also holds the shared history store (``history.sqlite``), the run folders (``runs/``)
and the logs of scheduled runs (``logs/``)::

    WORKSPACE/
        acme/client.yaml, invoices.csv, ...
        voltline/client.yaml, ...
        history.sqlite                       every client's monthly snapshots
        runs/<client>/<month-end>_<stamp>/   one new folder per client and run
        logs/arassess-batch.log              scheduled runs (see arassess.monthly.cron)

:func:`run_batch` submits :func:`run_monthly` once per client to a
``concurrent.futures.Executor``: local processes (``ProcessPoolExecutor``, spawn context) by
default, or a Dask distributed cluster (``distributed.Client(address).get_executor()``) — the
same code path, since both implement the Executor interface. On a cluster every worker must
see the workspace at the same absolute path (a shared file system) and have arassess installed.

Rule: one client's failure never stops the others. :func:`run_monthly` never raises for a
client's problem; it returns a :class:`ClientResult` with status ``"failed"`` and the reason.
An infrastructure failure (a worker process that died) is caught per client the same way.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import Executor, Future, as_completed
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from arassess.errors import ArassessError, ArgumentError, ConfigError, NotebookError
from arassess.inputs.run_cache import shared_ledger, validated_once
from arassess.monthly.review import month_end
from arassess.monthly.store import DEFAULT_STORE
from arassess.run.notebooks import RunResult, execute, finished, new_run_dir
from arassess.run.pipeline import LEDGER_FOLDER

CLIENT_FILE = "client.yaml"
RUNS_DIR = "runs"          # default run folders, inside the workspace
STATUSES = ("ok", "failed")


@dataclass(frozen=True)
class ClientResult:
    """The outcome of one client's monthly run."""

    client: str              # client slug (its folder name)
    status: str              # "ok" | "failed"
    run_dir: Path | None     # the run folder (kept for a failed notebook too); None if none was made
    error: str               # why it failed ("" when ok)
    seconds: float           # wall time of this client's run, in its worker

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def find_workspace_clients(workspace: str | Path) -> list[Path]:
    """The client folders of ``workspace``: its direct sub-folders holding ``client.yaml``,
    sorted by name (hidden folders skipped). ConfigError if the workspace is not a folder."""
    root = Path(workspace)
    if not root.is_dir():
        raise ConfigError(f"Workspace {root} is not a folder (expected a folder of client folders, "
                          f"each holding {CLIENT_FILE}).")
    return sorted(p for p in root.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / CLIENT_FILE).is_file())


def default_store(workspace: str | Path) -> Path:
    """The workspace's history store: ``WORKSPACE/history.sqlite`` (history.DEFAULT_STORE)."""

    return Path(workspace) / DEFAULT_STORE


def _one_line(text: str) -> str:
    """Every run of whitespace (newlines too) as one space, for a table cell or a log line."""
    return " ".join(str(text).split())


def _error_text(exc: BaseException) -> str:
    """A failure as the user reads it: an ArassessError's own message, anything else with its type."""
    if isinstance(exc, ArassessError):
        return _one_line(str(exc))
    return _one_line(f"{type(exc).__name__}: {exc}")


def run_client_month(client_dir: Path, month: str, workspace: Path, store_path: Path, runs_dir: Path, *,
                     progress: bool = False, cell_timeout: float | None = None) -> "RunResult":
    """Run notebook 05 ("monthly") for one client and month into a new run folder
    ``runs_dir/<client>/<month-end>_<stamp>/`` and return runner.RunResult; the client folder is
    validated once, before the kernel starts, and the notebook reads that ledger back
    (:mod:`arassess.inputs.run_cache`). The notebook records the month's snapshot into ``store_path``. Raises on any problem (ConfigError before
    a kernel starts; NotebookError naming the cell, the executed notebook kept).
    ``progress`` shows Papermill's progress bar over cells; a cell running longer than
    ``cell_timeout`` seconds is stopped (NotebookError naming it)."""

    end = month_end(month)
    # read and validated once, before a run folder or a kernel exists: a bad export fails here
    config, keep = validated_once(client_dir)
    run_dir = new_run_dir(Path(runs_dir), config.slug, f"{end:%Y-%m-%d}")
    keep(run_dir / LEDGER_FOLDER)  # the notebook reads it back
    parameters = {"month": f"{end:%Y-%m}", "workspace": str(Path(workspace).resolve()),
                  "store": str(Path(store_path).resolve())}
    with shared_ledger(run_dir / LEDGER_FOLDER):
        result = execute("monthly", client_dir, run_dir, parameters=parameters, progress=progress,
                         cell_timeout=cell_timeout)
    finished(run_dir)
    return result


def run_monthly(client_dir: Path, month: str, workspace: Path, store_path: Path, runs_dir: Path,
                cell_timeout: float | None = None) -> ClientResult:
    """One client, one month (see :func:`run_client_month`), as a :class:`ClientResult`.

    Never raises for a client's problem: any exception becomes status ``"failed"`` with its
    message; the run folder is reported when one was made (a failed notebook is kept there).
    This is the task :func:`run_batch` sends to a worker, so it only takes picklable paths.
    """

    started = time.perf_counter()
    client_dir = Path(client_dir)
    try:
        result = run_client_month(client_dir, month, workspace, store_path, runs_dir, cell_timeout=cell_timeout)
    except Exception as exc:  # noqa: BLE001 - the rule: one client's failure never stops the others
        run_dir = exc.notebook.parent if isinstance(exc, NotebookError) else None
        return ClientResult(client_dir.name, "failed", run_dir, _error_text(exc), time.perf_counter() - started)
    return ClientResult(client_dir.name, "ok", result.run_dir, "", time.perf_counter() - started)


def _executor(stack: ExitStack, n_tasks: int, workers: int | None, scheduler: str | None) -> Executor:
    """The Executor the clients run on, entered into ``stack`` (shut down when it closes).

    ``scheduler`` set: a Dask distributed client on that address and its executor with
    ``pure=False`` (Dask would otherwise run identical calls once; ours are not pure: they
    write run folders and the store). Otherwise a ``ProcessPoolExecutor`` of ``workers``
    processes (default os.cpu_count(), never more than there are clients), spawn context
    (no fork of a process that may hold threads or open files).
    """
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise ArassessError("--scheduler needs Dask distributed: pip install 'arassess[dask]' "
                                "(or pip install 'dask[distributed]').") from None
        try:
            client = stack.enter_context(Client(scheduler, timeout="20s", set_as_default=False))
        except (OSError, TimeoutError) as exc:
            raise ArassessError(f"Cannot reach the Dask scheduler at {scheduler}: {_one_line(str(exc))}") from None
        return stack.enter_context(client.get_executor(pure=False))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if workers is not None and workers < 1:
        raise ArgumentError(f"workers must be at least 1, got {workers}")
    n = min(workers or os.cpu_count() or 1, max(n_tasks, 1))
    return stack.enter_context(ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")))


def run_batch(workspace: str | Path, month: str, *, workers: int | None = None, scheduler: str | None = None,
              runs_dir: str | Path | None = None, store_path: str | Path | None = None,
              progress: bool = True, clients: Sequence[Path] | None = None,
              cell_timeout: float | None = None) -> list[ClientResult]:
    """Run the monthly review of ``month`` ("YYYY-MM") for every client of ``workspace``.

    Parameters
    ----------
    workspace : folder of client folders (see the module docstring).
    month : the month to review; its month-end is the snapshot date. ValueError if malformed.
    workers : local processes (default os.cpu_count()); ignored with ``scheduler``.
    scheduler : address of a Dask distributed scheduler (``tcp://host:8786``); the same tasks
        run on its workers instead of local processes.
    runs_dir : where run folders are made (default ``WORKSPACE/runs``).
    store_path : the history store (default ``WORKSPACE/history.sqlite``).
    progress : show a progress bar over clients on stderr.
    clients : the client folders to run (default :func:`find_workspace_clients`).
    cell_timeout : seconds a notebook cell may run; a cell that hangs is stopped, its client
        reported as failed with the cell, and the other clients finish (default: no limit).

    Returns
    -------
    One :class:`ClientResult` per client, in the order of the client folders. A failing client
    never stops the others; the caller decides what a failure means (the CLI exits 1).
    """
    from tqdm import tqdm

    month = f"{month_end(month):%Y-%m}"  # ValueError on a bad month, before anything starts
    root = Path(workspace).resolve()     # workers may run elsewhere (other cwd, other host): absolute paths
    folders = [Path(c).resolve() for c in (find_workspace_clients(root) if clients is None else clients)]
    if not folders:
        raise ConfigError(f"No client folders in workspace {root} (sub-folders holding {CLIENT_FILE}).")
    runs = Path(runs_dir).resolve() if runs_dir is not None else root / RUNS_DIR
    store = Path(store_path).resolve() if store_path is not None else default_store(root)
    store.parent.mkdir(parents=True, exist_ok=True)

    results: dict[Path, ClientResult] = {}
    with ExitStack() as stack:
        pool = _executor(stack, len(folders), workers, scheduler)
        futures: dict[Future, Path] = {pool.submit(run_monthly, folder, month, root, store, runs, cell_timeout): folder
                                       for folder in folders}
        bar = stack.enter_context(tqdm(total=len(folders), desc=f"arassess batch {month}", unit="client",
                                       file=sys.stderr, disable=not progress,
                                       bar_format="{desc}: {n}/{total} {bar} {elapsed}{postfix}"))
        for future in as_completed(futures):
            folder = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker that died fails its client only
                result = ClientResult(folder.name, "failed", None, f"worker failed: {_error_text(exc)}", 0.0)
            results[folder] = result
            bar.set_postfix_str(f"{result.client} {result.status}", refresh=False)
            bar.update(1)
    return [results[folder] for folder in folders]


def summary_table(results: Sequence[ClientResult]) -> str:
    """A plain-text table of the results — client, status, seconds, run folder, error (its
    message on one line) — and a closing count line ("3 ok, 1 failed of 4 clients")."""
    header = ("client", "status", "time", "run folder", "error")
    rows = [(r.client, r.status, f"{r.seconds:.1f} s", str(r.run_dir) if r.run_dir else "-", r.error or "")
            for r in results]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]),
                 row[3].ljust(widths[3]), row[4]]
        return "  ".join(cells).rstrip()

    failed = sum(not r.ok for r in results)
    total = f"{len(results) - failed} ok, {failed} failed of {len(results)} client{'s' if len(results) != 1 else ''}"
    return "\n".join([line(header), line(tuple("-" * w for w in widths) + ("-----",)),
                      *(line(row) for row in rows), total])


__all__ = ["ClientResult", "default_store", "find_workspace_clients", "run_batch", "run_client_month",
           "run_monthly", "summary_table"]
