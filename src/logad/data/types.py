"""The records and sequences that flow from log files to detectors."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class LogRecord:
    """One parsed log line.

    ``line_no`` is 1-based in its source file; ``timestamp`` is epoch seconds when the format has one;
    ``label`` is the per-line label (1 anomalous, 0 normal) where the format carries one, else None.
    """

    line_no: int
    content: str
    timestamp: float | None = None
    label: int | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class LogSequence:
    """A window of log messages: the unit every detector scores.

    ``messages`` are raw contents in event order; ``timestamps`` align with them when known;
    ``label`` is 1/0 when known; ``order`` is the source position of the first event (the stable
    tie-breaker for chronological order when timestamps are missing or equal). ``open``: more events may follow
    (an unfinished session scored provisionally, or a prefix), so its last event is not where it ends.
    """

    id: str
    messages: list[str]
    timestamps: list[float] | None = None
    label: int | None = None
    order: int = 0
    open: bool = False

    @property
    def start_time(self) -> float | None:
        """Timestamp of the first event, if known."""
        return self.timestamps[0] if self.timestamps else None

    def __len__(self) -> int:
        return len(self.messages)
