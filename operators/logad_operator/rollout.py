"""Which model the tenant's InferenceService serves, and the annotations that record it.

The operator rolls a run out itself once the run has succeeded: the predictor's ``storageUri`` and the
transformer's ``STORAGE_URI`` move in one patch. The transformer reads the model's manifest and fitted thresholds
from its own mount, so a predictor on the new model behind a transformer on the old one would judge new scores by
old thresholds. The run's Workflow is recorded on the service, so each run is rolled out once: afterwards the
predictor's model is kept as it is (a roll-back after a failed gate, a change by hand, the roll-out step of a run
in flight) and the transformer follows it.

A service created before any run has succeeded is created stopped (KServe's ``serving.kserve.io/stop``): no pods
crash-looping on an empty model folder, yet the object is there for a run's roll-out step to patch; rolling a run
out starts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from logad_operator import layout
from logad_operator.inference_service import predictor_storage_uri
from logad_operator.outcome import TrainingOutcome
from logad_operator.resources import ANNOTATION_MODEL_URI, ANNOTATION_ROLLED_OUT, ANNOTATION_STOP
from logad_operator.settings import OperatorSettings


@dataclass(frozen=True)
class Served:
    """The model the service is to serve and the annotations to set with it (``None`` removes one)."""

    storage_uri: str
    annotations: dict[str, str | None]


def served_model(
    service: dict[str, Any] | None,
    succeeded: TrainingOutcome | None,
    settings: OperatorSettings,
    namespace: str,
    name: str,
) -> Served:
    """What ``service`` (``None``: not created yet) should serve, given the latest succeeded run."""
    rolled_out = ((service or {}).get("metadata", {}).get("annotations") or {}).get(ANNOTATION_ROLLED_OUT)
    if succeeded is not None and succeeded.storage_uri and rolled_out != succeeded.workflow:
        return Served(
            succeeded.storage_uri,
            {
                ANNOTATION_ROLLED_OUT: succeeded.workflow,
                ANNOTATION_MODEL_URI: layout.model_path(settings, succeeded.storage_uri),
                ANNOTATION_STOP: None,
            },
        )
    if service is None:
        return Served(layout.storage_uri(settings, namespace, name, layout.INITIAL_RUN), {ANNOTATION_STOP: "true"})
    return Served(predictor_storage_uri(service), {})
