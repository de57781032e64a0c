"""The client-ready report: one self-contained HTML file (charts embedded) and its PDF.

:func:`gather` computes everything once from the library (assessment, cost case, goals,
action plan, escalation ladder, worklist); :func:`chapters` turns it into chapters of blocks
(text, tables, figures); :func:`render_html` fills ``templates/report/report.html.j2`` (Jinja2,
autoescaped: client data in tables and text is escaped); :func:`write_pdf` prints the HTML with
headless Chromium (Debian's ``chromium``, installed by ``make demo``/``make test``).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import mimetypes
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arassess import __version__, charts, costcharts
from arassess.assessment import Assessment, assess, load, resolve_client_dir
from arassess.costcase import CostCase
from arassess.costreport import assumptions_table, comparison_table, load_case
from arassess.errors import ArassessError
from arassess.paths import TEMPLATES_DIR
from arassess.registry import KPIS
from arassess.report import table
from arassess.scorecard import format_value

REPORT_DIR = TEMPLATES_DIR / "report"
PAPERS = ("A4", "Letter")
PNG_DPI = 150
CHROMIUM = os.environ.get("ARASSESS_CHROMIUM", "/usr/bin/chromium")
LEGAL_REGIME = ("Business-to-business collection. The US FDCPA covers consumer debts, not B2B debts "
                "collected by the original creditor; B2B collection is governed by the contract terms, "
                "statutes of limitation, caps on interest and late fees and agency licensing where the "
                "debtor is. Letters avoid deceptive or threatening language regardless.")


class ReportError(ArassessError):
    """The report could not be produced (e.g. no PDF engine); the message says what to do."""


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, computed once."""

    client_dir: Path
    assessment: Assessment
    case: CostCase
    goals: list[Any]
    goals_table: pd.DataFrame | None
    plan: pd.DataFrame | None
    ladder: tuple[Any, ...]
    worklist: pd.DataFrame | None

    @property
    def currency(self) -> str:
        return self.assessment.currency


def gather(client_dir: str | Path, as_of: str | None = None) -> ReportData:
    """Assessment, cost case, goals, action plan, escalation ladder and worklist at ``as_of``."""
    from arassess import escalation, goals, plan, worklist

    folder = resolve_client_dir(client_dir)
    loaded = load(folder)
    a = assess(folder, as_of, loaded=loaded)
    case, _ = load_case(folder, f"{a.as_of:%Y-%m-%d}", loaded=loaded)
    chosen = goals.resolve_goals(a, folder)
    rate = case.assumptions.capital_rate
    goal_frame = goals.goals_table(chosen, a.as_of, case.assumptions.annual_credit_sales, rate) if chosen else None
    actions = plan.action_plan(a, case, chosen)
    handoff = case.handoff_day if case.strategy in ("agency", "hybrid") else None
    ladder = escalation.ladder_from_config(a.config.escalation, handoff)
    work = worklist.build_worklist(a.positions, a.as_of, ladder)
    return ReportData(folder, a, case, chosen, goal_frame, actions, ladder, work)


# --- blocks --------------------------------------------------------------------------------

def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def figure(fig: Figure, caption: str) -> dict[str, Any]:
    return {"kind": "figure", "src": _png(fig), "caption": caption}


def html_table(frame: pd.DataFrame, index: bool = False) -> dict[str, Any]:
    """A table block: text cells HTML-escaped, numbers formatted and right-aligned."""
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values)):
            safe[column] = values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                      else html.escape(str(v)))
    if index:
        safe.index = [html.escape(str(i)) for i in safe.index]
    numeric = [c for c in safe.columns if pd.api.types.is_numeric_dtype(safe[c])]
    styler = table(safe, index=index).set_properties(subset=numeric, **{"text-align": "right"})
    return {"kind": "table", "html": styler.to_html()}


def text(value: str) -> dict[str, Any]:
    return {"kind": "text", "text": value}


def heading(value: str) -> dict[str, Any]:
    return {"kind": "heading", "text": value}


def _kpi(a: Assessment, key: str) -> float:
    return a.table.value(key, a.as_of)


