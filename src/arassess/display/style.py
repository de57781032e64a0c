"""The look of every chart, defined once: sizes, fonts, the colour-blind-safe
Okabe–Ito palette, money axes, and small helpers the charts share.

Nothing here touches matplotlib's global state (no pyplot, no rcParams).
"""

from __future__ import annotations

import base64
import io
import re
from typing import Iterable, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

# --- style ------------------------------------------------------------------------------

FIGSIZE = (8.0, 4.0)  # inches: fits A4 width with the fonts below ≥ 9 pt when printed
DPI = 100
FONT = 10
SMALL = 9
TITLE = 12
ROW_HEIGHT = 0.38  # inches per bar of a horizontal bar chart
MIN_HEIGHT = 2.6  # inches: a bar chart of one or two rows
# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, YELLOW, BLACK, GREY = "#56B4E9", "#CC79A7", "#F0E442", "#000000", "#7F7F7F"
SERIES = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, BLACK)
MARKERS = ("o", "s", "^", "D", "v", "P", "X")  # shapes too, so lines survive grey printing
CURRENT_COLOUR = BLUE  # "Current" = not yet due
OVERDUE_CMAP = "YlOrBr"  # sequential warm colours, darker as age grows
OVERDUE_RANGE = (0.35, 0.9)
GOOD, BAD = GREEN, VERMILLION
STATUS_STYLE = {"good": "background-color: #C7EBDD; color: #00573F",  # light bluish green
                "bad": "background-color: #F7D5BF; color: #7A3300"}  # light vermillion
#: The consultancy's colours when client.yaml ``branding:`` sets none (report, letters, dashboards).
DEFAULT_COLORS = {"primary_color": "#1B3A5C", "accent_color": "#E07B24"}
BRAND_COLOR = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?")  # what a branding colour may be: #rgb or #rrggbb
MATURITY_LEVELS = ("Initial", "Developing", "Defined", "Managed", "Optimised")  # templates/questionnaire.yaml
MATURITY_GAP_BELOW = 2.0  # areas scoring under "Defined" are gaps
MONEY_TICKS = 5  # at most this many intervals on a money axis
NAME_CHARS = 30  # longer customer names are shortened
HIST_MAX_BINS = 40
HIST_QUANTILE = 0.99  # a histogram with a long tail (max > HIST_TAIL × this quantile) stops at the quantile
HIST_TAIL = 1.5  # and notes how many values lie beyond


#: Money label units, largest first: (divisor, suffix); a value uses the largest unit it reaches.
_MONEY_UNITS = ((1e9, "bn"), (1e6, "M"), (1e3, "k"), (1.0, ""))
MONEY_DECIMALS = {"bn": 2, "M": 2, "k": 0, "": 0}  # at most this many decimals in money()
MAX_TICK_DECIMALS = 3  # a tick step finer than this (in the tick's unit) is not spelled out


def _money_label(value: float, currency: str, decimals: dict[str, int]) -> str:
    """``value`` in its unit (bn, M, k or none) with at most ``decimals[suffix]`` decimals,
    trailing zeros stripped, then the currency; the unit is the largest one the *rounded* value
    reaches (999,999 → '1M', not '1,000k'); anything that rounds to zero is '0'."""
    if value is None or not np.isfinite(value):
        return "n/a"
    size = abs(value)
    for i, (unit, suffix) in enumerate(_MONEY_UNITS):
        if unit == 1.0 or size >= unit:
            break
        smaller, smaller_suffix = _MONEY_UNITS[i + 1]
        if round(size / smaller, decimals[smaller_suffix]) >= 1000:
            break
    text = f"{value / unit:,.{decimals[suffix]}f}"
    if "." in text:
        text = text.rstrip("0").removesuffix(".")
    if text.lstrip("-") == "0":
        return "0"
    return f"{text}{suffix}" + (f" {currency}" if currency else "")


def money(value: float, currency: str = "") -> str:
    """A compact money label: millions and billions with up to 2 decimals (trailing zeros
    stripped), thousands and below whole: 1,050,000 → '1.05M EUR', 1,000,000 → '1M EUR',
    250,000 → '250k EUR', 0 → '0'."""
    return _money_label(value, currency, MONEY_DECIMALS)


def step_decimals(step: float) -> int:
    """The fewest decimals (up to :data:`MAX_TICK_DECIMALS`) that spell out ``step`` exactly."""
    for d in range(MAX_TICK_DECIMALS + 1):
        if abs(round(step, d) - step) <= 1e-6 * abs(step):
            return d
    return MAX_TICK_DECIMALS


