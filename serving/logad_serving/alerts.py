"""Anomalous decisions out as alerts to an Alertmanager-compatible webhook, off the request path.

Requests only queue alerts (``AlertSink.submit`` never waits); one background task drains the bounded queue in
batches, each a ``POST`` of a JSON array of alerts as Alertmanager's ``/api/v2/alerts`` takes them. A slow or failing
receiver therefore never delays an answer, and the decisions themselves are answered and logged whatever happens
to their alerts. At shutdown (``close``) the queued alerts are delivered first, for a bounded time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from logad.errors import ConfigError
from logad.threshold import Decision
from logad_serving.metrics import ModelMetrics

log = logging.getLogger(__name__)
ALERT_NAME = "LogAnomaly"


@dataclass(frozen=True)
class AlertSettings:
    """The receiver's URL (the whole endpoint, e.g. ``http://alertmanager:9093/api/v2/alerts``) and the bounds on
    memory, batching and retries."""

    url: str
    queue_size: int = 10_000
    batch_size: int = 100
    attempts: int = 5
    backoff_seconds: float = 0.5  # before the second attempt; doubled before each next one
    timeout_seconds: float = 5.0
    shutdown_seconds: float = 10.0  # how long a stopping server keeps delivering what is queued


def anomaly_alert(tenant: str, window: str, model: str, model_version: str, decision: Decision, at: float) -> dict:
    """The Alertmanager v2 alert of one anomalous window (annotation values are strings, as Alertmanager wants)."""
    return {
        "labels": {
            "alertname": ALERT_NAME,
            "tenant": tenant,
            "window": window,
            "model": model,
            "model_version": model_version,
        },
        "annotations": {"score": repr(decision.score), "threshold": repr(decision.threshold)},
        "startsAt": datetime.fromtimestamp(at, UTC).isoformat(),
    }


class AlertSink:
    """Queues alerts and delivers them from a background task. A batch is retried with exponential backoff after
    a transport error, a timeout, 429 or 5xx; alerts that exhaust the attempts, are refused (another 4xx) or find
    the queue full are counted in ``logad_alerts_dropped_total`` and logged."""

    def __init__(self, settings: AlertSettings, metrics: ModelMetrics) -> None:
        _check_url(settings.url)
        self.settings = settings
        self.metrics = metrics
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(settings.queue_size)
        self._task: asyncio.Task[None] | None = None
        self._in_flight: list[dict[str, Any]] = []

    def submit(self, alerts: Sequence[dict[str, Any]]) -> None:
        """Queue ``alerts`` without waiting (from the event loop); the first call starts the delivery task."""
        overflow = []
        for alert in alerts:
            try:
                self._queue.put_nowait(alert)
            except asyncio.QueueFull:
                overflow.append(alert)
        if overflow:
            self._drop(overflow, "queue_full", f"{self.settings.queue_size} alerts already waiting")
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        async with httpx.AsyncClient(timeout=self.settings.timeout_seconds) as client:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self.settings.batch_size and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                self._in_flight = batch
                await self._deliver(client, batch)
                self._in_flight = []
                for _ in batch:
                    self._queue.task_done()

    async def close(self) -> None:
        """Deliver the queued alerts (retries included) for up to ``shutdown_seconds``, then stop; alerts still
        undelivered are counted and logged as dropped (reason ``shutdown``)."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), self.settings.shutdown_seconds)
        self._task.cancel()
        left = [*self._in_flight, *(self._queue.get_nowait() for _ in range(self._queue.qsize()))]
        if left:
            self._drop(left, "shutdown", f"the server stopped after {self.settings.shutdown_seconds:g} s of delivery")

    async def _deliver(self, client: httpx.AsyncClient, batch: list[dict[str, Any]]) -> None:
        delay = self.settings.backoff_seconds
        for attempt in range(1, self.settings.attempts + 1):
            try:
                reply = await client.post(self.settings.url, json=batch)
            except httpx.HTTPError as exc:
                problem, retry = repr(exc), True
            else:
                if reply.is_success:
                    self.metrics.alerts(_tenants(batch))
                    return
                problem = f"HTTP {reply.status_code}: {reply.text[:200]}"
                retry = reply.status_code == 429 or reply.status_code >= 500
            if not retry:
                self._drop(batch, "refused", problem)
                return
            if attempt < self.settings.attempts:
                await asyncio.sleep(delay)
                delay *= 2
        self._drop(batch, "retries_exhausted", f"{self.settings.attempts} attempts, the last: {problem}")

    def _drop(self, alerts: list[dict[str, Any]], reason: str, problem: str) -> None:
        self.metrics.alerts(_tenants(alerts), dropped_reason=reason)
        log.warning("dropped %d anomaly alert(s) for %s (%s): %s", len(alerts), self.settings.url, reason, problem)


def _check_url(url: str) -> None:
    """ConfigError unless ``url`` is an http(s) URL with a host."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigError(f"alert webhook {url!r} is not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"alert webhook {url!r} is not an http:// or https:// URL")


def _tenants(alerts: Sequence[dict[str, Any]]) -> list[str]:
    return [alert["labels"]["tenant"] for alert in alerts]
