"""The stateful transformer: raw log lines of a tenant in, thresholded decisions out, operators' verdicts back in.

Per request: check the tenant (and its bearer token when tokens are configured), parse the lines with the
model's format, advance the tenant's open windows, send completed windows to the predictor, judge each score
with the tenant's drift-adaptive threshold, and store the tenant's new state and the decisions' records in one
compare-and-set write before answering. Requests of one tenant are serialised in this replica; a write that loses a
race with another replica is retried from a fresh read, and answered 409 when it keeps losing.

A request with an ``Idempotency-Key`` header is committed at most once per tenant: a retry of a committed request
(the reply was lost to a crash or the network) gets the same decisions back from the decision log, marked
``replayed``, and counts nothing again (see ``logad.streaming.tenant_stream``).

Feedback (``feedback``) takes verdicts on logged decisions: the tenant's threshold moves to agree with them and,
for a detector that learns from feedback, the predictor first learns the windows with their corrected labels.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from kserve import Model
from kserve.protocol.infer_type import InferRequest, InferResponse

from logad.artifact import initial_threshold_policy, read_manifest, read_threshold_states
from logad.data.dataset import DataSpec, raw_line_spec
from logad.data.formats import get_format
from logad.data.types import LogRecord, LogSequence
from logad.detectors.registry import get_detector_class
from logad.errors import BadInputError, LogadError
from logad.state import StateConflict, StateStore, TenantState, TenantTokens, WindowQuery, WindowWrite
from logad.streaming import LineProblem, StreamConfig, StreamWindower, parse_lines
from logad.streaming.tenant_stream import TenantStream, check_idempotency_key
from logad.threshold import Decision
from logad_serving.alerts import AlertSettings, AlertSink, anomaly_alert
from logad_serving.errors import DecisionsGone, PredictorUnavailable, UnknownWindow
from logad_serving.failpoints import FailPoints
from logad_serving.feedback import Verdict, check_records, judged, knowledge_request, parse_feedback
from logad_serving.health import dependencies_problem, predictor_failure
from logad_serving.metrics import ModelMetrics
from logad_serving.protocol import LineBatch, decode_lines, decode_scores, encode_decisions, windows_request
from logad_serving.tenancy import OTLP_TENANT_ATTRIBUTE, TENANT_HEADER, header, request_tenant

WRITE_ATTEMPTS = 5
UNTRAINED_PROVISIONAL = (
    "this model was trained on whole windows only, so an unfinished session reads as unusual to it and provisional "
    "decisions flag most of them; train it with prefix_events (e.g. [5, 10, 20]) to serve them"
)
MAX_SWEEP_SECONDS = 30.0  # how often quiet sessions are looked for, at most (half the wall-clock idle time)
logger = logging.getLogger(__name__)
Result = TypeVar("Result")


@dataclass
class Update(Generic[Result]):
    """What one attempt at a tenant's write computed: the answer's part, the new state (None: nothing to write),
    the log records."""

    result: Result
    state: dict[str, Any] | None
    append: list[dict[str, Any]] = field(default_factory=list)
    amend: list[dict[str, Any]] = field(default_factory=list)
    windows: WindowWrite | None = None


@dataclass
class Advanced:
    """What a request's lines did: the windows they completed, their decisions and explanations, and the answer
    records of the open windows scored provisionally."""

    windows: list[LogSequence]
    decisions: list[Decision]
    explanations: list[dict[str, Any]]
    provisional: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Ingested:
    """A request's answer: records of the windows it completed (or of a committed request's, ``replayed``), of the
    open windows scored provisionally, and the tenant's new state."""

    decisions: list[dict[str, Any]]
    provisional: list[dict[str, Any]]
    state: dict[str, Any]
    replayed: bool


@dataclass(frozen=True)
class Committed:
    """A request committed before under the same idempotency key: where its decisions sit in the decision log."""

    first: int
    count: int


@dataclass
class TransformerSettings:
    """What the transformer needs besides the model: threshold kind, stream limits, tokens, line limits."""

    threshold: str | None = None  # None: the kind the model was trained to serve (training's default: dtpm)
    stream: StreamConfig | None = None
    tokens_dir: Path | None = None
    max_lines: int = 100_000
    data: DataSpec | None = None  # raw-line format and window, when the model's own record does not say
    alert_webhook: str | None = None  # Alertmanager-compatible URL that anomalous decisions are sent to
    otlp_tenant_attribute: str = OTLP_TENANT_ATTRIBUTE  # the OTLP resource attribute naming a record's tenant


