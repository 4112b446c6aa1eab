"""open_store: which URI opens which backend, and the errors for the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from logad.errors import ConfigError
from logad.state import RedisStateStore, SqliteStateStore, StateStore, TenantState, open_store
from redis_server import RedisServer


def _sqlite_path(store: StateStore) -> Path:
    assert isinstance(store, SqliteStateStore)
    store.close()
    return store.path


def test_sqlite_uris_and_plain_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert _sqlite_path(open_store(f"sqlite://{tmp_path}/abs/a.db", "m")) == tmp_path / "abs" / "a.db"
    assert _sqlite_path(open_store("sqlite:rel/b.db", "m")) == Path("rel/b.db")
    assert _sqlite_path(open_store(str(tmp_path / "plain" / "c.db"), "m")) == tmp_path / "plain" / "c.db"
    assert _sqlite_path(open_store("d.db", "m")) == Path("d.db")
    for created in ("abs/a.db", "rel/b.db", "plain/c.db", "d.db"):
        assert (tmp_path / created).is_file()


def test_a_sqlite_uri_reopens_the_same_database(tmp_path: Path) -> None:
    uri = f"sqlite://{tmp_path}/state.db"
    first = open_store(uri, "m")
    first.put("t1", {"n": 1}, 0)
    first.close()
    second = open_store(uri, "m")
    assert second.get("t1") == TenantState(1, {"n": 1})
    second.close()


def test_redis_uris(redis_server: RedisServer, namespace: str) -> None:
    store = open_store(redis_server.url, namespace)
    assert isinstance(store, RedisStateStore)
    store.put("t1", {"n": 1}, 0)
    assert redis_server.client.hget(f"logad:{{{namespace}}}:tenant:t1", "version") == b"1"
    assert redis_server.client.smembers(f"logad:{{{namespace}}}:tenants") == {b"t1"}
    store.close()
    for uri in ("redis://127.0.0.1:1/0", "rediss://cache.example:6380"):
        assert isinstance(open_store(uri, "m"), RedisStateStore)  # connects lazily: no server needed to open
    with pytest.raises(ConfigError, match="Port could not be cast"):
        open_store("redis://cache:port", "m")


@pytest.mark.parametrize(
    "uri", ["", "http://state:80", "postgres://db/state", "REDIS://cache", "sqlite:", "sqlite://host/x.db"]
)
def test_unknown_forms_are_a_config_error_naming_the_uri_and_the_accepted_forms(uri: str) -> None:
    with pytest.raises(ConfigError) as error:
        open_store(uri, "m")
    message = str(error.value)
    assert repr(uri) in message
    assert "sqlite:///abs/path.db" in message
    assert "redis://" in message
