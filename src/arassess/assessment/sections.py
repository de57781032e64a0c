"""Report sections of the assessment: each returns the items to show, in order.

An item is Markdown text, a table (DataFrame or Styler) or a chart (a PNG
image made from a matplotlib figure), so the same sections serve the
notebook (``display(*section(a, "aging"))``), Voila and the HTML export.
Nothing is displayed or printed here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from IPython.display import Markdown

from arassess.assessment import charts
from arassess.assessment.case import Assessment
from arassess.display.format import format_value, money_text
from arassess.display.items import Figure, Item, SectionRegistry, Table, Text, literal, md
from arassess.forecast import charts as forecastcharts
from arassess.forecast import model as forecastmodel
from arassess.forecast import tables as forecasttables
from arassess.legal import tables as legaltables
from arassess.risk import charts as riskcharts
from arassess.risk import tables as risktables


def data_section(a: Assessment) -> list[Item]:
    """Control totals, rejected rows, date coverage, which KPIs the data supports."""
    q = a.ledger.quality
    shape = "a full ledger" if a.ledger.shape == "ledger" else "an open-items export (open items only)"
    items: list[Item] = [Text(f"Input: **{shape}**. Control totals: rows and amounts read = accepted + rejected."),
                        Table(q.totals_frame())]
    rejected = sum(t.rows_rejected for t in q.totals)
    if rejected:
        items += [Text(f"**{rejected:,} row(s) rejected** — first problems (full list: "
                           f"`arassess validate` of the client folder {literal(a.config.root.name)} with "
                           "`--export problems.csv`):"),
                  Table(q.problems.head(15))]
    if a.notes:
        items.append(Text("\n".join(f"- {literal(n)}" for n in a.notes)))
    items += [Text("Date coverage:"), Table(a.coverage)]
    missing = a.availability[~a.availability["available"]]
    if len(missing):
        items += [Text(f"{len(missing)} KPI(s) cannot be computed from this data:"),
                  Table(missing[["kpi", "reason", "provided_by"]])]
    else:
        items.append(Text("Every KPI can be computed from this data."))
    return items


def scorecard_section(a: Assessment) -> list[Item]:
    return [Text(f"KPIs at {a.as_of:%Y-%m-%d}, window {a.window_days} days, amounts in {a.currency}; "
                     "benchmarks are B2B rules of thumb."),
            charts.scorecard_item(a.scorecard, a.currency)]


def top_customers_table(a: Assessment) -> Table:
    """The customers holding the most overdue AR, as people read them: money in whole units of the
    client's currency, shares in % with one decimal."""
    t = a.top_customers
    overdue = f"Overdue ({a.currency})"
    frame = pd.DataFrame({
        "Customer": t["customer_name"], "Segment": t["segment"], overdue: t["overdue_amount"].astype(float),
        "Share of overdue": [f"{v:.1f}%" for v in t["share"]],
        "Cumulative share": [f"{v:.1f}%" for v in t["cumulative_share"]],
        "Invoices": t["invoices"], "Oldest (days past due)": t["oldest_days_past_due"]})
    return Table(frame, money=(overdue,), right=("Share of overdue", "Cumulative share"))


def aging_section(a: Assessment) -> list[Item]:
    items: list[Item] = [Figure(charts.aging_chart(a.aging, a.currency))]
    if len(a.aging_by_segment) > 1:
        items.append(Figure(charts.aging_by_segment_chart(a.aging_by_segment, a.currency)))
    items += [Figure(charts.top_customers_chart(a.top_customers, a.currency)), top_customers_table(a)]
    return items


def trends_section(a: Assessment) -> list[Item]:
    if a.series is None:
        return [Text("Trends need the sales history of a full ledger; an open-items export has none.")]
    levels = {k: b.value for k, b in a.benchmarks.items()}
    items: list[Item] = [Figure(charts.dso_trend_chart(a.series.values, levels)),
                        Figure(charts.collection_trend_chart(a.series.values, levels))]
    if a.seasonality:
        items.insert(0, Text(f"**Note:** {a.seasonality}"))
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


