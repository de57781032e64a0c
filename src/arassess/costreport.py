"""Report sections of notebook 02 (in-house or agency?): each returns the items to show, in order.

Items are Markdown, tables and PNG charts as in :mod:`arassess.report`, so the same sections serve
Papermill, the HTML export and (for the tables and text) the Voila dashboard.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
from IPython.display import Markdown

from arassess import costcharts
from arassess.assessment import load, resolve_client_dir
from arassess.config import ClientConfig
from arassess.costcase import CostCase, cost_case
from arassess.costmodel import SHORT, SOURCES, STRATEGIES, Assumptions
from arassess.ledger import Ledger
from arassess.report import figure_image, table, titled_section
from arassess.scenarios import Scenario, load_scenario

#: Rows of the comparison table: (column of the evaluate result, label).
COMPARISON_ROWS = (
    ("gross_recovery", "Gross recovery"), ("agency_fees", "− Agency fees"), ("suit_costs", "− Suit fees and court costs"),
    ("in_house_costs", "− Team (salaries, software, training, management, legal)"),
    ("capital_cost", "− Cost of capital"), ("relationship_cost", "− Relationship cost"),
    ("net_recovery", "= Net recovered cash"), ("cost_per_unit_collected", "Cost per unit collected"),
    ("claims_in_house", "Claims worked in-house"), ("claims_placed", "Claims placed"),
    ("delta_dso", "DSO days the recovered cash is carried"),
    ("hours_needed", "Collector hours needed"), ("hours_available", "Collector hours available"),
)


def load_case(client_dir: str | Path, as_of: str | None = None, scenario: str | None = None,
              handoff_day: float | None = None,
              loaded: tuple[ClientConfig, Ledger] | None = None) -> tuple[CostCase, Scenario | None]:
    """The cost case of a client folder, with a saved scenario's costs and D applied when named
    (an explicit ``handoff_day`` wins over the scenario's)."""
    folder = resolve_client_dir(client_dir)
    config, ledger = loaded if loaded is not None else load(folder)
    chosen = load_scenario(folder, scenario) if scenario else None
    day = handoff_day if handoff_day is not None else (chosen.handoff_day if chosen else None)
    case = cost_case(config, ledger, as_of, overrides=dict(chosen.costs) if chosen else None, handoff_day=day)
    return case, chosen


def write_summary(case: CostCase, output_dir: str | Path, scenario: Scenario | None = None) -> Path:
    """``costs_summary.json`` in ``output_dir`` (never over an existing file)."""
    target = Path(output_dir) / "costs_summary.json"
    body = {**case.summary(), "scenario": scenario.name if scenario else None}
    with target.open("x", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2, default=str)
    return target


def comparison_table(case: CostCase) -> pd.DataFrame:
    """The money lines of each strategy as rows × strategies (the hybrid's D in its header)."""
    frame = case.result.loc[list(STRATEGIES), [c for c, _ in COMPARISON_ROWS]].T.astype(float)
    frame.index = [label for _, label in COMPARISON_ROWS]
    frame.columns = [f"{SHORT[s]} (D = {case.handoff_day:g})" if s == "hybrid" else SHORT[s] for s in STRATEGIES]
    return frame


#: How each assumption is named for a client.
ASSUMPTION_LABELS: dict[str, str] = {
    "recovery_curve": "In-house recovery by age of claim", "agency_recovery_curve": "Agency recovery by age of claim",
    "fee_schedule": "Agency fee schedule", "agency_fee_pct": "Agency fee (flat)",
    "collector_ftes": "Collectors (full-time equivalents)", "collector_salary": "Salary per collector",
    "loaded_cost_multiplier": "Employer cost per unit of salary", "hours_per_past_due_invoice": "Hours per overdue invoice",
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
    "annual_credit_sales": "Credit sales of the last year",
}
_MONEY = ("collector_salary", "software_per_year", "training_per_year", "management_per_year", "legal_per_year",
          "suit_fee_per_claim", "annual_credit_sales")
_SHARES = ("agency_fee_pct", "borrowing_rate", "wacc", "relationship_cost_share", "gross_margin", "suit_share",
           "direct_payment_share")


def _assumption_value(a: Assumptions, name: str, currency: str, case: CostCase | None) -> str:
    value = getattr(a, name)
    if name in ("recovery_curve", "agency_recovery_curve"):
        return ", ".join(f"{d:g} days: {s:.0%}" for d, s in value)
    if name == "fee_schedule":
        return "not used (flat fee)" if a.agency_fee_pct is not None else "used (templates/agency_fees.yaml)"
    if name == "capital_rate_basis":
        return "borrowing rate" if value == "borrowing_rate" else "WACC"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        if name == "yearly_overdue_invoices" and case is not None:
            return f"{len(case.claims):,} (the invoices overdue today; the export has no history)"
        return "not available (the export has no sales history)" if name == "annual_credit_sales" else "—"
    if name in _SHARES:
        return f"{value:.1%}"
    if name in _MONEY:
        return f"{value:,.0f} {currency}"
    if name.endswith("_scale") or name == "loaded_cost_multiplier":
        return f"{value:.2f}×"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def assumptions_table(a: Assumptions, currency: str, client_costs: Iterable[str] | None = None,
                      case: CostCase | None = None) -> pd.DataFrame:
    """Every assumption as a client reads it: name, the value used and its source — "set for this
    client (client.yaml)" for the keys of the client's ``costs:``, the default's source otherwise,
    "from the ledger" for the figures taken from the data."""
    client = set(client_costs or ())
    if "recovery_curve" in client:  # it sets both curves unless the agency's is given
        client.add("agency_recovery_curve")
    rows = []
    for f in dataclasses.fields(Assumptions):
        name = f.name
        if name in client or (name == "fee_schedule" and "agency_fee_schedule" in client):
            source = "set for this client (client.yaml)"
        elif name in ("yearly_overdue_invoices", "annual_credit_sales"):
            source = "from the ledger" if getattr(a, name) is not None else "not in the data; see value"
        else:
            source = SOURCES[name]
        rows.append({"assumption": ASSUMPTION_LABELS.get(name, name),
                     "value": _assumption_value(a, name, currency, case), "source": source})
    return pd.DataFrame(rows)


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


def decision_html(case: CostCase) -> str:
    """The recommendation with its reason, the break-evens and notes, as HTML (dashboard and report)."""
    import html

    evens = "".join(f"<li>{html.escape(b.sentence(case.currency))}</li>" for b in case.break_evens)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in case.notes)
    return (f'<div class="arassess-decision"><p style="font-size:1.25em"><b>Recommendation: '
            f'<span data-strategy="{case.strategy}">{html.escape(case.label)}</span></b></p>'
            f"<p>{html.escape(case.reason)}</p><p>Break-even points (the decision changes when one of "
            f"these alone moves past the value shown):</p><ul>{evens}</ul>"
            + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "") + "</div>")


