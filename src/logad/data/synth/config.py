"""Configuration of the synthetic log generator."""

from __future__ import annotations

from dataclasses import dataclass

ANOMALY_KINDS = ("missing_step", "wrong_order", "error_message", "new_template", "frequency_burst")
DRIFT_KINDS = ("template_mutation", "rate_change")


@dataclass
class SynthConfig:
    """What to generate: HDFS-like blocks and/or BGL-like node events, per tenant, with anomalies and drift.

    ``drift_at`` is the fraction of each stream after which drift (if any) applies; drift is normal
    behaviour (an upgrade renames words, traffic speeds up), never labelled anomalous.
    """

    kind: str = "hdfs"
    blocks: int = 2000
    bgl_lines: int = 5000
    anomaly_rate: float = 0.03
    anomaly_kinds: tuple[str, ...] = ANOMALY_KINDS
    tenants: int = 1
    drift_at: float | None = None
    drift: tuple[str, ...] = DRIFT_KINDS
    seed: int = 0
    gzip: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("hdfs", "bgl", "both"):
            raise ValueError(f"kind must be hdfs, bgl or both, not {self.kind!r}")
        unknown = set(self.anomaly_kinds) - set(ANOMALY_KINDS) | set(self.drift) - set(DRIFT_KINDS)
        if unknown:
            raise ValueError(f"unknown anomaly or drift kind(s): {', '.join(sorted(unknown))}")
        if not 0 <= self.anomaly_rate <= 1:
            raise ValueError(f"anomaly_rate must be in [0, 1], not {self.anomaly_rate}")
        if self.blocks < 1 or self.bgl_lines < 1 or self.tenants < 1:
            raise ValueError("blocks, bgl_lines and tenants must be positive")
        if self.drift_at is not None and not 0 < self.drift_at < 1:
            raise ValueError(f"drift_at must be in (0, 1), not {self.drift_at}")
