"""The synthetic generator: determinism, native formats, labels, anomaly kinds, tenants, drift and the CLI."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from logad.cli import main
from logad.data.dataset import DataSpec, load_windows
from logad.data.formats import get_format
from logad.data.readers import open_lines
from logad.data.synth import SynthConfig, bgl, generate, hdfs
from logad.data.synth.config import MAX_TENANTS
from logad.data.synth.templates import Template

HDFS_FORMAT, BGL_FORMAT = get_format("hdfs"), get_format("bgl")
BLOCK_ID = re.compile(r"blk_-?\d+")
HDFS_TEMPLATES = [value for value in vars(hdfs).values() if isinstance(value, Template)]
HDFS_TEMPLATES += [*hdfs.ERRORS, *hdfs.NEW_TEMPLATES]
BGL_TEMPLATES = [template for template, _ in bgl.NORMAL] + [t for _, t in (*bgl.ERRORS, *bgl.NEW_TEMPLATES)]
REQUIRED = {template.name: count for template, count in hdfs.REQUIRED.items()}
ERROR_NAMES = {template.name for template in hdfs.ERRORS}
NEW_NAMES = {template.name for template in hdfs.NEW_TEMPLATES}
MUTABLE = {template.name for template in HDFS_TEMPLATES + BGL_TEMPLATES if template.upgraded}


class Classifier:
    """Which template (and which wording: original or upgraded) produced a message; fails on unknown text."""

    def __init__(self, templates: list[Template]) -> None:
        self.patterns = [
            (re.compile(_regex(text)), template.name, text is template.upgraded)
            for template in templates
            for text in (template.text, template.upgraded)
            if text is not None
        ]

    def __call__(self, content: str) -> tuple[str, bool]:
        found = [(name, upgraded) for pattern, name, upgraded in self.patterns if pattern.fullmatch(content)]
        assert len(found) == 1, f"{content!r} matches {found}"
        return found[0]


def _regex(text: str) -> str:
    parts = re.split(r"\{\w+\}", text)
    return "[^ ]+".join(re.escape(part) for part in parts)


HDFS_OF, BGL_OF = Classifier(HDFS_TEMPLATES), Classifier(BGL_TEMPLATES)


def _parsed(path: Path, fmt) -> list[dict[str, str]]:
    rows = [fmt.parse_line(text) for _, text in open_lines(path)]
    assert all(rows), f"a line of {path} does not match the {fmt.name} format"
    return rows


def _blocks(path: Path) -> dict[str, list[str]]:
    """Message texts per block id, in file order."""
    blocks = defaultdict(list)
    for row in _parsed(path, HDFS_FORMAT):
        (block_id,) = set(BLOCK_ID.findall(row["Content"]))
        blocks[block_id].append(row["Content"])
    return blocks


def _anomalies(folder: Path, log: str) -> dict[str, str]:
    rows = [json.loads(line) for line in (folder / "anomalies.jsonl").read_text().splitlines()]
    assert all(row["tenant"] == folder.name for row in rows)
    return {row["id"]: row["kind"] for row in rows if row["log"] == log}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Both logs for two tenants with every anomaly kind, no drift."""
    out = tmp_path_factory.mktemp("synth")
    config = SynthConfig(kind="both", blocks=500, bgl_lines=4000, anomaly_rate=0.25, tenants=2, seed=7)
    return generate(config, out), out


def test_same_seed_gives_identical_bytes(tmp_path):
    config = SynthConfig(kind="both", blocks=60, bgl_lines=400, tenants=2, drift_at=0.5, gzip=True, seed=3)
    runs = [generate(config, tmp_path / name).out_dir for name in ("a", "b")]
    generate(dataclasses.replace(config, seed=4), tmp_path / "c")
    files = sorted(path.relative_to(runs[0]) for path in runs[0].rglob("*") if path.is_file())
    # synth.json, and per tenant HDFS.log.gz, anomaly_label.csv, BGL.log.gz and anomalies.jsonl
    assert len(files) == 1 + 2 * 4
    for name in files:
        first, second, other = ((tmp_path / run / name).read_bytes() for run in "abc")
        assert first == second
        assert name.name == "synth.json" or first != other


