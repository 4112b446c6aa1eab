"""Every InferenceService logad renders, run the way KServe runs it (tests/k8s_rules/kserve.py): the predictor's
container merged with its ServingRuntime's, the transformer's with the arguments KServe's controller appends. Both
commands must parse with logad_serving's own argument parser, name the service as KServe routes to it, listen on
the port KServe sends to, and read the model where KServe mounts it, the same model in both. kmock and
``helm template`` store these objects as given, so only these rules can see a server that would exit 2."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonpatch
import jsonschema
import pytest
import yaml
from chart_helpers import GENERATED, of_kind, one
from chart_schemas import inference_service_schema

from k8s_rules import argo
from k8s_rules.kserve import (
    KServeRejects,
    merge_runtime_containers,
    model_mount,
    predictor_pod,
    replace_placeholders,
    storage_uri,
    transformer_container,
)
from logad.detectors.registry import available_detectors
from logad_operator.inference_service import build_inference_service
from logad_operator.resources import Owner
from logad_operator.settings import OperatorSettings, SecretRef
from logad_operator.spec import parse_spec
from logad_serving.__main__ import build_parser

COMMAND = ["python", "-m", "logad_serving"]
# A namespace the production values' operator watches, so the chart renders the ServingRuntime there.
OWNER = Owner("hdfs", "team-a", "0f6c-uid")
SETTINGS = OperatorSettings(milvus_uri="http://milvus:19530", milvus_token_secret=SecretRef("logad-milvus", "token"))


GPU_SERVING = {
    "resources": {"requests": {"cpu": "4", "memory": "24Gi"}, "limits": {"memory": "32Gi", "nvidia.com/gpu": 1}},
    "nodeSelector": {"nvidia.com/gpu.present": "true"},
    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    "runtimeClassName": "nvidia",
    "priorityClassName": "inference",
    "transformer": {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
}


def operator_service(detector: str, serving: dict[str, Any], settings: OperatorSettings = SETTINGS) -> dict[str, Any]:
    data = {"logs": "/data/l", "format": "hdfs"}
    spec = parse_spec({"detector": detector, "tenant": "team-a", "data": data, "serving": serving})
    uri = f"pvc://logad-data/runs/team-a/{spec.service_name}/r1/model"
    return build_inference_service(OWNER, spec, settings, uri, {})


def operator_services() -> list[dict[str, Any]]:
    """What the operator builds, across detectors, protocols, thresholds, state backends and GPUs."""
    redis = replace(SETTINGS, state_secret=SecretRef("logad-redis", "url"))
    return [
        service
        for detector in available_detectors()
        for service in (
            operator_service(detector, {}),
            operator_service(detector, {"protocol": "v2", "threshold": "dtpm", "replicas": 3}, redis),
            operator_service(detector, GPU_SERVING),
        )
    ]


def parsed(container: dict[str, Any]) -> argparse.Namespace:
    """The container's command line through ``python -m logad_serving``'s parser (a usage error fails the test)."""
    assert container["command"] == COMMAND, container["command"]
    try:
        return build_parser().parse_args(container["args"])
    except SystemExit:
        pytest.fail(f"python -m logad_serving exits 2 on: {' '.join(container['args'])}")


def assert_serves(isvc: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    """The predictor and transformer KServe would run for ``isvc`` (with the ServingRuntimes and claims among
    ``objects``) start and find their model."""
    runtimes = of_kind(objects, "ServingRuntime")
    name, namespace = isvc["metadata"]["name"], isvc["metadata"]["namespace"]
    (predictor,) = predictor_pod(isvc, runtimes)["containers"]
    transformer = transformer_container(isvc)
    served = parsed(predictor), parsed(transformer)
    assert [args.role for args in served] == ["predictor", "transformer"]
    uri = storage_uri(isvc, "predictor")
    assert uri and storage_uri(isvc, "transformer") == uri, "the transformer must read the predictor's model"
    first = isvc["spec"]["transformer"]["containers"][0]["env"][0]
    assert first["name"] == "STORAGE_URI", "the roll-out step's JSON patch addresses the transformer's model as env/0"
    claims = {pvc["metadata"]["name"] for pvc in of_kind(objects, "PersistentVolumeClaim")}
    assert model_mount(uri).claim in claims, f"KServe mounts {uri} from a claim the chart does not make"
    for args, container in zip(served, (predictor, transformer), strict=True):
        assert args.name == name, "KServe routes /v1/models/<isvc> and the readiness probe to this name"
        assert Path(model_mount(uri).path) == args.model
        assert args.port == int(container["ports"][0]["containerPort"]) == 8080
        assert container["readinessProbe"]["httpGet"]["path"] == f"/v2/models/{name}/ready"
    assert served[1].predictor_host == f"{name}-predictor.{namespace}"


@pytest.mark.parametrize("values", ["default", "production"])
def test_chart_inference_services_run_as_kserve_merges_them(chart: dict[str, list[dict]], values: str):
    objects = chart[values]
    services = of_kind(objects, "InferenceService")
    assert services
    for isvc in services:
        assert_serves(isvc, objects)


def test_a_run_rolled_out_to_a_chart_deployment_is_served_whole(chart: dict[str, list[dict]]):
    """Production values' shared LogSentry, named for tenant ``shared``: a run submitted in the release namespace
    with that tenant patches it (the generated template's JSON patch, parameters substituted), and KServe then runs
    predictor and transformer on the run's model."""
    objects = chart["production"]
    isvc = one(objects, "InferenceService", "logad-shared-logsentry")
    template = yaml.safe_load((GENERATED / "logsentry.yaml").read_text())
    run = {"tenant": "shared", "workdir": "/data/runs/logad-train-logsentry-x7k2p"}
    (step,) = [t for t in argo.substitute(template, run)["spec"]["templates"] if t["name"] == "roll-out"]
    assert step["resource"]["flags"][1] == isvc["metadata"]["name"]
    patched = jsonpatch.apply_patch(isvc, yaml.safe_load(step["resource"]["manifest"]))
    assert storage_uri(patched, "predictor") == "pvc://logad-data/runs/logad-train-logsentry-x7k2p/model"
    assert_serves(patched, objects)


def test_operator_inference_services_run_as_kserve_merges_them(chart: dict[str, list[dict]]):
    for isvc in operator_services():
        assert_serves(isvc, chart["production"])


def test_operator_inference_services_match_the_kserve_sdk_models():
    """Field names and types as KServe's API has them (a misspelt or misplaced field fails: chart_schemas.py)."""
    for isvc in operator_services():
        jsonschema.validate(isvc, inference_service_schema(), cls=jsonschema.Draft7Validator)


def test_operator_gpu_predictors_get_the_gpu_image_resources_and_placement(chart: dict[str, list[dict]]):
    """The merged predictor pod: the GPU build replaces the runtime's CPU image, the LogDetector's resources merge
    over the runtime's defaults, and the pod lands where the LogDetector says; the transformer stays off GPUs."""
    objects = chart["production"]
    isvc = operator_service("logllm", GPU_SERVING)
    pod = predictor_pod(isvc, of_kind(objects, "ServingRuntime"))
    (predictor,) = pod["containers"]
    assert predictor["image"] == SETTINGS.serving_gpu_image == "ghcr.io/logad/server:0.1.0-gpu"
    assert predictor["resources"]["limits"] == {"memory": "32Gi", "nvidia.com/gpu": "1"}
    assert predictor["resources"]["requests"] == {"cpu": "4", "memory": "24Gi"}
    assert pod["nodeSelector"] == GPU_SERVING["nodeSelector"] and pod["tolerations"] == GPU_SERVING["tolerations"]
    assert (pod["runtimeClassName"], pod["priorityClassName"]) == ("nvidia", "inference")
    component = isvc["spec"]["transformer"]
    transformer = transformer_container(isvc)
    assert transformer["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}}
    assert component["priorityClassName"] == "inference" and "runtimeClassName" not in component
    (cpu_predictor,) = predictor_pod(operator_service("logllm", {}), of_kind(objects, "ServingRuntime"))["containers"]
    assert cpu_predictor["image"] == "ghcr.io/logad/server:0.1.0"  # the runtime's


def test_the_merge_concatenates_args_and_merges_env_and_resources_as_kserve_does():
    """KServe's own unit case (utils_test.go TestMergeRuntimeContainers "BasicMerge")."""
    runtime = {
        "name": "kserve-container",
        "image": "default-image",
        "args": ["--foo=bar", "--test=dummy"],
        "env": [{"name": "PORT", "value": "8080"}, {"name": "PORT2", "value": "8081"}],
        "resources": {"limits": {"cpu": "1", "memory": "2Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}},
    }
    isvc = {
        "args": ["--new-arg=baz"],
        "env": [{"name": "PORT2", "value": "8082"}, {"name": "Some", "value": "Var"}],
        "resources": {"limits": {"cpu": "2", "memory": "4Gi"}},
    }
    assert merge_runtime_containers(runtime, isvc) == {
        "name": "kserve-container",
        "image": "default-image",
        "args": ["--foo=bar", "--test=dummy", "--new-arg=baz"],
        "env": [
            {"name": "PORT", "value": "8080"},
            {"name": "PORT2", "value": "8082"},
            {"name": "Some", "value": "Var"},
        ],
        "resources": {"limits": {"cpu": "2", "memory": "4Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}},
    }
    secret = {"name": "T", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
    assert merge_runtime_containers({"env": [{"name": "T", "value": "plain"}]}, {"env": [secret]})["env"] == [secret]


def test_placeholders_and_appended_transformer_args_follow_kserve():
    """utils_test.go TestReplacePlaceholders; transformer_custom.go GetContainer (only absent flags are added)."""
    container = {"args": ["--foo={{.Name}}"], "env": [{"name": "MODELS_DIR", "value": "{{.Labels.modelDir}}"}]}
    meta = {"name": "bar", "namespace": "ns", "labels": {"modelDir": "/mnt/models"}}
    assert replace_placeholders(container, meta) == {
        "args": ["--foo=bar"],
        "env": [{"name": "MODELS_DIR", "value": "/mnt/models"}],
    }
    with pytest.raises(KServeRejects):
        replace_placeholders({"args": ["{{.Spec}}"]}, meta)
    isvc = {
        "metadata": {"name": "svc", "namespace": "ns"},
        "spec": {"transformer": {"containers": [{"args": ["--http_port=9000"]}], "containerConcurrency": 4}},
    }
    assert transformer_container(isvc)["args"] == [
        "--http_port=9000",
        *("--model_name", "svc", "--predictor_host", "svc-predictor.ns", "--workers", "4"),
    ]


def test_a_predictor_whose_runtime_is_missing_or_unfit_is_refused(chart: dict[str, list[dict]]):
    objects = chart["default"]
    runtimes = of_kind(objects, "ServingRuntime")
    isvc = of_kind(objects, "InferenceService")[0]
    for model_change in ({"runtime": "absent"}, {"protocolVersion": "grpc-v2"}, {"modelFormat": {"name": "onnx"}}):
        broken = {**isvc, "spec": {**isvc["spec"], "predictor": {**isvc["spec"]["predictor"]}}}
        broken["spec"]["predictor"]["model"] = {**isvc["spec"]["predictor"]["model"], **model_change}
        with pytest.raises(KServeRejects):
            predictor_pod(broken, runtimes)
