"""Anomalous decisions out to an Alertmanager-compatible webhook: the sink against a real local receiver that fails,
recovers or hangs, then through real servers, where a hanging receiver must not slow requests."""

from __future__ import annotations

import asyncio
import logging
import statistics
import time

import httpx
import pytest
from alert_receiver import AlertReceiver
from prometheus_client import REGISTRY
from serving_helpers import hdfs_lines, predict_v1

from logad.threshold import Decision
from logad_serving.alerts import ALERT_NAME, AlertSettings, AlertSink, anomaly_alert
from logad_serving.metrics import ModelMetrics


def _alerts(model: str, count: int) -> list[dict]:
    decision = Decision(score=0.9, threshold=0.5, anomalous=True, valid=True)
    return [anomaly_alert(f"team-{i % 2}", f"blk_{i}", model, "v1", decision, 1.7e9) for i in range(count)]


def _counted(metric: str, model: str, tenant: str, **labels: str) -> float:
    found = REGISTRY.get_sample_value(metric, {"model_name": model, "model_version": "v1", "tenant": tenant, **labels})
    return found or 0.0


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_alerts_sent_while_the_receiver_fails_all_arrive_once_it_recovers():
    with AlertReceiver(failures=3) as receiver:
        sink = AlertSink(AlertSettings(receiver.url, attempts=5, backoff_seconds=0.01), ModelMetrics("recover", "v1"))
        sent = _alerts("recover", 6)
        sink.submit(sent[:3])
        await asyncio.sleep(0)
        sink.submit(sent[3:])
        # the receiver records a batch before its reply reaches the sink, which counts it only then
        await _until(lambda: sum(_counted("logad_alerts_sent_total", "recover", f"team-{i}") for i in (0, 1)) >= 6)
    assert sorted(a["labels"]["window"] for a in receiver.alerts) == sorted(a["labels"]["window"] for a in sent)
    assert _counted("logad_alerts_sent_total", "recover", "team-0") == 3
    assert _counted("logad_alerts_dropped_total", "recover", "team-0", reason="retries_exhausted") == 0


def test_an_alert_is_alertmanagers_v2_shape():
    (alert,) = _alerts("shape", 1)
    assert alert == {
        "labels": {
            "alertname": ALERT_NAME,
            "tenant": "team-0",
            "window": "blk_0",
            "model": "shape",
            "model_version": "v1",
        },
        "annotations": {"score": "0.9", "threshold": "0.5"},
        "startsAt": "2023-11-14T22:13:20+00:00",
    }


@pytest.mark.asyncio
async def test_alerts_that_exhaust_retries_are_counted_and_logged(caplog):
    with AlertReceiver(failures=1000) as receiver, caplog.at_level(logging.WARNING, "logad_serving.alerts"):
        sink = AlertSink(AlertSettings(receiver.url, attempts=3, backoff_seconds=0.01), ModelMetrics("exhaust", "v1"))
        sink.submit(_alerts("exhaust", 4))
        await _until(lambda: _counted("logad_alerts_dropped_total", "exhaust", "team-1", reason="retries_exhausted"))
    assert receiver.posts == 3  # one batch, three attempts
    assert _counted("logad_alerts_dropped_total", "exhaust", "team-0", reason="retries_exhausted") == 2
    assert "dropped 4 anomaly alert(s)" in caplog.text and "retries_exhausted" in caplog.text


@pytest.mark.asyncio
async def test_a_full_queue_drops_new_alerts_without_waiting():
    with AlertReceiver(hang=True) as receiver:
        sink = AlertSink(AlertSettings(receiver.url, queue_size=2), ModelMetrics("overflow", "v1"))
        started = time.perf_counter()
        sink.submit(_alerts("overflow", 5))
        assert time.perf_counter() - started < 0.1
    assert _counted("logad_alerts_dropped_total", "overflow", "team-0", reason="queue_full") == 2  # blk_2, blk_4
    assert _counted("logad_alerts_dropped_total", "overflow", "team-1", reason="queue_full") == 1


