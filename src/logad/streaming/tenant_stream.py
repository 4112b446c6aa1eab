"""One tenant's stream through a served model, as pure functions of its stored state document.

The document holds the tenant's open windows and the fields of its threshold policy state that moved away
from the model's fitted state; each request reads it, advances
it (windows completed by the request's lines, thresholds updated by their scores, or operators' verdicts on past
decisions) and writes it back in one atomic put, so a request that fails half-way changes nothing. The decision
records written beside it (``record``) are what a later verdict (``feedback``) refers to.

A request may carry an idempotency key. The document remembers the keys of the tenant's last
``REMEMBERED_REQUESTS`` such requests with where their decisions sit in the decision log (the log numbers records
1, 2, ... in the order written, one per decided window, so ``counts.windows`` is the last seq), and a retry of a
committed request is answered from the log instead of counting its lines again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from logad.data.types import LogRecord, LogSequence
from logad.errors import BadInputError
from logad.state.open_windows import WindowQuery, WindowWrite
from logad.streaming.windower import StreamWindower
from logad.threshold import Decision, ThresholdPolicy, threshold_from_state

STATE_FORMAT = 1
REMEMBERED_REQUESTS = 200
MAX_KEY_LENGTH = 255
ANOMALOUS, NORMAL = "anomalous", "normal"  # an operator's verdict on a window


@dataclass
class TenantStream:
    """Windows and thresholds of a served model, applied to one tenant's state document at a time."""

    windower: StreamWindower
    fitted_threshold: dict[str, Any]  # the model's threshold policy state after validation (``state_dict``)
    model_version: str

    def new_state(self) -> dict[str, Any]:
        """The document of a tenant seen for the first time: no open windows, the model's fitted threshold."""
        return {
            "format": STATE_FORMAT,
            "model_version": self.model_version,
            "windows": {},
            "threshold": {},
            "counts": {
                "lines": 0,
                "rejected_lines": 0,
                "windows": 0,
                "anomalous": 0,
                "threshold_resets": 0,
                "feedback": 0,
            },
            "requests": [],
        }

    def current(self, stored: dict[str, Any]) -> dict[str, Any]:
        """``stored`` checked, or a new document when empty; a model roll-out keeps the open windows but restarts
        the threshold from the new model's fitted state (its scores live on another scale)."""
        if not stored:
            return self.new_state()
        if stored.get("format") != STATE_FORMAT or not isinstance(stored.get("counts"), dict):
            raise BadInputError(f"tenant state has format {stored.get('format')!r}; this logad reads {STATE_FORMAT}")
        if stored.get("model_version") != self.model_version:
            return self.reset_threshold({**stored, "model_version": self.model_version})
        return stored

    def window_query(
        self,
        state: dict[str, Any],
        records: Sequence[LogRecord],
        flush: bool,
        now: float | None = None,
        provisional: bool = False,
    ) -> WindowQuery:
        """The stored open windows that ``add_lines`` of these arguments reads (those the records add to with all
        their events when ``provisional`` will score them)."""
        return self.windower.query(state["windows"], records, now, flush, full_named=provisional)

    def add_lines(
        self,
        state: dict[str, Any],
        loaded: dict[str, dict[str, Any]],
        records: Sequence[LogRecord],
        rejected: int,
        flush: bool,
        now: float | None = None,
    ) -> tuple[list[LogSequence], dict[str, Any], WindowWrite]:
        """Windows completed by ``records`` arriving at wall-clock time ``now`` (all open ones when ``flush``), the
        advanced document, and the stored open windows to write: ``loaded`` holds those ``window_query`` selected;
        the document keeps only their count."""
        window_state = state["windows"]
        if window_state:  # a new tenant's is empty, and so are its stored windows
            window_state = {**window_state, "sessions": _merged(window_state, loaded)}
        windows, window_state = self.windower.push(window_state, records, now, flush)
        sessions = window_state.get("sessions", {})
        write = WindowWrite(
            put={window: row for window, row in sessions.items() if loaded.get(window) != row},
            delete=tuple(window for window in loaded if window not in sessions),
        )
        counts = dict(state["counts"])
        counts["lines"] += len(records)
        counts["rejected_lines"] += rejected
        return windows, {**state, "windows": {**window_state, "sessions": {}}, "counts": counts}, write

    def decide(self, state: dict[str, Any], scores: Sequence[float]) -> tuple[list[Decision], dict[str, Any]]:
        """Each score judged against the tenant's threshold in order (learning from it), and the new document."""
        policy = self._policy(state)
        decisions = [policy.update(score) for score in scores]
        counts = dict(state["counts"])
        counts["windows"] += len(decisions)
        counts["anomalous"] += sum(d.anomalous for d in decisions)
        return decisions, {**state, "threshold": self._changed_fields(policy.state_dict()), "counts": counts}

    def provisional(self, before: dict[str, Any], write: WindowWrite, min_events: int) -> list[LogSequence]:
        """The open sessions that ``add_lines`` on document ``before`` (giving ``write``) added events to and that
        hold at least ``min_events``: their windows so far, to score provisionally (``window_query`` with
        ``provisional`` loads them in full)."""
        return self.windower.so_far(dict(write.put), before["windows"].get("lines", 0), min_events)

    def judge(self, state: dict[str, Any], scores: Sequence[float]) -> list[Decision]:
        """Each score judged against the tenant's current threshold, which does not learn from them (provisional
        scores of unfinished windows live on another scale than those it follows)."""
        policy = self._policy(state)
        return [policy.judge(score) for score in scores]

    def committed(self, state: dict[str, Any], key: str) -> tuple[int, int] | None:
        """(seq of the first logged decision, how many) of the committed request with idempotency ``key``, or None
        when the tenant's last ``REMEMBERED_REQUESTS`` keyed requests do not include it."""
        for remembered, first, count in state.get("requests", []):
            if remembered == key:
                return first, count
        return None

    def remember(self, state: dict[str, Any], key: str, decided: int) -> dict[str, Any]:
        """The document remembering request ``key``, whose ``decided`` windows are the last ones ``decide`` counted."""
        first = state["counts"]["windows"] - decided + 1
        return {**state, "requests": [*state.get("requests", []), [key, first, decided]][-REMEMBERED_REQUESTS:]}

    def record(self, window: LogSequence, decision: Decision, now: float, keep_messages: bool) -> dict[str, Any]:
        """What the decision log keeps of a decision (a non-finite score or threshold as None); the window's
        messages only when a verdict will teach them to the detector (they are most of a record's size)."""
        logged = {
            "window": window.id,
            "score": _finite(decision.score),
            "threshold": _finite(decision.threshold),
            "anomalous": decision.anomalous,
            "events": len(window),
            "model_version": self.model_version,
            "time": now,
        }
        return {**logged, "messages": window.messages} if keep_messages else logged

    def feedback(self, state: dict[str, Any], records: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The document after operators' verdicts on logged decisions (each record's ``score`` and ``verdict``,
        ``normal`` or ``anomalous``), in order: the threshold moves so each score lands on its verdict's side."""
        policy = self._policy(state)
        for record in records:
            policy.feedback(record["score"], record["verdict"] == ANOMALOUS)
        counts = dict(state["counts"])
        counts["feedback"] = counts.get("feedback", 0) + len(records)
        return {**state, "threshold": self._changed_fields(policy.state_dict()), "counts": counts}

    def reset_threshold(self, state: dict[str, Any]) -> dict[str, Any]:
        """The document with its threshold back at the model's fitted state (after an incident; operators'
        verdicts are part of the threshold and go with it)."""
        counts = dict(state["counts"])
        counts["threshold_resets"] += 1
        return {**state, "threshold": {}, "counts": counts}

    def summary(self, state: dict[str, Any]) -> dict[str, Any]:
        """What an operator inspects: threshold kind and value, the verdicts it holds, open windows, counters."""
        policy = self._policy(state)
        return {
            "model_version": state["model_version"],
            "threshold_kind": policy.kind,
            "threshold": policy.threshold(),
            "verdicts": policy.verdicts.count,
            "open_windows": self.windower.open_windows(state["windows"]),
            **state["counts"],
        }

    def _policy(self, state: dict[str, Any]) -> ThresholdPolicy:
        """The tenant's policy: the fitted state with the tenant's own changes on top."""
        return threshold_from_state({**self.fitted_threshold, **state["threshold"]})

    def _changed_fields(self, policy_state: dict[str, Any]) -> dict[str, Any]:
        """Only the fields that differ from the fitted state (DTPM's calibration network never does): a tenant's
        document stays small and so does every write."""
        return {key: value for key, value in policy_state.items() if self.fitted_threshold.get(key) != value}


def check_idempotency_key(key: str | None) -> str | None:
    """``key`` when it is 1-255 printable ASCII characters (or None when absent); BadInputError otherwise."""
    if key is None:
        return None
    if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        raise BadInputError(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters, got {key[:80]!r}")
    return key


def _merged(window_state: dict[str, Any], loaded: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The sessions a push works on: ``loaded`` rows and any the document itself still holds (written before
    sessions were stored apart); BadInputError when the document's sessions are not an object."""
    held = window_state.get("sessions", {})
    if not isinstance(held, dict):
        raise BadInputError("stream state is malformed: 'sessions' must be a JSON object")
    return {**loaded, **held}


def _finite(value: float) -> float | None:
    """``value``, or None for NaN and infinities (JSON has neither)."""
    return value if math.isfinite(value) else None
