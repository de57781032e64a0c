"""The KPI history store: one snapshot per client per month-end in an embedded SQLite file.

A snapshot holds every registry KPI, the aging buckets, the control totals of the load,
the run id, the input files' checksums and the cash forecast made that month (docs/process.md). One file per workspace,
``<workspace>/history.sqlite`` by default (:data:`DEFAULT_STORE`).

Schema, version 3 (``PRAGMA user_version``)::

    snapshots        id, client, month_end 'YYYY-MM-DD', run_id, created_at   UNIQUE (client, month_end)
    kpi_values       snapshot_id → snapshots.id, key, value (REAL; NULL = NaN, undefined)
    aging_values     snapshot_id, position (bucket order), bucket, amount
    control_totals   snapshot_id, position, file, rows_read, rows_accepted, rows_rejected,
                     amount_read, amount_accepted, amount_rejected, amounts_unreadable (NULL: unknown)
    input_checksums  snapshot_id, file, sha256
    forecast_weeks   snapshot_id, week (1…13), start 'YYYY-MM-DD', expected, low, high, method

Child rows are deleted with their snapshot (``ON DELETE CASCADE``).

Schema history (a migration runs from every older version; the file is first copied to
``<name>.v<N>-backup<suffix>``, never over an existing file):

1. one table ``snapshots(client, month_end, run_id, kpis, aging, control_totals)``, primary
   key (client, month_end), the last three as JSON texts; no checksums, no creation time.
   Migrated snapshots get no checksums and an empty ``created_at`` (unknown).
2. the normalised layout above without ``amounts_unreadable`` and ``forecast_weeks``.
3. the layout above. Migrated control totals have ``amounts_unreadable`` NULL (unknown: the count
   was not kept) and migrated snapshots no forecast.

Rules:

- Every write (one snapshot or many) is one ``BEGIN IMMEDIATE`` transaction that first deletes
  the client's snapshot of that month-end: re-running a month replaces that month only.
- The file is in WAL mode with a busy timeout; a writer waits for another one, retrying on
  "database is locked" until ``timeout`` seconds have passed, then raises :class:`StoreError`.
  Readers see a consistent state and never block writers. Processes writing different
  clients (or even the same client-month) to one file can therefore never corrupt it.
- A file that is not SQLite, not an arassess store, or has a newer schema version than this
  code knows is refused with a :class:`StoreError` naming it, and left unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

import pandas as pd

from arassess.errors import StoreError
from arassess.kpi.registry import KPIS

SCHEMA_VERSION = 3
DEFAULT_STORE = "history.sqlite"
DEFAULT_TIMEOUT = 30.0
"""Seconds a write waits for another process's write before giving up."""

TOTAL_COLUMNS = ("file", "rows_read", "rows_accepted", "rows_rejected",
                 "amount_read", "amount_accepted", "amount_rejected", "amounts_unreadable")
"""The control-total columns stored (those of :meth:`QualityReport.totals_frame`); a change here is
a schema change."""
_COUNTS = ("rows_read", "rows_accepted", "rows_rejected", "amounts_unreadable")
FORECAST_COLUMNS = ("week", "start", "expected", "low", "high", "method")
"""A stored forecast week (:class:`arassess.forecast.model.CashForecast` ``weeks``)."""

_SHA256 = re.compile(r"[0-9a-f]{64}")
_FIRST, _LAST = "0001-01-01", "9999-12-31"

_FORECAST_TABLE = """CREATE TABLE forecast_weeks (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        week INTEGER NOT NULL,
        start TEXT NOT NULL,
        expected REAL, low REAL, high REAL,
        method TEXT NOT NULL,
        PRIMARY KEY (snapshot_id, week))"""

