"""Sessions that go quiet by the wall clock are closed by the transformer itself: a tenant that stops sending still
gets every decision, logged (and alerted) as a request's would be."""

from __future__ import annotations

import time

import httpx
from serving_helpers import hdfs_lines, inspect_tenant, predict_v1

from logad.data.formats import get_format
from logad.data.windows import WindowSpec, make_windows
from logad.streaming import parse_lines


def test_quiet_sessions_are_decided_without_another_request(baseline, synth_logs, deploy):
    deployment = deploy(baseline, "--session-idle-wall-seconds", "1")
    url, name = deployment.transformer.url, deployment.transformer.name
    lines = hdfs_lines(synth_logs, "tenant-1", 300)
    records, _ = parse_lines(lines, get_format("hdfs"))
    expected = {w.id for w in make_windows(records, WindowSpec.parse(r"session:blk_-?\d+"))}
    with httpx.Client() as client:
        reply = predict_v1(client, url, name, {"instances": lines}, "quiet").json()
        assert reply["open_windows"] > 0 and len(reply["predictions"]) < len(expected)  # no flush, no idle event time
        deadline = time.monotonic() + 30
        while inspect_tenant(client, url, "quiet").json()["open_windows"] and time.monotonic() < deadline:
            time.sleep(0.25)
        state = inspect_tenant(client, url, "quiet").json()
        logged = client.get(f"{url}/logad/v1/tenants/quiet/decisions", params={"limit": 1000}).json()["decisions"]
    assert state["open_windows"] == 0 and state["lines"] == len(lines)
    assert {d["window"] for d in logged} == expected and state["windows"] == len(expected)
