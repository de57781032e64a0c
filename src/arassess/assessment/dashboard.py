"""The Voila dashboard of notebook 01: a control panel that re-renders the assessment in place.

Controls: as-of date, window, client (every folder with a client.yaml under
the sample data and ``clients/``), and an upload of a ledger file read with
the column mapping of a chosen client (or canonical names). A change
re-assesses and redraws the sections below without a page reload; bad input
shows its message in the status line, never a traceback. Under Papermill the
notebook does not build this panel (see :func:`in_dashboard`).
"""

from __future__ import annotations

import atexit
import datetime as dt
import html
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
import yaml

from arassess.assessment.case import Assessment, assess
from arassess.assessment.sections import SECTIONS, section, title
from arassess.assessment.workspace_cache import (
    cached_load,
    cached_risk,
    cached_section,
    keep_risk,
    keep_section,
    sections_key,
)
from arassess.config.yamlfile import read_yaml
from arassess.display.cards import Card, cards_html
from arassess.display.format import money_text, status_text, unsigned_zero
from arassess.display.items import display_bundle
from arassess.display.live import resend_later
from arassess.errors import ArassessError
from arassess.ledger.model import Ledger
from arassess.paths import find_clients, resolve_client_dir
from arassess.risk.model import RiskResult
from arassess.serving import UPLOAD_LIMIT_MB, timing_text
from arassess.tempdirs import new_folder, sweep

CANONICAL = "canonical column names"
HEADLINE_KPIS = ("ar_total", "dso", "cei", "pct_over_90")


def in_dashboard() -> bool:
    """True when the kernel runs under Voila (Voila sets VOILA_* variables in the kernel)."""
    return any(k in os.environ for k in ("VOILA_KERNEL_ID", "VOILA_APP_PORT", "VOILA_BASE_URL"))


HEADLINE_LABELS = {"ar_total": "Total receivables", "dso": "DSO", "cei": "CEI", "pct_over_90": "Over 90 days past due"}


def headline_cards(a: Assessment) -> list[Card]:
    """The headline as the report's cards: per HEADLINE_KPIS the figure (n/a when missing, with the
    reason instead of a benchmark: money without cents, days and % with one decimal), its unit, the
    benchmark it is compared with (with its source) and the status in words; total AR notes what is
    overdue."""
    card = a.scorecard.set_index("key")
    out = []
    for key in HEADLINE_KPIS:
        value = a.table.value(key, a.as_of)
        unit = {"ar_total": a.currency, "dso": "days", "cei": "%", "pct_over_90": "% of AR"}[key]
        if value != value:  # say why, not against what
            out.append(Card(HEADLINE_LABELS[key], "n/a", note=str(a.table.reason(key, a.as_of) or "not available"),
                            key=key))
            continue
        if key == "ar_total":
            overdue = a.table.value("ar_overdue", a.as_of)
            note = (f"{money_text(overdue, a.currency)} overdue ({overdue / value:.0%})"
                    if overdue == overdue and value > 0 else "")
            out.append(Card(HEADLINE_LABELS[key], money_text(value), unit, note, key=key))
            continue
        row = card.loc[key] if key in card.index else None
        shown = "" if row is None else str(row["benchmark_text"] or "")
        word = "" if row is None else str(row["status"] or "")
        out.append(Card(HEADLINE_LABELS[key], f"{unsigned_zero(value, 1):.1f}", unit,
                        f"benchmark: {shown}" if shown else "", status=word,
                        status_text=status_text(word) if word in ("good", "bad") else "", key=key))
    return out


def headline_html(a: Assessment) -> str:
    """:func:`headline_cards` as HTML (``<span data-kpi="dso">59.3</span>`` marks each figure)."""
    return cards_html(headline_cards(a))


# A file above the limit never reaches the kernel (the browser's message is refused), so the page
# says the limit before the file is picked.
UPLOAD_TEXT = (f"A CSV or XLSX export of up to {UPLOAD_LIMIT_MB} MB; a larger file is not received "
               "(split it, e.g. by year, or run the assessment outside the dashboard).")


