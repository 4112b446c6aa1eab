"""`logad synth`: labelled HDFS-like and BGL-like logs in Loghub's native formats, with named anomaly
kinds, several tenants and optional drift; deterministic per seed."""

from logad.data.synth.config import ANOMALY_KINDS, BGL_ANOMALIES, DRIFT_KINDS, HDFS_ANOMALIES, SynthConfig
from logad.data.synth.generate import ANOMALIES, LABELS, MANIFEST, generate
from logad.data.synth.summary import DriftPoint, LogSummary, SynthSummary, TenantSummary

__all__ = [
    "ANOMALIES",
    "ANOMALY_KINDS",
    "BGL_ANOMALIES",
    "DRIFT_KINDS",
    "HDFS_ANOMALIES",
    "LABELS",
    "MANIFEST",
    "DriftPoint",
    "LogSummary",
    "SynthConfig",
    "SynthSummary",
    "TenantSummary",
    "generate",
]
