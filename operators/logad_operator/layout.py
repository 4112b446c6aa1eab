"""Where a LogDetector's runs, models and serving state live on the shared data volume.

Each training run works in ``<mount>/runs/<namespace>/<service>/<run>``, the pipeline's ``workdir`` parameter;
its model is ``<workdir>/model``, which the roll-out step serves as ``pvc://<claim>/runs/.../<run>/model`` (the
workdir without the mount path). Before the first run rolls out, the InferenceService points at the ``initial``
run folder (the service is stopped until a run's model is rolled out).
"""

from __future__ import annotations

import datetime as dt

from logad_operator.settings import OperatorSettings

INITIAL_RUN = "initial"


def run_id(now: dt.datetime) -> str:
    """A sortable run name from the submission time (UTC), valid as a label value."""
    return now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S-%f")


def _runs(namespace: str, service: str) -> str:
    return f"runs/{namespace}/{service}"


def workdir(settings: OperatorSettings, namespace: str, service: str, run: str) -> str:
    """The run's folder as the pipeline's pods see it."""
    return f"{settings.data_mount}/{_runs(namespace, service)}/{run}"


def storage_uri(settings: OperatorSettings, namespace: str, service: str, run: str) -> str:
    """The run's model as KServe's ``storageUri``: what the roll-out step sets."""
    return f"pvc://{settings.data_claim}/{_runs(namespace, service)}/{run}/model"


def model_path(settings: OperatorSettings, storage_uri: str) -> str:
    """The model folder of ``storage_uri`` as the pipeline's pods see it (what its roll-out step records)."""
    return f"{settings.data_mount}/{storage_uri.removeprefix(f'pvc://{settings.data_claim}/')}"


def state_subpath(namespace: str, service: str) -> str:
    """The transformer's SQLite state folder inside the data volume (when no state URL is configured)."""
    return f"state/{namespace}/{service}"
