"""Benchmark of the KPI engine against the same KPIs in DuckDB SQL, in the same run.

    python bench/kpi_engine.py [--sizes 100000,1000000,5000000] [--repeat 3]

For each ledger size (invoices) it generates a synthetic ledger (vectorized
numpy, fixed seed), then times

(a) the as-of snapshot of every KPI: ``compute_kpis(ledger, T)``;
(b) the 24-month KPI series: ``kpi_series(ledger, T, months=24)``;

with arassess (from a fresh :class:`~arassess.ledger.model.Ledger`, so building its
timeline is included) and with DuckDB SQL (``tests/duckdb_reference.py``) over the
same pandas frames registered in an in-memory connection. It prints the ratio
arassess / DuckDB of each, the series / snapshot ratio of arassess, and
arassess's peak memory (measured in a fresh subprocess per size). At the
smallest size it also compares the two implementations' KPI values.

See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the DuckDB oracle lives with the tests

import duckdb  # noqa: E402
import duckdb_reference as ref  # noqa: E402

from arassess.kpi.engine import compute_kpis, kpi_series  # noqa: E402
from arassess.ledger.keys import customer_codes, first_positions  # noqa: E402
from arassess.ledger.model import Ledger  # noqa: E402

DEFAULT_SIZES = (100_000, 1_000_000, 5_000_000)
SEED = 20240601
START = np.datetime64("2023-07-01", "D")
HISTORY_DAYS = 3 * 365 + 1          # ~3 years of invoices, ending on the as-of date
AS_OF = START + HISTORY_DAYS - 1     # 2026-06-30: the data "export" date
SNAPSHOT = pd.Timestamp("2026-06-17")  # snapshot date (not a month-end)
SERIES_MONTHS = 24
WINDOW_DAYS = 90
INVOICES_PER_CUSTOMER = 50
TERMS = np.array([14, 30, 30, 45, 60])
PARTIAL_SHARE = 0.10
WRITE_OFF_SHARE = 0.015
DISPUTE_SHARE = 0.03
VALIDATE_UP_TO = 1_000_000           # 5M skips pandera (~14 s there; the generator is the same)


# --- synthetic ledger ---------------------------------------------------------------

def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Integer days (since START) to datetime64[s], NaT where not ``valid``."""
    out = (START + days.astype("timedelta64[D]")).astype("datetime64[s]")
    if valid is not None:
        out[~valid] = np.datetime64("NaT")
    return out


