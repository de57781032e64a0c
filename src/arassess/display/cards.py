"""Headline cards, the report's executive-summary look on every dashboard: a label, the figure in
large type with its unit, a line of context (the benchmark, the baseline, what is overdue) and a
status in words and colour (never colour alone).

One renderer for every dashboard; each wing says what its cards hold (assessment: the KPIs; goals:
each goal; action plan: the actions and the worklist; monthly review: the goals' progress). Every
text is escaped here: client data is text, never markup.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable

from IPython.display import HTML

from arassess.display.style import DEFAULT_COLORS

#: Status colours of a card (text on white meets WCAG AA contrast); the status is also in words.
STATUS_COLOURS = {"good": "#1d6b3a", "bad": "#a32020", "neutral": "#4a5563"}
PRIMARY = DEFAULT_COLORS["primary_color"]
MUTED = "#4a5563"


@dataclass(frozen=True)
class Card:
    """One headline card. ``figure`` is already formatted (display.format); ``status`` is a key of
    STATUS_COLOURS and ``status_text`` its words; ``key`` marks the figure (``data-kpi``) for tests
    and scripts."""

    label: str
    figure: str
    unit: str = ""
    note: str = ""
    status: str = ""
    status_text: str = ""
    key: str = ""


def card_html(card: Card) -> str:
    """One card as HTML (every text escaped)."""
    figure = html.escape(card.figure)
    if card.key:
        figure = f'<span data-kpi="{html.escape(card.key)}">{figure}</span>'
    status = ""
    if card.status_text:
        colour = STATUS_COLOURS.get(card.status, MUTED)
        status = (f'<div class="arassess-card-status" style="color:{colour};font-weight:bold">'
                  f"{html.escape(card.status_text)}</div>")
    unit = f' <span style="color:{MUTED}">{html.escape(card.unit)}</span>' if card.unit else ""
    return (f'<div class="arassess-kpi" style="flex:1 1 12em;max-width:28em;border:1px solid #c5ced9;'
            f'border-top:4px solid {PRIMARY};border-radius:6px;padding:.6em .8em;background:#fff">'
            f'<div style="color:{MUTED}">{html.escape(card.label)}</div>'
            f'<div><b style="font-size:1.6em;color:{PRIMARY}">{figure}</b>{unit}</div>'
            f'<div style="color:{MUTED};font-size:.85em">{html.escape(card.note)}</div>{status}</div>')


def cards_html(cards: Iterable[Card]) -> str:
    """A row of cards that wraps on a narrow screen (no horizontal scrolling)."""
    return ('<div class="arassess-cards" style="display:flex;flex-wrap:wrap;gap:.8em;margin:.5em 0 1em">'
            + "".join(card_html(c) for c in cards) + "</div>")


def cards(items: Iterable[Card]) -> HTML:
    """The cards as a notebook display object (notebooks and Voila pages without widgets)."""
    return HTML(cards_html(items))


__all__ = ["Card", "STATUS_COLOURS", "card_html", "cards", "cards_html"]
