"""DTPM, BERT-LogAnom's Dynamic Threshold Prediction Module, rebuilt on the anchor: a fast layer (the anchored
robust trackers of ``logad.threshold.ewma``) plus a slow gated network that corrects it.

Threshold for the next score, from the state before it::

    threshold = carried + shrink(d) * s,    d = D tanh(w2 . h + b2),    h = tanh(W1 x + b1) * sigmoid(Wg x + bg)

``carried`` is the EWMA kind's anchor carried along by the trackers, ``s`` their spread and ``D`` = 3 bounds
the correction to three spreads. ``shrink(d) = sign(d) max(|d| - band, 0)`` with ``band`` 25% above the largest
|d| over the simulated stretches where nothing happened, so that, like the trackers, the net leaves the anchor
alone on a stable stream. ``x`` holds features of the last ``window`` valid scores (prefilled with the last
validation normals) and of the trackers, levels relative to the reference median in units of the reference spread,
squashed with arcsinh: window mean, median, log IQR, max, last score, tracker median, log tracker spread, and the
share of the window above the carried threshold. An untrained net gives d = 0 exactly (the EWMA kind).

``DtpmThreshold.fit`` trains the net, self-supervised, on simulated streams: bootstrap resamples of the validation
normal scores under one event from mid-stream on, cycling over none, a level shift (2-10 reference spreads up or
down), a change of scale about the median, a multiplication, a gradual drift and a burst of 10-60 anomalous scores
(the validation anomalies when given, else scores 3-6 spreads above the anchor); given validation anomalies are
also mixed in at 2%. The target is what an oracle that knows the event would serve: the anchor moved by the
same transform ``a x + b`` as the scores (unmoved by a burst). The loss is the smooth L1 distance to it in
reference spreads. So the net learns to shorten the trackers' lag after real shifts and to hold them still in
bursts. Inference is numpy only: the weights are plain lists in ``state_dict``, so serving needs no torch.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from logad.errors import BadInputError, ConfigError
from logad.threshold.config import ThresholdConfig
from logad.threshold.ewma import BAND_MARGIN, EwmaThreshold, track
from logad.threshold.policy import (
    ThresholdPolicy,
    check_keys,
    finite_scores,
    read_array,
    read_float,
    read_int,
    rebuild,
)

MAX_CORRECTION = 3.0
N_FEATURES = 8
STREAMS, STREAM_STEPS, BATCH_STREAMS, ANOMALY_SHARE = 96, 300, 16, 0.02
EVENTS = ("none", "level", "scale", "multiply", "drift", "burst")
LEVEL_RANGE, FACTOR_RANGE, BURST_RANGE = (2.0, 10.0), (0.5, 3.0), (10, 60)


def _sigmoid(x: Any) -> Any:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def features(
    recent: np.ndarray, median: Any, spread: Any, carried: Any, ref_median: float, ref_spread: float
) -> np.ndarray:
    """Features (..., 8) from score windows ``recent`` (..., W) and the trackers before the next score."""

    def level(values: Any) -> Any:
        return (values - ref_median) / ref_spread

    q25, median, q75 = np.quantile(recent, [0.25, 0.5, 0.75], axis=-1)
    raw = [
        level(recent.mean(-1)),
        level(median),
        np.log((q75 - q25) / ref_spread + 1e-3),
        level(recent.max(-1)),
        level(recent[..., -1]),
        level(median),
        np.log(spread / ref_spread),
        (recent > np.asarray(carried)[..., None]).mean(-1),
    ]
    return np.arcsinh(np.stack(np.broadcast_arrays(*raw), axis=-1))


def correction(x: Any, params: dict[str, Any], tanh: Any, sigmoid: Any) -> Any:
    """The gated net's correction d in (-MAX_CORRECTION, MAX_CORRECTION); numpy arrays and torch tensors alike."""
    h = tanh(x @ params["w1"].T + params["b1"]) * sigmoid(x @ params["wg"].T + params["bg"])
    return MAX_CORRECTION * tanh(h @ params["w2"] + params["b2"])


def _param_shapes(hidden: int) -> dict[str, tuple[int, ...]]:
    return {
        "w1": (hidden, N_FEATURES),
        "b1": (hidden,),
        "wg": (hidden, N_FEATURES),
        "bg": (hidden,),
        "w2": (hidden,),
        "b2": (),
    }


def shrink(d: Any, band: float) -> Any:
    """Soft thresholding: corrections within ``band`` of zero are dropped, larger ones reduced by it."""
    return np.sign(d) * np.maximum(np.abs(d) - band, 0.0)


def identity_params(hidden: int) -> dict[str, np.ndarray]:
    """Weights giving d = 0 for every input (zero output layer)."""
    return {name: np.zeros(shape) for name, shape in _param_shapes(hidden).items()}


