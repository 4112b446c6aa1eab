"""KServe servers for logad models: a predictor per detector and a stateful per-tenant transformer."""
