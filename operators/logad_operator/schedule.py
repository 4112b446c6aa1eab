"""When to submit a training run: first time, after the training inputs changed, or when the cron schedule is due."""

from __future__ import annotations

import datetime as dt

from croniter import croniter

from logad_operator.outcome import TrainingOutcome
from logad_operator.spec import LogDetectorSpec


def schedule_due(schedule: str, last_start: dt.datetime, now: dt.datetime) -> bool:
    """Whether the first cron time after ``last_start`` has come."""
    return croniter(schedule, last_start).get_next(dt.datetime) <= now


def training_reason(spec: LogDetectorSpec, latest: TrainingOutcome | None, now: dt.datetime) -> str:
    """Why a run should start now (``""``: it should not). Never while one runs, when suspended or pinned; a
    failed run is not retried with the same inputs until the schedule says so."""
    if spec.training.suspend or spec.model_version:
        return ""
    if latest is None:
        return "first training"
    if not latest.finished:
        return ""
    if latest.training_hash != spec.training_hash():
        return "training inputs changed"
    started = latest.created_at or latest.started_at
    if spec.training.schedule and started and schedule_due(spec.training.schedule, parse_time(started), now):
        return f"schedule {spec.training.schedule!r}"
    return ""


def parse_time(text: str) -> dt.datetime:
    """A Kubernetes timestamp (``2025-01-31T12:00:00Z``) as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
