"""Settings of the vector knowledge base: where it lives and how its vector index is built and searched."""

from __future__ import annotations

from dataclasses import dataclass, fields

INDEX_TYPES = ("HNSW", "IVF_FLAT", "FLAT", "AUTOINDEX")
METRICS = ("COSINE", "IP", "L2")
_INT_FIELDS = ("hnsw_m", "ef_construction", "ef_search", "ivf_nlist", "ivf_nprobe", "insert_batch", "search_batch")


def is_server_uri(uri: str) -> bool:
    """True for a Milvus server address (``http://host:19530``), False for a local milvus-lite database path."""
    return "://" in uri


@dataclass
class KBConfig:
    """Where the knowledge base is (a milvus-lite ``*.db`` path or a Milvus server URI) and its index settings.

    Relative paths are resolved by callers. ``token`` is only used for a server (``user:password`` or an API key).
    """

    uri: str = "kb.db"
    token: str = ""
    index_type: str = "HNSW"
    metric: str = "COSINE"
    hnsw_m: int = 16
    ef_construction: int = 200
    ef_search: int = 128
    ivf_nlist: int = 128
    ivf_nprobe: int = 16
    insert_batch: int = 1000
    search_batch: int = 256

    def __post_init__(self) -> None:
        if not isinstance(self.uri, str) or not self.uri.strip():
            raise ValueError("knowledge base uri must be a non-empty path or URI")
        if not is_server_uri(self.uri) and not self.uri.endswith(".db"):
            raise ValueError(f"knowledge base path {self.uri!r} must end with .db (or be a URI like http://host:19530)")
        if self.index_type not in INDEX_TYPES:
            raise ValueError(f"knowledge base index_type {self.index_type!r} is not one of {', '.join(INDEX_TYPES)}")
        if self.metric not in METRICS:
            raise ValueError(f"knowledge base metric {self.metric!r} is not one of {', '.join(METRICS)}")
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in _INT_FIELDS and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"knowledge base {field.name} must be a positive integer, got {value!r}")
