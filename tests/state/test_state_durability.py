"""Acknowledged writes survive a kill -9: of the writing process (SQLite) and of the server (Redis AOF)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from logad.state import RedisStateStore, SqliteStateStore
from redis_server import RedisServer

_WRITER = """
import sys
from logad.state import SqliteStateStore
store, version = SqliteStateStore(sys.argv[1], "durable"), 0
while True:
    version = store.put("t1", {"n": version + 1, "pad": "x" * 2000}, version)
    print(version, flush=True)
"""


def test_sqlite_keeps_every_acknowledged_put_after_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "vol" / "state.db"
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(db)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    try:
        acknowledged = [int(child.stdout.readline()) for _ in range(40)]
    finally:
        child.kill()  # SIGKILL, mid-stream: the writer is between puts or inside one
    rest, _ = child.communicate(timeout=30)
    acknowledged += [int(line) for line in rest.split()]
    assert child.returncode == -signal.SIGKILL
    assert acknowledged == list(range(1, len(acknowledged) + 1))

    store = SqliteStateStore(db, "durable")
    state = store.get("t1")
    store.close()
    assert state.version >= acknowledged[-1]
    assert state.data["n"] == state.version  # the stored document is the one of its version, not torn
    with closing(sqlite3.connect(db)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # WAL is a property of the file


def test_redis_keeps_acknowledged_puts_after_the_server_is_killed(redis_server: RedisServer, namespace: str) -> None:
    store = RedisStateStore(redis_server.url, namespace)
    for version in range(20):
        store.put(f"t{version % 3}", {"n": version}, version // 3)
    store.close()

    redis_server.kill_and_restart()  # no save on the way out: only the AOF holds the writes

    store = RedisStateStore(redis_server.url, namespace)
    assert store.tenants() == ["t0", "t1", "t2"]
    assert [store.get(tenant).version for tenant in ("t0", "t1", "t2")] == [7, 7, 6]
    assert store.get("t0").data == {"n": 18}
    assert store.put("t0", {"n": 20}, 7) == 8
    store.close()
