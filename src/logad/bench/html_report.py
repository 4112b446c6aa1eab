"""One self-contained HTML page of the comparison suite, rebuilt from the JSON and .npz files its scenarios wrote:
every suite table, PR curves and score distributions per contender (standard, first dataset), thresholds over time
on the drift log, and a t-SNE projection of LogSentry's embeddings before and after contrastive pre-training.
Figures are matplotlib PNGs (Agg canvas) embedded as base64, so the file stands alone."""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.manifold import TSNE
from sklearn.metrics import average_precision_score, precision_recall_curve

from logad.bench.report import format_cell
from logad.bench.suite import arrays
from logad.bench.suite.run import SUITE_SCENARIOS

REPORT = "report.html"
_COLUMNS_PER_ROW = 3
_FACTS = {"cores": "{} cores", "memory_gib": "{} GiB", "commit": "commit {}", "preset": "preset {}", "seed": "seed {}"}
_KIND_COLOURS = {
    "static": "tab:blue",
    "ewma": "tab:orange",
    "dtpm": "tab:green",
    "spot": "tab:purple",
    "dspot": "tab:brown",
}


@dataclass
class Saved:
    """One scenario's saved result: its JSON payload and its arrays (empty without a .npz)."""

    payload: dict[str, Any]
    arrays: dict[str, np.ndarray]

    def contenders(self, dataset: str | None = None) -> list[str]:
        """Contenders in table order (of ``dataset``'s rows when given)."""
        rows = [row for row in self.payload["rows"] if dataset is None or row.get("dataset") == dataset]
        return list(dict.fromkeys(row["contender"] for row in rows))


@dataclass
class Section:
    """A part of the page and whether the saved results held what it needs."""

    name: str
    source: str
    included: bool


@dataclass(frozen=True)
class FigureSpec:
    """A figure kind: the scenario whose results it draws and how (None when they lack its data)."""

    kind: str
    caption: str
    source: str
    draw: Callable[[Saved], Figure | None]


def write_html_report(out: Path) -> tuple[Path, list[Section]]:
    """Write ``out/report.html`` from the suite results in ``out``; returns its path and what it holds."""
    saved = {name: _load(out, name) for name in SUITE_SCENARIOS if (out / f"{name}.json").is_file()}
    sections, figures = [], []
    for spec in FIGURES:
        figure = spec.draw(saved[spec.source]) if spec.source in saved else None
        sections.append(Section(f"figure: {spec.kind}", spec.source, figure is not None))
        if figure is not None:
            figures.append(_figure_html(spec, figure))
    tables = [_table_html(result.payload) for result in saved.values()]
    sections += [Section(f"table: {name}", name, True) for name in saved]
    path = out / REPORT
    path.write_text(_page(saved, figures, tables), encoding="utf-8")
    return path, sections


def _load(out: Path, name: str) -> Saved:
    payload = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
    npz = out / f"{name}.npz"
    if not npz.is_file():
        return Saved(payload, {})
    with np.load(npz) as data:
        return Saved(payload, {key: data[key] for key in data.files})


# ---- figures --------------------------------------------------------------------------------------------------


def _first_dataset(saved: Saved) -> str | None:
    return next(iter(saved.payload["meta"].get("datasets", {})), None)


def _scored(saved: Saved) -> tuple[str, np.ndarray, dict[str, np.ndarray]] | None:
    """The standard scenario's first dataset, its test labels and each contender's scores."""
    dataset = _first_dataset(saved)
    if dataset is None or arrays.labels_key(dataset) not in saved.arrays:
        return None
    scores = {
        name: saved.arrays[arrays.scores_key(dataset, name)]
        for name in saved.contenders(dataset)
        if arrays.scores_key(dataset, name) in saved.arrays
    }
    return (dataset, saved.arrays[arrays.labels_key(dataset)], scores) if scores else None


def _pr_curves(saved: Saved) -> Figure | None:
    scored = _scored(saved)
    if scored is None:
        return None
    dataset, labels, scores = scored
    known = labels >= 0
    if len(set(labels[known].tolist())) < 2:
        return None
    figure = Figure(figsize=(7, 5.5))
    ax = figure.subplots()
    for name, values in scores.items():
        finite = _finite(values[known])
        precision, recall, _ = precision_recall_curve(labels[known], finite)
        ax.step(
            recall, precision, where="post", label=f"{name} (AP {average_precision_score(labels[known], finite):.3f})"
        )
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.01), ylim=(0, 1.02), title=f"PR curves, {dataset} test")
    ax.legend(fontsize=8, loc="lower left")
    return figure


