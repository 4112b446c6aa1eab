"""Dynamic batching: concurrent requests' windows are scored together, one model call at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Pending(Generic[Item, Result]):
    key: str
    items: Sequence[Item]
    future: asyncio.Future[list[Result]] = field(repr=False)


class DynamicBatcher(Generic[Item, Result]):
    """Collects requests for up to ``max_delay`` seconds or ``max_items`` items, then runs ``compute`` once per
    key (a tenant: items of different keys are never mixed) in a worker thread, so the event loop keeps accepting
    requests while the model runs. A request larger than ``max_items`` is computed on its own."""

    def __init__(
        self,
        compute: Callable[[str, list[Item]], list[Result]],
        max_items: int = 256,
        max_delay: float = 0.005,
    ) -> None:
        self._compute = compute
        self._max_items = max_items
        self._max_delay = max_delay
        self._queue: asyncio.Queue[_Pending[Item, Result]] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, key: str, items: Sequence[Item]) -> list[Result]:
        """Results for ``items`` (in order) once their batch has run; the batch's exception if it failed."""
        if not items:
            return []
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run())
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(key, items, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            deadline = asyncio.get_running_loop().time() + self._max_delay
            while sum(len(p.items) for p in batch) < self._max_items:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), remaining))
                except TimeoutError:
                    break
            await self._run_batch(batch)

    async def _run_batch(self, batch: list[_Pending[Item, Result]]) -> None:
        by_key: dict[str, list[_Pending[Item, Result]]] = {}
        for pending in batch:
            by_key.setdefault(pending.key, []).append(pending)
        for key, group in by_key.items():
            items = [item for pending in group for item in pending.items]
            try:
                results = await asyncio.to_thread(self._compute, key, items)
            except Exception as exc:  # handed to every waiting request, which reports it
                for pending in group:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                continue
            start = 0
            for pending in group:
                end = start + len(pending.items)
                if not pending.future.done():
                    pending.future.set_result(results[start:end])
                start = end
