"""How values read, defined once: money, KPI values in their unit, the benchmark cell, and the words
for a KPI's status against its benchmark, shared by the notebooks, dashboards, report and the CLI.
(Charts' compact axis labels, '1.2M EUR', are :func:`arassess.display.style.money`.)"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

#: A KPI's status against its benchmark (kpi.registry.Kpi.status) in words, with a mark so the
#: status never rests on colour alone.
STATUS_WORDS = {"good": "within benchmark", "bad": "needs attention"}
STATUS_MARKS = {"good": "✔", "bad": "✖"}


def is_missing(value: Any) -> bool:
    """Whether a single value is missing (None, NaN, NaT, pd.NA); a list-like value is not."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def day_text(value: Any) -> str:
    """A date as people read it in a report, '24 Nov 2026', that never wraps inside a table cell
    (non-breaking spaces); '—' when missing."""
    return "—" if is_missing(value) else f"{pd.Timestamp(value):%d %b %Y}".replace(" ", "\u00a0")


def unsigned_zero(value: float, decimals: int = 0) -> float:
    """``value``, or 0.0 when it shows as zero at ``decimals`` places: one rule for zero, so a
    float residue of an empty book never reads "-0" or "-0.0%"."""
    return 0.0 if round(value, decimals) == 0 else value


def money_text(value: float | None, currency: str = "", *, cents: bool = False) -> str:
    """Money as people read it, written here only: whole units with thousands separators and the
    currency ('1,234,567 EUR'), or with cents and no currency when ``cents`` (letters:
    '1,234.50'); 'n/a' when missing or not finite; a value that rounds to zero has no sign."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    places = 2 if cents else 0
    text = f"{unsigned_zero(float(value), places):,.{places}f}"
    return f"{text} {currency}" if currency else text


def format_value(value: float, unit: str, currency: str) -> str:
    """A KPI value as a person reads it: '1,234,567 EUR', '45.2 days', '82.1%', '6.40x' (a value
    that rounds to zero is written without a sign)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "currency":
        return money_text(value, currency)
    if unit == "days":
        return f"{unsigned_zero(value, 1):,.1f} days"
    if unit == "%":
        return f"{unsigned_zero(value, 1):.1f}%"
    if unit == "x":
        return f"{unsigned_zero(value, 2):.2f}x"
    return f"{unsigned_zero(value, 2):,.2f}"


def status_text(status: str) -> str:
    """'✔ within benchmark', '✖ needs attention', or '' for a KPI without a benchmark or value."""
    if status not in STATUS_WORDS:
        return ""
    return f"{STATUS_MARKS[status]} {STATUS_WORDS[status]}"


def benchmark_cell(benchmark: float | None, unit: str, better: str | None, currency: str) -> str:
    """The benchmark as a target to meet: '≤ 45.0 days', '≥ 80.0%'; '' without one. ``better`` is
    "higher" or "lower" (the scorecard's column)."""
    if benchmark is None or pd.isna(benchmark) or not better:
        return ""
    return ("≥ " if better == "higher" else "≤ ") + format_value(benchmark, unit, currency)


#: Decimals a KPI value of each unit is shown with (format_value); a change rounds the same way.
UNIT_DECIMALS = {"currency": 0, "days": 1, "%": 1, "x": 2}


def change_text(value: float | None, unit: str, currency: str) -> str:
    """A change of a KPI with its sign, written here only: percentage points for rates ('-1.7 pp'),
    the KPI's own unit otherwise ('+4.3 days', '+234,567 EUR'); a change that shows as zero has
    no sign ('0.0 days'); 'n/a' when unknown."""
    if value is None or not math.isfinite(float(value)):
        return "n/a"
    value = float(value)
    zero = round(value, UNIT_DECIMALS.get(unit, 2)) == 0
    size = f"{0.0 if zero else abs(value):.1f} pp" if unit == "%" else format_value(0.0 if zero else abs(value),
                                                                                  unit, currency)
    return size if zero else ("+" if value > 0 else "-") + size
