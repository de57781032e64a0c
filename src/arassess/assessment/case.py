"""The assessment of the current process (notebook 01), built from section functions.

:func:`assess` loads a client folder once and calls each section builder; the
:class:`Assessment` it returns holds data only (tables, findings). Figures are
made from it by :mod:`arassess.assessment.charts`; the notebook only displays. Like a
pyfolio tear sheet, the whole is a sequence of calls, each section testable alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from arassess.assessment.aging import aging_by_segment, aging_summary, top_overdue_customers
from arassess.assessment.behaviour import behaviour_by_segment, dispute_summary, settled_invoices
from arassess.assessment.findings import Finding, generate_findings, seasonality_note
from arassess.assessment.maturity import Maturity, load_questionnaire, score_maturity
from arassess.config.client import ClientConfig, load_config
from arassess.errors import ArgumentError, OverwriteError
from arassess.forecast.model import CashForecast
from arassess.forecast.model import forecast as cash_forecast
from arassess.forecast.store import forecast_key, save_forecast
from arassess.inputs.intake import as_of_notes, load_ledger
from arassess.inputs.run_cache import cache_folder, input_key
from arassess.inputs.run_cache import read as read_cached
from arassess.inputs.run_cache import save as save_cached
from arassess.kpi.benchmarks import Benchmark, benchmark_set
from arassess.kpi.coverage import date_coverage, kpi_availability, monthly_sales
from arassess.kpi.engine import KpiTable, compute_kpis, kpi_series, months_before
from arassess.kpi.open_items import open_invoices
from arassess.kpi.registry import KPIS
from arassess.kpi.rollrates import roll_rate_table
from arassess.kpi.scorecard import scorecard
from arassess.ledger.model import Ledger
from arassess.legal.entitlement import Entitlement, entitlement
from arassess.paths import resolve_client_dir
from arassess.risk.model import RiskResult, assess_risk
from arassess.risk.store import risk_key, save_risk

COMPARE_MONTHS = (3, 12)  # the scorecard compares with these many months earlier


@dataclass(frozen=True)
class Assessment:
    """Everything notebook 01 shows, as data."""

    config: ClientConfig
    ledger: Ledger
    as_of: pd.Timestamp
    window_days: int
    table: KpiTable               # every KPI at as_of and the comparison dates
    series: KpiTable | None       # monthly KPIs over the history (None for open items)
    scorecard: pd.DataFrame       # registry KPIs at as_of with changes vs 3 and 12 months
    coverage: pd.DataFrame
    availability: pd.DataFrame
    positions: pd.DataFrame
    aging: pd.DataFrame
    aging_by_segment: pd.DataFrame
    top_customers: pd.DataFrame
    settled: pd.DataFrame | None
    segment_behaviour: pd.DataFrame | None
    disputes: Any
    rolls: pd.DataFrame | None
    maturity: Maturity | None
    findings: list[Finding]
    seasonality: str | None
    known_risk: RiskResult | None = field(default=None, repr=False)  # a fit of the same ledger and date
    known_forecast: CashForecast | None = field(default=None, repr=False)  # the forecast of the same ledger and date
    entitlement: Entitlement = field(default_factory=lambda: Entitlement(False, "not computed"))  # late-payment law
    benchmarks: Mapping[str, Benchmark] = field(default_factory=dict)  # what each KPI is compared with

    @property
    def currency(self) -> str:
        return self.config.currency

    @property
    def notes(self) -> tuple[str, ...]:
        """The load's notes, its as-of warnings made for this assessment's date (the load's are for
        the date in client.yaml; the dashboard may look at another)."""
        led = self.ledger
        if led.as_of is not None and self.as_of == led.as_of:
            return led.quality.notes
        stale = set(as_of_notes(led.invoices, led.shape, led.as_of, self.currency))
        return tuple(n for n in led.quality.notes if n not in stale) + tuple(
            as_of_notes(led.invoices, led.shape, self.as_of, self.currency))

    @cached_property
    def risk(self) -> RiskResult:
        """Late-payment risk at as_of (arassess.risk.model): ``known_risk`` when given, else fitted on first
        use (a few seconds) and kept."""
        if self.known_risk is not None:
            return self.known_risk
        return assess_risk(self.ledger, self.as_of, self.config.risk)

    @cached_property
    def forecast(self) -> CashForecast:
        """Expected receipts of the next 13 weeks at as_of with the forecast's backtest
        (arassess.forecast.model): ``known_forecast`` when given, else computed on first use (a second
        or two; about 5 s at a million invoices) and kept."""
        if self.known_forecast is not None:
            return self.known_forecast
        return cash_forecast(self.ledger, self.as_of, self.currency,
                             include_new_sales=self.config.include_new_sales)

    def summary(self) -> dict[str, Any]:
        """Key figures as JSON-ready data (what tests and later runs read back)."""
        def num(x: Any) -> float | None:
            return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)

        return {
            "client": self.config.name,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "window_days": self.window_days,
            "currency": self.currency,
            "shape": self.ledger.shape,
            "kpis": {row.key: num(row.value) for row in self.scorecard.itertuples()},
            "missing": {row.key: row.note for row in self.scorecard.itertuples() if row.note},
            "aging": {str(k): num(v) for k, v in self.aging["amount"].items()},
            "control_totals": self.ledger.quality.totals_frame().to_dict(orient="records"),
            "rejected_rows": int(sum(t.rows_rejected for t in self.ledger.quality.totals)),
            "maturity": None if self.maturity is None else {
                "overall": num(self.maturity.overall), "level": self.maturity.level},
            "findings": [f.__dict__ for f in self.findings],
            "risk": self.risk.summary(),
            "forecast": self.forecast.summary(),
            "entitlement": self.entitlement.summary(),
        }

    def write_summary(self, output_dir: str | Path) -> Path:
        """Write ``summary.json``, the risk result ``risk.json`` (arassess.risk.store) and the cash
        forecast ``forecast.json`` (arassess.forecast.store), read back by the later notebooks and the
        report of the same run, into ``output_dir``; never over an existing file."""

        target = Path(output_dir) / "summary.json"
        if target.exists():
            raise OverwriteError(f"{target} already exists")
        target.write_text(json.dumps(self.summary(), indent=2, default=str), encoding="utf-8")
        save_risk(self.risk, output_dir, risk_key(self.config, self.as_of))
        save_forecast(self.forecast, output_dir, forecast_key(self.config, self.as_of))
        return target


def scorecard_with_changes(table: KpiTable, as_of: pd.Timestamp, earlier: dict[int, pd.Timestamp],
                           benchmarks: Mapping[str, Benchmark] | None = None) -> pd.DataFrame:
    """The scorecard at ``as_of`` (against ``benchmarks``) plus, per comparison, the value then and the
    change since."""
    card = scorecard(table, as_of, benchmarks)
    for months, date in earlier.items():
        then = table.values.loc[date, card["key"]].to_numpy(dtype=float)
        card[f"{months}m_ago"] = then
        card[f"change_{months}m"] = card["value"].to_numpy(dtype=float) - then
    return card


def comparison_dates(as_of: pd.Timestamp) -> dict[int, pd.Timestamp]:
    """as_of minus 3 and 12 calendar months (month-end kept at month-end)."""
    return {months: months_before(as_of, months) for months in COMPARE_MONTHS}


def load(client_dir: str | Path) -> tuple[ClientConfig, Ledger]:
    """Read a client folder's config and ledger (once; :func:`assess` can reuse them).

    Inside a run of ``arassess assess``/``monthly``/``batch`` (:data:`arassess.inputs.run_cache.CACHE_ENV`
    set) the ledger validated at the start of the run is read back when its inputs are unchanged;
    otherwise, and in a plain Papermill run, the export is read and validated here."""
    config = load_config(resolve_client_dir(client_dir))
    folder = cache_folder()
    if folder is None:
        return config, load_ledger(config)
    key = input_key(config)
    ledger = read_cached(folder, key)
    if ledger is None:
        ledger = load_ledger(config)
        save_cached(ledger, folder, key)
    return config, ledger


def assess(client_dir: str | Path, as_of: str | pd.Timestamp | None = None, *,
           window_days: int | None = None, history_months: int = 24,
           loaded: tuple[ClientConfig, Ledger] | None = None, risk: RiskResult | None = None,
           forecast: CashForecast | None = None) -> Assessment:
    """Build every section of the assessment of ``client_dir`` at ``as_of``.

    ``loaded`` is the result of :func:`load` for the same folder, to skip re-reading it
    (the dashboard re-assesses one client at many dates); ``risk`` an earlier risk result of the same
    ledger (ValueError when its date differs), so a change of window or history does not refit it;
    ``forecast`` likewise an earlier cash forecast of the same ledger and date.
    """
    config, ledger = loaded if loaded is not None else load(client_dir)
    date = pd.Timestamp(as_of or config.as_of or ledger.as_of).normalize()
    if risk is not None and risk.as_of != date:
        raise ArgumentError(f"the risk result is at {risk.as_of:%Y-%m-%d}, the assessment at {date:%Y-%m-%d}")
    if forecast is not None and forecast.as_of != date:
        raise ArgumentError(f"the forecast is at {forecast.as_of:%Y-%m-%d}, the assessment at {date:%Y-%m-%d}")
    window = window_days or config.window_days
    edges = config.aging_edges
    history = ledger.shape == "ledger"

    earlier = comparison_dates(date) if history else {}
    table = compute_kpis(ledger, [date, *earlier.values()], window_days=window, aging_edges=edges)
    series = kpi_series(ledger, date, months=history_months, window_days=window, aging_edges=edges) \
        if history else None
    positions = open_invoices(ledger, date, edges)
    aging = aging_summary(positions)
    top = top_overdue_customers(positions, n=10)
    settled = settled_invoices(ledger, date, window) if history else None
    questionnaire = load_questionnaire()
    maturity = score_maturity(questionnaire, config.questionnaire) if config.questionnaire else None
    benchmarks = benchmark_set(config.industry, config.region)
    card = scorecard_with_changes(table, date, earlier, benchmarks)
    owed = entitlement(ledger, date, config.legal, config.currency, config.fx_rates)
    return Assessment(
        config=config, ledger=ledger, as_of=date, window_days=window, table=table, series=series,
        scorecard=card,
        coverage=date_coverage(ledger),
        availability=kpi_availability(table, date),
        positions=positions, aging=aging, aging_by_segment=aging_by_segment(positions), top_customers=top,
        settled=settled,
        segment_behaviour=behaviour_by_segment(settled) if settled is not None else None,
        disputes=dispute_summary(ledger, date, window),
        rolls=roll_rate_table(ledger, date, months=12) if history else None,
        maturity=maturity,
        findings=generate_findings(card, aging, top, maturity, config.currency,
                                   series.values if series is not None else None, owed,
                                   as_of_notes(ledger.invoices, ledger.shape, date, config.currency)),
        seasonality=seasonality_note(series.values, monthly_sales(ledger, date, history_months))
        if series is not None else None,
        known_risk=risk,
        known_forecast=forecast,
        entitlement=owed,
        benchmarks=benchmarks,
    )


__all__ = ["Assessment", "assess", "KPIS"]
