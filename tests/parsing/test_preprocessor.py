"""The Preprocessor contract: masking, fit, match-only IDs, save/load round trip, clear load errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logad.config import config_from_dict
from logad.errors import BadInputError, ConfigError
from logad.parsing.preprocessor import UNKNOWN_ID, PreprocessConfig, Preprocessor

TRAIN = [
    "Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010",
    "PacketResponder 1 for block blk_38865049064139660 terminating",
    "Receiving block blk_7503483334202473044 src: /10.251.215.16:55695 dest: /10.251.215.16:50010",
    "PacketResponder 0 for block blk_-6952295868487656571 terminating",
    "Verification succeeded for blk_-3544583377289625738",
]
UNSEEN = ["Verification succeeded for blk_99", "Namenode crashed with a very long unexpected stack trace now"]


def fitted() -> Preprocessor:
    preprocessor = Preprocessor()
    preprocessor.fit(TRAIN)
    return preprocessor


def test_fit_and_ids() -> None:
    preprocessor = fitted()
    assert preprocessor.mask(TRAIN[1]) == "PacketResponder <*> for block <*> terminating"
    assert preprocessor.template_ids(TRAIN) == [1, 2, 1, 2, 3]
    assert preprocessor.template_ids(UNSEEN) == [3, UNKNOWN_ID]
    assert preprocessor.vocab_size == 4
    assert preprocessor.templates[2] == "PacketResponder <*> for block <*> terminating"


def test_fit_again_adds_templates_and_refreshes_lookups() -> None:
    preprocessor = fitted()
    assert preprocessor.template_id(UNSEEN[1]) == UNKNOWN_ID
    version = preprocessor.version
    preprocessor.fit(UNSEEN[1:])
    assert preprocessor.template_id(UNSEEN[1]) == 4
    assert preprocessor.template_ids(TRAIN) == [1, 2, 1, 2, 3]
    assert preprocessor.version != version


def test_fit_again_refreshes_the_ids_of_masked_texts_looked_up_before() -> None:
    preprocessor = fitted()
    assert preprocessor.template_id("Namenode crashed after 3 retries") == UNKNOWN_ID
    preprocessor.fit(["Namenode crashed after 5 retries"])
    # a raw message never looked up, whose masked text was: its ID is the one learnt now
    assert preprocessor.template_id("Namenode crashed after 7 retries") == 4


def test_save_load_round_trip(tmp_path: Path) -> None:
    preprocessor = fitted()
    preprocessor.save(tmp_path / "pre")
    loaded = Preprocessor.load(tmp_path / "pre")
    assert loaded.config == preprocessor.config
    assert loaded.template_ids(TRAIN + UNSEEN) == preprocessor.template_ids(TRAIN + UNSEEN)
    assert (loaded.version, loaded.templates, loaded.vocab_size) == (
        preprocessor.version,
        preprocessor.templates,
        preprocessor.vocab_size,
    )


def test_custom_config_round_trip(tmp_path: Path) -> None:
    config = config_from_dict(
        PreprocessConfig, {"masking": {"rules": ["digit_token"], "placeholder": "<N>"}, "drain": {"depth": 5}}
    )
    preprocessor = Preprocessor(config)
    preprocessor.fit(["job 1 done", "job 2 done"])
    preprocessor.save(tmp_path)
    loaded = Preprocessor.load(tmp_path)
    assert loaded.config == config and loaded.templates == {1: "job <N> done"}
    with pytest.raises(ConfigError, match=r"preprocess\.masking"):
        config_from_dict(PreprocessConfig, {"masking": {"rules": ["nope"]}}, "preprocess")


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"config\.json not found"):
        Preprocessor.load(tmp_path)
    fitted().save(tmp_path)
    (tmp_path / "templates.json").unlink()
    with pytest.raises(BadInputError, match=r"templates\.json not found"):
        Preprocessor.load(tmp_path)
    fitted().save(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"drain": {"depth": 6}}))
    with pytest.raises(BadInputError, match="drain settings differ"):
        Preprocessor.load(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"masking": {"colour": 1}}))
    with pytest.raises(BadInputError, match="unknown field"):
        Preprocessor.load(tmp_path)
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(BadInputError, match="cannot be read"):
        Preprocessor.load(tmp_path)
