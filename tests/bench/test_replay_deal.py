"""How the serving bench deals one log stream to many tenants: whole sessions per tenant, requests in stream order."""

from __future__ import annotations

import re

from logad.bench.replay import LINES_PER_REQUEST, deal

PATTERN = r"blk_-?\d+"


def _stream(lines: int, sessions: int) -> list[str]:
    """Interleaved sessions, every seventh line naming none."""
    return [f"line {i} " + ("heartbeat" if i % 7 == 0 else f"blk_{i % sessions}") for i in range(lines)]


def test_every_line_of_a_session_reaches_one_tenant_and_every_line_is_dealt_once_in_order():
    lines = _stream(1_000, 37)
    dealt = deal(lines, 4, PATTERN)
    owners: dict[str, set[str]] = {}
    seen = []
    for tenant, requests in dealt.items():
        for _, (chunk, end) in requests:
            assert 0 < len(chunk) <= LINES_PER_REQUEST and lines.index(chunk[-1]) + 1 == end
            for text in chunk:
                if found := re.search(PATTERN, text):
                    owners.setdefault(found.group(), set()).add(tenant)
            seen += chunk
        ends = [end for _, (_, end) in requests]
        assert ends == sorted(ends)  # a tenant's requests keep its lines in stream order
    assert sorted(seen, key=lines.index) == lines and len(seen) == len(lines)
    assert all(len(tenants) == 1 for tenants in owners.values()) and len(owners) == 37
    assert sum(1 for requests in dealt.values() if requests) == 4
    numbers = sorted(index for requests in dealt.values() for index, _ in requests)
    assert numbers == list(range(len(numbers)))  # numbered in stream order, for pacing


def test_without_a_session_pattern_or_with_one_tenant_the_stream_is_cut_in_request_sized_chunks():
    lines = _stream(950, 5)
    one = deal(lines, 1, PATTERN)["bench-1-000"]
    assert [chunk for _, (chunk, _) in one] == [lines[i : i + LINES_PER_REQUEST] for i in range(0, 950, 100)]
    dealt = deal(lines, 3, None)
    assert [chunk for _, (chunk, _) in dealt["bench-3-001"]] == [lines[i : i + 100] for i in range(100, 950, 300)]


def test_replays_on_one_deployment_never_share_a_tenant():
    lines = _stream(300, 5)
    first, second = deal(lines, 2, PATTERN, "run1"), deal(lines, 2, PATTERN, "run2")
    assert not set(first) & set(second) and all(name.startswith("bench-run1-2-") for name in first)
