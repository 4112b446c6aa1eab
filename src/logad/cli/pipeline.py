"""`logad pipeline render|chart|submit|run-local`: the training pipelines as Argo WorkflowTemplates (and the Helm
chart's per-detector parts), or run here."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from logad.cli import main
from logad.cli.common import note
from logad.config import config_from_dict, load_config_file
from logad.detectors.registry import available_detectors
from logad.errors import ConfigError
from logad.workflow.local import run_local
from logad.workflow.spec import CLUSTER_PARAMETERS, PARAMETERS, PipelineParams

GENERATED = Path("pipelines/generated")
CHART = Path("charts/logad")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pipeline", help="render, submit or locally run the training pipelines")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    render = actions.add_parser("render", help="write one WorkflowTemplate YAML per detector")
    render.add_argument("--out", type=Path, default=GENERATED, help=f"folder for the YAML (default {GENERATED})")
    render.add_argument("--values", type=Path, help="YAML/JSON cluster settings (image, volume, nodes, GPUs, ...)")
    render.set_defaults(handler=run_render)

    chart = actions.add_parser(
        "chart", help="regenerate the Helm chart's detector lists and WorkflowTemplate copies from the registry"
    )
    chart.add_argument("--chart", type=Path, default=CHART, help=f"the chart folder (default {CHART})")
    chart.add_argument("--generated", type=Path, default=GENERATED, help=f"rendered templates (default {GENERATED})")
    chart.set_defaults(handler=run_chart)

    submit = actions.add_parser("submit", help="create the WorkflowTemplate and submit a run to an Argo server")
    submit.add_argument("--detector", required=True, choices=available_detectors())
    submit.add_argument("--values", type=Path, help="YAML/JSON cluster settings")
    submit.add_argument("--host", default=os.environ.get("ARGO_SERVER"), help="Argo server URL (env ARGO_SERVER)")
    submit.add_argument("--namespace", default=os.environ.get("ARGO_NAMESPACE", "argo"))
    submit.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="workflow parameter")
    submit.set_defaults(handler=run_submit)

    local = actions.add_parser("run-local", help="run the same DAG here, step by step, on local files")
    local.add_argument("--detector", required=True, choices=available_detectors())
    for name in PARAMETERS:
        local.add_argument(f"--{name.replace('_', '-')}", dest=name, required=name in ("logs", "format"))
    local.set_defaults(handler=run_run_local)


def _settings(path: Path | None):
    from logad_pipelines import ClusterSettings

    return config_from_dict(ClusterSettings, load_config_file(path) if path else {}, "cluster settings")


def run_render(args: argparse.Namespace) -> int:
    from logad_pipelines import render_all

    for path in render_all(args.out, _settings(args.values)):
        note(f"wrote {path}")
    return 0


def run_chart(args: argparse.Namespace) -> int:
    from logad_pipelines.chart import write_chart

    changed = write_chart(args.chart, args.generated)
    for path in changed:
        note(f"updated {path}")
    note(f"{len(changed)} chart file(s) changed")
    return 0


def run_submit(args: argparse.Namespace) -> int:
    from hera.workflows import Workflow, WorkflowsService
    from hera.workflows.models import WorkflowTemplateRef

    from logad_pipelines import workflow_template

    if not args.host:
        raise ConfigError("no Argo server: pass --host or set ARGO_SERVER (token from ARGO_TOKEN)")
    service = WorkflowsService(host=args.host, namespace=args.namespace, token=os.environ.get("ARGO_TOKEN"))
    template = workflow_template(args.detector, _settings(args.values))
    template.workflows_service, template.namespace = service, args.namespace
    template.update()  # creates it when missing
    params = dict(_parameter(text) for text in args.param)
    workflow = Workflow(
        generate_name=f"{template.name}-",
        namespace=args.namespace,
        workflow_template_ref=WorkflowTemplateRef(name=template.name),
        arguments=params,
        workflows_service=service,
    )
    created = workflow.create()
    print(json.dumps({"workflow": created.metadata.name, "namespace": args.namespace}))
    return 0


def _parameter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    names = PARAMETERS + CLUSTER_PARAMETERS
    if not sep or name not in names:
        raise ConfigError(f"--param {text!r}: expected NAME=VALUE with NAME one of {', '.join(names)}")
    return name, value


def run_run_local(args: argparse.Namespace) -> int:
    given = {name: getattr(args, name) for name in PARAMETERS if getattr(args, name) is not None}
    try:
        params = PipelineParams(**given)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    record = run_local(args.detector, params, main, note)
    print(json.dumps({"detector": args.detector, "workdir": params.workdir, "steps": record}))
    return 0
