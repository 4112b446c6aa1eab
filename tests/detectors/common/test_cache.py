"""LruCache.lookup: cached values are read, distinct missing ones computed once, and returned even when the
cache is too small to keep them."""

from __future__ import annotations

import pytest

from logad.detectors.common.cache import LruCache


def test_lookup_computes_each_missing_key_once_and_survives_a_small_capacity():
    cache: LruCache[int] = LruCache(capacity=2)
    calls: list[list[str]] = []

    def compute(keys: list[str]) -> list[int]:
        calls.append(keys)
        return [len(key) for key in keys]

    assert cache.lookup(["a", "bb", "a", "ccc"], compute) == [1, 2, 1, 3]  # 3 distinct keys, capacity 2
    assert calls == [["a", "bb", "ccc"]]
    assert cache.lookup(["ccc", "bb"], compute) == [3, 2] and len(calls) == 1  # both still cached
    assert cache.lookup(["a"], compute) == [1] and calls[-1] == ["a"]  # evicted, computed again


def test_fill_puts_keys_in_order_and_refuses_a_length_mismatch():
    cache: LruCache[int] = LruCache(capacity=2)
    cache.fill(["a", "b", "c"], [1, 2, 3])
    assert len(cache) == 2 and cache.missing(["a", "b", "c"]) == ["a"] and cache.get("c") == 3
    with pytest.raises(ValueError):
        cache.fill(["x"], [1, 2])