def synthetic_frames(n: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invoices and payments of a synthetic B2B ledger of ``n`` invoices (canonical columns).

    ~3 years of invoices; customers of very different sizes and habits; ~10 %
    of invoices paid in 2–4 instalments, ~1.5 % written off (some only
    partly), ~3 % disputed (a few flagged without a date). The loader's rules
    hold: payments of an invoice never exceed it nor precede it, paid_date is
    the last payment's date when an invoice is paid in instalments, and
    nothing is dated after the export date.
    """
    rng = np.random.default_rng(seed)
    end = HISTORY_DAYS - 1
    n_cust = max(20, n // INVOICES_PER_CUSTOMER)
    customer = np.minimum((n_cust * rng.random(n) ** 2.5).astype(np.int64), n_cust - 1)  # a few large ones
    inv = np.sort(rng.integers(0, HISTORY_DAYS, n))
    due = inv + TERMS[rng.integers(0, len(TERMS), n)]
    amount = np.round(np.maximum(rng.lognormal(7.0, 1.1, n), 5.0), 2)

    habit = rng.gamma(1.5, 6.0, n_cust)  # each customer's typical lateness (days)
    late = np.round(rng.normal(-4.0, 5.0, n) + rng.exponential(habit[customer])).astype(np.int64)
    disputed = rng.random(n) < DISPUTE_SHARE
    dispute_day = inv + rng.integers(1, 45, n)
    late = late + np.where(disputed, rng.integers(10, 90, n), 0)
    pay_day = np.maximum(due + late, inv)
    stuck = rng.random(n) < 0.01                   # lost in a drawer: paid very late
    pay_day = pay_day + np.where(stuck, rng.integers(60, 400, n), 0)

    written = rng.random(n) < WRITE_OFF_SHARE
    wo_day = due + rng.integers(120, 420, n)
    written &= wo_day <= end
    paid = ~written & (pay_day <= end)
    dispute_valid = disputed & (dispute_day <= end) & (rng.random(n) < 0.9)  # some flags have no date

    # instalments: k partial payments before the last day the invoice is open
    partial = rng.random(n) < PARTIAL_SHARE
    pos = np.flatnonzero(partial)
    k = rng.integers(1, 4, len(pos))
    last_day = np.where(paid, pay_day, np.where(written, wo_day - 1, end))[pos]
    owner = np.repeat(pos, k)
    span = np.maximum(np.repeat(last_day - inv[pos], k), 0)
    p_day = np.repeat(inv[pos], k) + (rng.random(len(owner)) * (span + 1)).astype(np.int64)
    share = rng.uniform(0.05, 0.9, len(pos)) / k   # Σ partials < 90 % of the amount
    p_amt = np.floor(np.repeat(amount[pos] * share, k) * 100) / 100
    keep = p_amt > 0
    owner, p_day, p_amt = owner[keep], p_day[keep], p_amt[keep]
    # paid invoices: the remainder on the paid date (paid_date = the last payment)
    done = pos[paid[pos]]
    partial_sum = np.bincount(owner, weights=p_amt, minlength=n)
    rest = np.round(amount[done] - partial_sum[done], 2)
    owner = np.concatenate([owner, done[rest > 0]])
    p_day = np.concatenate([p_day, pay_day[done][rest > 0]])
    p_amt = np.concatenate([p_amt, rest[rest > 0]])
    order = np.lexsort((p_day, owner))
    owner, p_day, p_amt = owner[order], p_day[order], p_amt[order]

    # write-offs: usually the whole remainder (amount or empty), sometimes half of it
    remainder = amount - partial_sum
    wo_amount = np.where(rng.random(n) < 0.25, np.round(remainder * 0.5, 2), np.round(remainder, 2))
    wo_amount = np.where(written, wo_amount, np.nan)
    wo_amount[written & (rng.random(n) < 0.2)] = np.nan   # empty amount: the whole open balance

    ids = np.char.add("INV", np.char.zfill(np.arange(n).astype(str), 8)).astype(object)
    cust_ids = np.char.add("C", np.char.zfill(np.arange(n_cust).astype(str), 6)).astype(object)
    invoices = pd.DataFrame({
        "invoice_id": pd.array(ids, dtype="str"),
        "customer_id": pd.array(cust_ids[customer], dtype="str"),
        "invoice_date": _dates(inv),
        "due_date": _dates(due),
        "amount": amount,
        "paid_date": _dates(pay_day, paid),
        "disputed": disputed,
        "dispute_date": _dates(dispute_day, dispute_valid),
        "written_off_date": _dates(wo_day, written),
        "written_off_amount": wo_amount,
    })
    payments = pd.DataFrame({
        "invoice_id": pd.array(ids[owner], dtype="str"),
        "payment_date": _dates(p_day),
        "amount": p_amt,
    })
    return invoices, payments


def make_ledger(invoices: pd.DataFrame, payments: pd.DataFrame, *, validate: bool) -> Ledger:
    """The Ledger ``ledger_from_frames`` would build (without pandera when ``validate`` is False)."""
    if validate:
        from arassess.inputs.intake import ledger_from_frames

        return ledger_from_frames(invoices, payments, currency="EUR", as_of=_as_of_timestamp())
    inv = invoices.assign(currency="EUR", amount_original=invoices["amount"])  # copy-on-write: no deep copy
    # the intake matches each payment to its invoice row once; the KPIs start from that
    return Ledger(invoices=inv, payments=payments, customers=None, shape="ledger", currency="EUR",
                  as_of=_as_of_timestamp(), payment_invoice=first_positions(payments["invoice_id"], inv["invoice_id"]),
                  customer_codes=customer_codes(inv))


def fresh(ledger: Ledger) -> Ledger:
    """A copy of ``ledger`` sharing its frames but without a cached timeline."""
    return Ledger(invoices=ledger.invoices, payments=ledger.payments, customers=ledger.customers,
                  shape=ledger.shape, currency=ledger.currency, as_of=ledger.as_of,
                  quality=ledger.quality, name=ledger.name, payment_invoice=ledger.payment_invoice,
                  customer_codes=ledger.customer_codes)


def _as_of_timestamp() -> pd.Timestamp:
    return pd.Timestamp(AS_OF)


def series_dates() -> pd.DatetimeIndex:
    from arassess.kpi.engine import month_end_dates

    return month_end_dates(SNAPSHOT, SERIES_MONTHS)


# --- timing -------------------------------------------------------------------------

def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` runs of ``fn`` after one untimed warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def arassess_snapshot(ledger: Ledger) -> Callable[[], object]:
    return lambda: compute_kpis(fresh(ledger), SNAPSHOT, window_days=WINDOW_DAYS)


def arassess_series(ledger: Ledger) -> Callable[[], object]:
    return lambda: kpi_series(fresh(ledger), SNAPSHOT, months=SERIES_MONTHS, window_days=WINDOW_DAYS)


def duck_connection(invoices: pd.DataFrame, payments: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    ref.register(con, invoices, payments)
    return con


# --- agreement ----------------------------------------------------------------------

def compare(ledger: Ledger, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Max relative difference per compared KPI, snapshot and series together."""
    dates = pd.DatetimeIndex([SNAPSHOT]).append(series_dates())
    ours = compute_kpis(fresh(ledger), dates, window_days=WINDOW_DAYS)
    ours_all = pd.concat([ours.values, ours.aging.add_prefix("bucket:")], axis=1)
    theirs = ref.compute(con, dates, window_days=WINDOW_DAYS)
    return ref.differences(ours_all, theirs)


# --- memory (fresh subprocess per size) ----------------------------------------------

def _rss_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the process's peak RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def memory_child(n: int) -> dict:
    """Run in a fresh process: build the ledger, then run snapshot + series once; peaks in MB."""
    invoices, payments = synthetic_frames(n)
    ledger = make_ledger(invoices, payments, validate=False)
    del invoices, payments
    gc.collect()
    base = _rss_mb("VmRSS")
    reset = _reset_peak()
    compute_kpis(fresh(ledger), SNAPSHOT, window_days=WINDOW_DAYS)
    kpi_series(fresh(ledger), SNAPSHOT, months=SERIES_MONTHS, window_days=WINDOW_DAYS)
    peak = _rss_mb("VmHWM") if reset else None
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"ledger_rss_mb": base, "peak_mb": peak if peak is not None else maxrss,
            "peak_is_run_only": reset, "process_maxrss_mb": maxrss}