def test_lines_parse_in_time_order(dataset):
    summary, out = dataset
    for tenant in summary.tenants:
        folder = out / tenant.profile.name
        stamps = [(row["Date"], row["Time"]) for row in _parsed(folder / "HDFS.log", HDFS_FORMAT)]
        assert len(stamps) == tenant.hdfs.lines and stamps == sorted(stamps)
        rows = _parsed(folder / "BGL.log", BGL_FORMAT)
        assert len(rows) == tenant.bgl.lines == 4000
        assert [int(row["Timestamp"]) for row in rows] == sorted(int(row["Timestamp"]) for row in rows)
        assert all(row["Node"] == row["NodeRepeat"] for row in rows)
        assert all(row["Time"].startswith(row["Date"].replace(".", "-")) for row in rows)
        assert sum(row["Label"] != "-" for row in rows) == tenant.bgl.anomalous_lines > 0


def test_label_file_covers_exactly_the_blocks(dataset):
    summary, out = dataset
    for tenant in summary.tenants:
        folder = out / tenant.profile.name
        rows = (folder / "anomaly_label.csv").read_text().splitlines()
        labels = dict(row.split(",") for row in rows[1:])
        assert rows[0] == "BlockId,Label" and len(labels) == len(rows) - 1 == tenant.hdfs.blocks == 500
        assert set(labels) == set(_blocks(folder / "HDFS.log"))
        anomalous = {block for block, label in labels.items() if label == "Anomaly"}
        assert anomalous == set(_anomalies(folder, "HDFS.log"))
        assert len(anomalous) == sum(tenant.hdfs.anomalies.values())
        assert set(labels.values()) == {"Normal", "Anomaly"}
        loaded = load_windows(folder / "HDFS.log", DataSpec("hdfs"), folder / "anomaly_label.csv")
        assert len(loaded.sequences) == 500 and loaded.unlabelled == 0
        assert sum(window.label for window in loaded.sequences) == len(anomalous)


def test_hdfs_anomaly_kinds_are_really_present(dataset):
    _, out = dataset
    folder = out / "tenant-0"
    kinds = _anomalies(folder, "HDFS.log")
    assert set(kinds.values()) == set(hdfs.INJECTORS)
    for block, messages in _blocks(folder / "HDFS.log").items():
        names = [HDFS_OF(message)[0] for message in messages]
        counts = Counter(name for name in names if name in REQUIRED)
        early = max(i for i, name in enumerate(names) if name in ("allocate", "receiving"))
        late = min(i for i, name in enumerate(names) if name in ("responder", "received", "stored"))
        kind = kinds.get(block)
        assert bool(set(names) & ERROR_NAMES) == (kind == "error_message"), block
        assert bool(set(names) & NEW_NAMES) == (kind == "new_template"), block
        if kind is None:
            assert counts == REQUIRED and early < late, block
        elif kind == "missing_step":
            assert counts != REQUIRED and all(counts[name] <= REQUIRED[name] for name in REQUIRED), block
        elif kind == "wrong_order":
            assert counts == REQUIRED and early > late, block
        elif kind == "frequency_burst":
            assert max(counts.values()) >= 10, block


