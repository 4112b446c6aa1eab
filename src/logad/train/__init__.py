"""Training: the run configuration and the runner that turns logs into a model artifact."""
