"""The pure builders: InferenceService, Workflow, template parameters, volume layout and settings."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from logad.detectors.registry import available_detectors, detector_capabilities
from logad.workflow.spec import TRAINING_RESOURCES
from logad_operator import cleanup
from logad_operator.compare import contains
from logad_operator.inference_service import build_inference_service, inference_service_spec
from logad_operator.resources import Owner
from logad_operator.settings import OperatorSettings, SecretRef
from logad_operator.spec import SpecError, parse_spec
from logad_operator.templates import declared_parameters
from logad_operator.workflow import Previous, build_workflow, workflow_parameters

GENERATED = Path(__file__).resolve().parents[2] / "pipelines" / "generated"
OWNER = Owner("hdfs", "team-space", "0f6c-uid")
SETTINGS = OperatorSettings()


def spec(**changes: Any):
    raw = {
        "detector": "logsentry",
        "tenant": "team-a",
        "data": {"logs": "/data/in/HDFS.log", "format": "hdfs", "labels": "/data/in/labels.csv"},
        "training": {"minF1": 0.8},
        "serving": {"threshold": "dtpm", "replicas": 3},
        **changes,
    }
    return parse_spec(raw)


def test_the_inference_service_runs_predictor_and_transformer_on_the_model():
    uri = "pvc://logad-data/runs/team-space/logad-team-a-logsentry/r1/model"
    settings = replace(SETTINGS, milvus_uri="http://milvus:19530")
    isvc = build_inference_service(OWNER, spec(), settings, uri, {"serving.kserve.io/stop": "true"})
    meta = isvc["metadata"]
    assert (isvc["apiVersion"], isvc["kind"]) == ("serving.kserve.io/v1beta1", "InferenceService")
    assert (meta["name"], meta["namespace"]) == ("logad-team-a-logsentry", "team-space")
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "logad.io/v1alpha1",
            "kind": "LogDetector",
            "name": "hdfs",
            "uid": "0f6c-uid",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert meta["labels"]["logad.io/logdetector-uid"] == "0f6c-uid"
    assert meta["annotations"] == {"serving.kserve.io/stop": "true"}
    predictor = isvc["spec"]["predictor"]
    model = predictor["model"]
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (3, 3)
    assert model["modelFormat"] == {"name": "logad"} and model["runtime"] == "logad"
    assert (model["storageUri"], model["protocolVersion"]) == (uri, "v1")
    # KServe appends the model's args to the ServingRuntime's, which run the server: the model adds none.
    assert not {"command", "args", "image"} & set(model)
    assert model["readinessProbe"]["httpGet"] == {"path": "/v2/models/logad-team-a-logsentry/ready", "port": 8080}
    assert model["livenessProbe"]["httpGet"]["path"] == model["startupProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert {"name": "LOGAD_MILVUS_URI", "value": "http://milvus:19530"} in model["env"]
    transformer_pod = isvc["spec"]["transformer"]
    (transformer,) = transformer_pod["containers"]
    assert transformer["args"] == [
        "transformer",
        *("--model", "/mnt/models", "--name", "logad-team-a-logsentry", "--host", "0.0.0.0", "--port", "8080"),
        *("--predictor-protocol", "v1", "--state", "/var/lib/logad/state/tenants.db", "--threshold", "dtpm"),
        *("--otlp-tenant-attribute", "service.namespace"),
    ]
    assert transformer["env"][0] == {"name": "STORAGE_URI", "value": uri}  # first: a JSON patch can move it
    assert not any(e["name"].startswith("LOGAD_MILVUS") for e in transformer["env"])  # the predictor opens the KB
    # SQLite state: one transformer replica on the data volume, replaced with Recreate.
    assert (transformer_pod["minReplicas"], transformer_pod["deploymentStrategy"]) == (1, {"type": "Recreate"})
    state_volume = {"name": "state", "persistentVolumeClaim": {"claimName": "logad-data"}}
    assert state_volume in transformer_pod["volumes"]
    mount = next(m for m in transformer["volumeMounts"] if m["name"] == "state")
    assert mount["subPath"] == "state/team-space/logad-team-a-logsentry"
    for pod, container in ((predictor, model), (transformer_pod, transformer)):
        assert pod["securityContext"]["runAsNonRoot"] and container["securityContext"]["readOnlyRootFilesystem"]
    assert "None" not in repr(isvc)


def test_a_state_secret_scales_the_transformer_and_drops_the_state_volume():
    settings = replace(SETTINGS, state_secret=SecretRef("logad-state", "url"))
    desired = inference_service_spec(OWNER, spec(detector="baseline", serving={"replicas": 2}), settings, "pvc://x")
    transformer_pod = desired["transformer"]
    (transformer,) = transformer_pod["containers"]
    assert transformer["args"][-6:-2] == ["--predictor-protocol", "v1", "--state", "$(LOGAD_STATE_URL)"]
    state_env = {"name": "LOGAD_STATE_URL", "valueFrom": {"secretKeyRef": {"name": "logad-state", "key": "url"}}}
    assert state_env in transformer["env"]
    assert (transformer_pod["minReplicas"], transformer_pod["deploymentStrategy"]) == (2, None)
    assert [v["name"] for v in transformer_pod["volumes"]] == ["tmp"]
    assert not any(m["name"] == "state" for m in transformer["volumeMounts"])
    assert not any(e["name"].startswith("LOGAD_MILVUS") for e in desired["predictor"]["model"]["env"])


@pytest.mark.parametrize("detector", available_detectors())
def test_only_predictors_of_detectors_that_keep_a_knowledge_base_get_milvus(detector: str):
    settings = replace(SETTINGS, milvus_uri="http://milvus:19530")
    model = inference_service_spec(OWNER, spec(detector=detector), settings, "pvc://x")["predictor"]["model"]
    opens_kb = any(e["name"] == "LOGAD_MILVUS_URI" for e in model["env"])
    assert opens_kb == detector_capabilities(detector).knowledge_base


@pytest.mark.parametrize("detector", available_detectors())
def test_deletion_drops_knowledge_base_rows_only_for_detectors_that_keep_one(
    detector: str, monkeypatch: pytest.MonkeyPatch
):
    dropped = []
    monkeypatch.setattr(cleanup, "drop_tenant_rows", lambda uri, *args: dropped.append(args) or {})
    body = {"metadata": {"name": "hdfs", "namespace": "team-space", "uid": "u"}, "spec": {"tenant": "team-a"}}
    body["spec"]["detector"] = detector
    settings = replace(SETTINGS, milvus_uri="http://milvus:19530")
    cleanup.finalize(body, SimpleNamespace(get=lambda *_: None), settings, logging.getLogger(__name__))
    assert dropped == ([(detector, "team-a", "")] if detector_capabilities(detector).knowledge_base else [])


def _env_vars(value: Any) -> list[dict[str, Any]]:
    """Every container ``env`` item anywhere in ``value``."""
    if isinstance(value, dict):
        own = value["env"] if isinstance(value.get("env"), list) else []
        return [*own, *(e for item in value.values() for e in _env_vars(item))]
    if isinstance(value, list):
        return [e for item in value for e in _env_vars(item)]
    return []


def test_secrets_reach_the_servers_only_by_reference():
    state_url, token = "redis://:s3cret-pass@redis:6379/0", "root:milvus-s3cret"
    settings = OperatorSettings.from_env(
        {
            "LOGAD_STATE_SECRET_NAME": "logad-state",
            "LOGAD_STATE_SECRET_KEY": "url",
            "LOGAD_MILVUS_URI": "http://milvus:19530",
            "LOGAD_MILVUS_TOKEN": token,  # the operator's own, for clean-up
            "LOGAD_MILVUS_TOKEN_SECRET_NAME": "logad-milvus",
            "LOGAD_MILVUS_TOKEN_SECRET_KEY": "token",
        }
    )
    assert settings.milvus_token == token
    isvc = build_inference_service(OWNER, spec(), settings, "pvc://logad-data/m", {})
    model = isvc["spec"]["predictor"]["model"]
    (transformer,) = isvc["spec"]["transformer"]["containers"]
    token_ref = {"secretKeyRef": {"name": "logad-milvus", "key": "token"}}
    env = {e["name"]: e for e in model["env"]}
    assert env["LOGAD_MILVUS_TOKEN"] == {"name": "LOGAD_MILVUS_TOKEN", "valueFrom": token_ref}
    assert env["LOGAD_MILVUS_URI"] == {"name": "LOGAD_MILVUS_URI", "value": "http://milvus:19530"}
    assert "$(LOGAD_STATE_URL)" in transformer["args"]
    assert {e["name"]: e for e in transformer["env"]}["LOGAD_STATE_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": "logad-state", "key": "url"}
    }
    env_vars = _env_vars(isvc)
    secret_vars = [e for e in env_vars if e["name"] in ("LOGAD_STATE_URL", "LOGAD_MILVUS_TOKEN")]
    assert len(secret_vars) == 2 and not any("value" in e for e in secret_vars)
    assert state_url not in repr(isvc) and token not in repr(isvc)
    assert "s3cret" not in repr(isvc)


def test_contains_accepts_server_defaults_and_sees_changes():
    desired = {"spec": {"args": ["a", "b"], "probe": {"port": 8080}, "volumes": None}}
    served = {"spec": {"args": ["a", "b"], "probe": {"port": 8080, "timeoutSeconds": 1}, "extra": 1}, "status": {}}
    assert contains(served, desired)
    assert not contains({"spec": {**served["spec"], "args": ["a"]}}, desired)
    assert not contains({"spec": {**served["spec"], "volumes": []}}, desired)


def test_the_workflow_runs_the_detectors_template_with_declared_parameters_only():
    previous = Previous("pvc://logad-data/old/model", "/data/old/model")
    s = spec(training={"minF1": 0.8, "preset": "cpu"})
    wf = build_workflow(OWNER, s, SETTINGS, "20250101-000000-000000", declared_parameters("logsentry"), previous)
    meta = wf["metadata"]
    assert (wf["apiVersion"], wf["kind"]) == ("argoproj.io/v1alpha1", "Workflow")
    assert "name" not in meta and meta["generateName"] == "logad-team-a-logsentry-"
    assert meta["labels"]["logad.io/logdetector"] == "hdfs" and meta["labels"]["logad.io/logdetector-uid"] == "0f6c-uid"
    assert meta["labels"]["logad.io/run"] == "20250101-000000-000000"
    assert meta["ownerReferences"][0]["uid"] == "0f6c-uid"
    assert meta["annotations"] == {
        "logad.io/training-hash": s.training_hash(),
        "logad.io/storage-uri": "pvc://logad-data/runs/team-space/logad-team-a-logsentry/20250101-000000-000000/model",
        "logad.io/previous-storage-uri": "pvc://logad-data/old/model",
        "logad.io/previous-model-uri": "/data/old/model",
    }
    assert wf["spec"]["workflowTemplateRef"] == {"name": "logad-train-logsentry"}
    assert wf["spec"]["arguments"]["parameters"] == [
        {"name": "logs", "value": "/data/in/HDFS.log"},
        {"name": "format", "value": "hdfs"},
        {"name": "labels", "value": "/data/in/labels.csv"},
        {"name": "preset", "value": "cpu"},
        {"name": "min_f1", "value": "0.8"},
        {"name": "tenant", "value": "team-a"},
        {"name": "workdir", "value": "/data/runs/team-space/logad-team-a-logsentry/20250101-000000-000000"},
    ]


def test_parameters_a_template_does_not_declare_are_not_sent():
    params = workflow_parameters(spec(), ("workdir", "logs", "unused"), "/data/runs/x")
    assert params == [{"name": "workdir", "value": "/data/runs/x"}, {"name": "logs", "value": "/data/in/HDFS.log"}]
    configured = spec(training={"config": {"seed": 7, "detector": {"epochs": 3}}})
    with_config = workflow_parameters(configured, ("logs", "config"), "/w")
    assert with_config[-1] == {"name": "config", "value": '{"detector":{"epochs":3},"seed":7}'}  # inline JSON
    with pytest.raises(SpecError, match=r"^spec\.training\.config: "):
        workflow_parameters(configured, ("logs",), "/w")


def test_training_resources_go_to_the_run_only_through_a_declared_parameter():
    """A LogDetector's training resources travel as a parameter every template declares (the run's pods:
    test_operator_runs.py); one a template lacks is refused, never dropped silently."""
    s = spec(training={"resources": {"limits": {"nvidia.com/gpu": 2}}})
    params = workflow_parameters(s, declared_parameters("logsentry"), "/w")
    assert params[-1] == {"name": TRAINING_RESOURCES, "value": '{"limits":{"nvidia.com/gpu":"2"}}'}
    with pytest.raises(SpecError, match=r"^spec\.training\.resources: logad-train-logsentry declares no parameter"):
        workflow_parameters(s, ("workdir",), "/w")
    unset = workflow_parameters(spec(), declared_parameters("deeplog"), "/w")
    assert TRAINING_RESOURCES not in {p["name"] for p in unset}


@pytest.mark.parametrize("detector", available_detectors())
def test_the_parameter_table_matches_the_rendered_templates(detector: str):
    template = yaml.safe_load((GENERATED / f"{detector}.yaml").read_text())
    assert template["metadata"]["name"] == f"logad-train-{detector}"
    declared = tuple(p["name"] for p in template["spec"]["arguments"]["parameters"])
    assert declared_parameters(detector) == declared, f"update logad_operator/templates.py for {detector}"


def test_settings_come_from_the_environment():
    env = {
        "LOGAD_SERVING_IMAGE": "registry.local/server:1",
        "LOGAD_DATA_MOUNT": "/mnt/data/",
        "LOGAD_STATE_SECRET_NAME": "logad-state",
        "LOGAD_MILVUS_URI": "http://m:19530",
        "LOGAD_RECONCILE_INTERVAL": "5",
    }
    settings = OperatorSettings.from_env(env)
    assert (settings.serving_image, settings.data_mount, settings.state_secret) == (
        "registry.local/server:1",
        "/mnt/data",
        SecretRef("logad-state", "url"),
    )
    assert settings.serving_gpu_image == "registry.local/server:1-gpu"  # the images' -gpu tag, unless given
    assert OperatorSettings.from_env({"LOGAD_SERVING_GPU_IMAGE": "r/gpu:2"}).serving_gpu_image == "r/gpu:2"
    assert settings.milvus_token_secret is None and OperatorSettings.from_env({}).state_secret is None
    assert (settings.milvus_uri, settings.reconcile_interval, settings.data_claim) == (
        "http://m:19530",
        5.0,
        "logad-data",
    )
