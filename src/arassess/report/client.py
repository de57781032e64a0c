"""The client-ready report: one self-contained HTML file (charts embedded) and its PDF.

:func:`gather` computes everything once from the library (assessment, cost case, goals,
action plan, escalation ladder, worklist); :func:`chapters` turns it into chapters of blocks
(text, tables, figures); :func:`render_html` fills ``templates/report/report.html.j2`` (Jinja2,
autoescaped: client data in tables and text is escaped); :func:`write_pdf` prints the HTML with
headless Chromium (Debian's ``chromium``, installed by ``make demo``/``make test``).
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from arassess import __version__
from arassess.assessment import charts
from arassess.assessment.case import Assessment
from arassess.config.benchmarks import library
from arassess.config.presets import PresetUse
from arassess.costs import charts as costcharts
from arassess.costs.case import CostCase
from arassess.costs.sections import assumptions_table, comparison_table, decision_text, formatted, recommendation_card
from arassess.display.format import format_value, money_text
from arassess.display.items import Bullets, Figure, Heading, Item, Table, Text, block
from arassess.display.style import DEFAULT_COLORS, data_uri, plural
from arassess.errors import ArgumentError, OverwriteError, ReportError
from arassess.forecast import charts as forecastcharts
from arassess.forecast import model as forecastmodel
from arassess.goals.case import load_goals_case
from arassess.goals.sections import cash_table, display_table
from arassess.kpi.registry import KPIS
from arassess.kpi.scorecard import scorecard_table
from arassess.paths import TEMPLATES_DIR, resolve_client_dir
from arassess.plan import charts as plancharts
from arassess.plan import tables as plantables
from arassess.plan.case import load_plan_case
from arassess.plan.letters import missing_sender_details
from arassess.risk import charts as riskcharts
from arassess.risk import tables as risktables
from arassess.risk.model import RiskResult
from arassess.tempdirs import private_folder

REPORT_DIR = TEMPLATES_DIR / "report"
PAPERS = ("A4", "Letter")
GANTT_ROWS = 14  # actions per timeline chart, so each fits a page at full width
CHROMIUM = os.environ.get("ARASSESS_CHROMIUM", "/usr/bin/chromium")
LEGAL_REGIME = ("Business-to-business collection. The US FDCPA covers consumer debts, not B2B debts "
                "collected by the original creditor; B2B collection is governed by the contract terms, "
                "statutes of limitation, caps on interest and late fees and agency licensing where the "
                "debtor is. Letters avoid deceptive or threatening language regardless.")


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, computed once."""

    client_dir: Path
    assessment: Assessment
    case: CostCase
    goals: Any                      # arassess.goals.case.GoalsCase
    goals_table: pd.DataFrame       # GoalsCase.table()
    plan: pd.DataFrame
    ladder: tuple[Any, ...]
    worklist: pd.DataFrame
    customers: pd.DataFrame
    planned_on: pd.Timestamp        # the day the plan and the letters start from

    @property
    def currency(self) -> str:
        return self.assessment.currency


def gather(client_dir: str | Path, as_of: str | None = None,
           planned_on: str | pd.Timestamp | None = None, *, risk_dir: str | Path | None = None) -> ReportData:
    """Assessment, cost case, goals, action plan, escalation ladder and worklist at ``as_of``;
    the goals and the plan start from ``planned_on`` (default today, never before as_of); ``risk_dir``
    as for :func:`arassess.plan.case.load_plan_case`."""

    folder = resolve_client_dir(client_dir)
    pc = load_plan_case(folder, as_of, planned_on, risk_dir=risk_dir)
    day = pc.plan_start
    goals = load_goals_case(folder, assessment=pc.assessment, planned_on=day)
    return ReportData(folder, pc.assessment, pc.case, goals, goals.table(), pc.plan, pc.ladder, pc.worklist,
                      pc.customers, day)


# --- blocks --------------------------------------------------------------------------------

def _kpi(a: Assessment, key: str) -> float:
    return a.table.value(key, a.as_of)


