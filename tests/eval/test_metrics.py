"""Classification metrics on handmade cases."""

from __future__ import annotations

import pytest

from logad.eval.metrics import classification_metrics


def test_counts_and_scores():
    m = classification_metrics([1, 1, 0, 0, 0], [1, 0, 1, 0, 0], [0.9, 0.4, 0.6, 0.1, 0.2])
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 1, 1, 2)
    assert m["precision"] == m["recall"] == m["f1"] == 0.5
    assert m["roc_auc"] == pytest.approx(5 / 6) and m["pr_auc"] is not None


def test_zero_division_and_single_class():
    m = classification_metrics([0, 0], [0, 0], [0.1, 0.2])
    assert m["precision"] == m["recall"] == m["f1"] == 0.0 and m["roc_auc"] is None
