"""The LogDetector CRD: a valid apiextensions/v1 CRD whose schema agrees with the operator's spec and status."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from logad.detectors.registry import available_detectors
from logad_operator.outcome import FAILED, GATE_FAILED, RUNNING, SUCCEEDED, training_outcome
from logad_operator.spec import (
    DETECTORS,
    PROTOCOLS,
    QUANTITY_PATTERN,
    SCHEDULING,
    TENANT_PATTERN,
    THRESHOLDS,
    parse_spec,
)
from logad_operator.status import PHASES, STATUS_FIELDS, Observed, derive_status

CRD = Path(__file__).resolve().parents[2] / "charts" / "logad" / "crds" / "logdetectors.yaml"
EXAMPLE = {
    "apiVersion": "logad.io/v1alpha1",
    "kind": "LogDetector",
    "metadata": {"name": "hdfs"},
    "spec": {
        "detector": "logsentry",
        "tenant": "team-a",
        "data": {"logs": "/data/in/HDFS.log", "format": "hdfs", "labels": "/data/in/anomaly_label.csv"},
        "training": {"schedule": "0 2 * * *", "minF1": 0.8, "config": {"epochs": 3, "nested": {"any": [1]}}},
        "serving": {"threshold": "dtpm", "replicas": 2, "protocol": "v1"},
    },
}


@pytest.fixture(scope="module")
def crd() -> dict[str, Any]:
    return yaml.safe_load(CRD.read_text())


@pytest.fixture(scope="module")
def schema(crd: dict[str, Any]) -> dict[str, Any]:
    (version,) = crd["spec"]["versions"]
    return version["schema"]["openAPIV3Schema"]


def test_the_crd_is_valid_and_namespaced_with_a_status_subresource(crd: dict[str, Any]):
    kubernetes_validate.validate(crd, "1.30", strict=True)
    assert crd["metadata"]["name"] == "logdetectors.logad.io"
    assert (crd["spec"]["scope"], crd["spec"]["names"]["kind"]) == ("Namespaced", "LogDetector")
    (version,) = crd["spec"]["versions"]
    assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns["Phase"] == ".status.phase" and columns["Model"] == ".status.modelVersion"
    assert columns["Endpoint"] == ".status.endpoint" and columns["Age"] == ".metadata.creationTimestamp"


FREE_FORM = ("metadata", "spec.training.config", "spec.serving.affinity")  # objects the API server keeps as given


def test_the_schema_is_structural(schema: dict[str, Any]):
    """Every object lists its properties (unknown fields are pruned) or is a map of one type, except the free-form
    ones; quantities are int-or-string (the one node Kubernetes lets go without a type)."""

    def walk(node: dict[str, Any], path: str) -> None:
        if node.get("x-kubernetes-int-or-string"):
            assert node["anyOf"] == [{"type": "integer"}, {"type": "string"}] and "type" not in node, path
            return
        assert "type" in node, path
        assert not ("properties" in node and "additionalProperties" in node), path
        if node["type"] == "object" and path not in FREE_FORM:
            assert "properties" in node or "additionalProperties" in node, path
            assert not node.get("x-kubernetes-preserve-unknown-fields"), path
        for key, child in node.get("properties", {}).items():
            walk(child, f"{path}.{key}" if path else key)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                walk(node[key], f"{path}[]")

    walk(schema, "")
    assert schema["properties"]["spec"]["properties"]["training"]["properties"]["config"] == {
        "type": "object",
        "description": schema["properties"]["spec"]["properties"]["training"]["properties"]["config"]["description"],
        "x-kubernetes-preserve-unknown-fields": True,
    }


def test_the_detector_enum_is_logads_detector_registry(schema: dict[str, Any]):
    """The committed CRD names every detector logad registers (each has a WorkflowTemplate), as the operator does."""
    enum = schema["properties"]["spec"]["properties"]["detector"]["enum"]
    assert enum == available_detectors() and tuple(available_detectors()) == DETECTORS


def test_the_schema_agrees_with_the_operator(schema: dict[str, Any]):
    spec = schema["properties"]["spec"]
    assert spec["required"] == ["detector", "tenant", "data"]
    assert spec["properties"]["tenant"]["pattern"] == TENANT_PATTERN
    serving = spec["properties"]["serving"]["properties"]
    assert tuple(serving["threshold"]["enum"]) == THRESHOLDS and tuple(serving["protocol"]["enum"]) == PROTOCOLS
    assert set(spec["properties"]["serving"]["properties"]) == {
        "threshold",
        "replicas",
        "protocol",
        "resources",
        "transformer",
        *SCHEDULING,
    }
    resources = spec["properties"]["training"]["properties"]["resources"]
    assert resources["properties"]["limits"]["additionalProperties"]["pattern"] == QUANTITY_PATTERN
    status = schema["properties"]["status"]["properties"]
    assert set(status["phase"]["enum"]) == {"Pending", *PHASES.values()}
    assert set(status["lastTraining"]["properties"]["phase"]["enum"]) == {RUNNING, SUCCEEDED, GATE_FAILED, FAILED}
    assert set(STATUS_FIELDS) <= set(status)


def test_a_logdetector_validates_and_bad_ones_do_not(schema: dict[str, Any]):
    jsonschema.validate(EXAMPLE, schema)
    parse_spec(EXAMPLE["spec"])  # and the operator accepts it
    for path, value in [
        (("detector",), "lstm"),
        (("tenant",), "-x"),
        (("data", "logs"), "relative.log"),
        (("training", "minF1"), 1.2),
        (("serving", "replicas"), 0),
        (("serving", "threshold"), "p99"),
    ]:
        wrong = copy.deepcopy(EXAMPLE)
        target = wrong["spec"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)
    missing = copy.deepcopy(EXAMPLE)
    del missing["spec"]["data"]["format"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(missing, schema)


def test_the_status_the_operator_writes_fits_the_schema(schema: dict[str, Any]):
    workflow = {
        "metadata": {"name": "wf", "creationTimestamp": "2025-01-01T00:00:00Z"},
        "status": {"phase": "Succeeded", "startedAt": "2025-01-01T00:00:01Z", "finishedAt": "2025-01-01T01:00:00Z"},
    }
    observed = Observed(3, training_outcome(workflow), "/data/m", "http://svc", ("True", "", ""))
    status = derive_status(parse_spec(EXAMPLE["spec"]), observed, {}, "2025-01-01T01:00:05Z")
    jsonschema.validate({**EXAMPLE, "status": status}, schema)
    props = schema["properties"]["status"]["properties"]
    assert set(status) <= set(props)  # nothing the API server would prune
    assert set(status["lastTraining"]) <= set(props["lastTraining"]["properties"])
    for condition in status["conditions"]:
        assert set(condition) <= set(props["conditions"]["items"]["properties"])
