"""Prometheus metrics on real servers: one scrape of a server's /metrics returns KServe's histograms and logad's
per-tenant series, whose values match what two tenants sent and what the transformer answered them."""

from __future__ import annotations

import json

import httpx
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from serving_helpers import hdfs_lines, predict_v1

from logad.streaming import LineProblem
from logad_serving.metrics import OTHER_TENANTS, ModelMetrics


def _scrape(client: httpx.Client, url: str) -> dict[tuple[str, frozenset], float]:
    """(sample name, its labels) -> value of everything ``url``/metrics exposes."""
    text = client.get(f"{url}/metrics").text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_each_tenants_lines_windows_and_anomalies(baseline, synth_logs, deploy):
    deployment = deploy(baseline)
    url, name = deployment.transformer.url, deployment.transformer.name
    version = json.loads((baseline / "logad.json").read_text())["model_version"]
    sent = {"team-a": hdfs_lines(synth_logs, "tenant-0", 900), "team-b": hdfs_lines(synth_logs, "tenant-1", 400)}
    sent["team-a"][10:13] = ["", "not an hdfs line", "   "]  # rejected: two empty, one that does not parse
    answers: dict[str, list[dict]] = {tenant: [] for tenant in sent}
    with httpx.Client(timeout=60) as client:
        for tenant, lines in sent.items():
            for start in range(0, len(lines), 200):
                body = {"instances": lines[start : start + 200], "flush": start + 200 >= len(lines)}
                reply = predict_v1(client, url, name, body, tenant)
                assert reply.status_code == 200, reply.text
                answers[tenant].append(reply.json())
        transformer, predictor = _scrape(client, url), _scrape(client, deployment.predictor.url)

    def value(scraped: dict, metric: str, tenant: str, **labels: str) -> float | None:
        key = frozenset({"model_name": name, "model_version": version, "tenant": tenant, **labels}.items())
        return scraped.get((metric, key))

    for tenant, lines in sent.items():
        decisions = [d for answer in answers[tenant] for d in answer["predictions"]]
        assert decisions
        assert value(transformer, "logad_lines_received_total", tenant) == len(lines)
        assert value(transformer, "logad_windows_decided_total", tenant) == len(decisions)
        assert value(transformer, "logad_anomalies_total", tenant) == sum(d["anomalous"] for d in decisions)
        assert value(transformer, "logad_threshold", tenant) == decisions[-1]["threshold"]
        assert value(transformer, "logad_open_windows", tenant) == answers[tenant][-1]["open_windows"] == 0
        assert value(predictor, "logad_windows_scored_total", tenant) == len(decisions)
    assert value(transformer, "logad_lines_rejected_total", "team-a", reason="empty") == 2
    assert value(transformer, "logad_lines_rejected_total", "team-a", reason="no_match") == 1
    assert value(transformer, "logad_lines_rejected_total", "team-b", reason="empty") is None

    requests = sum(len(a) for a in answers.values())
    route = {"model_name": name, "model_version": version, "route": "/v1/models/{model_name}:predict", "status": "200"}
    assert transformer[("logad_request_seconds_count", frozenset(route.items()))] == requests
    assert predictor[("logad_request_seconds_count", frozenset(route.items()))] >= 1
    # KServe's own histograms come from the same registry and the same scrape.
    assert transformer[("request_predict_seconds_count", frozenset({"model_name": name}.items()))] == requests


def test_tenants_past_the_label_limit_share_one_series():
    metrics = ModelMetrics("capped", "v1", max_tenants=2)
    for tenant in ("a", "b", "c", "d", "a"):
        metrics.received(tenant, 10, [LineProblem(1, "empty line", "empty")])

    def lines(tenant: str) -> float | None:
        labels = {"model_name": "capped", "model_version": "v1", "tenant": tenant}
        return REGISTRY.get_sample_value("logad_lines_received_total", labels)

    assert (lines("a"), lines("b"), lines(OTHER_TENANTS), lines("c")) == (20, 10, 20, None)