def test_bgl_anomaly_kinds_cover_their_lines(dataset):
    _, out = dataset
    folder = out / "tenant-1"
    rows = _parsed(folder / "BGL.log", BGL_FORMAT)
    kind_of_line = {}
    for span, kind in _anomalies(folder, "BGL.log").items():
        first, last = map(int, span.removeprefix("lines-").split("-"))
        kind_of_line.update(dict.fromkeys(range(first, last + 1), kind))
        lines = rows[first - 1 : last]
        names = {BGL_OF(row["Content"])[0] for row in lines}
        pairs = {(row["Label"], BGL_OF(row["Content"])[0]) for row in lines}
        if kind == "frequency_burst":
            assert len(lines) >= bgl.BURST_LINES[0] and len(names) == 1 and names <= set(bgl.BURSTY)
            assert {row["Label"] for row in lines} == {bgl.BURST_LABEL}
        else:
            pool = bgl.ERRORS if kind == "error_message" else bgl.NEW_TEMPLATES
            assert pairs <= {(label, template.name) for label, template in pool}
    assert set(kind_of_line.values()) == {"error_message", "new_template", "frequency_burst"}
    normal_names = {template.name for template, _ in bgl.NORMAL}
    for line_no, row in enumerate(rows, start=1):
        assert (row["Label"] != "-") == (line_no in kind_of_line)
        if line_no not in kind_of_line:
            assert BGL_OF(row["Content"])[0] in normal_names


def test_tenants_differ_and_never_share_ids(dataset):
    summary, out = dataset
    ids = [set(_blocks(out / name / "HDFS.log")) for name in ("tenant-0", "tenant-1")]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    for index, blocks in enumerate(ids):
        assert all(abs(int(block[4:])) % MAX_TENANTS == index for block in blocks)
    first, second = (tenant.profile for tenant in summary.tenants)
    assert (first.block_gap, first.serve_p, first.line_gap) != (
        second.block_gap,
        second.serve_p,
        second.line_gap,
    )


def test_normal_hdfs_blocks_do_not_depend_on_the_anomaly_settings(tmp_path):
    generate(SynthConfig(blocks=80, anomaly_rate=0.0), tmp_path / "a")
    generate(SynthConfig(blocks=80, anomaly_rate=0.5), tmp_path / "b")
    clean, out = _blocks(tmp_path / "a/tenant-0/HDFS.log"), tmp_path / "b/tenant-0"
    kinds = _anomalies(out, "HDFS.log")
    noisy = _blocks(out / "HDFS.log")
    assert set(clean) == set(noisy) and 0 < len(kinds) < 80
    assert all(messages == clean[block] for block, messages in noisy.items() if block not in kinds)


def test_template_mutation_only_after_the_drift_point(tmp_path):
    config = SynthConfig(kind="both", blocks=300, bgl_lines=3000, anomaly_rate=0.0, drift_at=0.4, seed=2)
    summary = generate(dataclasses.replace(config, drift=("template_mutation",)), tmp_path / "drift")
    generate(dataclasses.replace(config, drift_at=None), tmp_path / "plain")
    tenant = summary.tenants[0]
    for log, fmt, classify, stamp in (
        (tenant.hdfs, HDFS_FORMAT, HDFS_OF, lambda row: HDFS_FORMAT.timestamp(row)),
        (tenant.bgl, BGL_FORMAT, BGL_OF, lambda row: int(row["Timestamp"])),
    ):
        rows = _parsed(tmp_path / "drift/tenant-0" / log.file, fmt)
        plain = _parsed(tmp_path / "plain/tenant-0" / log.file, fmt)
        drift_line = log.drift.line
        assert 0.2 * len(rows) < drift_line < 0.8 * len(rows)
        assert rows[: drift_line - 1] == plain[: drift_line - 1]  # nothing changes before the point
        assert stamp(rows[drift_line - 2]) < log.drift.timestamp <= stamp(rows[drift_line - 1])
        classes = [classify(row["Content"]) for row in rows]
        before, after = classes[: drift_line - 1], classes[drift_line - 1 :]
        assert not any(upgraded for _, upgraded in before)
        assert all(upgraded for name, upgraded in after if name in MUTABLE)
        assert sum(upgraded for _, upgraded in after) > 100
    assert (tmp_path / "drift/tenant-0/anomalies.jsonl").read_text() == ""
    labels = (tmp_path / "drift/tenant-0/anomaly_label.csv").read_text()
    assert "Anomaly" not in labels
    manifest = json.loads((tmp_path / "drift/synth.json").read_text())
    assert manifest["tenants"]["tenant-0"]["hdfs"]["drift"]["line"] == tenant.hdfs.drift.line
    assert manifest["config"]["drift_at"] == 0.4 and manifest["seed"] == 2


