"""The KPI history store (arassess.monthly.store) on hand-built snapshots.

Snapshots are built by ``snap(client, month, base)``: KPI number i of the registry is
``base + i / 4`` (so dso, the third, is ``base + 0.5``), except that ``cei`` is NaN; the
aging is Current = base, 1–30 = 2 × base, 31–60 = 0; the control totals are one invoices line
of 10 rows read, 9 accepted, 1 rejected, amounts 1,000.50 = 900.25 + 100.25.
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import pickle
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from arassess.errors import ArassessError, InputError, StoreError
from arassess.inputs.checksums import checksums
from arassess.kpi.registry import KPIS
from arassess.ledger import quality
from arassess.monthly.store import _MIGRATIONS, DEFAULT_STORE, SCHEMA_VERSION, TOTAL_COLUMNS, HistoryStore, Snapshot

KEYS = [k.key for k in KPIS]
TABLES = ["aging_values", "control_totals", "forecast_weeks", "input_checksums", "kpi_values", "snapshots"]
SHA_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256(b"")
SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256(b"abc")
TOTALS = {"file": "invoices.csv", "rows_read": 10, "rows_accepted": 9, "rows_rejected": 1,
          "amount_read": 1000.5, "amount_accepted": 900.25, "amount_rejected": 100.25, "amounts_unreadable": 1}
MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]


def snap(client: str, month: str, base: float, run_id: str = "run-1", **changes: Any) -> Snapshot:
    """The module docstring's snapshot; ``month`` is "YYYY-MM" (stored at its month-end)."""
    fields: dict[str, Any] = dict(
        client=client, month_end=pd.Timestamp(month) + pd.offsets.MonthEnd(0),
        kpis={key: (math.nan if key == "cei" else base + i / 4) for i, key in enumerate(KEYS)},
        aging={"Current": base, "1–30": 2 * base, "31–60": 0.0},
        control_totals=[dict(TOTALS)], run_id=run_id,
        input_checksums={"invoices.csv": SHA_ABC, "payments.csv": SHA_EMPTY})
    fields.update(changes)
    return Snapshot(**fields)


def count(path: Path, table: str, where: str = "") -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table} {where}").fetchone()[0]


def pragma(path: Path, name: str) -> Any:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / DEFAULT_STORE)


# -- round trip --------------------------------------------------------------------------------

