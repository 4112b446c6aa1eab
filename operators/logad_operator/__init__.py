"""kopf operator for the ``LogDetector`` custom resource (group ``logad.io``): one tenant's detector, trained by the
Argo pipeline ``logad-train-<detector>`` and served by the KServe InferenceService ``logad-<tenant>-<detector>``."""
