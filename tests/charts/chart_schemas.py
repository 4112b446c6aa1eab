"""Schemas for the custom resources the chart renders, with no CRDs vendored and no cluster to ask.

InferenceService and ServingRuntime: JSON schemas built from the model classes of the pinned kserve Python SDK
(``kserve.models.V1beta1InferenceService`` / ``V1alpha1ServingRuntime`` down through their ``openapi_types`` /
``attribute_map``, with the ``kubernetes`` client's models for core types such as ``V1Container``). The SDK's
models are generated from KServe's OpenAPI spec, so this is the closest check available here: every object has
``additionalProperties: false`` (a misspelt or misplaced field fails), and every field has its type. It cannot see
KServe's CEL rules or required fields. WorkflowTemplate: Hera's Argo models (the schema Argo publishes), applied
strictly the same way as tests/pipelines.
"""

from __future__ import annotations

import importlib
import re
import sys
from functools import cache
from types import ModuleType

import kubernetes.client.models
from hera.workflows.models import WorkflowTemplate

# Types the SDK refers to under names it does not ship: the same Kubernetes types in the kubernetes client.
_ALIASES = {
    "K8sIoApiAppsV1DeploymentStrategy": "V1DeploymentStrategy",
    "K8sIoApiAutoscalingV2HorizontalPodAutoscalerBehavior": "V2HorizontalPodAutoscalerBehavior",
    "V1Time": "datetime",
    # ServingRuntimeSpec.workerSpec (multi-node serving; the chart sets none): the SDK ships only the v1beta1 twin.
    "V1alpha1WorkerSpec": "V1beta1WorkerSpec",
}
# Named but shipped by neither package; all but the metric quantity are status-only (Knative): anything passes.
_UNSHIPPED = {
    "KnativeAddressable",
    "KnativeCondition",
    "KnativeURL",
    "KnativeDevServingPkgApisServingV1TrafficTarget",
    "V1beta1MetricQuantity",
}
_PRIMITIVES = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string"},
    "date": {"type": "string"},
    "object": {},  # IntOrString, RawExtension
}
# Kubernetes quantities are int-or-string in the API; the Python clients type them as str.
_QUANTITY = {"type": ["string", "number"]}
_QUANTITY_FIELDS = {("V1ResourceRequirements", "limits"), ("V1ResourceRequirements", "requests")}


@cache
def _kserve_models() -> ModuleType:
    """``kserve.models``, imported with an empty command line: importing kserve parses ``sys.argv`` (its model
    server's flags), which exits on pytest options it finds ambiguous (``--co``)."""
    argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        return importlib.import_module("kserve.models")
    finally:
        sys.argv = argv


@cache
def inference_service_schema() -> dict:
    """Draft-07 schema of a serving.kserve.io/v1beta1 InferenceService from the SDK's models."""
    return _model_schema("V1beta1InferenceService")


@cache
def serving_runtime_schema() -> dict:
    """Draft-07 schema of a serving.kserve.io/v1alpha1 ServingRuntime from the SDK's models."""
    return _model_schema("V1alpha1ServingRuntime")


def _model_schema(type_name: str) -> dict:
    definitions: dict[str, dict] = {}
    root = _schema_of(type_name, definitions)
    return {"$schema": "http://json-schema.org/draft-07/schema#", **root, "definitions": definitions}


def _schema_of(type_name: str, definitions: dict[str, dict], quantity: bool = False) -> dict:
    type_name = _ALIASES.get(type_name, type_name)
    if match := re.fullmatch(r"(?:list|List)\[(.+)\]", type_name):
        return {"type": "array", "items": _schema_of(match[1], definitions, quantity)}
    if match := re.fullmatch(r"dict\(str, (.+)\)|Dict\[str, (.+)\]", type_name):
        return {"type": "object", "additionalProperties": _schema_of(match[1] or match[2], definitions, quantity)}
    if type_name == "ResourceQuantity" or (quantity and type_name == "str"):
        return _QUANTITY
    if type_name in _PRIMITIVES:
        return _PRIMITIVES[type_name]
    if type_name in _UNSHIPPED:
        return {}
    model = getattr(_kserve_models(), type_name, None) or getattr(kubernetes.client.models, type_name)
    if type_name not in definitions:
        definitions[type_name] = {}  # reserved first: models refer to themselves (JSONSchemaProps, ...)
        definitions[type_name] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                model.attribute_map[attribute]: _schema_of(
                    sub_type, definitions, (type_name, attribute) in _QUANTITY_FIELDS
                )
                for attribute, sub_type in model.openapi_types.items()
            },
        }
    return {"$ref": f"#/definitions/{type_name}"}


def argo_unknown_fields(workflow_template: dict) -> list[str]:
    """Paths of the fields Hera's WorkflowTemplate model does not know (it drops them; comparing finds them)."""
    kept = WorkflowTemplate.model_validate(workflow_template).model_dump(by_alias=True, exclude_none=True, mode="json")
    return _missing(workflow_template, kept, "")


def _missing(given: object, kept: object, path: str) -> list[str]:
    if isinstance(given, dict) and isinstance(kept, dict):
        return [
            problem
            for key, value in given.items()
            for problem in ([f"{path}.{key}"] if key not in kept else _missing(value, kept[key], f"{path}.{key}"))
        ]
    if isinstance(given, list) and isinstance(kept, list):
        return [
            problem
            for i, pair in enumerate(zip(given, kept, strict=True))
            for problem in _missing(*pair, f"{path}[{i}]")
        ]
    return []
