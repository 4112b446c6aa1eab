"""Train/validation/test splits (chronological or seeded random) and minority oversampling."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from logad.data.types import LogSequence
from logad.errors import BadInputError, ConfigError

_GRAMMAR = "chrono:TRAIN or random:TRAIN:SEED (TRAIN a fraction in (0, 1))"


@dataclass(frozen=True)
class SplitSpec:
    """``kind`` chrono or random, the training fraction and (random) the seed."""

    kind: str
    train_fraction: float
    seed: int = 0

    @classmethod
    def parse(cls, text: str) -> SplitSpec:
        parts = text.split(":")
        try:
            if parts[0] == "chrono" and len(parts) == 2:
                spec = cls("chrono", float(parts[1]))
            elif parts[0] == "random" and len(parts) == 3:
                spec = cls("random", float(parts[1]), int(parts[2]))
            else:
                raise ValueError("wrong shape")
        except ValueError:
            raise ConfigError(f"split spec {text!r} is not valid; expected {_GRAMMAR}") from None
        if not 0 < spec.train_fraction < 1:
            raise ConfigError(f"split spec {text!r}: TRAIN must be in (0, 1)")
        return spec

    def __str__(self) -> str:
        return (
            f"chrono:{self.train_fraction:g}"
            if self.kind == "chrono"
            else (f"random:{self.train_fraction:g}:{self.seed}")
        )


@dataclass
class DataSplit:
    train: list[LogSequence]
    validation: list[LogSequence]
    test: list[LogSequence]

    def summary(self) -> dict[str, Any]:
        """Windows and anomalies per part."""
        return {
            part: {"windows": len(seqs), "anomalies": sum(s.label == 1 for s in seqs)}
            for part, seqs in (("train", self.train), ("validation", self.validation), ("test", self.test))
        }


def chronological_key(seq: LogSequence) -> tuple[float, int]:
    """Order by first timestamp; missing timestamps sort by source position after timed ones."""
    start = seq.start_time
    return (start if start is not None else math.inf, seq.order)


def split_sequences(sequences: list[LogSequence], spec: SplitSpec, validation_fraction: float = 0.1) -> DataSplit:
    """Train/test by ``spec``; the validation part is the last (chrono) or a random share of the train part."""
    if not sequences:
        raise BadInputError("no windows to split: the logs produced no window")
    if spec.kind == "chrono":
        ordered = sorted(sequences, key=chronological_key)
    else:
        ordered = list(sequences)
        random.Random(spec.seed).shuffle(ordered)
    cut = int(len(ordered) * spec.train_fraction)
    train, test = ordered[:cut], ordered[cut:]
    n_val = round(len(train) * validation_fraction)
    if spec.kind == "random":
        return DataSplit(train[n_val:], train[:n_val], test)
    return DataSplit(train[: len(train) - n_val], train[len(train) - n_val :], test)


def oversample_minority(sequences: list[LogSequence], beta: float, seed: int = 0) -> list[LogSequence]:
    """LogLLM eq. (1): repeat minority windows until the minority share is ``beta`` (whole copies first,
    then a seeded random remainder). No-op when the share is already at least ``beta`` or a class is empty."""
    if any(seq.label is None for seq in sequences):
        raise BadInputError("oversampling needs a label on every window")
    anomalous = [s for s in sequences if s.label == 1]
    normal = [s for s in sequences if s.label == 0]
    minority, majority = (anomalous, normal) if len(anomalous) <= len(normal) else (normal, anomalous)
    if not minority or len(minority) / len(sequences) >= beta:
        return list(sequences)
    target = math.ceil(beta * len(majority) / (1 - beta))
    copies, remainder = divmod(target, len(minority))
    extra = minority * (copies - 1) + random.Random(seed).sample(minority, remainder)
    return list(sequences) + extra
