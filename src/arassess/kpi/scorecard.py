"""The KPI scorecard: registry KPIs at one date, with benchmark and status.

Returns tables; printing is the caller's job. :func:`scorecard_table` is the one labelled table the
notebook, the dashboard, the client report and ``arassess kpis`` show.
"""

from __future__ import annotations

import re
from typing import Literal, Mapping

import pandas as pd

from arassess.display.format import benchmark_cell, change_text, format_value, status_text
from arassess.kpi.benchmarks import Benchmark, benchmark_set
from arassess.kpi.engine import KpiTable
from arassess.kpi.registry import KPIS
from arassess.ledger.quality import QualityReport


def scorecard(table: KpiTable, as_of: pd.Timestamp | str | None = None,
              benchmarks: Mapping[str, Benchmark] | None = None) -> pd.DataFrame:
    """One row per registry KPI at ``as_of`` (default: the table's last date), compared with
    ``benchmarks`` (default: :func:`arassess.kpi.benchmarks.benchmark_set` without industry and
    region: the cross-industry published figures, else the rules of thumb).

    Columns: key, kpi, value, unit, benchmark (the value compared with), benchmark_text (what it is,
    with its year, or "rule of thumb"), benchmark_source (the citation), better, status
    ('good'/'bad'/''), note (why a value is missing).
    """
    chosen = benchmark_set() if benchmarks is None else benchmarks
    row = table.values.index[-1] if as_of is None else pd.Timestamp(as_of)
    records = []
    for kpi in KPIS:
        value = table.values.at[row, kpi.key]
        reason = table.reasons.at[row, kpi.key]
        b = chosen.get(kpi.key)
        records.append({
            "key": kpi.key,
            "kpi": kpi.label,
            "value": value,
            "unit": kpi.unit,
            "benchmark": None if b is None else b.value,
            "benchmark_text": "" if b is None else b.text(table.currency),
            "benchmark_source": "" if b is None else b.citation(),
            "better": "" if kpi.higher_is_better is None else ("higher" if kpi.higher_is_better else "lower"),
            "status": "" if b is None else b.status(float(value) if pd.notna(value) else float("nan")),
            "note": reason if isinstance(reason, str) else "",
        })
    return pd.DataFrame.from_records(records)


def scorecard_table(card: pd.DataFrame, currency: str,
                    audience: Literal["consultant", "client"] = "consultant") -> pd.DataFrame:
    """The scorecard (:func:`scorecard`) in words, written once: KPI, Value, Benchmark, Status.

    For the consultant, also the comparisons when present (``<m>m_ago`` and ``change_<m>m`` columns
    of ``assessment.scorecard_with_changes``: '<m> months ago', 'Change vs <m> m') and the Note (why
    a value is missing); for the client, the KPIs that have a value (the report states the others in
    a sentence)."""
    if audience == "client":
        card = card[card["value"].notna()]
    shown = pd.DataFrame({
        "KPI": card["kpi"].to_numpy(),
        "Value": [format_value(v, u, currency) for v, u in zip(card["value"], card["unit"])],
        "Benchmark": [text if isinstance(text, str) and text else benchmark_cell(x, u, b, currency)
                      for text, x, u, b in zip(card.get("benchmark_text", pd.Series([""] * len(card))),
                                               card["benchmark"], card["unit"], card["better"])],
        "Status": [status_text(s) for s in card["status"].fillna("")],
    })
    if audience == "client":
        return shown
    months = sorted(int(m.group(1)) for c in card.columns if (m := re.fullmatch(r"(\d+)m_ago", str(c))))
    for m in months:
        shown[f"{m} months ago"] = [format_value(v, u, currency) for v, u in zip(card[f"{m}m_ago"], card["unit"])]
        if f"change_{m}m" in card:
            shown[f"Change vs {m} m"] = [change_text(v, u, currency)
                                         for v, u in zip(card[f"change_{m}m"], card["unit"])]
    shown["Note"] = card["note"].fillna("").astype(str).to_numpy()
    return shown


def _aligned(frame: pd.DataFrame, right: tuple[str, ...] = ()) -> str:
    """Plain-text table: text columns left-aligned, the ``right`` ones right-aligned."""
    widths = {c: max([len(str(c))] + [len(str(v)) for v in frame[c]]) for c in frame.columns}

    def cell(column: str, value: object) -> str:
        text = str(value)
        return text.rjust(widths[column]) if column in right else text.ljust(widths[column])

    lines = ["  ".join(cell(c, c) for c in frame.columns).rstrip()]
    lines += ["  ".join(cell(c, v) for c, v in zip(frame.columns, row)).rstrip()
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def scorecard_text(table: KpiTable, as_of: pd.Timestamp | str | None = None,
                   benchmarks: Mapping[str, Benchmark] | None = None) -> str:
    """The scorecard as an aligned plain-text table; reasons for missing values as numbered notes."""
    card = scorecard(table, as_of, benchmarks)
    notes: list[str] = []

    def note_ref(text: str) -> str:
        if not text:
            return ""
        if text not in notes:
            notes.append(text)
        return f"[{notes.index(text) + 1}]"

    shown = scorecard_table(card, table.currency)[["KPI", "Value", "Benchmark", "Status", "Note"]]
    shown["Note"] = [note_ref(n) for n in shown["Note"]]
    text = _aligned(shown, right=("Value", "Benchmark"))
    if notes:
        text += "\n\n" + "\n".join(f"[{i}] n/a: {n}" for i, n in enumerate(notes, start=1))
    return text


def aging_text(table: KpiTable, as_of: pd.Timestamp | str | None = None) -> str:
    """AR by aging bucket (amount and share) as plain text."""
    row = table.aging.index[-1] if as_of is None else pd.Timestamp(as_of)
    amounts = table.aging.loc[row]
    total = amounts.sum()
    shown = pd.DataFrame({
        "bucket (days past due)": amounts.index,
        "amount": [format_value(v, "currency", table.currency) for v in amounts],
        "share": [f"{v / total:.1%}" if total else "n/a" for v in amounts],
    })
    return _aligned(shown, right=("amount", "share"))


def totals_text(report: QualityReport) -> str:
    """Control totals (rows and amounts read = accepted + rejected) as plain text."""
    frame = report.totals_frame()
    if frame.empty:
        return "(no files)"
    for column in ("amount_read", "amount_accepted", "amount_rejected"):
        frame[column] = frame[column].map("{:,.2f}".format)
    for column in ("rows_read", "rows_accepted", "rows_rejected"):
        frame[column] = frame[column].map("{:,}".format)
    frame["amounts_unreadable"] = frame["amounts_unreadable"].map("{:,}".format)
    frame["balanced"] = [t.balance_text for t in report.totals]
    return frame.to_string(index=False)
