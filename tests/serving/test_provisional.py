"""Provisional scores of open sessions on real servers: answered apart, marked, and never logged, counted or learnt."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import httpx
from serving_helpers import hdfs_lines, inspect_tenant, predict_v1

BLOCK = re.compile(r"blk_-?\d+")


def test_open_sessions_get_provisional_decisions_that_change_nothing_stored(baseline, synth_logs, deploy):
    deployment = deploy(baseline)
    url, name = deployment.transformer.url, deployment.transformer.name
    lines = hdfs_lines(synth_logs, "tenant-1", 400)
    with httpx.Client() as client:
        plain = predict_v1(client, url, name, {"instances": lines[:200]}, "plain").json()
        asked = predict_v1(client, url, name, {"instances": lines[:200], "provisional": 3}, "asked").json()
        assert asked["predictions"] == plain["predictions"] and "provisional" not in plain  # final ones unchanged
        assert "prefix_events" in asked["provisional_warning"] and "provisional_warning" not in plain
        guesses = {entry["id"]: entry for entry in asked["provisional"]}
        sizes = Counter(block for line in lines[:200] for block in set(BLOCK.findall(line)))
        assert set(guesses) == {block for block, size in sizes.items() if size >= 3} and guesses
        assert all(entry["provisional"] and entry["events"] == sizes[block] for block, entry in guesses.items())
        assert all(entry["anomalous"] == (entry["score"] > entry["threshold"]) for entry in guesses.values())

        after = predict_v1(client, url, name, {"instances": lines[200:210], "provisional": 1}, "asked").json()
        touched = set(BLOCK.findall(" ".join(lines[200:210])))
        assert {entry["id"] for entry in after["provisional"]} <= touched  # only sessions this request added to

        plain_state, asked_state = (inspect_tenant(client, url, t).json() for t in ("plain", "asked"))
        assert asked_state["windows"] == len(plain["predictions"]) + len(after["predictions"])
        assert asked_state["threshold"] == plain_state["threshold"]  # provisional scores teach the threshold nothing
        logged = client.get(f"{url}/logad/v1/tenants/asked/decisions", params={"limit": 1000}).json()["decisions"]
        assert len(logged) == asked_state["windows"] and not any(r["window"] in guesses for r in logged)

        for bad in (0, -2, "soon", 2.5):
            reply = predict_v1(client, url, name, {"instances": lines[:5], "provisional": bad}, "asked")
            assert reply.status_code == 400 and '"provisional" must be a whole number' in reply.json()["error"]


def test_a_model_trained_on_prefixes_serves_provisional_decisions_without_a_warning(
    baseline, synth_logs, deploy, tmp_path
):
    model = tmp_path / "model"
    shutil.copytree(baseline, model)
    manifest = json.loads((model / "logad.json").read_text())
    (model / "logad.json").write_text(json.dumps({**manifest, "data": {**manifest["data"], "prefix_events": [3]}}))
    deployment = deploy(model)
    lines = hdfs_lines(synth_logs, "tenant-1", 200)
    with httpx.Client() as client:
        url, name = deployment.transformer.url, deployment.transformer.name
        asked = predict_v1(client, url, name, {"instances": lines, "provisional": 3}, "asked").json()
    assert asked["provisional"] and "provisional_warning" not in asked
