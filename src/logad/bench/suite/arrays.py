"""Names of the arrays the suite's scenarios save in their .npz files and the HTML report reads back."""

from __future__ import annotations

from logad.bench.common import slug

EMBEDDINGS_BEFORE = "embeddings/before"
EMBEDDINGS_AFTER = "embeddings/after"
EMBEDDINGS_LABELS = "embeddings/labels"
DRIFT_LABELS = "drift/labels"
DRIFT_POINT = "drift/point"


def labels_key(dataset: str) -> str:
    """Labels of a dataset's test windows (standard scenario)."""
    return f"labels/{slug(dataset)}"


def scores_key(dataset: str, contender: str) -> str:
    """A contender's scores of a dataset's test windows (standard scenario)."""
    return f"scores/{slug(dataset)}/{contender}"


def threshold_key(dataset: str, contender: str) -> str:
    """A contender's static threshold on a dataset (standard scenario)."""
    return f"threshold/{slug(dataset)}/{contender}"


def drift_scores_key(contender: str) -> str:
    """A contender's scores of the drift log's test windows, in time order."""
    return f"drift/scores/{contender}"


def drift_trace_key(contender: str, kind: str) -> str:
    """The threshold a policy of ``kind`` applied to each of those windows."""
    return f"drift/threshold/{contender}/{kind}"