def test_new_store_has_the_current_schema_in_wal_mode(store: HistoryStore) -> None:
    assert pragma(store.path, "user_version") == SCHEMA_VERSION == 3
    assert pragma(store.path, "journal_mode") == "wal"
    with sqlite3.connect(store.path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        totals_columns = [c[1] for c in conn.execute("PRAGMA table_info(control_totals)")][2:]
    assert tables == TABLES
    # the stored control totals are the data-quality report's: a change there needs a migration here
    assert tuple(totals_columns) == TOTAL_COLUMNS == tuple(quality.TOTAL_COLUMNS)
    assert store.clients() == [] and store.months("acme") == []


def test_round_trip(store: HistoryStore) -> None:
    store.write(snap("acme", "2026-01", 100.0, run_id="r-jan"))
    store.write(snap("acme", "2026-02", 200.0, run_id="r-feb"))

    kpis = store.kpis("acme")
    assert isinstance(kpis.index, pd.DatetimeIndex) and kpis.index.name == "month_end"
    assert list(kpis.index) == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-28")]
    assert list(kpis.columns) == KEYS and (kpis.dtypes == "float64").all()
    assert kpis.loc["2026-01-31", "ar_total"] == 100.0
    assert kpis.loc["2026-01-31", "dso"] == 100.5
    assert kpis.loc["2026-02-28", "expected_write_off"] == 203.75  # the 16th KPI: 200 + 15 / 4
    assert kpis["cei"].isna().all()
    with sqlite3.connect(store.path) as conn:  # NaN is stored as NULL
        assert conn.execute("SELECT value FROM kpi_values WHERE key = 'cei'").fetchall() == [(None,), (None,)]

    aging = store.aging("acme")
    assert aging.index.name == "month_end" and list(aging.columns) == ["Current", "1–30", "31–60"]
    assert aging.loc["2026-02-28"].tolist() == [200.0, 400.0, 0.0]

    back = store.snapshot("acme", "2026-01-31")
    assert back is not None
    assert (back.client, back.month_end, back.run_id) == ("acme", pd.Timestamp("2026-01-31"), "r-jan")
    assert list(back.kpis) == KEYS and back.kpis["dso_countback"] == 100.75 and math.isnan(back.kpis["cei"])
    assert back.aging == {"Current": 100.0, "1–30": 200.0, "31–60": 0.0}
    assert list(back.aging) == ["Current", "1–30", "31–60"]
    assert list(back.control_totals) == [TOTALS]
    assert back.input_checksums == {"invoices.csv": SHA_ABC, "payments.csv": SHA_EMPTY}
    assert pd.Timestamp(back.created_at).tzname() == "UTC"  # set by write

    assert store.snapshot("acme", "2026-03-31") is None and store.snapshot("other", "2026-01-31") is None
    assert store.clients() == ["acme"]
    assert store.months("acme") == [pd.Timestamp("2026-01-31"), pd.Timestamp("2026-02-28")]


def test_a_given_created_at_is_kept(store: HistoryStore) -> None:
    store.write(snap("acme", "2026-01", 1.0, created_at="2026-02-03T04:05:06+00:00"))
    assert store.snapshot("acme", "2026-01-31").created_at == "2026-02-03T04:05:06+00:00"


def test_period_is_inclusive_and_other_clients_are_left_out(store: HistoryStore) -> None:
    store.write_many([snap("acme", m, float(i)) for i, m in enumerate(["2026-01", "2026-02", "2026-03"])]
                     + [snap("beta", "2026-02", 99.0)])
    assert store.kpis("acme", start="2026-02-28", end="2026-03-31")["ar_total"].tolist() == [1.0, 2.0]
    assert store.kpis("acme", end="2026-02-28")["ar_total"].tolist() == [0.0, 1.0]
    assert store.aging("acme", start="2026-03-01")["Current"].tolist() == [2.0]
    assert store.kpis("beta")["ar_total"].tolist() == [99.0]
    assert store.clients() == ["acme", "beta"]


def test_an_unknown_client_reads_as_an_empty_table(store: HistoryStore) -> None:
    kpis = store.kpis("nobody")
    assert kpis.empty and list(kpis.columns) == KEYS
    assert isinstance(kpis.index, pd.DatetimeIndex) and kpis.index.name == "month_end"
    assert store.aging("nobody").shape == (0, 0)


def test_aging_buckets_that_changed_between_months(store: HistoryStore) -> None:
    # the client moved from a 91+ to a 91–120 / 120+ split: the latest order first, old labels after
    store.write(snap("acme", "2026-01", 1.0, aging={"Current": 5.0, "91+": 7.0}))
    store.write(snap("acme", "2026-02", 1.0, aging={"Current": 6.0, "91–120": 3.0, "120+": 4.0}))
    aging = store.aging("acme")
    assert list(aging.columns) == ["Current", "91–120", "120+", "91+"]
    assert aging.loc["2026-01-31"].tolist()[:1] + aging.loc["2026-01-31"].tolist()[3:] == [5.0, 7.0]
    assert aging.loc["2026-01-31", ["91–120", "120+"]].isna().all() and pd.isna(aging.loc["2026-02-28", "91+"])


def test_control_totals_of_a_quality_report_round_trip(store: HistoryStore) -> None:
    report = quality.QualityReport(totals=(quality.FileTotals("invoices.csv", 3, 2, 1, 30.5, 20.25, 10.25, 1),
                                           quality.FileTotals("payments.csv", 0, 0, 0, 0.0, 0.0, 0.0)))
    records = report.totals_frame()[list(TOTAL_COLUMNS)].to_dict("records")
    store.write(snap("acme", "2026-01", 1.0, control_totals=records))
    back = store.snapshot("acme", "2026-01-31").control_totals
    assert list(back) == [{"file": "invoices.csv", "rows_read": 3, "rows_accepted": 2, "rows_rejected": 1,
                           "amount_read": 30.5, "amount_accepted": 20.25, "amount_rejected": 10.25,
                           "amounts_unreadable": 1},
                          {"file": "payments.csv", "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0,
                           "amount_read": 0.0, "amount_accepted": 0.0, "amount_rejected": 0.0,
                           "amounts_unreadable": 0}]
    assert all(type(r["rows_read"]) is int for r in back)


# -- idempotent re-runs and transactions --------------------------------------------------------

def test_rerunning_a_month_replaces_that_clients_month_only(store: HistoryStore) -> None:
    store.write_many([snap("acme", "2026-01", 1.0, run_id="a1"), snap("acme", "2026-02", 2.0, run_id="a2"),
                      snap("beta", "2026-01", 3.0, run_id="b1")])
    rerun = snap("acme", "2026-01", 10.0, run_id="a1-again", aging={"Current": 10.0},
                 control_totals=[], input_checksums={"invoices.csv": SHA_EMPTY})
    store.write(rerun)
    store.write(rerun)  # twice: the same result

    assert store.kpis("acme")["ar_total"].tolist() == [10.0, 2.0]
    assert store.kpis("beta")["ar_total"].tolist() == [3.0]
    again = store.snapshot("acme", "2026-01-31")
    assert (again.run_id, again.aging, list(again.control_totals), again.input_checksums) == (
        "a1-again", {"Current": 10.0}, [], {"invoices.csv": SHA_EMPTY})
    assert store.snapshot("acme", "2026-02-28").run_id == "a2" and store.snapshot("beta", "2026-01-31").run_id == "b1"
    # 3 snapshots: 3 × 16 KPIs; aging 1 + 3 + 3; totals 0 + 1 + 1; checksums 1 + 2 + 2; no orphans left
    assert [count(store.path, t) for t in ["snapshots", "kpi_values", "aging_values", "control_totals",
                                           "input_checksums"]] == [3, 48, 7, 2, 5]
    for table in TABLES[:-1]:
        assert count(store.path, table, "WHERE snapshot_id NOT IN (SELECT id FROM snapshots)") == 0


def test_write_many_is_all_or_nothing(store: HistoryStore) -> None:
    store.write(snap("acme", "2026-01", 1.0, run_id="before"))
    with sqlite3.connect(store.path) as conn:  # make the database itself refuse the second snapshot
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON snapshots WHEN NEW.client = 'bad' "
                     "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    with pytest.raises(StoreError, match="refused by the test"):
        store.write_many([snap("acme", "2026-01", 5.0, run_id="after"), snap("bad", "2026-01", 1.0)])
    assert store.snapshot("acme", "2026-01-31").run_id == "before"
    assert count(store.path, "snapshots") == 1 and count(store.path, "kpi_values") == 16


def test_write_many_refuses_the_same_client_month_twice(store: HistoryStore) -> None:
    with pytest.raises(StoreError, match="two snapshots of client 'acme' for 2026-01-31"):
        store.write_many([snap("acme", "2026-01", 1.0), snap("acme", "2026-01", 2.0)])
    assert store.clients() == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"month_end": pd.Timestamp("2026-01-30")}, "last day of a month.*2026-01-30"),
    ({"month_end": "2026-01-31 12:00"}, "last day of a month"),
    ({"month_end": "January"}, "last day of a month.*'January'"),
    ({"client": ""}, "needs a client name"),
    ({"kpis": {k: 1.0 for k in KEYS} | {"dsoo": 1.0}}, "unknown: dsoo"),
    ({"kpis": {k: 1.0 for k in KEYS if k != "cei"}}, "missing: cei"),
    ({"kpis": {k: 1.0 for k in KEYS} | {"dso": "n/a"}}, "KPI dso: expected a number.*'n/a'"),
    ({"aging": {"Current": "lots"}}, "aging bucket Current: expected a number"),
    ({"control_totals": [{"file": "invoices.csv"}]}, "control totals line 1 must have the keys"),
    ({"control_totals": [TOTALS | {"rows_read": 2.5}]}, "invoices.csv, rows_read: expected a whole number"),
    ({"input_checksums": {"invoices.csv": "abc"}}, "checksum of invoices.csv must be 64"),
], ids=["not-month-end", "time-of-day", "not-a-date", "no-client", "unknown-kpi", "missing-kpi",
        "text-kpi", "text-aging", "totals-keys", "fractional-rows", "bad-checksum"])