def behaviour_section(a: Assessment) -> list[Item]:
    if a.settled is None:
        items: list[Item] = [Text("Payment behaviour needs paid dates or payments; "
                                     "an open-items export has none.")]
        if a.disputes is not None and a.disputes.available:
            items += [Text("Disputes open at the export date:"), Table(_dispute_rows(a))]
        return items
    items = [Figure(charts.distribution_chart(a.settled))]
    if a.segment_behaviour is not None and len(a.segment_behaviour):
        items += [Figure(charts.segment_behaviour_chart(
                      a.segment_behaviour, a.benchmarks["on_time_rate"].value if "on_time_rate" in a.benchmarks else None)),
                  Table(a.segment_behaviour, index=True)]
    if a.disputes is not None:
        items += [Text("Disputes:"), Table(_dispute_rows(a))]
    if a.rolls is not None:
        forecast = a.table.value("expected_write_off", a.as_of)
        items += [Figure(charts.roll_rate_chart(a.rolls)),
                  Text(f"Expected write-off of today's AR from 6-month roll rates: "
                           f"**{money_text(forecast, a.currency)}**" if forecast == forecast else
                           f"Expected write-off: n/a ({a.table.reason('expected_write_off', a.as_of)})")]
    return items


def risk_section(a: Assessment) -> list[Item]:
    """Late-payment risk: the decision (model or baseline) with its evidence, the calibration and
    score charts, the customers per band and the riskiest customers (:mod:`arassess.risk.model`)."""
    r = a.risk
    if not r.available:
        return [Text(f"Risk scores are not available: {r.reason.rstrip('.')}.")]
    s, sp = r.settings, r.split
    high = r.high_risk()
    lines = [
        f"**Late** means paid more than {s.threshold_days} days after the due date; an open invoice already "
        f"more than {s.threshold_days} days past due counts as late (probability 100%). The predictors learn "
        + (f"from a seeded random sample of {sp['history_rows']:,} of the {sp['history_rows_available']:,} invoices "
           f"with a known outcome (a larger history is sampled to risk.max_history_rows, set in client.yaml), "
           f"due " if sp.get("sampled") else
           f"from {sp['history_rows']:,} invoices with a known outcome, due ")
        + f"{sp['first_due']:%Y-%m-%d} to "
        f"{sp['last_due']:%Y-%m-%d}: trained on what was known at the cut-off {sp['cutoff']:%Y-%m-%d} "
        f"({sp['train_rows']:,} invoices, {sp['train_late_share']:.0%} late) and tested on the "
        f"{sp['test_rows']:,} invoices due after it ({sp['test_late_share']:.0%} late).",
        f"{r.reason} The scores at {r.as_of:%Y-%m-%d} use the **{r.model_name}**"
        + (" model." if r.used == "model" else ".")
        + (f" Its AUC gain over the baseline on the same test invoices: 95% lower bound "
           f"{sp['auc_gain_low']:+.3f} (paired bootstrap)." if sp.get("auc_gain_low") == sp.get("auc_gain_low") else ""),
        "AUC: the chance that a late invoice gets a higher probability than one paid on time (0.5 = a coin "
        "toss, 1 = perfect). Brier: the mean squared error of the probabilities (lower is better).",
    ]
    items: list[Item] = [Text("\n\n".join(lines)), Table(risktables.validation_table(r.validation)),
                        Figure(riskcharts.calibration_chart(r.calibration, r.validation))]
    if len(r.age_check):
        items += [Text("An invoice still unpaid some days after its due date is likelier to end up late than a "
                           "new one, so each open invoice's probability is updated for its age (Bayes' rule with "
                           "the customer's own payment timing). The update checked on the test period:"),
                  Table(risktables.age_table(r.age_check))]
    items += [Text(f"A customer's **score** is the share of its open balance expected to be paid late; band high "
                       f"from {s.high_from:.0%}, low below {s.low_below:.0%}. **{len(high):,} customer"
                       f"{' is' if len(high) == 1 else 's are'} high risk**, owing "
                       f"{money_text(float(high['open_amount'].sum()), a.currency)}."),
              Figure(riskcharts.score_distribution_chart(r.customers, s.low_below, s.high_from, a.currency,
                                                             s.threshold_days)),
              Table(risktables.band_table(r.band_counts(), a.currency))]
    if len(r.customers):
        left = risktables.customer_text_columns(a.currency)
        items += [Text(f"The {min(risktables.TOP_CUSTOMERS, len(r.customers))} customers with the highest scores "
                     "(drivers: what raises the score most, each beside its typical value; the report lists "
                     "the customers with the most expected to be paid late instead):"),
                  Table(risktables.customer_table(r.customers, a.currency), left=left)]
    items.append(Text(f"Fitted and validated in {r.fit_seconds:.1f} s."))
    return items