def worst_kpis(a: Assessment, n: int = 3) -> pd.DataFrame:
    """The scorecard KPIs furthest from their benchmark on the wrong side (relative gap
    |value − benchmark| / benchmark), worst first; at most ``n``."""
    card = a.scorecard[(a.scorecard["status"] == "bad") & a.scorecard["value"].notna()].copy()
    if not len(card):
        return card
    card["gap"] = (card["value"] - card["benchmark"]).abs() / card["benchmark"].abs().where(card["benchmark"] != 0, 1.0)
    return card.sort_values("gap", ascending=False).head(n)


def headline(data: ReportData) -> list[dict[str, str]]:
    """The numbers that matter: receivables and how much is overdue, the KPIs furthest from their
    benchmark, the recommended strategy and the cash the goals free."""
    a, cur = data.assessment, data.currency
    ar, overdue = _kpi(a, "ar_total"), _kpi(a, "ar_overdue")
    items = [{"label": "Receivables", "value": money_text(ar, cur),
              "note": f"{money_text(overdue, cur)} overdue ({overdue / ar:.0%})" if ar else ""}]
    dso = a.scorecard[a.scorecard["key"] == "dso"]
    shown = dso[dso["value"].notna()]
    worst = worst_kpis(a, 3)
    worst = worst[~worst["key"].isin(["dso", "dso_countback", "add"])] if len(shown) else worst
    for row in pd.concat([shown, worst]).head(2).itertuples():
        items.append({"label": row.kpi, "value": format_value(row.value, row.unit, cur),
                      "note": f"benchmark {format_value(row.benchmark, row.unit, cur)}"})
    card = recommendation_card(data.case)
    items.append({"label": card.label, "value": card.figure, "note": card.note})
    freed = data.goals_table["freed_cash"].dropna() if len(data.goals_table) else pd.Series(dtype=float)
    if len(freed) and freed.max() > 0:
        best = data.goals_table.loc[freed.idxmax()]
        items.append({"label": "Cash freed by a goal", "value": money_text(freed.max(), cur),
                      "note": f"{best['label']} goal"})
    return items


def summary_chapter(data: ReportData) -> list[Item | dict[str, Any]]:
    a, case = data.assessment, data.case
    blocks: list[Item | dict[str, Any]] = [{"kind": "headline", "items": headline(data)},
                                    {"kind": "recommendation", "title": "Recommendation",
                                     "text": decision_text(case)}]
    caveat = case.indicative
    if caveat:
        blocks.append(Text(caveat))
    if a.findings:
        blocks += [Heading("Findings"), Bullets([f.text for f in a.findings], numbered=True)]
    if len(data.plan):
        first = data.plan.head(5)
        blocks += [Heading("First actions"),
                   Bullets([f"{r.title} — {r.owner}, {r.start:%d %b %Y} to {r.due:%d %b %Y}"
                            for r in first.itertuples()])]
    return blocks


def plain_decision(r: RiskResult) -> str:
    """How well the scores did on invoices they had not seen, in a client's words (AUC as the share
    of late/on-time pairs ranked right; the notebook gives AUC and Brier)."""
    v = r.validation.set_index("predictor")
    used, base = v[v["used"]].iloc[0], v.loc["baseline"]
    chosen = v[v["chosen"]].iloc[0]
    tested = (f"Tested on {r.split['test_rows']:,} invoices due after {r.split['cutoff']:%d %B %Y}, which it had "
              f"not learnt from, ")
    if r.used == "model":
        return (tested + f"the model ranked a late invoice above an on-time one in {used['auc']:.0%} of pairs, "
                f"against {base['auc']:.0%} when each customer is judged by its own past record alone, and its "
                f"probabilities were closer to what happened; the scores use the model.")
    text = (tested + f"the model ({chosen['auc']:.0%} of pairs ranked right) did not reliably beat each customer's "
            f"own past record ({base['auc']:.0%}), so the scores use that record.")
    if base["auc_low"] <= 0.5:
        text += " Even that record barely tells late from prompt payers here: treat the scores as a rough guide."
    return text


