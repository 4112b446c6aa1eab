"""``spec.training.config`` as a YAML file on the data volume: the pipeline's ``config`` parameter is a path that
``logad train --config`` reads, so the operator writes the object there and passes the path."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import yaml

from logad_operator.layout import config_path
from logad_operator.settings import OperatorSettings
from logad_operator.spec import SpecError


def require_config_dir(settings: OperatorSettings) -> None:
    """SpecError unless the operator can write config files onto the data volume."""
    if not settings.operator_data_dir:
        raise SpecError(
            "spec.training.config",
            "the operator cannot hand a config to the pipeline: mount the data volume into the operator and set "
            "LOGAD_OPERATOR_DATA_DIR",
        )


def write_training_config(config: dict[str, Any] | None, settings: OperatorSettings, namespace: str, name: str) -> str:
    """Write ``config`` once under a name derived from its content; returns the path the pipeline's pods see
    (``""`` when there is no config). A running workflow's file is never rewritten: a changed config gets a new
    file."""
    if config is None:
        return ""
    require_config_dir(settings)
    text = yaml.safe_dump(config, sort_keys=True)
    relative = config_path(namespace, name, hashlib.sha256(text.encode()).hexdigest()[:12])
    target = Path(settings.operator_data_dir) / relative
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    return f"{settings.data_mount}/{relative}"
