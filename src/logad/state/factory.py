"""Open a state store from a URI: a SQLite file (the default) or a Redis server."""

from __future__ import annotations

import re

from logad.errors import ConfigError
from logad.state.decision_log import DEFAULT_DECISION_LOG_SIZE
from logad.state.redis import RedisStateStore
from logad.state.sqlite import SqliteStateStore
from logad.state.store import StateStore

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_REDIS_SCHEMES = ("redis", "rediss", "unix")
_FORMS = "sqlite:///abs/path.db, sqlite:relative/path.db, a plain file path, redis://..., rediss://... or unix://..."


def parse_store_uri(uri: str) -> tuple[str, str]:
    """``("redis", uri)`` or ``("sqlite", database path)``; ConfigError naming the accepted forms for anything else
    (checked without opening anything, so a launcher can refuse a bad URI before it starts servers)."""
    match = _SCHEME_RE.match(uri)
    scheme = match.group(1) if match else ""
    if scheme in _REDIS_SCHEMES:
        return "redis", uri
    path = _sqlite_path(uri, scheme)
    if not path:
        raise ConfigError(f"state store URI {uri!r} is not supported: use {_FORMS}")
    return "sqlite", path


def open_store(uri: str, namespace: str, decision_log_size: int = DEFAULT_DECISION_LOG_SIZE) -> StateStore:
    """The state store of ``namespace`` at ``uri`` (keeping ``decision_log_size`` decisions per tenant); ConfigError
    naming the accepted forms when ``uri`` is not one."""
    kind, target = parse_store_uri(uri)
    if kind == "redis":
        return RedisStateStore(target, namespace, decision_log_size)
    return SqliteStateStore(target, namespace, decision_log_size)


def _sqlite_path(uri: str, scheme: str) -> str:
    """The database path a SQLite URI or plain path names; "" when it names none."""
    if not scheme:
        return uri
    if scheme != "sqlite":
        return ""
    path = uri[len("sqlite:") :]
    if path.startswith("//"):  # sqlite:///abs/path -> /abs/path; sqlite://host/... names a host, which SQLite lacks
        return path[2:] if path.startswith("///") else ""
    return path
