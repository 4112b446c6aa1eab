"""`logad kb build|info|drop`: manage a model's vector knowledge base (per tenant, idempotent)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from logad.artifact import LoadedModel, load_artifact
from logad.cli.common import add_data_arguments, data_spec_for_model, note
from logad.data.dataset import load_windows
from logad.detectors.capabilities import KnowledgeBaseDetector
from logad.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("kb", help="build, inspect or drop a model's vector knowledge base")
    actions = parser.add_subparsers(dest="kb_action", required=True, metavar="ACTION")

    build = actions.add_parser(
        "build", help="embed labelled windows and write them as a tenant's source (writing a source again replaces it)"
    )
    _add_model_argument(build)
    add_data_arguments(build, format_required=False)
    build.add_argument("--tenant", help="tenant whose rows these are (default: the model's training tenant)")
    build.add_argument(
        "--source", help="name of this set of windows; its earlier rows are replaced (default: the log file name)"
    )
    build.add_argument("--rebuild", action="store_true", help="delete the tenant's rows of every source first")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(handler=run_build)

    info = actions.add_parser("info", help="print the knowledge base's version, index and rows per tenant")
    _add_model_argument(info)
    info.set_defaults(handler=run_info)

    drop = actions.add_parser("drop", help="delete one tenant's rows, or the whole collection")
    _add_model_argument(drop)
    target = drop.add_mutually_exclusive_group(required=True)
    target.add_argument("--tenant", help="delete only this tenant's rows")
    target.add_argument("--all", action="store_true", help="drop the whole collection (every tenant)")
    drop.set_defaults(handler=run_drop)


def _add_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, required=True, help="artifact directory written by `logad train`")


def run_build(args: argparse.Namespace) -> int:
    model, detector = _model_with_kb(args.model)
    try:
        tenant = args.tenant or detector.knowledge_base_tenant()
        loaded = load_windows(args.logs, data_spec_for_model(args, model.manifest), args.labels, not args.quiet)
        kb = detector.knowledge_base(create=True)
        removed = kb.drop_tenant(tenant) if args.rebuild else 0
        written = detector.add_to_knowledge_base(
            loaded.sequences, tenant, args.source or args.logs.name, not args.quiet
        )
        note(loaded.summary())
        summary = {"tenant": tenant, "removed": removed, "written": written, "tenant_rows": kb.count(tenant)}
        _print(summary | {"tenant_windows": kb.windows(tenant)})
    finally:
        model.detector.close()
    return 0


def run_info(args: argparse.Namespace) -> int:
    model, detector = _model_with_kb(args.model)
    try:
        _print(detector.knowledge_base().info())
    finally:
        model.detector.close()
    return 0


def run_drop(args: argparse.Namespace) -> int:
    model, detector = _model_with_kb(args.model)
    try:
        kb = detector.knowledge_base()
        if args.all:
            kb.drop()
            _print({"dropped": kb.collection})
        else:
            _print({"tenant": args.tenant, "removed": kb.drop_tenant(args.tenant)})
    finally:
        model.detector.close()
    return 0


def _model_with_kb(directory: Path) -> tuple[LoadedModel, KnowledgeBaseDetector]:
    """The model and its detector, which must keep a knowledge base."""
    model = load_artifact(directory)
    detector = model.detector
    if not isinstance(detector, KnowledgeBaseDetector) or detector.knowledge_base_tenant() is None:
        model.detector.close()
        raise ConfigError(
            f"{directory} ({model.manifest.detector}) has no knowledge base: its detector keeps none, or this "
            "model was trained without one"
        )
    return model, detector


def _print(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=2))