def risk_blocks(a: Assessment, n: int = risktables.CLIENT_CUSTOMERS) -> list[Item | dict[str, Any]]:
    """Late-payment risk in the current-state chapter: what the scores are and how well they did,
    the high-risk customers and what they owe, the score chart, and the ``n`` customers with the
    most expected to be paid late (any band) with why; one sentence with the reason when there are
    no scores."""
    r = a.risk
    if not r.available:
        return [Heading("Late-payment risk"), Text(f"Risk scores are not available: {r.reason.rstrip('.')}.")]
    s, cur = r.settings, a.currency
    late = f"paid more than {s.threshold_days} days late"
    high = r.high_risk()
    owed = float(high["open_amount"].sum())
    total = float(r.customers["open_amount"].sum())
    share = f" ({owed / total:.0%} of the open balance)" if total > 0 else ""
    blocks = [Heading("Late-payment risk"),
              Text(f"Each open invoice has a probability of being {late}, learnt from the payment history; "
                   f"a customer's score is the share of its open balance expected to be {late}. "
                   + plain_decision(r)),
              Text(f"{plural(len(high), 'customer')} of {len(r.customers):,} with an open balance "
                   f"{'is' if len(high) == 1 else 'are'} high risk (at least {s.high_from:.0%} of the balance "
                   f"expected to be {late}); they owe {money_text(owed, cur)}{share}." if len(high) else
                   f"No customer is high risk (at least {s.high_from:.0%} of its balance expected to be {late})."),
              Figure(riskcharts.score_distribution_chart(r.customers, s.low_below, s.high_from, cur, s.threshold_days),
                     f"Customers by score, coloured by band; bars show their open amount ({cur})")]
    top = risktables.customer_table(r.customers, cur, n, audience="client")
    if len(top):
        blocks.append(Text(f"The {plural(len(top), 'customer')} with the most expected to be {late}, whatever "
                           "their band — a large balance with a low score can hold more money at risk than a small "
                           "one with a high score:"))
        blocks.append(Table(top, left=risktables.customer_text_columns(cur, "client")))
    return blocks


def forecast_blocks(a: Assessment) -> list[Item]:
    """Cash in the next 13 weeks: what is expected in 4 and 13 weeks, how far the figures can be
    trusted (the backtest in plain words) and the one chart: weekly receipts with the band and the
    due-date baseline."""
    f, cur = a.forecast, a.currency
    if f.open_total <= 0:
        return [Heading("Cash in the next 13 weeks"), Text("Nothing is open at this date, so no cash is expected.")]
    weeks4, weeks13 = float(f.weeks["expected"].head(4).sum()), float(f.weeks["expected"].sum())
    return [Heading("Cash in the next 13 weeks"),
            Text(f"With {money_text(f.open_total, cur)} open, {money_text(weeks4, cur)} is expected in the next 4 "
                 f"weeks and {money_text(weeks13, cur)} within 13 weeks ({forecastmodel.scope_text(f)}). "
                 + forecastmodel.plain_reason(f)),
            Figure(forecastcharts.forecast_chart(f), "Expected receipts by week, with the 80% range seen in past "
                   "weeks and the receipts if every invoice were paid on its due date")]


def state_chapter(data: ReportData) -> list[Item | dict[str, Any]]:
    a, cur = data.assessment, data.currency
    shown = scorecard_table(a.scorecard, cur, audience="client")
    blocks = [Text(f"Key figures at {a.as_of:%d %B %Y}; rates and days over the last {a.window_days} days; "
                   f"amounts in {cur}."), Table(shown, left=("KPI", "Status"), right=("Value", "Benchmark"),
                                                status="Status")]
    missing = a.scorecard[a.scorecard["value"].isna()]
    if len(missing):
        if a.ledger.shape == "open_items":
            blocks.append(Text("Not available from this export: " + ", ".join(missing["kpi"]) + ". They need the "
                               "full invoice history (invoices already paid); the export holds only the invoices "
                               "open today."))
        else:  # a full ledger: each KPI's own reason, not "this export"
            blocks.append(Text("Not available at this date: " + "; ".join(
                f"{kpi} ({note})" if isinstance(note, str) and note else str(kpi)
                for kpi, note in zip(missing["kpi"], missing["note"])) + "."))
    blocks.append(Figure(charts.aging_chart(a.aging, cur), "Receivables by age: amount per aging bucket"))
    if a.series is not None:
        blocks.append(Figure(charts.dso_trend_chart(a.series.values, {k: b.value for k, b in a.benchmarks.items()}),
                             "DSO over the last months"))
    blocks += risk_blocks(a)
    blocks += forecast_blocks(a)
    if a.maturity is not None:
        blocks += [Heading(f"Process maturity: {a.maturity.level} ({a.maturity.overall:.1f} of 4)"),
                   Figure(charts.maturity_chart(a.maturity.areas), "Maturity score per area (0–4)")]
    return blocks


