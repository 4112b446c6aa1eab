"""One reconcile of a LogDetector: bring its InferenceService in line (rolling out a run that succeeded, or rolling
the service back after a failed quality gate if the run patched it anyway), submit a run when one is due, and derive
the status. Everything is read from the cluster each time, so a repeat with nothing changed writes nothing."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from kubernetes.client.exceptions import ApiException

from logad_operator import layout
from logad_operator.compare import contains
from logad_operator.inference_service import (
    build_inference_service,
    endpoint,
    inference_service_spec,
    predictor_storage_uri,
    service_annotations,
)
from logad_operator.kube import Kube
from logad_operator.outcome import GATE_FAILED, SUCCEEDED, TrainingOutcome, by_run, training_outcome
from logad_operator.resources import (
    ANNOTATION_MODEL_URI,
    ANNOTATION_STOP,
    HELM_RELEASE_ANNOTATION,
    INFERENCE_SERVICES,
    LABEL_TENANT,
    MANAGED_BY_LABEL,
    MAX_LABEL_VALUE,
    WORKFLOWS,
    Owner,
    controller_of,
)
from logad_operator.rollout import served_model
from logad_operator.schedule import format_time, training_reason
from logad_operator.settings import OperatorSettings
from logad_operator.spec import LogDetectorSpec, SpecError, parse_spec
from logad_operator.status import Observed, derive_status
from logad_operator.templates import declared_parameters
from logad_operator.workflow import Previous, build_workflow


def reconcile(
    body: Any, kube: Kube, settings: OperatorSettings, now: dt.datetime, logger: logging.Logger
) -> dict[str, Any]:
    """Act on the LogDetector ``body`` and return its whole desired status; SpecError when the spec is unusable."""
    owner = Owner.from_body(body)
    if len(owner.name) > MAX_LABEL_VALUE:
        raise SpecError("metadata.name", f"must be at most {MAX_LABEL_VALUE} characters (it labels the children)")
    spec = parse_spec(body.get("spec") or {})
    outcomes = [training_outcome(wf) for wf in by_run(kube.list(WORKFLOWS, owner.namespace, owner.selector()))]
    last = outcomes[-1] if outcomes else None
    succeeded = next((o for o in reversed(outcomes) if o.phase == SUCCEEDED), None)
    service = _service(kube, owner, spec)
    if service is not None and last is not None and last.phase == GATE_FAILED:
        service = _roll_back(kube, service, last, logger)
    service = _ensure_service(kube, owner, spec, settings, service, succeeded, logger)
    reason = "" if any(not o.finished for o in outcomes) else training_reason(spec, last, now)
    if reason:
        last = training_outcome(_submit(kube, owner, spec, settings, service, now))
        logger.info(f"Submitted training workflow {last.workflow} ({reason}).")
    annotations = service["metadata"].get("annotations") or {}
    observed = Observed(
        generation=body["metadata"].get("generation", 0),
        latest=last,
        model_version=(succeeded.model_version if succeeded else "") or annotations.get(ANNOTATION_MODEL_URI, ""),
        endpoint=endpoint(service),
        service_ready=_ready_condition(service),
    )
    return derive_status(spec, observed, dict(body.get("status") or {}), format_time(now))


def _service(kube: Kube, owner: Owner, spec: LogDetectorSpec) -> dict[str, Any] | None:
    """The tenant's InferenceService; SpecError when this LogDetector already serves another one (detector and
    tenant are immutable), another controller owns it, or a Helm release renders it (``helm upgrade`` would put
    back the model the chart names: one owner per service)."""
    mine = kube.list(INFERENCE_SERVICES, owner.namespace, owner.selector())
    for other in mine:
        if other["metadata"]["name"] != spec.service_name:
            raise SpecError(
                "spec.tenant" if other["metadata"]["labels"].get(LABEL_TENANT) != spec.tenant else "spec.detector",
                f"cannot change: this LogDetector serves {other['metadata']['name']}; create another LogDetector",
            )
    service = mine[0] if mine else kube.get(INFERENCE_SERVICES, owner.namespace, spec.service_name)
    meta = service["metadata"] if service else {}
    if (meta.get("labels") or {}).get(MANAGED_BY_LABEL) == "Helm":
        release = (meta.get("annotations") or {}).get(HELM_RELEASE_ANNOTATION, "a Helm release")
        raise SpecError(
            "spec.tenant",
            f"InferenceService {spec.service_name} is rendered by {release} (the chart's deployments): remove it "
            "there or choose another tenant",
        )
    controller = controller_of(service) if service else None
    if controller and controller.get("uid") != owner.uid:
        raise SpecError(
            "spec.tenant",
            f"InferenceService {spec.service_name} belongs to {controller.get('kind')} {controller.get('name')}",
        )
    return service


def _ensure_service(
    kube: Kube,
    owner: Owner,
    spec: LogDetectorSpec,
    settings: OperatorSettings,
    service: dict[str, Any] | None,
    succeeded: TrainingOutcome | None,
    logger: logging.Logger,
) -> dict[str, Any]:
    """Create the InferenceService, or patch the fields the operator manages when they differ, in one patch: a
    succeeded run not rolled out yet moves predictor and transformer to its model; otherwise the transformer
    follows the predictor's model (see rollout.py)."""
    name = spec.service_name
    served = served_model(service, succeeded, settings, owner.namespace, name)
    if service is None:
        body = build_inference_service(owner, spec, settings, served.storage_uri, served.annotations)
        try:
            created = kube.create(INFERENCE_SERVICES, owner.namespace, body)
        except ApiException as exc:
            if exc.status != 409:
                raise
            existing = kube.get(INFERENCE_SERVICES, owner.namespace, name)
            return _ensure_service(kube, owner, spec, settings, existing, succeeded, logger)
        stopped = " (stopped until a run's model is rolled out)" if served.annotations.get(ANNOTATION_STOP) else ""
        logger.info(f"Created InferenceService {name} on {served.storage_uri}{stopped}.")
        return created
    if service["spec"].get("predictor", {}).get("containers"):
        raise SpecError(
            "spec.tenant",
            f"InferenceService {name} already exists with predictor containers, not the model form the pipeline's "
            "roll-out patches: delete it or choose another tenant",
        )
    metadata: dict[str, Any] = {"labels": owner.labels(spec.tenant, spec.detector)}
    if annotations := {**service_annotations(settings), **served.annotations}:
        metadata["annotations"] = annotations
    desired = {"metadata": metadata, "spec": inference_service_spec(owner, spec, settings, served.storage_uri)}
    if contains(service, desired):
        return service
    logger.info(f"Updating InferenceService {name}" + (f" to {served.storage_uri}." if served.annotations else "."))
    return kube.patch(INFERENCE_SERVICES, owner.namespace, name, desired)