def test_a_bad_snapshot_is_refused_before_writing(store: HistoryStore, changes: dict, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        store.write(replace(snap("acme", "2026-01", 1.0), **changes))
    assert count(store.path, "snapshots") == 0


# -- schema versions and bad files ---------------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE snapshots (
    client TEXT NOT NULL,
    month_end TEXT NOT NULL,
    run_id TEXT NOT NULL,
    kpis TEXT NOT NULL,
    aging TEXT NOT NULL,
    control_totals TEXT NOT NULL,
    PRIMARY KEY (client, month_end));
PRAGMA user_version = 1;
"""
V1_ROWS = [  # version 1 knew three KPIs; NaN was written as null or as Python's NaN token
    ("acme", "2025-11-30", "r-nov", '{"ar_total": 1000.5, "dso": null, "cei": NaN}',
     '{"Current": 600.0, "1–30": 400.5}',
     '[{"file": "invoices.csv", "rows_read": 10, "rows_accepted": 9, "rows_rejected": 1, '
     '"amount_read": 1000.5, "amount_accepted": 900.25, "amount_rejected": 100.25}]'),
    ("acme", "2025-12-31", "r-dec", '{"ar_total": 1200.0, "dso": 41.5, "cei": 77.25}',
     '{"Current": 1200.0, "1–30": 0.0}', "[]"),
    ("beta", "2025-12-31", "r-beta", '{"ar_total": 5.0, "dso": 12.0, "cei": 50.0}', '{"Current": 5.0}', "[]"),
]


def write_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.executemany("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?)", V1_ROWS)
    conn.commit()
    conn.close()


def test_every_older_version_has_a_migration() -> None:
    assert sorted(_MIGRATIONS) == list(range(1, SCHEMA_VERSION))


def test_migration_from_version_1_keeps_every_snapshot(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_STORE
    write_v1(path)
    store = HistoryStore(path)
    assert pragma(path, "user_version") == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        assert [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "ORDER BY name")] == TABLES

    assert store.clients() == ["acme", "beta"]
    kpis = store.kpis("acme")
    assert list(kpis.columns) == KEYS  # KPIs added since version 1 read as NaN
    assert kpis["ar_total"].tolist() == [1000.5, 1200.0]
    assert math.isnan(kpis.loc["2025-11-30", "dso"]) and kpis.loc["2025-12-31", "dso"] == 41.5
    assert math.isnan(kpis.loc["2025-11-30", "cei"]) and kpis.loc["2025-12-31", "cei"] == 77.25
    assert kpis.drop(columns=["ar_total", "dso", "cei"]).isna().all().all()
    assert store.aging("acme").to_dict("list") == {"Current": [600.0, 1200.0], "1–30": [400.5, 0.0]}
    nov = store.snapshot("acme", "2025-11-30")
    assert (nov.run_id, nov.created_at, nov.input_checksums) == ("r-nov", "", {})
    assert list(nov.control_totals) == [dict(TOTALS, amounts_unreadable=None)]  # not kept by version 1
    assert store.snapshot("beta", "2025-12-31").kpis["ar_total"] == 5.0

    # the version-1 file was kept, unchanged, beside the store
    backup = tmp_path / "history.v1-backup.sqlite"
    assert pragma(backup, "user_version") == 1
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT * FROM snapshots ORDER BY client, month_end").fetchall() == V1_ROWS

    # the migrated store works as any other, and opening it again migrates nothing
    store.write(snap("acme", "2026-01", 3.0))
    assert len(HistoryStore(path).months("acme")) == 3
    assert sorted(p.name for p in tmp_path.glob("*backup*")) == ["history.v1-backup.sqlite"]


def test_a_failed_migration_leaves_the_data_unchanged(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_STORE
    write_v1(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE snapshots SET kpis = '{broken' WHERE client = 'beta'")
    with pytest.raises(StoreError, match=r"history.sqlite: cannot migrate the snapshot of 'beta' at 2025-12-31"):
        HistoryStore(path)
    assert pragma(path, "user_version") == 1
    assert count(path, "snapshots") == 3


def test_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_STORE
    HistoryStore(path).write(snap("acme", "2026-01", 1.0))
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=rf"{path}.* schema version {SCHEMA_VERSION + 1}, newer than this "
                                         rf"arassess knows \(version {SCHEMA_VERSION}\)"):
        HistoryStore(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_STORE
    path.write_text("invoice_id,customer_id,amount\nA1,C1,100\n", encoding="utf-8")
    with pytest.raises(StoreError, match=rf"{path} is not a SQLite database") as caught:
        HistoryStore(path)
    assert isinstance(caught.value, ArassessError)
    assert path.read_text(encoding="utf-8") == "invoice_id,customer_id,amount\nA1,C1,100\n"
    assert [p.name for p in tmp_path.iterdir()] == [DEFAULT_STORE]


@pytest.mark.parametrize("user_version", [0, 1, SCHEMA_VERSION + 5])
def test_another_programs_database_is_refused(tmp_path: Path, user_version: int) -> None:
    path = tmp_path / "ledger.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id TEXT)")
        conn.execute(f"PRAGMA user_version = {user_version}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=rf"ledger.db is a SQLite database but not an arassess history store "
                                         rf"\(tables: invoices; schema version {user_version}\)"):
        HistoryStore(path)
    assert path.read_bytes() == before


def test_a_missing_folder_or_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="the folder .*nowhere does not exist"):
        HistoryStore(tmp_path / "nowhere" / DEFAULT_STORE)
    with pytest.raises(StoreError, match="is a folder"):
        HistoryStore(tmp_path)


def test_a_store_locked_beyond_the_timeout(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / DEFAULT_STORE, timeout=0.2)
    store.write(snap("acme", "2026-01", 1.0))
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write in progress
    try:
        with pytest.raises(StoreError, match=rf"{store.path} is locked by another process \(waited 0.2 s\)"):
            store.write(snap("acme", "2026-02", 2.0))
        assert store.kpis("acme")["ar_total"].tolist() == [1.0]  # readers are not blocked
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.write(snap("acme", "2026-02", 2.0))
    assert len(store.months("acme")) == 2


def test_a_store_can_be_sent_to_another_process(store: HistoryStore) -> None:
    copy = pickle.loads(pickle.dumps(store))
    assert (copy.path, copy.timeout) == (store.path, store.timeout)


# -- concurrent writers (processes) --------------------------------------------------------------

def _write_year(path: str, client: str, number: int, start: Any) -> None:
    """Child process: open the store (perhaps creating it) and write 12 months, one write each."""
    start.wait(60)
    store = HistoryStore(path)
    for m, month in enumerate(MONTHS_2025, start=1):
        store.write(snap(client, month, 100.0 * number + m, run_id=f"{client}-{m}"))


def _rewrite_month(path: str, number: int, start: Any) -> None:
    """Child process: write the same client-month 25 times; run j of process p has base 1000 p + j."""
    store = HistoryStore(path)
    start.wait(60)
    for j in range(25):
        store.write(snap("acme", "2025-06", 1000.0 * number + j, run_id=f"p{number}-{j}"))


def _run_processes(target: Any, args: list[tuple]) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(args))
    processes = [context.Process(target=target, args=(*a, start)) for a in args]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
    assert [p.exitcode for p in processes] == [0] * len(processes)


def test_parallel_writers_for_different_clients(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_STORE  # not created yet: four processes race to create it too
    _run_processes(_write_year, [(str(path), f"client{n}", n) for n in range(1, 5)])
    store = HistoryStore(path)
    assert store.clients() == ["client1", "client2", "client3", "client4"]
    for n in range(1, 5):
        kpis = store.kpis(f"client{n}")
        assert list(kpis.index.strftime("%Y-%m")) == MONTHS_2025
        assert kpis["ar_total"].tolist() == [100.0 * n + m for m in range(1, 13)]
    assert store.kpis("client3").loc["2025-12-31", "dso"] == 312.5
    assert store.snapshot("client4", "2025-07-31").run_id == "client4-7"
    assert [count(path, t) for t in ["snapshots", "kpi_values", "aging_values"]] == [48, 48 * 16, 48 * 3]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_parallel_writers_of_the_same_client_month_leave_one_snapshot(tmp_path: Path) -> None:
    path = tmp_path / DEFAULT_STORE
    HistoryStore(path)
    _run_processes(_rewrite_month, [(str(path), 1), (str(path), 2)])
    store = HistoryStore(path)
    last = store.snapshot("acme", "2025-06-30")
    assert last.run_id in {"p1-24", "p2-24"}  # the last write of whichever process finished last
    base = 1000.0 * int(last.run_id[1]) + 24
    assert [count(path, t) for t in ["snapshots", "kpi_values", "aging_values", "control_totals",
                                     "input_checksums"]] == [1, 16, 3, 1, 2]
    # one row set, all from that one run
    assert last.kpis["ar_total"] == base and last.kpis["expected_write_off"] == base + 3.75
    assert last.aging == {"Current": base, "1–30": 2 * base, "31–60": 0.0}
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# -- checksums -----------------------------------------------------------------------------------

def test_checksums_of_input_files(tmp_path: Path) -> None:
    (tmp_path / "invoices.csv").write_bytes(b"abc")
    (tmp_path / "payments.csv").write_bytes(b"")
    sums = checksums([tmp_path / "invoices.csv", str(tmp_path / "payments.csv")])
    assert sums == {"invoices.csv": SHA_ABC, "payments.csv": SHA_EMPTY}
    assert sums["invoices.csv"] == hashlib.sha256(b"abc").hexdigest()
    assert sums["payments.csv"] == hashlib.sha256(b"").hexdigest()


def test_checksums_refuse_missing_files_and_clashing_names(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing.csv: cannot read it"):
        checksums([tmp_path / "missing.csv"])
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "invoices.csv").write_bytes(b"x")
    with pytest.raises(InputError, match="have the same file name"):
        checksums([tmp_path / "a" / "invoices.csv", tmp_path / "b" / "invoices.csv"])
    assert checksums([tmp_path / "a" / "invoices.csv"] * 2) == {"invoices.csv": hashlib.sha256(b"x").hexdigest()}


V2_SCHEMA = """
CREATE TABLE snapshots (id INTEGER PRIMARY KEY, client TEXT NOT NULL, month_end TEXT NOT NULL,
    run_id TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (client, month_end));
