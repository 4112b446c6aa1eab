"""The model registry: which model version serves each tenant, and every version a tenant was given.

A folder (local path or a mounted volume): ``<tenant>/current.json`` (written atomically, so a reader sees the
old or the new version, never half of one) and ``<tenant>/history.jsonl`` (append-only). Serving reads
``current``; rolling a tenant back is registering an older artifact again.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from logad.artifact import read_manifest
from logad.jsonio import read_json_object, write_json_atomic
from logad.tenants import check_tenant

CURRENT = "current.json"
HISTORY = "history.jsonl"


class ModelRegistry:
    """Per-tenant model versions under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def register(self, tenant: str, artifact: Path) -> dict[str, Any]:
        """Make ``artifact`` (a trained model folder) the tenant's current model; returns the entry."""
        folder = self.root / check_tenant(tenant)
        manifest = read_manifest(artifact)
        entry = {
            "tenant": tenant,
            "model_version": manifest.model_version,
            "detector": manifest.detector,
            "uri": str(Path(artifact).resolve()),
            "test_f1": manifest.metrics.get("test", {}).get("f1"),
            "registered_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / HISTORY, "a", encoding="utf-8") as history:
            history.write(json.dumps(entry) + "\n")
        write_json_atomic(folder / CURRENT, entry)
        return entry

    def current(self, tenant: str) -> dict[str, Any]:
        """The tenant's current entry; BadInputError when none is registered."""
        return read_json_object(self.root / check_tenant(tenant) / CURRENT, f"registry entry of tenant {tenant!r}")

    def history(self, tenant: str) -> list[dict[str, Any]]:
        """Every entry registered for the tenant, oldest first."""
        path = self.root / check_tenant(tenant) / HISTORY
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
