"""The CFO's dashboard of notebook 02 under Voila: sliders for the main assumptions, live charts.

Controls: collector FTEs, salary, agency fee, in-house and agency recovery (× curve), cost-of-
capital rate, relationship loss share, hand-off day D (or "optimal D"). Every change re-runs
:func:`arassess.costs.case.analyse` on claims read once and shows the answer at once: the
recommendation and the comparison table (the status line reports how long that took,
``data-ms``); the break-evens and the charts (a few hundred model evaluations, and a tenth of a
second per chart) follow from a background thread, and ``.arassess-charts-done`` carries
``data-done`` when they are all drawn. A newer change makes an unfinished one stop. "Reset"
returns to the client's assumptions, each group's own reset button only that group's; "Save
scenario" writes the current values to
``<client>/scenarios/<name>.yaml`` and never replaces one.
"""

from __future__ import annotations

import dataclasses
import html
import threading
import time
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np

from arassess.costs import charts as costcharts
from arassess.costs.case import CostCase, analyse, lever_value, with_lever, with_sensitivity
from arassess.costs.model import MAX_HANDOFF_DAY, SOURCES, Assumptions
from arassess.costs.scenarios import Scenario, save_scenario
from arassess.costs.sections import assumptions_table, comparison_table, decision_cards, decision_html, formatted
from arassess.display.cards import cards_html
from arassess.display.items import display_bundle, table
from arassess.display.live import resend_later
from arassess.errors import ArassessError
from arassess.serving import timing_text

LIVE_CHARTS = (costcharts.collection_curve_chart, costcharts.waterfall_chart, costcharts.handoff_chart,
               costcharts.tornado_chart)
_WIDE = {"description_width": "14em"}
SLIDER_WIDTH = "34em"  # a Layout widget is made per slider, never at import (no widget state in batch runs)


def _slider(kind: type, value: float, lo: float, hi: float, step: float, label: str, css: str,
            fmt: str | None = None) -> widgets.Widget:
    extra = {"readout_format": fmt} if fmt else {}
    w = kind(value=min(max(value, lo), hi), min=lo, max=hi, step=step, description=label,
             continuous_update=False, style=_WIDE, layout=widgets.Layout(width=SLIDER_WIDTH), **extra)
    w.add_class(css)
    return w


def scenario_costs(a: Assumptions, base: Assumptions) -> dict[str, Any]:
    """The dashboard's assumptions that differ from the client's, as client.yaml ``costs:`` keys."""
    out: dict[str, Any] = {}
    for f in ("collector_ftes", "collector_salary", "agency_fee_pct", "agency_fee_scale", "in_house_recovery_scale",
              "agency_recovery_scale", "borrowing_rate", "wacc", "relationship_cost_share"):
        if getattr(a, f) != getattr(base, f):
            out[f] = getattr(a, f)
    return out


