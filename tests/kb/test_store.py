"""The knowledge base on a real milvus-lite database in a temporary directory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pymilvus import DataType, MilvusClient

from logad.errors import BadInputError
from logad.kb import KBConfig, KBVersionError, KnowledgeBase, collection_name, list_collections
from logad.kb.store import PROP_DIM, PROP_MODEL_VERSION

DIM = 8
COLLECTION = collection_name("logsentry", "v1")


def _vectors(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)


def _ids(n: int) -> list[str]:
    return [f"w{i}" for i in range(n)]


@pytest.fixture
def config(tmp_path: Path) -> KBConfig:
    return KBConfig(uri=str(tmp_path / "kb" / "kb.db"))


@pytest.fixture
def kb(config: KBConfig) -> Iterator[KnowledgeBase]:
    store = KnowledgeBase.open(config, COLLECTION, "v1", dim=DIM)
    yield store
    store.close()


def _write(kb: KnowledgeBase, tenant: str, vectors: np.ndarray, labels: list[int], source: str = "x") -> int:
    """Each window its own content (key = its id)."""
    return kb.write(tenant, source, _ids(len(labels)), _ids(len(labels)), vectors, labels)


def test_search_finds_identical_vector_with_its_label(kb: KnowledgeBase):
    vecs, labels = _vectors(20, seed=0), [i % 2 for i in range(20)]
    assert _write(kb, "a", vecs, labels, "train.log") == 20
    hits = kb.search("a", vecs[[3, 4]], k=3)
    assert [row[0] for row in hits.seq_ids] == ["w3", "w4"]
    assert hits.labels[:, 0].tolist() == [1, 0]
    assert hits.similarities[:, 0] == pytest.approx([1.0, 1.0], abs=1e-5)
    assert np.all(np.diff(hits.similarities, axis=1) <= 1e-6)  # best first


def test_fewer_hits_than_k_are_padded_and_empty_input_is_empty(kb: KnowledgeBase):
    _write(kb, "a", _vectors(2, seed=1), [0, 1])
    hits = kb.search("a", _vectors(1, seed=2), k=4)
    assert np.isnan(hits.similarities[0, 2:]).all() and not np.isnan(hits.similarities[0, :2]).any()
    assert hits.labels[0, 2:].tolist() == [-1, -1] and hits.windows[0].tolist() == [1, 1, 0, 0]
    assert len(hits.seq_ids[0]) == 2
    empty = kb.search("a", np.empty((0, DIM)), k=4)
    assert empty.similarities.shape == empty.labels.shape == (0, 4) and empty.seq_ids == []
    assert kb.search("nobody", _vectors(1, seed=2), k=4).labels.tolist() == [[-1] * 4]


def test_identical_windows_share_a_row_that_counts_them(kb: KnowledgeBase):
    base = _vectors(3, seed=3)
    # 300 windows of three contents (HNSW graphs lose exact duplicates: one row per content keeps them findable)
    keys = [f"text{i % 3}" for i in range(300)]
    labels = [1 if i % 3 == 2 else 0 for i in range(300)]
    vectors = base[[i % 3 for i in range(300)]]
    assert kb.write("a", "train", keys, _ids(300), vectors, labels) == 3
    assert kb.count("a") == 3 and kb.windows("a") == 300 and kb.windows("a", label=1) == 100
    hits = kb.search("a", base[[2]], k=3)
    assert hits.labels[0, 0] == 1 and hits.windows[0].tolist() == [100, 100, 100]
    assert hits.seq_ids[0][0] == "w2"  # the row keeps its first window's id
    # the same text with both labels: two rows, each with its own count
    assert kb.write("a", "more", ["text0", "text0", "text0"], ["m0", "m1", "m2"], base[[0, 0, 0]], [0, 1, 1]) == 2
    assert kb.windows("a", label=1) == 102


def test_writing_a_source_again_replaces_its_rows(kb: KnowledgeBase):
    vecs = _vectors(10, seed=4)
    _write(kb, "a", vecs, [0] * 10, "first.log")
    _write(kb, "a", vecs, [0] * 10, "first.log")
    assert kb.count() == kb.count("a") == 10 and kb.windows("a") == 10
    _write(kb, "a", _vectors(4, seed=9), [0] * 4, "second.log")  # another source adds its rows
    assert kb.count("a") == 14
    assert kb.write("a", "first.log", ["w0", "w0"], ["w0", "w0"], vecs[:2], [0, 1]) == 1  # last duplicate wins
    assert kb.count("a") == 5 and kb.windows("a", label=1) == 1
    hits = kb.search("a", vecs[1:2], k=1)  # first.log now holds w0 only, with vecs[1] and label 1
    assert hits.seq_ids == [["w0"]] and hits.labels.tolist() == [[1]]


def test_tenants_are_isolated(kb: KnowledgeBase):
    queries = _vectors(3, seed=4)
    _write(kb, "a", _vectors(5, seed=5), [0] * 5, "a.log")
    _write(kb, "b", queries, [1] * 3, "b.log")  # exact matches, but another tenant's
    hits = kb.search("a", queries, k=5)
    assert (hits.labels == 0).all() and (hits.similarities < 0.999).all()
    info = kb.info()
    assert info["rows"] == 8 and info["model_version"] == "v1" and info["dim"] == DIM
    assert info["tenants"] == {
        "a": {"rows": 5, "normal_windows": 5, "anomalous_windows": 0},
        "b": {"rows": 3, "normal_windows": 0, "anomalous_windows": 3},
    }
    assert kb.drop_tenant("b") == 3
    assert kb.drop_tenant("b") == 0
    assert (kb.count("a"), kb.count("b"), kb.count()) == (5, 0, 5)


def test_persists_across_processes_and_checks_model_version(config: KBConfig):
    script = textwrap.dedent(
        f"""
        import numpy as np
        from logad.kb import KBConfig, KnowledgeBase
        vecs = np.eye({DIM}, dtype=np.float32)
        with KnowledgeBase.open(KBConfig(uri={config.uri!r}), {COLLECTION!r}, "v1", dim={DIM}) as kb:
            kb.write("a", "child", ["s0", "s1"], ["s0", "s1"], vecs[:2], [0, 1])
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    with KnowledgeBase.open(config, COLLECTION, "v1") as kb:
        assert kb.dim == DIM and kb.count() == 2
        hits = kb.search("a", np.eye(DIM, dtype=np.float32)[1:2], k=1)
        assert hits.seq_ids == [["s1"]] and hits.labels.tolist() == [[1]]
    with pytest.raises(KBVersionError, match=f"{COLLECTION} was built for model version v1, not v2"):
        KnowledgeBase.open(config, COLLECTION, "v2")
    with pytest.raises(KBVersionError, match="8-dim"):
        KnowledgeBase.open(config, COLLECTION, "v1", dim=16)
    with pytest.raises(BadInputError, match="no knowledge base for model version v2"):
        KnowledgeBase.open(config, collection_name("logsentry", "v2"), "v2")
    assert list_collections(config) == [{"name": COLLECTION, "model_version": "v1", "dim": DIM}]


