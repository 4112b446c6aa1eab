"""Shared by the state tests: the store-opening fixture's type."""

from __future__ import annotations

from collections.abc import Callable

from logad.state import StateStore

OpenStore = Callable[[str], StateStore]  # namespace -> a new store (a new connection) on the test's backend
