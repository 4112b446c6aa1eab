"""`logad serve` supervises its two servers: a stop signal stops both and frees the port, a dead child is restarted
a bounded number of times, and start-up errors are one line on stderr with exit code 2."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest
from serve_process import LogadServe
from serving_helpers import hdfs_lines, predict_v1

from logad_serving.launch import LOOPBACK, free_port


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_both_servers_and_frees_the_port(baseline, tmp_path, stop) -> None:
    with LogadServe(baseline, "baseline", tmp_path) as serve:
        serve.wait_ready()
        children = serve.children()
        assert set(children) == {"predictor", "transformer"}
        serve.process.send_signal(stop)  # to `logad serve` alone, not its process group
        assert serve.wait() == 0
        _, alive = psutil.wait_procs(list(children.values()), timeout=30)
        assert not alive, f"orphaned servers: {alive}"
        assert _port_is_free(serve.port)
        assert f"{stop.name}: stopping" in serve.stderr


def test_a_dead_server_is_restarted_then_given_up_on(baseline, synth_logs, tmp_path) -> None:
    lines = hdfs_lines(synth_logs, "tenant-1", 200)
    with LogadServe(baseline, "baseline", tmp_path, "--max-restarts", "1") as serve:
        serve.wait_ready()
        first, transformer = serve.children()["predictor"], serve.children()["transformer"]
        first.kill()
        first.wait(30)
        serve.wait_ready()  # the transformer is not ready until the predictor is back
        second = serve.children()["predictor"]
        assert second.pid != first.pid
        with httpx.Client() as client:
            assert predict_v1(client, serve.url, "baseline", {"instances": lines}, "acme").status_code == 200
        assert "the predictor exited with code -9" in serve.stderr and "restarting it (1 of 1)" in serve.stderr

        second.kill()
        assert serve.wait() == 1
        assert "error: the predictor exited with code -9" in serve.stderr.splitlines()[-1]
        assert "giving up after 1 restarts" in serve.stderr
        _, alive = psutil.wait_procs([transformer], timeout=30)
        assert not alive, "the transformer outlived `logad serve`"
        assert _port_is_free(serve.port)


def _serve(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "logad", "serve", "--logs-dir", "logs", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=300)


def test_start_up_errors_are_one_line_and_exit_2(baseline, tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        cases = {
            "bad model": (["--model", str(tmp_path / "nope")], "is not a logad model"),
            "port in use": (["--model", str(baseline), "--port", port], f"cannot listen on 127.0.0.1:{port}"),
            "bad state URI": (["--model", str(baseline), "--state", "ftp://x"], "state store URI 'ftp://x'"),
            # Only the transformer finds this one out: `logad serve` reports the line it died with.
            "bad redis URL": (
                ["--model", str(baseline), "--port", str(free_port()), "--state", "redis://127.0.0.1:notaport/0"],
                "the transformer exited with code 2: error: Redis state store URL is invalid",
            ),
        }
        for label, (args, message) in cases.items():
            done = _serve(*args, cwd=tmp_path)
            assert done.returncode == 2, (label, done.stderr)
            assert done.stderr.count("\n") == 1 and message in done.stderr, (label, done.stderr)
            assert "Traceback" not in done.stderr, label