def costs_chapter(data: ReportData) -> list[Item | dict[str, Any]]:
    case = data.case
    cur = case.currency
    blocks = [{"kind": "recommendation", "title": "Recommendation", "text": decision_text(case)}]
    caveat = case.indicative
    if caveat:
        blocks.append(Text(caveat))
    if case.basis == "flow":
        flow = case.book.flow
        blocks.append(Text(f"What a year looks like: {flow.invoices:,.0f} invoices "
                           f"({money_text(flow.amount, cur)}) fell "
                           f"past due in the year to {case.as_of:%d %B %Y}. The comparison follows them under each "
                           f"strategy, using what your team actually collected at each age. Amounts in {cur}."))
    else:
        claimed = money_text(case.claims['amount'].sum(), cur)
        blocks.append(Text(f"Today's {len(case.claims):,} overdue invoices ({claimed}) "
                           f"at {case.as_of:%d %B %Y}, each at its current age. Amounts in {cur}."))
    blocks += [Table(formatted(comparison_table(case, "client")), index=True),
               Figure(costcharts.collection_curve_chart(case),
                      "Of what reached each age unpaid: what your team collected and what an agency would net"),
               Figure(costcharts.handoff_chart(case), "Handing off at D against keeping everything in-house"),
               Heading("When the decision changes"),
               Bullets([b.sentence(cur) for b in case.break_evens]),
               Figure(costcharts.tornado_chart(case), "Each assumption moved alone across its range")]
    notes = [n for n in case.notes if n not in case.input_notes]
    if notes:
        blocks.append(Bullets(notes))
    return blocks


def goals_chapter(data: ReportData) -> list[Item | dict[str, Any]]:

    g = data.goals
    if not len(data.goals_table):
        return [Text("No goal could be set: the data measures none of the goal KPIs.")]
    rows = data.goals_table
    goals = display_table(rows, data.currency).drop(columns=["Set by", "Months"], errors="ignore")
    cash = cash_table(rows, data.currency)
    blocks = [Text(f"Each goal has a baseline (its value on {data.assessment.as_of:%d %B %Y}), a target, a deadline "
                   "and an owner, and a monthly glide path from the start of the plan on "
                   f"{data.planned_on:%d %B %Y} to the target to review progress against."),
              Table(goals), Heading("What reaching the goals is worth"),
              Table(cash.drop(columns=["How"], errors="ignore")),
              Text("The cash effects overlap (collecting old debt also lowers DSO): do not add them up."),
              Figure(g.chart(), "Glide path of each goal")]
    if g.notes:
        blocks.append(Bullets(list(g.notes)))
    return blocks


def plan_chapter(data: ReportData) -> list[Item | dict[str, Any]]:

    cur = data.currency
    blocks: list[Item | dict[str, Any]] = []
    if len(data.plan):
        shown = plantables.plan_table(data.plan, "client")
        blocks += [Text(f"{len(data.plan)} actions, starting {data.planned_on + pd.Timedelta(days=1):%d %B %Y}; "
                        "each starts once the actions it depends on are done. Quick wins with a large effect "
                        "come first."),
                   Table(shown, left=("Action", "Why"))]
        parts = range(0, len(data.plan), GANTT_ROWS)
        for n, first in enumerate(parts, start=1):  # a long plan in page-sized charts
            chunk = data.plan.iloc[first:first + GANTT_ROWS]
            caption = "Action plan timeline" + (f" ({n} of {len(parts)})" if len(parts) > 1 else "")
            blocks.append(Figure(plancharts.gantt_chart(chunk, data.planned_on, arrows=False), caption))
    blocks += [Heading("Escalation timeline for overdue invoices"),
               Table(plantables.ladder_table(data.ladder, "client"))]
    if len(data.customers):
        shown = plantables.customers_table(data.customers, cur, "client")
        scored = data.customers["expected_loss"].head(plantables.CUSTOMERS_SHOWN).notna().any()
        order = ("ordered by expected loss: open amount × probability of being paid late × the share lost at "
                 "the invoice's age" if scored else "ordered by open amount weighted by age")
        blocks += [Heading("Accounts to act on first"),
                   Text(f"The customers to chase first, {order}; a next date already past means the step is due "
                        "now."), Table(shown, left=("Customer", "Stage today", "Next step")),
                   Text(f"The full worklist ({len(data.worklist):,} invoices of {len(data.customers):,} customers) "
                        "is in worklist.xlsx; the letters for the customers at a letter step are in letters/.")]
        missing = missing_sender_details(data.assessment.config)
        if missing:
            blocks.append(Text("Before the letters are sent, the sender's " + ", ".join(m.replace("_", " ")
                               for m in missing) + " must be added (escalation.letters in client.yaml)."))
    return blocks


