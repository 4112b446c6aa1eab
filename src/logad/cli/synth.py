"""`logad synth`: write labelled synthetic HDFS-like / BGL-like logs in Loghub's native formats."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from logad.config import config_from_dict
from logad.data.synth import ANOMALY_KINDS, MANIFEST, SynthConfig, generate
from logad.data.synth.config import LOG_KINDS
from logad.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="generate labelled HDFS-like / BGL-like logs with named anomalies, tenants and drift",
        description="Write OUT/tenant-N/ (HDFS.log + anomaly_label.csv and/or BGL.log, anomalies.jsonl) "
        f"and OUT/{MANIFEST}. The same arguments and --seed give byte-identical files.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder (one sub-folder per tenant)")
    parser.add_argument("--kind", default="hdfs", choices=LOG_KINDS, help="logs to write (default: hdfs)")
    parser.add_argument("--blocks", type=int, default=2000, help="HDFS blocks per tenant (default: 2000)")
    parser.add_argument("--bgl-lines", type=int, default=20000, help="BGL lines per tenant (default: 20000)")
    parser.add_argument(
        "--anomaly-rate",
        type=float,
        default=0.03,
        help="chance that an HDFS block / BGL episode is anomalous, shared by the kinds (default: 0.03)",
    )
    parser.add_argument(
        "--kinds",
        default=",".join(ANOMALY_KINDS),
        help="anomaly kinds, comma-separated, each optionally KIND=RATE (default: all five)",
    )
    parser.add_argument("--tenants", type=int, default=1, help="tenants, one folder each (default: 1)")
    parser.add_argument("--drift-at", type=float, help="fraction of the time span from which drift applies")
    parser.add_argument("--drift", help="drift kinds for --drift-at, comma-separated (default: both)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--gzip", action="store_true", help="write HDFS.log.gz / BGL.log.gz")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.drift is not None and args.drift_at is None:
        raise ConfigError("--drift needs --drift-at (the fraction of the time span where drift starts)")
    kinds, kind_rates = _parse_kinds(args.kinds)
    values: dict[str, Any] = {
        "kind": args.kind,
        "blocks": args.blocks,
        "bgl_lines": args.bgl_lines,
        "anomaly_rate": args.anomaly_rate,
        "anomaly_kinds": kinds,
        "kind_rates": kind_rates,
        "tenants": args.tenants,
        "drift_at": args.drift_at,
        "seed": args.seed,
        "gzip": args.gzip,
    }
    if args.drift is not None:
        values["drift"] = _names(args.drift)
    summary = generate(config_from_dict(SynthConfig, values, "synth"), args.out)
    for line in summary.describe():
        print(line)
    print(f"wrote {len(summary.tenants)} tenant folder(s) under {args.out}, manifest {args.out / MANIFEST}")
    return 0


def _parse_kinds(text: str) -> tuple[list[str], dict[str, float]]:
    """``missing_step,new_template=0.01`` -> kinds in order, and the rates given explicitly."""
    kinds, rates = [], {}
    for item in _names(text):
        kind, has_rate, rate = item.partition("=")
        kinds.append(kind.strip())
        if has_rate:
            try:
                rates[kind.strip()] = float(rate)
            except ValueError:
                message = f"--kinds: {item!r} needs a number after '=' (e.g. {kind.strip()}=0.01)"
                raise ConfigError(message) from None
    return kinds, rates


def _names(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]
