"""The predictor: any detector artifact behind KServe's v1 and v2 endpoints, with dynamic batching, and the route
where a detector that learns from feedback takes a tenant's labelled windows."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kserve import Model
from kserve.protocol.infer_type import InferRequest, InferResponse

from logad.artifact import LoadedModel, load_artifact, read_manifest
from logad.data.types import LogSequence
from logad.detectors.capabilities import KnowledgeBaseDetector
from logad_serving.batching import DynamicBatcher
from logad_serving.errors import check_model_version
from logad_serving.feedback import decode_knowledge
from logad_serving.metrics import ModelMetrics
from logad_serving.protocol import decode_windows, encode_scores
from logad_serving.tenancy import request_tenant

Scored = tuple[float, dict[str, Any] | None]


@dataclass
class BatchSettings:
    """Dynamic batching: wait up to ``max_delay_ms`` for more requests, score at most ``max_windows`` at once."""

    max_windows: int = 256
    max_delay_ms: float = 5.0


class DetectorPredictor(Model):
    """Scores windows with the detector named by the artifact; ready only once the detector and its external
    resources (LogSentry's knowledge base, version-checked) are loaded. Scoring and learning take turns on the
    detector (its caches and knowledge-base client are not shared between threads)."""

    def __init__(self, name: str, model_dir: Path, batching: BatchSettings | None = None) -> None:
        super().__init__(name)
        self.model_dir = Path(model_dir)
        self.model: LoadedModel | None = None
        settings = batching or BatchSettings()
        self._batcher: DynamicBatcher[LogSequence, Scored] = DynamicBatcher(
            self._score, settings.max_windows, settings.max_delay_ms / 1000
        )
        self._detector_lock = threading.Lock()
        self._default_tenant = "default"
        self._tenant_scoped = False
        self.metrics = ModelMetrics(name, read_manifest(self.model_dir).model_version)

    def load(self) -> bool:
        self.model = load_artifact(self.model_dir)
        detector = self.model.detector
        detector.open_resources()
        if isinstance(detector, KnowledgeBaseDetector):  # a request naming no tenant votes with the trained one's rows
            self._default_tenant = detector.knowledge_base_tenant() or self._default_tenant
        tenant_knowledge = isinstance(detector, KnowledgeBaseDetector) and detector.knowledge_base_tenant() is not None
        self._tenant_scoped = tenant_knowledge or detector.learns_from_feedback
        self.ready = True
        return self.ready

    async def dependencies_problem(self) -> str | None:
        """Why the predictor cannot serve now (its detector's external resources, e.g. LogSentry's Milvus), or
        None: readiness (see health.py)."""
        if self.model is None:
            return "the model is still loading"
        return await asyncio.to_thread(self.model.detector.resources_problem)

    def stop(self) -> None:
        if self.model is not None:
            self.model.detector.close()

    @property
    def model_version(self) -> str:
        return self._loaded().manifest.model_version

    async def predict(
        self,
        payload: dict[str, Any] | InferRequest,
        headers: dict[str, str] | None = None,
        response_headers: dict[str, str] | None = None,
    ) -> dict[str, Any] | InferResponse:
        batch = decode_windows(payload)
        if isinstance(payload, dict):
            check_model_version(payload.get("model_version"), self.model_version)
        tenant = request_tenant(headers, None, self._default_tenant)
        # Windows of different tenants share a model call unless the scores read the tenant's own knowledge base.
        key = f"{tenant if self._tenant_scoped else self._default_tenant}\n{int(batch.explain)}"
        scored = await self._batcher.submit(key, batch.windows)
        self.metrics.scored(tenant, len(batch.windows))
        explanations = [e for _, e in scored] if batch.explain else None
        return encode_scores(payload, self.name, batch.windows, [s for s, _ in scored], explanations)

    async def learn(self, tenant: str, body: bytes, headers: dict[str, str] | None) -> dict[str, Any]:
        """Teach the detector labelled windows of ``tenant`` (see ``feedback.decode_knowledge``); a detector that
        does not learn from feedback answers 400."""
        tenant = request_tenant(headers, tenant)
        windows = decode_knowledge(body)
        rows = await asyncio.to_thread(self._learn, windows, tenant)
        return {"tenant": tenant, "windows": len(windows), "rows": rows}

    def _learn(self, windows: list[LogSequence], tenant: str) -> int:
        with self._detector_lock:
            return self._loaded().detector.learn_feedback(windows, tenant)

    def _score(self, key: str, windows: list[LogSequence]) -> list[Scored]:
        tenant, explain = key.split("\n")
        detector = self._loaded().detector
        with self._detector_lock:
            scores = detector.score_tenant(windows, tenant)
            explanations = detector.explain_tenant(windows, tenant) if explain == "1" else [None] * len(windows)
        return list(zip((float(s) for s in scores), explanations, strict=True))

    def _loaded(self) -> LoadedModel:
        if self.model is None:
            raise RuntimeError("the predictor's model is not loaded yet")
        return self.model
