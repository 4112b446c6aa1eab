"""SQLite state store: the embedded default, one database file on a volume.

Durability: WAL journal with ``synchronous=FULL`` syncs the log on every commit, so a put that returned survives a
kill -9 or a power loss. ``put`` reads and writes inside ``BEGIN IMMEDIATE`` (the database write lock), so it is an
atomic compare-and-set across threads and across processes; ``busy_timeout`` makes a second replica wait for the lock
instead of failing. WAL needs shared memory, so replicas sharing the file must run on the same node (use the Redis
store across nodes). Open windows, their events and the decision log are three more tables, written in the put's
transaction; the windows' indexes on ``seen``, ``last`` and ``wall`` answer a request's ``WindowQuery`` without a scan.
A window's row holds its metadata (with ``count``, the events stored) and, in ``batches``, the versions of the puts
that added its events: ``open_window_batch`` holds them keyed by (version, window), so a request writes only the
events it adds, and all of them next to each other at the end of the table (keyed by window, the chunks of the
dozens of sessions one request touches would land on as many pages scattered through it, each one written to the
WAL and synced). Events written before batches were kept (``open_window_events``, keyed by window and chunk) are read
before a window's batches and cleared with it. A read runs in one transaction: its rows and chunks are one snapshot.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from logad.errors import BadInputError
from logad.state.decision_log import DEFAULT_DECISION_LOG_SIZE, LogWrite
from logad.state.open_windows import EncodedRow, StoredRow, WindowQuery, append_mismatch
from logad.state.store import RowWrite, StateConflict, StateStore

BUSY_TIMEOUT_S = 30.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tenant_state (
    namespace TEXT NOT NULL,
    tenant TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (namespace, tenant)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decision_log (
    namespace TEXT NOT NULL,
    tenant TEXT NOT NULL,
    seq INTEGER NOT NULL,
    window_id TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (namespace, tenant, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS decision_log_by_window ON decision_log (namespace, tenant, window_id, seq);
CREATE TABLE IF NOT EXISTS open_window (
    namespace TEXT NOT NULL,
    tenant TEXT NOT NULL,
    window_id TEXT NOT NULL,
    seen INTEGER NOT NULL,
    last REAL,
    wall REAL,
    row TEXT NOT NULL,
    batches TEXT,
    PRIMARY KEY (namespace, tenant, window_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS open_window_by_seen ON open_window (namespace, tenant, seen, window_id);
CREATE INDEX IF NOT EXISTS open_window_by_last ON open_window (namespace, tenant, last);
CREATE INDEX IF NOT EXISTS open_window_by_wall ON open_window (namespace, tenant, wall);
CREATE TABLE IF NOT EXISTS open_window_events (
    namespace TEXT NOT NULL,
    tenant TEXT NOT NULL,
    window_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    events TEXT NOT NULL,
    PRIMARY KEY (namespace, tenant, window_id, chunk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS open_window_batch (
    namespace TEXT NOT NULL,
    tenant TEXT NOT NULL,
    version INTEGER NOT NULL,
    window_id TEXT NOT NULL,
    events TEXT NOT NULL,
    PRIMARY KEY (namespace, tenant, version, window_id)
) WITHOUT ROWID;
"""
_WINDOWS = "SELECT window_id, row FROM open_window WHERE namespace = ? AND tenant = ?"
_WINDOW_IDS = "SELECT window_id FROM open_window WHERE namespace = ? AND tenant = ?"
# A row's stored event count (NULL for a row written before events were stored apart, or a malformed one).
_STORED_COUNT = "CASE WHEN json_valid(row) THEN json_extract(row, '$.count') END"
_COUNTED = f"SELECT window_id, {_STORED_COUNT}, row FROM open_window WHERE namespace = ? AND tenant = ?"
_COUNTED_BATCHES = f"SELECT window_id, {_STORED_COUNT}, batches FROM open_window WHERE namespace = ? AND tenant = ?"
_CHUNKS = "SELECT window_id, events FROM open_window_events WHERE namespace = ? AND tenant = ?"
_ALL_BATCHES = "SELECT window_id, events FROM open_window_batch WHERE namespace = ? AND tenant = ?"
# The batches of the selected windows, each window's in version order (after ``AND o.window_id IN (...)``). CROSS JOIN
# keeps SQLite's planner to this order: each row's batch list, then each batch by its key (left to choose, it scans
# all of the tenant's batches for every row). A malformed list reads as no batches: the window's count names it.
_BATCHES = (
    "SELECT o.window_id, b.events FROM open_window AS o CROSS JOIN "
    "json_each(CASE WHEN json_valid(o.batches) AND json_type(o.batches) = 'array' THEN o.batches ELSE '[]' END) AS j "
    "CROSS JOIN open_window_batch AS b ON b.namespace = o.namespace AND b.tenant = o.tenant AND j.type = 'integer' "
    "AND b.version = j.value AND b.window_id = o.window_id WHERE o.namespace = ? AND o.tenant = ?"
)
# SQLite allows 32,766 parameters per statement: ids are looked up in chunks well below that.
_IDS_PER_QUERY = 500
# The seq of a window's latest record; parameters: namespace, tenant, window.
_LATEST_SEQ = "SELECT MAX(seq) FROM decision_log WHERE namespace = ? AND tenant = ? AND window_id = ?"