def decision_section(case: CostCase) -> list[Any]:
    return [Markdown(f"**Recommendation: {case.label}.** {case.reason}"),
            Markdown("Break-even points — the decision changes when one of these alone moves past the value "
                     "shown:\n" + "\n".join(f"- {b.sentence(case.currency)}" for b in case.break_evens)),
            *([Markdown("Notes:\n" + "\n".join(f"- {n}" for n in case.notes))] if case.notes else [])]


def comparison_section(case: CostCase) -> list[Any]:
    return [Markdown(f"One year of collection work on the overdue balance at {case.as_of:%Y-%m-%d}, "
                     f"amounts in {case.currency}."),
            table(comparison_table(case), index=True),
            figure_image(costcharts.waterfall_chart(case))]


def handoff_section(case: CostCase) -> list[Any]:
    best = case.handoff_curve["net_recovery"].max()
    return [Markdown(f"Hybrid: work each claim in-house until it is D days past due, then place it. Net "
                     f"recovery is highest at **D = {case.optimal_day:g} days** "
                     f"({best:,.0f} {case.currency})."),
            figure_image(costcharts.handoff_chart(case))]


def sensitivity_section(case: CostCase) -> list[Any]:
    flips = case.tornado.loc[case.tornado["flips"], "label"].tolist()
    text = ("Each assumption moved alone across the range shown. " +
            (f"These ranges alone can flip the decision: {', '.join(flips)}." if flips
             else "No single range flips the decision."))
    return [Markdown(text), figure_image(costcharts.tornado_chart(case))]


def inputs_section(case: CostCase) -> list[Any]:
    a = case.assumptions
    flow = (f"{case.flow.invoices:,} invoices became past due in the year to {case.as_of:%Y-%m-%d} "
            f"({case.flow.amount:,.0f} {case.currency} open the day after their due date)"
            if case.flow is not None else "The yearly flow of newly overdue invoices is not in an open-items export")
    sales = (f"; credit sales of that year: {a.annual_credit_sales:,.0f} {case.currency}"
             if a.annual_credit_sales else "")
    return [Markdown(f"Overdue claims at {case.as_of:%Y-%m-%d}. {flow}{sales}."), table(claims_table(case)),
            figure_image(costcharts.recovery_curves_chart(case)),
            Markdown("Assumptions used (client.yaml `costs:` and the scenario override the defaults):"),
            table(assumptions_table(a, case.currency, case.configured, case))]


SECTIONS: dict[str, Callable[[CostCase], list[Any]]] = {
    "decision": decision_section,
    "comparison": comparison_section,
    "handoff": handoff_section,
    "sensitivity": sensitivity_section,
    "inputs": inputs_section,
}
SECTION_TITLES: dict[str, str] = {
    "decision": "1. Recommendation",
    "comparison": "2. The three strategies compared",
    "handoff": "3. When to hand off: net recovery by day D",
    "sensitivity": "4. What moves the decision",
    "inputs": "5. Inputs: overdue claims and assumptions",
}


def section(case: CostCase, name: str) -> list[Any]:
    """The items of section ``name`` (one of SECTIONS), headed by its title."""
    return titled_section(SECTIONS, SECTION_TITLES, case, name)


def title(case: CostCase, scenario: Scenario | None = None) -> Markdown:
    what = f" — scenario “{scenario.name}”" if scenario else ""
    return Markdown(f"# {case.client}: in-house or agency? ({case.as_of:%d %B %Y}){what}")
