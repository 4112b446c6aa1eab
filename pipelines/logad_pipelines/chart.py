"""The Helm chart's per-detector parts, generated from logad's detector registry: the LogDetector CRD's detector
enum, the values' default list of WorkflowTemplates and the values schema's detector enums, and the templates
themselves (copies of `logad pipeline render`'s files). Adding a detector is adding its sub-package (and registry
line), then running `logad pipeline render && logad pipeline chart`; a test keeps the committed chart equal to this
output."""

from __future__ import annotations

import json
import re
from pathlib import Path

from logad.detectors.registry import available_detectors

CRD = Path("crds/logdetectors.yaml")
VALUES = Path("values.yaml")
SCHEMA = Path("values.schema.json")
TEMPLATES = Path("files/workflowtemplates")
# The flow-style lists the chart's YAML holds: the CRD's spec.detector enum and workflowTemplates.detectors.
_CRD_ENUM = re.compile(r"(?m)^(\s+description: The detector to train and serve.*\n\s+enum: )\[.*\]$")
_VALUES_LIST = re.compile(r"(?m)^(workflowTemplates:\n(?:  .*\n|\s*\n)*?  detectors: )\[.*\]$")


def chart_files(chart: Path, generated: Path) -> dict[Path, str]:
    """What the chart at ``chart`` holds for every detector, by path: its YAML and JSON with the registry's detector
    lists, and ``generated``'s WorkflowTemplate files."""
    detectors = available_detectors()
    flow = f"[{', '.join(detectors)}]"
    crd, values = (chart / CRD).read_text(), (chart / VALUES).read_text()
    schema = json.loads((chart / SCHEMA).read_text())
    properties = schema["properties"]
    properties["workflowTemplates"]["properties"]["detectors"]["items"]["enum"] = detectors
    properties["pipeline"]["properties"]["detectors"]["propertyNames"]["enum"] = detectors
    schema["definitions"]["deployment"]["properties"]["detector"]["enum"] = detectors
    files = {
        chart / CRD: _substitute(_CRD_ENUM, crd, flow, CRD),
        chart / VALUES: _substitute(_VALUES_LIST, values, flow, VALUES),
        chart / SCHEMA: json.dumps(schema, indent=2) + "\n",
    }
    for detector in detectors:
        files[chart / TEMPLATES / f"{detector}.yaml"] = (generated / f"{detector}.yaml").read_text()
    return files


def write_chart(chart: Path, generated: Path) -> list[Path]:
    """Write :func:`chart_files` where they differ from the chart's, removing templates of detectors no longer
    registered; returns the paths changed."""
    files = chart_files(chart, generated)
    changed = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    for path in changed:
        path.write_text(files[path])
    stale = sorted(set((chart / TEMPLATES).glob("*.yaml")) - set(files))
    for path in stale:
        path.unlink()
    return changed + stale


def _substitute(pattern: re.Pattern[str], text: str, flow: str, name: Path) -> str:
    result, found = pattern.subn(lambda match: match[1] + flow, text)
    if found != 1:
        raise ValueError(f"{name}: expected one detector list matching {pattern.pattern!r}, found {found}")
    return result
