"""The chart lints, renders, and what it renders passes the strictest schemas available without a cluster:
kubernetes-validate for built-in kinds, the kserve SDK's models for InferenceServices and ServingRuntimes, Hera's
Argo models for WorkflowTemplates (which are also the very files `logad pipeline render` writes)."""

from __future__ import annotations

import copy
import json

import jsonschema
import kubernetes_validate
import pytest
import yaml
from chart_helpers import (
    API_VERSIONS,
    CHART,
    GENERATED,
    KUBE_VERSION,
    NAMESPACE,
    PRODUCTION_VALUES,
    RELEASE,
    Helm,
    is_builtin,
    of_kind,
)
from chart_schemas import argo_unknown_fields, inference_service_schema, serving_runtime_schema

from k8s_rules import argo
from logad.detectors.registry import available_detectors, detector_capabilities


@pytest.mark.parametrize("values", [None, PRODUCTION_VALUES], ids=["default", "production"])
def test_helm_lint_strict(helm: Helm, values):
    # helm lint has no --api-versions flag, so the prerequisites check (tested below) is off here.
    options = ["--values", str(values)] if values else []
    result = helm.run(
        "lint", str(CHART), "--strict", "--kube-version", KUBE_VERSION, "--set", "prerequisites.check=false", *options
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


def test_builtin_objects_pass_kubernetes_validate_strictly(objects):
    assert KUBE_VERSION in kubernetes_validate.utils.all_versions()  # bundled, so nothing is fetched
    builtin = [obj for obj in objects if is_builtin(obj)]
    assert {obj["kind"] for obj in builtin} >= {
        "Deployment",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "NetworkPolicy",
        "Pod",
    }
    for obj in builtin:
        # strict: unknown fields fail; a kind without a schema (SchemaNotFoundError) fails too, never just warns.
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_inference_services_match_the_kserve_sdk_models(objects):
    services = of_kind(objects, "InferenceService")
    assert services
    for service in services:
        jsonschema.validate(service, inference_service_schema(), cls=jsonschema.Draft7Validator)


def test_serving_runtimes_match_the_kserve_sdk_models(objects):
    runtimes = of_kind(objects, "ServingRuntime")
    assert runtimes
    for runtime in runtimes:
        assert runtime["apiVersion"] == "serving.kserve.io/v1alpha1"
        jsonschema.validate(runtime, serving_runtime_schema(), cls=jsonschema.Draft7Validator)


def test_the_kserve_schemas_refuse_unknown_and_mistyped_fields(default_objects):
    service = of_kind(default_objects, "InferenceService")[0]
    misspelt = copy.deepcopy(service)
    misspelt["spec"]["predictor"]["model"]["readinesProbe"] = {}
    mistyped = copy.deepcopy(service)
    mistyped["spec"]["transformer"]["minReplicas"] = "one"
    for broken in (misspelt, mistyped):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, inference_service_schema(), cls=jsonschema.Draft7Validator)
    runtime = of_kind(default_objects, "ServingRuntime")[0]
    misspelt = copy.deepcopy(runtime)
    misspelt["spec"]["supportedModelFormats"][0]["autoselect"] = True
    mistyped = copy.deepcopy(runtime)
    mistyped["spec"]["protocolVersions"] = "v1"
    for broken in (misspelt, mistyped):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, serving_runtime_schema(), cls=jsonschema.Draft7Validator)


def test_workflow_template_copies_are_byte_identical_to_the_generated_ones():
    """After `logad pipeline render`, copy pipelines/generated/*.yaml to charts/logad/files/workflowtemplates/."""
    copies = CHART / "files" / "workflowtemplates"
    assert sorted(path.name for path in copies.glob("*.yaml")) == sorted(f"{d}.yaml" for d in available_detectors())
    for detector in available_detectors():
        assert (copies / f"{detector}.yaml").read_bytes() == (GENERATED / f"{detector}.yaml").read_bytes(), (
            f"charts/logad/files/workflowtemplates/{detector}.yaml is stale: copy pipelines/generated/{detector}.yaml"
        )


