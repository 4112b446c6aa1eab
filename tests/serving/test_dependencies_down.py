"""A dependency that is down (the predictor, still loading or dead; the Redis state store) makes the transformer
not ready and its requests 503 with logad's error body naming what is down, and both recover when it is back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from serve_process import LogadServe
from serving_helpers import hdfs_lines, predict_v1

from logad.state import RedisStateStore
from logad_serving.launch import LocalDeployment, free_port
from redis_server import RedisServer


@pytest.fixture(scope="module")
def baseline(artifact_factory) -> Path:
    return artifact_factory("baseline")


def _readiness(client: httpx.Client, url: str, name: str) -> tuple[int, int]:
    """The statuses of the server's and the model's readiness."""
    return (
        client.get(f"{url}/v2/health/ready").status_code,
        client.get(f"{url}/v2/models/{name}/ready").status_code,
    )


def _assert_unavailable(reply: httpx.Response, names: str) -> None:
    assert reply.status_code == 503, reply.text
    body = reply.json()
    assert list(body) == ["error"] and names in body["error"], body


def _wait_live(client: httpx.Client, url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if client.get(f"{url}/v2/health/live").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not live after {timeout:.0f} s")


def test_a_loading_or_dead_predictor_means_not_ready_and_503(baseline, synth_logs, tmp_path) -> None:
    lines = {"instances": hdfs_lines(synth_logs, "tenant-1", 200), "flush": True}  # flush: windows to score
    state = ["--state", str(tmp_path / "state.db")]
    deployment = LocalDeployment.create(baseline, "baseline", tmp_path / "servers", state)
    url = deployment.transformer.url
    try:
        with httpx.Client(timeout=60) as client:
            deployment.transformer.start()  # the predictor is not there yet: as if still loading
            _wait_live(client, url)
            assert _readiness(client, url, "baseline") == (503, 503)
            _assert_unavailable(
                predict_v1(client, url, "baseline", lines, "acme"), "the predictor at http://127.0.0.1:"
            )

            deployment.predictor.start().wait_ready()
            deployment.transformer.wait_ready()
            assert _readiness(client, url, "baseline") == (200, 200)
            assert predict_v1(client, url, "baseline", lines, "acme").status_code == 200

            deployment.predictor.kill()
            assert _readiness(client, url, "baseline") == (503, 503)
            _assert_unavailable(predict_v1(client, url, "baseline", lines, "acme"), "is unreachable")
    finally:
        deployment.stop()


def test_redis_by_url_and_redis_down_means_not_ready_and_503(baseline, synth_logs, tmp_path) -> None:
    redis = RedisServer(tmp_path / "redis-state.db", port=free_port())
    lines = {"instances": hdfs_lines(synth_logs, "tenant-1", 200), "flush": True}
    try:
        with LogadServe(baseline, "baseline", tmp_path / "serve", "--state", redis.url) as serve:
            serve.wait_ready()
            with httpx.Client(timeout=60) as client:
                assert predict_v1(client, serve.url, "baseline", lines, "acme").status_code == 200
                redis.stop()
                assert _readiness(client, serve.url, "baseline") == (503, 503)
                _assert_unavailable(predict_v1(client, serve.url, "baseline", lines, "acme"), "Redis state store")

                redis.start()  # same port, same AOF: the tenant's state is back
                serve.wait_ready()
                assert predict_v1(client, serve.url, "baseline", lines, "acme").status_code == 200
        store = RedisStateStore(redis.url, "baseline")  # `logad serve` wrote to the server the URL names
        assert store.get("acme").version == 2
        store.close()
    finally:
        redis.stop()
