"""Running the parameterized notebooks: Papermill into a new run folder, then HTML.

A run folder is ``RUNS/<client>/<as_of>_<YYYYMMDD-HHMMSS>/`` and is never
reused: an earlier run is never overwritten. It receives the executed notebook,
its HTML (code hidden) and whatever the notebook writes to ``output_dir``
(e.g. ``summary.json``). A failing cell keeps the executed notebook there, with
Papermill's error banner, and raises :class:`NotebookError` naming the cell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from arassess.config.client import load_config
from arassess.costs.scenarios import load_scenario
from arassess.errors import ArgumentError, NotebookError, OverwriteError, writing
from arassess.paths import NOTEBOOKS_DIR
from arassess.tempdirs import SOCKET_FOLDER_MAX, private_folder

NOTEBOOKS: dict[str, str] = {
    "assess": "01_assess_current_process.ipynb",
    "costs": "02_inhouse_vs_agency.ipynb",
    "goals": "03_set_goals.ipynb",
    "plan": "04_action_plan.ipynb",
    "monthly": "05_monthly_review.ipynb",
}
KERNEL = "python3"


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    notebook: Path
    html: Path


def notebook_path(name: str) -> Path:
    """The notebook file of a run name ('assess', ...); ValueError listing valid names."""
    if name not in NOTEBOOKS:
        raise ArgumentError(f"unknown notebook {name!r}; valid names: {', '.join(NOTEBOOKS)}")
    return NOTEBOOKS_DIR / NOTEBOOKS[name]


INCOMPLETE = "INCOMPLETE"
"""A file in a run folder while its run has not finished; a killed or failed run keeps it."""


def new_run_dir(runs_dir: Path, client: str, as_of: str | None, now: dt.datetime | None = None) -> Path:
    """Create and return a fresh run folder (a suffix -2, -3, … if the second is taken), holding
    an :data:`INCOMPLETE` marker until :func:`finished` removes it. OutputError when the runs
    folder cannot be written (a file in the way, no permission, read-only)."""
    started = now or dt.datetime.now()
    base = runs_dir / client / f"{as_of or 'default'}_{started:%Y%m%d-%H%M%S}"
    candidate, n = base, 1
    with writing(runs_dir, "the run folder"):
        while True:
            try:
                candidate.mkdir(parents=True, exist_ok=False)
                break
            except FileExistsError:
                if not candidate.parent.is_dir():
                    raise NotADirectoryError(20, "a file is in the way", str(candidate.parent)) from None
                n += 1
                candidate = base.with_name(f"{base.name}-{n}")
        (candidate / INCOMPLETE).write_text(
            f"This run started at {started:%Y-%m-%d %H:%M:%S} (process {os.getpid()}) and has not finished.\n"
            "If no arassess process is running it, the run was interrupted and its files are partial:\n"
            "run it again (an earlier run folder is never touched).\n", encoding="utf-8")
    return candidate


def finished(run_dir: Path) -> None:
    """Mark ``run_dir``'s run as complete: its :data:`INCOMPLETE` marker goes."""
    (run_dir / INCOMPLETE).unlink(missing_ok=True)


def export_html(notebook: Path, html: Path) -> Path:
    """Write ``notebook`` as standalone HTML with code cells hidden (never over an existing file)."""
    import nbformat
    from nbconvert import HTMLExporter

    if html.exists():
        raise OverwriteError(f"{html} already exists")
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    html.write_text(body, encoding="utf-8")
    return html


