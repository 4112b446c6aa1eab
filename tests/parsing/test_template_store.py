"""Template store: stable IDs, match-only lookups, pinned IDs, version hash, persistence and corruption."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logad.errors import BadInputError
from logad.parsing.drain import DrainConfig
from logad.parsing.template_store import UNKNOWN_ID, TemplateStore, _content_hash

MESSAGES = ["user <*> logged in", "disk <*> is full", "user <*> logged out", "disk <*> is full", "reboot now"]


def fitted(config: DrainConfig | None = None, messages: list[str] = MESSAGES) -> TemplateStore:
    store = TemplateStore(config)
    for message in messages:
        store.learn(message)
    return store


def test_ids_follow_creation_order() -> None:
    store = fitted()
    assert [store.learn(m) for m in MESSAGES] == [1, 2, 1, 2, 3]
    assert store.templates == {1: "user <*> logged <*>", 2: "disk <*> is full", 3: "reboot now"}


def test_lookup_is_match_only() -> None:
    store = fitted()
    assert store.lookup("user <*> logged in") == 1
    assert store.lookup("disk <*> is empty") == 2  # similar enough: existing template, unchanged
    assert store.lookup("kernel panic at boot") == UNKNOWN_ID
    assert len(store) == 3 and store.templates[2] == "disk <*> is full"


def test_a_learnt_message_keeps_the_cluster_it_joined(tmp_path: Path) -> None:
    store = fitted(DrainConfig(depth=3), ["a b c d", "a b x y", "a q c d"])
    assert store.drain.match(store.drain.tokenize("a b c d")).id == 2  # a newer template now fits better
    assert store.lookup("a b c d") == 1
    store.save(tmp_path / "t.json")
    loaded = TemplateStore.load(tmp_path / "t.json")
    assert [loaded.lookup(m) for m in ("a b c d", "a b x y", "a q c d")] == [1, 1, 2]
    assert json.loads((tmp_path / "t.json").read_text())["pinned"] == {"a b c d": 1}


def test_save_load_keeps_ids_templates_and_version(tmp_path: Path) -> None:
    store = fitted()
    store.save(tmp_path / "t.json")
    loaded = TemplateStore.load(tmp_path / "t.json")
    probes = [*MESSAGES, "disk <*> is empty", "something else entirely"]
    assert [loaded.lookup(m) for m in probes] == [store.lookup(m) for m in probes]
    assert loaded.templates == store.templates and loaded.version == store.version
    assert loaded.config == store.config
    assert loaded.learn("user <*> logged off") == 1 and loaded.learn("fresh message here") == 4  # never reused


def test_version_changes_with_templates_only() -> None:
    store = fitted()
    version = store.version
    store.learn("disk <*> is full")
    assert store.version == version
    store.learn("user <*> logged away")  # joins cluster 1, template unchanged (already <*>)
    assert store.version == version
    store.learn("a brand new event")
    assert store.version != version
    assert fitted(DrainConfig(sim_threshold=0.9)).version != version


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot be read"),
        ("[1, 2]", "not a template store"),
        ('{"format": 99}', "upgrade logad"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "t.json").write_text(content)
    with pytest.raises(BadInputError, match=message):
        TemplateStore.load(tmp_path / "t.json")


def test_missing_and_edited_files(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not found"):
        TemplateStore.load(tmp_path / "absent.json")
    fitted().save(tmp_path / "t.json")
    data = json.loads((tmp_path / "t.json").read_text())
    data["templates"][0]["template"] = "edited by hand"
    (tmp_path / "t.json").write_text(json.dumps(data))
    with pytest.raises(BadInputError, match="version hash"):
        TemplateStore.load(tmp_path / "t.json")


def test_consistent_but_invalid_content(tmp_path: Path) -> None:
    content = {"drain": {"depth": 4}, "templates": [{"id": 2, "template": "x", "path": []}], "pinned": {}}
    (tmp_path / "t.json").write_text(json.dumps({"format": 1, "version": _content_hash(content), **content}))
    with pytest.raises(BadInputError, match="ids must run 1, 2"):
        TemplateStore.load(tmp_path / "t.json")
