"""arassess.display.live: what a background thread changed is sent again, for a page still loading."""

from __future__ import annotations

import threading

import ipywidgets as widgets

from arassess.display.items import display_bundle, figure_image
from arassess.display.live import resend_later
from arassess.display.style import new_figure


class Recorder:
    """A widget stand-in that records when its state was sent."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def send_state(self) -> None:
        self.log.append(self.name)


def test_each_widget_is_sent_again_at_each_delay_while_the_render_is_current():
    log: list[str] = []
    resend_later([Recorder(log, "a"), Recorder(log, "b")], lambda: True, delays=(0.01, 0.02)).join(2)
    assert log == ["a", "b", "a", "b"]


def test_a_newer_render_stops_the_resend():
    log: list[str] = []
    current = threading.Event()
    current.set()

    class Once(Recorder):
        def send_state(self) -> None:
            super().send_state()
            current.clear()  # a newer render begins right after the first resend

    resend_later([Once(log, "a")], current.is_set, delays=(0.01, 0.02, 0.03)).join(2)
    assert log == ["a"]
    log.clear()
    resend_later([Recorder(log, "a")], lambda: False, delays=(0.01,)).join(2)
    assert log == []


def test_a_failed_send_ends_the_thread_quietly_and_real_widgets_can_be_resent():
    class Gone:
        def send_state(self) -> None:
            raise RuntimeError("kernel stopping")

    thread = resend_later([Gone()], lambda: True, delays=(0.0, 0.01))
    thread.join(2)
    assert not thread.is_alive() and thread.daemon
    resend_later([widgets.HTML("x"), widgets.Output()], lambda: True, delays=(0.0,)).join(2)  # no kernel: no-op


def test_a_chart_is_sent_as_png_and_html_and_its_plain_text_is_its_alt_not_its_bytes():
    fig = new_figure(2, 4)
    ax = fig.subplots()
    ax.plot([1, 2], [3, 4])
    ax.set_title("Aging by bucket")
    data = display_bundle(figure_image(fig))["data"]
    assert data["text/plain"] == "Chart: Aging by bucket"
    assert set(data) == {"text/plain", "image/png", "text/html"}
    assert len(data["text/html"]) < len(data["image/png"]) + 200
