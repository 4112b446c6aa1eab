"""`logad serve`: the KServe predictor and the per-tenant transformer of a model, on this machine."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from logad.artifact import read_manifest
from logad.cli.common import note
from logad.threshold.config import KINDS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="serve a model: KServe predictor + per-tenant transformer")
    parser.add_argument("--model", type=Path, required=True, help="artifact directory written by `logad train`")
    parser.add_argument("--host", default="127.0.0.1", help="transformer address (the predictor stays on loopback)")
    parser.add_argument("--port", type=int, default=8080, help="transformer port")
    parser.add_argument("--state", type=Path, default=Path("logad-state/tenants.db"), help="tenant state (SQLite)")
    parser.add_argument("--protocol", choices=("v1", "v2"), default="v1", help="transformer -> predictor protocol")
    parser.add_argument("--threshold", choices=KINDS, help="default: the kind training chose to serve")
    parser.add_argument("--tokens-dir", type=Path, help="one bearer token file per tenant (enables auth)")
    parser.add_argument("--logs-dir", type=Path, default=Path("logad-state"), help="server logs")
    parser.add_argument("--for-seconds", type=float, help="stop after this long (default: until Ctrl-C)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from logad_serving.launch import LocalDeployment  # kserve is only imported by the commands that serve

    name = read_manifest(args.model).detector
    extra = ["--state", str(args.state)]
    extra += ["--threshold", args.threshold] if args.threshold else []
    extra += ["--tokens-dir", str(args.tokens_dir)] if args.tokens_dir else []
    deployment = LocalDeployment.create(args.model, name, args.logs_dir, extra, args.host, args.port, args.protocol)
    with deployment:
        url = deployment.transformer.url
        note(f"serving {name}: POST {url}/v1/models/{name}:predict (or /v2/models/{name}/infer) with X-Tenant-Id")
        note(f"tenant threshold: GET {url}/logad/v1/tenants/TENANT/threshold, POST .../threshold/reset")
        note(f"operator verdicts: POST {url}/logad/v1/tenants/TENANT/feedback (or `logad feedback --url {url}`)")
        deadline = None if args.for_seconds is None else time.monotonic() + args.for_seconds
        while deadline is None or time.monotonic() < deadline:
            for server in (deployment.predictor, deployment.transformer):
                if server.process.poll() is not None:
                    note(f"the {server.role} stopped:\n{server.log_tail()}")
                    return 1
            time.sleep(0.5)
    return 0
