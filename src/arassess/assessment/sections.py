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
from arassess.display.items import SectionRegistry, figure_image, literal, md, table
from arassess.risk import charts as riskcharts

RISK_TOP_CUSTOMERS = 10  # riskiest customers listed in the risk section


def data_section(a: Assessment) -> list[Any]:
    """Control totals, rejected rows, date coverage, which KPIs the data supports."""
    q = a.ledger.quality
    shape = "a full ledger" if a.ledger.shape == "ledger" else "an open-items export (open items only)"
    items: list[Any] = [md(f"Input: **{shape}**. Control totals: rows and amounts read = accepted + rejected."),
                        table(q.totals_frame())]
    rejected = sum(t.rows_rejected for t in q.totals)
    if rejected:
        items += [md(f"**{rejected:,} row(s) rejected** — first problems (full list: "
                           f"`arassess validate {a.config.root} --export problems.csv`):"),
                  table(q.problems.head(15))]
    if a.notes:
        items.append(md("\n".join(f"- {literal(n)}" for n in a.notes)))
    items += [md("Date coverage:"), table(a.coverage)]
    missing = a.availability[~a.availability["available"]]
    if len(missing):
        items += [md(f"{len(missing)} KPI(s) cannot be computed from this data:"),
                  table(missing[["kpi", "reason", "provided_by"]])]
    else:
        items.append(md("Every KPI can be computed from this data."))
    return items


