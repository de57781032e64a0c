"""The ``client.yaml`` texts of the sample clients (see :mod:`arassess.inputs.sample`).

Kept apart from the generator: these are documents with comments a consultant
reads, filled in with the generated client's values.
"""

from __future__ import annotations


def fill(template: str, **values: object) -> str:
    """Replace each <<key>> in ``template`` (YAML braces stay untouched)."""
    for key, value in values.items():
        template = template.replace(f"<<{key}>>", str(value))
    return template


FLAT_FEE = ("agency_fee_pct: 0.25           # flat fee quoted by the agency; delete this line to use "
            "the fee schedule of templates/agency_fees.yaml")
SCHEDULE_FEE = ("# agency_fee_pct: 0.25         # no flat fee: the fee schedule of templates/agency_fees.yaml "
                "applies (by claim amount and age)")


def costs(*, fee: str = FLAT_FEE, relationship: float = 0.0, **values: float) -> str:
    """The costs section with this client's values, padded so the comments stay aligned."""
    return fill(COSTS, fee=fee, relationship=f"{relationship:<4}",
                **{key: f"{value:<5}" for key, value in values.items()})


def letters(name: str, email: str, phone: str, address: str, iban: str) -> str:
    """The escalation section: who the letters come from and how to pay (no agency contracted)."""
    return fill(LETTERS, name=name, email=email, phone=phone, address=address, iban=iban)


def questionnaire(answers: dict[str, dict[str, int]]) -> str:
    lines = ["questionnaire:                   # 0-4 per question of templates/questionnaire.yaml (4 = best practice)"]
    for area, scores in answers.items():
        lines.append(f"  {area}:")
        lines.extend(f"    {question}: {score}" for question, score in scores.items())
    return "\n".join(lines)


VOLTLINE_ANSWERS: dict[str, dict[str, int]] = {
    "credit_policy": {"written_policy": 3, "new_account_checks": 2, "credit_limits": 2, "terms_discipline": 2},
    "invoicing": {"invoice_timing": 3, "invoice_accuracy": 2, "customer_requirements": 2, "delivery_channel": 3},
    "reminders": {"pre_due_reminder": 1, "dunning_schedule": 1, "channels": 2, "contact_data": 2},
    "escalation": {"escalation_ladder": 1, "order_hold": 1, "agency_handoff": 0, "sales_involvement": 1},
    "disputes": {"dispute_logging": 2, "resolution_time": 1, "root_causes": 0, "undisputed_part": 1},
    "technology": {"collections_system": 2, "payment_options": 1, "cash_application": 2, "integration": 2},
    "training": {"training_programme": 1, "decision_authority": 1, "workload": 2, "objectives": 1},
    "monitoring": {"kpis_tracked": 2, "targets": 1, "management_review": 2, "cash_forecast": 1},
    "compliance": {"letter_review": 2, "legal_framework": 2, "data_protection": 3, "records": 1},
}

NORTHWIND_ANSWERS: dict[str, dict[str, int]] = {
    "credit_policy": {"written_policy": 1, "new_account_checks": 1, "credit_limits": 2, "terms_discipline": 1},
    "invoicing": {"invoice_timing": 2, "invoice_accuracy": 3, "customer_requirements": 1, "delivery_channel": 2},
    "reminders": {"pre_due_reminder": 0, "dunning_schedule": 2, "channels": 1, "contact_data": 1},
    "escalation": {"escalation_ladder": 2, "order_hold": 2, "agency_handoff": 1, "sales_involvement": 0},
    "disputes": {"dispute_logging": 1, "resolution_time": 0, "root_causes": 1, "undisputed_part": 2},
    "technology": {"collections_system": 1, "payment_options": 1, "cash_application": 1, "integration": 0},
    "training": {"training_programme": 0, "decision_authority": 2, "workload": 1, "objectives": 0},
    "monitoring": {"kpis_tracked": 1, "targets": 0, "management_review": 1, "cash_forecast": 0},
    "compliance": {"letter_review": 1, "legal_framework": 3, "data_protection": 2, "records": 2},
}

LETTERS = """\
escalation:                      # dunning ladder and letters (defaults: templates/client/client.yaml)
  letters:
    contact: Credit control, <<name>>
    email: <<email>>
    phone: "<<phone>>"
    address: "<<address>>"
    payment_details: "IBAN <<iban>>, quoting the invoice numbers"
    agency_in_place: false       # no agency contracted yet: final notices announce no hand-off date
"""

#: The legal framework both (German) sample clients state.
LEGAL_DE = """\
  legal_regime: >-               # the legal framework the report states it assumed
    Business-to-business collection under German law, as we understand it (confirm with counsel):
    the contract terms; statutory default interest between businesses of 9 percentage points above
    the base rate and a 40 EUR flat fee per late invoice (BGB section 288, implementing the EU Late
    Payment Directive 2011/7/EU); the regular three-year limitation period (BGB section 195); and
    registration of collection agencies under the Legal Services Act (RDG). Letters avoid deceptive
    or threatening language regardless.

legal:                           # late-payment law for the interest owed (arassess.legal)
  regime: eu                     # the Directive's minimum: ECB rate + 8 points, 40 EUR per late invoice"""

