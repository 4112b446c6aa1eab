"""Code more than one detector uses: the per-text output cache and its warm start, training examples, encoders."""
