"""What a generator run wrote: per tenant and log, line and anomaly counts and the drift point."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logad.config import config_to_dict
from logad.data.synth.config import SynthConfig
from logad.data.synth.tenants import TenantProfile


@dataclass(frozen=True)
class DriftPoint:
    """Where drift starts in one log: epoch second, the same in UTC, and the first line at or after it."""

    timestamp: int
    time: str
    line: int | None  # None when the log ends before the drift point

    @classmethod
    def at(cls, timestamp: int, line: int | None) -> DriftPoint:
        return cls(timestamp, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)), line)


@dataclass(frozen=True)
class LogSummary:
    """One log of one tenant.

    ``anomalies`` counts, per enabled kind, anomalous blocks (HDFS) or anomaly episodes (BGL);
    ``blocks`` is HDFS-only, ``anomalous_lines`` (lines with an alert label) BGL-only.
    """

    file: str
    lines: int
    anomalies: dict[str, int]
    blocks: int | None = None
    anomalous_lines: int | None = None
    drift: DriftPoint | None = None

    def describe(self) -> str:
        """One line for people."""
        total = sum(self.anomalies.values())
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in self.anomalies.items())
        parts = [f"{self.lines:,} lines"]
        if self.blocks is not None:
            parts.append(f"{self.blocks:,} blocks, {total:,} anomalous ({kinds or 'none'})")
        else:
            parts.append(f"{self.anomalous_lines:,} alert lines in {total:,} anomalies ({kinds or 'none'})")
        if self.drift is not None:
            where = f"line {self.drift.line:,}" if self.drift.line else "after the last line"
            parts.append(f"drift from {self.drift.time} ({where})")
        return f"{self.file}: " + "; ".join(parts)


@dataclass(frozen=True)
class TenantSummary:
    """The logs written for one tenant, and the profile its traffic was drawn from."""

    profile: TenantProfile
    hdfs: LogSummary | None
    bgl: LogSummary | None

    @property
    def logs(self) -> list[LogSummary]:
        return [log for log in (self.hdfs, self.bgl) if log is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": dataclasses.asdict(self.profile),
            "hdfs": dataclasses.asdict(self.hdfs) if self.hdfs else None,
            "bgl": dataclasses.asdict(self.bgl) if self.bgl else None,
        }


@dataclass(frozen=True)
class SynthSummary:
    """What ``generate`` wrote under ``out_dir``: one folder per tenant and the ``synth.json`` manifest."""

    out_dir: Path
    config: SynthConfig
    tenants: tuple[TenantSummary, ...]

    def to_dict(self) -> dict[str, Any]:
        """The manifest: full config and seed; per tenant its profile, and per log counts and drift point."""
        return {
            "generator": "logad synth",
            "seed": self.config.seed,
            "config": config_to_dict(self.config),
            "tenants": {tenant.profile.name: tenant.to_dict() for tenant in self.tenants},
        }

    def describe(self) -> list[str]:
        """Lines for people: one per tenant and log."""
        return [f"{tenant.profile.name}/{log.describe()}" for tenant in self.tenants for log in tenant.logs]
