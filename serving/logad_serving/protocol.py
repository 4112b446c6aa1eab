"""Request and response shapes of both servers, in KServe's v1 (JSON dicts) and v2 (open inference protocol).

Predictor (windows in, scores out):
- v1 ``{"instances": [{"id": str, "messages": [str, ...], "timestamps": [number, ...]?}, ...], "explain": bool?}``
  -> ``{"predictions": [{"id", "score", "explanation"?}, ...]}``
- v2 input ``window`` (BYTES, shape [N], each a JSON window object as above), parameter ``explain``
  -> outputs ``score`` (FP64 [N]) and, when asked, ``explanation`` (BYTES [N], JSON objects).

Transformer (raw log lines of one tenant in, decisions out):
- v1 ``{"instances": [line, ...], "tenant": str?, "flush": bool?, "explain": bool?}``
- v2 input ``lines`` (BYTES [N]); parameters ``tenant``, ``flush``, ``explain``
  -> one decision per completed window (id, score, threshold, anomalous, events, explanation) and the lines
  that were rejected (1-based index and reason).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from kserve.errors import InvalidInput
from kserve.protocol.infer_type import InferInput, InferOutput, InferRequest, InferResponse

from logad.data.readers import window_from_object
from logad.data.types import LogSequence

WINDOW_INPUT = "window"
LINES_INPUT = "lines"


@dataclass
class WindowBatch:
    """Windows to score for one tenant, and whether explanations were asked for."""

    windows: list[LogSequence]
    explain: bool = False


@dataclass
class LineBatch:
    """Raw lines a client sent through the transformer, with the request's options."""

    lines: list[str]
    v2: bool
    tenant: str | None = None
    flush: bool = False
    explain: bool = True
    request_id: str | None = None
    provisional: int | None = None  # score open sessions this request adds to once they hold this many events


# ---- generic helpers ------------------------------------------------------------------------------------------
def require_json_object(payload: Any) -> dict[str, Any]:
    """``payload`` if it is a JSON object; the 400 a client gets otherwise (e.g. a non-JSON content type)."""
    if isinstance(payload, bytes | bytearray):
        raise InvalidInput("the request body must be JSON (Content-Type: application/json)")
    if not isinstance(payload, dict):
        raise InvalidInput(f"the request body must be a JSON object, not {type(payload).__name__}")
    return payload


