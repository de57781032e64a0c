"""Headline cards: every text is escaped, the status is said in words as well as colour, the figure
is marked for scripts, and a row of cards wraps instead of scrolling."""

from __future__ import annotations

from html.parser import HTMLParser

from arassess.display.cards import STATUS_COLOURS, Card, card_html, cards, cards_html


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    return parser


def test_client_text_on_a_card_stays_text():
    hostile = '<img src=x onerror="alert(1)">'
    card = Card(hostile, hostile, hostile, hostile, status="bad", status_text=hostile, key='k"><script>')
    shown = parsed(card_html(card))
    assert set(shown.tags) == {"div", "b", "span"}           # only the card's own elements
    assert "".join(shown.text).count(hostile) == 5           # each text shown as typed
    assert '"><script>' not in card_html(card)


def test_a_card_says_its_status_in_words_and_colour():
    html = card_html(Card("DSO", "59.3", "days", "benchmark: 34 days", status="bad", status_text="✖ needs attention",
                          key="dso"))
    assert '<span data-kpi="dso">59.3</span>' in html
    assert f"color:{STATUS_COLOURS['bad']};font-weight:bold\">✖ needs attention<" in html
    plain = card_html(Card("Worklist", "759", "invoices"))
    assert "arassess-card-status" not in plain and "data-kpi" not in plain  # no status, no mark: none shown


def test_a_row_of_cards_wraps_and_displays_in_a_notebook():
    row = cards_html([Card("A", "1"), Card("B", "2")])
    assert row.count('class="arassess-kpi"') == 2 and "flex-wrap:wrap" in row
    assert cards([Card("A", "1")]).data == cards_html([Card("A", "1")])
