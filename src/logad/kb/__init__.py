"""Vector knowledge base of labelled log-window embeddings (Milvus / milvus-lite) for the k-NN anomaly vote."""

from logad.kb.config import KBConfig
from logad.kb.knn import knn_probability
from logad.kb.sampling import undersample
from logad.kb.store import (
    KBHits,
    KBVersionError,
    KnowledgeBase,
    KnowledgeBaseUnavailable,
    collection_name,
    list_collections,
)

__all__ = [
    "KBConfig",
    "KBHits",
    "KBVersionError",
    "KnowledgeBase",
    "KnowledgeBaseUnavailable",
    "collection_name",
    "knn_probability",
    "list_collections",
    "undersample",
]
