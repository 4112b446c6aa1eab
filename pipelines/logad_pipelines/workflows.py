"""One Argo WorkflowTemplate per detector, rendered with Hera from the steps in `logad.pipeline.spec`.

Each step is a container running the same `logad` command the local runner runs; training steps run distributed
(torchrun in the pod for one node, a Kubeflow Trainer TrainJob for several); after the model is registered, the
tenant's InferenceService is patched to the new version (KServe rolls it out).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hera.workflows import DAG, Container, Parameter, Resource, RetryStrategy, WorkflowTemplate
from hera.workflows import models as m

from logad.detectors.registry import available_detectors
from logad.pipeline.spec import MODEL, PARAMETERS, PipelineParams, Step, pipeline_steps
from logad_pipelines.settings import ClusterSettings

VOLUME = "data"
TRAINJOB_API = "trainer.kubeflow.org/v1alpha1"
KSERVE_API = "serving.kserve.io/v1beta1"


def _defaults(settings: ClusterSettings) -> dict[str, str]:
    """Workflow parameter defaults: the local defaults, with run folders on the shared volume."""
    defaults = PipelineParams(logs="", format="").values()
    defaults["workdir"] = f"{settings.mount_path}/runs/{{{{workflow.name}}}}"
    defaults["registry"] = f"{settings.mount_path}/registry"
    return defaults


def _placeholders() -> dict[str, str]:
    return {name: f"{{{{workflow.parameters.{name}}}}}" for name in PARAMETERS}


def _retry(settings: ClusterSettings) -> RetryStrategy:
    """Retries on infrastructure errors only (OnError: pod lost or evicted), never on a failing command."""
    backoff = m.Backoff(duration="30s", factor=2, max_duration="15m")
    return RetryStrategy(limit=settings.retries, retry_policy="OnError", backoff=backoff)


def _resources(settings: ClusterSettings, training: bool) -> m.ResourceRequirements:
    requests = {"cpu": m.Quantity(settings.cpu), "memory": m.Quantity(settings.memory)}
    limits = (
        {"nvidia.com/gpu": m.Quantity(str(settings.gpus_per_node))} if training and settings.gpus_per_node else None
    )
    return m.ResourceRequirements(requests=requests, limits=limits)


def _mounts(settings: ClusterSettings) -> list[m.VolumeMount]:
    return [m.VolumeMount(name=VOLUME, mount_path=settings.mount_path)]


def _launcher(settings: ClusterSettings) -> list[str]:
    """The command that starts `logad` in a one-node training pod."""
    if settings.processes_per_node == 1:
        return ["logad"]
    # "--" keeps torchrun from taking logad options that prefix its own (--logs would match --logs-specs).
    processes = f"--nproc-per-node={settings.processes_per_node}"
    return ["torchrun", "--standalone", "--nnodes=1", processes, "-m", "logad", "--"]


def _container(step: Step, settings: ClusterSettings) -> Container:
    training = step.distributed
    return Container(
        name=step.name,
        image=settings.image,
        image_pull_policy=settings.image_pull_policy,
        command=_launcher(settings) if training else ["logad"],
        args=step.command(_placeholders()),
        volume_mounts=_mounts(settings),
        resources=_resources(settings, training),
        node_selector=settings.node_selector or None,
        tolerations=[m.Toleration.parse_obj(t) for t in settings.tolerations] or None,
        retry_strategy=_retry(settings),
    )


def _trainjob(step: Step, settings: ClusterSettings) -> Resource:
    """A multi-node training step: create a TrainJob running the step's command on every node and wait for it."""
    resources = {"requests": {"cpu": settings.cpu, "memory": settings.memory}}
    if settings.gpus_per_node:
        resources["limits"] = {"nvidia.com/gpu": settings.gpus_per_node}
    pod_spec = {
        "volumes": [{"name": VOLUME, "persistentVolumeClaim": {"claimName": settings.volume_claim}}],
        "containers": [{"name": "node", "volumeMounts": [{"name": VOLUME, "mountPath": settings.mount_path}]}],
        "serviceAccountName": settings.service_account,
    }
    if settings.node_selector:
        pod_spec["nodeSelector"] = settings.node_selector
    if settings.tolerations:
        pod_spec["tolerations"] = settings.tolerations
    manifest = {
        "apiVersion": TRAINJOB_API,
        "kind": "TrainJob",
        "metadata": {"generateName": f"{{{{workflow.name}}}}-{step.name}-"},
        "spec": {
            "runtimeRef": {"name": settings.runtime},
            "trainer": {
                "image": settings.image,
                "command": ["logad", *step.command(_placeholders())],
                "numNodes": settings.nodes,
                "numProcPerNode": settings.processes_per_node,
                "resourcesPerNode": resources,
            },
            "podTemplateOverrides": [{"targetJobs": [{"name": "node"}], "spec": pod_spec}],
        },
    }
    return Resource(
        name=step.name,
        action="create",
        set_owner_reference=True,
        manifest=yaml.safe_dump(manifest, sort_keys=False),
        success_condition='status.conditions.#(type=="Complete").status == True',
        failure_condition='status.conditions.#(type=="Failed").status == True',
        retry_strategy=_retry(settings),
    )


