"""The knowledge base: (embedding, label) pairs of log windows in a Milvus collection, one collection per model version.

The same code serves an embedded milvus-lite database (a local ``*.db`` path) and a Milvus server (``http://...``).
A row is one distinct window content of one tenant, label and source, with the number of windows it stands for:
logs repeat (HDFS_2pct's 8,280 training sessions are 335 distinct texts), and an HNSW graph full of identical
vectors loses them (FAISS's HNSW in milvus-lite did not find the exact copies of 155 of those 335 texts among 8,280
per-window rows). Searches count each row as its windows, so the k-NN vote is the per-window one. Writing a source
again replaces its rows; ``tenant`` is a partition key and every search filters on it, so a tenant never sees
another tenant's windows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
from pymilvus import DataType, MilvusClient
from pymilvus.exceptions import MilvusException

from logad.errors import BadInputError, LogadError
from logad.kb.config import KBConfig, is_server_uri
from logad.tenants import check_tenant

PROP_MODEL_VERSION = "logad.model_version"
PROP_DIM = "logad.dim"
PROP_FORMAT = "logad.kb_format"
KB_FORMAT = "2"  # 2: one row per distinct (tenant, source, label, content) with a window count
MAX_K = 16384  # Milvus's largest search limit
_COLLECTION_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
_UNREACHABLE = 2  # pymilvus' code for "Fail connecting to server"
_NOT_LOADED = 101  # a collection released, as after a Milvus restart
PING_TIMEOUT_S = 2.0
_MAX_TENANT, _MAX_SEQ_ID, _MAX_SOURCE, _MAX_KEY = 64, 512, 1024, 1 << 20
_DIGEST_CHARS = 32
_SCAN_BATCH = 1000
_LOCAL_CLIENTS: Counter[str] = Counter()  # open KnowledgeBase clients per milvus-lite database path


# milvus-lite has no server timestamps: at every scan its in-process gRPC server logs the unimplemented call with a
# traceback and pymilvus warns before falling back to the client's clock. Both are noise, not errors.
logging.getLogger("pymilvus.client.iterator.query_iterator").addFilter(
    lambda record: "failed to get mvccTs" not in record.getMessage()
)
logging.getLogger("grpc._server").addFilter(lambda record: "Method not implemented" not in record.getMessage())


class KnowledgeBaseUnavailable(LogadError):
    """The Milvus server that holds a knowledge base cannot be reached: nothing was read or written."""


class KBVersionError(BadInputError):
    """The knowledge base was built with another model version (or embedding size) than the one asked for."""


@dataclass
class KBHits:
    """Nearest neighbours of ``n`` query vectors, best first; rows with fewer than ``k`` hits are padded.

    ``similarities`` (n, k) float, NaN padded: higher is closer. For COSINE and IP this is the score Milvus
    returns (cosine similarity / inner product); for L2 it is the negated squared distance.
    ``labels`` (n, k) int, -1 padded. ``windows`` (n, k) int, 0 padded: how many windows each hit stands for.
    ``seq_ids`` holds the hits' window ids (the first window of each), one list per query.
    """

    similarities: np.ndarray
    labels: np.ndarray
    windows: np.ndarray
    seq_ids: list[list[str]]

    def at_least(self, similarity: float | None) -> KBHits:
        """These hits without the ones less similar than ``similarity`` (padding in their place; None keeps all)."""
        if similarity is None:
            return self
        keep = self.similarities >= similarity  # NaN padding is never kept; hits are best first, so a prefix is
        return KBHits(
            similarities=np.where(keep, self.similarities, np.nan),
            labels=np.where(keep, self.labels, -1),
            windows=np.where(keep, self.windows, 0),
            seq_ids=[ids[: int(row.sum())] for ids, row in zip(self.seq_ids, keep, strict=True)],
        )


def collection_name(detector: str, model_version: str) -> str:
    """A Milvus-legal, deterministic collection name for a detector's model version.

    Characters Milvus does not allow become ``_``; a hash of the exact inputs keeps distinct versions apart.
    """
    digest = hashlib.sha256(f"{detector}\0{model_version}".encode()).hexdigest()[:10]
    readable = re.sub(r"[^A-Za-z0-9_]", "_", f"{detector}_{model_version}")
    return f"logad_{readable[: 255 - len('logad__') - len(digest)]}_{digest}"


def display_uri(uri: str) -> str:
    """``uri`` without credentials (user:password@ or a query string), for messages and ``info``."""
    if not is_server_uri(uri):
        return uri
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def list_collections(config: KBConfig) -> list[dict[str, Any]]:
    """The logad knowledge-base collections at ``config.uri``: name, model_version and dim, sorted by name."""
    client = _connect(config)
    try:
        found = []
        for name in sorted(client.list_collections()):
            props = client.describe_collection(name).get("properties", {})
            if PROP_MODEL_VERSION in props:
                found.append({"name": name, "model_version": props[PROP_MODEL_VERSION], "dim": int(props[PROP_DIM])})
        return found
    finally:
        _disconnect(client, config)


class KnowledgeBase:
    """One knowledge-base collection, open for writing and searching; use :meth:`open`, and close it when done."""

    def __init__(self, client: MilvusClient, config: KBConfig, collection: str, model_version: str, dim: int):
        self._client = client
        self.config = config
        self.collection = collection
        self.model_version = model_version
        self.dim = dim
        self._closed = False

    @classmethod
    def open(cls, config: KBConfig, collection: str, model_version: str, dim: int | None = None) -> KnowledgeBase:
        """Open ``collection``, creating it when it does not exist and ``dim`` is given.

        Raises KBVersionError when the collection was built for another model version or dim, and BadInputError
        when it does not exist and no ``dim`` is given to create it.
        """
        if not _COLLECTION_RE.fullmatch(collection):
            raise BadInputError(f"knowledge base collection name {collection!r} is not a valid Milvus name")
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 1):
            raise BadInputError(f"knowledge base embedding dim must be a positive integer, got {dim!r}")
        client = _connect(config)
        try:
            if client.has_collection(collection):
                dim = _check_existing(client, collection, model_version, dim)
                client.load_collection(collection)  # milvus-lite reopens collections released
            elif dim is None:
                raise BadInputError(
                    f"there is no knowledge base for model version {model_version} (collection {collection} at "
                    f"{display_uri(config.uri)}); build it with `logad kb build`"
                )
            else:
                _create(client, config, collection, model_version, dim)
        except BaseException:
            _disconnect(client, config)
            raise
        return cls(client, config, collection, model_version, dim)

    def write(
        self,
        tenant: str,
        source: str,
        keys: Sequence[str],
        seq_ids: Sequence[str],
        vectors: np.ndarray,
        labels: Sequence[int],
    ) -> int:
        """Replace what ``source`` (e.g. a log file's name) holds for ``tenant`` with these windows; returns the
        number of rows written.

        ``keys`` say which windows are the same (what each vector was computed from, e.g. the window's text):
        windows with the same key and label share one row that keeps the first one's vector and id and counts
        them. A window id given twice counts once, with its last key, vector and label. Writing the same source
        again is idempotent; other sources' rows stay.
        """
        check_tenant(tenant)
        source = _check_strings([source], "source", _MAX_SOURCE, allow_empty=True)[0]
        vecs = self._check_vectors(vectors)
        ids = _check_strings(seq_ids, "seq_id", _MAX_SEQ_ID, allow_empty=False)
        keys = _check_strings(keys, "key", _MAX_KEY, allow_empty=True)
        labs = _check_labels(labels)
        lengths = {"keys": len(keys), "seq_ids": len(ids), "vectors": len(vecs), "labels": len(labs)}
        if len(set(lengths.values())) != 1:
            raise BadInputError(f"knowledge base rows have different lengths: {lengths}")
        groups: dict[tuple[str, int], list[int]] = {}
        for i in sorted({seq_id: i for i, seq_id in enumerate(ids)}.values()):
            groups.setdefault((keys[i], int(labs[i])), []).append(i)
        write_id, source_id = uuid.uuid4().hex, _digest(source)
        rows = [
            {
                "pk": f"{tenant}/{_digest(source, str(label), key)}",
                "tenant": tenant,
                "label": label,
                "seq_id": ids[members[0]],
                "source": source,
                "source_id": source_id,
                "windows": len(members),
                "write_id": write_id,
                "vec": vecs[members[0]].tolist(),
            }
            for (key, label), members in groups.items()
        ]
        for start in range(0, len(rows), self.config.insert_batch):
            self._client.upsert(self.collection, rows[start : start + self.config.insert_batch])
        stale = f'{_tenant_filter(tenant)} and source_id == "{source_id}" and write_id != "{write_id}"'
        self._client.delete(self.collection, filter=stale)
        return len(rows)

    def search(self, tenant: str, vectors: np.ndarray, k: int) -> KBHits:
        """The ``k`` nearest rows of ``tenant`` to each vector, each with the windows it stands for (see
        :class:`KBHits` for the similarity scale)."""
        check_tenant(tenant)
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= MAX_K:
            raise BadInputError(f"number of neighbours k must be an integer from 1 to {MAX_K}, got {k!r}")
        k = int(k)
        vecs = self._check_vectors(vectors)
        n = len(vecs)
        sims = np.full((n, k), np.nan)
        labs = np.full((n, k), -1, dtype=np.int64)
        windows = np.zeros((n, k), dtype=np.int64)
        seq_ids: list[list[str]] = [[] for _ in range(n)]
        sign = -1.0 if self.config.metric == "L2" else 1.0
        for start in range(0, n, self.config.search_batch):
            results = self._reached(
                self._client.search,
                self.collection,
                data=vecs[start : start + self.config.search_batch].tolist(),
                limit=k,
                filter=_tenant_filter(tenant),
                output_fields=["label", "seq_id", "windows"],
                search_params={"metric_type": self.config.metric, "params": self._search_params(k)},
            )
            for row, hits in enumerate(results, start):
                for j, hit in enumerate(hits[:k]):
                    sims[row, j] = sign * hit["distance"]
                    labs[row, j] = hit["entity"]["label"]
                    windows[row, j] = hit["entity"]["windows"]
                    seq_ids[row].append(hit["entity"]["seq_id"])
        return KBHits(similarities=sims, labels=labs, windows=windows, seq_ids=seq_ids)

    def count(self, tenant: str | None = None, label: int | None = None) -> int:
        """Rows stored, for all tenants or one, optionally only those with ``label``; exact right after writes."""
        result = self._client.query(self.collection, filter=_filter(tenant, label), output_fields=["count(*)"])
        return int(result[0]["count(*)"])

    def windows(self, tenant: str | None = None, label: int | None = None) -> int:
        """Windows the rows stand for, for all tenants or one, optionally only those with ``label``."""
        total = 0
        pages = self._client.query_iterator(
            self.collection, batch_size=_SCAN_BATCH, filter=_filter(tenant, label), output_fields=["windows"]
        )
        try:
            while page := pages.next():
                total += sum(int(row["windows"]) for row in page)
        finally:
            pages.close()
        return total

    def tenants(self) -> list[str]:
        """The tenants that have rows, sorted."""
        found: list[str] = []
        while True:
            filt = f"tenant not in {json.dumps(found)}" if found else ""
            rows = self._client.query(self.collection, filter=filt, output_fields=["tenant"], limit=_SCAN_BATCH)
            if not rows:
                return sorted(found)
            found.extend(sorted({row["tenant"] for row in rows}))

    def info(self) -> dict[str, Any]:
        """A summary: where the collection is, its model version and index, and per tenant its rows and the
        normal and anomalous windows they stand for."""
        index = self._client.describe_index(self.collection, "vec")
        per_tenant = {}
        for tenant in self.tenants():
            per_tenant[tenant] = {
                "rows": self.count(tenant),
                "normal_windows": self.windows(tenant, label=0),
                "anomalous_windows": self.windows(tenant, label=1),
            }
        return {
            "collection": self.collection,
            "uri": display_uri(self.config.uri),
            "model_version": self.model_version,
            "dim": self.dim,
            "index": {"type": index.get("index_type"), "metric": index.get("metric_type")},
            "rows": self.count(),
            "tenants": per_tenant,
        }

    def drop_tenant(self, tenant: str) -> int:
        """Delete all of ``tenant``'s rows; returns how many there were."""
        removed = self.count(tenant)
        if removed:
            self._client.delete(self.collection, filter=_tenant_filter(tenant))
        return removed

    def drop(self) -> None:
        """Delete the whole collection (every tenant)."""
        self._client.drop_collection(self.collection)

    def close(self) -> None:
        """Release the connection (and milvus-lite's lock on the database); safe to call twice."""
        if not self._closed:
            self._closed = True
            _disconnect(self._client, self.config)

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ping(self) -> None:
        """Return when the Milvus server answers for the collection; KnowledgeBaseUnavailable when it does not."""
        if not self._reached(self._client.has_collection, self.collection, timeout=PING_TIMEOUT_S):
            raise KnowledgeBaseUnavailable(
                f"the knowledge base collection {self.collection} is gone from {display_uri(self.config.uri)}"
            )

    def _reached(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """``call(*args, **kwargs)`` on the Milvus client: KnowledgeBaseUnavailable when the server cannot be
        reached, and once more after loading the collection when a restarted server has it released."""
        try:
            return call(*args, **kwargs)
        except MilvusException as exc:
            if exc.code == _UNREACHABLE:
                raise KnowledgeBaseUnavailable(
                    f"the knowledge base at {display_uri(self.config.uri)} is unreachable: {exc.message}"
                ) from None
            if exc.code != _NOT_LOADED:
                raise
        self._reached(self._client.load_collection, self.collection)
        return call(*args, **kwargs)

    def _search_params(self, k: int) -> dict[str, int]:
        if self.config.index_type == "HNSW":
            return {"ef": max(self.config.ef_search, k)}
        if self.config.index_type == "IVF_FLAT":
            return {"nprobe": self.config.ivf_nprobe}
        return {}

    def _check_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` as a C-contiguous float32 (n, dim) array, or BadInputError naming what is wrong."""
        arr = np.asarray(vectors)
        if arr.size == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        if arr.dtype.kind not in "fiu":
            raise BadInputError(f"knowledge base vectors must be numbers, got dtype {arr.dtype}")
        if arr.ndim != 2 or arr.shape[1] != self.dim:
            raise BadInputError(
                f"knowledge base vectors must have shape (n, {self.dim}) for collection {self.collection}, "
                f"got {arr.shape}"
            )
        bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        if len(bad):
            raise BadInputError(f"knowledge base vector {bad[0]} has NaN or infinite values ({len(bad)} rows in all)")
        return np.ascontiguousarray(arr, dtype=np.float32)


def _connect(config: KBConfig) -> MilvusClient:
    local = not is_server_uri(config.uri)
    if local:
        Path(config.uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        client = MilvusClient(uri=config.uri, token=config.token)
    except MilvusException as exc:
        hint = " (milvus-lite lets only one process use a database at a time)" if local else ""
        raise LogadError(f"cannot open the knowledge base at {display_uri(config.uri)}: {exc.message}{hint}") from None
    if local:
        _LOCAL_CLIENTS[os.path.abspath(config.uri)] += 1
    return client


def _disconnect(client: MilvusClient, config: KBConfig) -> None:
    """Close ``client``; when it was the process's last client of a milvus-lite database, stop the embedded
    server too, which releases the database's lock so another process can open it (milvus-lite otherwise holds
    it until the process exits)."""
    client.close()
    if is_server_uri(config.uri):
        return
    path = os.path.abspath(config.uri)
    _LOCAL_CLIENTS[path] -= 1
    if _LOCAL_CLIENTS[path] <= 0:
        del _LOCAL_CLIENTS[path]
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(path)


def _check_existing(client: MilvusClient, collection: str, model_version: str, dim: int | None) -> int:
    """The stored dim of an existing collection, after checking it was built for ``model_version`` (and ``dim``)."""
    props = client.describe_collection(collection).get("properties", {})
    if PROP_MODEL_VERSION not in props:
        raise BadInputError(f"collection {collection} exists but is not a logad knowledge base")
    if props.get(PROP_FORMAT) != KB_FORMAT:
        raise KBVersionError(
            f"knowledge base collection {collection} was written by an older logad (one row per window); "
            "train the model again, or drop the collection and build it with `logad kb build`"
        )
    built_for, stored_dim = props[PROP_MODEL_VERSION], int(props[PROP_DIM])
    if built_for != model_version:
        raise KBVersionError(
            f"knowledge base collection {collection} was built for model version {built_for}, not {model_version}; "
            "rebuild it with `logad kb build`"
        )
    if dim is not None and dim != stored_dim:
        raise KBVersionError(
            f"knowledge base collection {collection} holds {stored_dim}-dim vectors, not {dim}; "
            "rebuild it with `logad kb build`"
        )
    return stored_dim


def _create(client: MilvusClient, config: KBConfig, collection: str, model_version: str, dim: int) -> None:
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", DataType.VARCHAR, max_length=_MAX_TENANT + 1 + _DIGEST_CHARS, is_primary=True)
    schema.add_field("tenant", DataType.VARCHAR, max_length=_MAX_TENANT, is_partition_key=True)
    schema.add_field("label", DataType.INT8)
    schema.add_field("seq_id", DataType.VARCHAR, max_length=_MAX_SEQ_ID)
    schema.add_field("source", DataType.VARCHAR, max_length=_MAX_SOURCE)
    schema.add_field("source_id", DataType.VARCHAR, max_length=_DIGEST_CHARS)
    schema.add_field("windows", DataType.INT64)
    schema.add_field("write_id", DataType.VARCHAR, max_length=_DIGEST_CHARS)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    index_params = client.prepare_index_params()
    index_params.add_index(
        field_name="vec", index_type=config.index_type, metric_type=config.metric, params=_index_build_params(config)
    )
    client.create_collection(
        collection,
        schema=schema,
        index_params=index_params,
        consistency_level="Strong",  # counts and searches see every acknowledged write
        properties={PROP_MODEL_VERSION: model_version, PROP_DIM: str(dim), PROP_FORMAT: KB_FORMAT},
    )


def _index_build_params(config: KBConfig) -> dict[str, int]:
    if config.index_type == "HNSW":
        return {"M": config.hnsw_m, "efConstruction": config.ef_construction}
    if config.index_type == "IVF_FLAT":
        return {"nlist": config.ivf_nlist}
    return {}


def _tenant_filter(tenant: str) -> str:
    return f'tenant == "{check_tenant(tenant)}"'


def _filter(tenant: str | None, label: int | None) -> str:
    clauses = [] if tenant is None else [_tenant_filter(tenant)]
    if label is not None:
        clauses.append(f"label == {int(label)}")
    return " and ".join(clauses)


def _digest(*parts: str) -> str:
    """A fixed-length hex name for ``parts`` (safe inside a Milvus filter)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:_DIGEST_CHARS]


def _check_strings(values: Sequence[str], what: str, max_len: int, allow_empty: bool) -> list[str]:
    values = list(values)
    for i, value in enumerate(values):
        if not isinstance(value, str) or len(value.encode()) > max_len or (not value and not allow_empty):
            raise BadInputError(
                f"knowledge base {what} {i} must be a {'' if allow_empty else 'non-empty '}string of at most "
                f"{max_len} bytes, got {value!r:.80}"
            )
    return values


def _check_labels(labels: Sequence[int]) -> np.ndarray:
    labs = np.asarray(labels)
    if labs.size == 0:
        return np.empty(0, dtype=np.int64)
    if labs.ndim != 1 or labs.dtype.kind not in "biuf":
        raise BadInputError(f"knowledge base labels must be a 1-D sequence of 0/1, got shape {labs.shape}")
    bad = np.flatnonzero(~np.isin(labs, (0, 1)))
    if len(bad):
        raise BadInputError(
            f"knowledge base label {bad[0]} is {labs[bad[0]].item()!r}; labels must be 0 (normal) or 1 (anomalous)"
        )
    return labs.astype(np.int64)
