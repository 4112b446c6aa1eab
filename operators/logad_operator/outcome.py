"""What a training Workflow came to: running, succeeded, stopped by the quality gate, or failed otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from logad_operator.resources import (
    ANNOTATION_PREVIOUS_MODEL_URI,
    ANNOTATION_PREVIOUS_STORAGE_URI,
    ANNOTATION_STORAGE_URI,
    ANNOTATION_TRAINING_HASH,
    LABEL_RUN,
)

RUNNING, SUCCEEDED, GATE_FAILED, FAILED = "Running", "Succeeded", "GateFailed", "Failed"
GATE_TEMPLATE = "evaluate"
GATE_EXIT_CODE = 3  # `logad evaluate --min-f1` exits 3 when the model misses the quality gate
_EXIT_CODE = re.compile(r"exit code (\d+)")
_OUTPUT_NAMES = ("model-version", "model_version")


@dataclass(frozen=True)
class TrainingOutcome:
    """One training Workflow as the operator reads it (times as the Workflow reports them)."""

    workflow: str
    phase: str
    message: str
    created_at: str
    started_at: str
    finished_at: str
    training_hash: str
    storage_uri: str
    previous_storage_uri: str
    previous_model_uri: str
    model_version: str

    @property
    def finished(self) -> bool:
        return self.phase != RUNNING

    def summary(self) -> dict[str, str]:
        """The status' ``lastTraining``."""
        return {
            "workflow": self.workflow,
            "phase": self.phase,
            "startedAt": self.started_at or self.created_at,
            "finishedAt": self.finished_at,
            "result": self.message,
        }


def training_outcome(workflow: dict[str, Any]) -> TrainingOutcome:
    """Read a Workflow: its phase (the quality gate told apart from other failures), message and annotations."""
    meta = workflow["metadata"]
    annotations = meta.get("annotations") or {}
    status = workflow.get("status") or {}
    phase, message = _phase(status)
    return TrainingOutcome(
        workflow=meta["name"],
        phase=phase,
        message=message,
        created_at=meta.get("creationTimestamp") or "",
        started_at=status.get("startedAt") or "",
        finished_at=(status.get("finishedAt") or "") if phase != RUNNING else "",
        training_hash=annotations.get(ANNOTATION_TRAINING_HASH, ""),
        storage_uri=annotations.get(ANNOTATION_STORAGE_URI, ""),
        previous_storage_uri=annotations.get(ANNOTATION_PREVIOUS_STORAGE_URI, ""),
        previous_model_uri=annotations.get(ANNOTATION_PREVIOUS_MODEL_URI, ""),
        model_version=_output_model_version(status),
    )


def by_run(workflows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Workflows in submission order (their run label is the submission time), the latest last."""
    return sorted(
        workflows, key=lambda wf: (wf["metadata"].get("labels", {}).get(LABEL_RUN, ""), wf["metadata"]["name"])
    )


def _phase(status: dict[str, Any]) -> tuple[str, str]:
    phase = status.get("phase") or ""
    if phase == "Succeeded":
        return SUCCEEDED, "model rolled out"
    if phase not in ("Failed", "Error"):
        return RUNNING, status.get("message") or ""
    gate = _gate_failure(status.get("nodes") or {})
    if gate is not None:
        return GATE_FAILED, f"quality gate failed: {gate}" if gate else "quality gate failed"
    return FAILED, status.get("message") or _first_failed_node(status.get("nodes") or {}) or f"workflow {phase}"


def _gate_failure(nodes: dict[str, Any]) -> str | None:
    """The message of the failed ``evaluate`` step when it exited with the gate's code (or, on nodes that report
    no exit code, such as a retry node, failed at all); None when it did not fail or exited otherwise."""
    failed = [
        node.get("message") or ""
        for node in nodes.values()
        if node.get("templateName") == GATE_TEMPLATE and node.get("phase") == "Failed"
    ]
    codes = {int(match.group(1)) for message in failed if (match := _EXIT_CODE.search(message))}
    if not failed or codes - {GATE_EXIT_CODE}:
        return None
    return next((message for message in failed if _EXIT_CODE.search(message)), failed[0])


def _first_failed_node(nodes: dict[str, Any]) -> str:
    for node in nodes.values():
        if node.get("phase") in ("Failed", "Error") and node.get("message"):
            return f"{node.get('displayName') or node.get('name')}: {node['message']}"
    return ""


def _output_model_version(status: dict[str, Any]) -> str:
    """A model version the Workflow exports as a global output parameter, if it does."""
    for param in (status.get("outputs") or {}).get("parameters") or []:
        if param.get("name") in _OUTPUT_NAMES and param.get("value"):
            return str(param["value"])
    return ""