TOTALS_LABELS = {"file": "File", "rows_read": "Rows read", "rows_accepted": "Rows accepted",
                 "rows_rejected": "Rows rejected", "amount_read": "Amount read",
                 "amount_accepted": "Amount accepted", "amount_rejected": "Amount rejected",
                 "amounts_unreadable": "Amounts unreadable"}


def appendix_chapter(data: ReportData) -> list[Item | dict[str, Any]]:
    a = data.assessment
    q = a.ledger.quality
    rejected = sum(t.rows_rejected for t in q.totals)
    totals = q.totals_frame().rename(columns=TOTALS_LABELS)
    available = set(a.scorecard.loc[a.scorecard["value"].notna(), "key"])
    defs = pd.DataFrame({"KPI": [k.label for k in KPIS],
                         "Definition": [k.definition + ("" if k.key in available
                                                             else " (not available from this export)")
                                        for k in KPIS]})
    branding = a.config.branding or {}
    warnings = [n.removeprefix("WARNING: ") for n in a.notes if n.startswith("WARNING: ")]
    return [Heading("Data received"), Table(totals),
            Text(f"{rejected:,} row(s) could not be read and were left out; the list with file, row and reason "
                 "is available on request." if rejected else "Every row of the export was read."),
            *([Text("Warnings about the data:"), Bullets(warnings)] if warnings else []),
            Heading("Assumptions of the cost comparison, with sources"),
            Table(assumptions_table(data.case).rename(columns=str.capitalize)),
            Heading("KPI definitions"), Table(defs),
            Heading("Benchmarks used, with sources"), Text(benchmark_scope(a)),
            Bullets([b.citation() for b in a.benchmarks.values()]),
            *preset_items(a.config.preset),
            Heading("Legal framework assumed"), Text(str(branding.get("legal_regime") or LEGAL_REGIME))]


def preset_items(preset: PresetUse | None) -> list[Item]:
    """The industry preset used and each default it supplied, with its reason (nothing without one)."""
    if preset is None:
        return []
    lines = preset.lines()
    lead = (f"Industry preset used: {preset.label} (templates/presets.yaml). "
            + ("It supplied these defaults; every setting in the client's own client.yaml overrides it:" if lines else
               "Every setting it holds is set in the client's own client.yaml, so it changed nothing."))
    return [Heading("Industry preset"), Text(lead), *([Bullets(lines)] if lines else [])]


def benchmark_scope(a: Assessment) -> str:
    """Which industry and region the benchmarks were chosen for, and the fallback rule."""
    lib = library()
    scope = " in ".join(x for x in (lib.industries.get(a.config.industry or ""), lib.regions.get(a.config.region or ""))
                        if x)
    lead = (f"Each KPI is compared with the published figure closest to the client ({scope}): its industry and "
            "region, then its industry, then its region, then all companies" if scope else
            "No industry or region is set in client.yaml: each KPI is compared with a published figure for all "
            "companies")
    return (lead + "; a KPI without a published figure is compared with a rule of thumb, labelled as such "
            "(templates/benchmarks.yaml).")


CHAPTERS = (("summary", "Executive summary", summary_chapter),
            ("state", "Current state", state_chapter),
            ("costs", "In-house or agency?", costs_chapter),
            ("goals", "Goals", goals_chapter),
            ("plan", "Action plan and timeline", plan_chapter),
            ("appendix", "Appendix", appendix_chapter))


