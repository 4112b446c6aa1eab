"""Names of the arrays the suite's scenarios save in their .npz files and the HTML report reads back."""

from __future__ import annotations

from logad.bench.common import slug

EMBEDDINGS_BEFORE = "embeddings/before"
EMBEDDINGS_AFTER = "embeddings/after"
EMBEDDINGS_LABELS = "embeddings/labels"


def labels_key(dataset: str) -> str:
    """Labels of a dataset's test windows (standard scenario)."""
    return f"labels/{slug(dataset)}"


def scores_key(dataset: str, contender: str) -> str:
    """A contender's scores of a dataset's test windows (standard scenario)."""
    return f"scores/{slug(dataset)}/{contender}"


def threshold_key(dataset: str, contender: str) -> str:
    """A contender's static threshold on a dataset (standard scenario)."""
    return f"threshold/{slug(dataset)}/{contender}"


def drift_key(stream: str, what: str) -> str:
    """What the drift scenario saves once per stream: ``labels`` (test windows in time order) or ``point`` (the
    index of the first window after the drift point)."""
    return f"drift/{stream}/{what}"


def drift_scores_key(stream: str, contender: str) -> str:
    """A contender's scores of a drift stream's windows, in time order."""
    return f"drift/{stream}/scores/{contender}"


def drift_trace_key(stream: str, contender: str, kind: str) -> str:
    """The threshold a policy of ``kind`` applied to each window of a drift stream (without feedback)."""
    return f"drift/{stream}/threshold/{contender}/{kind}"
