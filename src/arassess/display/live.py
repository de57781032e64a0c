"""Widgets a background thread changes, made sure to reach a page that was still loading.

The dashboards show their answer at once and fill in the rest (later sections, break-evens,
charts) from a background thread. A page learns its widgets' states in two steps: it asks the
kernel for a snapshot of every widget, then creates a model for each, one after the other. An
update the kernel sends between the snapshot and the creation of the model it names is dropped by
the page (no model is listening yet), and nothing sends it again: the page keeps the snapshot's
state for good, e.g. without the sections that arrived in that gap. Measured on this stack
(ipywidgets 8 under Voila 0.5, ipykernel 7): with one widget changed every 0.2 s from a thread
while a page loaded, one update in about forty was lost in three page loads out of eight; with each
change sent again 2 s later, none in six.

:func:`resend_later` sends the widgets' whole current state again a little later. A page that has
it already changes nothing (the front end compares the state and finds nothing new, so nothing is
drawn again); a page that dropped an update catches up.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol, Sequence

#: Seconds after the fill's last change at which its widgets are sent again: once when a normally
#: loading page has created its models, once more for a page loading on a busy machine.
RESEND_AFTER_S: tuple[float, ...] = (2.0, 10.0)


class SendsState(Protocol):
    """What :func:`resend_later` needs of a widget (``ipywidgets.Widget.send_state``)."""

    def send_state(self) -> None: ...


def resend_later(widgets: Sequence[SendsState], still_current: Callable[[], bool],
                 delays: Sequence[float] = RESEND_AFTER_S) -> threading.Thread:
    """Send each widget's whole state again ``delays`` seconds from now (each counted from the
    call), skipping the rest once ``still_current()`` is false (a newer render has begun and sends
    its own). Runs in a daemon thread (it only sends messages, so it never holds a kernel's exit);
    a failed send (the kernel shutting down) ends it quietly. Returns the thread."""
    def run() -> None:
        waited = 0.0
        for at in sorted(delays):
            time.sleep(max(0.0, at - waited))
            waited = at
            if not still_current():
                return
            try:
                for widget in widgets:
                    widget.send_state()
            except Exception:  # noqa: BLE001 - the page is gone or the kernel is stopping
                return

    thread = threading.Thread(target=run, name="arassess-resend", daemon=True)
    thread.start()
    return thread


__all__ = ["RESEND_AFTER_S", "resend_later"]