def chapters(data: ReportData) -> list[dict[str, Any]]:
    """The report's chapters, each chapter's items rendered as report blocks (display.items.block)."""
    return [{"key": key, "title": title, "blocks": [block(i) for i in build(data)]} for key, title, build in CHAPTERS]


# --- rendering -----------------------------------------------------------------------------

def logo_data_uri(branding: Mapping[str, Any], client_dir: Path) -> str | None:
    """The logo file (relative to the client folder) as a data URI; ReportError if named but missing."""
    name = branding.get("logo")
    if not name:
        return None
    path = client_dir / str(name)
    if not path.is_file():
        raise ReportError(f"{client_dir / 'client.yaml'}: branding.logo {name!r} not found at {path}")
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return data_uri(path.read_bytes(), mime)


def css_string(value: str) -> str:
    """Text for a CSS string literal inside <style>: backslashes, quotes, line breaks and '<'
    escaped (so a client name cannot end the string or the style element)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return out


def render_html(data: ReportData, paper: str = "A4", now: dt.datetime | None = None) -> str:
    """The report as one self-contained HTML document."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    if paper not in PAPERS:
        raise ArgumentError(f"paper {paper!r}: expected one of {', '.join(PAPERS)}")
    env = Environment(loader=FileSystemLoader(REPORT_DIR), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined)
    parts = chapters(data)
    for chapter in parts:
        for block in chapter["blocks"]:
            if block["kind"] == "table":
                block["html"] = Markup(block["html"])  # built from escaped cells
    a = data.assessment
    branding = a.config.branding or {}
    return env.get_template("report.html.j2").render(
        client=a.config.name, as_of=f"{a.as_of:%Y-%m-%d}", as_of_long=f"{a.as_of:%d %B %Y}",
        plan_start_long=f"{data.planned_on:%d %B %Y}",
        prepared_for=branding.get("prepared_for") or a.config.name,
        consultant=branding.get("consultant") or "—",
        primary_color=branding.get("primary_color", DEFAULT_COLORS["primary_color"]),
        accent_color=branding.get("accent_color", DEFAULT_COLORS["accent_color"]),
        logo=logo_data_uri(branding, data.client_dir), generated=f"{(now or dt.datetime.now()):%d %B %Y}",
        css=Markup((REPORT_DIR / "report.css").read_text(encoding="utf-8")), paper=paper,
        chapters=parts, version=__version__,
        footer_css=Markup(css_string(f"{a.config.name} — {a.as_of:%d %B %Y}")))


def write_pdf(html_path: Path, pdf_path: Path, chromium: str = CHROMIUM, timeout: float = 120) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (page size from the CSS @page rule).

    ReportError when Chromium is missing or fails; never over an existing file."""
    if pdf_path.exists():
        raise OverwriteError(f"{pdf_path} already exists")
    if not Path(chromium).exists() and shutil.which(chromium) is None:
        raise ReportError(f"PDF needs Chromium at {chromium}: run `make system-deps` (installs Debian's "
                          "chromium) or set ARASSESS_CHROMIUM; the HTML report is written")
    with private_folder("chromium") as profile:
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                   f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        env = {**os.environ, "HOME": str(profile), "XDG_CONFIG_HOME": str(profile), "XDG_CACHE_HOME": str(profile)}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not finish printing {html_path} within {timeout:.0f} s") from None
    if done.returncode != 0 or not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise ReportError(f"Chromium could not print {html_path} (exit {done.returncode}): "
                          f"{done.stderr.strip()[-500:]}")
    return pdf_path


def write_report(data: ReportData, out_dir: Path, paper: str = "A4", pdf: bool = True) -> tuple[Path, Path | None]:
    """report.html (and report.pdf) in ``out_dir``; never over existing files."""
    html_path = out_dir / "report.html"
    document = render_html(data, paper)  # before opening the file: a failure leaves no empty report
    with html_path.open("x", encoding="utf-8") as handle:
        handle.write(document)
    return html_path, (write_pdf(html_path, out_dir / "report.pdf") if pdf else None)