def test_rendered_workflow_templates_are_the_generated_ones_and_validate_strictly(default_objects, production_objects):
    """With the default values the chart's settings are the renderer's defaults: each WorkflowTemplate is the
    generated file plus its namespace and the chart's labels. Every rendered one validates strictly against Argo's
    schema and every {{...}} tag in it resolves (tests/k8s_rules/argo.py)."""
    generated = {d: yaml.safe_load((GENERATED / f"{d}.yaml").read_text()) for d in available_detectors()}
    for template in of_kind(default_objects, "WorkflowTemplate"):
        meta = template["metadata"]
        detector = meta["labels"]["logad.io/detector"]
        assert meta["namespace"] == NAMESPACE and meta["labels"]["app.kubernetes.io/instance"] == RELEASE
        labels = {key: meta["labels"][key] for key in generated[detector]["metadata"]["labels"]}
        assert {**template, "metadata": {"name": meta["name"], "labels": labels}} == generated[detector]
    assert len(of_kind(default_objects, "WorkflowTemplate")) == len(generated)
    production = of_kind(production_objects, "WorkflowTemplate")
    assert sorted((t["metadata"]["namespace"], t["metadata"]["name"]) for t in production) == [
        (namespace, f"logad-train-{detector}")
        for namespace in ("logad", "team-a", "team-b")
        for detector in ("logllm", "logsentry")
    ]
    for template in of_kind(default_objects, "WorkflowTemplate") + production:
        assert argo_unknown_fields(template) == []
        assert argo.unresolved_references(template) == []


def _steps(objects: list[dict], namespace: str, detector: str) -> dict[str, dict]:
    (template,) = [
        t
        for t in of_kind(objects, "WorkflowTemplate")
        if (t["metadata"]["namespace"], t["metadata"]["name"]) == (namespace, f"logad-train-{detector}")
    ]
    template = argo.substitute(template)  # a run with the default parameters: podSpecPatch is JSON then
    return {step["name"]: step for step in template["spec"]["templates"]} | {"": template}


def test_chart_values_reach_the_pipeline_steps(production_objects):
    """Fault 4 (and 8, 10) through Helm: the trainer image, pull secrets, deadline and pod GC, LogLLM's GPUs with its
    placement, /dev/shm and runtime class on its stages only, and Milvus on LogSentry's knowledge-base steps."""
    logllm = _steps(production_objects, "team-a", "logllm")
    spec = logllm[""]["spec"]
    assert spec["imagePullSecrets"] == [{"name": "ghcr-pull"}] and spec["activeDeadlineSeconds"] == 43200
    assert spec["podGC"] == {"strategy": "OnPodSuccess"}
    stage = logllm["stage-3"]
    assert stage["container"]["image"] == "ghcr.io/example-org/logad-trainer:0.1.0"
    assert stage["container"]["resources"] == {
        "requests": {"cpu": "8", "memory": "48Gi"},
        "limits": {"memory": "64Gi", "nvidia.com/gpu": "1"},
    }
    assert {"name": "PET_NPROC_PER_NODE", "value": "1"} in stage["container"]["env"]
    assert (
        stage["nodeSelector"] == {"nvidia.com/gpu.present": "true"} and stage["priorityClassName"] == "logad-training"
    )
    assert stage["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert json.loads(stage["podSpecPatch"])["runtimeClassName"] == "nvidia"
    assert stage["volumes"] == [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}]
    prepare = logllm["prepare"]
    assert "nodeSelector" not in prepare and "nvidia.com/gpu" not in prepare["container"]["resources"]["limits"]
    assert "runtimeClassName" not in json.loads(prepare["podSpecPatch"])
    logsentry = _steps(production_objects, "team-b", "logsentry")
    for step, opens_kb in (("pre-train", True), ("evaluate", True), ("knowledge-base", True), ("register", False)):
        env = {variable["name"]: variable for variable in logsentry[step]["container"]["env"]}
        assert ("LOGAD_MILVUS_URI" in env) is opens_kb, step
        if opens_kb:
            assert env["LOGAD_MILVUS_URI"]["value"] == "http://milvus.milvus:19530"
            assert env["LOGAD_MILVUS_TOKEN"]["valueFrom"] == {"secretKeyRef": {"name": "logad-milvus", "key": "token"}}
        assert "nvidia.com/gpu" not in logsentry[step]["container"]["resources"].get("limits", {})


