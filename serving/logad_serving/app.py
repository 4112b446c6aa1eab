"""What both servers add to KServe's FastAPI app: a request size limit, model-version paths, logad's error
statuses, (transformer) the operator endpoints for a tenant's threshold, feedback and decision log and the OTLP logs
route, and (predictor) the route where a detector learns operators' corrected labels."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from logad_serving.errors import BodyTooLarge
from logad_serving.otlp import receive_logs
from logad_serving.predictor import DetectorPredictor
from logad_serving.transformer import TenantTransformer

_VERSIONED = re.compile(r"^/v2/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)(?P<rest>/.*)?$")


class RequestLimits:
    """ASGI middleware: 413 for bodies over ``max_body_bytes`` (declared or streamed); 404 for a v2 path naming
    another model version, and the version stripped from a path naming this one (KServe ignores versions)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, model_version: str) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.model_version = model_version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        versioned = _VERSIONED.match(scope["path"])
        if versioned:
            if versioned["version"] != self.model_version:
                message = f"unknown model version {versioned['version']!r}; this server serves {self.model_version!r}"
                await _reply(send, 404, message)
                return
            path = f"/v2/models/{versioned['name']}{versioned['rest'] or ''}"
            scope = {**scope, "path": path, "raw_path": path.encode()}
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _reply(send, 413, f"request body of {int(declared)} bytes exceeds {self.max_body_bytes}")
            return
        await self.app(scope, self._counting(receive, send), send)

    def _counting(self, receive: Receive, send: Send) -> Receive:
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                raise BodyTooLarge(f"request body exceeds {self.max_body_bytes} bytes")
            return message

        return counted


async def _reply(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def configure_app(app: FastAPI, model_version: str, max_body_bytes: int) -> None:
    """Size limit and version paths on ``app`` (before it starts; the server adds the error statuses)."""
    app.add_middleware(RequestLimits, max_body_bytes=max_body_bytes, model_version=model_version)


def add_operator_routes(app: FastAPI, transformer: TenantTransformer) -> None:
    """``GET /logad/v1/tenants/{tenant}/threshold``, ``POST .../threshold/reset``, ``POST .../feedback``,
    ``GET .../decisions?limit=N&before=SEQ`` and ``GET .../decisions/{window}``, each authorised like the tenant's
    predictions."""

    async def inspect(tenant: str, request: Request) -> dict[str, Any]:
        return await transformer.inspect(tenant, dict(request.headers.items()))

    async def reset(tenant: str, request: Request) -> dict[str, Any]:
        return await transformer.reset(tenant, dict(request.headers.items()))

    async def feedback(tenant: str, request: Request) -> dict[str, Any]:
        return await transformer.feedback(tenant, await request.body(), dict(request.headers.items()))

    async def decisions(tenant: str, request: Request, limit: int = 100, before: int | None = None) -> dict[str, Any]:
        return await transformer.decisions(tenant, dict(request.headers.items()), limit, before)

    async def decision(tenant: str, window: str, request: Request) -> dict[str, Any]:
        return await transformer.decision(tenant, window, dict(request.headers.items()))

    app.add_api_route("/logad/v1/tenants/{tenant}/threshold", inspect, methods=["GET"])
    app.add_api_route("/logad/v1/tenants/{tenant}/threshold/reset", reset, methods=["POST"])
    app.add_api_route("/logad/v1/tenants/{tenant}/feedback", feedback, methods=["POST"])
    app.add_api_route("/logad/v1/tenants/{tenant}/decisions", decisions, methods=["GET"])
    app.add_api_route("/logad/v1/tenants/{tenant}/decisions/{window}", decision, methods=["GET"])


def add_otlp_route(app: FastAPI, transformer: TenantTransformer, max_body_bytes: int) -> None:
    """``POST /v1/logs``: OTLP/HTTP logs in (see otlp.py), inflated bodies held to ``max_body_bytes`` too."""

    async def export(request: Request) -> Response:
        return await receive_logs(transformer, await request.body(), dict(request.headers.items()), max_body_bytes)

    app.add_api_route("/v1/logs", export, methods=["POST"], response_class=Response)


def add_knowledge_route(app: FastAPI, predictor: DetectorPredictor) -> None:
    """``POST /logad/v1/tenants/{tenant}/knowledge``: labelled windows the tenant's detector learns (the
    transformer sends operators' verdicts here)."""

    async def learn(tenant: str, request: Request) -> dict[str, Any]:
        return await predictor.learn(tenant, await request.body(), dict(request.headers.items()))

    app.add_api_route("/logad/v1/tenants/{tenant}/knowledge", learn, methods=["POST"])