def _roll_out(detector: str, settings: ClusterSettings) -> Resource:
    """Point the tenant's InferenceService for ``detector`` at the registered model (KServe rolls it out)."""
    params = _placeholders()
    in_volume = f"{{{{=sprig.trimPrefix('{settings.mount_path}', workflow.parameters.workdir)}}}}/model"
    manifest = {
        "apiVersion": KSERVE_API,
        "kind": "InferenceService",
        "metadata": {
            "name": f"{settings.inference_service_prefix}-{params['tenant']}-{detector}",
            "annotations": {"logad.io/model-uri": MODEL.format(**params)},
        },
        "spec": {"predictor": {"model": {"storageUri": f"pvc://{settings.volume_claim}{in_volume}"}}},
    }
    return Resource(
        name="roll-out",
        action="patch",
        merge_strategy="merge",
        manifest=yaml.safe_dump(manifest, sort_keys=False),
        retry_strategy=_retry(settings),
    )


def workflow_template(detector: str, settings: ClusterSettings | None = None) -> WorkflowTemplate:
    """The WorkflowTemplate ``logad-train-<detector>``: parameters, one template per step, and the DAG."""
    settings = settings or ClusterSettings()
    steps = pipeline_steps(detector)
    defaults = _defaults(settings)
    with WorkflowTemplate(
        name=f"logad-train-{detector}",
        entrypoint="pipeline",
        service_account_name=settings.service_account,
        arguments=[Parameter(name=name, value=defaults[name]) for name in PARAMETERS],
        volumes=[
            m.Volume(
                name=VOLUME,
                persistent_volume_claim=m.PersistentVolumeClaimVolumeSource(claim_name=settings.volume_claim),
            )
        ],
        labels={"app.kubernetes.io/part-of": "logad", "logad.io/detector": detector},
    ) as template:
        templates = {
            step.name: _trainjob(step, settings)
            if step.distributed and settings.nodes > 1
            else _container(step, settings)
            for step in steps
        }
        roll_out = _roll_out(detector, settings)
        with DAG(name="pipeline"):
            tasks = {name: node() for name, node in templates.items()}
            for step in steps:
                for dependency in step.depends:
                    tasks[dependency] >> tasks[step.name]
            tasks["register"] >> roll_out()
    return template


def render_all(out_dir: Path, settings: ClusterSettings | None = None) -> list[Path]:
    """Write ``<detector>.yaml`` for every detector into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for detector in available_detectors():
        path = out_dir / f"{detector}.yaml"
        path.write_text(workflow_template(detector, settings).to_yaml(), encoding="utf-8")
        written.append(path)
    return written
