"""The LogDetector's status, derived from what the operator observed; only changed fields are patched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from logad_operator.outcome import FAILED, GATE_FAILED, RUNNING, SUCCEEDED, TrainingOutcome
from logad_operator.spec import LogDetectorSpec

PENDING, TRAINING, SERVING = "Pending", "Training", "Serving"
PHASES = {RUNNING: TRAINING, SUCCEEDED: SERVING, GATE_FAILED: GATE_FAILED, FAILED: FAILED}
STATUS_FIELDS = ("phase", "modelVersion", "endpoint", "observedGeneration", "lastTraining", "conditions")


@dataclass(frozen=True)
class Observed:
    """The cluster state a status is derived from.

    ``model_version``: the served model ("" when none has been rolled out); ``service_ready``: the
    InferenceService's own Ready condition (status, reason, message), None when KServe reports none yet.
    """

    generation: int
    latest: TrainingOutcome | None
    model_version: str
    endpoint: str
    service_ready: tuple[str, str, str] | None = None


def derive_status(spec: LogDetectorSpec, observed: Observed, current: dict[str, Any], now: str) -> dict[str, Any]:
    """The whole status for ``observed``; conditions keep their transition time while their status holds."""
    latest = observed.latest
    status: dict[str, Any] = {
        "phase": PHASES[latest.phase] if latest else PENDING,
        "observedGeneration": observed.generation,
        "conditions": [
            _condition(current, now, "Ready", *_ready(observed)),
            _condition(current, now, "Trained", *_trained(spec, latest)),
        ],
    }
    if observed.model_version:
        status["modelVersion"] = observed.model_version
        status["endpoint"] = observed.endpoint
    if latest:
        status["lastTraining"] = latest.summary()
    return status


def invalid_status(message: str, generation: int, current: dict[str, Any], now: str) -> dict[str, Any]:
    """The status of a LogDetector whose spec cannot be acted on (what was served before stays recorded)."""
    kept = {key: current[key] for key in ("modelVersion", "endpoint", "lastTraining") if key in current}
    return {
        **kept,
        "phase": FAILED,
        "observedGeneration": generation,
        "conditions": [
            _condition(current, now, "Ready", "False", "InvalidSpec", message),
            *[c for c in current.get("conditions") or [] if c.get("type") == "Trained"],
        ],
    }


def status_changes(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """A merge patch turning the operator's fields of ``current`` into ``desired`` (empty when equal)."""
    return {key: desired.get(key) for key in STATUS_FIELDS if current.get(key) != desired.get(key)}


def _ready(observed: Observed) -> tuple[str, str, str]:
    if not observed.model_version:
        return "False", "NoModel", "no trained model has been rolled out yet"
    if observed.service_ready is None:
        return "Unknown", "WaitingForInferenceService", f"{observed.model_version} rolled out; KServe reports no state"
    state, reason, message = observed.service_ready
    if state == "True":
        return "True", "ModelServed", f"serving {observed.model_version}"
    return state, reason or "InferenceServiceNotReady", message or "the InferenceService is not ready"


def _trained(spec: LogDetectorSpec, latest: TrainingOutcome | None) -> tuple[str, str, str]:
    if latest is None:
        if spec.model_version:
            return "Unknown", "Pinned", f"pinned to {spec.model_version}: no training is submitted"
        if spec.training.suspend:
            return "Unknown", "Suspended", "training is suspended"
        return "Unknown", "NotTrained", "no training has run yet"
    if latest.phase == RUNNING:
        return "Unknown", "Training", f"workflow {latest.workflow} is running"
    if latest.phase == SUCCEEDED:
        return "True", "TrainingSucceeded", f"workflow {latest.workflow} succeeded"
    if latest.phase == GATE_FAILED:
        return "False", "QualityGateFailed", f"{latest.message}; the previous model stays in service"
    return "False", "TrainingFailed", latest.message


def _condition(current: dict[str, Any], now: str, kind: str, state: str, reason: str, message: str) -> dict[str, Any]:
    previous = next((c for c in current.get("conditions") or [] if c.get("type") == kind), {})
    since = previous.get("lastTransitionTime") if previous.get("status") == state else None
    return {"type": kind, "status": state, "reason": reason, "message": message, "lastTransitionTime": since or now}
