"""Masking + template store behind one object that training, evaluation and serving share.

Layout of a saved preprocessor directory::

    config.json       PreprocessConfig (masking rules and Drain settings)
    templates.json    the template store (see ``template_store``)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from logad.config import config_from_dict, config_to_dict
from logad.errors import BadInputError, ConfigError
from logad.jsonio import read_json_object, write_json_atomic
from logad.parsing.drain import DrainConfig
from logad.parsing.masking import Masker, MaskingConfig
from logad.parsing.template_store import UNKNOWN_ID, TemplateStore

CONFIG_FILE = "config.json"
TEMPLATES_FILE = "templates.json"
CACHE_SIZE = 1 << 17
"""Distinct raw messages whose masked text and template ID are cached, and distinct masked texts whose template ID
is (raw messages rarely repeat, as they carry IDs and addresses; masked ones do: HDFS's ~90,000 distinct messages
of 100,000 lines mask to 21 texts, so Drain matches each text once)."""

__all__ = ["UNKNOWN_ID", "PreprocessConfig", "Preprocessor"]


@dataclass
class PreprocessConfig:
    """How messages become template IDs: regex masking, then Drain on the masked text."""

    masking: MaskingConfig = field(default_factory=MaskingConfig)
    drain: DrainConfig = field(default_factory=DrainConfig)


class Preprocessor:
    """Masks messages and maps them to stable template IDs; ``fit`` learns, everything else only looks up."""

    def __init__(self, config: PreprocessConfig | None = None) -> None:
        self.config = config or PreprocessConfig()
        self._store = TemplateStore(self.config.drain)
        self._mask = lru_cache(maxsize=CACHE_SIZE)(Masker(self.config.masking).mask)
        self._template_id = lru_cache(maxsize=CACHE_SIZE)(self._lookup)
        self._masked_template_id = lru_cache(maxsize=CACHE_SIZE)(self._match)

    def mask(self, message: str) -> str:
        """The message with its variable parts replaced by the placeholder."""
        return self._mask(message)

    def fit(self, messages: Iterable[str]) -> None:
        """Learn templates from ``messages`` (adds to what earlier calls learnt)."""
        self._template_id.cache_clear()
        self._masked_template_id.cache_clear()
        learn, mask = self._store.learn, self._mask
        for message in messages:
            learn(mask(message))

    def template_id(self, message: str) -> int:
        """The message's template ID (the cluster it joined if it was seen in ``fit``), or ``UNKNOWN_ID``."""
        return self._template_id(message)

    def template_ids(self, messages: Sequence[str]) -> list[int]:
        """``template_id`` of each message."""
        return list(map(self._template_id, messages))

    @property
    def vocab_size(self) -> int:
        """Number of IDs including ``UNKNOWN_ID``: the largest ID + 1."""
        return len(self._store) + 1

    @property
    def templates(self) -> dict[int, str]:
        """Template text by ID (``UNKNOWN_ID`` excluded)."""
        return self._store.templates

    @property
    def version(self) -> str:
        """The template store's content hash."""
        return self._store.version

    def save(self, directory: Path) -> None:
        """Write ``config.json`` and ``templates.json`` into ``directory``."""
        directory = Path(directory)
        write_json_atomic(directory / CONFIG_FILE, config_to_dict(self.config))
        self._store.save(directory / TEMPLATES_FILE)

    @classmethod
    def load(cls, directory: Path) -> Preprocessor:
        """Read what ``save`` wrote; BadInputError naming the file if it is missing or corrupt."""
        config_path = Path(directory) / CONFIG_FILE
        raw = read_json_object(config_path, "preprocessor config")
        try:
            config = config_from_dict(PreprocessConfig, raw, str(config_path))
        except ConfigError as exc:
            raise BadInputError(str(exc)) from None
        store = TemplateStore.load(Path(directory) / TEMPLATES_FILE)
        if store.config != config.drain:
            raise BadInputError(f"{config_path}: drain settings differ from those in {TEMPLATES_FILE}")
        preprocessor = cls(config)
        preprocessor._store = store
        return preprocessor

    def _lookup(self, message: str) -> int:
        return self._masked_template_id(self._mask(message))

    def _match(self, masked: str) -> int:
        return self._store.lookup(masked)
