"""One Argo WorkflowTemplate per detector, rendered with Hera from the steps in `logad.workflow.spec`.

Each step is a container running the same `logad` command the local runner runs; training steps run under torchrun
(in the step's pod for one node, as a Kubeflow Trainer TrainJob for several); after the model is registered, a run
that names a tenant patches the tenant's InferenceService to the new version (KServe rolls it out). Every pod is
PodSecurity ``restricted`` (`logad_pipelines.pods`), a run is bounded by ``activeDeadlineSeconds`` and its finished
pods are garbage-collected (``podGC``), so a hung run cannot block its LogDetector for good.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hera.workflows import DAG, Container, Parameter, Resource, RetryStrategy, WorkflowTemplate
from hera.workflows import models as m

from logad.detectors.registry import available_detectors
from logad.workflow.spec import (
    CLUSTER_PARAMETERS,
    MODEL,
    PARAMETERS,
    TRAINING_RESOURCES,
    PipelineParams,
    Step,
    pipeline_steps,
)
from logad_pipelines import pods
from logad_pipelines.settings import ClusterSettings
from logad_pipelines.trainjob import training_runtime, trainjob_step

INFERENCE_SERVICES = "inferenceservices.serving.kserve.io"
# The transformer's container and the variable KServe mounts its model from (its first: an invariant the chart's
# and the operator's InferenceServices keep, so that a JSON patch can address it).
TRANSFORMER_CONTAINER = "/spec/transformer/containers/0"
STORAGE_URI_ENV = "STORAGE_URI"
# "/" in a key is "~1" in a JSON pointer (RFC 6901).
MODEL_URI_ANNOTATION = "logad.io~1model-uri"
# A run rolls out only when it names a tenant (Argo skips the task when this is false after substitution).
WHEN_TENANT = "'{{workflow.parameters.tenant}}' != ''"
# One node: torchrun in the step's pod, its process count from PET_NPROC_PER_NODE ("--" keeps torchrun from
# taking logad options that prefix its own: --logs would match --logs-specs).
STANDALONE = ["torchrun", "--standalone", "--nnodes=1", "-m", "logad", "--"]


def _defaults(settings: ClusterSettings) -> dict[str, str]:
    """Workflow parameter defaults: the local defaults, with run folders on the shared volume, no tenant (a run
    without one registers under the registry's default tenant and rolls out nowhere) and no per-run resources."""
    defaults = PipelineParams(logs="", format="").values()
    defaults["workdir"] = f"{settings.mount_path}/runs/{{{{workflow.name}}}}"
    defaults["registry"] = f"{settings.mount_path}/registry"
    defaults["tenant"] = ""
    defaults[TRAINING_RESOURCES] = "{}"
    return defaults


def _tag(name: str) -> str:
    return f"{{{{workflow.parameters.{name}}}}}"


def _placeholders() -> dict[str, str]:
    return {name: _tag(name) for name in PARAMETERS}


def _retry(settings: ClusterSettings) -> RetryStrategy:
    """Retries on infrastructure errors only (OnError: pod lost or evicted), never on a failing command."""
    backoff = m.Backoff(duration="30s", factor=2, max_duration="15m")
    return RetryStrategy(limit=settings.retries, retry_policy="OnError", backoff=backoff)


def _labels(step: Step) -> dict[str, str]:
    labels = {pods.LABEL_STEP: step.name}
    if step.distributed:
        labels[pods.LABEL_TRAINING] = "true"
    if step.knowledge_base:
        labels[pods.LABEL_KNOWLEDGE_BASE] = "true"
    if step.gpus:
        labels[pods.LABEL_GPUS] = "true"
    return labels


def _container(step: Step, detector: str, settings: ClusterSettings) -> Container:
    """A step in its own pod; a training step runs torchrun with the detector's training resources and placement."""
    env = pods.environment(settings, step.knowledge_base)
    if step.distributed:
        training = settings.training_for(detector, step.gpus)
        env.append({"name": pods.PROCESSES_ENV, "value": str(training.processes)})
        where = pods.placement(training)
        command, requirements = STANDALONE, pods.resources(training.resources, training.gpus)
    else:
        training, where = None, {}
        command, requirements = ["logad"], pods.resources(settings.step_resources)
    return Container(
        name=step.name,
        labels=_labels(step),
        image=settings.image,
        image_pull_policy=settings.image_pull_policy,
        command=command,
        args=step.command(_placeholders()),
        env=[m.EnvVar.model_validate(variable) for variable in env],
        volume_mounts=[m.VolumeMount.model_validate(mount) for mount in pods.volume_mounts(settings, training)],
        volumes=[m.Volume.model_validate(volume) for volume in pods.shm_volumes(training)] if training else None,
        resources=m.ResourceRequirements.model_validate(requirements),
        security_context=m.SecurityContext.model_validate(pods.container_security()),
        node_selector=where.get("nodeSelector"),
        tolerations=[m.Toleration.model_validate(t) for t in where.get("tolerations", [])] or None,
        affinity=m.Affinity.model_validate(where["affinity"]) if "affinity" in where else None,
        priority_class_name=where.get("priorityClassName"),
        pod_spec_patch=pods.pod_spec_patch(settings, training, _tag(TRAINING_RESOURCES) if training else ""),
        retry_strategy=_retry(settings),
    )


def _step_template(step: Step, detector: str, settings: ClusterSettings) -> Container | Resource:
    if step.distributed and settings.training_for(detector).nodes > 1:
        return trainjob_step(step, detector, settings, step.command(_placeholders()), _retry(settings))
    return _container(step, detector, settings)


def _roll_out(detector: str, settings: ClusterSettings) -> Resource:
    """Point the tenant's InferenceService for ``detector`` at the registered model (KServe rolls it out): one JSON
    patch (RFC 6902, applied whole or not at all) moves the predictor's ``storageUri`` and the transformer's
    ``STORAGE_URI`` together, since the transformer reads the model's thresholds from its own mount; its ``test``
    op refuses a service whose transformer does not hold ``STORAGE_URI`` first (the chart's and the operator's
    do). A JSON patch names no object, so ``flags`` name it (Argo's executor runs ``kubectl patch --type json
    --patch-file <manifest> <flags>``, workflow/executor/resource.go)."""
    params = _placeholders()
    in_volume = f"{{{{=sprig.trimPrefix('{settings.mount_path}', workflow.parameters.workdir)}}}}/model"
    uri = f"pvc://{settings.volume_claim}{in_volume}"
    storage_env = f"{TRANSFORMER_CONTAINER}/env/0"
    operations = [
        {"op": "test", "path": f"{storage_env}/name", "value": STORAGE_URI_ENV},
        {"op": "replace", "path": "/spec/predictor/model/storageUri", "value": uri},
        {"op": "replace", "path": f"{storage_env}/value", "value": uri},
        {"op": "add", "path": f"/metadata/annotations/{MODEL_URI_ANNOTATION}", "value": MODEL.format(**params)},
    ]
    return Resource(
        name="roll-out",
        action="patch",
        merge_strategy="json",
        flags=[INFERENCE_SERVICES, f"{settings.inference_service_prefix}-{params['tenant']}-{detector}"],
        manifest=yaml.safe_dump(operations, sort_keys=False),
        retry_strategy=_retry(settings),
    )


def workflow_template(detector: str, settings: ClusterSettings | None = None) -> WorkflowTemplate:
    """The WorkflowTemplate ``logad-train-<detector>``: parameters, one template per step, and the DAG."""
    settings = settings or ClusterSettings()
    steps = pipeline_steps(detector)
    defaults = _defaults(settings)
    pull_secrets = [m.LocalObjectReference(name=name) for name in settings.image_pull_secrets]
    with WorkflowTemplate(
        name=f"logad-train-{detector}",
        entrypoint="pipeline",
        service_account_name=settings.service_account,
        arguments=[Parameter(name=name, value=defaults[name]) for name in PARAMETERS + CLUSTER_PARAMETERS],
        volumes=[m.Volume.model_validate(volume) for volume in pods.pod_volumes(settings)],
        security_context=m.PodSecurityContext.model_validate(pods.pod_security(settings)),
        image_pull_secrets=pull_secrets or None,
        active_deadline_seconds=settings.active_deadline_seconds,
        pod_gc=m.PodGC(strategy=settings.pod_gc),
        labels={"app.kubernetes.io/part-of": "logad", "logad.io/detector": detector},
    ) as template:
        templates = {step.name: _step_template(step, detector, settings) for step in steps}
        roll_out = _roll_out(detector, settings)
        with DAG(name="pipeline"):
            tasks = {name: node() for name, node in templates.items()}
            for step in steps:
                for dependency in step.depends:
                    tasks[dependency] >> tasks[step.name]
            tasks["register"] >> roll_out(when=WHEN_TENANT)
    return template


def render_all(out_dir: Path, settings: ClusterSettings | None = None) -> list[Path]:
    """Write ``<detector>.yaml`` for every detector into ``out_dir``: its WorkflowTemplate and, when it trains on
    several nodes, the TrainingRuntime its TrainJobs run on (a second YAML document); returns the files written."""
    settings = settings or ClusterSettings()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for detector in available_detectors():
        path = out_dir / f"{detector}.yaml"
        text = workflow_template(detector, settings).to_yaml()
        if settings.training_for(detector).nodes > 1:
            text += "---\n" + yaml.safe_dump(training_runtime(detector, settings), sort_keys=False)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
