"""Report sections of notebook 02 (in-house or agency?): each returns the items to show, in order.

Items are Markdown, tables and PNG charts as in :mod:`arassess.assessment.sections`, so the same sections serve
Papermill, the HTML export and (for the tables and text) the Voila dashboard.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import Markdown

from arassess.costs import charts as costcharts
from arassess.costs.case import PROVENANCE_WORDS, CostCase, answer_sentence
from arassess.costs.model import Assumptions
from arassess.costs.scenarios import Scenario
from arassess.costs.words import strategy_words
from arassess.display.cards import Card
from arassess.display.format import money_text
from arassess.display.items import Figure, Item, SectionRegistry, Table, Text, literal, md
from arassess.errors import ArgumentError

#: The comparison table, written once: (line of the evaluate result, consultant label, client label,
#: kind). The notebook and dashboard show the consultant's words, the client report the plainer ones.
COMPARISON_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("amount", "Overdue amount worked", "Overdue amount", "money"),
    ("in_house_recovery", "In-house recovery", "Collected by your team", "money"),
    ("agency_recovery", "Agency recovery", "Collected by the agency", "money"),
    ("gross_recovery", "Gross recovery", "Expected recovery", "money"),
    ("agency_fees", "− Agency fees", "− Agency fees", "money"),
    ("suit_costs", "− Suit fees and court costs", "− Suit fees and court costs", "money"),
    ("team_costs", "− Team (hours × cost per hour; a year also software, training, management, legal)",
     "− Collection team (time, tools, training, management, legal)", "money"),
    ("capital_cost", "− Cost of capital", "− Cost of waiting for the cash", "money"),
    ("relationship_cost", "− Relationship cost", "− Margin lost with placed customers", "money"),
    ("net_recovery", "= Net recovered cash", "= Net recovered cash", "money"),
    ("claims_placed", "Claims placed", "Overdue invoices placed with the agency", "count"),
    ("amount_placed", "Amount placed", "Amount placed with the agency", "money"),
    ("hours", "Collector hours", "Collector hours", "count"),
    ("ftes_needed", "FTEs needed", "Full-time collectors needed", "fte"),
)
#: Cost lines a client table leaves out when they are zero for every strategy.
OPTIONAL_LINES = ("agency_fees", "suit_costs", "capital_cost", "relationship_cost")
AUDIENCES = ("consultant", "client")


def strategy_names(case: CostCase, audience: str = "consultant") -> list[str]:
    """Column headings of the strategies compared (the D of each placing strategy in its name)."""
    form = "column" if audience == "client" else "heading"
    return [strategy_words(s, form, case.days.get(s)) for s in case.strategies]


def comparison_table(case: CostCase, audience: str = "consultant", basis: str | None = None) -> pd.DataFrame:
    """The money lines of each strategy, rows × strategies, labelled for ``audience`` ("consultant" or
    "client"; the client's leaves out cost lines that are zero everywhere) on the decision basis
    or ``basis`` ("flow": a year of newly overdue claims; "stock": today's claims, one-off)."""
    if audience not in AUDIENCES:
        raise ArgumentError(f"unknown audience {audience!r}; valid: {', '.join(AUDIENCES)}")
    result = case.stock if basis == "stock" else case.result
    if basis not in (None, "stock", "flow"):
        raise ArgumentError(f"unknown basis {basis!r}; valid: flow, stock")
    rows = [(col, cons if audience == "consultant" else plain) for col, cons, plain, _k in COMPARISON_ROWS]
    if audience == "client":
        rows = [(c, l) for c, l in rows if c not in OPTIONAL_LINES or result[c].abs().max() >= 0.5]
    frame = result.loc[list(case.strategies), [c for c, _ in rows]].T.astype(float)
    frame.index = [label for _, label in rows]
    frame.columns = strategy_names(case, audience)
    kinds = {line: kind for line, _c, _p, kind in COMPARISON_ROWS}
    frame.attrs["kinds"] = {label: kinds[col] for col, label in rows}
    return frame


def formatted(frame: pd.DataFrame) -> pd.DataFrame:
    """A labelled table of :func:`comparison_table` as text: money and counts as whole numbers with
    thousands separators, FTEs with one decimal."""
    kinds = frame.attrs.get("kinds", {})
    out = frame.copy().astype(object)
    for label in frame.index:
        fmt = "{:,.1f}" if kinds.get(label) == "fte" else "{:,.0f}"
        out.loc[label] = [fmt.format(v + 0.0) if np.isfinite(v) else "—" for v in frame.loc[label]]
    return out


def curve_table(case: CostCase) -> pd.DataFrame:
    """The in-house collection curve at the report ages: claims and amount that reached each age
    unpaid, what became of them (collected, written off, still open), the 95% interval, days to
    cash, the weight of the client's data and the share used (blended towards the survey)."""
    t = case.book.curve.table
    pct = lambda col: (t[col] * 100).round(1)  # noqa: E731 - a column formatter
    return pd.DataFrame({
        "days past due": t["age"], "claims": t["claims"], "customers": t["customers"],
        f"amount ({case.currency})": t["amount"].round(0),
        "collected %": pct("collected"), "95% low": pct("collected_lo"), "95% high": pct("collected_hi"),
        "written off %": pct("written_off"), "still open %": pct("still_open"),
        "days to cash": t["days_to_cash"].round(0), "data weight %": pct("weight"), "used %": pct("used"),
        "survey %": pct("survey"),
    })


#: How each assumption is named for a client.
ASSUMPTION_LABELS: dict[str, str] = {
    "recovery_curve": "In-house recovery by age of claim", "agency_recovery_curve": "Agency recovery by age of claim",
    "fee_schedule": "Agency fee schedule", "agency_fee_pct": "Agency fee (flat)",
    "collector_ftes": "Collectors (full-time equivalents)", "collector_salary": "Salary per collector",
    "loaded_cost_multiplier": "Employer cost per unit of salary", "effort_hours": "Hours per invoice at each reminder step",
    "hours_per_claim_month": "Hours per open claim and month after the reminders",
    "hours_per_placement": "Hours to place a claim with the agency",
    "min_placement_age": "Earliest placement (days past due)",
    "claim_months_open": "Months a kept claim stays open (where the ledger cannot tell)",
    "working_hours_per_fte_year": "Working hours per collector and year", "software_per_year": "Software per year",
    "training_per_year": "Training per year", "management_per_year": "Management time per year",
    "legal_per_year": "Legal costs per year", "borrowing_rate": "Borrowing rate", "wacc": "Cost of capital (WACC)",
    "in_house_days_to_cash": "Days until in-house recoveries arrive",
    "agency_days_to_cash": "Days until agency recoveries arrive",
    "relationship_cost_share": "Share of a placed customer's margin lost", "gross_margin": "Gross margin",
    "suit_share": "Share of placed claims taken to court", "suit_fee_per_claim": "Suit fee and court costs per claim",
    "agency_fee_scale": "Agency fee scaling (what-if)", "in_house_recovery_scale": "In-house recovery scaling (what-if)",
    "agency_recovery_scale": "Agency recovery scaling (what-if)",
    "direct_payment_share": "Share of recoveries paid to the client directly",
    "commission_on_direct_payments": "Agency commission on direct payments",
    "capital_rate_basis": "Rate that values waiting for cash",
    "yearly_overdue_invoices": "Invoices falling overdue per year (workload)",
    "yearly_overdue_amount": "Amount falling overdue per year",
    "yearly_due_invoices": "Invoices falling due per year",
    "annual_credit_sales": "Credit sales of the last year",
}
_MONEY = ("collector_salary", "software_per_year", "training_per_year", "management_per_year", "legal_per_year",
          "suit_fee_per_claim", "annual_credit_sales", "yearly_overdue_amount")
_SHARES = ("agency_fee_pct", "borrowing_rate", "wacc", "relationship_cost_share", "gross_margin", "suit_share",
           "direct_payment_share")


def _assumption_value(a: Assumptions, name: str, currency: str, case: CostCase | None) -> str:
    value = getattr(a, name)
    if name in ("recovery_curve", "agency_recovery_curve"):
        shown = [(d, v) for d, v in value if d in (0, 30, 90, 120, 180, 365, 730)] or list(value)
        return ", ".join(f"{d:g} d: {v:.0%}" for d, v in shown)
    if name == "fee_schedule":
        return "not used (flat fee)" if a.agency_fee_pct is not None else "used (templates/agency_fees.yaml)"
    if name == "effort_hours":
        return ", ".join(f"{k.replace('_', ' ')} {h:g} h" for k, h in value)
    if name == "capital_rate_basis":
        return "borrowing rate" if value == "borrowing_rate" else "WACC"
    if name == "in_house_days_to_cash" and case is not None and case.observed is not None \
            and case.observed.start_count and case.source(name) is not None and case.source(name).kind == "ledger":
        d = float(a.min_placement_age)
        return f"{float(case.book.curve.at(d, 'days_to_cash')):,.0f} days from {d:g} days past due (observed)"
    if name in ("hours_per_claim_month", "hours_per_placement", "working_hours_per_fte_year"):
        return f"{value:,.2f}".rstrip("0").rstrip(".") + " h"
    if name == "collector_ftes" and value is None:
        return "not given: sized to the workload"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "not available (the export has no history)"
    if name in _SHARES:
        return f"{value:.1%}"
    if name in _MONEY:
        return money_text(value, currency)
    if name.endswith("_scale") or name == "loaded_cost_multiplier":
        return f"{value:.2f}×"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def assumptions_table(case: CostCase) -> pd.DataFrame:
    """Every input as a client reads it: name, the value used, where it comes from (from your
    ledger / set for this client / default) and the detail (n and interval, or the source)."""

    rows = []
    for p in case.provenance:
        rows.append({"assumption": ASSUMPTION_LABELS.get(p.key, p.key),
                     "value": _assumption_value(case.assumptions, p.key, case.currency, case),
                     "from": PROVENANCE_WORDS[p.kind], "detail": p.detail})
    return pd.DataFrame(rows, columns=["assumption", "value", "from", "detail"])


def claims_table(case: CostCase) -> pd.DataFrame:
    """Overdue claims by aging bucket: count, balance, customers."""
    c = case.claims
    if not len(c):
        return pd.DataFrame(columns=["bucket", "claims", "balance", "customers"])
    out = c.groupby("bucket", observed=True).agg(claims=("amount", "size"), balance=("amount", "sum"),
                                                 customers=("customer_id", "nunique")).reset_index()
    total = pd.DataFrame([{"bucket": "Total", "claims": len(c), "balance": c["amount"].sum(),
                           "customers": c["customer_id"].nunique()}])
    out["bucket"] = out["bucket"].astype(str)
    return pd.concat([out, total], ignore_index=True)


def decision_lines(case: CostCase) -> tuple[str, str, list[str], list[str]]:
    """The decision as plain text, written once for every renderer: (headline, the answer with the
    client's numbers and the reason, break-even sentences, notes incl. the indicative caveat)."""
    headline = f"Recommendation: {case.label}."
    answer = f"{answer_sentence(case)} {case.reason}"
    notes = ([case.indicative] if case.indicative else []) + list(case.notes)
    return headline, answer, [b.sentence(case.currency) for b in case.break_evens], notes


def strategy_text(case: CostCase) -> str:
    """The recommendation in a few words for a headline card."""
    return strategy_words(case.strategy, "card", case.days.get(case.strategy))


def recommendation_card(case: CostCase) -> Card:
    """The recommendation as a headline card (the report's summary, the dashboard): the strategy in
    a few words and what it gains over keeping everything in-house."""
    net = case.result["net_recovery"]
    gain = float(net[case.strategy] - net["in_house"])
    note = (f"+{money_text(gain, case.currency)} {'a year' if case.basis == 'flow' else 'one-off'} vs in-house"
            if gain > 0.5 else "keeps the team") + (" (indicative)" if case.indicative else "")
    return Card("Recommended", strategy_text(case), note=note, key="strategy")


def lead_over_runner_up(case: CostCase) -> tuple[str, float] | None:
    """The best other strategy of the case and how much more the recommended one nets than it
    (None when only one strategy is compared)."""
    net = case.result["net_recovery"].astype(float)
    others = {s: v for s, v in net.items() if s != case.strategy}
    if not others:
        return None
    runner = max(others, key=others.get)
    return runner, float(net[case.strategy] - others[runner])


def decision_cards(case: CostCase) -> list[Card]:
    """The dashboard's headline: the recommendation, its net recovery (a year, or today's claims
    one-off) and its lead over the next best strategy."""
    net = case.result["net_recovery"].astype(float)
    period = "a year, net of fees, team and capital" if case.basis == "flow" else "today's overdue claims, one-off"
    out = [recommendation_card(case),
           Card("Net recovery", money_text(net[case.strategy]), case.currency, period, key="net")]
    if (lead := lead_over_runner_up(case)) is not None:
        runner, ahead = lead
        out.append(Card("Ahead of the next best", money_text(ahead), case.currency,
                        f"than {strategy_words(runner, 'alternative', case.days.get(runner))}", key="lead"))
    return out


def decision_text(case: CostCase) -> str:
    """The recommendation for the client (the report's box): the same one-sentence answer as
    :func:`decision_lines` (the consultant's notebook and dashboard), then in plain words the money it
    keeps over the runner-up and what would change it."""
    cur = case.currency
    text = f"{case.label}. {answer_sentence(case)}"
    if (ahead := lead_over_runner_up(case)) is not None:
        runner, lead = ahead
        period = "Every year" if case.basis == "flow" else "On today's overdue invoices"
        if lead > 0.5:
            text += (f" {period} this keeps {money_text(lead, cur)} more, net of fees and costs, than "
                     f"{strategy_words(runner, 'alternative', case.days.get(runner))}.")
    flips = [b.plain() for b in case.break_evens if b.value is not None]
    if flips:
        text += " It would change only if " + ", or if ".join(flips[:2]) + "."
    return text


def decision_html(case: CostCase) -> str:
    """The reason for the recommendation, the break-evens and notes, as HTML (dashboard: the
    recommendation itself is on the cards above it, :func:`decision_cards`, so it is not repeated
    as a heading; ``data-strategy`` names it for scripts and tests)."""
    _head, answer, evens, notes = decision_lines(case)
    items = ("".join(f"<li>{html.escape(b)}</li>" for b in evens) if case.sensitive
             else "<li><i>working them out…</i></li>")
    noted = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (f'<div class="arassess-decision" data-strategy="{case.strategy}"><h3>Why</h3>'
            f"<p>{html.escape(answer)}</p><p>Break-even points (the decision changes when one of "
            f"these alone moves past the value shown):</p><ul>{items}</ul>"
            + (f"<p>Notes:</p><ul>{noted}</ul>" if noted else "") + "</div>")



def decision_section(case: CostCase) -> list[Item]:
    head, answer, evens, notes = decision_lines(case)
    return [Text(f"**{(head)}** {(answer)}"),
            Text("Break-even points — the decision changes when one of these alone moves past the value "
                     "shown:\n" + "\n".join(f"- {(b)}" for b in evens)),
            *([Text("Notes:\n" + "\n".join(f"- {literal(n)}" for n in notes))] if notes else [])]


def curve_section(case: CostCase) -> list[Item]:
    src = case.source("recovery_curve")
    if case.observed is None or not case.observed.start_count:
        return [Text("This export has no payment history, so the client's own collection curve cannot be "
                         "measured; the in-house side uses the survey curve. A full ledger export (every invoice "
                         "with its payments) would calibrate it."),
                Figure(costcharts.collection_curve_chart(case))]
    else:
        intro = (f"Of the amount that reached each age unpaid, what the client's team eventually collected, wrote "
                 f"off or still has open (still-open claims are followed until {case.as_of:%Y-%m-%d} and not "
                 f"counted as losses). The interval resamples customers; ages with few claims blend towards the "
                 f"survey curve by the data weight shown.")
        if src is not None and src.kind == "client":
            intro += " The decision uses the curve set for this client (column 'used')."
    return [Text((intro)), Table(curve_table(case)), Figure(costcharts.collection_curve_chart(case))]


def comparison_section(case: CostCase) -> list[Item]:
    if case.basis == "flow":
        flow = case.book.flow
        head = (f"Per year, on the {flow.invoices:,.0f} invoices ({money_text(flow.amount, case.currency)}) "
                "that fell past "
                f"due in the year to {case.as_of:%Y-%m-%d}; amounts in {case.currency}.")
    else:
        claimed = money_text(case.claims['amount'].sum(), case.currency)
        head = (f"Today's {len(case.claims):,} overdue claims ({claimed}) "
                f"at {case.as_of:%Y-%m-%d}, a one-off; amounts in {case.currency}.")
    items: list[Item] = [Text((head)), Table(formatted(comparison_table(case)), index=True),
                        Figure(costcharts.waterfall_chart(case))]
    if case.basis == "flow" and len(case.claims):
        claimed = money_text(case.claims['amount'].sum(), case.currency)
        items += [Text((f"Today's overdue stock, a one-off on top: {len(case.claims):,} claims "
                      f"({claimed}), each at its current age.")),
                  Table(formatted(comparison_table(case, basis="stock")), index=True)]
    return items


def handoff_section(case: CostCase) -> list[Item]:
    curve = case.handoff_curve
    if not np.isfinite(case.optimal_day):
        text = (f"No hand-off day from {case.assumptions.min_placement_age:g} days on beats keeping every claim "
                "in-house" + (" over a year." if case.basis == "flow" else " on today's claims."))
    else:
        best = float(curve.loc[curve["handoff_day"] == case.optimal_day, "value_vs_in_house"].iloc[0])
        verdict = ("adds" if best > 0 else "loses") + f" {money_text(abs(best), case.currency)}"
        text = (f"Hand-off at D: work each claim in-house until it is D days past due, then place it. The best D "
                f"above the minimum placement age is **{case.optimal_day:g} days**, which {verdict} against "
                f"keeping every claim in-house" + (" per year." if case.basis == "flow" else " on today's claims."))
    return [Text(text), Figure(costcharts.handoff_chart(case))]


def sensitivity_section(case: CostCase) -> list[Item]:
    flips = case.tornado.loc[case.tornado["flips"], "label"].tolist()
    text = ("Each assumption moved alone across the range shown. " +
            (f"These ranges alone can flip the decision: {', '.join(flips)}." if flips
             else "No single range flips the decision."))
    return [Text(text), Figure(costcharts.tornado_chart(case))]


def inputs_section(case: CostCase) -> list[Item]:
    return [Text(f"Overdue claims at {case.as_of:%Y-%m-%d}:"), Table(claims_table(case)),
            Text("Every input and where it comes from (client.yaml `costs:` and a scenario override the "
                     "ledger and the defaults):"),
            Table(assumptions_table(case))]


SECTIONS = SectionRegistry(
    ("decision", "Recommendation", decision_section),
    ("curve", "What the ledger says: the team's collection curve", curve_section),
    ("comparison", "The strategies compared", comparison_section),
    ("handoff", "When to hand off: value by day D", handoff_section),
    ("sensitivity", "What moves the decision", sensitivity_section),
    ("inputs", "Inputs and where they come from", inputs_section),
)
SECTION_TITLES = SECTIONS.titles  # numbered from the order above


def section(case: CostCase, name: str) -> list[Any]:
    """The items of section ``name`` (one of SECTIONS), headed by its title."""
    return SECTIONS.titled(case, name)


def title(case: CostCase, scenario: Scenario | None = None) -> Markdown:
    what = f" — scenario “{literal(scenario.name)}”" if scenario else ""
    return md(f"# {literal(case.client)}: in-house or agency? ({case.as_of:%d %B %Y}){what}")
