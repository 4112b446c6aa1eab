"""The WorkflowTemplate ``logad-train-<detector>`` each detector trains with, and the parameters it declares: the
pipeline's parameters and the cluster-only ones (``logad.workflow.spec.PARAMETERS`` + ``CLUSTER_PARAMETERS``), which
``logad pipeline render`` declares in every template of ``pipelines/generated/``; a test keeps the two equal. The
operator sends no other parameter."""

from __future__ import annotations

from logad.workflow.spec import CLUSTER_PARAMETERS, PARAMETERS


def template_name(detector: str) -> str:
    return f"logad-train-{detector}"


def declared_parameters(detector: str) -> tuple[str, ...]:
    """The parameters of ``detector``'s template (the same for every detector)."""
    return PARAMETERS + CLUSTER_PARAMETERS