@contextlib.contextmanager
def _local_kernel(timed: bool = False) -> Iterator[Any]:
    """A kernel manager talking to its kernel over IPC sockets in a private temporary folder
    (not TCP on localhost: nothing else on the machine can connect, and the kernel does not
    print its warning about unencrypted TCP into every run's output). ``timed``: the asynchronous
    manager, the one with which nbclient's per-cell timeout takes effect (with the blocking one,
    a hung cell is waited out)."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager
    from jupyter_core.utils import run_sync

    with private_folder("kernel", SOCKET_FOLDER_MAX) as folder:  # socket paths have a length limit
        manager = AsyncKernelManager if timed else KernelManager
        km = manager(kernel_name=KERNEL, transport="ipc", ip=str(Path(folder) / "kernel"))
        try:
            yield km
        finally:  # a kernel manager passed in is not shut down by papermill
            if km.has_kernel:
                (run_sync(km.shutdown_kernel) if timed else km.shutdown_kernel)(now=False)
            (run_sync(km.cleanup_resources) if timed else km.cleanup_resources)()


def _running_cell(notebook: Path) -> int | None:
    """The index of the cell Papermill marked as running in a saved notebook (the one that hung)."""
    import nbformat

    try:
        nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError):
        return None
    return next((i for i, cell in enumerate(nb.cells)
                 if cell.get("metadata", {}).get("papermill", {}).get("status") == "running"), None)


def execute(name: str, client_dir: str | Path, run_dir: Path, *, as_of: str | None = None,
            parameters: Mapping[str, Any] | None = None, progress: bool = False,
            scenario: str | None = None, cell_timeout: float | None = None) -> RunResult:
    """Execute notebook ``name`` for ``client_dir`` into the existing folder ``run_dir`` (its
    outputs go there too) and export its HTML. NotebookError naming the failing cell; a cell that
    runs longer than ``cell_timeout`` seconds is stopped (its kernel shut down) and named too."""
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    source = notebook_path(name)
    output = run_dir / source.name
    params = {**(parameters or {}), "client_dir": str(Path(client_dir).resolve()),
              "output_dir": str(run_dir.resolve())}
    if as_of:
        params["as_of"] = as_of
    if scenario is not None:
        params["scenario"] = scenario
    try:
        with _local_kernel(timed=cell_timeout is not None) as km:
            papermill.execute_notebook(str(source), str(output), parameters=params, kernel_name=KERNEL,
                                       progress_bar=progress, cwd=str(run_dir), km=km,
                                       execution_timeout=cell_timeout)
    except CellTimeoutError:
        cell = _running_cell(output)
        raise NotebookError(
            f"{source.name} stopped: cell {cell if cell is not None else '?'} ran longer than {cell_timeout:g} s "
            f"(--cell-timeout). The notebook as far as it ran is kept at {output}.", output, cell, "CellTimeoutError",
            f"longer than {cell_timeout:g} s") from None
    except PapermillExecutionError as exc:
        raise NotebookError(
            f"{source.name} failed in cell {exc.cell_index} ({exc.ename}: {exc.evalue}). "
            f"The executed notebook, with the error, is kept at {output}.", output, exc.cell_index, exc.ename,
            exc.evalue) from None
    html = export_html(output, output.with_suffix(".html"))
    return RunResult(run_dir=run_dir, notebook=output, html=html)


def run_notebook(name: str, client_dir: str | Path, *, as_of: str | None = None,
                 parameters: Mapping[str, Any] | None = None, runs_dir: str | Path = "runs",
                 progress: bool = False, scenario: str | None = None) -> RunResult:
    """Execute notebook ``name`` for ``client_dir`` into a new run folder and export its HTML.

    ``parameters`` override the notebook's parameters cell; ``client_dir``,
    ``as_of`` and ``output_dir`` are always set. ``scenario`` (notebook "costs" only) names a
    saved scenario of the client; it is read and checked before a kernel starts.
    """

    notebook_path(name)
    config = load_config(client_dir)  # fail fast on a bad client folder, before starting a kernel
    if scenario is not None:
        if name != "costs":
            raise ArgumentError(f"--scenario applies to the costs notebook, not {name!r}")
        load_scenario(client_dir, scenario)
    as_of = as_of or (config.as_of.isoformat() if config.as_of else None)
    run_dir = new_run_dir(Path(runs_dir), config.slug, as_of)
    result = execute(name, client_dir, run_dir, as_of=as_of, parameters=parameters, progress=progress,
                     scenario=scenario)
    finished(run_dir)
    return result
