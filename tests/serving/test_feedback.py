"""Operators' feedback on real servers: verdicts move a tenant's threshold, are logged with the decision, survive
restarts, and every bad request is refused before anything changes; the `logad feedback` command."""

from __future__ import annotations

import json

import httpx
from serving_helpers import bearer, hdfs_lines, inspect_tenant, predict_v1, send_feedback

from logad.cli import main


def _decide(client: httpx.Client, url: str, name: str, lines: list[str], tenant: str, **headers: str) -> list[dict]:
    reply = predict_v1(client, url, name, {"instances": lines, "flush": True}, tenant, **headers)
    assert reply.status_code == 200, reply.text
    return reply.json()["predictions"]


def test_a_false_alarm_raises_and_a_missed_anomaly_lowers_the_threshold_across_a_restart(
    baseline, synth_logs, deploy, deployed_state
):
    deployment = deploy(baseline)
    url, name = deployment.transformer.url, deployment.transformer.name
    lines = hdfs_lines(synth_logs, "tenant-1", 400)
    with httpx.Client() as client:
        decisions = {tenant: _decide(client, url, name, lines, tenant) for tenant in ("acme", "globex")}
        before = {tenant: inspect_tenant(client, url, tenant).json() for tenant in decisions}

        # acme: its highest-scored window was a false alarm.
        alarm = max(decisions["acme"], key=lambda d: d["score"])
        assert alarm["anomalous"]
        raised = send_feedback(
            client, url, "acme", [{"window": alarm["id"], "label": "normal"}], **{"X-Tenant-Id": "acme"}
        )
        assert raised.status_code == 200, raised.text
        assert raised.json() | {"threshold": None} == {
            "tenant": "acme",
            "applied": 1,
            "threshold": None,
            "verdicts": 1,
            "state_version": before["acme"]["state_version"] + 1,
        }
        assert raised.json()["threshold"] >= alarm["score"] > before["acme"]["threshold"]
        again = _decide(client, url, name, lines, "acme")  # the same windows again: that score no longer alarms
        assert not [d for d in again if d["anomalous"] and d["score"] <= alarm["score"]]

        # globex: its lowest-scored window was a missed anomaly.
        missed = min(decisions["globex"], key=lambda d: d["score"])
        assert not missed["anomalous"]
        lowered = send_feedback(client, url, "globex", [{"window": missed["id"], "label": "anomalous"}]).json()
        assert lowered["threshold"] < missed["score"] < before["globex"]["threshold"]

        after = {tenant: inspect_tenant(client, url, tenant).json() for tenant in decisions}
        assert after["acme"]["verdicts"] == after["acme"]["feedback"] == 1
        assert after["globex"]["threshold"] == lowered["threshold"]

        deployment.transformer.stop()
        deployment.transformer.start().wait_ready()
        assert {tenant: inspect_tenant(client, url, tenant).json() for tenant in decisions} == after

    logged = deployed_state(name).decisions("acme", limit=1000)
    assert sorted(r["window"] for r in logged) == sorted(d["id"] for d in decisions["acme"] + again)  # each once
    latest, judged = [r for r in logged if r["window"] == alarm["id"]]  # newest first: the window came twice
    assert "verdict" not in latest  # the verdict stays on the decision it was given for
    assert judged["verdict"] == "normal" and judged["score"] == alarm["score"] and judged["anomalous"] is True
    assert judged["events"] == alarm["events"] and judged["model_version"] == after["acme"]["model_version"]
    assert "messages" not in judged  # the baseline does not learn from feedback: no need to keep them


