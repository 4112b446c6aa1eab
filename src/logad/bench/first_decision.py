"""Time to first decision: when each session first appears in a request and when an answer first decides on it
(a provisional decision of an open session or the decision of its closed window)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np


class FirstDecisions:
    """Sessions (ids the model's session pattern finds in the lines) per tenant, as a replay sends and hears back."""

    def __init__(self, session_pattern: str) -> None:
        self._pattern = re.compile(session_pattern)
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}  # (tenant, session) -> (sent at, stream line)
        self._decided: dict[tuple[str, str], tuple[float, int, bool]] = {}  # ... -> (answered at, line, by flush)

    def sent(self, tenant: str, chunk: list[str], last_line: int, at: float) -> None:
        """A request of ``chunk`` (ending at stream line ``last_line``) was sent at ``at``."""
        first_line = last_line - len(chunk) + 1
        for offset, line in enumerate(chunk):
            for session in self._pattern.findall(line):
                self._seen.setdefault((tenant, session), (at, first_line + offset))

    def answered(self, tenant: str, answer: dict[str, Any], line: int, at: float, flush: bool) -> None:
        """An answer arrived at ``at``, once the stream had reached ``line``."""
        for entry in [*answer["predictions"], *answer.get("provisional", [])]:
            key = (tenant, entry["id"].split("#")[0])
            if key in self._seen:
                self._decided.setdefault(key, (at, line, flush))

    def summary(self) -> dict[str, Any]:
        """Median seconds and stream lines from a session's first line to its first decision, and the share of
        sessions decided before the closing flush."""
        pairs = [(self._seen[key], decided) for key, decided in self._decided.items()]
        if not pairs:
            return {"first decision p50 s": None, "first decision p50 lines": None, "decided before flush": None}
        seconds = [decided[0] - seen[0] for seen, decided in pairs]
        lines = [decided[1] - seen[1] for seen, decided in pairs]
        early = sum(not decided[2] for _, decided in pairs)
        return {
            "first decision p50 s": round(float(np.median(seconds)), 2),
            "first decision p50 lines": int(np.median(lines)),
            "decided before flush": round(early / len(self._seen), 3),
        }
