"""The training toolkit the detectors use: distributed runs (accelerate, DeepSpeed), ranks, epoch checkpoints and
their resume state, loss history. The `logad train` job that drives the detectors is ``logad.jobs``."""
