"""Report sections of the assessment: each returns the items to show, in order.

An item is Markdown text, a table (DataFrame or Styler) or a chart (a PNG
image made from a matplotlib figure), so the same sections serve the
notebook (``display(*section(a, "aging"))``), Voila and the HTML export.
Nothing is displayed or printed here.
"""

from __future__ import annotations

import io
from typing import Any, Callable

import pandas as pd
from IPython.display import Image, Markdown
from matplotlib.figure import Figure

from arassess import charts
from arassess.assessment import Assessment
from arassess.scorecard import format_value

PNG_DPI = 150


def figure_image(fig: Figure) -> Image:
    """A matplotlib figure as an embeddable PNG image."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
    return Image(data=buffer.getvalue(), format="png")


def _money(a: Assessment, value: float) -> str:
    return format_value(value, "currency", a.currency)


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


def data_section(a: Assessment) -> list[Any]:
    """Control totals, rejected rows, date coverage, which KPIs the data supports."""
    q = a.ledger.quality
    shape = "a full ledger" if a.ledger.shape == "ledger" else "an open-items export (open items only)"
    items: list[Any] = [Markdown(f"Input: **{shape}**. Control totals: rows and amounts read = accepted + rejected."),
                        table(q.totals_frame())]
    rejected = sum(t.rows_rejected for t in q.totals)
    if rejected:
        items += [Markdown(f"**{rejected:,} row(s) rejected** — first problems (full list: "
                           f"`arassess validate {a.config.root} --export problems.csv`):"),
                  table(q.problems.head(15))]
    if q.notes:
        items.append(Markdown("\n".join(f"- {n}" for n in q.notes)))
    items += [Markdown("Date coverage:"), table(a.coverage)]
    missing = a.availability[~a.availability["available"]]
    if len(missing):
        items += [Markdown(f"{len(missing)} KPI(s) cannot be computed from this data:"),
                  table(missing[["kpi", "reason", "provided_by"]])]
    else:
        items.append(Markdown("Every KPI can be computed from this data."))
    return items


def scorecard_section(a: Assessment) -> list[Any]:
    return [Markdown(f"KPIs at {a.as_of:%Y-%m-%d}, window {a.window_days} days, amounts in {a.currency}; "
                     "benchmarks are B2B rules of thumb."),
            charts.scorecard_styler(a.scorecard, a.currency)]


def aging_section(a: Assessment) -> list[Any]:
    items: list[Any] = [figure_image(charts.aging_chart(a.aging, a.currency))]
    if len(a.aging_by_segment) > 1:
        items.append(figure_image(charts.aging_by_segment_chart(a.aging_by_segment, a.currency)))
    items += [figure_image(charts.top_customers_chart(a.top_customers, a.currency)), table(a.top_customers)]
    return items


def trends_section(a: Assessment) -> list[Any]:
    if a.series is None:
        return [Markdown("Trends need the sales history of a full ledger; an open-items export has none.")]
    items: list[Any] = [figure_image(charts.dso_trend_chart(a.series.values)),
                        figure_image(charts.collection_trend_chart(a.series.values))]
    if a.seasonality:
        items.insert(0, Markdown(f"**Note:** {a.seasonality}"))
    return items


def _dispute_rows(a: Assessment) -> pd.DataFrame:
    """The dispute summary with each value written in its unit."""
    rows = a.disputes.table()

    def written(value: Any, unit: str) -> str:
        if value is None or value != value:
            return "n/a"
        if unit == "count":
            return f"{value:,.0f}"
        return format_value(float(value), unit, a.currency)

    return rows.assign(value=[written(v, u) for v, u in zip(rows["value"], rows["unit"])]).drop(columns="unit")


def behaviour_section(a: Assessment) -> list[Any]:
    if a.settled is None:
        items: list[Any] = [Markdown("Payment behaviour needs paid dates or payments; "
                                     "an open-items export has none.")]
        if a.disputes is not None and a.disputes.available:
            items += [Markdown("Disputes open at the export date:"), table(_dispute_rows(a))]
        return items
    items = [figure_image(charts.distribution_chart(a.settled))]
    if a.segment_behaviour is not None and len(a.segment_behaviour):
        items += [figure_image(charts.segment_behaviour_chart(a.segment_behaviour)),
                  table(a.segment_behaviour, index=True)]
    if a.disputes is not None:
        items += [Markdown("Disputes:"), table(_dispute_rows(a))]
    if a.rolls is not None:
        forecast = a.table.value("expected_write_off", a.as_of)
        items += [figure_image(charts.roll_rate_chart(a.rolls)),
                  Markdown(f"Expected write-off of today's AR from 6-month roll rates: "
                           f"**{_money(a, forecast)}**" if forecast == forecast else
                           f"Expected write-off: n/a ({a.table.reason('expected_write_off', a.as_of)})")]
    return items


def maturity_section(a: Assessment) -> list[Any]:
    m = a.maturity
    if m is None:
        return [Markdown("No questionnaire answers in client.yaml (section `questionnaire:`).")]
    if m.overall != m.overall:  # NaN: nothing answered
        return [Markdown(f"Process maturity not assessed: {m.reason}")]
    weakest = ", ".join(m.weakest_labels)
    return [Markdown(f"Overall maturity **{m.overall:.1f} / 4 ({m.level})**; weakest areas: {weakest}."),
            figure_image(charts.maturity_chart(m.areas)), table(m.areas)]


def findings_section(a: Assessment) -> list[Any]:
    if not a.findings:
        return [Markdown("No findings.")]
    lines = [f"{i}. **{f.text}** ({f.severity})" for i, f in enumerate(a.findings, start=1)]
    return [Markdown("\n".join(lines))]


SECTIONS: dict[str, Callable[[Assessment], list[Any]]] = {
    "data": data_section,
    "scorecard": scorecard_section,
    "aging": aging_section,
    "trends": trends_section,
    "behaviour": behaviour_section,
    "maturity": maturity_section,
    "findings": findings_section,
}


SECTION_TITLES: dict[str, str] = {
    "data": "1. Data received",
    "scorecard": "2. KPI scorecard",
    "aging": "3. Aging",
    "trends": "4. Trends",
    "behaviour": "5. Payment behaviour",
    "maturity": "6. Process maturity",
    "findings": "7. Findings",
}


def titled_section(sections: dict[str, Callable[[Any], list[Any]]], titles: dict[str, str],
                   subject: Any, name: str) -> list[Any]:
    """The items of section ``name`` of a report's ``sections``, headed by its title
    (ValueError listing the valid names for an unknown one)."""
    try:
        builder = sections[name]
    except KeyError:
        raise ValueError(f"unknown section {name!r}; valid: {', '.join(sections)}") from None
    return [Markdown(f"## {titles[name]}"), *builder(subject)]


def section(a: Assessment, name: str) -> list[Any]:
    """The items of section ``name`` (one of SECTIONS), headed by its title."""
    return titled_section(SECTIONS, SECTION_TITLES, a, name)


def title(a: Assessment) -> Markdown:
    """The report's heading."""
    return Markdown(f"# {a.config.name}: assessment of the collection process at {a.as_of:%d %B %Y}")
