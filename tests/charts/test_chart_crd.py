"""The LogDetector CRD is a valid apiextensions/v1 CRD, and the example LogDetector validates against its schema."""

from __future__ import annotations

import copy

import jsonschema
import kubernetes_validate
import pytest
import yaml
from chart_helpers import CHART, KUBE_VERSION

CRD = CHART / "crds" / "logdetectors.yaml"
EXAMPLE = CHART / "examples" / "logdetector.yaml"


def _crd() -> dict:
    return yaml.safe_load(CRD.read_text())


def _cr_schema(crd: dict, version: str) -> dict:
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    # jsonschema ignores the x-kubernetes-* keywords (preserve-unknown-fields means "no further checks" anyway).
    return served["schema"]["openAPIV3Schema"]


def test_the_crd_is_a_valid_custom_resource_definition():
    crd = _crd()
    kubernetes_validate.validate(crd, KUBE_VERSION, strict=True)
    names = crd["spec"]["names"]
    assert (crd["spec"]["group"], names["kind"], names["plural"], crd["spec"]["scope"]) == (
        "logad.io",
        "LogDetector",
        "logdetectors",
        "Namespaced",
    )
    assert crd["metadata"]["name"] == f"{names['plural']}.{crd['spec']['group']}"
    assert any("status" in v.get("subresources", {}) for v in crd["spec"]["versions"])


def test_the_example_logdetector_validates_against_the_crd():
    example = yaml.safe_load(EXAMPLE.read_text())
    group, version = example["apiVersion"].split("/")
    crd = _crd()
    assert (group, example["kind"]) == (crd["spec"]["group"], crd["spec"]["names"]["kind"])
    schema = _cr_schema(crd, version)
    jsonschema.validate(example, schema)
    wrong = copy.deepcopy(example)
    wrong["spec"]["detector"] = "no-such-detector"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)
