"""The KPI registry: one table of (key, formula, label, unit, direction, benchmark).

Notebooks, the CLI, reports and the history store all loop over :data:`KPIS`;
nothing else lists KPIs. Benchmarks are common B2B rules of thumb (see
``BENCHMARK_SOURCE``); a client's goals override them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from arassess.errors import ArgumentError
from arassess.kpi import formulas as k

BENCHMARK_SOURCE = ("rule-of-thumb levels for B2B collections commonly quoted in credit-management "
                    "practice; set the client's own targets under goals: in client.yaml")


@dataclass(frozen=True, kw_only=True)
class Kpi:
    """One KPI: its formula, how a client reads it, and what it is compared with."""

    key: str
    function: Callable[[pd.DataFrame, int], tuple[pd.Series, pd.Series]]
    label: str
    unit: str  # "currency" | "days" | "%" | "x"
    higher_is_better: bool | None  # None: neither (a size, not a performance)
    benchmark: float | None
    needs_history: bool  # needs the full ledger (sales, settlements), not just open items
    definition: str  # the formula in the client's words (the report's appendix, the CLI)
    reads: tuple[str, ...]  # the measures-table columns the formula reads (a test checks they exist)

    def status(self, value: float) -> str:
        """'good', 'bad' or '' against the benchmark."""
        if self.benchmark is None or self.higher_is_better is None or pd.isna(value):
            return ""
        better = value >= self.benchmark if self.higher_is_better else value <= self.benchmark
        return "good" if better else "bad"


KPIS: tuple[Kpi, ...] = (
    Kpi(key="ar_total", function=k.ar_total, label="Total AR", unit="currency", higher_is_better=None,
        benchmark=None, needs_history=False,
        definition="Total AR(T) = Σ open(i, T).", reads=("ar",)),
    Kpi(key="ar_overdue", function=k.ar_overdue, label="Overdue AR", unit="currency", higher_is_better=False,
        benchmark=None, needs_history=False,
        definition="Overdue AR = AR(T) − current AR(T) (current = not yet due).", reads=("ar_overdue",)),
    Kpi(key="dso", function=k.dso, label="DSO (period)", unit="days", higher_is_better=False, benchmark=45.0,
        needs_history=True, definition="Period DSO = AR(T) / sales(T − N, T] × N.",
        reads=("ar", "covered_window", "sales_window")),
    Kpi(key="dso_countback", function=k.dso_countback, label="DSO (countback)", unit="days",
        higher_is_better=False, benchmark=45.0, needs_history=True,
        definition="Countback DSO: AR(T) walked back over calendar months of sales.",
        reads=("countback_dso", "countback_reason")),
    Kpi(key="bpdso", function=k.bpdso, label="Best possible DSO", unit="days", higher_is_better=False,
        benchmark=None, needs_history=True,
        definition="Best possible DSO = current AR(T) / sales(T − N, T] × N.",
        reads=("ar_current", "covered_window", "sales_window")),
    Kpi(key="add", function=k.add, label="ADD (DSO − BPDSO)", unit="days", higher_is_better=False,
        benchmark=10.0, needs_history=True,
        definition="ADD (DSO − BPDSO) = overdue AR(T) / sales(T − N, T] × N.",
        reads=("ar_overdue", "covered_window", "sales_window")),
    Kpi(key="cei", function=k.cei, label="CEI", unit="%", higher_is_better=True, benchmark=80.0,
        needs_history=True,
        definition=("CEI over (S, T], S = T − N: (AR(S) + sales(S, T] − AR(T)) / "
                    "(AR(S) + sales(S, T] − current AR(T)) × 100."),
        reads=("ar", "ar_current", "ar_window_start", "covered_window", "sales_window")),
    Kpi(key="pct_over_90", function=k.pct_over_90, label="% of AR over 90 days past due", unit="%",
        higher_is_better=False, benchmark=10.0, needs_history=False,
        definition="% over 90 = AR more than 90 days past due / AR(T) × 100.", reads=("ar", "ar_over_90")),
    Kpi(key="days_to_pay", function=k.days_to_pay, label="Days to pay (amount-weighted)", unit="days",
        higher_is_better=False, benchmark=45.0, needs_history=True,
        definition=("Amount-weighted days to pay of invoices paid in (T − N, T]: "
                    "Σ amount × (paid − invoice date) / Σ amount."),
        reads=("settled_amount", "settled_amount_days")),
    Kpi(key="mean_days_late", function=k.mean_days_late, label="Mean days late", unit="days",
        higher_is_better=False, benchmark=10.0, needs_history=True,
        definition="Mean days late of invoices paid in (T − N, T]: mean of max(0, paid − due).",
        reads=("settled_count", "settled_late_days")),
    Kpi(key="on_time_rate", function=k.on_time_rate, label="On-time payment rate", unit="%",
        higher_is_better=True, benchmark=80.0, needs_history=True,
        definition=("On-time rate = invoices paid in (T − N, T] on or before their due date / "
                    "invoices paid then × 100."),
        reads=("settled_count", "settled_on_time")),
    Kpi(key="bad_debt_ratio", function=k.bad_debt_ratio, label="Bad-debt ratio (12 m)", unit="%",
        higher_is_better=False, benchmark=1.0, needs_history=True,
        definition="Bad-debt ratio = write-offs in (T − 365, T] / credit sales in (T − 365, T] × 100.",
        reads=("covered_12m", "sales_12m", "writeoffs_12m")),
    Kpi(key="dispute_rate", function=k.dispute_rate, label="Dispute rate", unit="%", higher_is_better=False,
        benchmark=2.0, needs_history=True,
        definition="Dispute rate = invoices issued in (T − N, T] disputed by T / invoices issued then × 100.",
        reads=("disputed_window", "issued_window")),
    Kpi(key="ar_turnover", function=k.ar_turnover, label="AR turnover (12 m)", unit="x", higher_is_better=True,
        benchmark=8.0, needs_history=True,
        definition="AR turnover = credit sales (T − 365, T] / ((AR(T − 365) + AR(T)) / 2).",
        reads=("ar", "ar_year_ago", "covered_12m", "sales_12m")),
    Kpi(key="top10_overdue_share", function=k.top10_overdue_share, label="Top-10 customers' share of overdue AR",
        unit="%", higher_is_better=False, benchmark=50.0, needs_history=False,
        definition=("Top-10 share = net overdue AR of the 10 customers owing most / net overdue AR of all "
                    "customers owing × 100 (a customer whose overdue credits exceed its debts owes nothing)."),
        reads=("customers_overdue", "top10_overdue")),
    Kpi(key="expected_write_off", function=k.expected_write_off, label="Expected write-off (roll rates)",
        unit="currency", higher_is_better=False, benchmark=None, needs_history=True,
        definition="Expected write-off of today's AR from 6-month average roll rates.",
        reads=("expected_write_off", "write_off_reason")),
)

_BY_KEY = {kpi.key: kpi for kpi in KPIS}


def get(key: str) -> Kpi:
    """The registry entry of ``key``; ValueError listing the valid keys otherwise."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ArgumentError(f"unknown KPI {key!r}; valid keys: {', '.join(_BY_KEY)}") from None