_SCHEMA: tuple[str, ...] = (
    """CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        client TEXT NOT NULL,
        month_end TEXT NOT NULL,
        run_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (client, month_end))""",
    """CREATE TABLE kpi_values (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value REAL,
        PRIMARY KEY (snapshot_id, key))""",
    """CREATE TABLE aging_values (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        bucket TEXT NOT NULL,
        amount REAL,
        PRIMARY KEY (snapshot_id, position),
        UNIQUE (snapshot_id, bucket))""",
    """CREATE TABLE control_totals (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        file TEXT NOT NULL,
        rows_read INTEGER, rows_accepted INTEGER, rows_rejected INTEGER,
        amount_read REAL, amount_accepted REAL, amount_rejected REAL,
        amounts_unreadable INTEGER,
        PRIMARY KEY (snapshot_id, position))""",
    """CREATE TABLE input_checksums (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (snapshot_id, file))""",
    _FORECAST_TABLE,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    """One client's KPI snapshot at one month-end (see the module docstring)."""

    client: str
    month_end: pd.Timestamp
    kpis: Mapping[str, float]
    aging: Mapping[str, float]
    control_totals: Sequence[Mapping[str, Any]]
    run_id: str
    input_checksums: Mapping[str, str]
    created_at: str = ""
    forecast: Sequence[Mapping[str, Any]] = ()  # the weeks of the month's cash forecast (FORECAST_COLUMNS)


@dataclass(frozen=True)
class _Rows:
    """A validated snapshot as table rows (without the snapshot id)."""

    client: str
    month_end: str
    run_id: str
    created_at: str
    kpis: list[tuple[str, float | None]]
    aging: list[tuple[int, str, float | None]]
    totals: list[tuple[Any, ...]]
    checksums: list[tuple[str, str]]
    forecast: list[tuple[Any, ...]]


class HistoryStore:
    """The history store in the SQLite file ``path``, created or migrated on opening.

    Holds only the path and timeout (each call opens its own connection), so it can be
    passed to other processes.
    """

    def __init__(self, path: str | Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = Path(path)
        self.timeout = float(timeout)
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a folder; give the history store's file name, "
                             f"e.g. {self.path / DEFAULT_STORE}.")
        if not self.path.parent.is_dir():
            raise StoreError(f"{self.path}: the folder {self.path.parent} does not exist.")
        version = self._run(self._version, mode="rwc")
        self._run(lambda conn: conn.execute("PRAGMA journal_mode = WAL").fetchone(), begin=None)
        if version < SCHEMA_VERSION:
            self._run(self._upgrade, begin="BEGIN IMMEDIATE")

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"

    # -- writing -------------------------------------------------------------------------

    def write(self, snapshot: Snapshot) -> None:
        """Store ``snapshot`` in one transaction, replacing that client's month-end only."""
        self.write_many([snapshot])

    def write_many(self, snapshots: Iterable[Snapshot]) -> None:
        """Store several snapshots in one transaction (all or none); each replaces its
        client's month-end. Every snapshot is validated before the store is touched;
        ``created_at`` is set to the current UTC time where empty."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        rows = [_rows(s if s.created_at else replace(s, created_at=now), check_keys=True) for s in snapshots]
        seen: set[tuple[str, str]] = set()
        for r in rows:
            if (r.client, r.month_end) in seen:
                raise StoreError(f"{self.path}: two snapshots of client {r.client!r} for {r.month_end} in one "
                                 "write; write each client-month once.")
            seen.add((r.client, r.month_end))
        if rows:
            self._run(lambda conn: [_insert(conn, r) for r in rows], begin="BEGIN IMMEDIATE")

    # -- reading -------------------------------------------------------------------------

    def kpis(self, client: str, start: Any = None, end: Any = None) -> pd.DataFrame:
        """KPI history: index month_end (DatetimeIndex, every stored month-end in
        [start, end], dates inclusive), columns the registry KPI keys in registry order
        (then any other stored key), float; NaN where undefined."""
        months, long = self._long(client, start, end, "SELECT s.month_end, k.key AS label, k.value "
                                  "FROM kpi_values k JOIN snapshots s ON s.id = k.snapshot_id", "k.key")
        labels = [k.key for k in KPIS] + sorted(set(long["label"]) - {k.key for k in KPIS})
        return _wide(months, long, labels)

    def aging(self, client: str, start: Any = None, end: Any = None) -> pd.DataFrame:
        """Aging history: index month_end, columns the bucket labels (in the latest
        snapshot's order, then older labels), amounts; NaN where a month has no such bucket."""
        months, long = self._long(client, start, end, "SELECT s.month_end, a.bucket AS label, a.amount AS value "
                                  "FROM aging_values a JOIN snapshots s ON s.id = a.snapshot_id",
                                  "s.month_end DESC, a.position")
        return _wide(months, long, list(pd.unique(long["label"])))

    def snapshot(self, client: str, month_end: Any) -> Snapshot | None:
        """The stored snapshot of ``client`` at ``month_end``, or None."""
        month = _month_end(month_end)

        def read(conn: sqlite3.Connection) -> Snapshot | None:
            head = conn.execute("SELECT id, run_id, created_at FROM snapshots WHERE client = ? AND month_end = ?",
                                (client, month)).fetchone()
            if head is None:
                return None
            sid, run_id, created_at = head
            kpis = dict(conn.execute("SELECT key, value FROM kpi_values WHERE snapshot_id = ?", (sid,)))
            order = {k.key: i for i, k in enumerate(KPIS)}
            aging = conn.execute("SELECT bucket, amount FROM aging_values WHERE snapshot_id = ? ORDER BY position",
                                 (sid,))
            totals = conn.execute(f"SELECT {', '.join(TOTAL_COLUMNS)} FROM control_totals WHERE snapshot_id = ? "
                                  "ORDER BY position", (sid,)).fetchall()
            sums = conn.execute("SELECT file, sha256 FROM input_checksums WHERE snapshot_id = ? ORDER BY file",
                                (sid,)).fetchall()
            weeks = conn.execute(f"SELECT {', '.join(FORECAST_COLUMNS)} FROM forecast_weeks WHERE snapshot_id = ? "
                                 "ORDER BY week", (sid,)).fetchall()
            return Snapshot(
                client=client, month_end=pd.Timestamp(month), run_id=run_id, created_at=created_at,
                kpis={k: _nan(kpis[k]) for k in sorted(kpis, key=lambda k: (order.get(k, len(order)), k))},
                aging={b: _nan(a) for b, a in aging},
                control_totals=tuple({c: (_nan(v) if c.startswith("amount_") else v)
                                      for c, v in zip(TOTAL_COLUMNS, t)} for t in totals),
                input_checksums=dict(sums),
                forecast=tuple({c: (_nan(v) if c in ("expected", "low", "high") else v)
                                for c, v in zip(FORECAST_COLUMNS, w)} for w in weeks))

        return self._run(read)

    def forecasts(self, client: str, start: Any = None, end: Any = None) -> pd.DataFrame:
        """The cash forecasts stored for ``client`` at month-ends in [start, end]: one row per
        (month_end, week) with the week's start date, expected, low, high and method, oldest first."""
        bounds = (client, _bound(start, _FIRST, "start"), _bound(end, _LAST, "end"))
        rows = self._run(lambda conn: conn.execute(
            f"SELECT s.month_end, {', '.join('f.' + c for c in FORECAST_COLUMNS)} FROM forecast_weeks f "
            "JOIN snapshots s ON s.id = f.snapshot_id WHERE s.client = ? AND s.month_end BETWEEN ? AND ? "
            "ORDER BY s.month_end, f.week", bounds).fetchall())
        frame = pd.DataFrame(rows, columns=["month_end", *FORECAST_COLUMNS])
        for column in ("month_end", "start"):
            frame[column] = pd.to_datetime(frame[column])
        for column in ("expected", "low", "high"):
            frame[column] = frame[column].astype(float)
        return frame

    def clients(self) -> list[str]:
        """Every client with a snapshot, sorted."""
        return [c for (c,) in self._run(lambda conn: conn.execute(
            "SELECT DISTINCT client FROM snapshots ORDER BY client").fetchall())]

    def months(self, client: str) -> list[pd.Timestamp]:
        """The month-ends stored for ``client``, oldest first."""
        return [pd.Timestamp(m) for (m,) in self._run(lambda conn: conn.execute(
            "SELECT month_end FROM snapshots WHERE client = ? ORDER BY month_end", (client,)).fetchall())]

    # -- internals -----------------------------------------------------------------------

    def _long(self, client: str, start: Any, end: Any, select: str, order: str) -> tuple[list[str], pd.DataFrame]:
        """The client's month-ends in [start, end] and the long (month_end, label, value) rows."""
        bounds = (client, _bound(start, _FIRST, "start"), _bound(end, _LAST, "end"))
        where = " WHERE s.client = ? AND s.month_end BETWEEN ? AND ? "

        def read(conn: sqlite3.Connection) -> tuple[list[str], pd.DataFrame]:
            months = [m for (m,) in conn.execute("SELECT month_end FROM snapshots s" + where + "ORDER BY month_end",
                                                 bounds)]
            rows = conn.execute(select + where + "ORDER BY " + order, bounds).fetchall()
            return months, pd.DataFrame(rows, columns=["month_end", "label", "value"], dtype=object)

        return self._run(read)

    def _version(self, conn: sqlite3.Connection) -> int:
        """The file's schema version; StoreError if it is newer than this code or not a store."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite%' ORDER BY name")]
        if (tables or version) and (version == 0 or "snapshots" not in tables):
            raise StoreError(f"{self.path} is a SQLite database but not an arassess history store (tables: "
                             f"{', '.join(tables) or 'none'}; schema version {version}); give another file name.")
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} has history-store schema version {version}, newer than this arassess "
                             f"knows (version {SCHEMA_VERSION}): it was written by a newer arassess. Upgrade "
                             "arassess to use it; the file was left unchanged.")
        return version

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        """Inside the write lock: create the schema in a new file or migrate an older one."""
        version = self._version(conn)  # again: another process may have done it meanwhile
        if version == 0:
            for statement in _SCHEMA:
                conn.execute(statement)
        elif version < SCHEMA_VERSION:
            self._backup(version)
            while version < SCHEMA_VERSION:
                version = _MIGRATIONS[version](conn, self.path)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _backup(self, version: int) -> Path:
        """Copy the store (as committed) to ``<stem>.v<version>-backup[-n]<suffix>``, a new file."""
        stem, suffix = self.path.stem, self.path.suffix
        candidates = (self.path.with_name(f"{stem}.v{version}-backup{'' if n == 1 else f'-{n}'}{suffix}")
                      for n in range(1, 10_000))
        target = next(p for p in candidates if not p.exists())
        with contextlib.closing(self._connect("ro", self.timeout)) as reader:
            reader.execute("VACUUM INTO ?", (str(target),))
        return target

    def _connect(self, mode: str, timeout: float) -> sqlite3.Connection:
        """A connection in autocommit mode (transactions are explicit) with the busy timeout."""
        return sqlite3.connect(f"{self.path.absolute().as_uri()}?mode={mode}", uri=True,
                               timeout=timeout, isolation_level=None)

    def _run(self, operation: Callable[[sqlite3.Connection], T], *, begin: str | None = "BEGIN",
             mode: str = "rw") -> T:
        """Run ``operation`` on a fresh connection inside one transaction (``begin``: "BEGIN"
        for a consistent read, "BEGIN IMMEDIATE" for a write, None for none); retried from
        the start while the file is locked, until the timeout; SQLite errors become
        StoreError naming the file."""
        deadline = time.monotonic() + self.timeout
        pause = 0.005
        while True:
            try:
                conn = self._connect(mode, max(deadline - time.monotonic(), 0.0))
                try:
                    conn.execute("PRAGMA foreign_keys = ON")
                    if begin:
                        conn.execute(begin)
                    result = operation(conn)
                    if begin:
                        conn.execute("COMMIT")
                    return result
                finally:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    conn.close()
            except sqlite3.Error as exc:
                if not _locked(exc):
                    raise self._error(exc) from exc
                if time.monotonic() >= deadline:
                    raise StoreError(f"{self.path} is locked by another process (waited {self.timeout:g} s): "
                                     "another arassess run may be writing to this history store. Try again "
                                     "when it has finished.") from exc
                time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
                pause = min(pause * 2, 0.25)

    def _error(self, exc: sqlite3.Error) -> StoreError:
        name = getattr(exc, "sqlite_errorname", "")
        reasons = {
            "SQLITE_NOTADB": "is not a SQLite database, so it cannot be a history store; give another file name",
            "SQLITE_CORRUPT": "is damaged (SQLite reports a corrupt database); restore it from a backup",
            "SQLITE_CANTOPEN": "cannot be opened (missing, or no permission to read and write it)",
            "SQLITE_READONLY": "is read-only; the history store needs write access",
        }
        reason = next((text for code, text in reasons.items() if name.startswith(code)), None)
        return StoreError(f"{self.path} {reason}." if reason else f"{self.path}: SQLite error: {exc}.")


def _locked(exc: sqlite3.Error) -> bool:
    """True for SQLite's "database is locked" / busy errors (worth a retry)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc)


def _insert(conn: sqlite3.Connection, rows: _Rows) -> None:
    """Replace the client's month-end by ``rows`` (children go with the old snapshot)."""
    conn.execute("DELETE FROM snapshots WHERE client = ? AND month_end = ?", (rows.client, rows.month_end))
    sid = conn.execute("INSERT INTO snapshots (client, month_end, run_id, created_at) VALUES (?, ?, ?, ?)",
                       (rows.client, rows.month_end, rows.run_id, rows.created_at)).lastrowid
    conn.executemany("INSERT INTO kpi_values VALUES (?, ?, ?)", [(sid, *r) for r in rows.kpis])
    conn.executemany("INSERT INTO aging_values VALUES (?, ?, ?, ?)", [(sid, *r) for r in rows.aging])
    conn.executemany(f"INSERT INTO control_totals (snapshot_id, position, {', '.join(TOTAL_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * (len(TOTAL_COLUMNS) + 2))})", [(sid, *r) for r in rows.totals])
    conn.executemany("INSERT INTO input_checksums VALUES (?, ?, ?)", [(sid, *r) for r in rows.checksums])
    conn.executemany(f"INSERT INTO forecast_weeks (snapshot_id, {', '.join(FORECAST_COLUMNS)}) VALUES "
                     f"({', '.join('?' * (len(FORECAST_COLUMNS) + 1))})", [(sid, *r) for r in rows.forecast])


def _rows(snapshot: Snapshot, *, check_keys: bool) -> _Rows:
    """Validate ``snapshot`` and turn it into table rows; StoreError naming the client,
    month, key and value otherwise. With ``check_keys`` the KPI keys must be exactly the
    registry's."""
    client = snapshot.client
    if not isinstance(client, str) or not client.strip():
        raise StoreError(f"a snapshot needs a client name (the client folder's name), got {client!r}.")
    month = _month_end(snapshot.month_end)
    where = f"snapshot of {client!r} at {month}"
    if check_keys:
        known = [k.key for k in KPIS]
        problems = [f"{what}: {', '.join(map(str, keys))}" for what, keys in (
            ("unknown", sorted(set(map(str, snapshot.kpis)) - set(known))),
            ("missing", [k for k in known if k not in snapshot.kpis])) if keys]
        if problems:
            raise StoreError(f"{where}: KPI keys must be the registry's ({', '.join(known)}); "
                             f"{'; '.join(problems)}.")
    return _Rows(
        client=client, month_end=month, run_id=str(snapshot.run_id), created_at=str(snapshot.created_at),
        kpis=[(str(k), _number(v, f"{where}, KPI {k}")) for k, v in snapshot.kpis.items()],
        aging=[(i, str(b), _number(v, f"{where}, aging bucket {b}"))
               for i, (b, v) in enumerate(snapshot.aging.items())],
        totals=[_totals_row(i, record, where) for i, record in enumerate(snapshot.control_totals)],
        checksums=[_checksum_row(name, digest, where) for name, digest in snapshot.input_checksums.items()],
        forecast=[_forecast_row(i, week, where) for i, week in enumerate(snapshot.forecast)])


def _totals_row(position: int, record: Mapping[str, Any], where: str) -> tuple[Any, ...]:
    """One control-totals record (keys exactly :data:`TOTAL_COLUMNS`) as a table row."""
    if set(record) != set(TOTAL_COLUMNS):
        raise StoreError(f"{where}: control totals line {position + 1} must have the keys "
                         f"{', '.join(TOTAL_COLUMNS)}, got {', '.join(map(str, record))}.")
    at = f"{where}, control totals of {record['file']}"
    return (position, str(record["file"]),
            *((_count if c in _COUNTS else _number)(record[c], f"{at}, {c}") for c in TOTAL_COLUMNS[1:]))


def _forecast_row(position: int, week: Mapping[str, Any], where: str) -> tuple[Any, ...]:
    """One forecast week (keys exactly :data:`FORECAST_COLUMNS`) as a table row."""
    if set(week) != set(FORECAST_COLUMNS):
        raise StoreError(f"{where}: forecast line {position + 1} must have the keys {', '.join(FORECAST_COLUMNS)}, "
                         f"got {', '.join(map(str, week))}.")
    at = f"{where}, forecast week {week['week']}"
    number = _count(week["week"], f"{at}, week")
    if number is None or not 1 <= number <= 53:
        raise StoreError(f"{at}: the week must be a number from 1 to 53.")
    try:
        start = f"{pd.Timestamp(week['start']):%Y-%m-%d}"
    except (TypeError, ValueError):
        raise StoreError(f"{at}: start must be a date YYYY-MM-DD, got {week['start']!r}.") from None
    return (number, start, *(_number(week[c], f"{at}, {c}") for c in ("expected", "low", "high")), str(week["method"]))


def _checksum_row(name: Any, digest: Any, where: str) -> tuple[str, str]:
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        raise StoreError(f"{where}: the checksum of {name} must be 64 lower-case hex digits (SHA-256), "
                         f"got {digest!r}.")
    return str(name), digest


def _number(value: Any, where: str) -> float | None:
    """A float for SQLite, None (NULL) for NaN or None; StoreError otherwise."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StoreError(f"{where}: expected a number (or NaN), got {value!r}.") from None
    return None if math.isnan(number) else number


def _count(value: Any, where: str) -> int | None:
    """A whole number for SQLite, None for a missing one; StoreError otherwise."""
    number = _number(value, where)
    if number is None:
        return None
    if not number.is_integer():
        raise StoreError(f"{where}: expected a whole number of rows, got {value!r}.")
    return int(number)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _month_end(value: Any) -> str:
    """``value`` as 'YYYY-MM-DD' if it is a calendar month's last day; StoreError otherwise."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp) or stamp.tz is not None or stamp != stamp.normalize() or not stamp.is_month_end:
        raise StoreError(f"month_end must be the last day of a month (e.g. 2026-10-31), got {value!r}.")
    return stamp.strftime("%Y-%m-%d")


def _bound(value: Any, default: str, name: str) -> str:
    """A start/end bound as 'YYYY-MM-DD' (None: no bound); StoreError for a non-date."""
    if value is None:
        return default
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise StoreError(f"{name} must be a date such as 2026-01-31, got {value!r}.")
    return stamp.strftime("%Y-%m-%d")


def _wide(months: list[str], long: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Long (month_end, label, value) rows as a month_end × label float table."""
    index = pd.DatetimeIndex(pd.to_datetime(pd.Series(months, dtype=object), format="%Y-%m-%d"),
                             name="month_end").as_unit("s")
    long = long.assign(value=pd.to_numeric(long["value"], errors="coerce").astype(float))
    wide = long.pivot(index="month_end", columns="label", values="value") if len(long) else pd.DataFrame()
    wide = wide.reindex(index=months, columns=labels).astype(float)
    wide.index, wide.columns = index, pd.Index(labels, name=None)
    return wide


def _migrate_1(conn: sqlite3.Connection, path: Path) -> int:
    """Version 1 (JSON texts in one table) → the current layout (normalised tables; no checksums,
    creation time, count of unreadable amounts or forecast were kept)."""
    conn.execute("ALTER TABLE snapshots RENAME TO snapshots_v1")
    for statement in _SCHEMA:
        conn.execute(statement)
    for client, month, run_id, kpis, aging, totals in conn.execute(
            "SELECT client, month_end, run_id, kpis, aging, control_totals FROM snapshots_v1 "
            "ORDER BY client, month_end").fetchall():
        try:
            kpis, aging, totals = json.loads(kpis), json.loads(aging), json.loads(totals or "[]")
        except (TypeError, json.JSONDecodeError) as exc:
            raise StoreError(f"{path}: cannot migrate the snapshot of {client!r} at {month} from schema "
                             f"version 1, its JSON is unreadable ({exc}). Its data was left unchanged.") from None
        snapshot = Snapshot(client, pd.Timestamp(month), kpis, aging,
                            [{c: t.get(c) for c in TOTAL_COLUMNS} for t in totals], run_id, {}, "")
        try:
            _insert(conn, _rows(snapshot, check_keys=False))
        except StoreError as exc:
            raise StoreError(f"{path}: cannot migrate from schema version 1: {exc} Its data was left "
                             "unchanged.") from None
    conn.execute("DROP TABLE snapshots_v1")
    return SCHEMA_VERSION


def _migrate_2_to_3(conn: sqlite3.Connection, path: Path) -> int:
    """Version 2 → 3: the count of unreadable amounts in the control totals (NULL: unknown for the
    months stored before) and the table of forecast weeks."""
    conn.execute("ALTER TABLE control_totals ADD COLUMN amounts_unreadable INTEGER")
    conn.execute(_FORECAST_TABLE)
    return 3


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection, Path], int]] = {1: _migrate_1, 2: _migrate_2_to_3}
"""from-version → the step that upgrades a store to the next version, inside the write lock."""
