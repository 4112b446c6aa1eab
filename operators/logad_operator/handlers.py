"""kopf handlers for LogDetector (``kopf run --standalone -m logad_operator.handlers``).

A spec change (or creation) reconciles at once and fails permanently on an invalid spec; a timer reconciles
every ``LOGAD_RECONCILE_INTERVAL`` seconds (default 30) to follow training runs and schedules; deletion waits
for the clean-up. Handlers of one LogDetector never run concurrently (a lock per object), so a run is never
submitted twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import kopf

from logad_operator.cleanup import finalize
from logad_operator.kube import Kube
from logad_operator.reconcile import reconcile
from logad_operator.resources import LOG_DETECTORS
from logad_operator.schedule import format_time
from logad_operator.settings import OperatorSettings
from logad_operator.spec import SpecError
from logad_operator.status import invalid_status, status_changes

RESOURCE = (LOG_DETECTORS.group, LOG_DETECTORS.version, LOG_DETECTORS.plural)
PREFIX = "logad.io"
_INTERVAL = OperatorSettings.from_env().reconcile_interval  # kopf fixes a timer's interval when it is declared
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_finalized: set[str] = set()  # uids cleaned up: a timer run queued behind the clean-up must not recreate children


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Keep kopf's bookkeeping under logad.io annotations (the status schema holds only our fields), post
    Kubernetes Events for warnings and errors only (not for every timer run), and let a deletion that meets a
    timer mid-run (a thread kopf cannot cancel) wait a second for it, not kopf's default minute."""
    settings.posting.level = logging.WARNING
    settings.background.cancellation_polling = 1.0
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix=PREFIX)
    settings.persistence.finalizer = f"{PREFIX}/finalizer"
    memo.settings = OperatorSettings.from_env()


@kopf.on.create(*RESOURCE)
@kopf.on.update(*RESOURCE, field="spec")
def apply_spec(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, logger: logging.Logger, **_: Any) -> None:
    """Reconcile a new or changed spec; an invalid one fails the LogDetector without retries."""
    error = _reconcile(body, patch, memo.settings, logger)
    if error:
        raise kopf.PermanentError(error)


@kopf.timer(*RESOURCE, interval=_INTERVAL)
def resync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, logger: logging.Logger, **_: Any) -> None:
    """Follow the training runs and the schedule (an invalid spec is only reported)."""
    _reconcile(body, patch, memo.settings, logger)


@kopf.on.delete(*RESOURCE)
def clean_up(body: kopf.Body, memo: kopf.Memo, logger: logging.Logger, **_: Any) -> None:
    """Release what garbage collection does not: an unowned InferenceService and knowledge-base rows."""
    uid = body["metadata"]["uid"]
    with _lock(uid):
        finalize(body, Kube(), memo.settings, logger)
        _finalized.add(uid)
    with _locks_guard:
        _locks.pop(uid, None)


def _reconcile(body: kopf.Body, patch: kopf.Patch, settings: OperatorSettings, logger: logging.Logger) -> str:
    """Reconcile and put the status changes into ``patch``; returns the spec error, if any."""
    now = dt.datetime.now(dt.UTC)
    current = dict(body.get("status") or {})
    error = ""
    uid = body["metadata"]["uid"]
    with _lock(uid):
        if uid in _finalized or body["metadata"].get("deletionTimestamp"):
            return ""
        try:
            desired = reconcile(body, Kube(), settings, now, logger)
        except SpecError as exc:
            error = str(exc)
            desired = invalid_status(error, body["metadata"].get("generation", 0), current, format_time(now))
    changes = status_changes(current, desired)
    if changes:
        patch.status.update(changes)
    return error


def _lock(uid: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(uid, threading.Lock())
