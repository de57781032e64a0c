"""The items a section is made of, and how they are shown: the helpers every wing's sections use.

A section is a list of items: Markdown text, a table (a pandas Styler from :func:`table`) or a
chart (a PNG :class:`~IPython.display.Image` from :func:`figure_image`). The notebook displays
them, the dashboards set them as widget outputs (:func:`display_bundle`), the HTML export keeps
them; :class:`SectionRegistry` keeps a notebook's sections in order and heads each with its numbered title.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any, Callable, Iterator, Mapping

import pandas as pd
from IPython.core.formatters import format_display_data
from IPython.display import Image, Markdown
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from arassess.display.format import unsigned_zero
from arassess.display.style import png_bytes
from arassess.errors import ArgumentError


def figure_image(fig: Figure) -> Image:
    """A matplotlib figure as an embeddable PNG image."""
    return Image(data=png_bytes(fig), format="png")


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


def table(frame: pd.DataFrame, index: bool = False, escape: bool = True) -> Any:
    """A table for display: thousands separators, 2 decimals for fractional numbers, dates
    as YYYY-MM-DD, the row index hidden unless it carries labels; text cells and labels escaped
    (``escape=False`` only for a frame whose text is already escaped, e.g. the report's)."""
    styler = escaped(frame.style) if escape else frame.style
    formats: dict[str, Any] = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_integer_dtype(values):
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
        """The items of section ``name`` built from ``subject`` (and ``args``), headed by its title
        (ArgumentError listing the valid names for an unknown one)."""
        builder = self[name]
        return [md(f"## {self.titles[name]}"), *builder(subject, *args)]


def display_bundle(item: Any) -> dict[str, Any]:
    """An object as a Jupyter display_data output (what display() would send). Binary data
    (a figure's PNG bytes) is base64 text, as the notebook format and the widget front end
    expect: raw bytes in ``Output.outputs`` show as a broken image."""
    data, metadata = format_display_data(item)
    data = {mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
            for mime, value in data.items()}
    return {"output_type": "display_data", "data": data, "metadata": metadata}
