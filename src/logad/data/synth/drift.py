"""Drift: from one moment on, normal behaviour changes (an upgrade rewords messages, traffic speeds up)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from logad.data.synth.config import SynthConfig

RATE_FACTOR = 3.0  # rate_change: traffic this many times faster after the drift point


@dataclass(frozen=True)
class DriftPlan:
    """When drift starts in one log (``time``, whole epoch seconds; None: never) and which kinds apply."""

    time: int | None = None
    mutation: bool = False
    rate_change: bool = False

    @classmethod
    def for_log(cls, config: SynthConfig, start: float, planned_span: float) -> DriftPlan:
        """The plan for a log starting at ``start`` whose base traffic would last ``planned_span`` seconds."""
        if config.drift_at is None:
            return cls()
        return cls(
            time=math.ceil(start + config.drift_at * planned_span),
            mutation=config.drifts("template_mutation"),
            rate_change=config.drifts("rate_change"),
        )

    def upgraded(self, when: float) -> bool:
        """True when a message at ``when`` uses the upgraded wording (template_mutation)."""
        return self.mutation and self._after(when)

    def shifted(self, when: float) -> bool:
        """True when traffic at ``when`` runs ``RATE_FACTOR`` times faster, in a shifted mix (rate_change)."""
        return self.rate_change and self._after(when)

    def rate(self, when: float) -> float:
        """How many times faster than the base rate the traffic runs at ``when``."""
        return RATE_FACTOR if self.shifted(when) else 1.0

    def _after(self, when: float) -> bool:
        return self.time is not None and when >= self.time