# ---- through the servers ----------------------------------------------------------------------------------------
def test_anomalies_of_requests_made_while_the_receiver_fails_arrive_after_it_recovers(baseline, synth_logs, deploy):
    lines = hdfs_lines(synth_logs, "tenant-1", 1500)
    with AlertReceiver(failures=3) as receiver:
        deployment = deploy(baseline, "--alert-webhook", receiver.url)
        url, name = deployment.transformer.url, deployment.transformer.name
        anomalous = set()
        with httpx.Client() as client:
            for start in range(0, len(lines), 300):
                body = {"instances": lines[start : start + 300], "flush": True}
                reply = predict_v1(client, url, name, body, "team-a")
                assert reply.status_code == 200, reply.text  # answered while the receiver fails
                anomalous |= {d["id"] for d in reply.json()["predictions"] if d["anomalous"]}
        assert anomalous
        # a session cut by a request's flush is decided (and alerted) again when it ends, so wait on the windows
        # alerted, not on their count; the default backoff of 3 failed attempts takes 3.5 s, the rest is slack
        deadline = time.monotonic() + 60
        while receiver.windows() != anomalous and time.monotonic() < deadline:
            time.sleep(0.1)
    assert receiver.posts > 3
    assert receiver.windows() == anomalous
    assert {(a["labels"]["tenant"], a["labels"]["model"]) for a in receiver.alerts} == {("team-a", name)}


def test_a_hanging_receiver_does_not_slow_requests(baseline, synth_logs, deploy):
    """Requests alternate between a transformer with no sink and one whose receiver never answers, so background
    load hits both alike; the median latency with the sink stays within 10% of the one without."""
    lines = hdfs_lines(synth_logs, "tenant-1", 1000)
    with AlertReceiver(hang=True) as receiver:
        plain, alerting = deploy(baseline), deploy(baseline, "--alert-webhook", receiver.url)
        timings: dict[str, list[float]] = {"plain": [], "alerting": []}
        alerted = 0
        with httpx.Client() as client:
            for rounds in range(120):
                chunk = lines[(rounds * 50) % 950 :][:50]
                for label, deployment, tenant in (("plain", plain, "team-a"), ("alerting", alerting, "team-b")):
                    body = {"instances": chunk, "flush": True}
                    started = time.perf_counter()
                    reply = predict_v1(client, deployment.transformer.url, deployment.transformer.name, body, tenant)
                    timings[label].append(time.perf_counter() - started)
                    assert reply.status_code == 200, reply.text
                    if label == "alerting":
                        alerted += sum(d["anomalous"] for d in reply.json()["predictions"])
        assert alerted and receiver.posts >= 1  # the sink was busy with the hanging receiver throughout
    warm = {label: statistics.median(values[20:]) for label, values in timings.items()}
    assert warm["alerting"] <= 1.10 * warm["plain"], warm


@pytest.mark.asyncio
async def test_closing_delivers_the_queued_alerts_and_counts_what_it_cannot():
    with AlertReceiver(failures=2) as receiver:
        sink = AlertSink(AlertSettings(receiver.url, backoff_seconds=0.05), ModelMetrics("closing", "v1"))
        sink.submit(_alerts("closing", 4))
        await sink.close()
    assert len(receiver.alerts) == 4 and _counted("logad_alerts_sent_total", "closing", "team-0") == 2
    with AlertReceiver(hang=True) as receiver:
        sink = AlertSink(AlertSettings(receiver.url, shutdown_seconds=0.2), ModelMetrics("cut", "v1"))
        sink.submit(_alerts("cut", 3))
        await sink.close()
    assert _counted("logad_alerts_dropped_total", "cut", "team-0", reason="shutdown") == 2


def test_a_stopping_transformer_delivers_its_queued_alerts_first(baseline, synth_logs, deploy):
    lines = hdfs_lines(synth_logs, "tenant-1", 900)
    with AlertReceiver(failures=2) as receiver:
        deployment = deploy(baseline, "--alert-webhook", receiver.url)
        url, name = deployment.transformer.url, deployment.transformer.name
        with httpx.Client() as client:
            reply = predict_v1(client, url, name, {"instances": lines, "flush": True}, "team-a")
        anomalous = {d["id"] for d in reply.json()["predictions"] if d["anomalous"]}
        deployment.transformer.stop()  # SIGTERM while the receiver still fails: the retries go on during shutdown
        assert deployment.transformer.process.returncode is not None and anomalous
    assert receiver.windows() == anomalous
