"""The operator loop against kmock's Kubernetes API: kopf runs the real handlers; the test plays Argo (Workflow
status) and the pipeline's roll-out step (the generated template's JSON patch, applied to the InferenceService), as
the cluster would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonpatch
import numpy as np
import pytest
import yaml
from operator_kmock import NAMESPACE, ApiServer, eventually, operator

from k8s_rules import argo
from logad.kb import KBConfig, KnowledgeBase, collection_name
from logad_operator.resources import (
    ANNOTATION_MODEL_URI,
    ANNOTATION_ROLLED_OUT,
    ANNOTATION_STOP,
    INFERENCE_SERVICES,
    LOG_DETECTORS,
    WORKFLOWS,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.kmock(cls=ApiServer)]
GENERATED = Path(__file__).resolve().parents[2] / "pipelines" / "generated"


def logdetector(name: str, detector: str, tenant: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "logad.io/v1alpha1",
        "kind": "LogDetector",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "detector": detector,
            "tenant": tenant,
            "data": {"logs": "/data/in/HDFS.log", "format": "hdfs", "labels": "/data/in/anomaly_label.csv"},
            **spec,
        },
    }


def phase(client: Any, name: str, expected: str) -> dict[str, Any] | None:
    obj = client.detector(name)
    return obj if obj and obj.get("status", {}).get("phase") == expected else None


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == kind)


def seed_knowledge_base(uri: Path) -> KBConfig:
    """A LogSentry collection holding rows of team-a (to be dropped) and team-b (to be kept)."""
    config = KBConfig(uri=str(uri), index_type="FLAT")
    with KnowledgeBase.open(config, collection_name("logsentry", "v1"), "v1", dim=4) as kb:
        vectors = np.eye(4, dtype=np.float32)
        kb.write("team-a", "train", ["a1", "a2"], ["a1", "a2"], vectors[:2], [0, 1])
        kb.write("team-b", "train", ["b1", "b2"], ["b1", "b2"], vectors[2:], [0, 1])
    return config


def tenant_rows(config: KBConfig, tenant: str) -> int:
    with KnowledgeBase.open(config, collection_name("logsentry", "v1"), "v1") as kb:
        return kb.count(tenant)


async def test_train_serve_gate_and_delete(kmock: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    kb = seed_knowledge_base(tmp_path / "kb.db")
    monkeypatch.setenv("LOGAD_MILVUS_URI", kb.uri)
    spec = {"training": {"minF1": 0.5, "config": {"epochs": 1}}, "serving": {"threshold": "ewma", "replicas": 2}}
    async with operator(kmock, tmp_path, monkeypatch) as client:
        created = await client.create(LOG_DETECTORS, logdetector("hdfs", "logsentry", "team-a", **spec))
        uid = created["metadata"]["uid"]

        # Created: the InferenceService and one training Workflow, status Training.
        await eventually(lambda: phase(client, "hdfs", "Training"), what="phase Training")
        service = client.service("logad-team-a-logsentry")
        assert service["metadata"]["ownerReferences"][0]["uid"] == uid
        assert service["metadata"]["annotations"] == {ANNOTATION_STOP: "true"}  # no model yet: no pods to crash-loop
        model = service["spec"]["predictor"]["model"]
        assert "args" not in model  # the ServingRuntime's args run the server; KServe would append these
        assert model["storageUri"] == f"pvc://logad-data/runs/{NAMESPACE}/logad-team-a-logsentry/initial/model"
        assert {"name": "LOGAD_MILVUS_URI", "value": kb.uri} in model["env"]
        transformer = service["spec"]["transformer"]["containers"][0]
        args = transformer["args"]
        assert args[args.index("--threshold") + 1] == "ewma"
        (first,) = client.workflows()
        assert first["metadata"]["generateName"] == "logad-team-a-logsentry-"
        assert first["metadata"]["ownerReferences"][0]["uid"] == uid
        assert first["spec"]["workflowTemplateRef"] == {"name": "logad-train-logsentry"}
        params = {p["name"]: p["value"] for p in first["spec"]["arguments"]["parameters"]}
        assert params["tenant"] == "team-a" and params["min_f1"] == "0.5"
        assert json.loads(params["config"]) == {"epochs": 1}  # inline: no file on a claim to share

        # Argo succeeds; the roll-out step has pointed the InferenceService at the new model.
        rolled_out = first["metadata"]["annotations"]["logad.io/storage-uri"]
        await roll_out(client, first)
        assert storage_env(client.service("logad-team-a-logsentry")) == rolled_out  # the step moves both
        await finish(client, first, "Succeeded")
        serving = await eventually(lambda: phase(client, "hdfs", "Serving"), what="phase Serving")
        assert serving["status"]["modelVersion"] == f"{params['workdir']}/model"
        assert serving["status"]["endpoint"] == f"http://logad-team-a-logsentry.{NAMESPACE}.svc.cluster.local"
        assert condition(serving, "Trained")["status"] == "True"
        assert serving["status"]["lastTraining"]["workflow"] == first["metadata"]["name"]
        await eventually(
            lambda: storage_env(client.service("logad-team-a-logsentry")) == rolled_out, what="transformer follows"
        )
        annotations = client.service("logad-team-a-logsentry")["metadata"]["annotations"]
        assert ANNOTATION_STOP not in annotations and annotations[ANNOTATION_ROLLED_OUT] == first["metadata"]["name"]

        # Nothing changes: reconciles keep running but create and patch nothing.
        before, reads = client.versions(), client.reads(WORKFLOWS)
        await eventually(lambda: client.reads(WORKFLOWS) >= reads + 3, what="three more reconciles")
        assert client.versions() == before

        # A changed training input trains again; the quality gate fails, but the run rolled out regardless.
        await client.patch(LOG_DETECTORS, "hdfs", {"spec": {"training": {"minF1": 0.9}}})
        await eventually(lambda: len(client.workflows()) == 2, what="a second Workflow")
        second = client.workflows()[-1]
        await roll_out(client, second)
        await finish(client, second, "Failed", evaluate_message="Error (exit code 3)")
        gated = await eventually(lambda: phase(client, "hdfs", "GateFailed"), what="phase GateFailed")
        assert condition(gated, "Trained")["reason"] == "QualityGateFailed"
        await eventually(
            lambda: served(client.service("logad-team-a-logsentry")) == rolled_out, what="the previous model restored"
        )
        restored = client.service("logad-team-a-logsentry")
        assert restored["metadata"]["annotations"][ANNOTATION_MODEL_URI] == f"{params['workdir']}/model"
        assert gated["status"]["modelVersion"] == f"{params['workdir']}/model"
        reads = client.reads(WORKFLOWS)
        await eventually(lambda: client.reads(WORKFLOWS) >= reads + 3, what="three more reconciles")
        assert len(client.workflows()) == 2  # the same inputs are not retried

        # Deletion: the finalizer drops the tenant's knowledge-base rows; owned children are left to the GC.
        await client.delete(LOG_DETECTORS, "hdfs")
        await eventually(lambda: client.detector("hdfs") is None, what="the LogDetector deleted")
        assert client.service("logad-team-a-logsentry") is not None  # owned: Kubernetes' GC deletes it
    assert (tenant_rows(kb, "team-a"), tenant_rows(kb, "team-b")) == (0, 2)


async def test_a_succeeded_run_moves_predictor_and_transformer_together(
    kmock: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The operator rolls a succeeded run out itself, in one patch: the transformer reads the fitted thresholds of
    the model it mounts, so it must never judge the new model's scores with the old model's state. A run's own
    roll-out step may be skipped (a run without a tenant, or a template without the step); a change it did not
    submit is not its to undo, and a run is rolled out once."""
    async with operator(kmock, tmp_path, monkeypatch) as client:
        await client.create(LOG_DETECTORS, logdetector("c", "baseline", "team-c"))
        await eventually(lambda: phase(client, "c", "Training"), what="phase Training")
        (first,) = client.workflows()
        await finish(client, first, "Succeeded")  # its roll-out step skipped: the operator rolls it out
        first_model = first["metadata"]["annotations"]["logad.io/storage-uri"]
        await eventually(lambda: phase(client, "c", "Serving"), what="phase Serving")
        await eventually(
            lambda: ANNOTATION_STOP not in client.service("logad-team-c-baseline")["metadata"]["annotations"],
            what="the service started",
        )
        service = client.service("logad-team-c-baseline")
        assert served(service) == storage_env(service) == first_model
        assert service["metadata"]["annotations"][ANNOTATION_MODEL_URI].endswith("/model")
        for version in client.history(INFERENCE_SERVICES, "logad-team-c-baseline"):
            assert served(version) == storage_env(version), "predictor and transformer on different models"

        by_hand = "pvc://logad-data/models/by-hand"
        await client.patch(
            INFERENCE_SERVICES, "logad-team-c-baseline", {"spec": {"predictor": {"model": {"storageUri": by_hand}}}}
        )
        await eventually(lambda: storage_env(client.service("logad-team-c-baseline")) == by_hand, what="followed")
        assert served(client.service("logad-team-c-baseline")) == by_hand  # not rolled back to the run's model


