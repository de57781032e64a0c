"""The typed section items and their three renderers: the notebook (IPython objects), the reports
(template blocks) and the dashboards (widget outputs) show the same item."""

from __future__ import annotations

import base64

import pandas as pd
import pytest
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from arassess.display.format import status_text
from arassess.display.items import (
    AltImage,
    Bullets,
    Figure,
    Heading,
    Table,
    Text,
    block,
    bundle,
    display_bundle,
    figure_image,
    literal,
    plain,
    shown,
)
from arassess.display.style import STATUS_STYLE, new_figure
from arassess.errors import ArgumentError


def test_text_is_markdown_in_the_notebook_and_plain_words_in_the_report():
    customer = literal("*Acme* [x](y) 5\\3")
    item = Text(f"**3 customers** owe more; see `client.yaml`; top: {customer}.")
    notebook = shown(item)
    assert isinstance(notebook, Markdown) and notebook.data.startswith("**3 customers**")
    assert block(item) == {"kind": "text",
                           "text": "3 customers owe more; see client.yaml; top: *Acme* [x](y) 5\\3."}


def test_bullets_are_a_list_or_numbered_in_both_renderers():
    assert shown(Bullets(["one", "two"])).data == "- one\n- two"
    assert shown(Bullets(("one", "two"), numbered=True)).data == "1. one\n2. two"
    assert block(Bullets(["a", "b"], numbered=True)) == {"kind": "numbered", "items": ["a", "b"]}
    assert block(Bullets(iter(["**a**"]))) == {"kind": "list", "items": ["a"]}
    assert Bullets(["a"]) == Bullets(("a",))  # the lines are kept as a tuple


def test_heading_renders_as_a_sub_heading():
    assert shown(Heading("Findings")).data == "### Findings"
    assert block(Heading("Findings")) == {"kind": "heading", "text": "Findings"}


def test_a_table_is_formatted_escaped_and_styled_by_its_column_roles():
    frame = pd.DataFrame({"KPI": ["<b>DSO</b>", "CEI"], "Value": ["45.2 days", "82.1%"],
                          "Status": [status_text("bad"), status_text("good")], "Amount": [1234.0, 0.0]})
    item = Table(frame, left=("KPI",), right=("Value",), status="Status", caption="Scorecard")
    styler = shown(item)
    assert isinstance(styler, Styler)
    html = styler.to_html()
    assert "&lt;b&gt;DSO&lt;/b&gt;" in html and "<b>DSO</b>" not in html
    assert "1,234" in html and "Scorecard" in html
    for css in STATUS_STYLE.values():
        assert css.split(";")[0] in html  # each status cell coloured by its word
    report = block(item)
    assert report["kind"] == "table" and "&lt;b&gt;DSO&lt;/b&gt;" in report["html"]
    assert 'break-inside: avoid' in report["html"]  # a short table is kept on one page
    assert "text-align: right" in report["html"]


def test_a_long_report_table_may_break_across_pages():
    long = Table(pd.DataFrame({"n": range(40)}))
    assert "break-inside" not in block(long)["html"]


def test_a_figure_is_a_png_in_all_three_renderers():
    fig = new_figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    item = Figure(fig, "A line")
    image = shown(item)
    assert isinstance(image, AltImage) and image.alt == "A line"  # the caption is the chart's alt text
    report = block(item)
    assert report["caption"] == "A line" and report["src"].startswith("data:image/png;base64,")
    output = bundle(item)
    assert output["output_type"] == "display_data"
    assert base64.b64decode(output["data"]["image/png"]).startswith(b"\x89PNG")
    assert output["data"]["text/html"].endswith('alt="A line">')  # what Jupyter front ends show


def test_a_chart_without_a_caption_is_named_by_its_title():
    fig = new_figure()
    ax = fig.add_subplot()
    ax.set_title("DSO <trend> & target")
    assert figure_image(fig).alt == "DSO <trend> & target"
    assert 'alt="DSO &lt;trend&gt; &amp; target"' in display_bundle(fig)["data"]["text/html"]
    assert figure_image(new_figure()).alt == "Chart"


def test_the_widget_renderer_sends_what_the_notebook_shows():
    assert bundle(Text("**x**"))["data"]["text/markdown"] == "**x**"


def test_report_only_blocks_pass_and_anything_else_is_refused():
    headline = {"kind": "headline", "items": []}
    assert block(headline) is headline
    with pytest.raises(ArgumentError, match="not a section item: str"):
        shown("text")
    with pytest.raises(ArgumentError, match="not a section item: int"):
        block(3)


def test_plain_keeps_escaped_marks_as_typed():
    assert plain(literal("a**b**`c`")) == "a**b**`c`"
    assert plain("**bold** and `code`") == "bold and code"
