"""A figure of served request latency over a stream, beside the tenant's open windows (PNG, Agg canvas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def write_latency_figure(traces: dict[str, np.ndarray], path: Path, title: str) -> Path:
    """Plot each named trace (rows of: last line sent, latency ms, open windows after, sessions the request named)
    as latency, and open windows beside the sessions named, against the lines sent, one panel pair per trace;
    written to ``path``."""
    figure = Figure(figsize=(10, 3.2 * len(traces) + 0.6), layout="constrained")
    axes = np.atleast_2d(figure.subplots(len(traces), 2))
    for (name, trace), (latency_ax, open_ax) in zip(traces.items(), axes, strict=True):
        latency_ax.plot(trace[:, 0], trace[:, 1], ".", markersize=2, alpha=0.6)
        latency_ax.set(title=f"{name}: latency per request", xlabel="lines sent", ylabel="ms", yscale="log")
        open_ax.plot(trace[:, 0], trace[:, 2], "-", color="tab:green")
        open_ax.set(title=f"{name}: open windows, sessions per request", xlabel="lines sent", ylabel="open windows")
        named_ax = open_ax.twinx()
        named_ax.plot(trace[:, 0], trace[:, 3], ".", color="tab:purple", markersize=2, alpha=0.4)
        named_ax.set_ylabel("sessions the request names", color="tab:purple")
    figure.suptitle(title)
    FigureCanvasAgg(figure).print_png(str(path))
    return path