def _score_distributions(saved: Saved) -> Figure | None:
    scored = _scored(saved)
    if scored is None:
        return None
    dataset, labels, scores = scored
    figure, axes = _grid(len(scores))
    for ax, (name, values) in zip(axes, scores.items(), strict=False):
        finite = _finite(values)
        threshold = saved.arrays.get(arrays.threshold_key(dataset, name))
        low, high = _range(finite, [] if threshold is None else [float(threshold)])
        bins = np.linspace(low, high, 41)
        for label, colour, what in ((0, "tab:blue", "normal"), (1, "tab:red", "anomalous")):
            part = np.clip(finite[labels == label], low, high)
            if len(part):
                ax.hist(part, bins=bins, density=True, alpha=0.5, color=colour, label=f"{what} ({len(part)})")
        if threshold is not None:
            ax.axvline(float(threshold), color="black", linestyle="--", linewidth=1, label="static threshold")
        ax.set_title(name, fontsize=9)
        ax.set_yscale("log")
        ax.legend(fontsize=6)
    figure.suptitle(f"Score distributions of normal and anomalous test windows, {dataset} (density, log scale)")
    return figure


def _drift_thresholds(stream: str) -> Callable[[Saved], Figure | None]:
    """A figure of one drift stream: each contender's scores and the threshold each kind applied over time."""

    def draw(saved: Saved) -> Figure | None:
        names = [name for name in saved.contenders() if arrays.drift_scores_key(stream, name) in saved.arrays]
        if not names:
            return None
        labels = saved.arrays[arrays.drift_key(stream, "labels")]
        point = int(saved.arrays[arrays.drift_key(stream, "point")])
        kinds = saved.payload["meta"].get("kinds", list(_KIND_COLOURS))
        figure, axes = _grid(len(names), height=3.2)
        for ax, name in zip(axes, names, strict=False):
            scores = saved.arrays[arrays.drift_scores_key(stream, name)]
            keys = {kind: arrays.drift_trace_key(stream, name, kind) for kind in kinds}
            traces = {kind: saved.arrays[key] for kind, key in keys.items() if key in saved.arrays}
            x = np.arange(len(scores))
            for label, colour, what in ((0, "tab:gray", "normal"), (1, "tab:red", "anomalous")):
                ax.scatter(x[labels == label], scores[labels == label], s=4, color=colour, label=what)
            for kind, trace in traces.items():
                ax.step(x, trace, where="post", color=_KIND_COLOURS.get(kind), linewidth=1, label=kind)
            ax.axvline(point, color="black", linestyle=":", linewidth=1, label="drift point")
            low, high = _range(_finite(scores), [v for t in traces.values() for v in _finite(t)])
            ax.set_ylim(low, high)
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("test window (time order)", fontsize=8)
            ax.legend(fontsize=6, markerscale=2)
        figure.suptitle(f"Drift stream '{stream}': scores and each threshold kind over time")
        return figure

    return draw


