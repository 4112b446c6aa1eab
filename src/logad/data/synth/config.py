"""What the synthetic generator writes: formats, sizes, anomaly kinds, tenants, drift and seed."""

from __future__ import annotations

from dataclasses import dataclass, field

from logad.errors import ConfigError

LOG_KINDS = ("hdfs", "bgl", "both")
HDFS_ANOMALIES = ("missing_step", "wrong_order", "error_message", "new_template", "frequency_burst")
BGL_ANOMALIES = ("error_message", "new_template", "frequency_burst")  # BGL has no lifecycle to break
ANOMALY_KINDS = HDFS_ANOMALIES
DRIFT_KINDS = ("template_mutation", "rate_change")
MAX_TENANTS = 90  # block ids of tenant i are i modulo MAX_TENANTS


@dataclass(frozen=True)
class SynthConfig:
    """Labelled HDFS-like blocks and/or BGL-like node events, per tenant, with named anomalies and drift.

    An anomaly is drawn per unit: an HDFS block, or a BGL event episode (a node logging one message type
    one or a few times). ``kind_rates`` gives some of ``anomaly_kinds`` their own chance per unit; the
    kinds without one that apply to a log share ``anomaly_rate`` evenly. ``drift_at`` is the fraction of
    each log's planned time span (at the base traffic rate) from which the ``drift`` kinds apply; drift
    is normal behaviour, never labelled anomalous. The same config and ``seed`` give byte-identical files.
    """

    kind: str = "hdfs"
    blocks: int = 2000
    bgl_lines: int = 20000
    anomaly_rate: float = 0.03
    anomaly_kinds: tuple[str, ...] = ANOMALY_KINDS
    kind_rates: dict[str, float] = field(default_factory=dict)
    tenants: int = 1
    drift_at: float | None = None
    drift: tuple[str, ...] = DRIFT_KINDS
    seed: int = 0
    gzip: bool = False

    def __post_init__(self) -> None:
        if self.kind not in LOG_KINDS:
            raise ConfigError(f"kind must be one of {', '.join(LOG_KINDS)}, not {self.kind!r}")
        for name in ("blocks", "bgl_lines", "tenants"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.tenants > MAX_TENANTS:
            raise ConfigError(f"tenants must be at most {MAX_TENANTS}, not {self.tenants}")
        _check_names("anomaly kind", self.anomaly_kinds, ANOMALY_KINDS)
        _check_names("drift kind", self.drift, DRIFT_KINDS)
        named = {f"the rate of {kind}": rate for kind, rate in self.kind_rates.items()}
        for name, rate in {"anomaly_rate": self.anomaly_rate, **named}.items():
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise ConfigError(f"{name} must be a number in [0, 1], not {rate!r}")
        outside = sorted(set(self.kind_rates) - set(self.anomaly_kinds))
        if outside:
            raise ConfigError(f"kind_rates names {', '.join(outside)}, which anomaly_kinds does not enable")
        if self.anomaly_rate > 0 and not self.anomaly_kinds:
            raise ConfigError("anomaly_rate > 0 needs at least one anomaly kind")
        logs = ("hdfs", "bgl") if self.kind == "both" else (self.kind,)
        for log in logs:
            if sum(self.rates_for(log).values()) > 1:
                raise ConfigError(f"the anomaly rates of the {log} kinds add up to more than 1")
        if self.anomaly_rate > 0 and "bgl" in logs and not self.rates_for("bgl"):
            raise ConfigError(
                f"none of the anomaly kinds {', '.join(self.anomaly_kinds)} applies to BGL logs "
                f"(BGL kinds: {', '.join(BGL_ANOMALIES)})"
            )
        if self.drift_at is not None and not 0 < self.drift_at < 1:
            raise ConfigError(f"drift_at must be a fraction in (0, 1), not {self.drift_at}")
        if self.drift_at is not None and not self.drift:
            raise ConfigError("drift_at needs at least one drift kind")

    def rates_for(self, log: str) -> dict[str, float]:
        """Chance per unit of each enabled anomaly kind that applies to ``log`` ("hdfs" or "bgl")."""
        applicable = HDFS_ANOMALIES if log == "hdfs" else BGL_ANOMALIES
        kinds = [kind for kind in self.anomaly_kinds if kind in applicable]
        shared = [kind for kind in kinds if kind not in self.kind_rates]
        even = self.anomaly_rate / len(shared) if shared else 0.0
        return {kind: self.kind_rates.get(kind, even) for kind in kinds}

    def drifts(self, kind: str) -> bool:
        """True when drift of ``kind`` ("template_mutation" or "rate_change") is switched on."""
        return self.drift_at is not None and kind in self.drift


def _check_names(what: str, names: tuple[str, ...], known: tuple[str, ...]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(f"unknown {what}(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"{what}s repeat: {', '.join(names)}")