async def test_a_service_the_chart_renders_is_not_taken_over(
    kmock: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """One owner per InferenceService: a Helm release's would be put back by `helm upgrade` after every roll-out."""
    async with operator(kmock, tmp_path, monkeypatch) as client:
        chart_model = {"predictor": {"model": {"storageUri": "pvc://logad-data/models/team-f"}}}
        metadata = {
            "name": "logad-team-f-baseline",
            "labels": {"app.kubernetes.io/managed-by": "Helm"},
            "annotations": {"meta.helm.sh/release-name": "logad"},
        }
        await client.create(INFERENCE_SERVICES, {"metadata": metadata, "spec": chart_model})
        await client.create(LOG_DETECTORS, logdetector("f", "baseline", "team-f"))
        refused = await eventually(lambda: phase(client, "f", "Failed"), what="phase Failed")
        assert "rendered by logad" in condition(refused, "Ready")["message"]
        assert client.service("logad-team-f-baseline")["spec"] == chart_model and client.workflows() == []


async def test_an_existing_service_is_adopted_in_place_and_deleted_with_it(
    kmock: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("LOGAD_MILVUS_URI", raising=False)
    async with operator(kmock, tmp_path, monkeypatch) as client:
        legacy = "pvc://logad-data/legacy/model"
        await client.create(
            INFERENCE_SERVICES,
            {"metadata": {"name": "logad-team-b-baseline"}, "spec": {"predictor": {"model": {"storageUri": legacy}}}},
        )
        await client.create(LOG_DETECTORS, logdetector("b", "baseline", "team-b", training={"suspend": True}))
        pending = await eventually(lambda: phase(client, "b", "Pending"), what="phase Pending")
        assert condition(pending, "Trained")["reason"] == "Suspended"
        service = await eventually(
            lambda: (s := client.service("logad-team-b-baseline")) and "transformer" in s["spec"] and s,
            what="the service updated",
        )
        assert service["spec"]["predictor"]["model"]["storageUri"] == legacy
        assert storage_env(service) == legacy
        assert "ownerReferences" not in service["metadata"]
        assert client.workflows() == []  # suspended

        await client.delete(LOG_DETECTORS, "b")
        await eventually(lambda: client.detector("b") is None, what="the LogDetector deleted")
        assert client.service("logad-team-b-baseline") is None


async def test_an_invalid_spec_fails_until_fixed(kmock: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    async with operator(kmock, tmp_path, monkeypatch) as client:
        await client.create(LOG_DETECTORS, logdetector("bad", "baseline", "Team_A"))
        failed = await eventually(lambda: phase(client, "bad", "Failed"), what="phase Failed")
        ready = condition(failed, "Ready")
        assert (ready["reason"], ready["message"].split(":")[0]) == ("InvalidSpec", "spec.tenant")
        assert client.all(INFERENCE_SERVICES) == [] and client.workflows() == []

        await client.patch(LOG_DETECTORS, "bad", {"spec": {"tenant": "team-c"}})
        await eventually(lambda: phase(client, "bad", "Training"), what="phase Training after the fix")
        assert client.service("logad-team-c-baseline") is not None
        assert len(client.workflows()) == 1


async def test_what_it_cannot_manage_is_refused(kmock: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    async with operator(kmock, tmp_path, monkeypatch) as client:
        custom = {"predictor": {"containers": [{"name": "kserve-container", "image": "other"}]}}
        await client.create(INFERENCE_SERVICES, {"metadata": {"name": "logad-team-d-baseline"}, "spec": custom})
        await client.create(LOG_DETECTORS, logdetector("d", "baseline", "team-d"))
        await client.create(LOG_DETECTORS, logdetector("n" * 64, "baseline", "team-e"))
        refused = await eventually(lambda: phase(client, "d", "Failed"), what="phase Failed")
        assert "predictor containers" in condition(refused, "Ready")["message"]
        too_long = await eventually(lambda: phase(client, "n" * 64, "Failed"), what="phase Failed")
        assert condition(too_long, "Ready")["message"].startswith("metadata.name: ")
        assert client.service("logad-team-d-baseline")["spec"] == custom
        assert client.service("logad-team-e-baseline") is None and client.workflows() == []

        for name in ("d", "n" * 64):  # a failed LogDetector is deleted, and what it did not manage stays
            await client.delete(LOG_DETECTORS, name)
        await eventually(lambda: client.all(LOG_DETECTORS) == [], what="both deleted")
        assert client.service("logad-team-d-baseline")["spec"] == custom


async def roll_out(client: Any, workflow: dict[str, Any]) -> None:
    """What the run's roll-out step does: the generated template's JSON patch, the run's parameters substituted as
    Argo substitutes them, applied to the InferenceService it names (kmock takes merge patches: the changed parts)."""
    template = yaml.safe_load((GENERATED / "logsentry.yaml").read_text())
    params = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}
    (step,) = [t for t in argo.substitute(template, params)["spec"]["templates"] if t["name"] == "roll-out"]
    name = step["resource"]["flags"][1]
    patched = jsonpatch.apply_patch(client.service(name), yaml.safe_load(step["resource"]["manifest"]))
    changed = {key: patched["spec"][key] for key in ("predictor", "transformer")}
    await client.patch(
        INFERENCE_SERVICES, name, {"metadata": {"annotations": patched["metadata"]["annotations"]}, "spec": changed}
    )


async def finish(client: Any, workflow: dict[str, Any], result: str, evaluate_message: str = "") -> None:
    """What Argo reports when a Workflow ends (with a failed evaluate node when ``evaluate_message`` is given)."""
    status: dict[str, Any] = {
        "phase": result,
        "startedAt": "2025-01-01T00:00:00Z",
        "finishedAt": "2025-01-01T01:00:00Z",
    }
    if evaluate_message:
        status["message"] = "child failed"
        status["nodes"] = {
            "n1": {"templateName": "prepare", "phase": "Succeeded"},
            "n2": {"templateName": "evaluate", "phase": "Failed", "message": evaluate_message},
        }
    await client.patch(WORKFLOWS, workflow["metadata"]["name"], {"status": status})


def served(service: dict[str, Any]) -> str:
    """The predictor's model."""
    return service["spec"]["predictor"]["model"]["storageUri"]


def storage_env(service: dict[str, Any]) -> str:
    """The transformer's model."""
    env = service["spec"]["transformer"]["containers"][0]["env"]
    return next(e["value"] for e in env if e["name"] == "STORAGE_URI")
