"""Errors the servers answer with a status and ``{"error": message}``, registered as FastAPI exception handlers, and
how each is logged: a client's 4xx at INFO without a traceback, a 503 (a dependency or the model not ready: a known
state) at WARNING without one, anything else at ERROR with its traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kserve.errors import InvalidInput, ModelNotFound, ModelNotReady, ServerNotReady

from logad.errors import LogadError
from logad.kb import KnowledgeBaseUnavailable
from logad.state import AuthError, StateConflict, StoreUnavailable
from logad_serving.tenancy import TENANT_HEADER, header

logger = logging.getLogger(__name__)


class UnknownModelVersion(LogadError):
    """A request named a model version this server does not serve."""


class BodyTooLarge(LogadError):
    """A request body grew past the configured limit while it was read."""


class UnsupportedMediaType(LogadError):
    """A body in a content type or content encoding the route does not read."""


class UnprocessableBody(LogadError):
    """A JSON body that is not the shape an operator route takes (the message names the item and field)."""


class UnknownWindow(LogadError):
    """A window id that is not in the tenant's decision log."""


class StaleDecision(LogadError):
    """A logged decision that no longer fits what the tenant is served (another model version)."""


class DecisionsGone(LogadError):
    """A retried request was committed, but its decisions have left the tenant's bounded decision log."""


class PredictorUnavailable(LogadError):
    """The predictor did not do what the transformer asked, so the transformer changed nothing."""


_STATUS: list[tuple[type[Exception], int]] = [
    (AuthError, 401),
    (BodyTooLarge, 413),
    (UnsupportedMediaType, 415),
    (UnknownModelVersion, 404),
    (UnknownWindow, 404),
    (StateConflict, 409),
    (StaleDecision, 409),
    (DecisionsGone, 410),
    (UnprocessableBody, 422),
    (PredictorUnavailable, 503),
    (KnowledgeBaseUnavailable, 503),
    (StoreUnavailable, 503),
    (LogadError, 400),  # bad input or config: the most general of logad's
    (InvalidInput, 400),  # KServe's, raised by its request decoding
    (ModelNotFound, 404),
    (ModelNotReady, 503),
    (ServerNotReady, 503),
]


def add_error_handlers(app: FastAPI) -> None:
    """Answer logad's and KServe's errors and FastAPI's request validation with their status code and
    ``{"error": message}``, never a 500 (register after KServe's handlers: the last registration wins)."""
    for error, status in _STATUS:

        async def handler(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return _answer(request, status, str(exc) or type(exc).__name__, exc)

        app.add_exception_handler(error, handler)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        return _answer(request, 422, _validation_message(exc), exc)

    app.add_exception_handler(RequestValidationError, invalid)


def _answer(request: Request, status: int, message: str, exc: Exception) -> JSONResponse:
    """Log the refused request (see the module's doc for levels) and answer ``{"error": message}``."""
    context = {
        "method": request.method,
        "path": request.url.path,
        "status": status,
        "tenant": header(request.headers, TENANT_HEADER),
        "request_id": header(request.headers, "x-request-id"),
    }
    extra = {key: value for key, value in context.items() if value is not None}
    text = f"{request.method} {request.url.path} -> {status}: {message}"
    if status < 500:
        logger.info(text, extra=extra)
    elif status == 503:
        logger.warning(text, extra=extra)
    else:
        logger.error(text, extra=extra, exc_info=exc)
    return JSONResponse(status_code=status, content={"error": message})


def _validation_message(exc: Exception) -> str:
    """FastAPI's validation errors as one line naming each field (the most specific errors when a body may take
    several shapes)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    deepest = max((len(error["loc"]) for error in errors), default=0)
    parts = [
        f"{'.'.join(str(part) for part in error['loc'][1:]) or error['loc'][0]}: {error['msg']}"
        for error in errors
        if len(error["loc"]) == deepest
    ]
    return "invalid request: " + ("; ".join(parts) or str(exc))


def check_model_version(requested: str | None, served: str) -> None:
    """UnknownModelVersion unless ``requested`` is empty or the version this server serves."""
    if requested and requested != served:
        raise UnknownModelVersion(f"unknown model version {requested!r}; this server serves {served!r}")
