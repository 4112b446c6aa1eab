"""`logad serve`: the KServe predictor and the per-tenant transformer of a model, on this machine."""

from __future__ import annotations

import argparse
from pathlib import Path

from logad.artifact import read_manifest
from logad.cli.common import note
from logad.state import parse_store_uri
from logad.threshold.config import KINDS
from logad_serving.server_logging import add_logging_arguments
from logad_serving.tenancy import OTLP_TENANT_ATTRIBUTE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="serve a model: KServe predictor + per-tenant transformer")
    parser.add_argument("--model", type=Path, required=True, help="artifact directory written by `logad train`")
    parser.add_argument("--host", default="127.0.0.1", help="transformer address (the predictor stays on loopback)")
    parser.add_argument("--port", type=int, default=8080, help="transformer port")
    parser.add_argument(
        "--state", default="logad-state/tenants.db", help="tenant state: a SQLite path or a redis://HOST:PORT/DB URL"
    )
    parser.add_argument("--protocol", choices=("v1", "v2"), default="v1", help="transformer -> predictor protocol")
    parser.add_argument("--threshold", choices=KINDS, help="default: the kind training chose to serve")
    parser.add_argument("--tokens-dir", type=Path, help="one bearer token file per tenant (enables auth)")
    parser.add_argument("--alert-webhook", help="Alertmanager-compatible URL (.../api/v2/alerts) for anomalies")
    parser.add_argument(
        "--otlp-tenant-attribute",
        default=OTLP_TENANT_ATTRIBUTE,
        help="OTLP resource attribute naming a log record's tenant (POST /v1/logs; else X-Tenant-Id)",
    )
    parser.add_argument(
        "--session-idle-wall-seconds",
        type=float,
        help="also close a session when none of its events arrived for this long (wall clock; default: event time)",
    )
    parser.add_argument("--logs-dir", type=Path, default=Path("logad-state"), help="server logs (ROLE.log, ROLE.out)")
    add_logging_arguments(parser, "--log-format")
    parser.add_argument("--max-restarts", type=int, default=3, help="restarts of dead servers before giving up")
    parser.add_argument("--for-seconds", type=float, help="stop after this long (default: until Ctrl-C or SIGTERM)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from logad_serving.launch import LocalDeployment  # kserve is only imported by the commands that serve
    from logad_serving.supervise import Supervisor, require_free_port

    name = read_manifest(args.model).detector
    parse_store_uri(args.state)
    require_free_port(args.host, args.port)
    extra = ["--state", args.state]
    extra += ["--threshold", args.threshold] if args.threshold else []
    extra += ["--tokens-dir", str(args.tokens_dir)] if args.tokens_dir else []
    extra += ["--alert-webhook", args.alert_webhook] if args.alert_webhook else []
    extra += ["--otlp-tenant-attribute", args.otlp_tenant_attribute]
    if args.session_idle_wall_seconds is not None:
        extra += ["--session-idle-wall-seconds", str(args.session_idle_wall_seconds)]
    log_args = ["--logging-format", args.logging_format, "--log-max-bytes", str(args.log_max_bytes)]
    log_args += ["--log-backups", str(args.log_backups)]
    deployment = LocalDeployment.create(
        args.model, name, args.logs_dir, extra, args.host, args.port, args.protocol, log_args
    )

    def announce() -> None:
        url = deployment.transformer.url
        note(f"serving {name}: POST {url}/v1/models/{name}:predict (or /v2/models/{name}/infer) with X-Tenant-Id")
        note(f"tenant threshold: GET {url}/logad/v1/tenants/TENANT/threshold, POST .../threshold/reset")
        note(f"operator verdicts: POST {url}/logad/v1/tenants/TENANT/feedback (or `logad feedback --url {url}`)")

    return Supervisor(deployment, note, args.max_restarts).run(args.for_seconds, announce)
