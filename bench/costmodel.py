"""Benchmark of the cost case (notebook 02 and the dashboard) on the Voltline sample.

    python bench/costmodel.py [--repeat 20] [--scale 10]

Loads sample_data/voltline once (intake is not measured), builds the overdue claims and
assumptions as :func:`arassess.costcase.cost_case` does, then times, as the median of
``--repeat`` runs after one untimed warm-up:

- ``Claims.from_frame`` (the claims table to arrays);
- ``evaluate`` at the optimal hand-off day D;
- ``optimal_handoff`` (the search over 49 candidate days);
- ``break_even`` for each lever of ``BREAK_EVEN_LEVERS``;
- ``tornado`` (every lever at its low and high value);
- ``analyse`` (all of the above plus the recommendation: what a dashboard change costs).

It prints each part in ms, its share of ``analyse``, and how many money-line passes
(``costmodel._split``: one strategy assignment; ``costmodel.hybrid_lines``: every hand-off
day at once) it makes — time is mostly that
count times the cost of one evaluation. The same is repeated on a synthetic claims table
``--scale`` times larger (the claims repeated; the yearly workload and the FTEs scaled by the
same factor so the capacity ratio is unchanged) to show how the time grows with the claims.

A benchmark, not a test: nothing here is compared with a fixed time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from typing import Callable

import pandas as pd

import arassess.costmodel as costmodel
from arassess.assessment import load
from arassess.claims import annual_credit_sales, overdue_claims, yearly_overdue_flow
from arassess.costcase import BREAK_EVEN_LEVERS, analyse, break_even, ledger_assumptions, tornado
from arassess.costmodel import Assumptions, Claims, evaluate, optimal_handoff
from arassess.paths import SAMPLE_DATA_DIR

CLIENT = "voltline"


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` runs of ``fn`` (ms) after one untimed warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


def evaluations(fn: Callable[[], object]) -> int:
    """How many money-line passes ``fn`` makes: ``costmodel._split`` calls (one strategy
    assignment) plus ``costmodel.hybrid_lines`` calls (every hand-off day in one pass)."""
    names = ("_split", "hybrid_lines")
    originals = {name: getattr(costmodel, name) for name in names}
    count = 0

    def counting(original: Callable) -> Callable:
        def counted(*args, **kwargs):
            nonlocal count
            count += 1
            return original(*args, **kwargs)
        return counted

    for name in names:
        setattr(costmodel, name, counting(originals[name]))
    try:
        fn()
    finally:
        for name in names:
            setattr(costmodel, name, originals[name])
    return count


def parts(frame: pd.DataFrame, a: Assumptions) -> dict[str, Callable[[], object]]:
    """The calls timed, by name (``analyse`` last)."""
    c = Claims.from_frame(frame)
    day, _ = optimal_handoff(c, a)
    out: dict[str, Callable[[], object]] = {
        "Claims.from_frame": lambda: Claims.from_frame(frame),
        f"evaluate (D={day:g})": lambda: evaluate(c, a, day),
        "optimal_handoff": lambda: optimal_handoff(c, a),
    }
    for lever in BREAK_EVEN_LEVERS:  # as analyse runs them: the hybrid re-optimises D at every value
        out[f"break_even {lever}"] = lambda lever=lever: break_even(c, a, None, lever)
    out["tornado"] = lambda: tornado(c, a, None)
    out["analyse"] = lambda: analyse(CLIENT, "EUR", pd.Timestamp("2026-10-31"), frame, None, a)
    return out


def scaled(frame: pd.DataFrame, a: Assumptions, factor: int) -> tuple[pd.DataFrame, Assumptions]:
    """The claims repeated ``factor`` times; workload and FTEs scaled alike."""
    big = pd.concat([frame.assign(invoice_id=frame["invoice_id"].astype(str) + f"#{k}") for k in range(factor)],
                    ignore_index=True)
    flow = a.yearly_overdue_invoices if a.yearly_overdue_invoices is not None else len(frame)
    return big, dataclasses.replace(a, yearly_overdue_invoices=flow * factor,
                                    collector_ftes=a.collector_ftes * factor)


def measure(frame: pd.DataFrame, a: Assumptions, repeat: int) -> pd.DataFrame:
    rows = []
    for name, fn in parts(frame, a).items():
        rows.append({"part": name, "ms": median_ms(fn, repeat), "evaluations": evaluations(fn)})
    out = pd.DataFrame(rows).set_index("part")
    out["share"] = out["ms"] / out.loc["analyse", "ms"]
    out["us_per_eval"] = 1000.0 * out["ms"] / out["evaluations"].where(out["evaluations"] > 0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per measurement; the median is kept "
                        "(default: %(default)s)")
    parser.add_argument("--scale", type=int, default=10, help="size factor of the synthetic claims table "
                        "(default: %(default)s)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    config, ledger = load(SAMPLE_DATA_DIR / CLIENT)
    as_of = pd.Timestamp(config.as_of)
    claims = overdue_claims(ledger, as_of, config.aging_edges)
    flow = yearly_overdue_flow(ledger, as_of)
    a, _ = ledger_assumptions(config, claims, flow, annual_credit_sales(ledger, as_of))
    print(f"# {config.name}: {len(ledger.invoices):,} invoices, {len(claims):,} overdue claims at "
          f"{as_of:%Y-%m-%d}, loaded in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    print(f"# python {sys.version.split()[0]}, pandas {pd.__version__}, load average "
          f"{os.getloadavg()[0]:.2f}; median of {args.repeat} runs", file=sys.stderr, flush=True)

    base = measure(claims, a, args.repeat)
    big_claims, big_a = scaled(claims, a, args.scale)
    big = measure(big_claims, big_a, args.repeat)
    for label, frame, aa in (("1x", claims, a), (f"{args.scale}x", big_claims, big_a)):
        case = analyse(CLIENT, "EUR", as_of, frame, None, aa)
        print(f"# {label}: {len(frame):,} claims -> {case.strategy}, D = {case.handoff_day:g}", file=sys.stderr)

    table = pd.DataFrame({
        "1x ms": base["ms"], "share of analyse": base["share"], "evaluations": base["evaluations"],
        "µs/eval": base["us_per_eval"],
        f"{args.scale}x ms": big["ms"], f"{args.scale}x evals": big["evaluations"],
        f"{args.scale}x/1x": big["ms"] / base["ms"],
    })
    inside = [p for p in table.index if p not in ("analyse",) and not p.startswith("evaluate")]
    table.loc["(parts of analyse)", ["1x ms", "share of analyse", f"{args.scale}x ms"]] = [
        table.loc[inside, "1x ms"].sum(), table.loc[inside, "share of analyse"].sum(),
        table.loc[inside, f"{args.scale}x ms"].sum()]
    def ms(v: float) -> str:
        return "" if pd.isna(v) else f"{v:.2f}" if v < 10 else f"{v:.1f}"

    def count(v: float) -> str:
        return "" if pd.isna(v) else f"{v:,.0f}"

    formatters = {"1x ms": ms, f"{args.scale}x ms": ms, "share of analyse": lambda v: f"{v:.1%}",
                  "evaluations": count, f"{args.scale}x evals": count, "µs/eval": count,
                  f"{args.scale}x/1x": lambda v: "" if pd.isna(v) else f"{v:.2f}"}
    sys.stderr.flush()
    print(table.to_string(formatters=formatters, na_rep=""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
