"""Operators' verdicts on past decisions: the feedback request, its checks against the tenant's decision log, and
the knowledge request that teaches a detector that learns from feedback.

Feedback (transformer): ``{"feedback": [{"window": "<window id>", "label": "normal" | "anomalous"}, ...]}``.
Everything is checked before anything changes: the body's shape (422, naming the item and field), that each window
is in the tenant's decision log (404) and was scored by the model version served now (409).

Knowledge (predictor): ``{"windows": [{"id", "messages": [...], "label": 0 | 1}, ...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from logad.data.readers import window_from_object
from logad.data.types import LogSequence
from logad.streaming.tenant_stream import ANOMALOUS, NORMAL
from logad_serving.errors import StaleDecision, UnknownWindow, UnprocessableBody

FEEDBACK_FIELD = "feedback"
_ITEM_FIELDS = {"window", "label"}


@dataclass(frozen=True)
class Verdict:
    """An operator's label for one logged window."""

    window: str
    label: str


def parse_feedback(raw: bytes) -> list[Verdict]:
    """The verdicts of a feedback request; UnprocessableBody naming the item index and field that is wrong."""
    body = _json(raw)
    if not isinstance(body, dict) or set(body) != {FEEDBACK_FIELD}:
        found = sorted(body) if isinstance(body, dict) else type(body).__name__
        raise UnprocessableBody(f'the body must be {{"{FEEDBACK_FIELD}": [...]}} and nothing else, got {found}')
    items = body[FEEDBACK_FIELD]
    if not isinstance(items, list) or not items:
        raise UnprocessableBody(f'"{FEEDBACK_FIELD}" must be a non-empty list of {{"window", "label"}} objects')
    return [_verdict(item, i) for i, item in enumerate(items)]


def _verdict(item: Any, index: int) -> Verdict:
    where = f"{FEEDBACK_FIELD}[{index}]"
    if not isinstance(item, dict):
        raise UnprocessableBody(f'{where} must be an object {{"window", "label"}}, not {type(item).__name__}')
    unknown = sorted(set(item) - _ITEM_FIELDS)
    if unknown:
        raise UnprocessableBody(f"{where} has unknown field(s) {', '.join(unknown)}; it takes window and label")
    window, label = item.get("window"), item.get("label")
    if not isinstance(window, str) or not window:
        raise UnprocessableBody(f"{where}.window must be a non-empty window id string, not {window!r}")
    if label not in (NORMAL, ANOMALOUS):
        raise UnprocessableBody(f"{where}.label must be {NORMAL!r} or {ANOMALOUS!r}, not {label!r}")
    return Verdict(window, label)


def check_records(
    verdicts: Sequence[Verdict], records: Sequence[dict[str, Any] | None], model_version: str, need_messages: bool
) -> list[dict[str, Any]]:
    """The logged record of each verdict's window; UnknownWindow for a window the tenant's log does not hold,
    StaleDecision for one another model version scored (its score lives on another scale) or, when the detector
    learns from feedback, one logged without its messages."""
    for i, (verdict, record) in enumerate(zip(verdicts, records, strict=True)):
        where = f"{FEEDBACK_FIELD}[{i}]: window {verdict.window!r}"
        if record is None:
            raise UnknownWindow(f"{where} is not in this tenant's decision log")
        if record.get("model_version") != model_version:
            raise StaleDecision(
                f"{where} was scored by model version {record.get('model_version')!r}; this tenant is served "
                f"{model_version!r} now, so its verdict cannot apply"
            )
        if record.get("score") is None:
            raise StaleDecision(f"{where} got no finite score, so a verdict cannot move the threshold")
        if need_messages and "messages" not in record:
            raise StaleDecision(f"{where} was logged without its messages, so the detector cannot learn it")
    return [record for record in records if record is not None]


def judged(record: dict[str, Any], verdict: Verdict, now: float) -> dict[str, Any]:
    """The logged record with the operator's verdict on it."""
    return {**record, "verdict": verdict.label, "verdict_time": now}


def knowledge_request(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The predictor's knowledge request for judged records: each window with its messages and corrected label."""
    windows = [{"id": r["window"], "messages": r["messages"], "label": int(r["verdict"] == ANOMALOUS)} for r in records]
    return {"windows": windows}


def decode_knowledge(raw: bytes) -> list[LogSequence]:
    """The labelled windows of a knowledge request; UnprocessableBody naming the window and field that is wrong."""
    body = _json(raw)
    items = body.get("windows") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise UnprocessableBody('the body must be {"windows": [...]}, a non-empty list of labelled window objects')
    windows = []
    for i, item in enumerate(items):
        try:
            window = window_from_object(item, i)
        except ValueError as exc:
            raise UnprocessableBody(f"windows[{i}]: {exc}") from None
        if window.label is None:
            raise UnprocessableBody(f"windows[{i}] needs a label: 0 (normal) or 1 (anomalous)")
        windows.append(window)
    return windows


def _json(raw: bytes) -> Any:
    """``raw`` parsed as JSON; UnprocessableBody when it is not JSON in UTF-8."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnprocessableBody(f"the body is not JSON: {exc}") from None
