"""Intake at scale: arassess's loader against DuckDB reading and checking the same CSVs.

    python bench/intake.py [--invoices 1000000] [--customers 150] [--repeat 3] [--client DIR]

Writes a sample client of ``--invoices`` invoices (``arassess sample``, seed 3) into
``bench/_data/`` unless ``--client`` names one, then runs, ``--repeat`` times alternately, each in a
fresh process (so peak RSS is the step's own):

- **reference**: DuckDB (2 threads) reading the client's invoices, payments and customers CSVs
  with every column typed by its kind (dates with the client's format, amounts as doubles, flags),
  the core checks (duplicate invoice ids, due date before invoice date, negative amounts, payments
  without invoice, payments above their invoice) and the typed tables handed to pandas;
- **arassess**: :func:`arassess.inputs.intake.load_ledger` (every rule, problems with file, row, column
  and value, control totals, rejected rows, currency conversion).

Prints the median wall time and peak RSS of each and their ratio. A benchmark, not a test:
nothing here is compared with a fixed time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "_data"  # git-ignored

REFERENCE = r'''
import json, resource, sys, time
import duckdb
from arassess.config.client import load_config
from arassess.ledger.columns import COLUMNS
cfg = load_config(sys.argv[1])
start = time.perf_counter()
con = duckdb.connect()
con.execute("SET threads=2")

def select(kind):
    spec = cfg.files[kind]
    export = {canonical: name for name, canonical in spec.columns.items()}
    fmt = spec.date_format
    parts = []
    for column in COLUMNS[kind]:
        name = export.get(column.name, column.name)
        quoted = '"' + name.replace('"', '""') + '"'
        if column.kind == "date":
            parts.append(f"try_strptime(trim({quoted}), '{fmt}')::DATE AS {column.name}")
        elif column.kind in ("money", "int"):
            parts.append(f"try_cast(trim({quoted}) AS DOUBLE) AS {column.name}")
        elif column.kind == "bool":
            parts.append(f"lower(trim({quoted})) IN ('yes', 'true', '1', 'x', 'y') AS {column.name}")
        else:
            parts.append(f"trim({quoted}) AS {column.name}")
    header = con.execute(f"SELECT * FROM read_csv('{spec.path}', all_varchar=true, sample_size=1) LIMIT 0").df()
    present = [p for p, c in zip(parts, COLUMNS[kind]) if export.get(c.name, c.name) in header.columns]
    return f"SELECT {', '.join(present)} FROM read_csv('{spec.path}', all_varchar=true, delim='{spec.delimiter}')"

con.execute(f"CREATE TEMP TABLE inv AS {select('invoices')}")
counts = {}
if "payments" in cfg.files:
    con.execute(f"CREATE TEMP TABLE pay AS {select('payments')}")
    counts["unknown_payments"] = con.execute(
        "SELECT count(*) FROM pay ANTI JOIN inv USING (invoice_id)").fetchone()[0]
    counts["excess_payments"] = con.execute(
        "SELECT count(*) FROM (SELECT invoice_id, sum(amount) AS paid FROM pay GROUP BY 1) p "
        "JOIN inv USING (invoice_id) WHERE p.paid > abs(inv.amount) + 0.005").fetchone()[0]
counts["duplicate_ids"] = con.execute(
    "SELECT count(*) FROM (SELECT invoice_id FROM inv GROUP BY 1 HAVING count(*) > 1)").fetchone()[0]
counts["due_before_invoice"] = con.execute("SELECT count(*) FROM inv WHERE due_date < invoice_date").fetchone()[0]
counts["negative"] = con.execute("SELECT count(*) FROM inv WHERE amount < 0").fetchone()[0]
frames = {"invoices": con.execute("SELECT * FROM inv").df()}
if "payments" in cfg.files:
    frames["payments"] = con.execute("SELECT * FROM pay").df()
if "customers" in cfg.files:
    frames["customers"] = con.execute(select("customers")).df()
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": {k: len(v) for k, v in frames.items()}, "checks": counts}))
'''

ARASSESS = r'''
import json, resource, sys, time
from arassess.config.client import load_config
from arassess.inputs.intake import load_ledger
cfg = load_config(sys.argv[1])
start = time.perf_counter()
ledger = load_ledger(cfg, max_rejected_share=1.0)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": {"invoices": len(ledger.invoices), "payments": len(ledger.payments)},
                  "problems": len(ledger.quality.problems)}))
'''


def run(code: str, client: Path) -> dict:
    """Run ``code`` in a fresh interpreter on ``client``; its JSON line."""
    done = subprocess.run([sys.executable, "-c", code, str(client)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def sample_client(invoices: int, customers: int) -> Path:
    folder = DATA / f"intake-{invoices}-{customers}"
    if not (folder / "client.yaml").is_file():
        arassess = Path(sys.executable).with_name("arassess")
        subprocess.run([str(arassess), "sample", "--out", str(folder), "--seed", "3", "--invoices", str(invoices),
                        "--customers", str(customers)], check=True, capture_output=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--client", type=Path, default=None)
    args = parser.parse_args()
    client = args.client or sample_client(args.invoices, args.customers)
    ref, ours = [], []
    for _ in range(args.repeat):
        ref.append(run(REFERENCE, client))
        ours.append(run(ARASSESS, client))
    r_s, o_s = statistics.median(x["seconds"] for x in ref), statistics.median(x["seconds"] for x in ours)
    r_m, o_m = statistics.median(x["rss_mb"] for x in ref), statistics.median(x["rss_mb"] for x in ours)
    print(f"intake of {client} ({ref[0]['rows']['invoices']:,} invoices, "
          f"{ref[0]['rows'].get('payments', 0):,} payments), median of {args.repeat}:")
    print(f"  DuckDB reference   {r_s:6.2f} s  peak RSS {r_m:6.0f} MB  checks {ref[0]['checks']}")
    print(f"  arassess intake    {o_s:6.2f} s  peak RSS {o_m:6.0f} MB  problems {ours[0]['problems']:,}")
    print(f"  ratio              {o_s / r_s:6.2f}x (target <= 1.5x)   RSS {o_m / r_m:.2f}x (target <= 1 GB)")


if __name__ == "__main__":
    main()
