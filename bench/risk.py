"""Benchmark of the late-payment risk model (arassess.risk.model) on the Voltline sample and larger ledgers.

    python bench/risk.py [--sizes 24000,120000] [--repeat 1]

For each size a sample client is generated with arassess.inputs.sample (seed 7; 24,000 invoices is the
shipped sample) and loaded once (intake is not measured). Then, as the median of ``--repeat`` runs:

- ``features``: the feature table of every history row (riskfeatures.features, as-of sums);
- ``assess_risk``: the whole method — rows, split, rolling-origin model choice (6 fits), both
  candidates on the test period, the bootstrap, the refit on all history, scoring and drivers;
- ``reference``: one gradient-boosting fit (calibrated, as in the model) on the same training rows:
  the floor any such pipeline pays. ``assess_risk / reference`` says how many such fits the whole
  method costs.

It also prints the decision and the test AUC / Brier of the model and the baseline.

``--subsample`` instead checks the seeded sample of history rows a large ledger is fitted on
(``risk.max_history_rows``, 60,000 by default) on the 1M-invoice client of ``bench/pipeline.py``:
fitted twice at its default settings (the two results must be identical), then once on its whole
history (~800,000 rows, the reference), and the 250,000-invoice client of the same generator once
on its whole history. It prints each predictor's test AUC (95% interval), Brier score and time,
and whether the sampled fit is within the stated tolerance (arassess.risk.model, step 1): the reference
AUC of the predictor used inside the sampled fit's 95% interval, the Brier scores within 0.01.
The 250k client is another ledger (fewer years of the same customers), so its figures are shown
beside, judged by the same rule but not the reference.

A benchmark, not a test: nothing here is compared with a fixed time. See bench/README.md.
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

from arassess.assessment.case import load
from arassess.inputs.sample import write_sample_client
from arassess.ledger.balances import day_number, timeline_of
from arassess.risk.features import features, outcomes
from arassess.risk.model import _fit_predict, _history_rows, assess_risk


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
    timeline_of(ledger)  # built once, as in an assessment
    s, t = config.risk, day_number(pd.Timestamp(config.as_of))
    out = outcomes(ledger, s.threshold_days)
    rows = _history_rows(ledger, out, t, s)
    inv_day = timeline_of(ledger).inv_day[rows]
    feat_s, frame = median_s(lambda: features(ledger, rows, inv_day - 1, s.threshold_days, out), repeat)
    risk_s, result = median_s(lambda: assess_risk(ledger, config.as_of, s), repeat)
    due = timeline_of(ledger).due_day[rows]
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


BRIER_TOLERANCE = 0.01  # the stated tolerance of a sampled fit (arassess.risk.model, step 1)


def subsample(sampled_size: int = 1_000_000, other_size: int = 250_000) -> int:
    """The ``--subsample`` comparison (module docstring); exit status 1 when outside the tolerance
    or not reproducible."""
    import dataclasses

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from intake import sample_client

    rows, results = [], {}
    for label, size, whole in (("sampled", sampled_size, False), ("whole history", sampled_size, True),
                               ("whole history", other_size, True)):
        print(f"{size:,} invoices, {label} ...", file=sys.stderr, flush=True)
        config, ledger = load(sample_client(size, 150))
        s = dataclasses.replace(config.risk, max_history_rows=10 ** 8) if whole else config.risk
        seconds, result = median_s(lambda: assess_risk(ledger, config.as_of, s), 1)
        results[(label, size)] = result
        if not whole:
            again = assess_risk(ledger, config.as_of, s)
            same = again.validation.equals(result.validation) and again.customers.equals(result.customers)
        for name, r in result.validation.set_index("predictor").iterrows():
            rows.append({"invoices": size, "fit": label, "rows used": result.split["history_rows"],
                         "of": result.split["history_rows_available"], "seconds": seconds, "predictor": name,
                         "used": bool(r["used"]), "AUC": r["auc"], "AUC low": r["auc_low"],
                         "AUC high": r["auc_high"], "Brier": r["brier"]})
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print(pd.DataFrame(rows).to_string(index=False))
    sampled = results[("sampled", sampled_size)].validation.set_index("predictor")
    used = sampled[sampled["used"]].iloc[0]
    verdicts = []
    for key in (("whole history", sampled_size), ("whole history", other_size)):
        ref = results[key].validation.set_index("predictor").loc[used.name]
        inside = bool(used["auc_low"] <= ref["auc"] <= used["auc_high"]
                      and abs(used["brier"] - ref["brier"]) <= BRIER_TOLERANCE)
        verdicts.append(inside)
        print(f"{used.name} on the sample of {sampled_size:,}: AUC {used['auc']:.3f} [{used['auc_low']:.3f}, "
              f"{used['auc_high']:.3f}], Brier {used['brier']:.4f}; whole history of {key[1]:,}: AUC {ref['auc']:.3f}, "
              f"Brier {ref['brier']:.4f} → {'within' if inside else 'OUTSIDE'} the tolerance"
              + ("" if key[1] == sampled_size else " (another ledger: shown, not the reference)"))
    print(f"two sampled runs {'identical' if same else 'DIFFER'}")
    return 0 if verdicts[0] and same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="24000,120000", help="invoice counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--subsample", action="store_true",
                        help="compare the sampled fit at 1M invoices with a full fit at 250k (see above)")
    args = parser.parse_args(argv)
    if args.subsample:
        return subsample()
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