def test_a_knowledge_base_of_the_old_one_row_per_window_format_is_refused(config: KBConfig):
    Path(config.uri).parent.mkdir(parents=True)
    client = MilvusClient(config.uri)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("pk", DataType.VARCHAR, max_length=64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=DIM)
    client.create_collection(COLLECTION, schema=schema, properties={PROP_MODEL_VERSION: "v1", PROP_DIM: str(DIM)})
    client.close()
    with pytest.raises(KBVersionError, match="older logad"):
        KnowledgeBase.open(config, COLLECTION, "v1")


def _nan_vectors() -> np.ndarray:
    vecs = _vectors(2, seed=6)
    vecs[1, 3] = np.nan
    return vecs


@pytest.mark.parametrize(
    ("tenant", "vectors", "labels", "message"),
    [
        ("a", _vectors(2, seed=6)[:, :4], [0, 1], r"shape \(n, 8\)"),
        ("a", _nan_vectors(), [0, 1], "vector 1 has NaN"),
        ("a", _vectors(2, seed=6), [0, 2], "label 1 is 2"),
        ("a", _vectors(2, seed=6), [0, 1, 1], "different lengths"),
        ('a" or tenant != "x', _vectors(2, seed=6), [0, 1], "tenant name 'a\" or tenant != \"x' is invalid"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(kb: KnowledgeBase, tenant, vectors, labels, message):
    with pytest.raises(BadInputError, match=message):
        kb.write(tenant, "x", _ids(len(labels)), _ids(2), vectors, labels)
    assert kb.count() == 0


def test_bad_search_input_is_rejected(kb: KnowledgeBase):
    with pytest.raises(BadInputError, match="invalid"):
        kb.search("", _vectors(1, seed=7), k=1)
    with pytest.raises(BadInputError, match="shape"):
        kb.search("a", np.ones(DIM), k=1)
    with pytest.raises(BadInputError, match="k must be"):
        kb.search("a", _vectors(1, seed=7), k=0)


def test_collection_name_is_legal_and_deterministic():
    name = collection_name("log-sentry", "2024.06+gpu/αβ")
    assert name == collection_name("log-sentry", "2024.06+gpu/αβ")
    assert name.startswith("logad_log_sentry_2024_06_gpu_") and name.isascii()
    assert collection_name("x", "v1.0") != collection_name("x", "v1_0")
    assert len(collection_name("d", "v" * 1000)) <= 255


def test_l2_metric_reports_negated_distance(tmp_path: Path):
    config = KBConfig(uri=str(tmp_path / "l2.db"), index_type="FLAT", metric="L2")
    vecs = _vectors(6, seed=8)
    with KnowledgeBase.open(config, COLLECTION, "v1", dim=DIM) as kb:
        assert _write(kb, "a", vecs, [0, 1, 0, 1, 0, 1]) == 6
        assert kb.write("a", "y", [], [], np.empty((0, DIM)), []) == 0
        hits = kb.search("a", vecs[[5]], k=3)
    assert hits.seq_ids[0][0] == "w5" and hits.similarities[0, 0] == pytest.approx(0.0, abs=1e-5)
    nearest = np.argsort(((vecs - vecs[5]) ** 2).sum(axis=1))[:3]
    assert hits.similarities[0] == pytest.approx(-((vecs[nearest] - vecs[5]) ** 2).sum(axis=1), abs=1e-4)
