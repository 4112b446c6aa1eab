"""The steps of a detector's training pipeline, each a `logad` command line over named parameters.

prepare (parse + window once) -> one step per training stage the detector declares (``Capabilities.stages``; with
several, each resumes the previous stage's checkpoint) -> evaluate with a quality gate on the held-out split ->
(detectors that keep a knowledge base) populate the tenant's knowledge base -> register the version for the tenant.
Arguments hold ``{parameter}`` placeholders: the local runner fills in values, the Argo renderer workflow-parameter
expressions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from logad.config import require_range
from logad.detectors.capabilities import Capabilities, TrainingStage
from logad.detectors.registry import detector_capabilities

# Workflow parameters, in the order they are declared; optional ones take "" for "not given".
PARAMETERS = (
    "logs",
    "format",
    "labels",
    "window",
    "split",
    "preset",
    "config",
    "min_f1",
    "tenant",
    "workdir",
    "registry",
    "deepspeed",
)
# Parameters only the cluster's WorkflowTemplates declare, after PARAMETERS: how a step's pod runs, not what it
# computes (run-local runs no pods). training_resources: the training containers' requests and limits as JSON,
# strategic-merged over the template's own (empty: "{}").
TRAINING_RESOURCES = "training_resources"
CLUSTER_PARAMETERS = (TRAINING_RESOURCES,)
WINDOWS = "{workdir}/data/windows.jsonl"
MODEL = "{workdir}/model"
STAGES = "{workdir}/stages"  # where a stage hands its checkpoint to the next


@dataclass
class PipelineParams:
    """Values of the workflow parameters for one run (strings, as Argo passes them)."""

    logs: str
    format: str
    labels: str = ""
    window: str = ""
    split: str = "chrono:0.8"
    preset: str = ""
    config: str = ""
    min_f1: str = "0.0"
    tenant: str = "default"
    workdir: str = "runs/pipeline"
    registry: str = "runs/registry"
    deepspeed: str = ""

    def __post_init__(self) -> None:
        try:
            require_range("min_f1", float(self.min_f1))
        except ValueError as exc:
            raise ValueError(f"min_f1: {exc}") from None

    def values(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Step:
    """One node of the DAG: a `logad` command line (with placeholders), the steps it waits for, whether it is a
    training step that runs as a distributed job, whether it opens the model's knowledge base (such steps must
    reach the Milvus server the predictors use), and whether it can use the GPUs its detector's training gets."""

    name: str
    args: tuple[str, ...]
    depends: tuple[str, ...] = ()
    distributed: bool = False
    knowledge_base: bool = False
    gpus: bool = False

    def command(self, values: dict[str, str]) -> list[str]:
        """The arguments with every ``{parameter}`` filled in from ``values``."""
        return [arg.format(**values) for arg in self.args]


def _data_args(logs: str, format_: str, labels: str | None = None) -> tuple[str, ...]:
    """--logs and --format, and --labels when the data has them in a separate file."""
    return ("--logs", logs, "--format", format_) + (("--labels", labels) if labels else ())


def _prepared_data() -> tuple[str, ...]:
    """The prepare step's output: sessions-jsonl with the labels inside."""
    return _data_args(WINDOWS, "sessions-jsonl")


def _train_step(detector: str, declared: Capabilities, stage: TrainingStage, out: str, depends: str) -> Step:
    settings = tuple(arg for setting in stage.settings for arg in ("--set", f"detector.{setting}"))
    if declared.handover:
        settings += ("--set", f"detector.{declared.handover}={STAGES}")
    args = (
        "train",
        "--detector",
        detector,
        *_prepared_data(),
        "--split",
        "{split}",
        "--config",
        "{config}",
        "--preset",
        "{preset}",
        "--deepspeed",
        "{deepspeed}",
        *settings,
        "--out",
        out,
        "--quiet",
    )
    return Step(stage.name, args, (depends,), distributed=True, knowledge_base=declared.knowledge_base, gpus=stage.gpus)


def _training_steps(detector: str, declared: Capabilities) -> list[Step]:
    """One step per declared stage, each after the previous one; the last writes the model."""
    steps, previous = [], "prepare"
    for position, stage in enumerate(declared.stages):
        out = MODEL if position == len(declared.stages) - 1 else f"{{workdir}}/{stage.name}"
        steps.append(_train_step(detector, declared, stage, out, previous))
        previous = stage.name
    return steps


def pipeline_steps(detector: str) -> list[Step]:
    """The DAG for ``detector``, in an order that respects every dependency."""
    prepare = Step(
        "prepare",
        ("prepare", *_data_args("{logs}", "{format}", "{labels}"), "--window", "{window}", "--out", WINDOWS, "--quiet"),
    )
    declared = detector_capabilities(detector)
    training = _training_steps(detector, declared)
    trained = training[-1].name
    evaluate = Step(
        "evaluate",
        ("evaluate", "--model", MODEL, *_prepared_data(), "--split", "{split}", "--min-f1", "{min_f1}", "--json"),
        (trained,),
        knowledge_base=declared.knowledge_base,
    )
    steps = [prepare, *training, evaluate]
    gate = "evaluate"
    if declared.knowledge_base:
        kb = ("kb", "build", "--model", MODEL, *_prepared_data(), "--tenant", "{tenant}")
        steps.append(Step("knowledge-base", (*kb, "--quiet"), (gate,), knowledge_base=True))
        gate = "knowledge-base"
    register = ("register", "--model", MODEL, "--registry", "{registry}", "--tenant", "{tenant}")
    steps.append(Step("register", register, (gate,)))
    return steps
