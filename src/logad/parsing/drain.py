"""Drain: online log parsing with a fixed-depth tree (He et al., ICWS 2017).

A message is split into tokens; the tree's first level is the token count, the next ``depth - 3`` levels the
leading tokens (tokens with a digit, and new tokens once a node has ``max_children``, go to the ``<*>``
child), and each leaf holds log clusters. A message joins the leaf's most similar cluster (share of positions
where the template has the message's token; ties go to the template with more ``<*>``) when the similarity
reaches ``sim_threshold``, and the differing positions of the template become ``<*>``; otherwise it starts a
new cluster. This follows the reference implementation in logpai/logparser (``logparser/Drain/Drain.py``),
except that messages shorter than the prefix depth are routed by all but their last token, as drain3 does
(the reference never stores their clusters, so each such message became a cluster of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import eq

WILDCARD = "<*>"

_has_digit = re.compile(r"\d").search


@dataclass
class DrainConfig:
    """Drain's settings: tree ``depth`` (>= 3: root, length, ``depth - 3`` token levels, leaf), similarity
    threshold in [0, 1], children per node, and extra characters that separate tokens besides whitespace."""

    depth: int = 4
    sim_threshold: float = 0.5
    max_children: int = 100
    extra_delimiters: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.depth < 3:
            raise ValueError(f"depth must be >= 3, not {self.depth}")
        if not 0.0 <= self.sim_threshold <= 1.0:
            raise ValueError(f"sim_threshold must be in [0, 1], not {self.sim_threshold}")
        if self.max_children < 2:
            raise ValueError(f"max_children must be >= 2, not {self.max_children}")
        if any(not d for d in self.extra_delimiters):
            raise ValueError("extra_delimiters must not contain empty strings")


@dataclass(eq=False, slots=True)
class Cluster:
    """One template: its 1-based ``id`` (creation order), tokens, and its path of node keys in the tree."""

    id: int
    tokens: list[str]
    path: tuple[str, ...]
    wildcards: frozenset[int]

    @property
    def template(self) -> str:
        return " ".join(self.tokens)

    def similarity(self, tokens: list[str], message_wildcards: frozenset[int]) -> float:
        """Share of positions where this template has a literal token equal to the message's."""
        same = sum(map(eq, self.tokens, tokens)) - len(self.wildcards & message_wildcards)
        return same / len(tokens) if tokens else 1.0


class _Node:
    __slots__ = ("children", "clusters")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.clusters: list[Cluster] = []


class Drain:
    """The parse tree and its clusters; ``add`` learns, ``match`` only looks up."""

    def __init__(self, config: DrainConfig | None = None) -> None:
        self.config = config or DrainConfig()
        self.clusters: list[Cluster] = []
        self._roots: dict[int, _Node] = {}
        self._prefix = self.config.depth - 3
        delimiters = self.config.extra_delimiters
        self._delimiters = re.compile("|".join(map(re.escape, delimiters))) if delimiters else None

    def tokenize(self, text: str) -> list[str]:
        """Whitespace tokens, after replacing the extra delimiters with spaces."""
        if self._delimiters is not None:
            text = self._delimiters.sub(" ", text)
        return text.split()

    def add(self, tokens: list[str]) -> Cluster:
        """Put a message into its best cluster (generalising the template) or a new one; return that."""
        wildcards = _wildcards(tokens)
        leaf = self._leaf(tokens)
        cluster = self._best(leaf.clusters, tokens, wildcards) if leaf is not None else None
        if cluster is None:
            cluster = self._new_cluster(tokens, wildcards)
        elif cluster.tokens != tokens:
            cluster.tokens = [t if t == m else WILDCARD for t, m in zip(cluster.tokens, tokens, strict=True)]
            cluster.wildcards = _wildcards(cluster.tokens)
        return cluster

    def match(self, tokens: list[str]) -> Cluster | None:
        """The cluster ``add`` would put the message in, without changing anything; None for a new one."""
        leaf = self._leaf(tokens)
        return self._best(leaf.clusters, tokens, _wildcards(tokens)) if leaf is not None else None

    def restore(self, tokens: list[str], path: tuple[str, ...]) -> Cluster:
        """Re-create a saved cluster under its saved path; clusters must be restored in id order."""
        if len(path) != self._prefix_length(len(tokens)):
            raise ValueError(f"path {list(path)} does not fit depth {self.config.depth} and {len(tokens)} tokens")
        node = self._roots.setdefault(len(tokens), _Node())
        for key in path:
            node = node.children.setdefault(key, _Node())
        cluster = Cluster(len(self.clusters) + 1, list(tokens), path, _wildcards(tokens))
        node.clusters.append(cluster)
        self.clusters.append(cluster)
        return cluster

    def _prefix_length(self, n_tokens: int) -> int:
        return max(0, min(self._prefix, n_tokens - 1))

    def _leaf(self, tokens: list[str]) -> _Node | None:
        node = self._roots.get(len(tokens))
        for token in tokens[: self._prefix_length(len(tokens))]:
            if node is None:
                return None
            children = node.children
            node = children.get(token) or children.get(WILDCARD)
        return node

    def _best(self, clusters: list[Cluster], tokens: list[str], wildcards: frozenset[int]) -> Cluster | None:
        best, best_key = None, (-1.0, -1)
        for cluster in clusters:
            key = (cluster.similarity(tokens, wildcards), len(cluster.wildcards))
            if key > best_key:
                best, best_key = cluster, key
        return best if best is not None and best_key[0] >= self.config.sim_threshold else None

    def _new_cluster(self, tokens: list[str], wildcards: frozenset[int]) -> Cluster:
        node = self._roots.setdefault(len(tokens), _Node())
        path = []
        for token in tokens[: self._prefix_length(len(tokens))]:
            key = self._child_key(node, token)
            node = node.children.setdefault(key, _Node())
            path.append(key)
        cluster = Cluster(len(self.clusters) + 1, list(tokens), tuple(path), wildcards)
        node.clusters.append(cluster)
        self.clusters.append(cluster)
        return cluster

    def _child_key(self, node: _Node, token: str) -> str:
        """Where a new cluster's token goes: its own child while the node has room, else ``<*>``."""
        children = node.children
        if token in children:
            return token
        if token == WILDCARD or _has_digit(token):
            return WILDCARD
        room = self.config.max_children - (0 if WILDCARD in children else 1)
        return token if len(children) < room else WILDCARD


def _wildcards(tokens: list[str]) -> frozenset[int]:
    return frozenset(i for i, token in enumerate(tokens) if token == WILDCARD)
