"""From a log file to labelled windows: format, reader, labels and windowing in one call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from logad.data.formats import get_format
from logad.data.labels import check_label_coverage, load_session_labels
from logad.data.readers import ReadReport, read_records, read_sessions
from logad.data.types import LogSequence
from logad.data.windows import WindowSpec, iter_windows, make_windows
from logad.errors import ConfigError

SESSIONS_FORMAT = "sessions-jsonl"


@dataclass(frozen=True)
class DataSpec:
    """How to turn a log file into windows; recorded in the model artifact so serving does the same."""

    format: str
    window: str | None = None
    max_len: int | None = None

    def window_spec(self) -> WindowSpec | None:
        """The parsed window spec: the explicit one, else the format's default (None for sessions-jsonl)."""
        if self.format == SESSIONS_FORMAT:
            return None
        text = self.window or get_format(self.format).default_window
        if not text:
            raise ConfigError(f"format {self.format!r} has no default window: pass --window (e.g. fixed:20)")
        return WindowSpec.parse(text)

    def resolved(self) -> DataSpec:
        """The same spec with the default window filled in, as stored in a manifest."""
        spec = self.window_spec()
        return DataSpec(self.format, str(spec) if spec else None, self.max_len)


def raw_line_spec(recorded: dict[str, Any], override: DataSpec | None = None) -> DataSpec:
    """How raw log lines become the windows a model was trained on: ``override``, else a manifest's data section,
    else the ``source`` recorded there for prepared windows. ConfigError when none names a line format."""
    if override is not None:
        return override.resolved()
    source = recorded.get("source") or recorded
    if source.get("format", SESSIONS_FORMAT) == SESSIONS_FORMAT:
        raise ConfigError(
            "this model was trained on pre-grouped sessions with no record of their raw-line format: "
            "name the log format and window of the raw lines (e.g. --log-format hdfs --window 'session:blk_-?\\d+')"
        )
    max_len = recorded.get("max_len") or source.get("max_len")
    return DataSpec(source["format"], source.get("window"), max_len).resolved()


@dataclass
class LoadedData:
    """Windows read from one file and what happened while reading them."""

    sequences: list[LogSequence]
    report: ReadReport
    unlabelled: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the end of a CLI run."""
        parts = [self.report.summary(), f"{len(self.sequences)} windows"]
        if self.unlabelled:
            parts.append(f"{self.unlabelled} windows without a label (not scored against labels)")
        return "; ".join(parts + self.notes)


def load_windows(logs: Path, spec: DataSpec, labels: Path | None = None, show_progress: bool = False) -> LoadedData:
    """Read ``logs`` in ``spec.format``, window it and attach labels from lines or the ``labels`` CSV."""
    session_labels = load_session_labels(labels) if labels else None
    report = ReadReport(path=Path(logs))
    if spec.format == SESSIONS_FORMAT:
        sequences = [_truncate(seq, spec.max_len) for seq in read_sessions(logs, report)]
    else:
        fmt = get_format(spec.format)
        records = tqdm(read_records(logs, fmt, report), desc="reading", unit="line", disable=not show_progress)
        sequences = make_windows(records, spec.window_spec(), session_labels, spec.max_len)
    if session_labels is not None:
        if spec.format == SESSIONS_FORMAT:
            for seq in sequences:
                seq.label = session_labels.get(seq.id, seq.label)
        check_label_coverage(session_labels.keys(), [seq.id for seq in sequences], labels, logs)
    unlabelled = sum(seq.label is None for seq in sequences)
    return LoadedData(sequences, report, unlabelled)


def stream_windows(logs: Path, spec: DataSpec, report: ReadReport) -> Iterator[LogSequence]:
    """Windows of ``logs`` as they complete (session windows only at the end of the file)."""
    if spec.format == SESSIONS_FORMAT:
        for seq in read_sessions(logs, report):
            yield _truncate(seq, spec.max_len)
        return
    records = read_records(logs, get_format(spec.format), report)
    yield from iter_windows(records, spec.window_spec(), None, spec.max_len)


def _truncate(seq: LogSequence, max_len: int | None) -> LogSequence:
    """Keep the most recent ``max_len`` events of an already-grouped sequence."""
    if max_len is None or len(seq.messages) <= max_len:
        return seq
    seq.messages = seq.messages[-max_len:]
    if seq.timestamps:
        seq.timestamps = seq.timestamps[-max_len:]
    return seq
