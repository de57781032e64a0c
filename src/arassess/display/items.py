"""The items a section is made of, and their three renderers: the helpers every wing's sections use.

A section builder returns typed, neutral items — :class:`Text`, :class:`Heading`, :class:`Bullets`,
:class:`Table`, :class:`Figure` — that say what is shown, not how. Each is rendered by one of
three functions: :func:`shown` for the notebook (IPython display objects, which the HTML export
keeps), :func:`block` for the HTML/PDF reports (the blocks ``templates/report/*.html.j2`` lay out)
and :func:`bundle` for a dashboard's widget outputs. The older helpers :func:`md`, :func:`table` and
:func:`figure_image` build the notebook's objects directly. :class:`SectionRegistry` keeps a
notebook's sections in order and heads each with its numbered title.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Union

import pandas as pd
from IPython.core.formatters import format_display_data
from IPython.display import Markdown
from matplotlib.figure import Figure as MplFigure
from pandas.io.formats.style import Styler

from arassess.display.format import is_missing, status_text, unsigned_zero
from arassess.display.style import STATUS_STYLE, data_uri, png_bytes
from arassess.errors import ArgumentError


def figure_alt(fig: MplFigure, caption: str = "") -> str:
    """The words standing for a chart (its alt text): the caption, else the figure's title, else
    its first axes' title, else 'Chart'."""
    titles = [caption, fig._suptitle.get_text() if fig._suptitle is not None else "",
              *(ax.get_title() for ax in fig.axes)]
    return next((" ".join(t.split()) for t in titles if t and t.strip()), "Chart")


@dataclass(frozen=True, repr=False)
class AltImage:
    """A PNG with its alt text: Jupyter front ends show the HTML ``<img alt=…>`` (screen readers
    read the alt), anything that takes only images falls back to the PNG, and plain text shows
    the alt (not the bytes' repr, which would carry the image a third time at twice its size)."""

    png: bytes
    alt: str

    def __repr__(self) -> str:
        return f"Chart: {self.alt}"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        encoded = base64.b64encode(self.png).decode("ascii")
        return {"image/png": encoded,
                "text/html": f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(self.alt)}">'}


def figure_image(fig: MplFigure, caption: str = "") -> AltImage:
    """A matplotlib figure as an embeddable PNG image with its alt text (:func:`figure_alt`)."""
    return AltImage(png_bytes(fig), figure_alt(fig, caption))


def md(value: str) -> Markdown:
    """A text item: Markdown whose words are text, never markup. HTML's special characters are
    escaped, so a client, customer or file value such as ``<script>…`` or ``A & B`` shows as typed in
    the notebook, its HTML copy and the dashboards (the sentences' own **bold** and `code` work)."""
    return Markdown(html.escape(value, quote=False))


# ASCII punctuation Markdown may read as syntax; <, > and & are left to md()'s HTML escaping
_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])""")


def literal(value: str) -> str:
    """A client value (a client or customer name, an id, a file label) to put into an md() sentence:
    its Markdown punctuation backslash-escaped and its line breaks made spaces, so '*Acme*' is not
    emphasis, '[x](y)' not a link and a line '# x' not a heading — the value shows as typed."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(value).splitlines()))


def escaped(styler: Styler) -> Styler:
    """``styler`` with every cell, row label and column label shown as text, never markup (client
    data in a table). A later ``format`` call replaces the cell formatters of every column it
    covers (a dict covers them all), so it must pass ``escape="html"`` itself."""
    return (styler.format(escape="html")
            .format_index(escape="html", axis=0).format_index(escape="html", axis=1))


def _whole(value: float) -> str:
    return f"{unsigned_zero(value, 0):,.0f}"


def _cents(value: float) -> str:
    return f"{unsigned_zero(value, 2):,.2f}"


