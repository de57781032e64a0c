"""Benchmark of the cost case (notebook 02 and the dashboard) on the Voltline sample.

    python bench/costmodel.py [--repeat 20]

Loads sample_data/voltline once (intake is not measured), then times, as the median of
``--repeat`` runs after one untimed warm-up:

- ``observed_curve`` (the client's collection curve with its customer bootstrap, 200 replicates);
- ``build_book`` (flow, stock, relationship exposure and claim-size mix by hand-off day);
- ``strategy_days`` (every hand-off day, on the flow);
- ``break_even`` for each lever of ``BREAK_EVEN_LEVERS``; ``tornado``;
- ``analyse`` (all of the above but the curve and book: what a dashboard change costs);
- ``cost_case`` (everything, from the loaded ledger).

Each part is printed in ms with its share of ``cost_case``. A benchmark, not a test: nothing here
is compared with a fixed time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import pandas as pd

from arassess.assessment.case import load
from arassess.costs.case import (
    BREAK_EVEN_LEVERS,
    analyse,
    break_even,
    build_book,
    cost_case,
    ledger_assumptions,
    tornado,
)
from arassess.costs.claims import overdue_claims, yearly_overdue_flow
from arassess.costs.collection import observed_curve
from arassess.costs.model import strategy_days
from arassess.paths import SAMPLE_DATA_DIR

CLIENT = "voltline"


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` runs of ``fn`` (ms) after one untimed warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    config, ledger = load(SAMPLE_DATA_DIR / CLIENT)
    date = pd.Timestamp(config.as_of)
    claims = overdue_claims(ledger, date, config.aging_edges)
    a, curve, observed, notes = ledger_assumptions(config, ledger, date)
    book = build_book(ledger, date, a, claims, curve, config.escalation)
    flow = yearly_overdue_flow(ledger, date)
    parts = {
        "observed_curve (bootstrap 200)": lambda: observed_curve(ledger, date, a.recovery_curve),
        "build_book": lambda: build_book(ledger, date, a, claims, curve, config.escalation),
        "strategy_days": lambda: strategy_days(book, a),
        **{f"break_even {lever}": (lambda lv=lever: break_even(book, a, None, lv)) for lever in BREAK_EVEN_LEVERS},
        "tornado": lambda: tornado(book, a, None),
        "analyse (a dashboard change)": lambda: analyse(config.name, config.currency, date, claims, flow, book, a,
                                                        None, tuple(notes), observed),
        "cost_case (everything)": lambda: cost_case(config, ledger),
    }
    times = {name: median_ms(fn, args.repeat) for name, fn in parts.items()}
    total = times["cost_case (everything)"]
    print(f"cost case of {CLIENT}: {len(claims):,} overdue claims, {curve.start_count:,} claims in the curve; "
          f"median of {args.repeat} runs")
    for name, ms in times.items():
        print(f"  {name:<40} {ms:9.1f} ms  {ms / total:6.1%}")


if __name__ == "__main__":
    main()
