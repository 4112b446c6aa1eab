"""DTPM, the Dynamic Threshold Prediction Module of BERT-LogAnom: an EWMA fast layer calibrated by a gated net.

Threshold for the next score, from the state before it::

    tau = mean + c * (fast - mean),    fast = mean + z * spread  (the EWMA threshold of ewma.py)

The calibration factor ``c`` in (0.5, 2) scales the *margin* above the EWMA mean rather than the threshold
itself, so the rule means the same for scores of either sign.

Slow layer: features of the last ``window`` valid scores (prefilled with the warm-up normal scores), levels taken
relative to the warm-up mean mu0 in units of the warm-up std s0, all squashed with arcsinh: window mean, log
std, min, max, last score, EWMA mean, log EWMA spread, and (window mean - EWMA mean) / EWMA spread. A gated net
maps them to ``c``::

    h = tanh(W1 x + b1) * sigmoid(Wg x + bg),    c = 0.5 + 1.5 * sigmoid(w2 . h + b2)

An untrained net gives c = 1 exactly (the plain EWMA). ``DtpmThreshold.fit`` trains it, self-supervised, on
simulated streams: 64 bootstrap resamples of the validation normal scores (200 steps after the prefilled window)
under a random shift from mid-stream on (none, level shift up/down by up to 10 s0, scale change about mu0 or
multiplication by 0.5-3, gradual drift of up to 10 s0; all as ``a * x + b``), with validation anomalies (when
given) mixed in at 2 % and shifted alike. The EWMA layer and the features do not depend on ``c``, so they are
computed once; Adam then trains the net on seeded batches of 16 streams. With ``u = (x - tau) / spread`` the
standardised excess of a score over the threshold and ``slack = T softplus(-u / T)`` (T = 0.1) a smooth
``max(-u, 0)``, each normal score costs the smooth pinball loss ``(1 - target) u + slack``: exceedances (false
alarms) cost ~u, room left below the threshold costs target |u| (the push towards low thresholds), and the
minimiser is the threshold whose false-alarm probability, given the features, is the target rate, in every
simulated regime. Each anomaly costs ``slack`` (its miss margin), so given anomalies pull thresholds down to catch
them. Inference is numpy only: the weights are plain lists in ``state_dict``, so serving needs no torch.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from logad.errors import BadInputError, ConfigError
from logad.threshold.ewma import EwmaThreshold, ewma_trace
from logad.threshold.policy import (
    POSITIVE,
    ThresholdPolicy,
    check_keys,
    finite_scores,
    read_array,
    read_float,
    read_int,
    rebuild,
)

if TYPE_CHECKING:
    from logad.threshold.factory import ThresholdConfig

C_LOW, C_HIGH = 0.5, 2.0
N_FEATURES = 8
STREAMS, STREAM_STEPS, BATCH_STREAMS, ANOMALY_SHARE = 64, 200, 16, 0.02
SHIFT_LEVEL, SHIFT_FACTOR = 10.0, (0.5, 3.0)
TEMPERATURE = 0.1


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def rolling_features(recent: np.ndarray, mean: Any, spread: Any, ref_mean: float, ref_spread: float) -> np.ndarray:
    """Features (..., 8) from windows ``recent`` (..., W) and the EWMA mean and spread before the next score."""

    def level(values: np.ndarray) -> np.ndarray:
        return (values - ref_mean) / ref_spread

    window_mean = recent.mean(-1)
    raw = [
        level(window_mean),
        np.log(recent.std(-1) / ref_spread + 1e-3),
        level(recent.min(-1)),
        level(recent.max(-1)),
        level(recent[..., -1]),
        level(mean),
        np.log(spread / ref_spread),
        (window_mean - mean) / spread,
    ]
    return np.arcsinh(np.stack(raw, axis=-1))


def calibration(x: Any, params: dict[str, Any], tanh: Any, sigmoid: Any) -> Any:
    """The gated net's factor c in (C_LOW, C_HIGH); works on numpy arrays and torch tensors alike."""
    h = tanh(x @ params["w1"].T + params["b1"]) * sigmoid(x @ params["wg"].T + params["bg"])
    return C_LOW + (C_HIGH - C_LOW) * sigmoid(h @ params["w2"] + params["b2"])


def _param_shapes(hidden: int) -> dict[str, tuple[int, ...]]:
    return {
        "w1": (hidden, N_FEATURES),
        "b1": (hidden,),
        "wg": (hidden, N_FEATURES),
        "bg": (hidden,),
        "w2": (hidden,),
        "b2": (),
    }