def _tsne(saved: Saved) -> Figure | None:
    if arrays.EMBEDDINGS_AFTER not in saved.arrays:
        return None
    labels = saved.arrays[arrays.EMBEDDINGS_LABELS]
    if len(labels) < 5:
        return None
    seed = int(saved.payload["meta"].get("seed", 0))
    figure = Figure(figsize=(11, 5))
    for ax, key, title in zip(
        figure.subplots(1, 2),
        (arrays.EMBEDDINGS_BEFORE, arrays.EMBEDDINGS_AFTER),
        ("before (encoder as loaded)", "after contrastive pre-training"),
        strict=True,
    ):
        tsne = TSNE(n_components=2, perplexity=min(30.0, (len(labels) - 1) / 3), init="pca", random_state=seed)
        points = tsne.fit_transform(saved.arrays[key].astype(np.float32))
        for label, colour, what in ((0, "tab:blue", "normal"), (1, "tab:red", "anomalous")):
            ax.scatter(*points[labels == label].T, s=6, color=colour, alpha=0.6, label=what)
        ax.set_title(f"LogSentry embeddings {title}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(fontsize=8)
    dataset = _first_dataset(saved) or "test"
    figure.suptitle(f"t-SNE of {len(labels)} {dataset} test windows' sequence embeddings")
    return figure


FIGURES = (
    FigureSpec("pr-curves", "Precision-recall curve of each contender on the test windows.", "standard", _pr_curves),
    FigureSpec(
        "score-distributions",
        "Scores of normal and anomalous test windows per contender, with the static threshold from validation.",
        "standard",
        _score_distributions,
    ),
    *(
        FigureSpec(
            f"drift-{stream}",
            f"Drift stream '{stream}', test windows in time order: scores (dots) and the threshold each kind applied "
            f"(lines, without feedback): {what}.",
            "drift",
            _drift_thresholds(stream),
        )
        for stream, what in (
            ("synthetic", "the synthetic log after its drift point"),
            ("reworded", "HDFS_2pct with the second half's messages reworded by a simulated upgrade"),
            ("level", "HDFS_2pct with the second half's scores shifted up"),
        )
    ),
    FigureSpec(
        "tsne",
        "t-SNE of LogSentry's sequence embeddings before and after contrastive pre-training (cf. its Fig. 10).",
        "standard",
        _tsne,
    ),
)


def _grid(panels: int, height: float = 2.8) -> tuple[Figure, list[Any]]:
    columns = min(panels, _COLUMNS_PER_ROW)
    rows = math.ceil(panels / columns)
    figure = Figure(figsize=(4 * columns, height * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel().tolist()
    for unused in axes[panels:]:
        unused.set_visible(False)
    return figure, axes


_PLOTTABLE = np.finfo(float).max / 4
"""Values at or beyond this are ``_finite``'s stand-ins for infinities."""


def _finite(values: np.ndarray) -> np.ndarray:
    return np.nan_to_num(
        np.asarray(values, dtype=float), nan=0.0, posinf=np.finfo(float).max, neginf=-np.finfo(float).max
    )


def _range(values: np.ndarray, extra: list[float]) -> tuple[float, float]:
    """A plotting range holding 99% of ``values`` and every ``extra`` value, with a margin; infinite values and
    their stand-ins (``_finite``: a threshold below every score is -inf) are left out."""
    points = np.asarray(values, dtype=float)
    points = points[np.abs(points) < _PLOTTABLE]
    extra = [value for value in extra if abs(value) < _PLOTTABLE]
    low, high = np.quantile(points, [0.005, 0.995]) if len(points) else (0.0, 1.0)
    low, high = min([low, *extra]), max([high, *extra])
    margin = (high - low) * 0.05 or 0.5
    return float(low - margin), float(high + margin)


def _figure_html(spec: FigureSpec, figure: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    caption = html.escape(spec.caption)
    return (
        f'<figure data-kind="{spec.kind}"><img alt="{spec.kind}" src="data:image/png;base64,{data}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


# ---- page -----------------------------------------------------------------------------------------------------


def _table_html(payload: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in payload["columns"])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(format_cell(row.get(c)))}</td>" for c in payload["columns"]) + "</tr>"
        for row in payload["rows"]
    )
    notes = "".join(f'<p class="note">{html.escape(note)}</p>' for note in payload.get("notes", []))
    title = html.escape(payload["title"])
    return f'<section id="{payload["scenario"]}"><h3>{title}</h3><table><tr>{head}</tr>{body}</table>{notes}</section>'


def _page(saved: dict[str, Saved], figures: list[str], tables: list[str]) -> str:
    missing = [name for name in SUITE_SCENARIOS if name not in saved]
    absent = f"<p>Not run yet: {', '.join(missing)}.</p>" if missing else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>logad comparison suite</title>'
        f"<style>{_STYLE}</style></head><body><h1>logad comparison suite</h1><p>{_facts(saved)}</p>{absent}"
        f"<h2>Figures</h2>{''.join(figures) or '<p>No figure: run the standard and drift scenarios.</p>'}"
        f"<h2>Tables</h2>{''.join(tables)}</body></html>\n"
    )


def _facts(saved: dict[str, Saved]) -> str:
    """Machine, commit, preset and seed of the first saved result."""
    meta = next(iter(saved.values())).payload["meta"] if saved else {}
    return html.escape(", ".join(text.format(meta[key]) for key, text in _FACTS.items() if key in meta))


_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:1300px}"
    "table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
    "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}"
    "th{background:#f0f0f0}figure{margin:1em 0}img{max-width:100%}"
    ".note{font-size:12px;color:#444;max-width:1100px}"
)
