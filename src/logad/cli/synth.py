"""`logad synth`: write labelled synthetic logs in Loghub's native formats."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logad.config import config_from_dict
from logad.data.synth import SynthConfig, generate
from logad.data.synth.config import ANOMALY_KINDS, DRIFT_KINDS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("synth", help="generate labelled HDFS-like / BGL-like logs")
    parser.add_argument("--out", type=Path, required=True, help="output folder (one sub-folder per tenant)")
    parser.add_argument("--kind", default="hdfs", choices=("hdfs", "bgl", "both"))
    parser.add_argument("--blocks", type=int, default=2000, help="HDFS-like blocks per tenant")
    parser.add_argument("--bgl-lines", type=int, default=5000, help="BGL-like lines per tenant")
    parser.add_argument("--anomaly-rate", type=float, default=0.03)
    parser.add_argument("--kinds", default=",".join(ANOMALY_KINDS), help="anomaly kinds, comma-separated")
    parser.add_argument("--tenants", type=int, default=1)
    parser.add_argument("--drift-at", type=float, help="fraction of the stream after which drift applies")
    parser.add_argument("--drift", default=",".join(DRIFT_KINDS), help="drift kinds, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gzip", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_dict(
        SynthConfig,
        {
            "kind": args.kind,
            "blocks": args.blocks,
            "bgl_lines": args.bgl_lines,
            "anomaly_rate": args.anomaly_rate,
            "anomaly_kinds": [k for k in args.kinds.split(",") if k],
            "tenants": args.tenants,
            "drift_at": args.drift_at,
            "drift": [k for k in args.drift.split(",") if k],
            "seed": args.seed,
            "gzip": args.gzip,
        },
        "synth",
    )
    manifest = generate(config, args.out)
    print(json.dumps(manifest["tenants"], indent=1))
    return 0
