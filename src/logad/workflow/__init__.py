"""Training pipelines as a DAG of `logad` commands: one definition that Argo runs (rendered with Hera, in
``pipelines/``) and that runs locally in-process on the embedded default."""

from logad.workflow.spec import PARAMETERS, PipelineParams, Step, pipeline_steps

__all__ = ["PARAMETERS", "PipelineParams", "Step", "pipeline_steps"]