class TenantTransformer(Model):
    """Windows and thresholds per tenant around a predictor of the same model name."""

    def __init__(self, name: str, model_dir: Path, store: StateStore, settings: TransformerSettings) -> None:
        super().__init__(name)
        manifest = read_manifest(Path(model_dir))
        states = read_threshold_states(Path(model_dir))
        spec = raw_line_spec(manifest.data, settings.data)
        window_spec = spec.window_spec()
        self.model_version = manifest.model_version
        self.provisional_warning = None if manifest.prefix_events else UNTRAINED_PROVISIONAL
        self.learns_from_feedback: bool = get_detector_class(manifest.detector).learns_from_feedback
        self.log_format = get_format(spec.format)
        self.stream = TenantStream(
            StreamWindower(window_spec, settings.stream or StreamConfig(), spec.max_len),
            initial_threshold_policy(manifest, states, settings.threshold).state_dict(),
            manifest.model_version,
        )
        self.store = store
        self.tokens = TenantTokens.from_dir(settings.tokens_dir)
        self.max_lines = settings.max_lines
        self.metrics = ModelMetrics(name, manifest.model_version)
        self.alerts = AlertSink(AlertSettings(settings.alert_webhook), self.metrics) if settings.alert_webhook else None
        self.otlp_tenant_attribute = settings.otlp_tenant_attribute
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._predictor_client: httpx.AsyncClient | None = None
        self._fail_points = FailPoints()
        idle = (settings.stream or StreamConfig()).session_idle_wall_seconds
        self.sweep_seconds = None if idle is None else min(idle / 2, MAX_SWEEP_SECONDS)
        self._sweeper: asyncio.Task[None] | None = None

    def load(self) -> bool:
        self.ready = True
        return self.ready

    def validate(self, payload: Any) -> Any:
        return payload  # preprocess already turned the request into a LineBatch

    async def dependencies_problem(self) -> str | None:
        """Why this transformer cannot serve now (its predictor not ready, its state store unreachable), or None:
        readiness (see health.py)."""
        return await dependencies_problem(self.predictor_config.predictor_base_url, self.name, self.store)

    async def preprocess(self, payload: dict[str, Any] | InferRequest, headers: dict[str, str] | None = None) -> Any:
        batch = decode_lines(payload)
        self.check_request_size(len(batch.lines), "lines")
        return batch

    def check_request_size(self, count: int, what: str) -> None:
        """BadInputError (400) for a request of more than ``max_lines`` lines or log records."""
        if count > self.max_lines:
            raise BadInputError(f"{count} {what} in one request; the limit is {self.max_lines}")

    async def predict(
        self, payload: LineBatch, headers: dict[str, str] | None = None, response_headers: dict[str, str] | None = None
    ) -> dict[str, Any] | InferResponse:
        tenant = self.authorise(headers, payload.tenant)
        records, problems = parse_lines(payload.lines, self.log_format)
        options = {"flush": payload.flush, "explain": payload.explain, "provisional": payload.provisional}
        answer = await self.ingest(tenant, records, problems, headers, **options)
        warned = payload.provisional and self.provisional_warning
        extra = {
            "tenant": tenant,
            "model_version": self.model_version,
            "rejected_lines": [{"line": p.line, "reason": p.reason} for p in problems],
            "open_windows": self.stream.windower.open_windows(answer.state["windows"]),
            **({"provisional": answer.provisional} if payload.provisional else {}),
            **({"provisional_warning": self.provisional_warning} if warned else {}),
            **({"replayed": True} if answer.replayed else {}),
        }
        return encode_decisions(payload, self.name, answer.decisions, extra)

    async def ingest(
        self,
        tenant: str,
        records: list[LogRecord],
        problems: list[LineProblem],
        headers: dict[str, str] | None,
        *,
        flush: bool = False,
        explain: bool = False,
        provisional: int | None = None,
    ) -> Ingested:
        """Advance an authorised tenant's stream by ``records`` (its rejected lines counted) in one write: the
        decision of each completed window (all open ones when ``flush``), and with ``provisional`` a provisional
        decision on each open window the records added to that holds that many events (not logged, counted or
        learnt from by the threshold); or, when the request's idempotency key names a committed request, its
        decisions read back (nothing advanced or counted)."""
        key = check_idempotency_key(header(headers, "idempotency-key"))

        arrived = time.time()

        def needed(data: dict[str, Any]) -> WindowQuery:
            return self.stream.window_query(self.stream.current(data), records, flush, arrived, bool(provisional))

        async def advance(stored: TenantState) -> Update[Advanced | Committed]:
            state = self.stream.current(stored.data)
            if key is not None and (committed := self.stream.committed(state, key)) is not None:
                return Update(Committed(*committed), None)
            before = state
            windows, state, rows = self.stream.add_lines(state, stored.windows, records, len(problems), flush, arrived)
            early = self.stream.provisional(before, rows, provisional) if provisional else []
            scores, explanations = await self._score(tenant, windows + early, explain, headers)
            decisions, state = self.stream.decide(state, scores[: len(windows)])
            guesses = self.stream.judge(state, scores[len(windows) :])
            provisional_records = [
                {**_decision_record(w.id, len(w), d, e), "provisional": True}
                for w, d, e in zip(early, guesses, explanations[len(windows) :], strict=True)
            ]
            now = time.time()
            keep = self.learns_from_feedback
            logged = [self.stream.record(w, d, now, keep) for w, d in zip(windows, decisions, strict=True)]
            if key is not None:
                state = self.stream.remember(state, key, len(decisions))
                logged = [{**record, "request": key} for record in logged]
            advanced = Advanced(windows, decisions, explanations[: len(windows)], provisional_records)
            return Update(advanced, state, append=logged, windows=rows)

        async with self._tenant_lock(tenant):
            outcome, state, _ = await self._write(tenant, advance, needed)
        self._fail_points.reach("after-write")
        self.metrics.open_windows(tenant, self.stream.windower.open_windows(state["windows"]))
        if isinstance(outcome, Committed):
            return Ingested(await self._replayed(tenant, key, outcome.first, outcome.count), [], state, True)
        self._report(tenant, len(records) + len(problems), problems, outcome.windows, outcome.decisions)
        results = [
            _decision_record(w.id, len(w), d, e)
            for w, d, e in zip(outcome.windows, outcome.decisions, outcome.explanations, strict=True)
        ]
        return Ingested(results, outcome.provisional, state, False)

    async def _replayed(self, tenant: str, key: str | None, first: int, count: int) -> list[dict[str, Any]]:
        """The decisions of the committed request ``key`` from the tenant's decision log, oldest first (without
        explanations, which are not logged); DecisionsGone (410) when they have left the bounded log."""
        found = await asyncio.to_thread(self.store.decisions, tenant, max(count, 1), first + count) if count else []
        records = list(reversed(found))
        if len(records) != count or any(r["seq"] < first or r.get("request") != key for r in records):
            raise DecisionsGone(
                f"request {key!r} of tenant {tenant!r} was committed, but its {count} decision(s) are no longer in "
                f"the tenant's decision log (it keeps the last {self.store.decision_log_size})"
            )
        return [_decision_record(r["window"], r["events"], _logged_decision(r), {}) for r in records]

    def start_sweeping(self) -> None:
        """Run ``sweep_quiet_sessions`` in the background of the running event loop (a server start-up hook)."""
        self._sweeper = asyncio.get_running_loop().create_task(self.sweep_quiet_sessions())

    async def sweep_quiet_sessions(self) -> None:
        """Every ``sweep_seconds`` (while the server runs): close each tenant's sessions that no event reached for
        ``session_idle_wall_seconds``, deciding, logging and alerting their windows as a request would."""
        while True:
            await asyncio.sleep(self.sweep_seconds)
            now = time.time()
            try:
                tenants = await asyncio.to_thread(self.store.tenants)
                query = self.stream.windower.wall_query(now)
                for tenant in tenants if query else []:
                    quiet = await asyncio.to_thread(self.store.open_windows, tenant, query)
                    if self.stream.windower.wall_idle(quiet, now):
                        await self.ingest(tenant, [], [], None)
            except LogadError as exc:  # a dependency down: the next sweep tries again
                logger.warning("closing quiet sessions failed, retrying in %g s: %s", self.sweep_seconds, exc)

    # ---- operator endpoints (see app.py) --------------------------------------------------------------------
    async def inspect(self, tenant: str, headers: dict[str, str] | None) -> dict[str, Any]:
        """The tenant's threshold and counters (the model's fitted state for a tenant never seen)."""
        tenant = self.authorise(headers, tenant)
        stored = await asyncio.to_thread(self.store.get, tenant)
        return {
            "tenant": tenant,
            "state_version": stored.version,
            **self.stream.summary(self.stream.current(stored.data)),
        }

    async def decisions(
        self, tenant: str, headers: dict[str, str] | None, limit: int, before: int | None
    ) -> dict[str, Any]:
        """The tenant's logged decisions newest first: at most ``limit``, with a ``seq`` below ``before`` if given."""
        tenant = self.authorise(headers, tenant)
        found = await asyncio.to_thread(self.store.decisions, tenant, limit, before)
        return {"tenant": tenant, "decisions": found}

    async def decision(self, tenant: str, window: str, headers: dict[str, str] | None) -> dict[str, Any]:
        """The latest logged decision of ``window`` (404 when the tenant's log holds none)."""
        tenant = self.authorise(headers, tenant)
        found = await asyncio.to_thread(self.store.decision, tenant, window)
        if found is None:
            raise UnknownWindow(f"tenant {tenant!r} has no logged decision of window {window!r}")
        return {"tenant": tenant, **found}

    async def reset(self, tenant: str, headers: dict[str, str] | None) -> dict[str, Any]:
        """Put the tenant's threshold back to the model's fitted state; open windows are kept."""
        tenant = self.authorise(headers, tenant)

        async def to_fitted(stored: TenantState) -> Update[None]:
            return Update(None, self.stream.reset_threshold(self.stream.current(stored.data)))

        async with self._tenant_lock(tenant):
            _, state, version = await self._write(tenant, to_fitted)
        summary = self.stream.summary(state)
        self.metrics.threshold(tenant, summary["threshold"])
        return {"tenant": tenant, "state_version": version, **summary}

    async def feedback(self, tenant: str, body: bytes, headers: dict[str, str] | None) -> dict[str, Any]:
        """Apply operators' verdicts on logged windows (see ``feedback.py`` for the body and its checks): the
        detector learns the windows first when it can, then the threshold, counters and log records change in
        one write. Nothing changes when a check or the predictor fails."""
        tenant = self.authorise(headers, tenant)
        verdicts = parse_feedback(body)
        async with self._tenant_lock(tenant):
            records = await self._judged(tenant, verdicts)
            if self.learns_from_feedback:
                await self._teach(tenant, records, headers)

            async def apply(stored: TenantState) -> Update[None]:
                # The records as of this attempt (read after ``stored``, so the compare-and-set covers them): a
                # retry must not write an older record over a newer decision of the same window.
                fresh = await self._judged(tenant, verdicts)
                return Update(None, self.stream.feedback(self.stream.current(stored.data), fresh), amend=fresh)

            _, state, version = await self._write(tenant, apply)
        summary = self.stream.summary(state)
        self.metrics.threshold(tenant, summary["threshold"])
        return {
            "tenant": tenant,
            "applied": len(records),
            "threshold": summary["threshold"],
            "verdicts": summary["verdicts"],
            "state_version": version,
        }

    # ---- helpers ----------------------------------------------------------------------------------------------
    def _report(
        self,
        tenant: str,
        lines: int,
        problems: list[LineProblem],
        windows: list[LogSequence],
        decisions: list[Decision],
    ) -> None:
        """Count a committed request in the metrics and queue an alert per anomalous window (never waits)."""
        self.metrics.received(tenant, lines, problems)
        self.metrics.decided(tenant, decisions)
        if self.alerts is not None:
            now = time.time()
            self.alerts.submit(
                [
                    anomaly_alert(tenant, w.id, self.name, self.model_version, d, now)
                    for w, d in zip(windows, decisions, strict=True)
                    if d.anomalous
                ]
            )

    def authorise(self, headers: dict[str, str] | None, tenant_field: str | None) -> str:
        """The request's tenant, after its bearer token is checked (when tokens are configured)."""
        tenant = request_tenant(headers, tenant_field)
        self.tokens.check(tenant, header(headers, "authorization"))
        return tenant

    async def _write(
        self,
        tenant: str,
        attempt: Callable[[TenantState], Awaitable[Update[Result]]],
        needed: Callable[[dict[str, Any]], WindowQuery] | None = None,
    ) -> tuple[Result, dict[str, Any], int]:
        """``attempt`` on the tenant's stored state (with the open windows ``needed`` selects from its document),
        written back with a compare-and-set (under the tenant's lock): (its result, the new state, the new
        version). A write that loses to another replica is redone from a fresh read; the last StateConflict (409)
        is raised when all WRITE_ATTEMPTS lose."""
        attempts = 0
        while True:
            attempts += 1
            stored = await asyncio.to_thread(self._read, tenant, needed)
            update = await attempt(stored)
            if update.state is None:
                return update.result, stored.data, stored.version
            self._fail_points.reach("before-write")
            try:
                version = await asyncio.to_thread(
                    self.store.put,
                    tenant,
                    update.state,
                    stored.version,
                    append=update.append,
                    amend=update.amend,
                    windows=update.windows,
                )
            except StateConflict:
                if attempts < WRITE_ATTEMPTS:
                    continue
                raise
            return update.result, update.state, version

    def _read(self, tenant: str, needed: Callable[[dict[str, Any]], WindowQuery] | None) -> TenantState:
        """The tenant's stored state with the open windows ``needed`` selects (one worker-thread hop for both)."""
        stored = self.store.get(tenant)
        if needed is None:
            return stored
        return replace(stored, windows=self.store.open_windows(tenant, needed(stored.data)))

    def _tenant_lock(self, tenant: str) -> asyncio.Lock:
        lock = self._locks.get(tenant)
        if lock is None:
            lock = self._locks[tenant] = asyncio.Lock()
        return lock

    async def _score(
        self, tenant: str, windows: list[LogSequence], explain: bool, headers: dict[str, str] | None
    ) -> tuple[list[float], list[dict[str, Any]]]:
        if not windows:
            return [], []
        config = self.predictor_config
        v2 = config is not None and config.protocol == "v2"
        try:
            response = await self._http_client.infer(
                config.predictor_base_url,
                model_name=self.name,
                data=windows_request(self.name, windows, explain, v2),
                headers={"Content-Type": "application/json", TENANT_HEADER: tenant, **_forwarded(headers)},
            )
        except httpx.HTTPError as exc:
            raise predictor_failure(config.predictor_base_url, exc) from exc
        return decode_scores(response, len(windows))

    async def _judged(self, tenant: str, verdicts: list[Verdict]) -> list[dict[str, Any]]:
        """The logged record of each verdict's window with the verdict on it (checked: 404 or 409 otherwise)."""
        found = await asyncio.to_thread(lambda: [self.store.decision(tenant, v.window) for v in verdicts])
        records = check_records(verdicts, found, self.model_version, self.learns_from_feedback)
        now = time.time()
        return [judged(record, verdict, now) for record, verdict in zip(records, verdicts, strict=True)]

    async def _teach(self, tenant: str, records: list[dict[str, Any]], headers: dict[str, str] | None) -> None:
        """Send judged windows to the predictor's knowledge route; PredictorUnavailable (503) when it fails."""
        config = self.predictor_config
        if self._predictor_client is None:
            self._predictor_client = httpx.AsyncClient(timeout=config.predictor_request_timeout_seconds)
        try:
            reply = await self._predictor_client.post(
                f"{config.predictor_base_url}/logad/v1/tenants/{tenant}/knowledge",
                json=knowledge_request(records),
                headers={TENANT_HEADER: tenant, **_forwarded(headers)},
            )
            problem = f"{reply.status_code}: {reply.text[:500]}" if reply.is_error else ""
        except httpx.HTTPError as exc:
            problem = repr(exc)
        if problem:
            raise PredictorUnavailable(f"the predictor could not learn the feedback ({problem}); nothing changed")


def _forwarded(headers: dict[str, str] | None) -> dict[str, str]:
    """The request's headers that travel on to the predictor (request id, for tracing)."""
    return {key: value for key, value in (headers or {}).items() if key.lower() == "x-request-id"}


def _logged_decision(record: dict[str, Any]) -> Decision:
    """The decision a decision-log record holds (a score or threshold logged as None was not finite)."""
    score = math.nan if record["score"] is None else record["score"]
    threshold = math.nan if record["threshold"] is None else record["threshold"]
    return Decision(score, threshold, record["anomalous"], valid=record["score"] is not None)


def _decision_record(window_id: str, events: int, decision: Decision, explanation: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": window_id,
        "score": decision.score,
        "threshold": decision.threshold,
        "anomalous": decision.anomalous,
        "events": events,
        "explanation": explanation,
    }
