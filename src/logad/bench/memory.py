"""Peak resident memory of this process over a block of code, sampled on a thread."""

from __future__ import annotations

import threading
from types import TracebackType

import psutil


class PeakRss:
    """Context manager: this process's resident memory on entry (``before``) and its peak inside (``peak``)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.before = self.peak = 0

    def __enter__(self) -> PeakRss:
        self.before = self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self._rss())

    def _rss(self) -> int:
        return self._process.memory_info().rss
