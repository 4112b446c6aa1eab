"""Start the servers as child processes on this machine: `logad serve`, the tests and the load benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """One `python -m logad_serving ROLE` child; its output goes to ``log_path``."""

    role: str
    name: str
    host: str
    port: int
    args: list[str]
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerProcess:
        command = [sys.executable, "-m", "logad_serving", self.role, "--host", self.host, "--port", str(self.port)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([*command, *self.args], stdout=log, stderr=subprocess.STDOUT, env=env)
        return self

    def wait_ready(self, timeout: float = 180.0) -> ServerProcess:
        """Block until the model answers ready; RuntimeError with the log's tail if the child dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.role} exited before it was ready:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/v2/models/{self.name}/ready", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.role} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL (kill -9): no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def last_words(self) -> str:
        """One line on why the child stopped: its exit code and its last ``error:`` line (else its last line)."""
        lines = [line.strip() for line in self.log_tail().splitlines() if line.strip()]
        said = next((line for line in reversed(lines) if line.startswith("error:")), lines[-1] if lines else "")
        code = None if self.process is None else self.process.poll()
        return f"the {self.role} exited with code {code}" + (f": {said}" if said else "") + f" (log: {self.log_path})"


@dataclass
class LocalDeployment:
    """A predictor and a transformer of one model, wired together on this machine."""

    predictor: ServerProcess
    transformer: ServerProcess

    @classmethod
    def create(
        cls,
        model_dir: Path,
        name: str,
        work_dir: Path,
        transformer_args: Sequence[str] = (),
        host: str = LOOPBACK,
        port: int | None = None,
        protocol: str = "v1",
        log_args: Sequence[str] | None = None,
    ) -> LocalDeployment:
        """Processes (not started yet): the predictor always on loopback, the transformer on ``host``. Each one's
        output goes to ``ROLE.log`` in ``work_dir``; with ``log_args`` (record format and rotation) its log records
        go to the rotated ``ROLE.log`` and the rest of its output (a crash's traceback) to ``ROLE.out``."""
        work_dir.mkdir(parents=True, exist_ok=True)

        def server(role: str, server_host: str, server_port: int, args: list[str]) -> ServerProcess:
            if log_args is None:
                return ServerProcess(role, name, server_host, server_port, args, work_dir / f"{role}.log")
            records = ["--log-file", str(work_dir / f"{role}.log"), *log_args]
            return ServerProcess(role, name, server_host, server_port, [*args, *records], work_dir / f"{role}.out")

        model = ["--model", str(model_dir), "--name", name]
        predictor = server("predictor", LOOPBACK, free_port(), model)
        wiring = ["--predictor-host", f"{LOOPBACK}:{predictor.port}", "--predictor-protocol", protocol]
        transformer = server("transformer", host, port or free_port(), [*model, *wiring, *transformer_args])
        return cls(predictor, transformer)

    def start(self, timeout: float = 180.0) -> LocalDeployment:
        self.predictor.start()
        self.transformer.start()
        try:
            self.predictor.wait_ready(timeout)
            self.transformer.wait_ready(timeout)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.transformer.stop()
        self.predictor.stop()

    def __enter__(self) -> LocalDeployment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
