"""Reading Workflows (succeeded, quality gate, other failures), deriving the status, and when to train."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from logad_operator.outcome import FAILED, GATE_FAILED, RUNNING, SUCCEEDED, by_run, training_outcome
from logad_operator.schedule import schedule_due, training_reason
from logad_operator.spec import parse_spec
from logad_operator.status import Observed, derive_status, invalid_status, status_changes

NOW = "2025-01-02T03:04:05Z"


def spec(**training: Any):
    return parse_spec(
        {"detector": "baseline", "tenant": "t", "data": {"logs": "/data/a.log", "format": "hdfs"}, "training": training}
    )


def workflow(status: dict[str, Any] | None = None, run: str = "20250101-020000-000000", **annotations: str) -> dict:
    return {
        "metadata": {
            "name": f"logad-t-baseline-{run[-5:]}",
            "creationTimestamp": "2025-01-01T02:00:00Z",
            "labels": {"logad.io/run": run},
            "annotations": {"logad.io/storage-uri": "pvc://d/runs/x/model", **annotations},
        },
        **({"status": status} if status is not None else {}),
    }


def nodes(*entries: tuple[str, str, str]) -> dict[str, Any]:
    return {
        f"n{i}": {"templateName": t, "displayName": t, "phase": p, "message": m} for i, (t, p, m) in enumerate(entries)
    }


def test_a_submitted_or_running_workflow_is_running():
    assert training_outcome(workflow()).phase == RUNNING
    running = training_outcome(workflow({"phase": "Running", "startedAt": "2025-01-01T02:00:01Z"}))
    assert (running.phase, running.finished, running.finished_at) == (RUNNING, False, "")
    assert running.summary()["startedAt"] == "2025-01-01T02:00:01Z"


def test_a_succeeded_workflow_may_export_its_model_version():
    done = {"phase": "Succeeded", "startedAt": "s", "finishedAt": "f"}
    assert training_outcome(workflow(done)).phase == SUCCEEDED
    exported = {**done, "outputs": {"parameters": [{"name": "model-version", "value": "baseline-2025-abc"}]}}
    assert training_outcome(workflow(exported)).model_version == "baseline-2025-abc"


def test_a_failed_evaluate_node_with_exit_code_3_is_the_quality_gate():
    status = {
        "phase": "Failed",
        "message": "child 'x' failed",
        "nodes": nodes(("prepare", "Succeeded", ""), ("evaluate", "Failed", "Error (exit code 3)")),
    }
    outcome = training_outcome(workflow(status))
    assert (outcome.phase, outcome.message) == (GATE_FAILED, "quality gate failed: Error (exit code 3)")


def test_a_retry_node_without_exit_code_does_not_hide_the_steps_code():
    retried = [("evaluate", "Failed", "No more retries left"), ("evaluate", "Failed", "Error (exit code 3)")]
    gate = training_outcome(workflow({"phase": "Failed", "nodes": nodes(*retried)}))
    assert (gate.phase, gate.message) == (GATE_FAILED, "quality gate failed: Error (exit code 3)")
    crashed = [("evaluate", "Failed", "No more retries left"), ("evaluate", "Failed", "Error (exit code 2)")]
    assert training_outcome(workflow({"phase": "Failed", "nodes": nodes(*crashed)})).phase == FAILED
    unknown = training_outcome(workflow({"phase": "Failed", "nodes": nodes(("evaluate", "Failed", ""))}))
    assert (unknown.phase, unknown.message) == (GATE_FAILED, "quality gate failed")


def test_other_failures_are_failures():
    crashed = {"phase": "Failed", "nodes": nodes(("evaluate", "Failed", "Error (exit code 2)"))}
    assert training_outcome(workflow(crashed)).phase == FAILED
    train = {"phase": "Error", "nodes": nodes(("train", "Error", "pod deleted"))}
    outcome = training_outcome(workflow(train))
    assert (outcome.phase, outcome.message) == (FAILED, "train: pod deleted")
    assert training_outcome(workflow({"phase": "Failed", "message": "OOMKilled"})).message == "OOMKilled"


def test_workflows_are_ordered_by_run():
    late, early = workflow(run="20250102-000000-000000"), workflow(run="20250101-000000-000000")
    assert by_run([late, early]) == [early, late]


def observed(status: dict[str, Any] | None, model: str = "", ready: tuple[str, str, str] | None = None) -> Observed:
    latest = training_outcome(workflow(status)) if status is not None else None
    return Observed(generation=4, latest=latest, model_version=model, endpoint="http://svc", service_ready=ready)


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def test_status_follows_the_training_runs():
    pending = derive_status(spec(), observed(None), {}, NOW)
    assert (pending["phase"], pending["observedGeneration"]) == ("Pending", 4)
    assert conditions(pending) == {"Ready": ("False", "NoModel"), "Trained": ("Unknown", "NotTrained")}
    assert "lastTraining" not in pending and "endpoint" not in pending

    training = derive_status(spec(), observed({"phase": "Running"}), {}, NOW)
    assert training["phase"] == "Training" and training["lastTraining"]["phase"] == "Running"

    serving = derive_status(spec(), observed({"phase": "Succeeded"}, "/data/m", ("True", "", "")), {}, NOW)
    assert (serving["phase"], serving["modelVersion"], serving["endpoint"]) == ("Serving", "/data/m", "http://svc")
    assert conditions(serving) == {"Ready": ("True", "ModelServed"), "Trained": ("True", "TrainingSucceeded")}

    gate = {"phase": "Failed", "nodes": nodes(("evaluate", "Failed", "exit code 3"))}
    gated = derive_status(spec(), observed(gate, "/data/m"), {}, NOW)
    assert (gated["phase"], gated["modelVersion"]) == ("GateFailed", "/data/m")
    assert conditions(gated)["Trained"] == ("False", "QualityGateFailed")
    assert conditions(gated)["Ready"] == ("Unknown", "WaitingForInferenceService")

    failed = derive_status(spec(), observed({"phase": "Error", "message": "boom"}), {}, NOW)
    assert failed["phase"] == "Failed" and failed["lastTraining"]["result"] == "boom"


def test_unchanged_status_is_not_patched_and_transitions_keep_their_time():
    ready = ("True", "", "")
    first = derive_status(spec(), observed({"phase": "Succeeded"}, "/data/m", ready), {}, "2025-01-01T00:00:00Z")
    again = derive_status(spec(), observed({"phase": "Succeeded"}, "/data/m", ready), first, NOW)
    assert again == first and status_changes(first, again) == {}
    gate = {"phase": "Failed", "nodes": nodes(("evaluate", "Failed", "exit code 3"))}
    gated = derive_status(spec(), observed(gate, "/data/m", ready), first, NOW)
    times = {c["type"]: c["lastTransitionTime"] for c in gated["conditions"]}
    assert times == {"Ready": "2025-01-01T00:00:00Z", "Trained": NOW}  # the old model still serves
    assert set(status_changes(first, gated)) == {"phase", "lastTraining", "conditions"}


def test_an_invalid_spec_fails_and_keeps_what_was_served():
    serving = derive_status(spec(), observed({"phase": "Succeeded"}, "/data/m"), {}, NOW)
    bad = invalid_status("spec.tenant: nope", 5, serving, NOW)
    assert (bad["phase"], bad["observedGeneration"], bad["modelVersion"]) == ("Failed", 5, "/data/m")
    assert conditions(bad) == {"Ready": ("False", "InvalidSpec"), "Trained": ("True", "TrainingSucceeded")}


def test_pinned_and_suspended_detectors_say_why_nothing_trains():
    pinned = replace(spec(), model_version="v1")
    assert conditions(derive_status(pinned, observed(None), {}, NOW))["Trained"] == ("Unknown", "Pinned")
    assert conditions(derive_status(spec(suspend=True), observed(None), {}, NOW))["Trained"] == ("Unknown", "Suspended")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_a_schedule_is_due_from_its_first_time_after_the_last_start():
    last = at("2025-01-01T02:00:00")
    assert not schedule_due("0 2 * * *", last, at("2025-01-02T01:59:59"))
    assert schedule_due("0 2 * * *", last, at("2025-01-02T02:00:00"))
    assert not schedule_due("*/15 * * * *", at("2025-01-01T02:07:00"), at("2025-01-01T02:14:00"))
    assert schedule_due("*/15 * * * *", at("2025-01-01T02:07:00"), at("2025-01-01T02:15:00"))


@pytest.mark.parametrize(
    ("training", "status", "now", "reason"),
    [
        ({}, None, "2025-01-01T03:00:00", "first training"),
        ({"suspend": True}, None, "2025-01-01T03:00:00", ""),
        ({"schedule": "0 2 * * *"}, {"phase": "Running"}, "2025-01-05T03:00:00", ""),  # never two at once
        ({"schedule": "0 2 * * *"}, {"phase": "Succeeded"}, "2025-01-02T01:00:00", ""),
        ({"schedule": "0 2 * * *"}, {"phase": "Succeeded"}, "2025-01-02T02:00:00", "schedule '0 2 * * *'"),
        ({"schedule": "0 2 * * *", "suspend": True}, {"phase": "Succeeded"}, "2025-01-03T02:00:00", ""),
        ({}, {"phase": "Failed"}, "2025-01-09T00:00:00", ""),  # the same inputs are not retried
    ],
)
def test_when_to_train(training: dict[str, Any], status: dict[str, Any] | None, now: str, reason: str):
    s = spec(**training)
    latest = training_outcome(workflow(status, **{"logad.io/training-hash": s.training_hash()})) if status else None
    assert training_reason(s, latest, at(now)) == reason


def test_changed_inputs_train_again_unless_pinned():
    old = training_outcome(workflow({"phase": "Failed"}, **{"logad.io/training-hash": spec().training_hash()}))
    changed = spec(minF1=0.9)
    assert training_reason(changed, old, at("2025-01-01T03:00:00")) == "training inputs changed"
    assert training_reason(replace(changed, model_version="v1"), old, at("2025-01-01T03:00:00")) == ""
