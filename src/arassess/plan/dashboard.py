"""The action-status form of notebook 04 under Voila: record what became of an action of the plan
(planned, started, done, dropped; the day; a note) in the client's ``actions.yaml``.

Picking an action fills the form with what the log records for it. "Save status" writes it with
:func:`arassess.plan.store.save_action_status` (the previous file is first kept as
``actions.<YYYYmmdd-HHMMSS>.yaml``) and redraws the status table; what the log refuses (a dropped
action without its reason, a status without a day) is shown as the log's own message and nothing is
written. Outputs are set on the widgets directly, as in the goals dashboard.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as widgets
import pandas as pd

from arassess.display.items import Table, shown
from arassess.errors import ArassessError
from arassess.plan import tables as plantables
from arassess.plan.case import PlanCase
from arassess.plan.sections import status_counts
from arassess.plan.store import ACTIONS_FILE, STATUSES, read_action_log, save_action_status

_ERROR = "color:#b00"


class ActionForm:
    """Action picker, status, day, note, save button, status line and the status table."""

    def __init__(self, pc: PlanCase) -> None:
        self.pc = pc
        self.folder = pc.assessment.config.root
        plan = pc.plan
        options = [(f"{title} (due {pd.Timestamp(due):%d %b %Y})", str(action))
                   for title, due, action in zip(plan["title"], plan["due"], plan["id"])]
        self.action = widgets.Dropdown(options=options, description="Action", style={"description_width": "5em"},
                                       layout=widgets.Layout(width="40em"))
        self.action.add_class("arassess-action")
        self.status = widgets.Dropdown(options=list(STATUSES), description="Status",
                                       style={"description_width": "5em"}, layout=widgets.Layout(width="16em"))
        self.status.add_class("arassess-action-status")
        self.date = widgets.DatePicker(description="Since", style={"description_width": "4em"},
                                       layout=widgets.Layout(width="15em"))
        self.date.add_class("arassess-action-date")
        self.note = widgets.Text(description="Note", placeholder="what was done, or why it was dropped",
                                 style={"description_width": "4em"}, layout=widgets.Layout(width="40em"))
        self.note.add_class("arassess-action-note")
        self.save = widgets.Button(description="Save status", icon="save", button_style="primary",
                                   disabled=not options)
        self.save.add_class("arassess-save-action")
        self.message = widgets.HTML()
        self.message.add_class("arassess-action-message")
        self.table = widgets.HTML()
        self.table.add_class("arassess-action-log")
        head = (f"<p>Record what became of an action: “Save status” writes it to {ACTIONS_FILE} in the client "
                "folder (the previous file is kept). The monthly review takes done and dropped actions off its "
                "late list; a dropped action needs its reason in the note.</p>")
        self.widget = widgets.VBox([widgets.HTML(head), self.action, widgets.HBox([self.status, self.date]),
                                    self.note, widgets.HBox([self.save]), self.message, self.table])
        self.action.observe(self._picked, names="value")
        self.save.on_click(self._save)
        self._picked()
        self.redraw()

    def redraw(self) -> None:
        """The status table and its counts, from the action log as it is now."""
        try:
            log = read_action_log(self.folder)
        except ArassessError as exc:
            self.table.value = f'<span style="{_ERROR}">{html.escape(str(exc))}</span>'
            return
        table = plantables.status_table(self.pc.plan, log)
        self.table.value = (f"<p>{html.escape(status_counts(table))}.</p>"
                            + shown(Table(table, left=("Action", "Id", "Status", "Note"))).to_html())

    def _picked(self, _change: Any = None) -> None:
        """Fill the form with what the log records for the chosen action (planned, today, '' when nothing)."""
        try:
            entry = read_action_log(self.folder).get(str(self.action.value))
        except ArassessError:
            entry = None
        self.status.value = entry.status if entry else "done"
        self.date.value = (entry.date.date() if entry and entry.date is not None else dt.date.today())
        self.note.value = entry.note if entry else ""

    def _save(self, _button: Any = None, now: dt.datetime | None = None) -> None:
        action, status = str(self.action.value), str(self.status.value)
        try:
            path, backup = save_action_status(self.folder, action, status, self.date.value,
                                              str(self.note.value).strip(), now=now)
        except (ArassessError, OSError) as exc:
            self.message.value = f'<span style="{_ERROR}" data-error="1">Not saved: {html.escape(str(exc))}</span>'
            return
        kept = f"; the previous file is kept as {html.escape(backup.name)}" if backup else ""
        self.message.value = (f'<span data-saved="{html.escape(str(path))}">Saved: {html.escape(action)} is '
                              f"{html.escape(status)} in {html.escape(path.name)}{kept}.</span>")
        self.redraw()


def action_form(pc: PlanCase) -> widgets.Widget:
    """The action-status form for notebook 04 (display it under Voila)."""
    return ActionForm(pc).widget
