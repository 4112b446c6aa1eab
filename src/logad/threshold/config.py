"""How a model's scores become decisions: which threshold kind is served and how each kind is fitted."""

from __future__ import annotations

from dataclasses import dataclass

from logad.config import require_range

KINDS = ("static", "ewma", "dtpm", "spot", "dspot")
"""Every threshold kind, the static one first (ties in the served-kind choice go to the earlier kind)."""
AUTO = "auto"


@dataclass(frozen=True)
class ThresholdConfig:
    """Threshold settings of a training run.

    ``kind`` is the kind serving and `detect` apply: ``auto`` (default) lets training choose it on the validation
    windows (``logad.threshold.choice``), any of ``KINDS`` forces it. ``static_value`` fixes the static threshold
    instead of choosing it on validation; ``normal_quantile`` is the quantile of normal validation scores a
    detector without labelled anomalies in validation is cut at (see ``logad.threshold.selection``).

    The drift-following kinds all start from the static threshold (the anchor): ``smoothing`` is the step of the
    robust location/scale trackers of ``ewma`` and ``dtpm`` (see ``logad.threshold.ewma``); ``window``,
    ``hidden``, ``train_steps``, ``learning_rate`` and ``seed`` set DTPM's gated network and its training
    (``logad.threshold.dtpm``); ``spot_risk``, ``spot_level``, ``spot_max_excess`` and ``dspot_depth`` set SPOT and
    DSPOT (``logad.threshold.spot``). ``choice_margin`` is how much F1 a kind may lose to static on the stable
    validation stream and still be served (``logad.threshold.choice``).
    """

    kind: str = AUTO
    static_value: float | None = None
    normal_quantile: float = 0.995
    smoothing: float = 0.02
    window: int = 50
    hidden: int = 32
    train_steps: int = 300
    learning_rate: float = 0.01
    spot_risk: float = 1e-3
    spot_level: float = 0.98
    spot_max_excess: int = 200
    dspot_depth: int = 20
    choice_margin: float = 0.01
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in (AUTO, *KINDS):
            raise ValueError(f"kind must be {AUTO} or one of {', '.join(KINDS)}, not {self.kind!r}")
        require_range("normal_quantile", self.normal_quantile)
        if not 0.0 < self.smoothing < 1.0:
            raise ValueError(f"smoothing must be in (0, 1), not {self.smoothing}")
        if self.window < 2 or self.hidden < 1:
            raise ValueError(f"need window >= 2 and hidden >= 1, not {self.window}, {self.hidden}")
        if self.train_steps < 0 or not self.learning_rate > 0.0:
            raise ValueError(
                f"need train_steps >= 0 and learning_rate > 0, not {self.train_steps}, {self.learning_rate}"
            )
        if not 0.0 < self.spot_risk < 1.0 or not 0.0 < self.spot_level < 1.0:
            raise ValueError(f"spot_risk and spot_level must be in (0, 1), not {self.spot_risk}, {self.spot_level}")
        if self.spot_max_excess < 10 or self.dspot_depth < 1:
            raise ValueError(
                f"need spot_max_excess >= 10 and dspot_depth >= 1, not {self.spot_max_excess}, {self.dspot_depth}"
            )
        if self.choice_margin < 0.0:
            raise ValueError(f"choice_margin must be >= 0, not {self.choice_margin}")
