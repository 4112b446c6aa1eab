"""The persisted, versioned template store: stable template IDs from training to serving.

IDs are Drain cluster IDs: 1, 2, ... in creation order, never reused or renumbered; ``UNKNOWN_ID`` (0) is
for messages that match no template. ``learn`` runs Drain (and may add or generalise templates); ``lookup``
never changes anything: it returns the ID a message got while learning, else the cluster Drain would put
it in under the same similarity rule, else ``UNKNOWN_ID``.

Every distinct (masked) message learnt is pinned to the cluster it joined, even if later templates would
match it better, so a message seen in training keeps its ID at serving time. On disk only the pins that a
plain ``match`` would not reproduce are kept.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from logad.config import config_from_dict, config_to_dict
from logad.errors import BadInputError, ConfigError
from logad.jsonio import read_json_object, write_json_atomic
from logad.parsing.drain import Drain, DrainConfig

UNKNOWN_ID = 0
STORE_FORMAT = 1


class TemplateStore:
    """Drain plus pinned IDs, with JSON persistence (format version + content hash)."""

    def __init__(self, config: DrainConfig | None = None) -> None:
        self.drain = Drain(config)
        self._pinned: dict[str, int] = {}
        self._version: str | None = None

    @property
    def config(self) -> DrainConfig:
        return self.drain.config

    def __len__(self) -> int:
        return len(self.drain.clusters)

    @property
    def templates(self) -> dict[int, str]:
        """Template text by ID."""
        return {cluster.id: cluster.template for cluster in self.drain.clusters}

    def learn(self, message: str) -> int:
        """The ID of ``message``'s cluster, learning it with Drain the first time the message is seen."""
        template_id = self._pinned.get(message)
        if template_id is None:
            template_id = self.drain.add(self.drain.tokenize(message)).id
            self._pinned[message] = template_id
            self._version = None
        return template_id

    def lookup(self, message: str) -> int:
        """Match-only: the learnt ID, else the best matching template's ID, else ``UNKNOWN_ID``."""
        template_id = self._pinned.get(message)
        if template_id is not None:
            return template_id
        cluster = self.drain.match(self.drain.tokenize(message))
        return cluster.id if cluster is not None else UNKNOWN_ID

    @property
    def version(self) -> str:
        """Content hash of the config, templates and pins: equal versions give equal IDs."""
        if self._version is None:
            self._version = _content_hash(self._content())
        return self._version

    def save(self, path: Path) -> None:
        """Write the store as JSON, atomically."""
        content = self._content()
        write_json_atomic(Path(path), {"format": STORE_FORMAT, "version": _content_hash(content), **content})

    @classmethod
    def load(cls, path: Path) -> TemplateStore:
        """Read a saved store; BadInputError if it is missing, corrupt, edited or from a newer format."""
        path = Path(path)
        data = read_json_object(path, "template store")
        if not isinstance(data.get("format"), int):
            raise BadInputError(f"template store {path}: not a template store (no format number)")
        if data["format"] > STORE_FORMAT:
            raise BadInputError(
                f"template store {path} has format {data['format']}, this logad reads {STORE_FORMAT}: upgrade logad"
            )
        content = {key: data.get(key) for key in ("drain", "templates", "pinned")}
        if data.get("version") != _content_hash(content):
            raise BadInputError(f"template store {path}: content does not match its version hash (edited or corrupt)")
        try:
            return cls._from_content(content)
        except (ConfigError, KeyError, TypeError, ValueError) as exc:
            raise BadInputError(f"template store {path}: invalid content: {exc}") from None

    def _content(self) -> dict[str, Any]:
        clusters = self.drain.clusters
        pinned = {}
        for message, template_id in self._pinned.items():
            match = self.drain.match(self.drain.tokenize(message))
            if match is None or match.id != template_id:
                pinned[message] = template_id
        return {
            "drain": config_to_dict(self.config),
            "templates": [{"id": c.id, "template": c.template, "path": list(c.path)} for c in clusters],
            "pinned": pinned,
        }

    @classmethod
    def _from_content(cls, content: dict[str, Any]) -> TemplateStore:
        store = cls(config_from_dict(DrainConfig, content["drain"], "drain"))
        for expected_id, entry in enumerate(content["templates"], start=1):
            if entry["id"] != expected_id:
                raise ValueError(f"template ids must run 1, 2, ... in order; found {entry['id']} at {expected_id}")
            store.drain.restore(entry["template"].split(), tuple(entry["path"]))
        for message, template_id in content["pinned"].items():
            if not 1 <= template_id <= len(store):
                raise ValueError(f"pinned message {message!r} has unknown template id {template_id}")
            store._pinned[message] = template_id
        return store


def _content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
