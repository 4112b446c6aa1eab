"""apimachinery's strategic merge patch on core/v1 types (k8s.io/apimachinery/pkg/util/strategicpatch), as the
controllers here use it: Argo applies a template's ``podSpecPatch`` to the pod it builds, KServe patches a model's
container onto its ServingRuntime's. One implementation for both rules."""

from __future__ import annotations

import copy
from typing import Any

# Fields with a patch merge key in the core/v1 PodSpec types (k8s.io/api/core/v1/types.go `patchMergeKey`).
MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
              "volumeMounts": "mountPath", "imagePullSecrets": "name", "ports": "containerPort"}  # fmt: skip


def strategic_merge(target: Any, patch: Any, field: str = "") -> Any:
    """``patch`` applied to ``target`` as ``strategicpatch.StrategicMergePatch`` applies it to a PodSpec: maps merge
    key by key, lists with a patch merge key merge element by element (an unknown key is appended), other lists and
    scalars are replaced."""
    if isinstance(target, dict) and isinstance(patch, dict):
        merged = dict(target)
        for key, value in patch.items():
            merged[key] = strategic_merge(target[key], value, key) if key in target else copy.deepcopy(value)
        return merged
    if isinstance(target, list) and isinstance(patch, list) and field in MERGE_KEYS:
        key, merged = MERGE_KEYS[field], [copy.deepcopy(item) for item in target]
        for item in patch:
            index = next((i for i, old in enumerate(merged) if old.get(key) == item.get(key)), None)
            if index is None:
                merged.append(copy.deepcopy(item))
            else:
                merged[index] = strategic_merge(merged[index], item)
        return merged
    return copy.deepcopy(patch)
