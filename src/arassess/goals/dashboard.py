"""The goals dashboard of notebook 03 under Voila: edit targets, deadlines and owners, see the cash
effect and the glide paths update, save to the client's ``goals.yaml``.

One row per goal: the KPI and its baseline, the target, the deadline, the owner role, and the
goal's cash effect (or, for a goal that cannot stand, the validation message — a target worse than
the baseline, a deadline not after the assessment date). Every change re-validates, rewrites the
cash texts and the goals table, and redraws the chart. "Save goals" writes every goal to
``<client>/goals.yaml`` (:func:`arassess.goals.store.save_goals`: the previous file is first kept as
``goals.<YYYYmmdd-HHMMSS>.yaml``); it refuses while any goal is invalid. Outputs are set on the
Output widget directly (``outputs = ...``), not captured with ``with output:`` (that stalls Voila).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import time
from typing import Any

import ipywidgets as widgets
import pandas as pd

from arassess.display.cards import cards_html
from arassess.display.format import format_value
from arassess.display.items import display_bundle, figure_image, table
from arassess.errors import ArassessError, ConfigError
from arassess.goals.case import GoalsCase
from arassess.goals.model import Goal
from arassess.goals.sections import cash_table, display_table, goal_cards, goal_cash_text
from arassess.goals.store import GOALS_FILE, save_goals_with_backup
from arassess.goals.targets import validate_goal
from arassess.serving import timing_text

EDITED = "goals dashboard"  # the source of a goal changed here and not yet saved
_ERROR = "color:#b00"


class GoalRow:
    """The controls of one goal."""

    def __init__(self, goal: Goal, currency: str) -> None:
        self.goal = goal
        baseline = format_value(goal.baseline, goal.unit, currency)
        better = "higher" if goal.higher_is_better else "lower"
        self.label = widgets.HTML(f"<b>{html.escape(goal.label)}</b><br><small>baseline {html.escape(baseline)}"
                                  f" ({better} is better)</small>", layout=widgets.Layout(width="16em"))
        self.target = widgets.FloatText(value=round(goal.target, 4), step=0.1, description="Target",
                                        style={"description_width": "4em"}, layout=widgets.Layout(width="11em"))
        self.target.add_class(f"arassess-target-{goal.key}")
        self.deadline = widgets.DatePicker(value=pd.Timestamp(goal.deadline).date(), description="Deadline",
                                           style={"description_width": "5em"}, layout=widgets.Layout(width="15em"))
        self.deadline.add_class(f"arassess-deadline-{goal.key}")
        self.owner = widgets.Text(value=goal.owner, description="Owner", style={"description_width": "4em"},
                                  layout=widgets.Layout(width="20em"))
        self.owner.add_class(f"arassess-owner-{goal.key}")
        self.cash = widgets.HTML()
        self.cash.add_class(f"arassess-cash-{goal.key}")
        self.widget = widgets.VBox([widgets.HBox([self.label, self.target, self.deadline, self.owner]), self.cash],
                                   layout=widgets.Layout(margin="0 0 0.8em 0"))

    def edited(self) -> Goal | None:
        """The goal with the controls' values (source EDITED when anything changed); None without a deadline."""
        if self.deadline.value is None:
            return None
        fields = {"target": float(self.target.value), "deadline": pd.Timestamp(self.deadline.value),
                  "owner": str(self.owner.value).strip()}
        same = (fields["target"] == round(self.goal.target, 4) and fields["deadline"] == self.goal.deadline
                and fields["owner"] == self.goal.owner)
        return self.goal if same else dataclasses.replace(self.goal, **fields, source=EDITED)


