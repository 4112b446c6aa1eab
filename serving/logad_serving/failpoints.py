"""Fail points for crash tests of exactly-once delivery (in the manner of etcd's gofail and TiKV's fail-rs).

``LOGAD_FAIL_POINT=NAME:N`` makes the process kill itself with SIGKILL, as ``kill -9`` would (no shutdown code, no
reply), the Nth time it reaches the point ``NAME`` (e.g. ``after-write:3``). Unset, as in production, a point costs
one comparison.
"""

from __future__ import annotations

import os
import signal

from logad.errors import ConfigError

FAIL_POINT_ENV = "LOGAD_FAIL_POINT"
POINTS = ("before-write", "after-write")  # around the tenant state's compare-and-set write


class FailPoints:
    """The fail point armed by the environment, and how often it has been reached."""

    def __init__(self, spec: str | None = None) -> None:
        spec = os.environ.get(FAIL_POINT_ENV) if spec is None else spec
        self.point, self.remaining = _parse(spec) if spec else (None, 0)

    def reach(self, point: str) -> None:
        """Count a pass through ``point``; SIGKILL this process on the armed pass."""
        if point != self.point:
            return
        self.remaining -= 1
        if self.remaining == 0:
            os.kill(os.getpid(), signal.SIGKILL)


def _parse(spec: str) -> tuple[str, int]:
    name, _, count = spec.partition(":")
    if name not in POINTS or not count.isdigit() or int(count) < 1:
        raise ConfigError(f"{FAIL_POINT_ENV}={spec!r}: expected POINT:N with POINT one of {', '.join(POINTS)}, N >= 1")
    return name, int(count)