class SqliteStateStore(StateStore):
    """Tenant state of ``namespace`` in the SQLite database at ``path`` (created with its parent folders)."""

    def __init__(self, path: str | Path, namespace: str, decision_log_size: int = DEFAULT_DECISION_LOG_SIZE) -> None:
        super().__init__(namespace, decision_log_size)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        self._wal()
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.executescript(_SCHEMA)
        self._add_batches_column()

    def _add_batches_column(self) -> None:
        """Give a database written before batches were kept its ``batches`` column (its rows keep NULL: no batch)."""
        with self._write() as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(open_window)")}
            if "batches" not in columns:
                conn.execute("ALTER TABLE open_window ADD COLUMN batches TEXT")

    def _wal(self) -> None:
        """Switch the database to WAL; a switch that finds another connection creating the schema (replicas opening a
        new file at once) is retried until ``BUSY_TIMEOUT_S``: SQLite fails it at once instead of waiting."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        """The connection inside a write transaction (holding the database's write lock)."""
        return self._transaction("BEGIN IMMEDIATE")

    def _snapshot(self) -> AbstractContextManager[sqlite3.Connection]:
        """The connection inside a read transaction: what it reads is one snapshot of the database."""
        return self._transaction("BEGIN")

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """The connection inside the transaction ``begin`` starts, committed on success, rolled back on error."""
        with self._lock:
            self._conn.execute(begin)
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _get(self, tenant: str) -> tuple[int, str] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT version, data FROM tenant_state WHERE namespace = ? AND tenant = ?", (self.namespace, tenant)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def _put(self, tenant: str, text: str, expected_version: int, log: LogWrite, rows: RowWrite) -> int:
        key = (self.namespace, tenant)
        with self._write() as conn:
            row = conn.execute("SELECT version FROM tenant_state WHERE namespace = ? AND tenant = ?", key).fetchone()
            stored = 0 if row is None else row[0]
            if stored != expected_version:
                raise StateConflict(tenant, expected_version, stored)
            conn.execute(
                "INSERT INTO tenant_state (namespace, tenant, version, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (namespace, tenant) DO UPDATE SET version = excluded.version, data = excluded.data",
                (*key, stored + 1, text),
            )
            self._write_log(conn, key, log)
            self._write_rows(conn, key, rows, stored + 1)
        return stored + 1

    @staticmethod
    def _write_rows(conn: sqlite3.Connection, key: tuple[str, str], rows: RowWrite, version: int) -> None:
        """Check the appends' counts, delete the windows deleted, clear the events of those and of the windows
        rewritten whole (all of the tenant's events by key range when it deletes every window: a flush), then upsert
        the open-window rows and add their new events as this put's batch (inside the put's transaction)."""
        if not rows.put and _deletes_every_window(conn, key, rows.delete):
            for table in ("open_window", "open_window_batch", "open_window_events"):
                conn.execute(f"DELETE FROM {table} WHERE namespace = ? AND tenant = ?", key)
            return
        appended = {row.window: row.kept for row in rows.put if row.kept}
        cleared = [*rows.delete, *(row.window for row in rows.put if not row.kept)]
        found = _in_ids(conn, _COUNTED_BATCHES, key, [*appended, *cleared])
        stored = {window: (count, _versions(text, key, window)) for window, count, text in found}
        for window, kept in appended.items():
            count = stored.get(window, (None, None))[0]
            if count != kept:
                raise append_mismatch(key[1], window, kept, count)
        earlier = {window: stored[window][1] for window in appended}
        conn.executemany(
            "DELETE FROM open_window WHERE namespace = ? AND tenant = ? AND window_id = ?",
            [(*key, window) for window in rows.delete],
        )
        dropped = {window: stored[window][1] for window in cleared if window in stored}
        conn.executemany(
            "DELETE FROM open_window_batch WHERE namespace = ? AND tenant = ? AND version = ? AND window_id = ?",
            [(*key, batch, window) for window, batches in dropped.items() for batch in batches],
        )
        conn.executemany(
            "DELETE FROM open_window_events WHERE namespace = ? AND tenant = ? AND window_id = ?",
            [(*key, window) for window in cleared],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO open_window (namespace, tenant, window_id, seen, last, wall, row, batches) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (*key, row.window, row.seen, row.last, row.wall, row.text, _batches(earlier, row, version))
                for row in rows.put
            ],
        )
        conn.executemany(
            "INSERT INTO open_window_batch (namespace, tenant, version, window_id, events) VALUES (?, ?, ?, ?, ?)",
            [(*key, version, row.window, row.events) for row in rows.put if row.events is not None],
        )

    def _open_windows(self, tenant: str, query: WindowQuery) -> dict[str, StoredRow]:
        key = (self.namespace, tenant)
        with self._snapshot() as conn:
            if query.every:
                rows = dict(conn.execute(_WINDOWS, key).fetchall())
                earlier = conn.execute(f"{_CHUNKS} ORDER BY window_id, chunk", key).fetchall()
                batched = conn.execute(f"{_ALL_BATCHES} ORDER BY version", key).fetchall()
                return _with_chunks(rows, [*earlier, *batched])
            full = _selected(conn, key, query)
            partial: dict[str, StoredRow] = {}
            for window, count, row in _in_ids(conn, _COUNTED, key, list(dict.fromkeys(query.ids))):
                if window in full:
                    continue
                if _events_needed(count, query.full_at_count):
                    full[window] = row
                else:
                    partial[window] = StoredRow(row, None)
            earlier = _in_ids(conn, _CHUNKS, key, list(full), " ORDER BY window_id, chunk")
            batched = _in_ids(conn, _BATCHES, key, list(full), " ORDER BY o.window_id, b.version", "o.window_id")
            return {**partial, **_with_chunks(full, [*earlier, *batched])}

    def _write_log(self, conn: sqlite3.Connection, key: tuple[str, str], log: LogWrite) -> None:
        """Amend, append, then drop what lies beyond the bound (inside the put's transaction)."""
        for window, record in log.amend:
            conn.execute(
                f"UPDATE decision_log SET record = ? WHERE namespace = ? AND tenant = ? AND seq = ({_LATEST_SEQ})",
                (record, *key, *key, window),
            )
        if not log.append:
            return
        (last,) = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM decision_log WHERE namespace = ? AND tenant = ?", key
        ).fetchone()
        conn.executemany(
            "INSERT INTO decision_log (namespace, tenant, seq, window_id, record) VALUES (?, ?, ?, ?, ?)",
            [(*key, last + i, window, record) for i, (window, record) in enumerate(log.append, 1)],
        )
        oldest_kept = last + len(log.append) - self.decision_log_size + 1
        conn.execute("DELETE FROM decision_log WHERE namespace = ? AND tenant = ? AND seq < ?", (*key, oldest_kept))

    def _decision(self, tenant: str, window: str) -> tuple[int, str] | None:
        with self._lock:
            return self._conn.execute(
                f"SELECT seq, record FROM decision_log WHERE namespace = ? AND tenant = ? AND seq = ({_LATEST_SEQ})",
                (self.namespace, tenant, self.namespace, tenant, window),
            ).fetchone()

    def _decisions(self, tenant: str, limit: int, before: int | None) -> list[tuple[int, str]]:
        with self._lock:
            return self._conn.execute(
                "SELECT seq, record FROM decision_log WHERE namespace = ? AND tenant = ? AND seq < ? "
                "ORDER BY seq DESC LIMIT ?",
                (self.namespace, tenant, before or 2**62, limit),
            ).fetchall()

    def _delete(self, tenant: str) -> bool:
        with self._write() as conn:
            key = (self.namespace, tenant)
            cursor = conn.execute("DELETE FROM tenant_state WHERE namespace = ? AND tenant = ?", key)
            conn.execute("DELETE FROM decision_log WHERE namespace = ? AND tenant = ?", key)
            conn.execute("DELETE FROM open_window WHERE namespace = ? AND tenant = ?", key)
            conn.execute("DELETE FROM open_window_events WHERE namespace = ? AND tenant = ?", key)
            conn.execute("DELETE FROM open_window_batch WHERE namespace = ? AND tenant = ?", key)
        return cursor.rowcount > 0

    def _tenants(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute("SELECT tenant FROM tenant_state WHERE namespace = ?", (self.namespace,))
            return [row[0] for row in rows]

    def _ping(self) -> None:
        """Nothing to reach: the database is a local file, opened when the store was."""

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _selected(conn: sqlite3.Connection, key: tuple[str, str], query: WindowQuery) -> dict[str, str]:
    """Window id -> row of those ``query`` selects by its bounds and ``oldest`` (read with their events)."""
    found: dict[str, str] = {}
    bounds = (
        ("last IS NOT NULL AND last <= ?", query.last_up_to),
        ("last IS NULL AND seen <= ?", query.seen_up_to),
        ("wall IS NOT NULL AND wall <= ?", query.wall_up_to),
    )
    for condition, bound in bounds:
        if bound is not None:
            found |= dict(conn.execute(f"{_WINDOWS} AND {condition}", (*key, bound)).fetchall())
    if query.oldest:
        found |= dict(conn.execute(f"{_WINDOWS} ORDER BY seen, window_id LIMIT ?", (*key, query.oldest)).fetchall())
    return found


def _deletes_every_window(conn: sqlite3.Connection, key: tuple[str, str], delete: tuple[str, ...]) -> bool:
    """Whether ``delete`` names every open window the tenant has (a flush); counted first, so that a put deleting
    a few of many windows does not read every id."""
    if not delete:
        return False
    (count,) = conn.execute("SELECT COUNT(*) FROM open_window WHERE namespace = ? AND tenant = ?", key).fetchone()
    if count > len(delete):
        return False
    return {window for (window,) in conn.execute(_WINDOW_IDS, key)} <= set(delete)


def _in_ids(
    conn: sqlite3.Connection, sql: str, key: tuple[str, str], ids: list[str], order: str = "", column: str = "window_id"
) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (filtered by namespace and tenant) whose ``column`` is one of the windows ``ids``."""
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        found += conn.execute(f"{sql} AND {column} IN ({','.join('?' * len(chunk))}){order}", (*key, *chunk))
    return found


def _batches(earlier: dict[str, list[int]], row: EncodedRow, version: int) -> str:
    """The ``batches`` column of ``row`` written by the put of ``version``: the batches it keeps, then this put's."""
    kept = earlier[row.window] if row.kept else []
    return json.dumps([*kept, version] if row.events is not None else kept)


def _versions(text: str | None, key: tuple[str, str], window: str) -> list[int]:
    """The batch versions a row's ``batches`` column lists ([] for NULL: a row without batches); BadInputError naming
    the window when the column is malformed."""
    if text is None:
        return []
    try:
        versions = json.loads(text)
    except json.JSONDecodeError:
        versions = None
    if not isinstance(versions, list) or not all(type(v) is int for v in versions):
        raise BadInputError(f"stored open window {window!r} of tenant {key[1]!r} is malformed: 'batches' is {text!r}")
    return versions


def _events_needed(count: object, full_at_count: int | None) -> bool:
    """Whether a row selected by id is read with its events: one without a count (written before events were stored
    apart, or malformed) always is."""
    return not isinstance(count, int) or (full_at_count is not None and count >= full_at_count)


def _with_chunks(rows: dict[str, str], chunks: list[tuple[str, str]]) -> dict[str, StoredRow]:
    """``rows`` with their chunks (``chunks``: (window id, events) in order)."""
    found: dict[str, list[str]] = {window: [] for window in rows}
    for window, events in chunks:
        if window in found:
            found[window].append(events)
    return {window: StoredRow(row, found[window]) for window, row in rows.items()}
