"""A tenant's threshold state, operators' verdicts included, is exactly what it was after a kill -9 of the
transformer, for the drift-following kinds (DTPM, SPOT, DSPOT): the restarted transformer decides as if it had
never stopped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import numpy as np
import pytest
from serving_helpers import hdfs_lines, inspect_tenant, predict_v1, send_feedback

from logad.threshold import ThresholdConfig, build_threshold, threshold_from_state


@pytest.fixture(scope="module")
def model_with_spot(artifact_factory, tmp_path_factory) -> Path:
    """The tiny baseline with SPOT and DSPOT states added: its 12 validation windows are too few for a tail
    (training records why in ``not_fitted``), so they are fitted on 1,000 beta(2, 8) scores anchored at the
    model's static threshold, as training would."""
    model = shutil.copytree(artifact_factory("baseline"), tmp_path_factory.mktemp("spot") / "model")
    anchor = json.loads((model / "logad.json").read_text())["threshold"]["value"]
    scores = np.random.default_rng(0).beta(2, 8, 1000)
    states = json.loads((model / "thresholds.json").read_text())
    for kind in ("spot", "dspot"):
        states[kind] = build_threshold(kind, ThresholdConfig(), scores, anchor=anchor).state_dict()
    (model / "thresholds.json").write_text(json.dumps(states))
    return model


@pytest.mark.parametrize("kind", ["dtpm", "spot", "dspot"])
def test_threshold_state_and_verdicts_survive_kill_9(kind, model_with_spot, synth_logs, deploy, deployed_state):
    deployment = deploy(model_with_spot, "--threshold", kind)
    url, name = deployment.transformer.url, deployment.transformer.name
    store = deployed_state(name)
    lines = hdfs_lines(synth_logs, "tenant-1", 500)
    with httpx.Client() as client:
        decided = predict_v1(client, url, name, {"instances": lines[:300], "flush": True}, "acme").json()
        assert predict_v1(client, url, name, {"instances": lines[300:400]}, "acme").json()["open_windows"] > 0
        alarm = max(decided["predictions"], key=lambda d: d["score"])
        assert send_feedback(client, url, "acme", [{"window": alarm["id"], "label": "normal"}]).status_code == 200
        before, document = inspect_tenant(client, url, "acme").json(), store.get("acme")
        assert before["threshold_kind"] == kind and before["verdicts"] == 1
        assert document.data["threshold"]["verdicts"]["count"] == 1  # the verdict is in the stored policy state

        deployment.transformer.kill()  # SIGKILL between requests: nothing runs on the way out
        deployment.transformer.start().wait_ready()
        assert inspect_tenant(client, url, "acme").json() == before
        assert store.get("acme") == document

        # The restarted transformer decides like the stored policy would have without the crash.
        rest = predict_v1(client, url, name, {"instances": lines[400:], "flush": True}, "acme").json()["predictions"]
    fitted = json.loads((model_with_spot / "thresholds.json").read_text())[kind]
    policy = threshold_from_state({**fitted, **document.data["threshold"]})
    replayed = [policy.update(d["score"]) for d in rest]
    assert len(rest) > 5
    np.testing.assert_allclose([d["threshold"] for d in rest], [r.threshold for r in replayed], rtol=1e-12)
    assert [d["anomalous"] for d in rest] == [r.anomalous for r in replayed]
