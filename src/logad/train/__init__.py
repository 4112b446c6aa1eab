"""The training toolkit the detectors use: the one training loop (``loop``), distributed runs (accelerate,
DeepSpeed), ranks, epoch checkpoints and their resume format, learning-rate schedules, loss history. The `logad
train` job that drives the detectors is ``logad.jobs``."""