def forecast_section(a: Assessment) -> list[Item]:
    """Cash in the next 13 weeks: what is shown and why (the backtest's verdict), the weekly chart with
    the band and the due-date baseline, the backtest against what came in, and the tables."""
    f = a.forecast
    cur = a.currency
    weeks4 = float(f.weeks["expected"].head(4).sum())
    weeks13 = float(f.weeks["expected"].sum())
    lead = (f"With {money_text(f.open_total, cur)} open at {a.as_of:%Y-%m-%d}, **{money_text(weeks4, cur)}** "
            f"is expected in the next 4 weeks and **{money_text(weeks13, cur)}** in 13 weeks "
            f"({forecastmodel.scope_text(f)}).")
    items: list[Item] = [Text(lead), Text(f.reason), Figure(forecastcharts.forecast_chart(f))]
    if len(f.tests):
        items += [Table(forecasttables.accuracy_table(f)), Figure(forecastcharts.backtest_chart(f))]
        if f.coverage == f.coverage:
            items.append(Text(f"The 80% band held {f.coverage:.0%} of the backtested weeks (each month-end's band "
                              "made from the other month-ends only)."))
    items += [Table(forecasttables.weeks_table(f), left=("Shown from",)),
              Text("By month (six months):"), Table(forecasttables.months_table(f), left=("Shown from",))]
    return items


def entitlement_section(a: Assessment) -> list[Item]:
    """What late payers owed under the client's late-payment law over the last 12 months, by customer."""
    e, cur = a.entitlement, a.currency
    if not e.available:
        return [Text(e.reason + (" Set `legal.regime` (eu, uk or contract) in client.yaml to see the interest and "
                                 "fixed sums late payers owe." if "legal.regime" in e.reason else ""))]
    lead = (f"Under {literal(e.regime.law)}, the **{e.late_invoices:,}** invoices paid late between "
            f"{e.start:%d %b %Y} and {e.as_of:%d %b %Y} entitled the client to **{money_text(e.total, cur)}**: "
            f"{money_text(e.interest, cur)} interest and {money_text(e.fixed, cur)} fixed compensation. "
            f"Invoices still open and late have accrued {money_text(e.accruing_interest, cur)} interest and "
            f"{money_text(e.accruing_fixed, cur)} fixed sums on {e.accruing_invoices:,} invoices so far.")
    items: list[Item] = [Text(lead), Text(literal(legaltables.rates_text(e)))]
    if e.disputed_left_out:
        items.append(Text(f"{e.disputed_left_out:,} invoices under a dispute not (yet) resolved are left out; a "
                          "resolved dispute counts lateness from its resolution."))
    if len(e.by_customer):
        items += [Text("The customers who owed the most:"), Table(legaltables.customers_table(e), left=("Customer",))]
    return items


def maturity_section(a: Assessment) -> list[Item]:
    m = a.maturity
    if m is None:
        return [Text("No questionnaire answers in client.yaml (section `questionnaire:`).")]
    if m.overall != m.overall:  # NaN: nothing answered
        return [Text(f"Process maturity not assessed: {m.reason}")]
    weakest = ", ".join(m.weakest_labels)
    return [Text(f"Overall maturity **{m.overall:.1f} / 4 ({m.level})**; weakest areas: {weakest}."),
            Figure(charts.maturity_chart(m.areas)), Table(m.areas)]


def findings_section(a: Assessment) -> list[Item]:
    if not a.findings:
        return [Text("No findings.")]
    lines = [f"{i}. **{literal(f.text)}** ({f.severity})" for i, f in enumerate(a.findings, start=1)]
    return [Text("\n".join(lines))]


SECTIONS = SectionRegistry(
    ("data", "Data received", data_section),
    ("scorecard", "KPI scorecard", scorecard_section),
    ("aging", "Aging", aging_section),
    ("trends", "Trends", trends_section),
    ("behaviour", "Payment behaviour", behaviour_section),
    ("risk", "Late-payment risk", risk_section),
    ("forecast", "Cash in the next 13 weeks", forecast_section),
    ("entitlement", "Late-payment interest owed", entitlement_section),
    ("maturity", "Process maturity", maturity_section),
    ("findings", "Findings", findings_section),
)
SECTION_TITLES = SECTIONS.titles  # numbered from the order above


def section(a: Assessment, name: str) -> list[Any]:
    """The items of section ``name`` (one of SECTIONS), headed by its title."""
    return SECTIONS.titled(a, name)


def title(a: Assessment) -> Markdown:
    """The report's heading."""
    return md(f"# {literal(a.config.name)}: assessment of the collection process at {a.as_of:%d %B %Y}")
