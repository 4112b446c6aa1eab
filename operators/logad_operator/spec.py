"""The LogDetector spec as a dataclass, parsed and checked field by field (errors name the field)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from croniter import croniter

from logad.detectors.registry import available_detectors, detector_capabilities
from logad.threshold.config import KINDS
from logad_operator.placement import GPU, Resources, Scheduling

DETECTORS = tuple(available_detectors())  # every detector logad registers has a WorkflowTemplate logad-train-<name>
THRESHOLDS = KINDS  # the transformer's --threshold choices; unset: the kind training chose
PROTOCOLS = ("v1", "v2")
# The DeepSpeed configs logad ships (src/logad/train/deepspeed/*.json, `logad train --deepspeed NAME`).
DEEPSPEED = ("zero2", "zero3", "zero2_offload", "zero3_offload")
SCHEDULING = ("nodeSelector", "tolerations", "affinity", "runtimeClassName", "priorityClassName")  # serving.*
TENANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
# Generated Workflow names add "-" and 5 characters; they must stay valid 63-character label values.
MAX_SERVICE_NAME = 57
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# A Kubernetes quantity (apimachinery resource.Quantity's canonical forms), as the CRD's schema has it.
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)


class SpecError(ValueError):
    """A spec field that is missing, of the wrong type or out of range; ``field`` is its path (``spec.tenant``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class DataSource:
    """Paths on the shared data volume, as the pipeline's steps see them."""

    logs: str
    format: str
    labels: str = ""
    window: str = ""


@dataclass(frozen=True)
class Training:
    schedule: str = ""
    preset: str = ""
    min_f1: float = 0.0
    config: dict[str, Any] | None = None
    suspend: bool = False
    resources: Resources = field(default_factory=Resources)
    deepspeed: str = ""


@dataclass(frozen=True)
class Serving:
    """How the InferenceService serves: ``resources`` and ``scheduling`` are the predictor's (the model server, where
    GPUs go), ``transformer_resources`` the transformer's (CPU work: parsing, windows, thresholds)."""

    threshold: str = ""
    replicas: int = 1
    protocol: str = "v1"
    resources: Resources = field(default_factory=Resources)
    scheduling: Scheduling = field(default_factory=Scheduling)
    transformer_resources: Resources = field(default_factory=Resources)


@dataclass(frozen=True)
class LogDetectorSpec:
    detector: str
    tenant: str
    data: DataSource
    training: Training
    serving: Serving
    model_version: str = ""

    @property
    def service_name(self) -> str:
        """The tenant's InferenceService, the one the pipeline's roll-out step patches."""
        return service_name(self.tenant, self.detector)

    def training_hash(self) -> str:
        """A digest of what a training run depends on (not the schedule, suspension or serving settings)."""
        inputs = {
            "detector": self.detector,
            "tenant": self.tenant,
            "data": asdict(self.data),
            "preset": self.training.preset,
            "minF1": self.training.min_f1,
            "config": self.training.config,
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def service_name(tenant: str, detector: str) -> str:
    return f"logad-{tenant}-{detector}"


def parse_spec(spec: Mapping[str, Any]) -> LogDetectorSpec:
    """The spec as a dataclass; SpecError naming the first bad field."""
    fields = _Fields(spec, "spec", {"detector", "tenant", "data", "training", "serving", "modelVersion"})
    detector = fields.choice("detector", DETECTORS, required=True)
    tenant = fields.string("tenant", required=True, pattern=TENANT_PATTERN)
    name = service_name(tenant, detector)
    if len(name) > MAX_SERVICE_NAME or not _DNS_LABEL.fullmatch(name):
        raise SpecError(
            "spec.tenant",
            f"the InferenceService name {name!r} must be at most {MAX_SERVICE_NAME} lowercase letters, digits or '-'",
        )
    data = fields.section("data", {"logs", "format", "labels", "window"}, required=True)
    training = fields.section(
        "training", {"schedule", "preset", "minF1", "config", "suspend", "resources", "deepspeed"}
    )
    serving = fields.section("serving", {"threshold", "replicas", "protocol", "transformer", *SCHEDULING, "resources"})
    schedule = training.string("schedule")
    if schedule and not croniter.is_valid(schedule):
        raise SpecError("spec.training.schedule", f"{schedule!r} is not a cron expression")
    training_resources = training.resources("resources")
    if training_resources.gpus and not detector_capabilities(detector).gpus:
        kind = "limits" if GPU in training_resources.limits else "requests"
        raise SpecError(
            f"spec.training.resources.{kind}.{GPU}",
            f"{detector} trains on CPUs only (no training stage can use a GPU); remove the GPU request",
        )
    return LogDetectorSpec(
        detector=detector,
        tenant=tenant,
        data=DataSource(
            logs=data.string("logs", required=True, pattern=r"^/"),
            format=data.string("format", required=True),
            labels=data.string("labels", pattern=r"^/"),
            window=data.string("window"),
        ),
        training=Training(
            schedule=schedule,
            preset=training.string("preset"),
            min_f1=training.number("minF1", 0.0, 1.0, default=0.0),
            config=training.mapping("config"),
            suspend=training.boolean("suspend"),
            resources=training_resources,
            deepspeed=training.choice("deepspeed", DEEPSPEED),
        ),
        serving=Serving(
            threshold=serving.choice("threshold", THRESHOLDS),
            replicas=serving.integer("replicas", minimum=1, default=1),
            protocol=serving.choice("protocol", PROTOCOLS) or "v1",
            resources=serving.resources("resources"),
            scheduling=Scheduling(
                node_selector=serving.string_map("nodeSelector"),
                tolerations=tuple(serving.object_list("tolerations")),
                affinity=serving.mapping("affinity"),
                runtime_class_name=serving.string("runtimeClassName"),
                priority_class_name=serving.string("priorityClassName"),
            ),
            transformer_resources=serving.section("transformer", {"resources"}).resources("resources"),
        ),
        model_version=fields.string("modelVersion"),
    )


class _Fields:
    """Typed access to one object of the spec; every error names the field's full path."""

    def __init__(self, values: Any, path: str, allowed: set[str]) -> None:
        if not isinstance(values, Mapping):
            raise SpecError(path, f"must be an object, got {type(values).__name__}")
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise SpecError(f"{path}.{unknown[0]}", f"unknown field (allowed: {', '.join(sorted(allowed))})")
        self.values, self.path = values, path

    def _get(self, key: str, required: bool) -> Any:
        value = self.values.get(key)
        if value is None and required:
            raise SpecError(f"{self.path}.{key}", "is required")
        return value

    def section(self, key: str, allowed: set[str], required: bool = False) -> _Fields:
        return _Fields(self._get(key, required) or {}, f"{self.path}.{key}", allowed)

    def string(self, key: str, required: bool = False, pattern: str | None = None) -> str:
        value = self._get(key, required)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value):
            raise SpecError(f"{self.path}.{key}", f"must be a non-empty string, got {value!r}")
        if pattern and value and not re.search(pattern, value):
            raise SpecError(f"{self.path}.{key}", f"{value!r} does not match {pattern}")
        return value

    def choice(self, key: str, options: tuple[str, ...], required: bool = False) -> str:
        value = self._get(key, required)
        if value is not None and value not in options:
            raise SpecError(f"{self.path}.{key}", f"must be one of {', '.join(options)}, got {value!r}")
        return value or ""

    def number(self, key: str, minimum: float, maximum: float, default: float) -> float:
        value = self._get(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not minimum <= value <= maximum:
            raise SpecError(f"{self.path}.{key}", f"must be a number from {minimum} to {maximum}, got {value!r}")
        return float(value)

    def integer(self, key: str, minimum: int, default: int) -> int:
        value = self._get(key, False)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise SpecError(f"{self.path}.{key}", f"must be an integer >= {minimum}, got {value!r}")
        return value

    def boolean(self, key: str) -> bool:
        value = self._get(key, False)
        if value is not None and not isinstance(value, bool):
            raise SpecError(f"{self.path}.{key}", f"must be true or false, got {value!r}")
        return bool(value)

    def string_map(self, key: str) -> dict[str, str]:
        values = self.mapping(key) or {}
        if not all(isinstance(value, str) for value in values.values()):
            raise SpecError(f"{self.path}.{key}", "must map names to strings")
        return values

    def object_list(self, key: str) -> list[dict[str, Any]]:
        value = self._get(key, False) or []
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise SpecError(f"{self.path}.{key}", "must be a list of objects")
        return [dict(item) for item in value]

    def resources(self, key: str) -> Resources:
        """Requests and limits: Kubernetes quantities; GPUs whole, and a GPU request equal to its limit (Kubernetes
        does not overcommit extended resources)."""
        section = self.section(key, {"requests", "limits"})
        requests, limits = (section.quantities(kind) for kind in ("requests", "limits"))
        for kind, values in (("requests", requests), ("limits", limits)):
            if GPU in values and not values[GPU].isdigit():
                raise SpecError(f"{section.path}.{kind}.{GPU}", f"must be a whole number, got {values[GPU]!r}")
        if GPU in requests and GPU in limits and requests[GPU] != limits[GPU]:
            raise SpecError(f"{section.path}.requests.{GPU}", f"must equal limits.{GPU} (GPUs are not overcommitted)")
        return Resources(requests, limits)

    def quantities(self, key: str) -> dict[str, str]:
        values = self.mapping(key) or {}
        quantities = {}
        for name, value in values.items():
            text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
            if not isinstance(text, str) or not re.fullmatch(QUANTITY_PATTERN, text):
                raise SpecError(f"{self.path}.{key}.{name}", f"must be a Kubernetes quantity, got {value!r}")
            quantities[name] = text
        return quantities

    def mapping(self, key: str) -> dict[str, Any] | None:
        value = self._get(key, False)
        if value is not None and not isinstance(value, Mapping):
            raise SpecError(f"{self.path}.{key}", f"must be an object, got {type(value).__name__}")
        return None if value is None else dict(value)