def headline(data: ReportData) -> list[dict[str, str]]:
    """The 3–5 numbers that matter: AR and overdue share, DSO (or % over 90), CEI, the
    recommendation's gain and the cash the DSO goal frees."""
    a, cur = data.assessment, data.currency
    ar, overdue = _kpi(a, "ar_total"), _kpi(a, "ar_overdue")
    items = [{"label": "Total receivables", "value": format_value(ar, "currency", cur),
              "note": f"{overdue / ar:.0%} overdue" if ar else ""}]
    for key, note in (("dso", "benchmark 45 days"), ("cei", "benchmark 80%"), ("pct_over_90", "benchmark 10%")):
        value = _kpi(a, key)
        if value == value:
            kpi = next(k for k in KPIS if k.key == key)
            items.append({"label": kpi.label, "value": format_value(value, kpi.unit, cur), "note": note})
    net = data.case.result["net_recovery"]
    gain = float(net[data.case.strategy] - net["in_house"])
    items.append({"label": "Recommended strategy", "value": data.case.strategy.replace("_", "-"),
                  "note": (f"+{gain:,.0f} {cur} net vs all in-house" if gain > 0.5 else "keeps the team")})
    if data.goals_table is not None and "freed_cash" in data.goals_table:
        freed = data.goals_table["freed_cash"].dropna()
        if len(freed) and freed.max() > 0:
            items.append({"label": "Cash freed by the goals", "value": format_value(freed.max(), "currency", cur),
                          "note": "largest single goal"})
    return items[:6]


def summary_chapter(data: ReportData) -> list[dict[str, Any]]:
    a, case = data.assessment, data.case
    blocks: list[dict[str, Any]] = [{"kind": "headline", "items": headline(data)},
                                    {"kind": "recommendation", "title": "Recommendation",
                                     "text": case.reason}]
    if a.findings:
        blocks += [heading("Findings"), {"kind": "numbered", "items": [f.text for f in a.findings]}]
    if data.plan is not None and len(data.plan):
        first = data.plan.head(5)
        blocks += [heading("First actions"),
                   {"kind": "list", "items": [f"{r.title} — {r.owner}, from {r.start:%d %b %Y} to {r.due:%d %b %Y}"
                                              for r in first.itertuples()]}]
    return blocks


def state_chapter(data: ReportData) -> list[dict[str, Any]]:
    a, cur = data.assessment, data.currency
    card = a.scorecard[a.scorecard["value"].notna()]
    shown = pd.DataFrame({
        "KPI": card["label"] if "label" in card else card["kpi"],
        "Value": [format_value(v, u, cur) for v, u in zip(card["value"], card["unit"])],
        "Benchmark": [format_value(b, u, cur) if b == b and b is not None else "" for b, u in
                      zip(card["benchmark"], card["unit"])],
        "Status": card["status"].map({"good": "good", "bad": "attention"}).fillna(""),
    })
    blocks = [text(f"KPIs at {a.as_of:%d %B %Y}, window {a.window_days} days, amounts in {cur}."),
              html_table(shown),
              figure(charts.aging_chart(a.aging, cur), "Receivables by age: amount per aging bucket")]
    if a.series is not None:
        blocks.append(figure(charts.dso_trend_chart(a.series.values), "DSO over the last months"))
    if a.maturity is not None:
        blocks += [heading(f"Process maturity: {a.maturity.level} ({a.maturity.overall:.1f} of 4)"),
                   figure(charts.maturity_chart(a.maturity.areas), "Maturity score per area (0–4)")]
    return blocks


def costs_chapter(data: ReportData) -> list[dict[str, Any]]:
    case = data.case
    return [{"kind": "recommendation", "title": "Recommendation", "text": case.reason},
            html_table(comparison_table(case), index=True),
            figure(costcharts.waterfall_chart(case), "From gross recovery to net recovered cash"),
            figure(costcharts.handoff_chart(case), "Net recovery by hand-off day D"),
            heading("Break-even points"),
            {"kind": "list", "items": [b.sentence(case.currency) for b in case.break_evens]},
            figure(costcharts.tornado_chart(case), "Each assumption moved alone across its range"),
            *([{"kind": "list", "items": list(case.notes)}] if case.notes else [])]


def goals_chapter(data: ReportData) -> list[dict[str, Any]]:
    from arassess import goals

    if not data.goals:
        return [text("No goals could be derived: the data supports none of the goal KPIs.")]
    frame = data.goals_table
    cols = [c for c in ("label", "baseline", "target", "deadline", "owner", "freed_cash", "yearly_value",
                        "source") if c in frame.columns]
    return [text("SMART goals: metric, baseline at the assessment date, target, deadline and owner, with a "
                 "monthly glide path from baseline to target."),
            html_table(frame[cols]),
            figure(goals.glide_path_chart(data.goals, data.assessment.as_of), "Glide path of each goal")]