def measure_memory(n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(n)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- main ---------------------------------------------------------------------------

def run_size(n: int, repeat: int, check_values: bool) -> dict:
    reps = 1 if n >= 5_000_000 else repeat
    progress(f"n={n:,}: generating the ledger")
    t0 = time.perf_counter()
    invoices, payments = synthetic_frames(n)
    gen_s = time.perf_counter() - t0
    validate = n <= VALIDATE_UP_TO
    t0 = time.perf_counter()
    ledger = make_ledger(invoices, payments, validate=validate)
    load_s = time.perf_counter() - t0
    progress(f"n={n:,}: {len(invoices):,} invoices, {len(payments):,} payments in {gen_s:.1f}s; "
             f"ledger {'validated by ledger_from_frames' if validate else 'built without validation'} "
             f"in {load_s:.1f}s")
    con = duck_connection(ledger.invoices, ledger.payments)
    dates = series_dates()
    row: dict = {"n": n, "payments": len(payments), "repeat": reps, "validated": validate}
    if check_values:
        progress(f"n={n:,}: comparing KPI values")
        row["diffs"] = compare(ledger, con)
    progress(f"n={n:,}: arassess snapshot")
    row["a_snap"] = best_of(arassess_snapshot(ledger), reps)
    progress(f"n={n:,}: duckdb snapshot")
    row["d_snap"] = best_of(lambda: ref.compute(con, [SNAPSHOT], window_days=WINDOW_DAYS), reps)
    progress(f"n={n:,}: arassess series")
    row["a_series"] = best_of(arassess_series(ledger), reps)
    progress(f"n={n:,}: duckdb series")
    row["d_series"] = best_of(lambda: ref.compute(con, dates, window_days=WINDOW_DAYS), reps)
    progress(f"n={n:,}: duckdb single-threaded")
    con.execute("SET threads = 1")
    row["d1_snap"] = best_of(lambda: ref.compute(con, [SNAPSHOT], window_days=WINDOW_DAYS), reps)
    row["d1_series"] = best_of(lambda: ref.compute(con, dates, window_days=WINDOW_DAYS), reps)
    con.close()
    del con, ledger, invoices, payments
    gc.collect()
    progress(f"n={n:,}: peak memory (fresh subprocess)")
    row.update(measure_memory(n))
    return row


def print_tables(rows: list[dict]) -> None:
    head = (f"{'invoices':>10} {'snap arassess s':>15} {'snap duckdb s':>13} {'ratio':>6} "
            f"{'series arassess s':>17} {'series duckdb s':>15} {'ratio':>6} {'series/snap':>11} "
            f"{'peak MB':>8} {'ledger MB':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['n']:>10,} {r['a_snap']:>15.3f} {r['d_snap']:>13.3f} {r['a_snap'] / r['d_snap']:>6.2f} "
              f"{r['a_series']:>17.3f} {r['d_series']:>15.3f} {r['a_series'] / r['d_series']:>6.2f} "
              f"{r['a_series'] / r['a_snap']:>11.2f} {_mb(r['peak_mb'], r['peak_is_run_only'])} "
              f"{_mb(r['ledger_rss_mb'], True, 9)}")
    if not all(r["peak_is_run_only"] for r in rows):
        print("* peak RSS could not be reset after building the ledger: this is the whole process's peak")
    print("\nsame, against DuckDB limited to 1 thread (arassess is single-threaded):")
    head = f"{'invoices':>10} {'snap duckdb-1t s':>16} {'ratio':>6} {'series duckdb-1t s':>18} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['n']:>10,} {r['d1_snap']:>16.3f} {r['a_snap'] / r['d1_snap']:>6.2f} "
              f"{r['d1_series']:>18.3f} {r['a_series'] / r['d1_series']:>6.2f}")


