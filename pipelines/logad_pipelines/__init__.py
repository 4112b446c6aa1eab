"""logad's training pipelines as Argo WorkflowTemplates, built with Hera from `logad.workflow`'s step list."""

from logad_pipelines.settings import ClusterSettings, TrainingSettings
from logad_pipelines.trainjob import training_runtime
from logad_pipelines.workflows import render_all, workflow_template

__all__ = ["ClusterSettings", "TrainingSettings", "render_all", "training_runtime", "workflow_template"]
