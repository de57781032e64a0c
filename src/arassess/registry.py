"""The KPI registry: one table of (key, formula, label, unit, direction, benchmark).

Notebooks, the CLI, reports and the history store all loop over :data:`KPIS`;
nothing else lists KPIs. Benchmarks are common B2B rules of thumb (see
``BENCHMARK_SOURCE``); a client's goals override them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from arassess import kpis as k

BENCHMARK_SOURCE = ("rule-of-thumb levels for B2B collections commonly quoted in credit-management "
                    "practice; set the client's own targets under goals: in client.yaml")


@dataclass(frozen=True)
class Kpi:
    key: str
    function: Callable[[pd.DataFrame, int], tuple[pd.Series, pd.Series]]
    label: str
    unit: str  # "currency" | "days" | "%" | "x"
    higher_is_better: bool | None  # None: neither (a size, not a performance)
    benchmark: float | None
    needs_history: bool  # needs the full ledger (sales, settlements), not just open items

    def status(self, value: float) -> str:
        """'good', 'bad' or '' against the benchmark."""
        if self.benchmark is None or self.higher_is_better is None or pd.isna(value):
            return ""
        better = value >= self.benchmark if self.higher_is_better else value <= self.benchmark
        return "good" if better else "bad"


KPIS: tuple[Kpi, ...] = (
    Kpi("ar_total", k.ar_total, "Total AR", "currency", None, None, False),
    Kpi("ar_overdue", k.ar_overdue, "Overdue AR", "currency", False, None, False),
    Kpi("dso", k.dso, "DSO (period)", "days", False, 45.0, True),
    Kpi("dso_countback", k.dso_countback, "DSO (countback)", "days", False, 45.0, True),
    Kpi("bpdso", k.bpdso, "Best possible DSO", "days", False, None, True),
    Kpi("add", k.add, "ADD (DSO − BPDSO)", "days", False, 10.0, True),
    Kpi("cei", k.cei, "CEI", "%", True, 80.0, True),
    Kpi("pct_over_90", k.pct_over_90, "% of AR over 90 days past due", "%", False, 10.0, False),
    Kpi("days_to_pay", k.days_to_pay, "Days to pay (amount-weighted)", "days", False, 45.0, True),
    Kpi("mean_days_late", k.mean_days_late, "Mean days late", "days", False, 10.0, True),
    Kpi("on_time_rate", k.on_time_rate, "On-time payment rate", "%", True, 80.0, True),
    Kpi("bad_debt_ratio", k.bad_debt_ratio, "Bad-debt ratio (12 m)", "%", False, 1.0, True),
    Kpi("dispute_rate", k.dispute_rate, "Dispute rate", "%", False, 2.0, True),
    Kpi("ar_turnover", k.ar_turnover, "AR turnover (12 m)", "x", True, 8.0, True),
    Kpi("top10_overdue_share", k.top10_overdue_share, "Top-10 customers' share of overdue AR", "%",
        False, 50.0, False),
    Kpi("expected_write_off", k.expected_write_off, "Expected write-off (roll rates)", "currency",
        False, None, True),
)

_BY_KEY = {kpi.key: kpi for kpi in KPIS}


def get(key: str) -> Kpi:
    """The registry entry of ``key``; ValueError listing the valid keys otherwise."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown KPI {key!r}; valid keys: {', '.join(_BY_KEY)}") from None
