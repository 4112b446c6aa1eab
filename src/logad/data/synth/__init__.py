"""`logad synth`: labelled HDFS-like and BGL-like logs with named anomalies, tenants and drift."""

from __future__ import annotations

import gzip
import io
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from logad.data.synth.bgl import bgl_line, node_name
from logad.data.synth.config import SynthConfig
from logad.data.synth.hdfs import Block, format_line, make_block

__all__ = ["SynthConfig", "generate"]

_START = 1226262975.0  # 2008-11-09, as in the HDFS release
_BURST_LINES = 6
BGL_KINDS = ("error_message", "new_template", "frequency_burst")  # line-level kinds only


def generate(config: SynthConfig, out_dir: Path) -> dict[str, Any]:
    """Write one folder per tenant under ``out_dir`` and a ``synth.json`` manifest; return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"config": asdict(config), "tenants": {}}
    for tenant in range(config.tenants):
        folder = out_dir / f"tenant-{tenant}"
        folder.mkdir(exist_ok=True)
        rng = random.Random(config.seed * 1000 + tenant)
        facts: dict[str, Any] = {}
        if config.kind in ("hdfs", "both"):
            facts["hdfs"] = _write_hdfs(config, rng, tenant, folder)
        if config.kind in ("bgl", "both"):
            facts["bgl"] = _write_bgl(config, rng, tenant, folder)
        manifest["tenants"][folder.name] = facts
    (out_dir / "synth.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def _anomaly(config: SynthConfig, rng: random.Random, kinds: tuple[str, ...]) -> str | None:
    if kinds and rng.random() < config.anomaly_rate:
        return rng.choice(kinds)
    return None


def _drifted(config: SynthConfig, position: float, kind: str) -> bool:
    return config.drift_at is not None and position >= config.drift_at and kind in config.drift


def _write_hdfs(config: SynthConfig, rng: random.Random, tenant: int, folder: Path) -> dict[str, Any]:
    """Interleave block lifecycles in time order; labels to anomaly_label.csv, kinds to anomalies.jsonl."""
    blocks: list[Block] = []
    now = _START
    for index in range(config.blocks):
        position = index / config.blocks
        rate = 4.0 if _drifted(config, position, "rate_change") else 1.0
        now += rng.expovariate(rate / 2.0)
        block_id = f"blk_{'-' if rng.random() < 0.5 else ''}{rng.getrandbits(62) + tenant}"
        mutated = _drifted(config, position, "template_mutation")
        blocks.append(make_block(rng, block_id, now, _anomaly(config, rng, config.anomaly_kinds), mutated))
    lines = sorted((line for b in blocks for line in b.lines), key=lambda line: line[0])
    with _open(folder / _name("HDFS.log", config), config.gzip) as handle:
        for line in lines:
            handle.write(format_line(*line) + "\n")
    with (folder / "anomaly_label.csv").open("w", encoding="utf-8") as handle:
        handle.write("BlockId,Label\n")
        handle.writelines(f"{b.block_id},{'Anomaly' if b.anomaly else 'Normal'}\n" for b in blocks)
    _write_kinds(folder / "anomalies.jsonl", ((b.block_id, b.anomaly) for b in blocks), tenant)
    drift_time = blocks[int(config.drift_at * len(blocks))].start if config.drift_at is not None else None
    return _counts(len(lines), (b.anomaly for b in blocks), drift_time)


def _write_bgl(config: SynthConfig, rng: random.Random, tenant: int, folder: Path) -> dict[str, Any]:
    """Node events; an anomaly is a labelled alert line (a burst writes several in a row)."""
    now, written, kinds = _START + 3e7, 0, []
    nodes = [node_name(rng, tenant) for _ in range(32)]
    with _open(folder / _name("BGL.log", config), config.gzip) as handle:
        while written < config.bgl_lines:
            position = written / config.bgl_lines
            now += rng.expovariate(2.0 if _drifted(config, position, "rate_change") else 0.5)
            anomaly = _anomaly(config, rng, tuple(k for k in config.anomaly_kinds if k in BGL_KINDS))
            repeat = _BURST_LINES if anomaly == "frequency_burst" else 1
            for _ in range(repeat):
                mutated = _drifted(config, position, "template_mutation")
                handle.write(bgl_line(rng, now, rng.choice(nodes), anomaly, mutated) + "\n")
                kinds.append((f"line-{written + 1}", anomaly))
                written += 1
    _write_kinds(folder / "bgl_anomalies.jsonl", kinds, tenant)
    drift_time = None if config.drift_at is None else f"line {int(config.drift_at * config.bgl_lines)}"
    return _counts(written, (k for _, k in kinds), drift_time)


def _write_kinds(path: Path, items: Any, tenant: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for item_id, kind in items:
            if kind:
                handle.write(json.dumps({"id": item_id, "kind": kind, "tenant": tenant}) + "\n")


def _counts(lines: int, kinds: Any, drift_point: Any) -> dict[str, Any]:
    per_kind: dict[str, int] = {}
    total = 0
    for kind in kinds:
        total += 1
        if kind:
            per_kind[kind] = per_kind.get(kind, 0) + 1
    return {
        "lines": lines,
        "units": total,
        "anomalies": sum(per_kind.values()),
        "per_kind": per_kind,
        "drift_point": drift_point,
    }


def _name(base: str, config: SynthConfig) -> str:
    return base + (".gz" if config.gzip else "")


@contextmanager
def _open(path: Path, compress: bool) -> Iterator[IO[str]]:
    """A text file for writing; gzip with a fixed mtime so the same seed gives byte-identical output."""
    if compress:
        with (
            path.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
            io.TextIOWrapper(gz, encoding="utf-8") as handle,
        ):
            yield handle
    else:
        with path.open("w", encoding="utf-8") as handle:
            yield handle
