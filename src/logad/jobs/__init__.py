"""The training job (`logad train`): fit a detector on windows, choose its thresholds, write its artifact; it drives
the detectors from above, while ``logad.train`` is the toolkit they train with."""
