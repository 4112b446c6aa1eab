"""logad's Prometheus metrics, in prometheus-client's default registry: the one KServe's ``/metrics`` route
exposes, so one scrape of a server's port returns KServe's request histograms and these series together.

Every series is labelled with the model's name and version (from its manifest); per-tenant series also carry the
tenant. A server labels at most ``max_tenants`` distinct tenants (the first it sees, after their token is checked
when tokens are configured); later ones share the label ``OTHER_TENANTS``, so a client that invents tenant names
cannot grow the series without bound. With tokens the tenant set is the token secret's files anyway.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from logad.streaming import LineProblem
from logad.threshold import Decision

DEFAULT_MAX_TENANTS = 1000
OTHER_TENANTS = "_other"  # not a valid tenant name, so it never collides with one
_MODEL = ["model_name", "model_version"]
_TENANT = [*_MODEL, "tenant"]

LINES = Counter("logad_lines_received", "Raw log lines received by the transformer", _TENANT)
REJECTED = Counter("logad_lines_rejected", "Received lines that gave no record, by reason", [*_TENANT, "reason"])
WINDOWS = Counter("logad_windows_decided", "Windows the transformer judged against the tenant's threshold", _TENANT)
ANOMALIES = Counter("logad_anomalies", "Windows judged anomalous", _TENANT)
THRESHOLD = Gauge("logad_threshold", "The tenant's threshold: its latest decision's, or an operator's reset", _TENANT)
OPEN_WINDOWS = Gauge("logad_open_windows", "The tenant's open windows (sessions) after its latest request", _TENANT)
SCORED = Counter("logad_windows_scored", "Windows the predictor scored", _TENANT)
ALERTS_SENT = Counter("logad_alerts_sent", "Anomaly alerts the alert webhook accepted", _TENANT)
ALERTS_DROPPED = Counter("logad_alerts_dropped", "Anomaly alerts given up on, by reason", [*_TENANT, "reason"])
LATENCY = Histogram(
    "logad_request_seconds", "Request latency by route (path template) and status", [*_MODEL, "route", "status"]
)


class ModelMetrics:
    """The series of one served model; tenants past the first ``max_tenants`` are labelled ``OTHER_TENANTS``."""

    def __init__(self, model_name: str, model_version: str, max_tenants: int = DEFAULT_MAX_TENANTS) -> None:
        self.model = (model_name, model_version)
        self.max_tenants = max_tenants
        self._tenants: set[str] = set()

    def tenant(self, tenant: str) -> tuple[str, str, str]:
        """The label values of ``tenant``'s series."""
        if tenant not in self._tenants:
            if len(self._tenants) >= self.max_tenants:
                return (*self.model, OTHER_TENANTS)
            self._tenants.add(tenant)
        return (*self.model, tenant)

    def received(self, tenant: str, lines: int, problems: Sequence[LineProblem]) -> None:
        labels = self.tenant(tenant)
        LINES.labels(*labels).inc(lines)
        for problem in problems:
            REJECTED.labels(*labels, problem.kind).inc()

    def decided(self, tenant: str, decisions: Sequence[Decision]) -> None:
        labels = self.tenant(tenant)
        WINDOWS.labels(*labels).inc(len(decisions))
        ANOMALIES.labels(*labels).inc(sum(d.anomalous for d in decisions))
        if decisions:
            THRESHOLD.labels(*labels).set(decisions[-1].threshold)

    def threshold(self, tenant: str, value: float) -> None:
        """After an operator moved the tenant's threshold (reset, feedback)."""
        THRESHOLD.labels(*self.tenant(tenant)).set(value)

    def open_windows(self, tenant: str, count: int) -> None:
        OPEN_WINDOWS.labels(*self.tenant(tenant)).set(count)

    def scored(self, tenant: str, windows: int) -> None:
        SCORED.labels(*self.tenant(tenant)).inc(windows)

    def alerts(self, tenants: Sequence[str], dropped_reason: str | None = None) -> None:
        """Count alerts of ``tenants`` (one entry per alert) as sent, or as dropped for ``dropped_reason``."""
        for tenant in tenants:
            labels = self.tenant(tenant)
            if dropped_reason is None:
                ALERTS_SENT.labels(*labels).inc()
            else:
                ALERTS_DROPPED.labels(*labels, dropped_reason).inc()


class RequestLatency:
    """ASGI middleware: each HTTP request's seconds in ``LATENCY``, labelled with the route's path template (so
    tenant and model names in paths add no series) and the response status; 500 when the app raised."""

    def __init__(self, app: ASGIApp, model_name: str, model_version: str) -> None:
        self.app = app
        self.model = (model_name, model_version)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")  # set in ``scope`` by the router that matched
            LATENCY.labels(*self.model, route, str(status)).observe(time.perf_counter() - started)