CREATE TABLE kpi_values (snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    key TEXT NOT NULL, value REAL, PRIMARY KEY (snapshot_id, key));
CREATE TABLE aging_values (snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, bucket TEXT NOT NULL, amount REAL, PRIMARY KEY (snapshot_id, position),
    UNIQUE (snapshot_id, bucket));
CREATE TABLE control_totals (snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, file TEXT NOT NULL, rows_read INTEGER, rows_accepted INTEGER, rows_rejected INTEGER,
    amount_read REAL, amount_accepted REAL, amount_rejected REAL, PRIMARY KEY (snapshot_id, position));
CREATE TABLE input_checksums (snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    file TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (snapshot_id, file));
INSERT INTO snapshots VALUES (1, 'acme', '2026-01-31', 'r-jan', '2026-02-01T08:00:00+00:00');
INSERT INTO kpi_values VALUES (1, 'ar_total', 1000.5);
INSERT INTO aging_values VALUES (1, 0, 'Current', 1000.5);
INSERT INTO control_totals VALUES (1, 0, 'invoices.csv', 10, 9, 1, 1000.5, 900.25, 100.25);
PRAGMA user_version = 2;
"""


def test_migration_from_version_2_adds_the_unreadable_count_and_the_forecast(tmp_path: Path) -> None:
    """Version 2 did not keep the count of unreadable amounts: it reads back as None (unknown), never
    as 0; the forecast table is added, empty; the version-2 file is kept as a backup."""
    path = tmp_path / DEFAULT_STORE
    conn = sqlite3.connect(path)
    conn.executescript(V2_SCHEMA)
    conn.close()
    store = HistoryStore(path)
    assert pragma(path, "user_version") == 3
    jan = store.snapshot("acme", "2026-01-31")
    assert list(jan.control_totals) == [dict(TOTALS, amounts_unreadable=None)] and jan.forecast == ()
    assert (jan.run_id, jan.kpis["ar_total"]) == ("r-jan", 1000.5)
    assert pragma(tmp_path / "history.v2-backup.sqlite", "user_version") == 2
    store.write(snap("acme", "2026-02", 1.0))
    assert store.snapshot("acme", "2026-02-28").control_totals[0]["amounts_unreadable"] == 1


WEEKS = [{"week": k, "start": f"2026-02-{k:02d}", "expected": 100.0 * k, "low": 90.0 * k,
          "high": float("nan") if k == 2 else 110.0 * k, "method": "model"} for k in (1, 2)]


def test_a_forecast_round_trips_with_its_snapshot(store: HistoryStore) -> None:
    store.write(snap("acme", "2026-01", 1.0, forecast=WEEKS))
    back = store.snapshot("acme", "2026-01-31").forecast
    assert [w["week"] for w in back] == [1, 2] and back[0]["start"] == "2026-02-01" and back[1]["expected"] == 200.0
    assert math.isnan(back[1]["high"])
    table = store.forecasts("acme")
    assert table["month_end"].tolist() == [pd.Timestamp("2026-01-31")] * 2
    assert table["expected"].tolist() == [100.0, 200.0] and table["method"].tolist() == ["model", "model"]
    store.write(snap("acme", "2026-01", 1.0))  # re-running the month replaces its forecast too
    assert store.snapshot("acme", "2026-01-31").forecast == () and store.forecasts("acme").empty


@pytest.mark.parametrize("week, message", [
    ({"week": 0}, "the week must be a number from 1 to 53"),
    ({"start": "next week"}, "start must be a date YYYY-MM-DD"),
    ({"expected": "lots"}, "expected"),
])
def test_a_bad_forecast_week_is_refused_before_the_store_is_touched(store: HistoryStore, week, message) -> None:
    bad = dict(WEEKS[0], **week)
    with pytest.raises(StoreError, match=message):
        store.write(snap("acme", "2026-01", 1.0, forecast=[bad]))
    assert store.months("acme") == []
