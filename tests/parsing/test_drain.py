"""Drain on handmade messages: merging into <*>, token-count separation, prefix routing, max children."""

from __future__ import annotations

import pytest

from logad.config import config_from_dict
from logad.errors import ConfigError
from logad.parsing.drain import WILDCARD, Drain, DrainConfig


def learn(drain: Drain, *messages: str) -> list[int]:
    return [drain.add(drain.tokenize(message)).id for message in messages]


def test_similar_messages_merge_and_differing_tokens_become_wildcards() -> None:
    drain = Drain()
    ids = learn(drain, "Received block 1 of size 5", "Received block 2 of size 7", "Received block 3 of size 5")
    assert ids == [1, 1, 1]
    assert drain.clusters[0].template == "Received block <*> of size <*>"


def test_token_count_separates() -> None:
    drain = Drain()
    assert learn(drain, "a b c", "a b c d", "a b c") == [1, 2, 1]


def test_similarity_threshold() -> None:
    messages = ("connect to alpha ok", "connect to beta fail")  # 2 of 4 tokens agree
    assert learn(Drain(DrainConfig(sim_threshold=0.5)), *messages) == [1, 1]
    assert learn(Drain(DrainConfig(sim_threshold=0.6)), *messages) == [1, 2]


def test_wildcards_do_not_count_as_similar() -> None:
    drain = Drain(DrainConfig(sim_threshold=0.5))
    learn(drain, "job a b c", "job x y c")  # template: job <*> <*> c
    assert drain.clusters[0].template == "job <*> <*> c"
    assert learn(drain, "job p q r") == [2]  # only 1 of 4 literal tokens agree


def test_leading_tokens_route_and_digits_go_to_wildcard_node() -> None:
    drain = Drain(DrainConfig(depth=4))  # one level of leading tokens
    assert learn(drain, "start x y", "stop x y") == [1, 2]  # different first token: never compared
    assert learn(drain, "12 started ok", "34 started ok") == [3, 3]  # digits: both under <*>
    assert drain.clusters[2].path == (WILDCARD,)
    assert learn(Drain(DrainConfig(depth=3)), "start x y", "stop x y") == [1, 1]  # no token levels


def test_max_children_sends_new_tokens_to_wildcard() -> None:
    drain = Drain(DrainConfig(depth=4, max_children=3))
    assert learn(drain, "a x y", "b x y", "c x y", "d x y") == [1, 2, 3, 3]
    assert [c.path for c in drain.clusters] == [("a",), ("b",), (WILDCARD,)]
    assert drain.clusters[2].template == "<*> x y"


def test_ties_go_to_the_template_with_more_wildcards() -> None:
    drain = Drain(DrainConfig(depth=3, sim_threshold=0.5))
    learn(drain, "a b c d", "a b x y", "a q c d")  # cluster 1: a b <*> <*>, cluster 2: a q c d
    assert drain.match(drain.tokenize("a b c d")).id == 2  # 3/4 beats 2/4
    assert drain.match(drain.tokenize("a b z z")).id == 1  # 2/4 vs 1/4


def test_short_and_empty_messages_get_stable_clusters() -> None:
    drain = Drain(DrainConfig(depth=6))
    assert learn(drain, "ok", "ok", "fail", "", "") == [1, 1, 2, 3, 3]


def test_match_changes_nothing() -> None:
    drain = Drain()
    learn(drain, "user alice logged in")
    assert drain.match(drain.tokenize("user bob logged in")).id == 1
    assert drain.clusters[0].template == "user alice logged in"
    assert drain.match(drain.tokenize("disk full on sda")) is None
    assert drain.match(drain.tokenize("user")) is None
    assert len(drain.clusters) == 1


def test_extra_delimiters() -> None:
    drain = Drain(DrainConfig(extra_delimiters=("=", ",")))
    assert drain.tokenize("a=1,b=2 c") == ["a", "1", "b", "2", "c"]


def test_config_checks() -> None:
    assert config_from_dict(DrainConfig, {"depth": 5, "sim_threshold": 1}).sim_threshold == 1.0
    for bad in ({"depth": 2}, {"sim_threshold": 1.5}, {"max_children": 1}, {"extra_delimiters": [""]}):
        with pytest.raises(ConfigError):
            config_from_dict(DrainConfig, bad, "drain")