class DtpmThreshold(ThresholdPolicy):
    """The EWMA kind's carried anchor plus a gated net's correction (see the module docstring)."""

    kind = "dtpm"

    def __init__(self, tracker: EwmaThreshold | None = None, window: int = 50, hidden: int = 32) -> None:
        if window < 2 or hidden < 1:
            raise ValueError(f"need window >= 2 and hidden >= 1, not {window}, {hidden}")
        self.tracker = EwmaThreshold() if tracker is None else tracker
        self.window, self.hidden = window, hidden
        self.params = identity_params(hidden)
        self.band = 0.0
        self.recent: deque[float] = deque([self.tracker.ref_median] * window, maxlen=window)

    @classmethod
    def fit(
        cls, normal: np.ndarray, anomalous: np.ndarray | None, anchor: float, config: ThresholdConfig
    ) -> DtpmThreshold:
        """Calibrate the trackers on the validation normal scores, then train the net on simulated streams."""
        normal = finite_scores(normal, f"{cls.kind} threshold fit")
        policy = cls(EwmaThreshold.fit(normal, None, anchor, config), config.window, config.hidden)
        policy.recent = deque(np.resize(normal[-policy.window :], policy.window).tolist(), maxlen=policy.window)
        simulation = simulate(policy, normal, _finite_or_none(anomalous), config.seed)
        policy.params = train_correction(simulation, policy.hidden, config)
        quiet = correction(simulation.features, policy.params, np.tanh, _sigmoid)[simulation.quiet]
        policy.band = min(BAND_MARGIN * float(np.abs(quiet).max(initial=0.0)), MAX_CORRECTION)
        return policy

    def base_threshold(self) -> float:
        tracker = self.tracker
        carried = tracker.base_threshold()
        x = features(
            np.fromiter(self.recent, float, self.window),
            tracker.median,
            tracker.spread,
            carried,
            tracker.ref_median,
            tracker.ref_spread,
        )
        d = float(correction(x, self.params, np.tanh, _sigmoid))
        return carried + float(shrink(d, self.band)) * tracker.spread

    def _observe(self, score: float) -> None:
        self.tracker.update(score)
        self.recent.append(score)

    def _fields(self) -> dict[str, Any]:
        return {
            "tracker": self.tracker.state_dict(),
            "window": self.window,
            "hidden": self.hidden,
            "band": self.band,
            "recent": list(self.recent),
            "params": {name: value.tolist() for name, value in self.params.items()},
        }

    def _load_fields(self, state: dict[str, Any]) -> None:
        check_keys(state, self.kind, {"tracker", "window", "hidden", "band", "recent", "params"})
        tracker = EwmaThreshold()
        tracker.load_state_dict(state["tracker"])
        window, hidden = read_int(state, self.kind, "window", 2), read_int(state, self.kind, "hidden", 1)
        fresh = rebuild(DtpmThreshold, self.kind, tracker=tracker, window=window, hidden=hidden)
        params = state["params"]
        if not isinstance(params, dict):
            raise BadInputError(f"{self.kind} threshold state: params must be a mapping of weight names to lists")
        shapes = _param_shapes(hidden)
        check_keys(params, self.kind, set(shapes))
        fresh.params = {name: read_array(params, self.kind, name, shape) for name, shape in shapes.items()}
        fresh.recent = deque(read_array(state, self.kind, "recent", (window,)).tolist(), maxlen=window)
        fresh.band = read_float(state, self.kind, "band", 0.0, MAX_CORRECTION)
        vars(self).update(vars(fresh))


def _finite_or_none(scores: np.ndarray | None) -> np.ndarray | None:
    """The finite values of ``scores``, or None when there are none."""
    if scores is None:
        return None
    scores = np.asarray(scores, dtype=float).ravel()
    scores = scores[np.isfinite(scores)]
    return scores if scores.size else None


@dataclass(frozen=True)
class Simulation:
    """Simulated streams (streams x steps): the carried anchor and trackers before each score, the features, the
    oracle's threshold, and where nothing had happened yet (``quiet``)."""

    carried: np.ndarray
    spreads: np.ndarray
    features: np.ndarray
    targets: np.ndarray
    quiet: np.ndarray
    ref_spread: float


