"""Where a LogSentry model's knowledge base lives: the reference saved in the artifact and how to open it."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from logad.kb import KBConfig, KnowledgeBase
from logad.kb.config import is_server_uri

# Set by the Helm chart on the servers (and the operator): the Milvus every model's knowledge base lives in.
MILVUS_URI_ENV = "LOGAD_MILVUS_URI"
MILVUS_TOKEN_ENV = "LOGAD_MILVUS_TOKEN"


@dataclass
class KnowledgeBaseRef:
    """The KB a model was trained with: its URI (a local path relative to the model folder, or a server),
    collection, the model version it belongs to, its embedding size and the training tenant."""

    uri: str
    collection: str
    model_version: str
    dim: int
    tenant: str

    def resolved_uri(self, model_dir: Path) -> str:
        """``LOGAD_MILVUS_URI`` when a deployment sets it (the cluster's Milvus, wherever training ran); else server
        URIs and absolute paths as they are, relative paths against the model folder."""
        if os.environ.get(MILVUS_URI_ENV):
            return os.environ[MILVUS_URI_ENV]
        if is_server_uri(self.uri) or Path(self.uri).is_absolute():
            return self.uri
        return str(model_dir / self.uri)

    def open(self, config: KBConfig, model_dir: Path, create: bool = False) -> KnowledgeBase:
        """Open (or create) the collection; refuses one built for another model version."""
        token = os.environ.get(MILVUS_TOKEN_ENV) or config.token
        kb_config = replace(config, uri=self.resolved_uri(model_dir), token=token)
        return KnowledgeBase.open(kb_config, self.collection, self.model_version, self.dim if create else None)

    def relocated(self, old_dir: Path, new_dir: Path) -> KnowledgeBaseRef:
        """This reference as seen from ``new_dir``: stays relative only if the database is inside ``new_dir``."""
        resolved = self.resolved_uri(old_dir)
        if is_server_uri(resolved):
            return self
        path = Path(resolved).resolve()
        try:
            return replace(self, uri=str(path.relative_to(new_dir.resolve())))
        except ValueError:
            return replace(self, uri=str(path))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