def profile(n: int, top: int = 18) -> None:
    """cProfile of one arassess snapshot and one series (fresh timeline each), by own time."""
    import cProfile
    import pstats

    progress(f"n={n:,}: profiling arassess")
    ledger = make_ledger(*synthetic_frames(n), validate=False)
    for name, fn in (("snapshot", arassess_snapshot(ledger)), ("series", arassess_series(ledger))):
        fn()
        prof = cProfile.Profile()
        prof.enable()
        fn()
        prof.disable()
        print(f"\n--- cProfile, arassess {name} at {n:,} invoices (top {top} by own time) ---")
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.strip_dirs().sort_stats("tottime").print_stats(top)


def _mb(value: float | None, exact: bool, width: int = 8) -> str:
    text = "n/a" if value is None else f"{value:.0f}{'' if exact else '*'}"
    return f"{text:>{width}}"


def _engine_version() -> str:
    """arassess version and the git commit of the engine (with 'modified' if src/ has edits)."""
    import arassess

    try:
        root = HERE.parent
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src/arassess"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return f"arassess {arassess.__version__} at {head}{' (src/arassess modified)' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return f"arassess {arassess.__version__}"


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "load average unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        type=lambda s: sorted(int(x.replace("_", "")) for x in s.split(",") if x),
                        help="comma-separated invoice counts (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (best is kept; "
                        "1 for 5M and above)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of arassess's snapshot "
                        "and series at the largest size up to 1M")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child)))
        return 0

    threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"{_engine_version()} vs DuckDB {duckdb.__version__} ({threads} threads by default; arassess is "
          f"single-threaded numpy); {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"pandas {pd.__version__}; {_load()} at start")
    print(f"snapshot: all KPIs at {SNAPSHOT:%Y-%m-%d}; series: {SERIES_MONTHS} month-ends up to it; "
          f"window N = {WINDOW_DAYS} days; best of {args.repeat} after a warm-up (1 run at 5M+)")
    print("arassess timings start from a Ledger without a cached timeline (timeline build included); "
          "DuckDB timings query the same pandas frames registered in an in-memory connection.")
    print(f"ledgers ≤ {VALIDATE_UP_TO:,} invoices are built by ledger_from_frames (pandera); larger ones are "
          "constructed directly with the same typed frames (intake is not measured).")
    print("DuckDB side omits countback DSO and the roll-rate expected write-off.\n", flush=True)
    rows = []
    ok = True
    for n in args.sizes:
        rows.append(run_size(n, args.repeat, check_values=n == args.sizes[0]))
        if "diffs" in rows[-1]:
            diffs = rows[-1]["diffs"]
            worst = float(diffs["max_rel_diff"].max())
            mismatches = int(diffs["nan_mismatches"].sum())
            ok = worst < 1e-9 and mismatches == 0
            print(f"agreement at {n:,} invoices (snapshot + {SERIES_MONTHS} month-ends); relative difference "
                  "= |a - b| / max(|a|, |b|, 1):")
            print(diffs.to_string(float_format=lambda v: f"{v:.1e}"))
            print(f"=> worst relative difference {worst:.1e}, missing-value mismatches {mismatches}: "
                  f"{'AGREE' if ok else 'DISAGREE'}\n", flush=True)
    print_tables(rows)
    print("\nratio = arassess / DuckDB (targets: snapshot ≤ 1.5 and series ≤ 2 at 1M); series/snap = arassess "
          "series time / arassess snapshot time (target ≤ ~3 at 1M).")
    print("peak MB = peak RSS of a fresh process while arassess runs the snapshot and the series, the ledger "
          "frames included (target < 4096 at 5M); ledger MB = its RSS with just the ledger built.")
    print(f"{_load()} at the end (other processes on the machine skew timings)")
    if args.profile:
        profile(max([n for n in args.sizes if n <= 1_000_000] or [min(args.sizes)]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
