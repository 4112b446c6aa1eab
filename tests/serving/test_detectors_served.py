"""Every detector behind the real servers: v1 and v2 calls through the transformer to the predictor."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
from serving_helpers import DETECTORS, hdfs_lines, predict_v1

from logad.data.formats import get_format
from logad.data.windows import WindowSpec, make_windows
from logad.streaming import parse_lines

# What each detector's explanation must hold (the issue: neighbours, worst positions, answer probability).
EXPLANATION_KEYS = {
    "baseline": set(),
    "bertloganom": {"top_g", "surprisal", "max_surprisal", "distance", "missed"},
    "deeplog": {"miss", "missed"},
    "logsentry": {"p_model"},
    "logllm": {"p_anomalous"},
}


def _v2_lines(lines: list[str], **parameters) -> dict:
    return {
        "inputs": [{"name": "lines", "shape": [len(lines)], "datatype": "BYTES", "data": lines}],
        "parameters": parameters,
    }


def _v2_decisions(body: dict) -> list[dict]:
    columns = {output["name"]: output["data"] for output in body["outputs"]}
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


@pytest.mark.parametrize("detector", DETECTORS)
@pytest.mark.parametrize("protocol", ["v1", "v2"])
def test_raw_lines_become_thresholded_decisions_matching_the_predictor(
    detector, protocol, artifact_factory, synth_logs, deploy
):
    assert detector in EXPLANATION_KEYS, f"add {detector!r}'s explanation keys to EXPLANATION_KEYS"
    model = artifact_factory(detector)
    deployment = deploy(model, protocol=protocol)  # the transformer talks to the predictor in this protocol
    name, url = deployment.transformer.name, deployment.transformer.url
    lines = hdfs_lines(synth_logs, "tenant-1", 400)
    with httpx.Client() as client:
        first = predict_v1(client, url, name, {"instances": lines[:250]}, "acme")
        assert first.status_code == 200, first.text
        assert first.json()["open_windows"] > 0 and first.json()["predictions"] == []  # sessions still open
        rest = client.post(
            f"{url}/v2/models/{name}/infer",
            json=_v2_lines(lines[250:], flush=True),
            headers={"X-Tenant-Id": "acme"},
            timeout=120,
        )
        assert rest.status_code == 200, rest.text
        decisions = _v2_decisions(rest.json())
        assert rest.json()["parameters"]["open_windows"] == 0

        records, problems = parse_lines(lines, get_format("hdfs"))
        offline = make_windows(
            records, WindowSpec.parse(json.loads((model / "logad.json").read_text())["data"]["window"])
        )
        assert not problems and sorted(d["id"] for d in decisions) == sorted(w.id for w in offline)
        by_id = {w.id: w for w in offline}
        assert all(d["events"] == len(by_id[d["id"]]) for d in decisions)

        # The predictor, called directly with the same windows, gives the same scores and explanations.
        windows = [
            {"id": w.id, "messages": w.messages, "timestamps": w.timestamps}
            for w in (by_id[d["id"]] for d in decisions)
        ]
        direct = predict_v1(client, deployment.predictor.url, name, {"instances": windows, "explain": True}, "acme")
        assert direct.status_code == 200, direct.text
        predictions = direct.json()["predictions"]
        np.testing.assert_allclose([d["score"] for d in decisions], [p["score"] for p in predictions], rtol=1e-5)
        explanations = [json.loads(d["explanation"]) for d in decisions]
        assert all(EXPLANATION_KEYS[detector] <= set(e) for e in explanations)
        assert all(EXPLANATION_KEYS[detector] <= set(p["explanation"]) for p in predictions)

        # Each decision used the threshold in force before its score; the tenant's state moved accordingly.
        assert all(d["anomalous"] == (d["score"] > d["threshold"]) for d in decisions)
        state = client.get(f"{url}/logad/v1/tenants/acme/threshold", headers={"X-Tenant-Id": "acme"}).json()
        assert state["windows"] == len(decisions) and state["lines"] == len(lines) and state["open_windows"] == 0
        assert state["anomalous"] == sum(d["anomalous"] for d in decisions)