def scorecard_section(a: Assessment) -> list[Any]:
    return [md(f"KPIs at {a.as_of:%Y-%m-%d}, window {a.window_days} days, amounts in {a.currency}; "
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
        return [md("Trends need the sales history of a full ledger; an open-items export has none.")]
    items: list[Any] = [figure_image(charts.dso_trend_chart(a.series.values)),
                        figure_image(charts.collection_trend_chart(a.series.values))]
    if a.seasonality:
        items.insert(0, md(f"**Note:** {a.seasonality}"))
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
        items: list[Any] = [md("Payment behaviour needs paid dates or payments; "
                                     "an open-items export has none.")]
        if a.disputes is not None and a.disputes.available:
            items += [md("Disputes open at the export date:"), table(_dispute_rows(a))]
        return items
    items = [figure_image(charts.distribution_chart(a.settled))]
    if a.segment_behaviour is not None and len(a.segment_behaviour):
        items += [figure_image(charts.segment_behaviour_chart(a.segment_behaviour)),
                  table(a.segment_behaviour, index=True)]
    if a.disputes is not None:
        items += [md("Disputes:"), table(_dispute_rows(a))]
    if a.rolls is not None:
        forecast = a.table.value("expected_write_off", a.as_of)
        items += [figure_image(charts.roll_rate_chart(a.rolls)),
                  md(f"Expected write-off of today's AR from 6-month roll rates: "
                           f"**{money_text(forecast, a.currency)}**" if forecast == forecast else
                           f"Expected write-off: n/a ({a.table.reason('expected_write_off', a.as_of)})")]
    return items


def risk_validation_table(validation: pd.DataFrame) -> pd.DataFrame:
    """The validation of the risk predictors in words: AUC with its 95% interval and Brier score on
    the test period, the Brier score the model was chosen on, which was chosen and which is used."""
    def yes(flag: Any) -> str:
        return "yes" if bool(flag) else ""

    return pd.DataFrame({
        "Predictor": validation["predictor"],
        "AUC (test)": [f"{v:.3f}" for v in validation["auc"]],
        "AUC 95% interval": [f"{lo:.3f}–{hi:.3f}" for lo, hi in zip(validation["auc_low"], validation["auc_high"])],
        "Brier (test)": [f"{v:.4f}" for v in validation["brier"]],
        "Brier (model choice)": ["" if v != v else f"{v:.4f}" for v in validation["validation_brier"]],
        "Chosen": [yes(v) for v in validation["chosen"]],
        "Used": [yes(v) for v in validation["used"]],
    })


def risk_band_table(bands: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Customers and open amount per band (:meth:`arassess.risk.model.RiskResult.band_counts`), with the
    band's share of the open amount."""
    total = float(bands["open_amount"].sum())
    return pd.DataFrame({
        "Band": bands["band"].astype(str),
        "Customers": bands["customers"].astype(int),
        f"Open amount ({currency})": bands["open_amount"].astype(float).round(0),
        "Share of open amount": [f"{v / total:.0%}" if total else "" for v in bands["open_amount"]],
    })


def risk_customer_table(customers: pd.DataFrame, currency: str, n: int = RISK_TOP_CUSTOMERS) -> pd.DataFrame:
    """The ``n`` riskiest customers (:attr:`arassess.risk.model.RiskResult.customers`, highest score first)
    with readable columns."""
    c = customers.head(n)
    return pd.DataFrame({
        "Customer": c["customer_name"],
        "Segment": c["segment"],
        f"Open amount ({currency})": c["open_amount"].astype(float).round(0),
        "Score": [f"{v:.0%}" for v in c["score"]],
        "Band": c["band"].astype(str),
        "Past late share": ["" if v != v else f"{v:.0%}" for v in c["past_late_share"]],
        "Drivers": c["drivers"].fillna(""),
    })


def risk_age_table(age_check: pd.DataFrame) -> pd.DataFrame:
    """The age update's check on the test period (:attr:`arassess.risk.model.RiskResult.age_check`) in words."""
    return pd.DataFrame({
        "Still unpaid (days after due)": age_check["days_past_due"].astype(int),
        "Invoices": age_check["invoices"].astype(int),
        "Probability at issue": [f"{v:.0%}" for v in age_check["at_issue"]],
        "After the age update": [f"{v:.0%}" for v in age_check["updated"]],
        "Paid late (observed)": [f"{v:.0%}" for v in age_check["observed"]],
    })


def risk_section(a: Assessment) -> list[Any]:
    """Late-payment risk: the decision (model or baseline) with its evidence, the calibration and
    score charts, the customers per band and the riskiest customers (:mod:`arassess.risk.model`)."""
    r = a.risk
    if not r.available:
        return [md(f"Risk scores are not available: {r.reason.rstrip('.')}.")]
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
    items: list[Any] = [md("\n\n".join(lines)), table(risk_validation_table(r.validation)),
                        figure_image(riskcharts.calibration_chart(r.calibration, r.validation))]
    if len(r.age_check):
        items += [md("An invoice still unpaid some days after its due date is likelier to end up late than a "
                           "new one, so each open invoice's probability is updated for its age (Bayes' rule with "
                           "the customer's own payment timing). The update checked on the test period:"),
                  table(risk_age_table(r.age_check))]
    items += [md(f"A customer's **score** is the share of its open balance expected to be paid late; band high "
                       f"from {s.high_from:.0%}, low below {s.low_below:.0%}. **{len(high):,} customer"
                       f"{' is' if len(high) == 1 else 's are'} high risk**, owing "
                       f"{money_text(float(high['open_amount'].sum()), a.currency)}."),
              figure_image(riskcharts.score_distribution_chart(r.customers, s.low_below, s.high_from, a.currency,
                                                             s.threshold_days)),
              table(risk_band_table(r.band_counts(), a.currency))]
    if len(r.customers):
        items += [md(f"The {min(RISK_TOP_CUSTOMERS, len(r.customers))} customers with the highest scores "
                           "(drivers: what raises the score most, each beside its typical value; the report lists "
                           "the customers with the most expected to be paid late instead):"),
                  table(risk_customer_table(r.customers, a.currency))
                  .set_properties(subset=["Customer", "Segment", "Drivers"], **{"text-align": "left"})]
    items.append(md(f"Fitted and validated in {r.fit_seconds:.1f} s."))
    return items


def maturity_section(a: Assessment) -> list[Any]:
    m = a.maturity
    if m is None:
        return [md("No questionnaire answers in client.yaml (section `questionnaire:`).")]
    if m.overall != m.overall:  # NaN: nothing answered
        return [md(f"Process maturity not assessed: {m.reason}")]
    weakest = ", ".join(m.weakest_labels)
    return [md(f"Overall maturity **{m.overall:.1f} / 4 ({m.level})**; weakest areas: {weakest}."),
            figure_image(charts.maturity_chart(m.areas)), table(m.areas)]


def findings_section(a: Assessment) -> list[Any]:
    if not a.findings:
        return [md("No findings.")]
    lines = [f"{i}. **{literal(f.text)}** ({f.severity})" for i, f in enumerate(a.findings, start=1)]
    return [md("\n".join(lines))]


SECTIONS = SectionRegistry(
    ("data", "Data received", data_section),
    ("scorecard", "KPI scorecard", scorecard_section),
    ("aging", "Aging", aging_section),
    ("trends", "Trends", trends_section),
    ("behaviour", "Payment behaviour", behaviour_section),
    ("risk", "Late-payment risk", risk_section),
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
