"""``generate``: write every tenant's logs, labels and anomaly sidecar, then the ``synth.json`` manifest."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from logad.data.synth.anomalies import Anomaly, AnomalyPicker
from logad.data.synth.bgl import BglLog
from logad.data.synth.config import SynthConfig
from logad.data.synth.hdfs import HdfsLog
from logad.data.synth.summary import DriftPoint, LogSummary, SynthSummary, TenantSummary
from logad.data.synth.tenants import TenantProfile, tenant_profile
from logad.data.synth.writer import Written, write_jsonl, write_labels, write_log
from logad.errors import LogadError
from logad.jsonio import write_json_atomic

MANIFEST = "synth.json"
LABELS = "anomaly_label.csv"
ANOMALIES = "anomalies.jsonl"


def generate(config: SynthConfig, out_dir: Path) -> SynthSummary:
    """Write ``out_dir/tenant-N/`` for each tenant and ``out_dir/synth.json``; return what was written.

    A tenant folder holds ``HDFS.log`` (+ ``anomaly_label.csv``) and/or ``BGL.log`` (``.gz`` with
    ``config.gzip``), and ``anomalies.jsonl``: one ``{"log", "id", "kind", "tenant"}`` object per anomaly.
    """
    out_dir = Path(out_dir)
    try:
        profiles = [tenant_profile(config.seed, index) for index in range(config.tenants)]
        tenants = tuple(_write_tenant(config, profile, out_dir) for profile in profiles)
        summary = SynthSummary(out_dir, config, tenants)
        write_json_atomic(out_dir / MANIFEST, summary.to_dict())
    except OSError as exc:
        where = exc.filename or out_dir
        raise LogadError(f"cannot write synthetic logs to {where}: {exc.strerror or exc}") from None
    return summary


def _write_tenant(config: SynthConfig, profile: TenantProfile, out_dir: Path) -> TenantSummary:
    folder = out_dir / profile.name
    folder.mkdir(parents=True, exist_ok=True)
    anomalies: list[Anomaly] = []
    hdfs = _write_hdfs(config, profile, folder, anomalies) if config.kind in ("hdfs", "both") else None
    bgl = _write_bgl(config, profile, folder, anomalies) if config.kind in ("bgl", "both") else None
    write_jsonl(folder / ANOMALIES, map(dataclasses.asdict, anomalies))
    return TenantSummary(profile, hdfs, bgl)


def _write_hdfs(
    config: SynthConfig,
    profile: TenantProfile,
    folder: Path,
    found: list[Anomaly],
) -> LogSummary:
    picker = AnomalyPicker(profile.rng("hdfs/anomalies"), config.rates_for("hdfs"))
    log, name = HdfsLog(config, profile, picker), _file_name("HDFS.log", config)
    written = write_log(folder / name, log.lines(), config.gzip, log.drift.time)
    write_labels(folder / LABELS, log.blocks)
    found += (Anomaly(name, block_id, kind, profile.name) for block_id, kind in log.blocks if kind)
    return LogSummary(name, written.lines, picker.counts, blocks=len(log.blocks), drift=_drift(log, written))


def _write_bgl(
    config: SynthConfig,
    profile: TenantProfile,
    folder: Path,
    found: list[Anomaly],
) -> LogSummary:
    picker = AnomalyPicker(profile.rng("bgl/anomalies"), config.rates_for("bgl"))
    log, name = BglLog(config, profile, picker), _file_name("BGL.log", config)
    written = write_log(folder / name, log.lines(), config.gzip, log.drift.time)
    found += (Anomaly(name, lines, kind, profile.name) for lines, kind in log.anomalies)
    return LogSummary(
        name, written.lines, picker.counts, anomalous_lines=log.anomalous_lines, drift=_drift(log, written)
    )


def _drift(log: HdfsLog | BglLog, written: Written) -> DriftPoint | None:
    return None if log.drift.time is None else DriftPoint.at(log.drift.time, written.drift_line)


def _file_name(base: str, config: SynthConfig) -> str:
    return base + ".gz" if config.gzip else base
