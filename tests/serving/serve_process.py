"""`logad serve` as a child process of a test: started on a free loopback port, always stopped at the end."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from logad_serving.launch import LOOPBACK, free_port


class LogadServe:
    """A running `logad serve --model MODEL` (logs and state under ``work_dir``) and what it wrote on stderr."""

    def __init__(self, model: Path, name: str, work_dir: Path, *args: str) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = free_port()
        self.logs_dir = work_dir / "logs"
        self.stderr_path = work_dir / "serve.stderr"
        command = [sys.executable, "-m", "logad", "serve", "--model", str(model), "--port", str(self.port)]
        command += ["--logs-dir", str(self.logs_dir), "--state", str(work_dir / "state.db"), *args]
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=work_dir)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def children(self) -> dict[str, psutil.Process]:
        """The live servers by role (the `python -m logad_serving ROLE` children)."""
        found = {}
        for child in psutil.Process(self.process.pid).children():
            command = child.cmdline()
            if "logad_serving" in command:
                found[command[command.index("logad_serving") + 1]] = child
        return found

    def wait_ready(self, timeout: float = 180.0) -> LogadServe:
        """Block until `logad serve` has said that it serves (it saw both servers ready) and the transformer's model
        answers ready; AssertionError with stderr if `logad serve` exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"logad serve exited {self.process.returncode}:\n{self.stderr}"
            try:
                ready = httpx.get(f"{self.url}/v2/models/{self.name}/ready", timeout=2).status_code == 200
                if ready and f"serving {self.name}:" in self.stderr:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"logad serve not ready after {timeout:.0f} s:\n{self.stderr}")

    def wait(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL of it and any child left (a test that failed must not leave servers behind)."""
        if self.process.poll() is None:
            children = list(self.children().values())
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
            for child in children:
                if child.is_running():
                    child.kill()

    def __enter__(self) -> LogadServe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
