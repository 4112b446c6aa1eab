"""`logad serve`'s supervision of its two servers: started together, a child that dies restarted a bounded number of
times, and both stopped (the port freed) when `logad serve` is asked to stop (SIGTERM, SIGINT) or gives up."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from logad.errors import ConfigError, LogadError
from logad_serving.launch import LocalDeployment

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ServerFailed(LogadError):
    """A server could not start (its exit code and last error line say why)."""


class Stopped(Exception):
    """A stop signal arrived."""


def _stop(signum: int, _: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def require_free_port(host: str, port: int) -> None:
    """ConfigError when something already listens on ``host``:``port``."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@dataclass
class Supervisor:
    """Runs a deployment until a stop signal, a deadline, or a child that keeps dying."""

    deployment: LocalDeployment
    note: Callable[[str], None]
    max_restarts: int = 3
    poll_seconds: float = 0.5

    def run(self, for_seconds: float | None = None, on_ready: Callable[[], None] = lambda: None) -> int:
        """0 when stopped by a signal or the deadline, 1 when a child died after ``max_restarts`` restarts;
        ServerFailed when a server cannot start. Both children are stopped before it returns."""
        previous = {sig: signal.signal(sig, _stop) for sig in STOP_SIGNALS}
        try:
            self._start()
            on_ready()
            return self._watch(None if for_seconds is None else time.monotonic() + for_seconds)
        except Stopped as stop:
            self.note(f"{stop}: stopping the transformer and the predictor")
            return 0
        finally:
            for sig in STOP_SIGNALS:  # a second signal must not cut the children's shutdown short
                signal.signal(sig, signal.SIG_IGN)
            self.deployment.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _watch(self, deadline: float | None) -> int:
        restarts = 0
        while deadline is None or time.monotonic() < deadline:
            for server in (self.deployment.predictor, self.deployment.transformer):
                if server.process is None or server.process.poll() is None:
                    continue
                if restarts >= self.max_restarts:
                    self.note(f"error: {server.last_words()}; giving up after {restarts} restarts")
                    return 1
                restarts += 1
                self.note(f"{server.last_words()}; restarting it ({restarts} of {self.max_restarts})")
                server.start()
            time.sleep(self.poll_seconds)
        return 0

    def _start(self) -> None:
        """Start both children and wait until both are ready; ServerFailed naming the one that is not."""
        servers = (self.deployment.predictor, self.deployment.transformer)
        for server in servers:
            server.start()
        for server in servers:
            try:
                server.wait_ready()
            except RuntimeError as exc:
                exited = server.process is not None and server.process.poll() is not None
                raise ServerFailed(server.last_words() if exited else str(exc).splitlines()[0]) from None
