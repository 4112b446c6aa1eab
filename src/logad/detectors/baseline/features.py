"""Event-count vectors over template IDs, with optional tf-idf weighting and zero-mean normalisation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from logad.data.types import LogSequence
from logad.parsing.preprocessor import Preprocessor


def count_matrix(sequences: Sequence[LogSequence], preprocessor: Preprocessor, width: int) -> sparse.csr_matrix:
    """Sparse (windows x width) matrix of template-ID counts; IDs >= width count as unknown (0)."""
    rows: list[int] = []
    cols: list[int] = []
    for row, seq in enumerate(sequences):
        ids = preprocessor.template_ids(seq.messages)
        rows.extend([row] * len(ids))
        cols.extend(i if i < width else 0 for i in ids)
    data = np.ones(len(cols), dtype=np.float32)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(sequences), width), dtype=np.float32)
    matrix.sum_duplicates()
    return matrix


@dataclass
class FeatureScaler:
    """Fitted tf-idf weights and column means; identity where the config switches them off."""

    idf: np.ndarray | None = None
    mean: np.ndarray | None = None

    @classmethod
    def fit(cls, counts: sparse.csr_matrix, term_weighting: str, normalization: str) -> FeatureScaler:
        idf = None
        if term_weighting == "tf-idf":
            document_freq = np.asarray((counts > 0).sum(axis=0)).ravel()
            idf = np.log(counts.shape[0] / (document_freq + 1e-8)).astype(np.float32)
        scaler = cls(idf=idf)
        mean = None
        if normalization == "zero-mean":
            mean = np.asarray(scaler.transform(counts).mean(axis=0)).ravel().astype(np.float32)
        return cls(idf=idf, mean=mean)

    def transform(self, counts: sparse.csr_matrix) -> np.ndarray:
        """Dense weighted (and centred) features."""
        features = counts.toarray()
        if self.idf is not None:
            features = features * self.idf
        if self.mean is not None:
            features = features - self.mean
        return features
