"""``python -m logad_serving predictor|transformer --model DIR ...``: one server per process (one container each
in an InferenceService; `logad serve` starts both on this machine)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kserve.predictor_config import PredictorConfig

from logad.artifact import read_manifest
from logad.data.dataset import DataSpec
from logad.errors import LogadError
from logad.state import DEFAULT_DECISION_LOG_SIZE, open_store
from logad.streaming import StreamConfig
from logad.threshold.config import KINDS
from logad_serving.predictor import BatchSettings, DetectorPredictor
from logad_serving.server import DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, serve
from logad_serving.server_logging import add_logging_arguments, configure_logging, log_settings
from logad_serving.transformer import TenantTransformer, TransformerSettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m logad_serving", description=__doc__)
    parser.add_argument("role", choices=("predictor", "transformer"))
    parser.add_argument("--model", type=Path, required=True, help="artifact directory written by `logad train`")
    # Underscore spellings are the ones KServe's controller appends to a transformer's container args.
    parser.add_argument("--name", "--model_name", dest="name", help="model name in URLs (default: the detector)")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default 127.0.0.1; 0.0.0.0 in pods)")
    parser.add_argument("--port", "--http_port", dest="port", type=int, default=8080)
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--log-file", type=Path, help="write the server's log records here, rotated (default: stderr)")
    add_logging_arguments(parser, "--logging-format")
    predictor = parser.add_argument_group("predictor")
    predictor.add_argument("--max-batch-windows", type=int, default=256)
    predictor.add_argument("--max-batch-delay-ms", type=float, default=5.0)
    transformer = parser.add_argument_group("transformer")
    transformer.add_argument("--predictor-host", "--predictor_host", dest="predictor_host", help="predictor host:port")
    transformer.add_argument(
        "--predictor-protocol", "--predictor_protocol", dest="predictor_protocol", choices=("v1", "v2"), default="v1"
    )
    transformer.add_argument("--state", default="state/tenants.db", help="SQLite path or redis:// URL")
    transformer.add_argument(
        "--decision-log-size",
        type=int,
        default=DEFAULT_DECISION_LOG_SIZE,
        help="decisions kept per tenant for operators' feedback (oldest dropped first)",
    )
    transformer.add_argument("--threshold", choices=KINDS, help="default: the kind training chose to serve")
    transformer.add_argument("--tokens-dir", type=Path, help="mounted secret: one bearer token file per tenant")
    transformer.add_argument("--session-idle-seconds", type=float, default=StreamConfig.session_idle_seconds)
    transformer.add_argument(
        "--session-idle-wall-seconds",
        type=float,
        help="also close a session when none of its events arrived for this long (wall clock; default: event time)",
    )
    transformer.add_argument("--max-open-windows", type=int, default=StreamConfig.max_open_windows)
    transformer.add_argument("--max-lines", type=int, default=100_000, help="raw lines per request")
    transformer.add_argument("--log-format", help="raw-line format (default: the one the model was trained on)")
    transformer.add_argument("--window", help="window spec for raw lines (default: the model's)")
    transformer.add_argument(
        "--alert-webhook",
        help="Alertmanager-compatible URL (e.g. http://alertmanager:9093/api/v2/alerts) anomalous decisions go to",
    )
    transformer.add_argument(
        "--otlp-tenant-attribute",
        default=TransformerSettings.otlp_tenant_attribute,
        help="OTLP resource attribute naming a log record's tenant on POST /v1/logs (else the X-Tenant-Id header)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        configure_logging(log_settings(args, args.log_file))
        manifest = read_manifest(args.model)
        name = args.name or manifest.detector
        if args.role == "predictor":
            model = DetectorPredictor(name, args.model, BatchSettings(args.max_batch_windows, args.max_batch_delay_ms))
            serve(model, manifest.model_version, args.host, args.port, max_body_bytes=args.max_body_bytes)
            return 0
        if not args.predictor_host:
            raise LogadError("the transformer needs --predictor-host HOST:PORT")
        settings = TransformerSettings(
            threshold=args.threshold,
            stream=StreamConfig(
                session_idle_seconds=args.session_idle_seconds,
                session_idle_wall_seconds=args.session_idle_wall_seconds,
                max_open_windows=args.max_open_windows,
            ),
            tokens_dir=args.tokens_dir,
            max_lines=args.max_lines,
            data=DataSpec(args.log_format, args.window) if args.log_format else None,
            alert_webhook=args.alert_webhook,
            otlp_tenant_attribute=args.otlp_tenant_attribute,
        )
        store = open_store(args.state, namespace=name, decision_log_size=args.decision_log_size)
        config = PredictorConfig(args.predictor_host, args.predictor_protocol, predictor_request_timeout_seconds=120)
        transformer = TenantTransformer(name, args.model, store, settings)
        serve(transformer, manifest.model_version, args.host, args.port, config, args.max_body_bytes)
    except LogadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
