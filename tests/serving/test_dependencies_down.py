"""A dependency that is down (the predictor, still loading or dead; the Redis state store; LogSentry's Milvus) makes
the servers not ready and their requests 503 with logad's error body naming what is down, and both recover when it
is back."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from serve_process import LogadServe
from serving_helpers import hdfs_lines, predict_v1

from logad.cli import main
from logad.detectors.logsentry.knowledge import MILVUS_URI_ENV
from logad.state import RedisStateStore
from logad_serving.launch import LocalDeployment, free_port
from redis_server import RedisServer


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


class MilvusServer:
    """A real Milvus server (milvus-lite's gRPC server, ``python -m milvus_lite server``) on 127.0.0.1:``port`` over
    ``data_dir``, which can be killed and started again on the same data."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MilvusServer:
        command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(self.data_dir)]
        self.process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.2)
        raise AssertionError("milvus-lite's server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_milvus_down_makes_logsentry_not_ready_and_503_until_it_is_back(
    artifact_factory, synth_logs, deploy, tmp_path, monkeypatch
):
    model = shutil.copytree(artifact_factory("logsentry"), tmp_path / "model")
    milvus = MilvusServer(tmp_path / "milvus", free_port()).start()
    try:
        monkeypatch.setenv(MILVUS_URI_ENV, milvus.uri)  # the kb build below and the servers use the Milvus server
        data = synth_logs / "tenant-0"
        build = ["kb", "build", "--model", str(model), "--logs", str(data / "HDFS.log"), "--format", "hdfs"]
        assert main([*build, "--labels", str(data / "anomaly_label.csv"), "--quiet"]) == 0
        deployment = deploy(model)
        url, name = deployment.transformer.url, deployment.transformer.name
        predictor = deployment.predictor.url
        lines = {"instances": hdfs_lines(synth_logs, "tenant-1", 200), "flush": True}
        with httpx.Client(timeout=60) as client:
            assert predict_v1(client, url, name, lines, "tenant-0").status_code == 200
            milvus.kill()
            assert _readiness(client, predictor, name) == (503, 503)
            assert _readiness(client, url, name) == (503, 503)
            _assert_unavailable(predict_v1(client, url, name, lines, "tenant-0"), "knowledge base")
            milvus.start()
            deadline = time.monotonic() + 60
            while _readiness(client, url, name) != (200, 200) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert predict_v1(client, url, name, lines, "tenant-0").status_code == 200
    finally:
        milvus.kill()
