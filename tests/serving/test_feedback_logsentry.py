"""LogSentry learns from operators' feedback without retraining, through the real servers and milvus-lite: the
judged window becomes a row of its tenant's knowledge-base partition that the next vote finds, other tenants' votes
stay as they were, and a predictor that cannot learn makes the feedback a 503 that changes nothing."""

from __future__ import annotations

import httpx
from serving_helpers import hdfs_lines, inspect_tenant, predict_v1, send_feedback


def _explain(client: httpx.Client, predictor_url: str, name: str, windows: list[dict], tenant: str) -> list[dict]:
    reply = predict_v1(client, predictor_url, name, {"instances": windows, "explain": True}, tenant)
    assert reply.status_code == 200, reply.text
    return [prediction["explanation"] for prediction in reply.json()["predictions"]]


def test_feedback_teaches_the_tenants_knowledge_base_only(artifact_factory, synth_logs, deploy, deployed_state):
    deployment = deploy(artifact_factory("logsentry"))
    url, name, predictor = deployment.transformer.url, deployment.transformer.name, deployment.predictor.url
    with httpx.Client(timeout=120) as client:
        decided = predict_v1(
            client, url, name, {"instances": hdfs_lines(synth_logs, "tenant-1", 200), "flush": True}, "acme"
        ).json()["predictions"]
        window = decided[0]["id"]
        store = deployed_state(name)
        messages = store.decision("acme", window)["messages"]  # logged because LogSentry learns from feedback
        probes = [{"id": window, "messages": messages}, {"id": "same-text", "messages": messages}]
        before = {tenant: _explain(client, predictor, name, probes, tenant) for tenant in ("tenant-0", "globex")}
        assert [e["neighbours"] for e in _explain(client, predictor, name, probes, "acme")] == [[], []]

        for label, vote in (("anomalous", 1.0), ("normal", 0.0)):  # a verdict, then a changed mind
            reply = send_feedback(client, url, "acme", [{"window": window, "label": label}])
            assert reply.status_code == 200, reply.text
            explained = _explain(client, predictor, name, probes, "acme")
            assert [e["p_knn"] for e in explained] == [vote, vote]
            assert [(e["neighbours"][0]["id"], e["neighbours"][0]["label"]) for e in explained] == [
                (window, int(vote))
            ] * 2
            assert {t: _explain(client, predictor, name, probes, t) for t in before} == before

        # A predictor that cannot learn: 503, and the threshold, counters and decision log stay as they were.
        state, record = inspect_tenant(client, url, "acme").json(), store.decision("acme", window)
        deployment.predictor.stop()
        refused = send_feedback(client, url, "acme", [{"window": window, "label": "anomalous"}])
        assert refused.status_code == 503 and "nothing changed" in refused.json()["error"]
        assert inspect_tenant(client, url, "acme").json() == state
        assert store.decision("acme", window) == record and record["verdict"] == "normal"