class CostDashboard:
    """Control panel + decision + table + charts; ``widget`` is what the notebook displays."""

    def __init__(self, case: CostCase, client_dir: str | Path) -> None:
        self.client_dir = Path(client_dir)
        self.base = case.assumptions
        self.case = case
        self._book = case.book
        a = case.assumptions
        fee = lever_value(a, "agency_fee_pct", self._book)
        # the team size only checks capacity; without one given, the slider starts at what is needed
        team = a.collector_ftes if a.collector_ftes is not None else self._needed(case)
        self.ftes = _slider(widgets.FloatSlider, team, 0, max(10, 2 * team), 0.5,
                            "Collectors (FTE)", "arassess-ftes", ".1f")
        self.salary = _slider(widgets.IntSlider, a.collector_salary, 0, max(150_000, 2 * a.collector_salary),
                              1_000, f"Salary per FTE ({case.currency})", "arassess-salary")
        # shares are shown and typed in percent (a typed "15" means 15%)
        self.fee = _slider(widgets.FloatSlider, 100 * fee if fee == fee else 25.0, 0, 80, 1,
                           "Agency fee (%)", "arassess-fee", ".0f")
        self.in_scale = _slider(widgets.FloatSlider, a.in_house_recovery_scale, 0.5, 1.5, 0.05,
                                "In-house recovery × curve", "arassess-in-scale", ".2f")
        self.ag_scale = _slider(widgets.FloatSlider, a.agency_recovery_scale, 0.5, 1.5, 0.05,
                                "Agency recovery × curve", "arassess-agency-scale", ".2f")
        self.rate = _slider(widgets.FloatSlider, 100 * a.capital_rate, 0, 20, 0.5,
                            f"Rate, {a.capital_rate_basis.replace('_', ' ')} (%)", "arassess-rate", ".1f")
        self.relationship = _slider(widgets.FloatSlider, 100 * a.relationship_cost_share, 0, 30, 1,
                                    "Relationship loss (%)", "arassess-relationship", ".0f")
        self.handoff = _slider(widgets.IntSlider, case.handoff_day, int(a.min_placement_age), MAX_HANDOFF_DAY, 15,
                               "Hand-off D (days past due)", "arassess-handoff")
        self.optimal = widgets.Checkbox(value=True, description="D = optimal", indent=False)
        self.optimal.add_class("arassess-optimal")
        self.reset = widgets.Button(description="Reset to client assumptions", icon="undo",
                                    layout=widgets.Layout(width="auto"))
        self.reset.add_class("arassess-reset")
        self.name = widgets.Text(placeholder="scenario name", layout=widgets.Layout(width="14em"))
        self.name.add_class("arassess-scenario-name")
        self.save = widgets.Button(description="Save scenario", icon="save")
        self.save.add_class("arassess-save")
        self.fee_note = widgets.HTML()
        self.status = widgets.HTML()
        self.status.add_class("arassess-status")
        self.headline = widgets.HTML()
        self.headline.add_class("arassess-headline")
        self.decision = widgets.HTML()
        self.decision.add_class("arassess-decision-box")
        self.table = widgets.HTML()
        self.table.add_class("arassess-comparison")
        self.charts = widgets.Output()
        self.done = widgets.HTML()
        self.done.add_class("arassess-charts-done")
        self.inputs = widgets.HTML()
        self.inputs.add_class("arassess-inputs")
        self._fee_moved = False
        self._ftes_moved = False
        self._quiet = False

        for control, key in ((self.ftes, "collector_ftes"), (self.salary, "collector_salary"),
                             (self.fee, "fee_schedule"), (self.in_scale, "in_house_recovery_scale"),
                             (self.ag_scale, "agency_recovery_scale"), (self.rate, a.capital_rate_basis),
                             (self.relationship, "relationship_cost_share")):
            control.tooltip = f"Default's source: {SOURCES.get(key, 'arassess default')}"
        self.handoff.tooltip = ("Days past due at which overdue claims go to the agency (hybrid); with "
                                "'D = optimal' the model picks the day that keeps the most cash.")
        #: each group's controls (reset together by its own button) and what it shows
        self.groups = {"Team": (self.ftes, self.salary), "Agency": (self.fee, self.ag_scale),
                       "Money and time": (self.in_scale, self.rate, self.relationship),
                       "Hand-off": (self.handoff, self.optimal)}
        laid_out = {"Agency": [self.fee, self.fee_note, self.ag_scale],  # where a group is not just its controls
                    "Hand-off": [widgets.HBox([self.handoff, self.optimal])]}
        self.group_resets: dict[str, widgets.Button] = {}
        boxes = []
        for name, group in self.groups.items():
            controls = laid_out.get(name, list(group))
            button = widgets.Button(description=f"Reset {name.lower()}", icon="undo",
                                    tooltip=f"Back to the client's {name.lower()} assumptions",
                                    layout=widgets.Layout(width="auto"))
            button.add_class("arassess-reset-group")
            button.on_click(lambda _b, group=name: self._reset(group))
            self.group_resets[name] = button
            head = widgets.HBox([widgets.HTML(f"<h4 style='margin:.6em 1em .2em 0'>{name}</h4>"), button],
                                layout=widgets.Layout(align_items="center"))
            boxes.append(widgets.VBox([head, *controls]))
        sliders = widgets.VBox(boxes)
        actions = widgets.HBox([self.reset, self.name, self.save])
        heading = widgets.HTML(f"<h2>{html.escape(case.client)}: in-house or agency? "
                               f"({case.as_of:%d %B %Y})</h2>")
        # the answer first, then what it rests on (hover a control for its default's source), then detail
        self.widget = widgets.VBox([heading, self.headline, self.decision, self.status,
                                    widgets.HTML("<h3>Assumptions (change them to see the answer move)</h3>"),
                                    sliders, actions, self.charts, self.done, self.table, self.inputs])
        self._generation = 0
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._show(case, time.perf_counter())
        for w in (self.salary, self.in_scale, self.ag_scale, self.rate, self.relationship, self.optimal):
            w.observe(self._changed, names="value")
        self.ftes.observe(self._ftes_changed, names="value")
        self.fee.observe(self._fee_changed, names="value")
        self.handoff.observe(self._handoff_changed, names="value")
        self.reset.on_click(self._reset)
        self.save.on_click(self._save)

    # --- state -> assumptions -------------------------------------------------------------
    def assumptions(self) -> Assumptions:
        """The client's assumptions with the sliders' values. The fee slider shows the effective
        fee; moving it sets a flat fee, or scales the client's fee schedule to that effective rate."""
        values: dict[str, Any] = {
            "collector_salary": float(self.salary.value),
            "in_house_recovery_scale": float(self.in_scale.value),
            "agency_recovery_scale": float(self.ag_scale.value),
            self.base.capital_rate_basis: round(float(self.rate.value) / 100, 6),
            "relationship_cost_share": round(float(self.relationship.value) / 100, 6),
        }
        if self._ftes_moved:
            values["collector_ftes"] = float(self.ftes.value)
        a = dataclasses.replace(self.base, **values)
        if self._fee_moved:
            a = with_lever(a, "agency_fee_pct", round(float(self.fee.value) / 100, 6), self._book)
        return a

    @staticmethod
    def _needed(case: CostCase) -> float:
        """FTEs the recommended strategy needs, rounded up to half an FTE."""
        return max(0.5, float(np.ceil(2 * case.result.loc[case.strategy, "ftes_needed"]) / 2))

    def handoff_day(self) -> float | None:
        return None if self.optimal.value else float(self.handoff.value)

    # --- rendering ------------------------------------------------------------------------
    def _show(self, case: CostCase, started: float) -> None:
        """The answer now (recommendation, table, inputs), the break-evens and charts after it."""
        with self._lock:
            self._generation += 1
            generation = self._generation
        self.case = case
        self.headline.value = cards_html(decision_cards(case))
        self.decision.value = decision_html(case)
        self.table.value = table(formatted(comparison_table(case)), index=True).to_html()
        self.inputs.value = ("<details><summary>Inputs and where they come from</summary>"
                             + table(assumptions_table(case)).to_html() + "</details>")
        self.done.value = ""
        if self.optimal.value and self.handoff.value != int(case.handoff_day):
            self._quiet = True
            try:
                self.handoff.value = int(case.handoff_day)
            finally:
                self._quiet = False
        a = case.assumptions
        if a.agency_fee_pct is None:
            self.fee_note.value = (f"<small>The client's fee schedule × {a.agency_fee_scale:.2f} (the slider "
                                   "shows its effective rate on all claims).</small>")
        else:
            self.fee_note.value = "<small>Flat fee on every placed claim.</small>"
        ms = (time.perf_counter() - started) * 1000
        # the recommendation is in the box above; the label and the timing only for developers
        took = timing_text(f" in {ms:,.0f} ms: {html.escape(case.label)}")
        self.status.value = f'<span data-ms="{ms:.0f}">Updated{took}</span>'
        # not a daemon: exit waits for it instead of aborting under a running chart
        self._worker = threading.Thread(target=self._finish, args=(case, generation))
        self._worker.start()

    def _finish(self, case: CostCase, generation: int) -> None:
        """Break-evens, tornado and charts of ``case``, shown unless a newer change came first."""
        try:
            full = with_sensitivity(case)
            with self._lock:
                if generation != self._generation:
                    return
                self.case = full
                self.decision.value = decision_html(full)
            charts = []
            for chart in LIVE_CHARTS:
                charts.append(display_bundle(chart(full, fast=True)))
                with self._lock:
                    if generation != self._generation:
                        return
            with self._lock:
                if generation != self._generation:
                    return
                self.charts.outputs = tuple(charts)
                self.done.value = f'<span data-done="{generation}"></span>'
            # for a page still loading when these arrived (arassess.display.live)
            resend_later([self.decision, self.charts, self.done], lambda: generation == self._generation)
        except Exception as exc:  # noqa: BLE001 - a background failure is shown, not lost
            with self._lock:
                if generation == self._generation:
                    self.status.value = (f'<span style="color:#b00">Cannot draw the charts: '
                                         f"{html.escape(str(exc))}</span>")

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the break-evens and charts of the latest change are shown."""
        if self._worker is not None:
            self._worker.join(timeout)

    def update(self) -> None:
        """Re-evaluate with the current control values and redraw (bad values: a message)."""
        if self._quiet:
            return
        started = time.perf_counter()
        try:
            c = self.case
            case = analyse(c.client, c.currency, c.as_of, c.claims, c.flow, c.book, self.assumptions(),
                           self.handoff_day(), c.input_notes, c.observed, c.provenance, sensitivity=False)
        except ArassessError as exc:
            self.status.value = f'<span style="color:#b00">Cannot evaluate: {html.escape(str(exc))}</span>'
            return
        self._show(case, started)

    # --- events ---------------------------------------------------------------------------
    def _changed(self, _change: Any = None) -> None:
        self.update()

    def _ftes_changed(self, _change: Any = None) -> None:
        if not self._quiet:
            self._ftes_moved = True
        self.update()

    def _fee_changed(self, _change: Any = None) -> None:
        if not self._quiet:
            self._fee_moved = True
        self.update()

    def _handoff_changed(self, _change: Any = None) -> None:
        if self._quiet:
            return
        if self.optimal.value:
            self._quiet = True  # moving D by hand leaves "optimal"
            try:
                self.optimal.value = False
            finally:
                self._quiet = False
        self.update()

    def _defaults(self) -> dict[widgets.Widget, Any]:
        """Each control's value for the client's own assumptions (percentages in percent)."""
        a = self.base
        return {self.ftes: a.collector_ftes if a.collector_ftes is not None else self._needed(self.case),
                self.salary: a.collector_salary, self.fee: 100 * lever_value(a, "agency_fee_pct", self._book),
                self.in_scale: a.in_house_recovery_scale, self.ag_scale: a.agency_recovery_scale,
                self.rate: 100 * a.capital_rate, self.relationship: 100 * a.relationship_cost_share,
                self.optimal: True}

    def _reset(self, group: Any = None) -> None:
        """Back to the client's assumptions: the controls of ``group`` (a name of :attr:`groups`),
        or every control (the "Reset" button passes itself); then one update."""
        controls = self.groups[group] if isinstance(group, str) else tuple(c for g in self.groups.values() for c in g)
        defaults = self._defaults()
        self._quiet = True
        try:
            for control in controls:
                if control in defaults:
                    control.value = defaults[control]
            self._fee_moved = self._fee_moved and self.fee not in controls
            self._ftes_moved = self._ftes_moved and self.ftes not in controls
        finally:
            self._quiet = False
        self.update()

    def _save(self, _button: Any = None) -> None:
        name = self.name.value.strip()
        scenario = Scenario(name=name, costs=scenario_costs(self.assumptions(), self.base),
                            handoff_day=self.handoff_day(), as_of=f"{self.case.as_of:%Y-%m-%d}")
        try:
            path = save_scenario(self.client_dir, scenario)
        except ArassessError as exc:  # the client folder by its name: no server path on the page
            said = str(exc).replace(str(self.client_dir), self.client_dir.name)
            self.status.value = f'<span style="color:#b00">Not saved: {html.escape(said)}</span>'
            return
        folder = self.client_dir.name
        self.status.value = (f'<span data-saved="{html.escape(str(path))}">Saved scenario “{html.escape(name)}” '
                             f"in the client folder {html.escape(folder)} "
                             f"({html.escape(path.relative_to(self.client_dir).as_posix())}); re-run it with "
                             f"<code>arassess run costs {html.escape(folder)} --scenario {html.escape(name)}</code> "
                             "from the folder the dashboards are served from</span>")


def cost_dashboard(case: CostCase, client_dir: str | Path) -> widgets.Widget:
    """The dashboard widget for notebook 02 (display it under Voila)."""
    return CostDashboard(case, client_dir).widget