def test_gpus_for_every_detector_reach_only_the_stages_declared_able_to_use_them(helm: Helm):
    """pipeline.training.gpus for all: a stage without the logad.io/gpus label (a CPU-only stage, such as the
    baseline's) gets no GPU and one process, as `logad pipeline render` gives it."""
    objects = helm.render("--set", "pipeline.training.gpus=2")
    for detector in available_detectors():
        steps = _steps(objects, NAMESPACE, detector)
        for stage in detector_capabilities(detector).stages:
            container = steps[stage.name]["container"]
            assert container["resources"]["limits"].get("nvidia.com/gpu") == ("2" if stage.gpus else None), detector
            processes = {"name": "PET_NPROC_PER_NODE", "value": "2" if stage.gpus else "1"}
            assert processes in container["env"], detector


def test_the_executor_patch_can_be_left_to_the_workflow_controller_configmap(helm: Helm):
    """Without the executor patch, only the training steps keep one: for the run's resources (main container)."""
    run_resources = {"containers": [{"name": "main", "resources": {}}]}
    objects = helm.render("--set", "pipeline.executorSecurityPatch=false")
    for template in of_kind(objects, "WorkflowTemplate"):
        for step in argo.substitute(template)["spec"]["templates"]:
            training = step.get("metadata", {}).get("labels", {}).get("logad.io/training") == "true"
            assert (json.loads(step["podSpecPatch"]) if "podSpecPatch" in step else None) == (
                run_resources if training else None
            ), step["name"]
    objects = helm.render(
        "--set", "pipeline.executorSecurityPatch=false", "--set", "pipeline.training.runtimeClassName=gvisor"
    )
    steps = _steps(objects, NAMESPACE, "baseline")
    assert json.loads(steps["train"]["podSpecPatch"]) == run_resources | {"runtimeClassName": "gvisor"}
    assert "podSpecPatch" not in steps["prepare"]


def test_rendering_fails_clearly_without_kserve_or_argo(helm: Helm):
    for missing in API_VERSIONS:
        present = tuple(api for api in API_VERSIONS if api != missing)
        result = helm.template(api_versions=present)
        assert result.returncode != 0
        assert "logad needs KServe and Argo Workflows installed first" in result.stderr
        assert f"does not serve {missing}." in result.stderr
    assert helm.template("--set", "prerequisites.check=false", api_versions=()).returncode == 0


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("operator.replicas=2", "operator: Additional property replicas"),
        ("images.server.tag=latest", "images.server.tag"),
        ("state.backend=memory", "state.backend"),
        ("deployments[0].detector=x", "deployments.0.detector"),
        ("images.trainer.tag=latest", "images.trainer.tag"),
        ("pipeline.training.gpus=-1", "pipeline.training.gpus"),
        ("pipeline.detectors.logllm.gpuz=1", "pipeline.detectors.logllm: Additional property gpuz"),
        ("pipeline.detectors.nosuch.gpus=1", 'pipeline.detectors: Property name of "nosuch"'),
        ("pipeline.training.shmSize=lots", "pipeline.training.shmSize"),
        ("pipeline.podGC=Never", "pipeline.podGC"),
        ("pipeline.activeDeadlineSeconds=0", "pipeline.activeDeadlineSeconds"),
        ("seedModel.path=../etc", "seedModel.path"),
        ("serving.autoscaling.scaleMetric=gpu", "serving.autoscaling.scaleMetric"),
    ],
)
def test_bad_values_fail_with_a_schema_error_naming_the_field(helm: Helm, bad: str, named: str):
    result = helm.template("--set", bad)
    assert result.returncode != 0 and "values don't meet the specifications of the schema" in result.stderr, bad
    assert named in result.stderr, result.stderr
