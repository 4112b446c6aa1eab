"""Multi-node training steps: an Argo resource template that creates a Kubeflow Trainer ``TrainJob`` and waits for
it, and the namespaced ``TrainingRuntime`` it runs on (kubeflow/trainer, trainer.kubeflow.org/v1alpha1).

Every node runs ``torchrun -m logad -- train ...``: the Trainer's torch plugin gives each node's container
``PET_NNODES``, ``PET_NPROC_PER_NODE``, ``PET_NODE_RANK`` (the Job completion index), ``PET_MASTER_ADDR`` (node 0
through the JobSet's headless service) and ``PET_MASTER_PORT``, which torchrun reads as its ``--nnodes``,
``--nproc-per-node``, ``--node-rank``, ``--master-addr`` and ``--master-port``; so all nodes join one process
group and rank 0 alone writes the artifact. The runtime is logad's own rather than the Trainer's
``torch-distributed`` ClusterTrainingRuntime: its pod template carries the restricted security context, the data
volume and the placement, and its single replicated job ``node`` is what the wait conditions index.

Argo evaluates ``successCondition`` / ``failureCondition`` as Kubernetes label selectors (``labels.Parse``) whose
keys are gjson paths into the resource (argo-workflows workflow/executor/resource.go): a key may hold only
``[A-Za-z0-9._-]`` (and one ``/``), so no gjson query over ``status.conditions`` fits. The TrainJob's
``status.jobsStatus`` lists its replicated jobs; ours has only ``node``, at index 0, with the counts of succeeded and
failed child Jobs.
"""

from __future__ import annotations

from typing import Any

import yaml
from hera.workflows import Resource, RetryStrategy

from logad.detectors.registry import detector_capabilities
from logad.workflow.spec import Step
from logad_pipelines import pods
from logad_pipelines.settings import ClusterSettings

API = "trainer.kubeflow.org/v1alpha1"
NODE = "node"  # the replicated job and container name the Trainer's torch plugin fills in
SUCCESS = "status.jobsStatus.0.succeeded > 0"
FAILURE = "status.jobsStatus.0.failed > 0"
LAUNCHER = ["torchrun", "-m", "logad", "--"]


def runtime_name(detector: str, settings: ClusterSettings) -> str:
    return f"{settings.runtime}-{detector}"


def training_runtime(detector: str, settings: ClusterSettings) -> dict[str, Any]:
    """The ``TrainingRuntime`` ``<runtime>-<detector>``: one replicated job ``node`` whose pods run the trainer
    image as the pipeline's other pods do (restricted, data volume, caches), placed where the detector trains."""
    declared = detector_capabilities(detector)
    training = settings.training_for(detector, declared.gpus)
    container = {
        "name": NODE,
        "image": settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "env": pods.environment(settings, knowledge_base=declared.knowledge_base),
        "resources": pods.resources(training.resources, training.gpus),
        "securityContext": pods.container_security(),
        "volumeMounts": pods.volume_mounts(settings, training),
    }
    pod = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": pods.pod_security(settings),
        **pods.placement(training),
        "containers": [container],
        "volumes": pods.pod_volumes(settings) + pods.shm_volumes(training),
    }
    if settings.image_pull_secrets:
        pod["imagePullSecrets"] = [{"name": name} for name in settings.image_pull_secrets]
    job = {"backoffLimit": 0, "template": {"metadata": {"labels": {pods.LABEL_TRAINING: "true"}}, "spec": pod}}
    return {
        "apiVersion": API,
        "kind": "TrainingRuntime",
        "metadata": {
            "name": runtime_name(detector, settings),
            "labels": {"app.kubernetes.io/part-of": "logad", "logad.io/detector": detector},
        },
        "spec": {
            "mlPolicy": {"numNodes": training.nodes, "torch": {"numProcPerNode": training.processes}},
            "template": {
                "spec": {
                    "replicatedJobs": [
                        {
                            "name": NODE,
                            "template": {
                                "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
                                "spec": job,
                            },
                        }
                    ]
                }
            },
        },
    }


def trainjob_step(
    step: Step, detector: str, settings: ClusterSettings, args: list[str], retry: RetryStrategy
) -> Resource:
    """A training step on several nodes: create a TrainJob running ``logad <args>`` on the detector's runtime and
    wait until its node job succeeded or failed."""
    training = settings.training_for(detector, step.gpus)
    runtime = {"apiGroup": "trainer.kubeflow.org", "kind": "TrainingRuntime", "name": runtime_name(detector, settings)}
    manifest = {
        "apiVersion": API,
        "kind": "TrainJob",
        "metadata": {"generateName": f"{{{{workflow.name}}}}-{step.name}-", "labels": {pods.LABEL_STEP: step.name}},
        "spec": {
            "runtimeRef": runtime,
            "trainer": {
                "command": [*LAUNCHER, *args],
                "numNodes": training.nodes,
                "numProcPerNode": training.processes,
            },
        },
    }
    return Resource(
        name=step.name,
        action="create",
        set_owner_reference=True,
        manifest=yaml.safe_dump(manifest, sort_keys=False),
        success_condition=SUCCESS,
        failure_condition=FAILURE,
        retry_strategy=retry,
    )
