"""Serving the dashboards: the limits ``arassess serve`` sets on Voila and the dashboards state, and
the Voila template that gives the server's root the landing page (:mod:`arassess.run.landing`).

Kept apart from the CLI so a dashboard can say its own upload limit without importing the CLI.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from arassess.paths import TEMPLATES_DIR
from arassess.tempdirs import SOCKET_PATH_MAX, base_for

#: Jupyter data and config folder of `arassess serve`: the Voila template ``arassess``
#: (voila/templates/arassess: the landing page as the tree page) and voila.py (its page_config_hook).
JUPYTER_DIR = TEMPLATES_DIR / "jupyter"
VOILA_TEMPLATE = "arassess"
ENV = "/usr/bin/env"  # POSIX env(1): runs the command with a variable set, in the same process (execve)

DEBUG_ENV = "ARASSESS_DEBUG"  # 1/true/yes: tracebacks of the project's errors, and the dashboards' timings

CULL_IDLE_SECONDS = 600  # arassess serve: a closed page's idle kernel is stopped after this
UPLOAD_LIMIT_MB = 200  # the largest upload a dashboard takes (the websocket message limit)
UPLOAD_LIMIT_BYTES = UPLOAD_LIMIT_MB * 1024 * 1024
#: Seconds Voila waits for a cell's outputs after the kernel said the cell ran (Voila's default: 4).
#: When many pages start at once the outputs arrive later than that, and Voila then renders the
#: cell without them: a blank dashboard (1, 4 and 12 of 20 pages at once in three runs on 2 cores;
#: none in three runs with this).
IOPUB_TIMEOUT_S = 120
#: ``arassess serve --preheat N``: Voila keeps N kernels per dashboard started ahead of the pages,
#: each having run its notebook's imports (arassess.paths.requested_client then waits for the page's
#: request). A kernel taken by a page is replaced this many seconds later, so the replacements do not
#: compete for the processor with the pages just opened (Voila's default, 1 s, starts twenty
#: replacements during a rush of twenty pages; with 60 s they still landed while twenty pages were
#: drawing on 2 cores: 40 kernels, and the slowest page 176 s against 91.5 s with 300 s; one run each,
#: bench/README.md).
PREHEAT_REFILL_DELAY_S = 300
#: Kernels talk to Voila over Unix sockets, not loopback TCP ports: twenty kernels started at once
#: picked the same free port now and then ("Address already in use"), and a pool kernel lost that
#: way left its page waiting for good (one bench run, 21 kernels started together). A socket's path,
#: "<root>/voila_XXXXXXXX/kernel-<uuid>-ipc-<n>", is 64 characters beyond Voila's connection root
#: and must fit in 107: the root is the temporary folder, or /tmp when that is too long.
KERNEL_TRANSPORT = "ipc"
VOILA_SOCKET_SUFFIX = 64


def voila_command(target: Path, port: int, *, open_browser: bool = False, cull_idle: int = CULL_IDLE_SECONDS,
                  preheat: int = 0) -> list[str]:
    """The Voila command line of ``arassess serve``: loopback only, sources hidden, idle kernels of
    closed pages culled after ``cull_idle`` seconds (checked every ``cull_idle / 4``, at most a
    minute), websocket messages (an upload is one) up to UPLOAD_LIMIT_BYTES, a cell's outputs
    awaited up to IOPUB_TIMEOUT_S, and with ``preheat`` > 0 that many kernels per dashboard started
    ahead of the pages (Voila's kernel pool; a used one replaced PREHEAT_REFILL_DELAY_S later)."""
    # env: Voila finds the ``arassess`` template on JUPYTER_PATH, so the command carries it
    command = [ENV, f"JUPYTER_PATH={jupyter_path(os.environ.get('JUPYTER_PATH'))}",
               sys.executable, "-m", "voila", str(target), f"--port={port}", "--Voila.ip=127.0.0.1",
               "--strip_sources=True", f"--template={VOILA_TEMPLATE}", "--VoilaConfiguration.classic_tree=True",
               f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT_S}",
               f"--KernelManager.transport={KERNEL_TRANSPORT}", f"--Voila.connection_dir_root={connection_root()}",
               f"--Voila.config_file_paths={JUPYTER_DIR}",
               # the whole dict, so the size stays a number (key=value items arrive as text and break
               # every websocket: tornado compares the message length with a string)
               f'--Voila.tornado_settings={{"websocket_max_message_size": {UPLOAD_LIMIT_BYTES}}}']
    if cull_idle:
        command += [f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
                    f"--MappingKernelManager.cull_interval={max(1, min(60, cull_idle // 4))}",
                    "--MappingKernelManager.cull_connected=False"]
    if preheat > 0:
        command += ["--preheat_kernel=True",
                    f'--VoilaKernelManager.kernel_pools_config={{"default": {{"pool_size": {int(preheat)}}}}}',
                    f"--VoilaKernelManager.fill_delay={PREHEAT_REFILL_DELAY_S}"]
    if not open_browser:
        command.append("--no-browser")
    return command


def connection_root() -> Path:
    """Where Voila makes its folder of kernel connection files and sockets: the temporary folder, or
    /tmp when the sockets' paths would not fit (:func:`arassess.tempdirs.base_for`, which counts ~32
    characters for the folder it is asked about)."""
    return base_for(SOCKET_PATH_MAX - VOILA_SOCKET_SUFFIX + 32)


def debug_wanted() -> bool:
    """True when ARASSESS_DEBUG is 1, true or yes (``arassess --debug serve`` sets it for the dashboards)."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes")


def timing_text(text: str) -> str:
    """``text`` (a dashboard's own timing) for developers only: shown under ARASSESS_DEBUG, else ''."""
    return text if debug_wanted() else ""


def jupyter_path(current: str | None = None) -> str:
    """JUPYTER_PATH with arassess's Jupyter folder first (where Voila finds the ``arassess`` template)."""
    return os.pathsep.join([str(JUPYTER_DIR), *([current] if current else [])])


__all__ = ["CULL_IDLE_SECONDS", "DEBUG_ENV", "ENV", "IOPUB_TIMEOUT_S", "JUPYTER_DIR", "KERNEL_TRANSPORT",
           "PREHEAT_REFILL_DELAY_S", "UPLOAD_LIMIT_BYTES", "UPLOAD_LIMIT_MB", "VOILA_SOCKET_SUFFIX",
           "VOILA_TEMPLATE", "connection_root", "debug_wanted", "jupyter_path", "timing_text", "voila_command"]
