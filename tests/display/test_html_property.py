"""For any string in a text field of the inputs, the HTML the project writes around it has exactly the
elements and attributes of its template: the string is text, never markup (HTML, or Markdown that
would become HTML: emphasis, links, headings, lists).

Each renderer is run twice — once with a plain word, once with the generated string — and the two
outputs must have the same elements with the same attribute names, and the generated string must be
found as text where the plain word was. The renderers are the ones every output goes through:
Markdown items (nbconvert's renderer, as the notebooks' HTML copies use it), table items (pandas
Styler), the report's table blocks and the report and letter templates (Jinja2, autoescaped).
"""

from __future__ import annotations

import dataclasses
import html
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from arassess.assessment.findings import Finding
from arassess.assessment.sections import findings_section
from arassess.display import items as display_items
from arassess.display.items import Table, block, literal, md, table

PLAIN = "Plainword"
HOSTILE_PIECES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "*em*", "**b**", "_u_",
                  "[link](http://x.test)", "![i](x.png)", "# head", "- item", "1. item", "> quote", "`code`",
                  "<http://x.test>", "http://x.test", "www.x.test", "&amp;", "&lt;b&gt;", "\\", "|a|b|",
                  "---", "~~s~~", '" onmouseover="x', "' onfocus='x", "\u202e", "\u200b"]
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30),
    st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=4).map(" ".join),
    st.tuples(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
              st.sampled_from(HOSTILE_PIECES)).map("".join),
).filter(lambda s: s.strip() != "")


class _Shape(HTMLParser):
    """The elements (tag and sorted attribute names, in order) and the text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, tuple[str, ...]]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, tuple(sorted(name for name, _ in attrs))))
        self._in_style = tag == "style"  # a table's CSS (with its random id) is not text

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.text.append(data)


def shape(fragment: str) -> tuple[list[tuple[str, tuple[str, ...]]], str]:
    parser = _Shape()
    parser.feed(fragment)
    parser.close()
    return parser.elements, "".join(parser.text)


def same_shape(render, value: str) -> None:
    """``render(value)`` has the elements of ``render(PLAIN)``, and its text is the plain one with
    the value in the word's place (whitespace runs compared as one space)."""
    plain_elements, plain_text = shape(render(PLAIN))
    elements, text = shape(render(value))
    assert elements == plain_elements, (value, elements, plain_elements)
    assert " ".join(text.split()) == " ".join(plain_text.replace(PLAIN, value).split()), (value, text)


def markdown_html(item) -> str:
    """A Markdown item as the notebooks' HTML copies render it."""
    return markdown2html_mistune(item.data)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(TEXT)
def test_a_value_in_a_markdown_sentence_is_text(value):
    """The titles and sentences that carry a client value (client and customer names, file labels)."""
    same_shape(lambda v: markdown_html(md(f"# {literal(v)}: assessment of the collection process")), value)
    same_shape(lambda v: markdown_html(md(f"Input: **a full ledger** from {literal(v)}, checked.")), value)
    same_shape(lambda v: markdown_html(md(f"- {literal(v)}\n- second note")), value)


@SETTINGS
@given(TEXT)
def test_a_finding_that_names_a_customer_is_text(value):
    finding = Finding(key="concentration", text="placeholder", value=1.0, unit="%", severity="high", area="dso")

    def render(v: str) -> str:
        shown = findings_section(_with_findings([dataclasses.replace(finding, text=f"Most overdue AR: {v}.")]))
        return markdown_html(display_items.shown(shown[0]))

    same_shape(render, value)


@SETTINGS
@given(TEXT)
def test_a_value_in_a_table_is_text(value):
    frame = lambda v: pd.DataFrame({"customer_name": [v, "Other"], "amount": [1234.5, 10.0]})  # noqa: E731
    same_shape(lambda v: table(frame(v)).to_html(), value)
    same_shape(lambda v: block(Table(frame(v)))["html"], value)


def test_the_shape_check_can_fail():
    with pytest.raises(AssertionError):
        same_shape(lambda v: f"<p>{v}</p>", "<b>x</b>")                     # raw HTML
    with pytest.raises(AssertionError):
        same_shape(lambda v: markdown_html(md(f"# {v}")), "*em* and [a](http://x.test)")  # raw Markdown
    same_shape(lambda v: f"<p>{html.escape(v)}</p>", "<b>x</b>")           # escaped: the same shape


class _Assessment:
    """Just what findings_section reads."""

    def __init__(self, findings):
        self.findings = findings


def _with_findings(findings):
    return _Assessment(findings)