def identity_params(hidden: int) -> dict[str, np.ndarray]:
    """Weights giving c = 1 for every input: zero output weights and the bias where the output is 1."""
    params = {name: np.zeros(shape) for name, shape in _param_shapes(hidden).items()}
    params["b2"] = np.array(np.log((1.0 - C_LOW) / (C_HIGH - 1.0)))
    return params


class DtpmThreshold(ThresholdPolicy):
    """EWMA threshold whose margin is scaled by a gated net over rolling score statistics (module docstring)."""

    kind = "dtpm"

    def __init__(self, fast: EwmaThreshold | None = None, window: int = 50, hidden: int = 64) -> None:
        if window < 2:
            raise ValueError(f"window must be at least 2, not {window}")
        if hidden < 1:
            raise ValueError(f"hidden must be at least 1, not {hidden}")
        self.fast = EwmaThreshold() if fast is None else fast
        self.window, self.hidden = window, hidden
        self.params = identity_params(hidden)
        self.recent: deque[float] = deque(maxlen=window)
        self.ref_mean: float | None = None
        self.ref_spread: float | None = None

    @classmethod
    def from_config(cls, config: ThresholdConfig) -> DtpmThreshold:
        """An untrained DTPM (c = 1) with the config's fast layer, window and hidden size."""
        return cls(EwmaThreshold.from_config(config), window=config.window, hidden=config.hidden)

    @classmethod
    def fit(
        cls, normal_scores: np.ndarray, anomalous_scores: np.ndarray | None, config: ThresholdConfig
    ) -> DtpmThreshold:
        """Warm up on validation normal scores, then train the gated net on simulated shifted streams."""
        policy = cls.from_config(config)
        policy.warm_up(normal_scores)
        normal = finite_scores(normal_scores, "dtpm threshold warm-up")
        simulation = simulate(policy, normal, _finite_or_none(anomalous_scores), config.seed)
        policy.params = train_calibration(simulation, policy.hidden, config)
        return policy

    def threshold(self) -> float:
        if self.ref_mean is None:
            raise RuntimeError("dtpm threshold is not warmed up: call warm_up, fit or load_state_dict first")
        mean, spread = self.fast.mean, self.fast.spread
        x = rolling_features(np.fromiter(self.recent, float, self.window), mean, spread, self.ref_mean, self.ref_spread)
        return mean + float(calibration(x, self.params, np.tanh, _sigmoid)) * (self.fast.threshold() - mean)

    def warm_up(self, normal_scores: np.ndarray) -> None:
        """Warm up the fast layer, take the reference level and prefill the window with the last normal scores."""
        scores = finite_scores(normal_scores, f"{self.kind} threshold warm-up")
        self.fast.warm_up(scores)
        self.ref_mean, self.ref_spread = float(scores.mean()), max(float(scores.std()), self.fast.min_spread)
        self.recent = deque(np.resize(scores[-self.window :], self.window).tolist(), maxlen=self.window)

    def _observe(self, score: float) -> None:
        self.fast.update(score)
        self.recent.append(score)

    def _fields(self) -> dict[str, Any]:
        self.threshold()  # raises unless warmed up
        return {
            "fast": self.fast.state_dict(),
            "window": self.window,
            "hidden": self.hidden,
            "ref_mean": self.ref_mean,
            "ref_spread": self.ref_spread,
            "recent": list(self.recent),
            "params": {name: value.tolist() for name, value in self.params.items()},
        }

    def _load_fields(self, state: dict[str, Any]) -> None:
        check_keys(state, self.kind, {"fast", "window", "hidden", "ref_mean", "ref_spread", "recent", "params"})
        fast = EwmaThreshold()
        fast.load_state_dict(state["fast"])
        window, hidden = read_int(state, self.kind, "window", 2), read_int(state, self.kind, "hidden", 1)
        fresh = rebuild(DtpmThreshold, self.kind, fast=fast, window=window, hidden=hidden)
        params = state["params"]
        if not isinstance(params, dict):
            raise BadInputError(f"{self.kind} threshold state: params must be a mapping of weight names to lists")
        shapes = _param_shapes(hidden)
        check_keys(params, self.kind, set(shapes))
        fresh.params = {name: read_array(params, self.kind, name, shape) for name, shape in shapes.items()}
        fresh.ref_mean = read_float(state, self.kind, "ref_mean")
        fresh.ref_spread = read_float(state, self.kind, "ref_spread", POSITIVE)
        fresh.recent = deque(read_array(state, self.kind, "recent", (window,)).tolist(), maxlen=window)
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
    """Simulated streams (streams x steps): scores, the EWMA state before each, its features, anomaly mask."""

    scores: np.ndarray
    means: np.ndarray
    spreads: np.ndarray
    margins: np.ndarray
    features: np.ndarray
    anomalous: np.ndarray


