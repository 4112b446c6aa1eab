"""Durable per-tenant state of a stateful serving transformer (SQLite or Redis), and per-tenant bearer tokens."""

from logad.state.factory import open_store
from logad.state.redis import RedisStateStore
from logad.state.sqlite import SqliteStateStore
from logad.state.store import StateConflict, StateStore, TenantState
from logad.state.tokens import AuthError, TenantTokens

__all__ = [
    "AuthError",
    "RedisStateStore",
    "SqliteStateStore",
    "StateConflict",
    "StateStore",
    "TenantState",
    "TenantTokens",
    "open_store",
]