def _rates_around(stamps: list[float], drift: int) -> tuple[float, float]:
    """Events per second before and after the drift point."""
    before, after = [t for t in stamps if t < drift], [t for t in stamps if t >= drift]
    return len(before) / (before[-1] - before[0]), len(after) / (after[-1] - after[0])


def test_rate_change_speeds_up_traffic_and_grows_blocks(tmp_path):
    config = SynthConfig(
        kind="both", blocks=600, bgl_lines=3000, anomaly_rate=0.0, drift_at=0.5, drift=("rate_change",)
    )
    tenant = generate(config, tmp_path).tenants[0]
    rows = _parsed(tmp_path / "tenant-0/HDFS.log", HDFS_FORMAT)
    drift = tenant.hdfs.drift.timestamp
    allocations = [HDFS_FORMAT.timestamp(row) for row in rows if "allocateBlock" in row["Content"]]
    before, after = _rates_around(allocations, drift)
    assert after > 2 * before
    sizes = defaultdict(set)
    for row in rows:
        if row["Content"].startswith("Received block"):
            size = int(row["Content"].split(" of size ")[1].split()[0])
            sizes[HDFS_FORMAT.timestamp(row) >= drift].add(size)
    assert hdfs.FULL_BLOCK in sizes[False] and hdfs.UPGRADED_BLOCK not in sizes[False]
    assert hdfs.UPGRADED_BLOCK in sizes[True]
    bgl_rows = _parsed(tmp_path / "tenant-0/BGL.log", BGL_FORMAT)
    before, after = _rates_around([int(row["Timestamp"]) for row in bgl_rows], tenant.bgl.drift.timestamp)
    assert after > 2 * before and {row["Label"] for row in bgl_rows} == {"-"}


def test_cli_writes_what_it_prints(tmp_path, capsys):
    args = ["synth", "--out", str(tmp_path), "--kind", "both", "--blocks", "40", "--bgl-lines", "300"]
    args += ["--tenants", "2", "--kinds", "missing_step,error_message=0.2", "--drift-at", "0.5"]
    args += ["--drift", "template_mutation", "--gzip", "--seed", "5"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "tenant-1/BGL.log.gz: 300 lines" in printed and "tenant-0/HDFS.log.gz" in printed
    assert len(_parsed(tmp_path / "tenant-1/BGL.log.gz", BGL_FORMAT)) == 300
    manifest = json.loads((tmp_path / "synth.json").read_text())
    assert manifest["config"]["kind_rates"] == {"error_message": 0.2}
    assert manifest["config"]["drift"] == ["template_mutation"]
    assert set(manifest["tenants"]["tenant-0"]["hdfs"]["anomalies"]) == {"missing_step", "error_message"}
    assert set(manifest["tenants"]["tenant-0"]["bgl"]["anomalies"]) == {"error_message"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--blocks", "0"], "blocks must be at least 1"),
        (["--kinds", "missing_step,nope"], "unknown anomaly kind(s) nope"),
        (["--kinds", "missing_step=lots"], "needs a number after '='"),
        (["--kind", "bgl", "--kinds", "wrong_order"], "applies to BGL"),
        (["--drift", "rate_change"], "--drift needs --drift-at"),
        (["--drift-at", "1.2"], "drift_at must be a fraction in (0, 1)"),
        (["--anomaly-rate", "-0.1"], "anomaly_rate must be a number in [0, 1]"),
    ],
)
def test_cli_rejects_bad_arguments_in_one_line(tmp_path, capsys, args, message):
    assert main(["synth", "--out", str(tmp_path), *args]) == 2
    error = capsys.readouterr().err
    assert error.startswith("logad synth: error: ") and message in error and error.count("\n") == 1
    assert not any(tmp_path.iterdir())