COSTS = """\
costs:                           # cost-model assumptions (docs/methodology.md); every one can be overridden
  # in-house collection team (the in-house collection curve itself comes from the ledger)
  collector_ftes: <<ftes>>          # people working overdue accounts, full-time equivalents (checked against the workload)
  collector_salary: 42800        # source: BLS May 2022 mean, bill and account collectors (USD; replace with local pay)
  loaded_cost_multiplier: 1.3    # employer cost per unit of salary (social charges, benefits, workplace)
  hours_per_claim_month: 0.5     # collector time per overdue claim and month past the last reminder (calls, promises)
  hours_per_placement: 0.5       # preparing a claim file for the agency
  # effort_hours: {friendly_reminder: 0.1, firm_reminder: 0.25, demand_letter: 0.5, final_notice: 0.5}
  software_per_year: <<software>>       # collections tool, dunning module, payment portal
  training_per_year: 3000
  management_per_year: <<management>>     # credit manager's time spent on collections
  legal_per_year: <<legal>>          # lawyer letters, court fees, collection suits
  # cost of capital: cash freed = DSO reduction x annual credit sales / 365, valued at one of these
  borrowing_rate: 0.055          # interest on the credit line the freed cash would repay
  wacc: 0.085                    # weighted average cost of capital (opportunity cost), not the same thing
  capital_rate_basis: borrowing_rate  # which of the two values cash that arrives later
  # collection agency (commercial contingency, "no recovery, no fee")
  <<fee>>
  direct_payment_share: 0.15     # share of post-placement recoveries the debtor pays to us directly
  commission_on_direct_payments: true  # the agency agreement owes commission on those too
  relationship_cost_share: <<relationship>>  # share of a placed customer's yearly gross margin lost through the placement
  gross_margin: 0.22             # gross margin on sales, to value that lost business
  # agency_recovery_curve: {0: 0.94, 90: 0.72, 180: 0.50, 365: 0.27, 730: 0.10}  # the survey default
"""

LEDGER_CONFIG = """\
<<marker>>.write_sample_client (seed <<seed>>, <<n>> invoices).
# Voltline Components GmbH is fictional and every row is synthetic. Regenerate with
#   arassess sample --out sample_data/voltline --seed <<seed>> --invoices <<n>>
# invoices.csv is a Xero-style export with its own column names, mapped below;
# payments.csv and customers.csv already use the canonical column names.

name: Voltline Components GmbH
currency: EUR                    # reporting currency
industry: manufacturing          # picks the published benchmarks (templates/benchmarks.yaml)
region: western_europe
as_of: <<as_of>>                # date of the export and default assessment date
shape: ledger                    # every invoice with its settlement, so all KPIs and their history

formats:
  date_format: "%Y-%m-%d"
  decimal: "."
  thousands: ""
  delimiter: ","
  encoding: utf-8

files:
  invoices:
    path: invoices.csv
    columns:                     # export column -> canonical column (arassess.ledger.columns)
<<mapping>>
  payments: payments.csv         # every payment, partial or full: invoice_id, payment_date, amount, currency
  customers: customers.csv       # customer_id, name, segment, credit_limit, terms_days

fx:
  rates:
    USD: <<usd_rate>>                    # EUR per 1 USD at as_of; about 3% of invoices are billed in USD

validation:
  max_rejected_share: 0.05       # stop the load if more than 5% of a file's rows are rejected

kpis:
  window_days: 90
  aging_edges: [0, 30, 60, 90, 120]

<<questionnaire>>

<<costs>>
goals: {}
# Goal overrides by KPI key; without them goals are derived from the baseline and benchmarks, e.g.
# goals:
#   dso: {target: 50, deadline: 2027-06-30, owner: Head of credit control}

<<letters>>
branding:
  consultant: Brightwater Receivables Advisory
  prepared_for: Voltline Components GmbH
  primary_color: "#1B3A5C"
  accent_color: "#E07B24"
  logo: null                     # path of a PNG or SVG logo, relative to this folder
<<legal_regime>>
"""

OPEN_ITEMS_CONFIG = """\
<<marker>>.write_open_items_client (seed <<seed>>).
# Northwind Elektrotechnik GmbH is fictional and every row is synthetic.
# An ERP open-item list ("Offene-Posten-Liste") taken at as_of: only the items still open,
# no payments and no settlement dates, so KPIs that need sales history are unavailable.

name: Northwind Elektrotechnik GmbH
currency: EUR
industry: distribution_wholesale
region: western_europe
as_of: <<as_of>>                # the date the open-item list was taken
shape: open_items

files:
  invoices:
    path: open_items.csv
    delimiter: ";"
    date_format: "%d.%m.%Y"      # 31.10.2026
    decimal: ","                 # 12.345,67
    thousands: "."
    encoding: utf-8
    columns:
      Belegnummer: invoice_id
      Kunde: customer_id
      Kundenname: customer_name  # names the customers in the report and the letters (no customers file)
      Belegdatum: invoice_date
      Fälligkeit: due_date
      Betrag: amount
      Offener Betrag: open_amount
      Währung: currency
      Strittig: disputed         # ja / nein
      Gutschrift: is_credit_note # ja / nein

validation:
  max_rejected_share: 0.05

<<questionnaire>>

<<costs>>
goals: {}

<<letters>>
branding:
  consultant: Brightwater Receivables Advisory
  prepared_for: Northwind Elektrotechnik GmbH
  primary_color: "#1B3A5C"
  accent_color: "#E07B24"
  logo: null
<<legal_regime>>
"""