def simulate(policy: DtpmThreshold, normal: np.ndarray, anomalous: np.ndarray | None, seed: int) -> Simulation:
    """Bootstrap streams of the normal scores under one event each (module docstring), through the trackers."""
    rng = np.random.default_rng(seed)
    tracker = policy.tracker
    window, length = policy.window, policy.window + STREAM_STEPS
    base = rng.choice(normal, (STREAMS, length))
    base[:, :window] = np.fromiter(policy.recent, float, window)
    if anomalous is not None:
        mixed = np.zeros(base.shape, dtype=bool)
        mixed[:, window:] = rng.random((STREAMS, STREAM_STEPS)) < ANOMALY_SHARE
        base[mixed] = rng.choice(anomalous, int(mixed.sum()))
    scale, offset, onset = _events(rng, window, tracker)
    stream = scale * base + offset
    _add_bursts(rng, stream, window, onset, tracker, anomalous)
    scores = stream[:, window:]
    medians, spreads, carried = track(scores, tracker)
    windows = np.lib.stride_tricks.sliding_window_view(stream, window, axis=1)[:, :STREAM_STEPS]
    x = features(windows, medians, spreads, carried, tracker.ref_median, tracker.ref_spread)
    targets = scale[:, window:] * tracker.anchor + offset[:, window:]
    quiet = (np.arange(window, length) < onset) | (np.arange(STREAMS) % len(EVENTS) == 0)[:, None]
    return Simulation(carried, spreads, x, targets, quiet, tracker.ref_spread)


def _events(rng: np.random.Generator, window: int, tracker: EwmaThreshold) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-score ``(a, b)`` of the transform ``a x + b``, by stream cycling over ``EVENTS`` (bursts: identity),
    and each stream's onset (streams x 1)."""
    time = np.arange(window + STREAM_STEPS)
    onset = rng.integers(window, window + STREAM_STEPS // 2, STREAMS)[:, None]
    after, since = time >= onset, np.maximum(time - onset, 0)
    kind = (np.arange(STREAMS) % len(EVENTS))[:, None]
    ref_median, ref_spread = tracker.ref_median, tracker.ref_spread
    sign = rng.choice([-1.0, 1.0], (STREAMS, 1))
    level = sign * rng.uniform(*LEVEL_RANGE, (STREAMS, 1)) * ref_spread
    factor = np.exp(rng.uniform(*np.log(FACTOR_RANGE), (STREAMS, 1)))
    slope = sign * rng.uniform(*LEVEL_RANGE, (STREAMS, 1)) * ref_spread / STREAM_STEPS
    is_kind = {name: kind == EVENTS.index(name) for name in EVENTS}
    scale = np.where(after & (is_kind["scale"] | is_kind["multiply"]), factor, 1.0)
    offset = np.select(
        [after & is_kind["level"], after & is_kind["scale"], is_kind["drift"]],
        [level, ref_median * (1 - factor), slope * since],
    )
    return scale, offset, onset


def _add_bursts(
    rng: np.random.Generator,
    stream: np.ndarray,
    window: int,
    onset: np.ndarray,
    tracker: EwmaThreshold,
    anomalous: np.ndarray | None,
) -> None:
    """Overwrite a run of 10-60 scores from each burst stream's onset with anomalous scores (in place)."""
    for row in np.flatnonzero(np.arange(STREAMS) % len(EVENTS) == EVENTS.index("burst")):
        length = int(rng.integers(*BURST_RANGE))
        start = min(int(onset[row, 0]), window + STREAM_STEPS - length)
        if anomalous is not None:
            burst = rng.choice(anomalous, length)
        else:
            burst = tracker.anchor + rng.uniform(3.0, 6.0, length) * tracker.ref_spread
        stream[row, start : start + length] = burst


def train_correction(simulation: Simulation, hidden: int, config: ThresholdConfig) -> dict[str, np.ndarray]:
    """Adam on the smooth L1 distance to the oracle's threshold over seeded batches of streams."""
    try:
        import torch
    except ImportError:
        raise ConfigError(
            "the dtpm threshold trains its network with torch, which is not installed: install logad[ml] (or "
            "[train]), or set threshold.kind to another kind"
        ) from None

    rng = np.random.default_rng(config.seed)
    start = identity_params(hidden)
    for name in ("w1", "wg"):
        start[name] = rng.normal(0.0, 1.0 / np.sqrt(N_FEATURES), start[name].shape)
    params = {name: torch.tensor(value, dtype=torch.float32, requires_grad=True) for name, value in start.items()}
    sim = {
        name: torch.from_numpy(np.asarray(getattr(simulation, name), dtype=np.float32))
        for name in ("carried", "spreads", "features", "targets")
    }
    optimizer = torch.optim.Adam(params.values(), lr=config.learning_rate)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the net is tiny: more threads only contend, and one keeps the fit reproducible
    try:
        for _ in range(config.train_steps):
            rows = torch.from_numpy(rng.choice(STREAMS, BATCH_STREAMS, replace=False))
            batch = {name: value[rows] for name, value in sim.items()}
            d = correction(batch["features"], params, torch.tanh, torch.sigmoid)
            error = (batch["carried"] + d * batch["spreads"] - batch["targets"]) / simulation.ref_spread
            loss = torch.nn.functional.smooth_l1_loss(error, torch.zeros_like(error))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return {name: value.detach().numpy().astype(float) for name, value in params.items()}