def test_feedback_is_refused_before_anything_changes(baseline, synth_logs, deploy, tokens_dir, deployed_state):
    deployment = deploy(baseline, "--tokens-dir", str(tokens_dir))
    url, name = deployment.transformer.url, deployment.transformer.name
    auth_a, auth_b = bearer("team-a"), bearer("team-b")
    with httpx.Client() as client:
        a_window = _decide(client, url, name, hdfs_lines(synth_logs, "tenant-1", 200), "team-a", **auth_a)[0]["id"]
        b_window = _decide(client, url, name, hdfs_lines(synth_logs, "tenant-0", 200), "team-b", **auth_b)[0]["id"]
        store = deployed_state(name)
        # A decision the model served before this one: its score lives on another scale.
        current = store.get("team-a")
        stale = {"window": "blk_old", "score": 0.5, "model_version": "baseline-older", "anomalous": False}
        store.put("team-a", current.data, current.version, append=[stale])

        def snapshot() -> tuple:
            states = [inspect_tenant(client, url, t, **h).json() for t, h in (("team-a", auth_a), ("team-b", auth_b))]
            return states, store.decisions("team-a"), store.decisions("team-b")

        before = snapshot()
        verdict = {"window": a_window, "label": "normal"}
        cases = [
            ("B on A's window", "team-b", auth_b, {"json": {"feedback": [verdict]}}, 404, repr(a_window)),
            ("B's token for A", "team-a", auth_b, {"json": {"feedback": [verdict]}}, 401, "wrong token"),
            ("no token", "team-a", {}, {"json": {"feedback": [verdict]}}, 401, "Authorization"),
            (
                "unknown window",
                "team-a",
                auth_a,
                {"json": {"feedback": [{"window": "blk_1", "label": "normal"}]}},
                404,
                "'blk_1' is not in this tenant's decision log",
            ),
            (
                "one good, one unknown",
                "team-a",
                auth_a,
                {"json": {"feedback": [verdict, {"window": b_window, "label": "normal"}]}},
                404,
                f"feedback[1]: window {b_window!r}",
            ),
            (
                "other model version",
                "team-a",
                auth_a,
                {"json": {"feedback": [{"window": "blk_old", "label": "normal"}]}},
                409,
                "model version 'baseline-older'",
            ),
            (
                "bad label",
                "team-a",
                auth_a,
                {"json": {"feedback": [{"window": a_window, "label": "fine"}]}},
                422,
                "feedback[0].label",
            ),
            (
                "missing label",
                "team-a",
                auth_a,
                {"json": {"feedback": [verdict, {"window": a_window}]}},
                422,
                "feedback[1].label",
            ),
            (
                "missing window",
                "team-a",
                auth_a,
                {"json": {"feedback": [{"label": "normal"}]}},
                422,
                "feedback[0].window",
            ),
            ("unknown field", "team-a", auth_a, {"json": {"feedback": [verdict | {"why": "x"}]}}, 422, "why"),
            ("empty list", "team-a", auth_a, {"json": {"feedback": []}}, 422, "non-empty list"),
            ("not an object", "team-a", auth_a, {"json": [verdict]}, 422, '{"feedback": [...]}'),
            ("malformed JSON", "team-a", auth_a, {"content": b'{"feedback": ['}, 422, "not JSON"),
        ]
        for label, tenant, headers, request, status, text in cases:
            reply = client.post(f"{url}/logad/v1/tenants/{tenant}/feedback", headers=headers, **request)
            assert reply.status_code == status, (label, reply.text)
            assert text in reply.json()["error"], (label, reply.text)
        assert snapshot() == before  # no refused request touched either tenant's state or log

        # The predictor's knowledge route checks its body, and a detector that cannot learn says so.
        knowledge = f"{deployment.predictor.url}/logad/v1/tenants/team-a/knowledge"
        window = {"id": a_window, "messages": ["a"], "label": 0}
        for request, status, text in (
            ({"json": {"windows": [window]}}, 400, "does not learn from feedback"),
            ({"json": {"windows": [window | {"label": None}]}}, 422, "windows[0] needs a label"),
            ({"json": {"windows": [window]}, "headers": {"X-Tenant-Id": "team-b"}}, 400, "differ"),
        ):
            reply = client.post(knowledge, **request)
            assert reply.status_code == status and text in reply.json()["error"], reply.text

        applied = send_feedback(client, url, "team-a", [verdict], **auth_a)
        assert applied.status_code == 200 and applied.json()["state_version"] == before[0][0]["state_version"] + 1
        assert snapshot()[1:] != before[1:] and snapshot()[2] == before[2]  # only A's log changed


def test_the_feedback_command_against_a_running_transformer(baseline, synth_logs, deploy, tmp_path, capsys):
    deployment = deploy(baseline)
    url, name = deployment.transformer.url, deployment.transformer.name
    with httpx.Client() as client:
        first, second, third = _decide(client, url, name, hdfs_lines(synth_logs, "tenant-1", 200), "acme")[:3]
    verdicts = tmp_path / "verdicts.json"
    verdicts.write_text(json.dumps({"feedback": [{"window": third["id"], "label": "anomalous"}]}))
    args = ["feedback", "--url", url, "--tenant", "acme", "--window", first["id"], "--label", "normal"]
    args += ["--window", second["id"], "--label", "anomalous", "--file", str(verdicts)]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        f"acme: window {first['id']} marked normal",
        f"acme: window {second['id']} marked anomalous",
        f"acme: window {third['id']} marked anomalous",
    ]
    assert lines[3].startswith("acme: 3 verdict(s) applied; threshold now ") and len(lines) == 4

    assert main(["feedback", "--url", url, "--tenant", "acme", "--window", "blk_nope", "--label", "normal"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("logad feedback: error: the transformer refused the feedback (404): ")
    assert "'blk_nope'" in error and "\n" not in error
