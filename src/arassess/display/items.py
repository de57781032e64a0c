"""The items a section is made of, and how they are shown: the helpers every wing's sections use.

A section is a list of items: Markdown text, a table (a pandas Styler from :func:`table`) or a
chart (a PNG :class:`~IPython.display.Image` from :func:`figure_image`). The notebook displays
them, the dashboards set them as widget outputs (:func:`display_bundle`), the HTML export keeps
them; :class:`SectionRegistry` keeps a notebook's sections in order and heads each with its numbered title.
"""

from __future__ import annotations

import base64
from typing import Any, Callable, Iterator, Mapping

import pandas as pd
from IPython.core.formatters import format_display_data
from IPython.display import Image, Markdown
from matplotlib.figure import Figure

from arassess.display.style import png_bytes
from arassess.errors import ArgumentError


def figure_image(fig: Figure) -> Image:
    """A matplotlib figure as an embeddable PNG image."""
    return Image(data=png_bytes(fig), format="png")


def table(frame: pd.DataFrame, index: bool = False) -> Any:
    """A table for display: thousands separators, 2 decimals for fractional numbers, dates
    as YYYY-MM-DD, the row index hidden unless it carries labels."""
    styler = frame.style
    formats: dict[str, Any] = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_integer_dtype(values):
            formats[column] = "{}" if column == "row" else "{:,}"  # file row numbers stay as in the file
        elif pd.api.types.is_float_dtype(values):
            whole = values.dropna().eq(values.dropna().round()).all()
            formats[column] = "{:,.0f}" if whole else "{:,.2f}"
        elif pd.api.types.is_datetime64_any_dtype(values):
            formats[column] = lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d}"
    styler = styler.format(formats, na_rep="")
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
        return [Markdown(f"## {self.titles[name]}"), *builder(subject, *args)]


def display_bundle(item: Any) -> dict[str, Any]:
    """An object as a Jupyter display_data output (what display() would send). Binary data
    (a figure's PNG bytes) is base64 text, as the notebook format and the widget front end
    expect: raw bytes in ``Output.outputs`` show as a broken image."""
    data, metadata = format_display_data(item)
    data = {mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
            for mime, value in data.items()}
    return {"output_type": "display_data", "data": data, "metadata": metadata}