def upload_client(content: bytes, filename: str, mapping_from: Path | None, as_of: dt.date,
                  folder: Path | None = None) -> Path:
    """A new client folder for an uploaded invoices file, read with the mapping and formats of
    ``mapping_from`` (a client folder) or canonical column names. The upload is written as is."""
    sweep()  # uploads of sessions whose kernel was killed
    target = Path(folder) if folder else new_folder("upload")
    name = Path(filename).name
    (target / name).write_bytes(content)
    config: dict[str, Any] = {"name": f"Uploaded: {name}", "currency": "EUR", "as_of": as_of.isoformat()}
    invoices: dict[str, Any] = {"path": name}
    if mapping_from is not None:
        raw = read_yaml(mapping_from / "client.yaml") or {}
        config["currency"] = raw.get("currency", "EUR")
        for key in ("formats", "fx", "validation", "kpis"):
            if key in raw:
                config[key] = raw[key]
        given = (raw.get("files") or {}).get("invoices")
        if isinstance(given, dict):
            invoices.update({k: v for k, v in given.items() if k != "path"})
        columns = (raw.get("columns") or {}).get("invoices")
        if columns:
            invoices["columns"] = {**columns, **invoices.get("columns", {})}
    config["files"] = {"invoices": invoices}
    (target / "client.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


#: Sections shown with the headline, at once; the others are filled in as they finish.
FIRST_SECTIONS = ("scorecard",)
#: The consultant's detail, in a collapsed box below the answer (built with the first sections).
DETAIL_SECTIONS = ("data",)
DETAIL_TITLE = "For the consultant: data received (control totals, rejected rows, date coverage)"
#: Seconds the first fill waits after the page's first render: right after the notebook has run,
#: the page fetches every widget's state from the kernel, and a fill drawing charts at the same
#: time (holding the interpreter) delays the first "Ready" by ~1.3 s (bench/dashboard.py); the
#: last section arrives no later for the wait.
FIRST_FILL_DELAY = 1.5
#: The sections the background fill shows, in the registry's order.
LATER_SECTIONS = tuple(name for name in SECTIONS if name not in FIRST_SECTIONS + DETAIL_SECTIONS)


def dashboard_assessment(client_dir: str | Path, as_of: str | None = None, *, window_days: int | None = None,
                         history_months: int = 24) -> Assessment:
    """:func:`arassess.assessment.case.assess` for a dashboard session: the ledger, and the risk fit when
    one of the same inputs, settings and date was made before, come from the workspace cache
    (:mod:`arassess.assessment.workspace_cache`), so a page opens without re-reading the export or refitting."""
    config, ledger = cached_load(client_dir)
    date = pd.Timestamp(as_of or config.as_of or ledger.as_of).normalize()
    return assess(client_dir, date, window_days=window_days, history_months=history_months,
                  loaded=(config, ledger), risk=cached_risk(config, date))


class AssessmentDashboard:
    """Control panel + headline + sections; ``widget`` is what the notebook displays.

    A render shows the headline, the title and the first sections (:data:`FIRST_SECTIONS`) at
    once, the consultant's detail (:data:`DETAIL_SECTIONS`) collapsed below the answer, and says
    "Ready"; the other sections are built in a background thread, each shown in its own output
    (``later``, in the registry's order) as it finishes (charts and the risk fit take seconds), so
    a section is sent to the page once; then ``complete`` carries ``data-complete``, and what the
    fill changed is sent again a little later for a page that was still loading
    (:func:`arassess.display.live.resend_later`). A newer change makes an unfinished fill stop: only
    the latest render is shown. ``background=False`` builds everything before returning (tests,
    scripts).
    """

    def __init__(self, first: Assessment, client_dir: str | Path, history_months: int = 24, *,
                 background: bool = True) -> None:
        self.history_months = history_months
        self.background = background
        self.clients = find_clients()
        current = resolve_client_dir(client_dir).resolve()
        name = next((k for k, v in self.clients.items() if v.resolve() == current), current.name)
        self.clients.setdefault(name, current)
        self._loaded = {name: (first.config, first.ledger)}
        self._shown = first  # the assessment on screen: its risk fit is reused while the date stays
        self._shown_name = name  # the client whose assessment is on screen
        self._generation = 0
        self._fill: threading.Timer | None = None
        self._lock = threading.Lock()

        self.client = widgets.Dropdown(options=sorted(self.clients), value=name, description="Client")
        self.as_of = widgets.DatePicker(value=first.as_of.date(), description="As of")
        self.window = widgets.BoundedIntText(value=first.window_days, min=1, max=3660, description="Window (days)",
                                             style={"description_width": "initial"})
        self.upload = widgets.FileUpload(accept=".csv,.xlsx", multiple=False, description="Upload ledger",
                                         tooltip=UPLOAD_TEXT)
        self.upload_limit = widgets.HTML(f"<small>{UPLOAD_TEXT}</small>")
        self.mapping = widgets.Dropdown(options=[CANONICAL, *sorted(self.clients)], value=CANONICAL,
                                        description="Read it as", style={"description_width": "initial"})
        self.status = widgets.HTML()
        self.headline = widgets.HTML()
        self.output = widgets.Output()
        self.detail = widgets.Output()
        self.details = widgets.Accordion(children=[self.detail], titles=(DETAIL_TITLE,), selected_index=None)
        self.later = {name: widgets.Output() for name in LATER_SECTIONS}
        for name, shown in self.later.items():
            shown.add_class("arassess-section")
            shown.add_class(f"arassess-section-{name}")
        self.complete = widgets.HTML()
        for w, css in ((self.client, "arassess-client"), (self.as_of, "arassess-as-of"),
                       (self.window, "arassess-window"), (self.upload, "arassess-upload"),
                       (self.mapping, "arassess-mapping"), (self.upload_limit, "arassess-upload-limit"),
                       (self.status, "arassess-status"),
                       (self.headline, "arassess-headline"), (self.details, "arassess-details"),
                       (self.complete, "arassess-complete")):
            w.add_class(css)
        controls = widgets.VBox([widgets.HBox([self.client, self.as_of, self.window]),
                                 widgets.HBox([self.upload, self.mapping, self.upload_limit])])
        self.widget = widgets.VBox([controls, self.status, self.headline, self.output, *self.later.values(),
                                    self.details, self.complete])
        self._show(first, time.perf_counter(), delay=FIRST_FILL_DELAY)
        self._quiet = False
        self.client.observe(self._client_changed, names="value")
        self.as_of.observe(self._changed, names="value")
        self.window.observe(self._changed, names="value")
        self.upload.observe(self._uploaded, names="value")

    def _show(self, a: Assessment, started: float, delay: float = 0.0) -> None:
        """Redraw the headline and the first sections now, the others as they finish (beginning
        ``delay`` seconds later); ``started`` is when the change began (perf_counter).

        The sections are set as the Output widget's outputs rather than displayed inside
        ``with output:``: under Voila, capturing many displays during the first cell stalls
        the page (a known Voila issue with server-side Output capture).
        """
        with self._lock:
            self._generation += 1
            generation = self._generation
        self._shown = a
        self.headline.value = headline_html(a)
        key = sections_key(a.config, a.as_of, a.window_days, self.history_months)
        self.output.outputs = (display_bundle(title(a)),
                               *(out for name in FIRST_SECTIONS for out in self._section_outputs(a, key, name)))
        self.detail.outputs = tuple(out for name in DETAIL_SECTIONS for out in self._section_outputs(a, key, name))
        for shown in self.later.values():
            if shown.outputs:
                shown.outputs = ()
        self.complete.value = ""
        self.status.value = (f"Ready: {html.escape(a.config.name)} at {a.as_of:%Y-%m-%d} (window {a.window_days} days)"
                             + timing_text(f" <small>— {time.perf_counter() - started:.2f} s</small>"))
        if self.background:
            if self._fill is not None:
                self._fill.cancel()  # a fill still waiting to begin is not needed any more
            self._fill = threading.Timer(delay, self._fill_sections, args=(a, key, LATER_SECTIONS, generation))
            # not a daemon: the interpreter waits for it at exit rather than tearing down the
            # C++ libraries (pyarrow, matplotlib) under a running fill, which aborts the process
            self._fill.start()
        else:
            self._fill_sections(a, key, LATER_SECTIONS, generation)

    @staticmethod
    def _section_outputs(a: Assessment, key: str, name: str) -> list[dict[str, Any]]:
        """Section ``name`` of ``a`` as display outputs: those another session of the same client,
        date, window and code kept in the workspace, else built (and kept for the next one)."""
        kept = cached_section(a.config, key, name)
        if kept is not None:
            return kept
        fitted = name == "risk" and a.known_risk is None
        outputs = [display_bundle(item) for item in section(a, name)]
        if fitted:
            keep_risk(a.config, a.risk)  # the next session of this client reuses the fit
        keep_section(a.config, key, name, outputs)
        return outputs

    def _fill_sections(self, a: Assessment, key: str, names: tuple[str, ...], generation: int) -> None:
        """Show each section as it is built; stop as soon as a newer render has begun."""
        try:
            for name in names:
                if generation != self._generation:
                    return
                items = tuple(self._section_outputs(a, key, name))
                with self._lock:
                    if generation != self._generation:
                        return
                    self.later[name].outputs = items
            with self._lock:
                if generation != self._generation:
                    return
                self.complete.value = f'<span data-complete="{generation}"></span>'
            if self.background:
                resend_later([self.status, self.headline, self.output, self.detail, *self.later.values(),
                              self.complete], lambda: generation == self._generation)
        except Exception as exc:  # noqa: BLE001 - a background failure is shown, not lost
            with self._lock:
                if generation == self._generation:
                    self.status.value = (f'<span style="color:#b00">Cannot show every section: '
                                         f"{html.escape(str(exc))}</span>")

    def shown_outputs(self) -> tuple[dict[str, Any], ...]:
        """The answer's outputs as the page shows them: the title and first sections, then each
        later section (the consultant's detail is ``detail.outputs``)."""
        return self.output.outputs + tuple(out for shown in self.later.values() for out in shown.outputs)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the sections of the latest render are all shown."""
        if self._fill is not None:
            self._fill.join(timeout)

    def _client_changed(self, _change: Any = None) -> None:
        """A new client starts at its own as-of date (client.yaml), then redraws once."""
        if self._quiet:
            return
        name = self.client.value
        try:
            if name not in self._loaded:
                self._loaded[name] = cached_load(self.clients[name])
        except ArassessError as exc:
            self._failed(f"Cannot load {name}", exc)
            return
        config, ledger = self._loaded[name]
        default = config.as_of or (ledger.as_of.date() if ledger.as_of is not None else None)
        if default is not None and default != self.as_of.value:
            self._quiet = True
            try:
                self.as_of.value = default
            finally:
                self._quiet = False
        self._changed()

    def _changed(self, _change: Any = None) -> None:
        if self._quiet:
            return
        if self.as_of.value is None:
            self.status.value = "Pick an as-of date."
            return
        self.status.value = "Computing…"
        started = time.perf_counter()
        name = self.client.value
        try:
            if name not in self._loaded:
                self._loaded[name] = cached_load(self.clients[name])
            config, ledger = self._loaded[name]
            a = assess(self.clients[name], self.as_of.value.isoformat(), window_days=self.window.value,
                       history_months=self.history_months, loaded=self._loaded[name],
                       risk=self._reusable_risk(ledger, self.as_of.value) or cached_risk(config, self.as_of.value))
        except ArassessError as exc:
            self._failed(f"Cannot assess {name}", exc)
            return
        self._shown_name = name
        self._show(a, started)

    def _failed(self, what: str, exc: ArassessError) -> None:
        """Say what failed (as text) and put the client picker back on the client still shown:
        the page never shows one client's assessment under another's name."""
        shown = self._shown_name
        if self.client.value != shown:
            self._quiet = True
            try:
                self.client.value = shown
            finally:
                self._quiet = False
        self.status.value = (f'<span style="color:#b00">{html.escape(what)}: {html.escape(str(exc))} '
                             f"(still showing {html.escape(shown)})</span>")

    def _reusable_risk(self, ledger: Ledger, as_of: dt.date) -> RiskResult | None:
        """The risk of the assessment on screen when it is of the same ledger and date (only the
        window or history changed) and already fitted: the late-payment model is not refitted."""
        shown = self._shown
        if shown.ledger is ledger and shown.as_of == pd.Timestamp(as_of) and "risk" in shown.__dict__:
            return shown.risk
        return None

    def _uploaded(self, change: Any) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        mapping = None if self.mapping.value == CANONICAL else self.clients[self.mapping.value]
        folder = upload_client(bytes(item["content"]), item["name"], mapping, self.as_of.value or dt.date.today())
        # an upload lives as long as this session's kernel (culled when its page is closed)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        label = f"upload: {item['name']}"
        self.clients[label] = folder
        current = self.client.value
        self._quiet = True  # new options must not render whichever client the picker falls on
        try:
            self.client.options = sorted(self.clients)
            self.client.value = current
        finally:
            self._quiet = False
        self.client.value = label  # triggers the re-render


def dashboard(first: Assessment, client_dir: str | Path, history_months: int = 24) -> widgets.Widget:
    """The dashboard widget for notebook 01 (display it under Voila)."""
    return AssessmentDashboard(first, client_dir, history_months).widget


__all__ = ["AssessmentDashboard", "dashboard", "dashboard_assessment", "in_dashboard", "upload_client"]