def _flag(value: Any, name: str, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidInput(f'"{name}" must be true or false, not {value!r}')


def _min_events(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if type(value) is not int or value < 1:
        raise InvalidInput(f'"{name}" must be a whole number of events >= 1, not {value!r}')
    return value


def _v2_input(request: InferRequest, name: str) -> list[Any]:
    tensor = request.get_input_by_name(name)
    if tensor is None:
        found = ", ".join(t.name for t in request.inputs) or "none"
        raise InvalidInput(f'v2 request needs an input named "{name}" (BYTES, shape [N]); it has: {found}')
    if tensor.datatype != "BYTES":
        raise InvalidInput(f'input "{name}" must have datatype BYTES, not {tensor.datatype}')
    data = tensor.data
    values = data.tolist() if isinstance(data, np.ndarray) else list(data or [])
    if len(tensor.shape) != 1 or tensor.shape[0] != len(values):
        raise InvalidInput(f'input "{name}" must have shape [N] matching its {len(values)} values, not {tensor.shape}')
    return [_text(value, f"{name}[{i}]") for i, value in enumerate(values)]


def _text(value: Any, where: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{where} is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not isinstance(value, str):
        raise InvalidInput(f"{where} must be a string, not {type(value).__name__}")
    return value


def _parameters(request: InferRequest) -> dict[str, Any]:
    params = request.parameters or {}
    return {
        key: getattr(value, "string_param", value) if not isinstance(value, str | bool | int | float) else value
        for key, value in params.items()
    }


# ---- predictor ------------------------------------------------------------------------------------------------
def window_from_json(item: Any, index: int) -> LogSequence:
    """One window object of a predictor request (an object, or a JSON string of one; the id defaults to the
    instance's index); InvalidInput names the instance and the field."""
    where = f"instance {index}"
    if isinstance(item, str):
        try:
            item = json.loads(item)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{where} is not a JSON window object: {exc}") from None
    try:
        return window_from_object(item, index, default_id=str(index))
    except ValueError as exc:
        raise InvalidInput(f"{where}: {exc}") from None


def decode_windows(payload: dict[str, Any] | InferRequest) -> WindowBatch:
    """A predictor request (v1 dict or v2 InferRequest) as windows."""
    if isinstance(payload, InferRequest):
        items = _v2_input(payload, WINDOW_INPUT)
        explain = _flag(_parameters(payload).get("explain"), "explain", False)
    else:
        payload = require_json_object(payload)
        items = payload.get("instances")
        if not isinstance(items, list):
            raise InvalidInput('v1 request needs "instances": a list of window objects')
        explain = _flag(payload.get("explain"), "explain", False)
    return WindowBatch([window_from_json(item, i) for i, item in enumerate(items)], explain)


def window_to_json(window: LogSequence) -> dict[str, Any]:
    """A window as one predictor instance."""
    return {"id": window.id, "messages": window.messages, "timestamps": window.timestamps}


def encode_scores(
    request: dict[str, Any] | InferRequest,
    model_name: str,
    windows: Sequence[LogSequence],
    scores: Sequence[float],
    explanations: Sequence[dict[str, Any]] | None,
) -> dict[str, Any] | InferResponse:
    """The predictor's answer in the protocol of ``request``."""
    if isinstance(request, InferRequest):
        outputs = [InferOutput("score", [len(scores)], "FP64", [float(s) for s in scores])]
        if explanations is not None:
            texts = [json.dumps(e) for e in explanations]
            outputs.append(InferOutput("explanation", [len(texts)], "BYTES", texts))
        return InferResponse(request.id or "", model_name, outputs)
    predictions = []
    for i, (window, score) in enumerate(zip(windows, scores, strict=True)):
        prediction: dict[str, Any] = {"id": window.id, "score": float(score)}
        if explanations is not None:
            prediction["explanation"] = explanations[i]
        predictions.append(prediction)
    return {"predictions": predictions}


def windows_request(model_name: str, windows: Sequence[LogSequence], explain: bool, v2: bool) -> Any:
    """The transformer's request to the predictor for ``windows`` in the predictor's protocol."""
    objects = [window_to_json(w) for w in windows]
    if v2:
        texts = [json.dumps(o) for o in objects]
        tensor = InferInput(WINDOW_INPUT, [len(texts)], "BYTES", texts)
        return InferRequest(model_name, [tensor], parameters={"explain": explain})
    return {"instances": objects, "explain": explain}


def decode_scores(response: dict[str, Any] | InferResponse, count: int) -> tuple[list[float], list[dict[str, Any]]]:
    """Scores and explanations (empty dicts when absent) from a predictor response for ``count`` windows."""
    if isinstance(response, InferResponse):
        score = response.get_output_by_name("score")
        scores = [] if score is None else [float(s) for s in np.asarray(score.data, dtype=float).ravel()]
        explanation = response.get_output_by_name("explanation")
        texts = [] if explanation is None else [_text(t, "explanation") for t in explanation.data]
        explanations = [json.loads(t) for t in texts] or [{} for _ in scores]
    else:
        predictions = response.get("predictions", [])
        scores = [float(p["score"]) for p in predictions]
        explanations = [p.get("explanation", {}) for p in predictions]
    if len(scores) != count or len(explanations) != count:
        raise RuntimeError(f"the predictor answered {len(scores)} scores for {count} windows")
    return scores, explanations


# ---- transformer ----------------------------------------------------------------------------------------------
def decode_lines(payload: dict[str, Any] | InferRequest) -> LineBatch:
    """A transformer request (v1 dict or v2 InferRequest) as raw lines and options."""
    if isinstance(payload, InferRequest):
        params = _parameters(payload)
        lines = _v2_input(payload, LINES_INPUT)
        v2, request_id = True, payload.id
    else:
        params = require_json_object(payload)
        lines = params.get("instances")
        if not isinstance(lines, list):
            raise InvalidInput('v1 request needs "instances": a list of raw log lines')
        lines = [_text(line, f"instances[{i}]") for i, line in enumerate(lines)]
        v2, request_id = False, None
    tenant = params.get("tenant")
    if tenant is not None and not isinstance(tenant, str):
        raise InvalidInput(f'"tenant" must be a string, not {type(tenant).__name__}')
    return LineBatch(
        lines=lines,
        v2=v2,
        tenant=tenant,
        flush=_flag(params.get("flush"), "flush", False),
        explain=_flag(params.get("explain"), "explain", True),
        request_id=request_id,
        provisional=_min_events(params.get("provisional"), "provisional"),
    )


def encode_decisions(
    batch: LineBatch, model_name: str, decisions: list[dict[str, Any]], extra: dict[str, Any]
) -> dict[str, Any] | InferResponse:
    """The transformer's answer in the client's protocol: decisions per window plus ``extra`` (tenant, rejected
    lines, open windows)."""
    if not batch.v2:
        return {"predictions": decisions, **extra}
    count = len(decisions)

    def column(name: str, datatype: str) -> InferOutput:
        return InferOutput(name, [count], datatype, [d[name] for d in decisions])

    outputs = [
        column("id", "BYTES"),
        column("score", "FP64"),
        column("threshold", "FP64"),
        column("anomalous", "BOOL"),
        column("events", "INT64"),
        InferOutput("explanation", [count], "BYTES", [json.dumps(d.get("explanation", {})) for d in decisions]),
    ]
    parameters = {
        key: value if isinstance(value, str | int | float | bool) else json.dumps(value) for key, value in extra.items()
    }
    return InferResponse(batch.request_id or "", model_name, outputs, parameters=parameters)