class GoalsDashboard:
    """Goal rows + save + status + goals table + cash table + chart; ``widget`` is what the notebook shows."""

    def __init__(self, case: GoalsCase) -> None:
        self.case = case
        self.rows = {g.key: GoalRow(g, case.currency) for g in case.goals}
        self.save = widgets.Button(description="Save goals", icon="save", button_style="primary")
        self.save.add_class("arassess-save-goals")
        self.status = widgets.HTML()
        self.status.add_class("arassess-status")
        self.table = widgets.HTML()
        self.table.add_class("arassess-goals-table")
        self.cash_table = widgets.HTML()
        self.cash_table.add_class("arassess-cash-table")
        self.chart = widgets.Output()
        self.headline = widgets.HTML()
        self.headline.add_class("arassess-headline")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in case.notes)
        head = (f"<h2>{html.escape(case.client)}: goals from {case.as_of:%d %B %Y}</h2>")
        edit = ("<h3>Edit the goals</h3><p>Change a target, deadline or owner: the cards, the cash effect and "
                f"the glide paths follow. “Save goals” writes them to {GOALS_FILE} in the client folder "
                "(the previous file is kept).</p>" + (f"<ul>{notes}</ul>" if notes else ""))
        rows = [r.widget for r in self.rows.values()] or [widgets.HTML("<p>No goal can be set from this data.</p>")]
        # the goals at a glance first (the report's cards), then the editing rows, then the detail
        self.widget = widgets.VBox([widgets.HTML(head), self.headline, widgets.HTML(edit), *rows,
                                    widgets.HBox([self.save]), self.status, self.chart, self.table, self.cash_table])
        for row in self.rows.values():
            for control in (row.target, row.deadline, row.owner):
                control.observe(self._changed, names="value")
        self.save.on_click(self._save)
        self.update()

    # --- state ------------------------------------------------------------------------------
    def goals(self) -> tuple[list[Goal], dict[str, str]]:
        """The goals as edited, and the validation message of each goal that cannot stand."""
        goals, errors = [], {}
        for key, row in self.rows.items():
            goal = row.edited()
            if goal is None:
                errors[key] = "Pick a deadline."
                continue
            try:
                validate_goal(goal, self.case.as_of, {f: EDITED for f in ("target", "deadline", "owner")}
                              if goal.source == EDITED else None)
            except ConfigError as exc:
                errors[key] = str(exc)
                continue
            goals.append(goal)
        return goals, errors

    # --- rendering ---------------------------------------------------------------------------
    def update(self) -> None:
        """Re-validate, rewrite the cash texts and tables, redraw the chart (valid goals only)."""
        started = time.perf_counter()
        goals, errors = self.goals()
        valid = {g.key: g for g in goals}
        for key, row in self.rows.items():
            if key in errors:
                row.cash.value = f'<span style="{_ERROR}" data-error="1">{html.escape(errors[key])}</span>'
            else:
                row.cash.value = f"<small>{html.escape(goal_cash_text(self.case, valid[key]))}</small>"
        rows = self.case.table(goals)
        self.headline.value = cards_html(goal_cards(self.case, goals)) if goals else ""
        self.table.value = table(display_table(rows, self.case.currency)).to_html() if goals else ""
        self.cash_table.value = table(cash_table(rows, self.case.currency)).to_html() if goals else ""
        # a PNG Image (base64 text), not the Figure: a Figure's PNG is bytes, which Voila shows as a broken image
        self.chart.outputs = (display_bundle(figure_image(self.case.chart(goals))),) if goals else ()
        self.save.disabled = bool(errors) or not self.rows
        ms = (time.perf_counter() - started) * 1000
        state = (f'<span style="{_ERROR}">{len(errors)} goal(s) need attention before saving</span>' if errors
                 else "ready to save")
        self.status.value = f'<span data-ms="{ms:.0f}">Updated{timing_text(f" in {ms:,.0f} ms")}: {state}.</span>'

    # --- events ------------------------------------------------------------------------------
    def _changed(self, _change: Any = None) -> None:
        self.update()

    def _save(self, _button: Any = None, now: dt.datetime | None = None) -> None:
        goals, errors = self.goals()
        if errors:
            self.status.value = (f'<span style="{_ERROR}">Not saved: {html.escape(" ".join(errors.values()))}'
                                 "</span>")
            return
        try:
            path, backup = save_goals_with_backup(self.case.client_dir, goals, as_of=self.case.as_of, now=now)
        except (ArassessError, OSError) as exc:
            said = str(exc).replace(str(self.case.client_dir), self.case.client_dir.name)
            self.status.value = f'<span style="{_ERROR}">Not saved: {html.escape(said)}</span>'
            return
        for goal in goals:  # what is on screen is now what goals.yaml says
            self.rows[goal.key].goal = dataclasses.replace(goal, source=GOALS_FILE)
        self.update()
        kept = f"; the previous file is kept as {html.escape(backup.name)}" if backup else ""
        # the client folder by its name: no server path on the page
        self.status.value = (f'<span data-saved="{html.escape(str(path))}">Saved {len(goals)} goal(s) to '
                             f"{html.escape(path.name)} in the client folder {html.escape(path.parent.name)}{kept}. "
                             "The next run of notebooks 03 and 04 uses them.</span>")


def goals_dashboard(case: GoalsCase) -> widgets.Widget:
    """The dashboard widget for notebook 03 (display it under Voila)."""
    return GoalsDashboard(case).widget
