"""Shared by the state tests: the store-opening fixture's type."""

from __future__ import annotations

from typing import Protocol

from logad.state import StateStore


class OpenStore(Protocol):
    """namespace (and the decision log's bound) -> a new store (a new connection) on the test's backend."""

    def __call__(self, namespace: str, decision_log_size: int = ...) -> StateStore: ...
