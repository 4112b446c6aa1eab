"""Errors the servers answer with a 4xx and a message, registered as FastAPI exception handlers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from logad.errors import LogadError
from logad.state import AuthError, StateConflict


class UnknownModelVersion(LogadError):
    """A request named a model version this server does not serve."""


class BodyTooLarge(LogadError):
    """A request body grew past the configured limit while it was read."""


class UnprocessableBody(LogadError):
    """A JSON body that is not the shape an operator route takes (the message names the item and field)."""


class UnknownWindow(LogadError):
    """A window id that is not in the tenant's decision log."""


class StaleDecision(LogadError):
    """A logged decision that no longer fits what the tenant is served (another model version)."""


class PredictorUnavailable(LogadError):
    """The predictor did not do what the transformer asked, so the transformer changed nothing."""


_STATUS: list[tuple[type[Exception], int]] = [
    (AuthError, 401),
    (BodyTooLarge, 413),
    (UnknownModelVersion, 404),
    (UnknownWindow, 404),
    (StateConflict, 409),
    (StaleDecision, 409),
    (UnprocessableBody, 422),
    (PredictorUnavailable, 503),
    (LogadError, 400),  # bad input or config: last, the most general
]


def add_error_handlers(app: FastAPI) -> None:
    """Answer logad's errors with their status code and ``{"error": message}``, never a 500."""
    for error, status in _STATUS:

        async def handler(_: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse(status_code=status, content={"error": str(exc)})

        app.add_exception_handler(error, handler)


def check_model_version(requested: str | None, served: str) -> None:
    """UnknownModelVersion unless ``requested`` is empty or the version this server serves."""
    if requested and requested != served:
        raise UnknownModelVersion(f"unknown model version {requested!r}; this server serves {served!r}")