class MoneyFormatter(Formatter):
    """Tick formatter for money axes: the labels of :func:`money`, with more decimals where the
    tick step needs them, so that two ticks never read the same (a 50k step at 1M gives '1M',
    '1.05M', '1.1M', not '1M', '1M', '1.1M'). Before any ticks are set it labels as :func:`money`."""

    def __init__(self, currency: str = ""):
        self.currency = currency
        self.decimals = dict(MONEY_DECIMALS)

    def set_locs(self, locs) -> None:
        """Called with the tick values before they are labelled: decimals from the smallest step."""
        super().set_locs(locs)
        values = np.unique(np.asarray([v for v in locs if np.isfinite(v)], dtype=float))
        steps = np.diff(values)
        steps = steps[steps > 0]
        self.decimals = dict(MONEY_DECIMALS)
        if len(steps):
            step = float(steps.min())
            for unit, suffix in _MONEY_UNITS:
                self.decimals[suffix] = max(MONEY_DECIMALS[suffix], step_decimals(step / unit))

    def __call__(self, value: float, pos: int | None = None) -> str:
        return _money_label(value, self.currency, self.decimals)


def money_formatter(currency: str) -> MoneyFormatter:
    """Tick formatter for money axes ('1.2M EUR', '1.05M EUR' at a 50k step)."""
    return MoneyFormatter(currency)


def money_axis(axis, currency: str) -> None:
    """Few, round ticks labelled '1.2M EUR' (longer labels need fewer ticks); as many decimals as
    the step needs, so adjacent ticks never read the same."""
    axis.set_major_locator(MaxNLocator(nbins=MONEY_TICKS, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(money_formatter(currency))


def bucket_colours(labels: Sequence[str]) -> list[str]:
    """Blue for "Current", then sequential warm colours for the overdue buckets in order."""
    cmap = matplotlib.colormaps[OVERDUE_CMAP]
    overdue = [label for label in labels if label != "Current"]
    shades = iter(np.linspace(*OVERDUE_RANGE, num=max(len(overdue), 2)))
    return [CURRENT_COLOUR if label == "Current" else matplotlib.colors.to_hex(cmap(next(shades)))
            for label in labels]


PNG_DPI = 150  # figures embedded in reports and sections


def png_bytes(fig: Figure, dpi: int = PNG_DPI, tight: bool = True) -> bytes:
    """The figure as PNG bytes: the one encoder of every chart shown or embedded (``tight`` crops
    the white margin, as reports and sections do)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, **({"bbox_inches": "tight"} if tight else {}))
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """``data:<mime>;base64,...``: an image embedded in a self-contained HTML file."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


class ChartFigure(Figure):
    """A Figure that shows itself in Jupyter as PNG without pyplot (a bare Figure shows as text)."""

    def _repr_png_(self) -> bytes:
        return png_bytes(self, dpi=DPI, tight=False)


def new_figure(height: float = FIGSIZE[1], width: float = FIGSIZE[0]) -> Figure:
    return ChartFigure(figsize=(width, height), dpi=DPI, layout="constrained")


def style_axes(ax: Axes, title: str, xlabel: str = "", ylabel: str = "", grid: str = "y") -> None:
    ax.set_title(title, fontsize=TITLE, loc="left")
    ax.set_xlabel(xlabel, fontsize=FONT)
    ax.set_ylabel(ylabel, fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    ax.spines[["top", "right"]].set_visible(False)
    if grid:
        ax.grid(axis=grid, color="#DDDDDD", linewidth=0.8)
        ax.set_axisbelow(True)


def legend(ax: Axes, **kwargs) -> None:
    ax.legend(fontsize=SMALL, frameon=False, **kwargs)


def legend_below(fig: Figure, ncols: int, **kwargs) -> None:
    """The figure's legend in a row under the plots (constrained layout makes room)."""
    fig.legend(loc="outside lower center", ncols=ncols, fontsize=SMALL, frameon=False, **kwargs)


def shared_legend_below(fig: Figure, axes: Iterable[Axes]) -> None:
    """One legend under the plots for small multiples: each label once, from the first axis using it."""
    handles: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    legend_below(fig, ncols=max(len(handles), 1), handles=list(handles.values()), labels=list(handles))


def no_data_figure(title: str, reason: str) -> Figure:
    """A figure saying "no data: <reason>" in place of a chart."""
    fig = new_figure()
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontsize=TITLE, loc="left")
    ax.text(0.5, 0.5, f"no data: {reason}", ha="center", va="center", fontsize=FONT + 1, color=GREY,
            wrap=True, transform=ax.transAxes)
    return fig


def as_percent(values: pd.Series) -> pd.Series:
    """Shares as % (0–100): fractions (every value within 0–1) are scaled by 100."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    return v * 100 if v.notna().any() and v.dropna().between(0, 1).all() else v


def missing_columns(frame: pd.DataFrame, columns: Sequence[str]) -> str | None:
    absent = [c for c in columns if c not in frame.columns]
    return f"missing column(s) {', '.join(absent)}" if absent else None


def count_axis(axis) -> None:
    """Whole-number ticks with thousands separators (invoice counts)."""
    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def shorten(text: object, size: int = NAME_CHARS) -> str:
    text = str(text)
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


# --- aging ------------------------------------------------------------------------------
