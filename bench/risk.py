"""Benchmark of the late-payment risk model (arassess.risk) on the Voltline sample and larger ledgers.

    python bench/risk.py [--sizes 24000,120000] [--repeat 1]

For each size a sample client is generated with arassess.sample (seed 7; 24,000 invoices is the
shipped sample) and loaded once (intake is not measured). Then, as the median of ``--repeat`` runs:

- ``features``: the feature table of every history row (riskfeatures.features, as-of sums);
- ``assess_risk``: the whole method — rows, split, rolling-origin model choice (6 fits), both
  candidates on the test period, the bootstrap, the refit on all history, scoring and drivers;
- ``reference``: one gradient-boosting fit (calibrated, as in the model) on the same training rows:
  the floor any such pipeline pays. ``assess_risk / reference`` says how many such fits the whole
  method costs.

It also prints the decision and the test AUC / Brier of the model and the baseline. A benchmark,
not a test: nothing here is compared with a fixed time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from arassess.assessment import load
from arassess.risk import _fit_predict, _history_rows, assess_risk
from arassess.timeline import day_number
from arassess.riskfeatures import features, outcomes
from arassess.sample import write_sample_client


def median_s(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` runs of ``fn`` (s) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def run(size: int, repeat: int, folder: Path) -> dict[str, object]:
    client = write_sample_client(folder / f"sample_{size}", seed=7, n_invoices=size)
    config, ledger = load(client)
    ledger.timeline  # built once, as in an assessment
    s, t = config.risk, day_number(pd.Timestamp(config.as_of))
    out = outcomes(ledger, s.threshold_days)
    rows = _history_rows(ledger, out, t, s)
    inv_day = ledger.timeline.inv_day[rows]
    feat_s, frame = median_s(lambda: features(ledger, rows, inv_day - 1, s.threshold_days, out), repeat)
    risk_s, result = median_s(lambda: assess_risk(ledger, config.as_of, s), repeat)
    due = ledger.timeline.due_day[rows]
    cutoff = result.split["cutoff"]
    train = due + s.threshold_days + 1 <= day_number(cutoff)
    y = out.late[rows].astype(int)
    X = frame.X  # type: ignore[attr-defined]
    ref_s, _ = median_s(lambda: _fit_predict("boosting", s.seed, X[train], y[train], X[~train]), repeat)
    v = result.validation.set_index("predictor")
    return {"invoices": size, "history rows": len(rows), "features s": feat_s, "assess_risk s": risk_s,
            "reference fit s": ref_s, "ratio": risk_s / ref_s, "used": result.model_name,
            "model AUC": v.loc[v["chosen"]].iloc[0]["auc"], "baseline AUC": v.loc["baseline", "auc"],
            "model Brier": v.loc[v["chosen"]].iloc[0]["brier"], "baseline Brier": v.loc["baseline", "brier"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="24000,120000", help="invoice counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(x) for x in args.sizes.split(",")):
            print(f"{size:,} invoices ...", file=sys.stderr, flush=True)
            results.append(run(size, args.repeat, Path(tmp)))
    table = pd.DataFrame(results)
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    return 0 if np.isfinite(table["ratio"]).all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
