"""The stateful transformer: raw log lines of a tenant in, thresholded decisions out, operators' verdicts back in.

Per request: check the tenant (and its bearer token when tokens are configured), parse the lines with the
model's format, advance the tenant's open windows, send completed windows to the predictor, judge each score
with the tenant's drift-adaptive threshold, and store the tenant's new state and the decisions' records in one
compare-and-set write before answering. Requests of one tenant are serialised in this replica; a write that loses a
race with another replica is retried from a fresh read, and answered 409 when it keeps losing.

Feedback (``feedback``) takes verdicts on logged decisions: the tenant's threshold moves to agree with them and,
for a detector that learns from feedback, the predictor first learns the windows with their corrected labels.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from kserve import Model
from kserve.protocol.infer_type import InferRequest, InferResponse

from logad.artifact import initial_threshold_policy, read_manifest, read_threshold_states
from logad.data.dataset import DataSpec, raw_line_spec
from logad.data.formats import get_format
from logad.data.types import LogSequence
from logad.detectors.registry import get_detector_class
from logad.errors import BadInputError
from logad.state import StateConflict, StateStore, TenantState, TenantTokens
from logad.streaming import StreamConfig, StreamWindower, parse_lines
from logad.streaming.tenant_stream import TenantStream
from logad.threshold import Decision
from logad_serving.errors import PredictorUnavailable
from logad_serving.feedback import Verdict, check_records, judged, knowledge_request, parse_feedback
from logad_serving.protocol import LineBatch, decode_lines, decode_scores, encode_decisions, windows_request
from logad_serving.tenancy import TENANT_HEADER, header, request_tenant

WRITE_ATTEMPTS = 5
Result = TypeVar("Result")


@dataclass
class Update(Generic[Result]):
    """What one attempt at a tenant's write computed: the answer's part, the new state, the log records."""

    result: Result
    state: dict[str, Any]
    append: list[dict[str, Any]] = field(default_factory=list)
    amend: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TransformerSettings:
    """What the transformer needs besides the model: threshold kind, stream limits, tokens, line limits."""

    threshold: str | None = None  # None: the kind the model was trained to serve (training's default: dtpm)
    stream: StreamConfig | None = None
    tokens_dir: Path | None = None
    max_lines: int = 100_000
    data: DataSpec | None = None  # raw-line format and window, when the model's own record does not say


class TenantTransformer(Model):
    """Windows and thresholds per tenant around a predictor of the same model name."""

    def __init__(self, name: str, model_dir: Path, store: StateStore, settings: TransformerSettings) -> None:
        super().__init__(name)
        manifest = read_manifest(Path(model_dir))
        states = read_threshold_states(Path(model_dir))
        spec = raw_line_spec(manifest.data, settings.data)
        window_spec = spec.window_spec()
        self.model_version = manifest.model_version
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
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._predictor_client: httpx.AsyncClient | None = None

    def load(self) -> bool:
        self.ready = True
        return self.ready

    def validate(self, payload: Any) -> Any:
        return payload  # preprocess already turned the request into a LineBatch

    async def preprocess(self, payload: dict[str, Any] | InferRequest, headers: dict[str, str] | None = None) -> Any:
        batch = decode_lines(payload)
        if len(batch.lines) > self.max_lines:
            raise BadInputError(f"{len(batch.lines)} lines in one request; the limit is {self.max_lines}")
        return batch

    async def predict(
        self, payload: LineBatch, headers: dict[str, str] | None = None, response_headers: dict[str, str] | None = None
    ) -> dict[str, Any] | InferResponse:
        tenant = self.authorise(headers, payload.tenant)
        records, problems = parse_lines(payload.lines, self.log_format)

        async def advance(stored: TenantState) -> Update[tuple[list[LogSequence], list[Decision], list[dict]]]:
            state = self.stream.current(stored.data)
            windows, state = self.stream.add_lines(state, records, len(problems), payload.flush)
            scores, explanations = await self._score(tenant, windows, payload.explain, headers)
            decisions, state = self.stream.decide(state, scores)
            now = time.time()
            keep = self.learns_from_feedback
            logged = [self.stream.record(w, d, now, keep) for w, d in zip(windows, decisions, strict=True)]
            return Update((windows, decisions, explanations), state, append=logged)

        async with self._tenant_lock(tenant):
            (windows, decisions, explanations), state, _ = await self._write(tenant, advance)
        results = [
            _decision_record(w.id, len(w), d, e) for w, d, e in zip(windows, decisions, explanations, strict=True)
        ]
        extra = {
            "tenant": tenant,
            "model_version": self.model_version,
            "rejected_lines": [{"line": p.line, "reason": p.reason} for p in problems],
            "open_windows": self.stream.windower.open_windows(state["windows"]),
        }
        return encode_decisions(payload, self.name, results, extra)

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

    async def reset(self, tenant: str, headers: dict[str, str] | None) -> dict[str, Any]:
        """Put the tenant's threshold back to the model's fitted state; open windows are kept."""
        tenant = self.authorise(headers, tenant)

        async def to_fitted(stored: TenantState) -> Update[None]:
            return Update(None, self.stream.reset_threshold(self.stream.current(stored.data)))

        async with self._tenant_lock(tenant):
            _, state, version = await self._write(tenant, to_fitted)
        return {"tenant": tenant, "state_version": version, **self.stream.summary(state)}

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
        return {
            "tenant": tenant,
            "applied": len(records),
            "threshold": summary["threshold"],
            "verdicts": summary["verdicts"],
            "state_version": version,
        }

    # ---- helpers ----------------------------------------------------------------------------------------------
    def authorise(self, headers: dict[str, str] | None, tenant_field: str | None) -> str:
        """The request's tenant, after its bearer token is checked (when tokens are configured)."""
        tenant = request_tenant(headers, tenant_field)
        self.tokens.check(tenant, header(headers, "authorization"))
        return tenant

    async def _write(
        self, tenant: str, attempt: Callable[[TenantState], Awaitable[Update[Result]]]
    ) -> tuple[Result, dict[str, Any], int]:
        """``attempt`` on the tenant's stored state, written back with a compare-and-set (under the tenant's lock):
        (its result, the new state, the new version). A write that loses to another replica is redone from a fresh
        read; the last StateConflict (409) is raised when all WRITE_ATTEMPTS lose."""
        attempts = 0
        while True:
            attempts += 1
            stored = await asyncio.to_thread(self.store.get, tenant)
            update = await attempt(stored)
            try:
                version = await asyncio.to_thread(
                    self.store.put, tenant, update.state, stored.version, append=update.append, amend=update.amend
                )
            except StateConflict:
                if attempts < WRITE_ATTEMPTS:
                    continue
                raise
            return update.result, update.state, version

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
        response = await self._http_client.infer(
            config.predictor_base_url,
            model_name=self.name,
            data=windows_request(self.name, windows, explain, v2),
            headers={"Content-Type": "application/json", TENANT_HEADER: tenant, **_forwarded(headers)},
        )
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


def _decision_record(window_id: str, events: int, decision: Decision, explanation: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": window_id,
        "score": decision.score,
        "threshold": decision.threshold,
        "anomalous": decision.anomalous,
        "events": events,
        "explanation": explanation,
    }