def simulate(policy: DtpmThreshold, normal: np.ndarray, anomalous: np.ndarray | None, seed: int) -> Simulation:
    """Shifted bootstrap streams of the normal scores (anomalies mixed in), run through the warmed-up fast layer."""
    rng = np.random.default_rng(seed)
    window, length = policy.window, policy.window + STREAM_STEPS
    base = rng.choice(normal, (STREAMS, length))
    is_anomaly = np.zeros(base.shape, dtype=bool)
    if anomalous is not None:
        is_anomaly[:, window:] = rng.random((STREAMS, STREAM_STEPS)) < ANOMALY_SHARE
        base[is_anomaly] = rng.choice(anomalous, int(is_anomaly.sum()))
    scale, offset = _shifts(rng, window, policy.ref_mean, policy.ref_spread)
    stream = scale * base + offset
    scores = stream[:, window:]
    means, spreads, thresholds = ewma_trace(scores, policy.fast)
    windows = np.lib.stride_tricks.sliding_window_view(stream, window, axis=1)[:, :STREAM_STEPS]
    features = rolling_features(windows, means, spreads, policy.ref_mean, policy.ref_spread)
    return Simulation(scores, means, spreads, thresholds - means, features, is_anomaly[:, window:])


def _shifts(rng: np.random.Generator, window: int, ref_mean: float, ref_spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-score ``(a, b)`` of the shift ``a * x + b``, cycling over none/level/scale/multiply/drift by stream."""
    time = np.arange(window + STREAM_STEPS)
    onset = rng.integers(window, window + STREAM_STEPS // 2, STREAMS)[:, None]
    after, since = time >= onset, np.maximum(time - onset, 0)
    kind = (np.arange(STREAMS) % 5)[:, None]
    level = rng.uniform(-SHIFT_LEVEL, SHIFT_LEVEL, (STREAMS, 1)) * ref_spread
    factor = np.exp(rng.uniform(*np.log(SHIFT_FACTOR), (STREAMS, 1)))
    slope = rng.uniform(-SHIFT_LEVEL, SHIFT_LEVEL, (STREAMS, 1)) * ref_spread / STREAM_STEPS
    scale = np.where(after & ((kind == 2) | (kind == 3)), factor, 1.0)
    offset = np.select(
        [after & (kind == 1), after & (kind == 2), kind == 4], [level, ref_mean * (1 - factor), slope * since]
    )
    return scale, offset


def train_calibration(simulation: Simulation, hidden: int, config: ThresholdConfig) -> dict[str, np.ndarray]:
    """Adam on the loss of the module docstring over seeded batches of streams, from identity output weights."""
    try:
        import torch
    except ImportError:
        raise ConfigError(
            "the dtpm threshold trains its calibration network with torch, which is not installed: install "
            "logad[ml] (or [train]), or set threshold.kind to static or ewma"
        ) from None

    rng = np.random.default_rng(config.seed)
    start = identity_params(hidden)
    for name in ("w1", "wg"):
        start[name] = rng.normal(0.0, 1.0 / np.sqrt(N_FEATURES), start[name].shape)
    params = {name: torch.tensor(value, dtype=torch.float32, requires_grad=True) for name, value in start.items()}
    sim = {name: torch.from_numpy(np.asarray(value, dtype=np.float32)) for name, value in vars(simulation).items()}
    optimizer = torch.optim.Adam(params.values(), lr=config.learning_rate)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the net is tiny: more threads only contend, and one keeps the fit reproducible
    try:
        for _ in range(config.train_steps):
            rows = torch.from_numpy(rng.choice(STREAMS, BATCH_STREAMS, replace=False))
            loss = _loss({name: value[rows] for name, value in sim.items()}, params, config.target_false_alarm_rate)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    return {name: value.detach().numpy().astype(float) for name, value in params.items()}


def _loss(batch: dict[str, Any], params: dict[str, Any], target: float) -> Any:
    """Smooth pinball loss at level 1 - target on normal scores, smooth hinge on missed anomalies (docstring)."""
    import torch

    c = calibration(batch["features"], params, torch.tanh, torch.sigmoid)
    excess = (batch["scores"] - batch["means"] - c * batch["margins"]) / batch["spreads"]
    slack = TEMPERATURE * torch.nn.functional.softplus(-excess / TEMPERATURE)
    return torch.where(batch["anomalous"] > 0, slack, (1.0 - target) * excess + slack).mean()