def table(frame: pd.DataFrame, index: bool = False, escape: bool = True, money: Iterable[str] = ()) -> Any:
    """A table for display: thousands separators, 2 decimals for fractional numbers, the ``money``
    columns in whole currency units (as every dashboard and the report show money), dates as
    YYYY-MM-DD, the row index hidden unless it carries labels; text cells and labels escaped
    (``escape=False`` only for a frame whose text is already escaped, e.g. the report's)."""
    styler = escaped(frame.style) if escape else frame.style
    formats: dict[str, Any] = {}
    whole_units = set(money)
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            continue
        if column in whole_units and pd.api.types.is_numeric_dtype(values):
            formats[column] = _whole
        elif pd.api.types.is_integer_dtype(values):
            formats[column] = "{}" if column == "row" else "{:,}"  # file row numbers stay as in the file
        elif pd.api.types.is_float_dtype(values):
            whole = values.dropna().eq(values.dropna().round()).all()
            formats[column] = _whole if whole else _cents
        elif pd.api.types.is_datetime64_any_dtype(values):
            formats[column] = lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d}"
    styler = styler.format(formats, na_rep="", escape="html" if escape else None)
    return styler if index else styler.hide(axis="index")


class SectionRegistry(Mapping[str, Callable[..., list[Any]]]):
    """A notebook's sections in order, each written once as (name, title, builder): a mapping of
    name → builder, with the titles numbered from the order ("3. Aging")."""

    def __init__(self, *sections: tuple[str, str, Callable[..., list[Any]]]) -> None:
        self._builders = {name: builder for name, _title, builder in sections}
        self.titles: dict[str, str] = {name: f"{i}. {title}" for i, (name, title, _b) in enumerate(sections, start=1)}

    def __getitem__(self, name: str) -> Callable[..., list[Any]]:
        try:
            return self._builders[name]
        except KeyError:
            raise ArgumentError(f"unknown section {name!r}; valid: {', '.join(self._builders)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)

    def titled(self, subject: Any, name: str, *args: Any) -> list[Any]:
        """The notebook objects of section ``name`` built from ``subject`` (and ``args``), headed by
        its title (ArgumentError listing the valid names for an unknown one)."""
        builder = self[name]
        return [md(f"## {self.titles[name]}"), *(shown(item) for item in builder(subject, *args))]


def display_bundle(item: Any) -> dict[str, Any]:
    """An object as a Jupyter display_data output (what display() would send). Binary data
    (a figure's PNG bytes) is base64 text, as the notebook format and the widget front end
    expect: raw bytes in ``Output.outputs`` show as a broken image."""
    if isinstance(item, MplFigure):
        item = figure_image(item)  # with its alt text
    data, metadata = format_display_data(item)
    data = {mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
            for mime, value in data.items()}
    return {"output_type": "display_data", "data": data, "metadata": metadata}


# --- typed items and their three renderers --------------------------------------------------

KEEP_TOGETHER_ROWS = 15  # a report table of at most this many rows is never split across pages


@dataclass(frozen=True)
class Text:
    """A paragraph written for people. Markdown ``**bold**`` and `` `code` `` work in the notebook;
    the report prints the words plainly (backticks dropped). Client values go in through :func:`literal`."""
    text: str


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (the section's own numbered title comes from its registry)."""
    text: str


@dataclass(frozen=True)
class Bullets:
    """A list of short lines, numbered when ``numbered``."""
    lines: tuple[str, ...]
    numbered: bool = False

    def __init__(self, lines: Any, numbered: bool = False) -> None:
        object.__setattr__(self, "lines", tuple(lines))
        object.__setattr__(self, "numbered", numbered)


@dataclass(frozen=True)
class Table:
    """A labelled frame to show as a table (the row index only when ``index``). Cells are formatted
    and escaped by the renderers; numbers are right-aligned. Optional roles of columns: ``left``
    text aligned left, ``right`` text aligned right (values such as '45.2 days'), ``status`` the
    column of status words (display.format.STATUS_WORDS) whose cells are also coloured, ``notes``
    small wrapped notes, ``money`` amounts shown in whole currency units (an invoice's cents stay
    in the Excel worklist and the exports); ``caption`` a line above the table."""
    frame: pd.DataFrame
    index: bool = False
    left: tuple[str, ...] = field(default=())
    right: tuple[str, ...] = field(default=())
    status: str | None = None
    notes: tuple[str, ...] = field(default=())
    caption: str = ""
    money: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Figure:
    """A matplotlib chart with its caption (the report prints the caption; it is the image's alt text)."""
    figure: MplFigure
    caption: str = ""


Item = Union[Text, Heading, Bullets, Table, Figure]


def _styled(item: Table, escape: bool = True) -> Styler:
    """The table's Styler: formatted and escaped cells (:func:`table`), then the column roles."""
    styler = table(item.frame, index=item.index, escape=escape, money=item.money)
    columns = set(item.frame.columns)

    def present(names: tuple[str, ...]) -> list[str]:
        return [c for c in names if c in columns]

    if left := present(item.left):
        styler = styler.set_properties(subset=left, **{"text-align": "left"})
    if right := present(item.right):
        styler = (styler.set_properties(subset=right, **{"text-align": "right"})
                  .set_table_styles({c: [{"selector": "th", "props": "text-align: right;"}] for c in right},
                                    overwrite=False))
    if item.status in columns:
        by_word = {status_text(s): css for s, css in STATUS_STYLE.items()}
        styler = styler.map(lambda word: by_word.get(word, ""), subset=[item.status])
    if notes := present(item.notes):
        styler = styler.set_properties(subset=notes, **{"white-space": "normal", "max-width": "28em",
                                                        "font-size": "90%", "color": "#555555"})
    return styler.set_caption(item.caption) if item.caption else styler


def shown(item: Item) -> Any:
    """Renderer 1, the notebook: the IPython object to display (Markdown, a Styler or a PNG image)."""
    if isinstance(item, Text):
        return md(item.text)
    if isinstance(item, Heading):
        return md(f"### {item.text}")
    if isinstance(item, Bullets):
        marks = (f"{i}." for i in range(1, len(item.lines) + 1)) if item.numbered else ("-" for _ in item.lines)
        return md("\n".join(f"{mark} {line}" for mark, line in zip(marks, item.lines)))
    if isinstance(item, Table):
        return _styled(item)
    if isinstance(item, Figure):
        return figure_image(item.figure, item.caption)
    raise ArgumentError(f"not a section item: {type(item).__name__}")


_MARK = re.compile(r"(?<!\\)(\*\*|`)")  # bold and code marks not escaped by literal()
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash-escaped ASCII punctuation character


def plain(text: str) -> str:
    """An item's Markdown sentence as the report's plain text: ``**`` and backticks dropped, the
    punctuation :func:`literal` escaped shown as typed (the report template escapes the HTML)."""
    return _ESCAPED.sub(r"\1", _MARK.sub("", text))


def report_table(item: Table) -> str:
    """A table as report HTML: text cells HTML-escaped (a missing one is '—'), numbers formatted and
    right-aligned; a short table (≤ KEEP_TOGETHER_ROWS rows) is kept on one page."""
    safe = item.frame.copy()
    for column in safe.columns:
        values = safe[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
            safe[column] = values.map(lambda v: "—" if is_missing(v) else html.escape(str(v)))
    if item.index:
        safe.index = [html.escape(str(i)) for i in safe.index]
    numeric = [c for c in safe.columns if pd.api.types.is_numeric_dtype(safe[c])]
    styler = _styled(Table(safe, item.index, item.left, money=item.money), escape=False)
    body = styler.set_properties(subset=numeric, **{"text-align": "right"}).to_html()
    if len(item.frame) <= KEEP_TOGETHER_ROWS:
        body = f'<div style="break-inside: avoid">{body}</div>'
    return body


def block(item: Item | dict[str, Any]) -> dict[str, Any]:
    """Renderer 2, the HTML/PDF reports: the block the report templates lay out. A dict is a
    report-only block already (the headline cards, the recommendation box) and passes unchanged."""
    if isinstance(item, dict):
        return item
    if isinstance(item, Text):
        return {"kind": "text", "text": plain(item.text)}
    if isinstance(item, Heading):
        return {"kind": "heading", "text": item.text}
    if isinstance(item, Bullets):
        return {"kind": "numbered" if item.numbered else "list", "items": [plain(line) for line in item.lines]}
    if isinstance(item, Table):
        return {"kind": "table", "html": report_table(item)}
    if isinstance(item, Figure):
        return {"kind": "figure", "src": data_uri(png_bytes(item.figure)), "caption": item.caption}
    raise ArgumentError(f"not a section item: {type(item).__name__}")


def bundle(item: Item) -> dict[str, Any]:
    """Renderer 3, the dashboards: the item as a widget output (a Jupyter display_data dict)."""
    return display_bundle(shown(item))