def _roll_back(kube: Kube, service: dict[str, Any], failed: TrainingOutcome, logger: logging.Logger) -> dict[str, Any]:
    """Point the service back at the model it served before ``failed``, if ``failed`` rolled out its own."""
    if not failed.previous_storage_uri or predictor_storage_uri(service) != failed.storage_uri:
        return service
    meta = service["metadata"]
    logger.warning(f"Workflow {failed.workflow} failed its quality gate but rolled out; restoring the previous model.")
    patch = {
        "metadata": {"annotations": {ANNOTATION_MODEL_URI: failed.previous_model_uri or None}},
        "spec": {"predictor": {"model": {"storageUri": failed.previous_storage_uri}}},
    }
    return kube.patch(INFERENCE_SERVICES, meta["namespace"], meta["name"], patch)


def _submit(
    kube: Kube,
    owner: Owner,
    spec: LogDetectorSpec,
    settings: OperatorSettings,
    service: dict[str, Any],
    now: dt.datetime,
) -> dict[str, Any]:
    previous = Previous(
        storage_uri=predictor_storage_uri(service),
        model_uri=(service["metadata"].get("annotations") or {}).get(ANNOTATION_MODEL_URI, ""),
    )
    declared = declared_parameters(spec.detector)
    body = build_workflow(owner, spec, settings, layout.run_id(now), declared, previous)
    return kube.create(WORKFLOWS, owner.namespace, body)


def _ready_condition(service: dict[str, Any]) -> tuple[str, str, str] | None:
    for condition in (service.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status", "Unknown"), condition.get("reason", ""), condition.get("message", "")
    return None
