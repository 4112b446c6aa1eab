"""Window texts in each form, the fine-tuning class weight, and where the knowledge base is opened."""

import numpy as np
import pytest

from logad.detectors.logsentry.config import LogSentryConfig
from logad.detectors.logsentry.finetune import _anomaly_weight
from logad.detectors.logsentry.text import join_messages

MESSAGES = ["open *", "read *", "read *", "close *", "read *"]


def test_sequence_form_keeps_every_message_in_order():
    assert join_messages(MESSAGES, "sequence") == "open * ; read * ; read * ; close * ; read *"


def test_runs_form_collapses_only_consecutive_repeats():
    assert join_messages(MESSAGES, "runs") == "open * ; read * x2 ; close * ; read *"


def test_counts_form_lists_distinct_messages_by_first_appearance_with_totals():
    assert join_messages(MESSAGES, "counts") == "open * ; read * x3 ; close *"
    assert join_messages(["b", "a"], "counts") != join_messages(["a", "b"], "counts")


def test_unknown_form_is_refused_by_config_and_by_the_join():
    with pytest.raises(ValueError, match="text_form"):
        LogSentryConfig(text_form="bag")
    with pytest.raises(ValueError, match="unknown text form"):
        join_messages(MESSAGES, "bag")


def test_anomaly_weight_is_the_class_ratio():
    assert float(_anomaly_weight(np.array([0, 0, 0, 1]))) == pytest.approx(3.0)
    assert float(_anomaly_weight(np.array([0, 0]))) == 1.0


def test_a_deployment_milvus_uri_overrides_the_artifacts_knowledge_base_location(monkeypatch, tmp_path):
    from logad.detectors.logsentry.knowledge import MILVUS_URI_ENV, KnowledgeBaseRef

    ref = KnowledgeBaseRef("kb.db", "c", "v1", 8, "default")
    assert ref.resolved_uri(tmp_path) == str(tmp_path / "kb.db")
    monkeypatch.setenv(MILVUS_URI_ENV, "http://milvus.milvus:19530")
    assert ref.resolved_uri(tmp_path) == "http://milvus.milvus:19530"
