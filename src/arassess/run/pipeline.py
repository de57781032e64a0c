"""The main job: from a client's ledger export to the deliverables, in one new run folder.

``arassess assess CLIENT_DIR`` = :func:`run_assessment`: notebooks 01 → 04 under Papermill
(each executed notebook and its HTML kept), then the client-ready report (HTML and PDF) built
from the same library results. Notebook 04 writes the Excel worklist and the letters. A run
folder is never reused; a failing step keeps what was written and names the step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from arassess.config.client import load_config
from arassess.forecast.model import headline as forecast_headline
from arassess.goals.model import planning_start
from arassess.inputs.run_cache import shared_ledger, validated_once
from arassess.report.client import gather, write_report
from arassess.run.notebooks import NOTEBOOKS, execute, finished, new_run_dir

#: The notebooks of the assessment, in order.
ORDER = ("assess", "costs", "goals", "plan")
STEP_LABELS = {"intake": "data intake", "assess": "01 current process", "costs": "02 in-house or agency",
               "goals": "03 goals", "plan": "04 action plan", "report": "client report (HTML + PDF)"}
#: The notebooks that take the planning start (one day for the goals, the actions and the report).
PLANNED = ("goals", "plan")
#: Every step, in order: the intake (read and validated once), the notebooks, the report.
STEPS = ("intake", *ORDER, "report")
LEDGER_FOLDER = "ledger"  # in the run folder: the validated ledger the run's notebooks share


@dataclass
class Deliverables:
    run_dir: Path
    notebooks: list[Path] = field(default_factory=list)
    report_html: Path | None = None
    report_pdf: Path | None = None
    worklist: Path | None = None
    letters: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    forecast: str = ""  # the cash forecast in one line (arassess.forecast.model.headline)

    def lines(self) -> list[str]:
        """What was written, for the end of the command's output."""
        out = [f"Run folder: {self.run_dir}"]
        for label, path in (("Report (HTML)", self.report_html), ("Report (PDF)", self.report_pdf),
                            ("Worklist", self.worklist), ("Letters", self.letters)):
            if path is not None:
                out.append(f"{label + ':':<15} {path}")
        out += [f"{'Notebook:':<15} {p}" for p in self.notebooks]
        if self.forecast:
            out.append(f"{'Cash forecast:':<15} {self.forecast}")
        out.append("Time: " + ", ".join(f"{STEP_LABELS[k]} {v:.1f} s" for k, v in self.seconds.items())
                   + f"; total {sum(self.seconds.values()):.1f} s")
        return out


def run_assessment(client_dir: str | Path, *, as_of: str | None = None, runs_dir: str | Path = "runs",
                   paper: str = "A4", pdf: bool = True,
                   on_step: Callable[[str], None] | None = None) -> Deliverables:
    """Validate ``client_dir`` once, run notebooks 01–04 on that ledger into a new run folder and
    build the report.

    ``on_step(name)`` is called before each step (names of :data:`STEPS`), e.g. to move a
    progress bar.
    """

    def step(name: str) -> float:
        if on_step:
            on_step(name)
        return time.perf_counter()

    load_config(client_dir)  # fail fast on client.yaml, before anything is read
    started = step("intake")
    # read and validated once, before a run folder or a kernel exists: a bad export fails here
    config, keep = validated_once(client_dir)
    date = as_of or (config.as_of.isoformat() if config.as_of else None)
    run_dir = new_run_dir(Path(runs_dir), config.slug, date)
    keep(run_dir / LEDGER_FOLDER)  # the notebooks and the report read it back
    done = Deliverables(run_dir=run_dir)
    done.seconds["intake"] = time.perf_counter() - started
    planned = f"{planning_start(date or pd.Timestamp.today()):%Y-%m-%d}"  # one start, even across midnight
    with shared_ledger(run_dir / LEDGER_FOLDER):
        for name in ORDER:
            started = step(name)
            params = {"planned_on": planned} if name in PLANNED else None
            done.notebooks.append(execute(name, client_dir, run_dir, as_of=date, parameters=params).notebook)
            done.seconds[name] = time.perf_counter() - started
        started = step("report")
        done.worklist = run_dir / "worklist.xlsx"
        done.letters = run_dir / "letters"
        data = gather(client_dir, date, planned, risk_dir=run_dir)
        done.report_html, done.report_pdf = write_report(data, run_dir, paper, pdf)
        done.forecast = forecast_headline(data.assessment.forecast)
        done.seconds["report"] = time.perf_counter() - started
    finished(run_dir)  # a run killed before this line keeps its INCOMPLETE marker
    return done


__all__ = ["Deliverables", "LEDGER_FOLDER", "NOTEBOOKS", "ORDER", "STEPS", "run_assessment"]
