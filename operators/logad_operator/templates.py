"""The parameters each WorkflowTemplate ``logad-train-<detector>`` declares, taken from the rendered templates in
``pipelines/generated/<detector>.yaml`` (a test keeps this table equal to them): the operator sends no other."""

from __future__ import annotations

_COMMON = ("logs", "format", "labels", "window", "split", "preset", "config", "min_f1", "tenant", "workdir", "registry")

TEMPLATE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "baseline": _COMMON,
    "bertloganom": _COMMON,
    "logllm": _COMMON,
    "logsentry": _COMMON,
}


def template_name(detector: str) -> str:
    return f"logad-train-{detector}"


def declared_parameters(detector: str) -> tuple[str, ...]:
    return TEMPLATE_PARAMETERS[detector]
