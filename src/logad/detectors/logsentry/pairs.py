"""Sequence pairs for pre-training: similar (same label, pair label 0) and dissimilar (normal vs abnormal, 1)."""

from __future__ import annotations

import numpy as np

SIMILAR, DISSIMILAR = 0, 1


def make_pairs(labels: np.ndarray, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` (anchor, partner, pair label) triples.

    Anchors are drawn without replacement (with replacement only when ``count`` exceeds the data); each
    partner is from the anchor's class or the other class with equal chance, so about half the pairs are
    dissimilar whenever both classes exist (anomalies are rare, so they appear mostly as partners). A
    partner differs from its anchor when its class has another member.
    """
    labels = np.asarray(labels, dtype=int)
    if len(labels) == 0 or count < 1:
        empty = np.zeros(0, dtype=int)
        return empty, empty, empty
    anchors = rng.choice(len(labels), size=count, replace=count > len(labels))
    by_class = {label: np.flatnonzero(labels == label) for label in (0, 1)}
    want_other = rng.random(count) < 0.5
    partners = np.empty(count, dtype=int)
    for i, anchor in enumerate(anchors):
        own = labels[anchor]
        other_members = by_class[1 - own]
        pool = other_members if want_other[i] and len(other_members) else by_class[own]
        partner = pool[rng.integers(len(pool))]
        if partner == anchor and len(pool) > 1:
            partner = pool[(np.searchsorted(pool, anchor) + 1 + rng.integers(len(pool) - 1)) % len(pool)]
        partners[i] = partner
    return anchors, partners, (labels[anchors] != labels[partners]).astype(int)
