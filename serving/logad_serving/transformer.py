"""The stateful transformer: raw log lines of a tenant in, thresholded decisions out.

Per request: check the tenant (and its bearer token when tokens are configured), parse the lines with the
model's format, advance the tenant's open windows, send completed windows to the predictor, judge each score
with the tenant's drift-adaptive threshold, and store the tenant's new state in one compare-and-set write
before answering. Requests of one tenant are serialised in this replica; a write that loses a race with
another replica is retried from a fresh read.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kserve import Model
from kserve.protocol.infer_type import InferRequest, InferResponse

from logad.artifact import initial_threshold_policy, read_manifest, read_threshold_states
from logad.data.dataset import DataSpec, raw_line_spec
from logad.data.formats import get_format
from logad.data.types import LogSequence
from logad.errors import BadInputError
from logad.state import StateConflict, StateStore, TenantTokens
from logad.streaming import StreamConfig, StreamWindower, parse_lines
from logad.streaming.tenant_stream import TenantStream
from logad.threshold import Decision
from logad_serving.protocol import LineBatch, decode_lines, decode_scores, encode_decisions, windows_request
from logad_serving.tenancy import TENANT_HEADER, header, request_tenant

WRITE_ATTEMPTS = 5


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
        async with self._tenant_lock(tenant):
            for _ in range(WRITE_ATTEMPTS):
                stored = await asyncio.to_thread(self.store.get, tenant)
                state = self.stream.current(stored.data)
                windows, state = self.stream.add_lines(state, records, len(problems), payload.flush)
                scores, explanations = await self._score(tenant, windows, payload.explain, headers)
                decisions, state = self.stream.decide(state, scores)
                try:
                    await asyncio.to_thread(self.store.put, tenant, state, stored.version)
                except StateConflict:
                    continue  # another replica wrote this tenant meanwhile: redo from its state
                break
            else:
                raise StateConflict(f"tenant {tenant!r}: state kept changing under {WRITE_ATTEMPTS} attempts; retry")
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
        async with self._tenant_lock(tenant):
            stored = await asyncio.to_thread(self.store.get, tenant)
            state = self.stream.reset_threshold(self.stream.current(stored.data))
            version = await asyncio.to_thread(self.store.put, tenant, state, stored.version)
        return {"tenant": tenant, "state_version": version, **self.stream.summary(state)}

    # ---- helpers ----------------------------------------------------------------------------------------------
    def authorise(self, headers: dict[str, str] | None, tenant_field: str | None) -> str:
        """The request's tenant, after its bearer token is checked (when tokens are configured)."""
        tenant = request_tenant(headers, tenant_field)
        self.tokens.check(tenant, header(headers, "authorization"))
        return tenant

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
        forwarded = {key: value for key, value in (headers or {}).items() if key.lower() in ("x-request-id",)}
        response = await self._http_client.infer(
            config.predictor_base_url,
            model_name=self.name,
            data=windows_request(self.name, windows, explain, v2),
            headers={"Content-Type": "application/json", TENANT_HEADER: tenant, **forwarded},
        )
        return decode_scores(response, len(windows))


def _decision_record(window_id: str, events: int, decision: Decision, explanation: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": window_id,
        "score": decision.score,
        "threshold": decision.threshold,
        "anomalous": decision.anomalous,
        "events": events,
        "explanation": explanation,
    }
