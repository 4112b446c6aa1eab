"""Readiness that follows the dependencies: a model that declares ``dependencies_problem()`` (the transformer: its
predictor and its state store) is ready only while that finds none, and the server's ``/v2/health/ready`` only while
every model it serves is ready (KServe's own answers ``True`` whatever its models' state). Requests skip the check
(KServe asks ``model_ready`` on every request too): a dependency that fails one answers 503 by itself."""

from __future__ import annotations

import asyncio
import logging

import httpx
from kserve.protocol.dataplane import DataPlane

from logad.state import StateStore, StoreUnavailable
from logad_serving.errors import PredictorUnavailable

READY_TIMEOUT_S = 2.0
logger = logging.getLogger(__name__)


class ReadyDataPlane(DataPlane):
    """KServe's data plane with readiness that includes each model's dependencies."""

    async def model_ready(self, model_name: str, disable_predictor_health_check: bool = False) -> bool:
        ready = await super().model_ready(model_name, disable_predictor_health_check)
        check = getattr(self._model_registry.get_model(model_name), "dependencies_problem", None)
        if not ready or disable_predictor_health_check or check is None:
            return ready
        problem = await check()
        if problem:
            logger.info("%s is not ready: %s", model_name, problem)
        return problem is None

    async def ready(self) -> bool:
        names = list(self._model_registry.get_models())
        return bool(names) and all([await self.model_ready(name) for name in names])


def predictor_failure(base_url: str, exc: httpx.HTTPError) -> PredictorUnavailable:
    """The 503 for a call to the predictor at ``base_url`` that failed with ``exc`` (nothing was changed)."""
    if isinstance(exc, httpx.HTTPStatusError):
        reason = f"answered {exc.response.status_code}: {exc.response.text[:300]}"
    else:
        reason = f"is unreachable ({type(exc).__name__}: {exc})"
    return PredictorUnavailable(f"the predictor at {base_url} {reason}; nothing was changed")


async def dependencies_problem(base_url: str, name: str, store: StateStore) -> str | None:
    """Why a transformer cannot serve now (its predictor at ``base_url`` not ready, its state store unreachable), or
    None."""
    try:
        async with httpx.AsyncClient(timeout=READY_TIMEOUT_S) as client:
            reply = await client.get(f"{base_url}/v2/models/{name}/ready")
        if reply.status_code != 200:
            return f"the predictor at {base_url} is not ready ({reply.status_code})"
    except httpx.HTTPError as exc:
        return f"the predictor at {base_url} is unreachable ({type(exc).__name__})"
    try:
        await asyncio.to_thread(store.ping)
    except StoreUnavailable as exc:
        return str(exc)
    return None
