"""Parsing and validating the LogDetector spec: every error names its field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from logad_operator.placement import Resources
from logad_operator.spec import LogDetectorSpec, SpecError, parse_spec


def full_spec() -> dict[str, Any]:
    return {
        "detector": "logsentry",
        "tenant": "team-a",
        "data": {"logs": "/data/in/HDFS.log", "format": "hdfs", "labels": "/data/in/labels.csv", "window": "session"},
        "training": {"schedule": "0 2 * * *", "preset": "cpu", "minF1": 0.8, "config": {"epochs": 3}, "suspend": False},
        "serving": {
            "threshold": "dtpm",
            "replicas": 2,
            "protocol": "v2",
            "resources": {"requests": {"cpu": 4, "memory": "24Gi"}, "limits": {"nvidia.com/gpu": 1}},
            "nodeSelector": {"nvidia.com/gpu.present": "true"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "affinity": {"nodeAffinity": {}},
            "runtimeClassName": "nvidia",
            "priorityClassName": "inference",
            "transformer": {"resources": {"limits": {"memory": "1Gi"}}},
        },
        "modelVersion": "logsentry-20250101T000000-abc",
    }


def test_a_full_spec_parses_into_the_dataclass():
    spec = parse_spec(full_spec())
    assert isinstance(spec, LogDetectorSpec)
    assert (spec.detector, spec.tenant, spec.service_name) == ("logsentry", "team-a", "logad-team-a-logsentry")
    assert (spec.data.logs, spec.data.format, spec.data.labels, spec.data.window) == (
        "/data/in/HDFS.log",
        "hdfs",
        "/data/in/labels.csv",
        "session",
    )
    assert (spec.training.schedule, spec.training.min_f1, spec.training.config) == ("0 2 * * *", 0.8, {"epochs": 3})
    assert (spec.serving.threshold, spec.serving.replicas, spec.serving.protocol) == ("dtpm", 2, "v2")
    assert spec.serving.resources == Resources({"cpu": "4", "memory": "24Gi"}, {"nvidia.com/gpu": "1"})
    assert spec.serving.resources.gpus == 1 and spec.serving.transformer_resources.gpus == 0
    assert spec.serving.scheduling.pod_fields() == {
        "nodeSelector": {"nvidia.com/gpu.present": "true"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "affinity": {"nodeAffinity": {}},
        "runtimeClassName": "nvidia",
        "priorityClassName": "inference",
    }
    assert spec.serving.transformer_resources.manifest() == {"limits": {"memory": "1Gi"}}
    assert spec.model_version == "logsentry-20250101T000000-abc"


def test_a_minimal_spec_takes_the_defaults():
    spec = parse_spec({"detector": "baseline", "tenant": "t1", "data": {"logs": "/data/a.log", "format": "bgl"}})
    assert (spec.training.min_f1, spec.training.config, spec.training.suspend, spec.training.schedule) == (
        0.0,
        None,
        False,
        "",
    )
    assert (spec.serving.threshold, spec.serving.replicas, spec.serving.protocol) == ("", 1, "v1")
    assert spec.serving.resources.manifest() is None and spec.training.resources.manifest() is None
    assert set(spec.serving.scheduling.pod_fields().values()) == {None}
    assert spec.model_version == ""


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("detector",), None, "spec.detector"),
        (("detector",), "lstm", "spec.detector"),
        (("tenant",), None, "spec.tenant"),
        (("tenant",), "-team", "spec.tenant"),
        (("tenant",), "Team_A", "spec.tenant"),  # a valid tenant, but not a valid InferenceService name
        (("tenant",), "t" * 60, "spec.tenant"),
        (("data",), None, "spec.data"),
        (("data",), "logs.txt", "spec.data"),
        (("data", "logs"), None, "spec.data.logs"),
        (("data", "logs"), "in/HDFS.log", "spec.data.logs"),
        (("data", "format"), "", "spec.data.format"),
        (("data", "labels"), 3, "spec.data.labels"),
        (("training", "schedule"), "every night", "spec.training.schedule"),
        (("training", "minF1"), 1.5, "spec.training.minF1"),
        (("training", "minF1"), True, "spec.training.minF1"),
        (("training", "config"), ["epochs"], "spec.training.config"),
        (("training", "suspend"), "yes", "spec.training.suspend"),
        (("serving", "threshold"), "p99", "spec.serving.threshold"),
        (("serving", "replicas"), 0, "spec.serving.replicas"),
        (("serving", "replicas"), 1.5, "spec.serving.replicas"),
        (("serving", "protocol"), "grpc", "spec.serving.protocol"),
        (("serving", "replica"), 2, "spec.serving.replica"),
        (("serving", "resources", "limits", "memory"), "2 GB", "spec.serving.resources.limits.memory"),
        (("serving", "resources", "limits", "nvidia.com/gpu"), "0.5", "spec.serving.resources.limits.nvidia.com/gpu"),
        (("serving", "resources", "requests", "nvidia.com/gpu"), 2, "spec.serving.resources.requests.nvidia.com/gpu"),
        (("serving", "resources", "limit"), {}, "spec.serving.resources.limit"),
        (("serving", "nodeSelector"), {"gpu": True}, "spec.serving.nodeSelector"),
        (("serving", "tolerations"), {"key": "gpu"}, "spec.serving.tolerations"),
        (("serving", "affinity"), ["node"], "spec.serving.affinity"),
        (("serving", "transformer", "gpus"), 1, "spec.serving.transformer.gpus"),
        (("training", "resources", "requests", "cpu"), "two", "spec.training.resources.requests.cpu"),
        (("modelVersion",), 7, "spec.modelVersion"),
    ],
)
def test_a_bad_field_is_named(path: tuple[str, ...], value: Any, field: str):
    spec = full_spec()
    target = spec
    for key in path[:-1]:
        target = target.setdefault(key, {})
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(SpecError) as error:
        parse_spec(spec)
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ")


@pytest.mark.parametrize("kind", ["limits", "requests"])
def test_a_gpu_for_a_detector_that_trains_on_cpus_only_is_refused(kind: str):
    spec = full_spec()
    spec["training"]["resources"] = {kind: {"nvidia.com/gpu": 1}}
    assert parse_spec(spec).training.resources.gpus == 1  # logsentry's stages can use GPUs
    spec["detector"] = "baseline"
    field = rf"spec\.training\.resources\.{kind}\.nvidia\.com/gpu"
    with pytest.raises(SpecError, match=rf"^{field}: baseline trains on CPUs only"):
        parse_spec(spec)


def test_a_spec_that_is_not_an_object_is_refused():
    with pytest.raises(SpecError, match=r"^spec: must be an object"):
        parse_spec(["detector"])


def test_the_training_hash_follows_training_inputs_only():
    base = parse_spec(full_spec()).training_hash()
    for path, value in [(("training", "schedule"), "0 3 * * *"), (("training", "suspend"), True)]:
        changed = copy.deepcopy(full_spec())
        changed[path[0]][path[1]] = value
        assert parse_spec(changed).training_hash() == base
    serving = copy.deepcopy(full_spec())
    serving["serving"]["replicas"] = 5
    assert parse_spec(serving).training_hash() == base
    for path, value in [
        (("training", "minF1"), 0.9),
        (("training", "config"), {"epochs": 4}),
        (("data", "window"), "w"),
    ]:
        changed = copy.deepcopy(full_spec())
        changed[path[0]][path[1]] = value
        assert parse_spec(changed).training_hash() != base
