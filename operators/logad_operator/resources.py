"""API coordinates, label and annotation keys, and owner references shared by the builders and the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kind:
    """A custom resource the operator reads or writes: API group, version, plural and kind."""

    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


LOG_DETECTORS = Kind("logad.io", "v1alpha1", "logdetectors", "LogDetector")
INFERENCE_SERVICES = Kind("serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService")
WORKFLOWS = Kind("argoproj.io", "v1alpha1", "workflows", "Workflow")

MANAGED_BY = "logad-operator"
LABEL_NAME = "logad.io/logdetector"
LABEL_UID = "logad.io/logdetector-uid"
LABEL_TENANT = "logad.io/tenant"
LABEL_RUN = "logad.io/run"
MAX_LABEL_VALUE = 63
# Set by the pipeline's roll-out step on the InferenceService: the model folder it now serves.
ANNOTATION_MODEL_URI = "logad.io/model-uri"
# Written on each Workflow at submission, so that its outcome can be judged (and rolled back) from it alone.
ANNOTATION_TRAINING_HASH = "logad.io/training-hash"
ANNOTATION_STORAGE_URI = "logad.io/storage-uri"
ANNOTATION_PREVIOUS_STORAGE_URI = "logad.io/previous-storage-uri"
ANNOTATION_PREVIOUS_MODEL_URI = "logad.io/previous-model-uri"
# Set by the operator on the InferenceService when it rolls a run out: that run's Workflow (each is rolled out once).
ANNOTATION_ROLLED_OUT = "logad.io/rolled-out-workflow"
# KServe (>= 0.15): "true" keeps the InferenceService but runs none of its pods.
ANNOTATION_STOP = "serving.kserve.io/stop"
# The label Helm's charts (this one's included) put on what a release renders: such an object has its owner.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
HELM_RELEASE_ANNOTATION = "meta.helm.sh/release-name"


@dataclass(frozen=True)
class Owner:
    """The LogDetector that owns the objects being built."""

    name: str
    namespace: str
    uid: str

    @classmethod
    def from_body(cls, body: Any) -> Owner:
        meta = body["metadata"]
        return cls(meta["name"], meta["namespace"], meta["uid"])

    def reference(self) -> dict[str, Any]:
        """An owner reference making the child garbage-collected with the LogDetector."""
        return {
            "apiVersion": LOG_DETECTORS.api_version,
            "kind": LOG_DETECTORS.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def selector(self) -> dict[str, str]:
        """Labels that find this LogDetector's Workflows (the uid tells a re-created namesake apart)."""
        return {LABEL_UID: self.uid}

    def labels(self, tenant: str, detector: str) -> dict[str, str]:
        """Labels put on every child object."""
        return {
            "app.kubernetes.io/part-of": "logad",
            MANAGED_BY_LABEL: MANAGED_BY,
            LABEL_NAME: self.name,
            LABEL_UID: self.uid,
            LABEL_TENANT: tenant,
            "logad.io/detector": detector,
        }


def owned_by(obj: dict[str, Any], uid: str) -> bool:
    """Whether ``obj`` has an owner reference to the object with ``uid``."""
    return any(ref.get("uid") == uid for ref in obj.get("metadata", {}).get("ownerReferences") or [])


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The owner reference marked ``controller``, if any."""
    refs = obj.get("metadata", {}).get("ownerReferences") or []
    return next((ref for ref in refs if ref.get("controller")), None)
