"""Durable per-tenant state of a stateful serving transformer (SQLite or Redis) with its open windows and decision
log, and per-tenant bearer tokens."""

from logad.state.decision_log import DEFAULT_DECISION_LOG_SIZE
from logad.state.factory import open_store, parse_store_uri
from logad.state.open_windows import WindowQuery, WindowWrite
from logad.state.redis import RedisStateStore
from logad.state.sqlite import SqliteStateStore
from logad.state.store import StateConflict, StateStore, StoreUnavailable, TenantState
from logad.state.tokens import AuthError, TenantTokens

__all__ = [
    "DEFAULT_DECISION_LOG_SIZE",
    "AuthError",
    "RedisStateStore",
    "SqliteStateStore",
    "StateConflict",
    "StateStore",
    "StoreUnavailable",
    "TenantState",
    "TenantTokens",
    "WindowQuery",
    "WindowWrite",
    "open_store",
    "parse_store_uri",
]
