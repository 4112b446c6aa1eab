"""A bounded least-recently-used cache of per-text model outputs (windows repeat a lot)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

V = TypeVar("V")


class LruCache(Generic[V]):
    """At most ``capacity`` entries; reading or writing an entry makes it the most recent."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def missing(self, keys: Iterable[str]) -> list[str]:
        """Distinct keys not cached, in first-seen order."""
        return [key for key in dict.fromkeys(keys) if key not in self._entries]

    def get(self, key: str) -> V:
        self._entries.move_to_end(key)
        return self._entries[key]

    def put(self, key: str, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def fill(self, keys: Sequence[str], values: Iterable[V]) -> None:
        """Put each of ``keys`` with its value, in order (e.g. a model's saved outputs at load)."""
        for key, value in zip(keys, values, strict=True):
            self.put(key, value)

    def lookup(self, keys: Sequence[str], compute: Callable[[list[str]], Iterable[V]]) -> list[V]:
        """The value of every key, in order: cached ones read, the distinct missing ones computed in one
        ``compute`` call (values in the order of the keys given to it) and cached. Values computed now are
        returned even if the cache is too small to keep them all."""
        missing = self.missing(keys)
        fresh = dict(zip(missing, compute(missing), strict=True)) if missing else {}
        for key, value in fresh.items():
            self.put(key, value)
        return [fresh[key] if key in fresh else self.get(key) for key in keys]

    def clear(self) -> None:
        self._entries.clear()
