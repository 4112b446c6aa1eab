"""What KServe makes of an InferenceService's predictor and transformer, written from kserve/kserve's source.

- ``merge_runtime_containers``: pkg/controller/v1beta1/inferenceservice/utils/utils.go ``MergeRuntimeContainers``
  and pkg/utils/container_merge.go ``MergeContainerWithPatch``. The InferenceService's container is a strategic
  merge patch onto the ServingRuntime's (``strategic_merge``): env, ports and volume mounts merge by their keys,
  maps (resources, probes, securityContext) merge field by field, other lists and scalars are replaced, an env var
  that ends up with both ``value`` and ``valueFrom`` keeps the InferenceService's kind, an empty name keeps the
  runtime's. Then the args are *concatenated*, the runtime's first ("isvc extends runtime flags").
- ``merge_pod_spec``: utils.go ``MergePodSpec``: the runtime's nodeSelector, affinity, tolerations, volumes and
  imagePullSecrets, strategic-merged with the component's pod fields.
- ``replace_placeholders``: utils.go ``ReplacePlaceholders``: the merged container's JSON run as a Go template on the
  InferenceService's metadata (``{{.Name}}``, ``{{.Namespace}}``, ``{{.Labels.KEY}}``, ``{{.Annotations.KEY}}``).
- ``serving_runtime`` / ``predictor_pod``: components/predictor.go ``reconcileModel`` and ``buildPodSpec``, utils.go
  ``GetServingRuntime``, apis/serving/v1beta1/predictor_model.go ``RuntimeSupportsModel``: ``model.runtime`` names a
  ServingRuntime of the namespace (else a ClusterServingRuntime) that must be enabled, list the model's format (and
  version) and its protocol; its container ``kserve-container`` is merged with the model's container fields (the
  model spec without modelFormat, runtime, storageUri, protocolVersion, runtimeVersion and storage).
- ``transformer_container``: apis/serving/v1beta1/transformer_custom.go ``CustomTransformer.Default`` (the container
  is named ``kserve-container``) and ``GetContainer``: ``--model_name <isvc>``, ``--predictor_host
  <isvc>-predictor.<namespace>`` and ``--http_port 8080`` are appended unless an argument already starts with the
  flag (pkg/utils ``IncludesArg``), ``--workers N`` too when ``containerConcurrency`` is set.
- ``model_mount``: pkg/webhook/admission/pod/storage_initializer_injector.go (one storage URI): the predictor's
  ``storageUri`` or the transformer's ``STORAGE_URI`` env (transformer_custom.go ``GetStorageUri``) lands at
  ``/mnt/models`` in ``kserve-container``; ``pvc://CLAIM/PATH`` mounts the claim there with subPath PATH (pkg/utils
  ``ParsePvcURI``), other URIs are downloaded there by the storage-initializer.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from k8s_rules.merge import strategic_merge

CONTAINER = "kserve-container"
MODEL_MOUNT = "/mnt/models"
HTTP_PORT = "8080"
# ServingRuntimePodSpec fields MergePodSpec takes from the runtime.
RUNTIME_POD_FIELDS = ("nodeSelector", "affinity", "tolerations", "volumes", "imagePullSecrets", "schedulerName")
# ModelSpec fields that are not container fields (PredictorExtensionSpec inlines a v1.Container).
MODEL_FIELDS = ("modelFormat", "runtime", "storageUri", "protocolVersion", "runtimeVersion", "storage")
_PLACEHOLDER = re.compile(r"\{\{\s*\.(Name|Namespace|Labels\.[\w./-]+|Annotations\.[\w./-]+)\s*\}\}")


class KServeRejects(AssertionError):
    """What KServe would refuse (the InferenceService's status would say InvalidSpec or no runtime found)."""


@dataclass(frozen=True)
class ModelMount:
    """Where KServe puts a component's model: the path in the container and, for pvc:// URIs, the claim and subPath."""

    uri: str
    path: str
    claim: str = ""
    sub_path: str = ""


def merge_runtime_containers(runtime: dict[str, Any], isvc: dict[str, Any]) -> dict[str, Any]:
    """The container KServe runs: ``isvc`` strategic-merged onto ``runtime``, then the args concatenated."""
    merged = strategic_merge(runtime, isvc)
    overlay_env = {variable["name"]: variable for variable in isvc.get("env") or []}
    for variable in merged.get("env") or []:
        overlay = overlay_env.get(variable["name"])
        if overlay is not None and variable.get("value") and variable.get("valueFrom"):
            variable.pop("value" if overlay.get("valueFrom") else "valueFrom")
    merged["name"] = merged.get("name") or runtime.get("name", "")
    merged["args"] = [*(runtime.get("args") or []), *(isvc.get("args") or [])]
    return merged


def merge_pod_spec(runtime_spec: dict[str, Any], component: dict[str, Any]) -> dict[str, Any]:
    """The pod fields of a predictor: the runtime's scheduling fields and volumes under the component's."""
    base = {key: runtime_spec[key] for key in RUNTIME_POD_FIELDS if key in runtime_spec}
    return strategic_merge(base, component)


def replace_placeholders(container: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """``{{.Name}}`` and the other metadata fields substituted; anything else in ``{{ }}`` is refused."""

    def value(match: re.Match[str]) -> str:
        field, _, key = match[1].partition(".")
        found = metadata.get(field.lower()) if not key else (metadata.get(field.lower()) or {}).get(key)
        if found is None:
            raise KServeRejects(f"placeholder {match[0]} has no value in the InferenceService's metadata")
        return str(found)

    text = _PLACEHOLDER.sub(value, json.dumps(container))
    if "{{" in text:
        raise KServeRejects(f"a placeholder KServe cannot fill is left: {text}")
    return json.loads(text)


def serving_runtime(isvc: dict[str, Any], runtimes: list[dict[str, Any]]) -> dict[str, Any]:
    """The ServingRuntime (or ClusterServingRuntime) the predictor's ``model.runtime`` selects; KServeRejects when
    there is none or it cannot serve the model's format and protocol."""
    model = isvc["spec"]["predictor"]["model"]
    namespace, name = isvc["metadata"]["namespace"], model.get("runtime")
    if not name:
        raise KServeRejects("no model.runtime: logad's InferenceServices name their runtime")
    namespaced = [r for r in runtimes if r["kind"] == "ServingRuntime" and r["metadata"].get("namespace") == namespace]
    cluster = [r for r in runtimes if r["kind"] == "ClusterServingRuntime"]
    found = next((r for r in namespaced + cluster if r["metadata"]["name"] == name), None)
    if found is None:
        raise KServeRejects(f"No ServingRuntimes or ClusterServingRuntimes with the name: {name} (in {namespace})")
    spec = found["spec"]
    if spec.get("disabled"):
        raise KServeRejects(f"specified runtime {name} is disabled")
    protocol = model.get("protocolVersion") or "v1"
    if protocol not in (spec.get("protocolVersions") or ["v1"]):
        raise KServeRejects(f"specified runtime {name} does not support protocol {protocol}")
    fmt = model["modelFormat"]
    wanted = f"{fmt['name']}:{fmt['version']}" if fmt.get("version") else fmt["name"]
    offered = {label for f in spec.get("supportedModelFormats") or [] for label in _format_labels(f)}
    if wanted not in offered:
        raise KServeRejects(f"specified runtime {name} does not support model format {wanted}")
    return found


def _format_labels(supported: dict[str, Any]) -> list[str]:
    return [supported["name"], *([f"{supported['name']}:{supported['version']}"] if supported.get("version") else [])]


def predictor_pod(isvc: dict[str, Any], runtimes: list[dict[str, Any]]) -> dict[str, Any]:
    """The predictor's pod spec as KServe builds it for the ``model`` form: one container, ``kserve-container``."""
    runtime = serving_runtime(isvc, runtimes)["spec"]
    runtime_container = next((c for c in runtime["containers"] if c["name"] == CONTAINER), None)
    if runtime_container is None:
        raise KServeRejects(f"failed to find {CONTAINER} in ServingRuntime containers")
    predictor = isvc["spec"]["predictor"]
    model_container = {key: value for key, value in predictor["model"].items() if key not in MODEL_FIELDS}
    container = merge_runtime_containers(runtime_container, model_container)
    pod = merge_pod_spec(runtime, {key: value for key, value in predictor.items() if key != "model"})
    pod["containers"] = [replace_placeholders(container, isvc["metadata"])]
    return pod


def transformer_container(isvc: dict[str, Any]) -> dict[str, Any]:
    """The transformer's container with the arguments KServe's controller appends."""
    component = isvc["spec"]["transformer"]
    container = {**copy.deepcopy(component["containers"][0]), "name": CONTAINER}
    meta = isvc["metadata"]
    args = list(container.get("args") or [])
    appended = [
        ("--model_name", meta["name"]),
        ("--predictor_host", f"{meta['name']}-predictor.{meta['namespace']}"),
        ("--http_port", HTTP_PORT),
    ]
    if component.get("containerConcurrency") is not None:
        appended.append(("--workers", str(component["containerConcurrency"])))
    for flag, value in appended:
        if not any(arg.startswith(flag) for arg in args):
            args += [flag, value]
    container["args"] = args
    return container


def storage_uri(isvc: dict[str, Any], component: str) -> str:
    """The model URI KServe mounts for ``component`` ("predictor" or "transformer"); "" when none."""
    if component == "predictor":
        return isvc["spec"]["predictor"]["model"].get("storageUri") or ""
    env = isvc["spec"]["transformer"]["containers"][0].get("env") or []
    return next((variable.get("value", "") for variable in env if variable["name"] == "STORAGE_URI"), "")


def model_mount(uri: str) -> ModelMount:
    """Where the storage-initializer injector makes ``uri`` appear in ``kserve-container``."""
    if uri.startswith("pvc://"):
        claim, _, sub_path = uri.removeprefix("pvc://").partition("/")
        return ModelMount(uri, MODEL_MOUNT, claim, sub_path)
    return ModelMount(uri, MODEL_MOUNT)
