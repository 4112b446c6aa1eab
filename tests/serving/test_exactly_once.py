"""Requests with an Idempotency-Key are committed once: a retry gets the same decisions back and counts nothing
again, and a transformer killed (SIGKILL, by a fail point) just before or just after a tenant's state write loses
nothing and double-counts nothing, on SQLite and on Redis."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from serving_helpers import hdfs_lines, inspect_tenant, predict_v1

from logad_serving.client import send_lines
from logad_serving.failpoints import FAIL_POINT_ENV, FailPoints
from redis_server import RedisServer

COUNTED = ("lines", "rejected_lines", "windows", "anomalous")


def test_a_retried_request_is_answered_from_the_decision_log_and_counted_once(baseline, synth_logs, deploy):
    deployment = deploy(baseline)
    url, name = deployment.transformer.url, deployment.transformer.name
    lines = hdfs_lines(synth_logs, "tenant-1", 300)
    body = {"instances": [*lines, "not an hdfs line"], "flush": True}
    with httpx.Client() as client:
        first = predict_v1(client, url, name, body, "acme", **{"Idempotency-Key": "batch-1"}).json()
        counted = inspect_tenant(client, url, "acme").json()
        again = predict_v1(client, url, name, body, "acme", **{"Idempotency-Key": "batch-1"}).json()
        assert again.pop("replayed") is True and "replayed" not in first
        for decision in first["predictions"]:
            decision["explanation"] = {}  # explanations are not logged
        assert again == first and len(first["predictions"]) > 5
        assert inspect_tenant(client, url, "acme").json() == counted
        # The key belongs to the tenant: another tenant's request with the same key is its own.
        other = predict_v1(client, url, name, body, "other", **{"Idempotency-Key": "batch-1"}).json()
        assert "replayed" not in other and inspect_tenant(client, url, "other").json()["lines"] == len(lines)
        # A new key is a new request.
        predict_v1(client, url, name, body, "acme", **{"Idempotency-Key": "batch-2"})
        assert inspect_tenant(client, url, "acme").json()["lines"] == 2 * len(lines)
        bad = predict_v1(client, url, name, body, "acme", **{"Idempotency-Key": "x" * 300})
        assert bad.status_code == 400 and "Idempotency-Key" in bad.json()["error"]


def test_fail_points_are_checked_and_fire_on_the_armed_pass():
    with pytest.raises(Exception, match="POINT:N"):
        FailPoints("during-write:1")
    with pytest.raises(Exception, match="POINT:N"):
        FailPoints("after-write:0")
    points = FailPoints("after-write:3")
    points.reach("before-write")
    points.reach("after-write")
    assert (points.point, points.remaining) == ("after-write", 2)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_kill_9_before_and_after_the_state_write_neither_loses_nor_double_counts(
    backend, baseline, synth_logs, deploy, tmp_path, monkeypatch
):
    redis = RedisServer(tmp_path / "redis-state.db") if backend == "redis" else None
    monkeypatch.setenv(FAIL_POINT_ENV, "before-write:5")
    deployment = deploy(baseline, *(["--state", redis.url] if redis else []))
    transformer = deployment.transformer
    url, name = transformer.url, transformer.name
    lines = hdfs_lines(synth_logs, "tenant-1", 240)
    tenants = [f"team-{i}" for i in range(4)]
    try:
        # Clients stream every tenant in 30-line requests, retrying by idempotency key, while the transformer is
        # killed by its fail points: before the 5th state write, then (restarted) after the 5th, then restarted
        # for good.
        def stream(tenant: str) -> list[dict]:
            retries = {"attempts": 600, "backoff_seconds": 0.2, "max_backoff_seconds": 0.5}  # up to 5 min: a loaded CI
            return send_lines(url, name, tenant, lines, lines_per_request=30, **retries)

        killed: list[int] = []
        restarts = threading.Thread(target=_restart_when_killed, args=(transformer, monkeypatch, killed), daemon=True)
        restarts.start()
        with ThreadPoolExecutor(len(tenants)) as pool:
            streamed = dict(zip(tenants, pool.map(stream, tenants), strict=True))
        restarts.join(timeout=300)
        assert killed == [-9, -9], "both fail points fired"

        reference = stream("reference")  # an uninterrupted run: nothing is killed any more
        with httpx.Client() as client:
            expected = inspect_tenant(client, url, "reference").json()
            for tenant in tenants:
                got = inspect_tenant(client, url, tenant).json()
                assert {k: got[k] for k in COUNTED} == {k: expected[k] for k in COUNTED}, tenant
                assert got["lines"] == len(lines) and got["open_windows"] == 0
                assert streamed[tenant] == reference, f"{tenant}: the decisions of an uninterrupted run"
    finally:
        deployment.stop()
        if redis:
            redis.stop()


def _restart_when_killed(transformer, monkeypatch, killed: list[int]) -> None:
    """Restart the transformer each time its fail point kills it (its exit codes go to ``killed``): armed after
    the 5th write the first time, disarmed the second. The armed one is not waited on: the clients' retries can
    reach its 5th write before a readiness poll sees it up, and its exit is what the next round waits for."""
    for next_point in ("after-write:5", None):
        killed.append(transformer.process.wait(timeout=240))
        if next_point:
            monkeypatch.setenv(FAIL_POINT_ENV, next_point)
            transformer.start()
        else:
            monkeypatch.delenv(FAIL_POINT_ENV)
            transformer.start().wait_ready()
