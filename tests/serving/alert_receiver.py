"""A real HTTP receiver standing in for Alertmanager's ``POST /api/v2/alerts`` (imported by name by the tests)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from logad_serving.launch import LOOPBACK


class AlertReceiver:
    """Answers 500 to its first ``failures`` POSTs, then 200, keeping the alerts of accepted ones; with ``hang`` it
    never answers (until closed). Use as a context manager; ``url`` is its endpoint."""

    def __init__(self, failures: int = 0, hang: bool = False) -> None:
        self.failures = failures
        self.hang = hang
        self.posts = 0
        self.alerts: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://{LOOPBACK}:{self._server.server_port}/api/v2/alerts"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver._lock:
                    receiver.posts += 1
                    failing = receiver.posts <= receiver.failures
                    if not failing and not receiver.hang:
                        receiver.alerts += body
                if receiver.hang:
                    receiver._closed.wait()
                    return
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def windows(self) -> set[str]:
        """The windows of the alerts accepted so far."""
        with self._lock:
            return {alert["labels"]["window"] for alert in self.alerts}

    def __enter__(self) -> AlertReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()
