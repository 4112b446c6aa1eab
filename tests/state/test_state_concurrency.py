"""Concurrent read-modify-write through get/put with retries: no increment is lost (SQLite and Redis)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from state_helpers import OpenStore

from logad.state import StateConflict, StateStore

THREADS, INCREMENTS = 8, 50


def _increment(store: StateStore, tenant: str) -> int:
    """Add one to the tenant's counter, retrying on conflicts; the number of conflicts met."""
    conflicts = 0
    while True:
        state = store.get(tenant)
        try:
            store.put(tenant, {"counter": state.data.get("counter", 0) + 1}, state.version)
            return conflicts
        except StateConflict:
            conflicts += 1


def _run(stores: list[StateStore], tenants: list[str], increments: int) -> int:
    """Each store's thread increments every tenant ``increments`` times; the conflicts met in all."""

    def work(store: StateStore) -> int:
        return sum(_increment(store, tenant) for _ in range(increments) for tenant in tenants)

    with ThreadPoolExecutor(len(stores)) as pool:
        return sum(pool.map(work, stores))


def test_threads_sharing_one_store_lose_no_increment(open_store: OpenStore, namespace: str) -> None:
    store = open_store(namespace)
    conflicts = _run([store] * THREADS, ["t1"], INCREMENTS)
    state = store.get("t1")
    assert state.data == {"counter": THREADS * INCREMENTS}
    assert state.version == THREADS * INCREMENTS
    assert conflicts > 0  # the threads did race, so the retries were exercised


def test_replicas_with_their_own_connections_lose_no_increment(open_store: OpenStore, namespace: str) -> None:
    stores = [open_store(namespace) for _ in range(THREADS)]
    _run(stores, ["t1"], INCREMENTS)
    assert stores[0].get("t1").data == {"counter": THREADS * INCREMENTS}


def test_many_tenants_in_parallel(open_store: OpenStore, namespace: str) -> None:
    tenants = [f"tenant-{i:02d}" for i in range(12)]
    stores = [open_store(namespace) for _ in range(4)]
    _run(stores, tenants, 5)
    assert stores[0].tenants() == tenants
    for tenant in tenants:
        state = stores[0].get(tenant)
        assert (state.version, state.data) == (4 * 5, {"counter": 4 * 5})