def plan_chapter(data: ReportData) -> list[dict[str, Any]]:
    from arassess import plancharts, worklist

    blocks: list[dict[str, Any]] = []
    if data.plan is not None and len(data.plan):
        cols = ["title", "owner", "reason", "start", "due", "effort", "impact"]
        blocks += [html_table(data.plan[cols]), figure(plancharts.gantt_chart(data.plan), "Action plan timeline")]
    ladder = pd.DataFrame([{"step": s.label, "days from due date": s.offset_days, "channel": s.channel}
                           for s in data.ladder])
    blocks += [heading("Escalation timeline for overdue invoices"), html_table(ladder)]
    if data.worklist is not None and len(data.worklist):
        customers = worklist.customer_worklist(data.worklist).head(10)
        blocks += [heading("Worklist: the ten customers to call first"),
                   html_table(customers),
                   text(f"The full worklist ({len(data.worklist):,} invoices) is in worklist.xlsx.")]
    return blocks


def appendix_chapter(data: ReportData) -> list[dict[str, Any]]:
    a = data.assessment
    q = a.ledger.quality
    rejected = sum(t.rows_rejected for t in q.totals)
    defs = pd.DataFrame({"KPI": [k.label for k in KPIS],
                         "Definition": [(k.function.__doc__ or "").strip().splitlines()[0] for k in KPIS]})
    return [heading("Data received"), html_table(q.totals_frame()),
            text(f"{rejected:,} row(s) were rejected and left out; the list is produced by "
                 f"arassess validate." if rejected else "No row was rejected."),
            heading("Assumptions of the cost model, with sources"),
            html_table(assumptions_table(data.case.assumptions, data.currency)),
            heading("KPI definitions"), html_table(defs),
            heading("Legal regime assumed"), text(LEGAL_REGIME)]


CHAPTERS = (("summary", "Executive summary", summary_chapter),
            ("state", "Current state", state_chapter),
            ("costs", "In-house or agency?", costs_chapter),
            ("goals", "Goals", goals_chapter),
            ("plan", "Action plan and timeline", plan_chapter),
            ("appendix", "Appendix", appendix_chapter))


def chapters(data: ReportData) -> list[dict[str, Any]]:
    return [{"key": key, "title": title, "blocks": build(data)} for key, title, build in CHAPTERS]


# --- rendering -----------------------------------------------------------------------------

def _logo(branding: Mapping[str, Any], client_dir: Path) -> str | None:
    """The logo file (relative to the client folder) as a data URI; ReportError if named but missing."""
    name = branding.get("logo")
    if not name:
        return None
    path = client_dir / str(name)
    if not path.is_file():
        raise ReportError(f"{client_dir / 'client.yaml'}: branding.logo {name!r} not found at {path}")
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def render_html(data: ReportData, paper: str = "A4", now: dt.datetime | None = None) -> str:
    """The report as one self-contained HTML document."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    if paper not in PAPERS:
        raise ValueError(f"paper {paper!r}: expected one of {', '.join(PAPERS)}")
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
        prepared_for=branding.get("prepared_for") or a.config.name,
        consultant=branding.get("consultant") or "—",
        primary_color=branding.get("primary_color", "#1B3A5C"), accent_color=branding.get("accent_color", "#E07B24"),
        logo=_logo(branding, data.client_dir), generated=f"{(now or dt.datetime.now()):%d %B %Y}",
        css=Markup((REPORT_DIR / "report.css").read_text(encoding="utf-8")), paper=paper,
        chapters=parts, version=__version__)


def write_pdf(html_path: Path, pdf_path: Path, chromium: str = CHROMIUM, timeout: float = 120) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium (page size from the CSS @page rule).

    ReportError when Chromium is missing or fails; never over an existing file."""
    if pdf_path.exists():
        raise FileExistsError(f"{pdf_path} already exists")
    if not Path(chromium).exists() and shutil.which(chromium) is None:
        raise ReportError(f"PDF needs Chromium at {chromium}: run `make system-deps` (installs Debian's "
                          "chromium) or set ARASSESS_CHROMIUM; the HTML report is written")
    with tempfile.TemporaryDirectory(prefix="arassess-chromium-") as profile:
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                   f"--user-data-dir={profile}", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        env = {**os.environ, "HOME": profile, "XDG_CONFIG_HOME": profile, "XDG_CACHE_HOME": profile}
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
