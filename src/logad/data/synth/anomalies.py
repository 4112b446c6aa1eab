"""Which generated units (HDFS blocks, BGL episodes) carry an anomaly, and of which kind."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Anomaly:
    """One injected anomaly, as recorded in ``anomalies.jsonl`` so results can be grouped by kind.

    ``id`` is the block id (HDFS) or ``lines-FIRST-LAST`` (BGL, the lines it covers, 1-based).
    """

    log: str
    id: str
    kind: str
    tenant: str


class AnomalyPicker:
    """Draws, unit by unit, whether the unit is anomalous and of which kind, from per-kind chances.

    ``rng`` is its own random stream (HDFS injects with it too, so the normal traffic of an HDFS log is the
    same whatever the anomaly settings).
    """

    def __init__(self, rng: random.Random, rates: dict[str, float]) -> None:
        self.rng = rng
        self._bounds = list(zip(itertools.accumulate(rates.values()), rates, strict=True))
        self.counts = dict.fromkeys(rates, 0)

    def pick(self) -> str | None:
        """The anomaly kind for the next unit, or None for a normal one."""
        draw = self.rng.random()
        for bound, kind in self._bounds:
            if draw < bound:
                self.counts[kind] += 1
                return kind
        return None
