"""logad's training pipelines as Argo WorkflowTemplates, built with Hera from `logad.pipeline`'s step list."""

from logad_pipelines.settings import ClusterSettings
from logad_pipelines.workflows import render_all, workflow_template

__all__ = ["ClusterSettings", "render_all", "workflow_template"]
