"""Tenants: each gets its own random streams, traffic rates, message mix and block ids."""

from __future__ import annotations

import random
from dataclasses import dataclass

from logad.data.synth.config import MAX_TENANTS

HDFS_START = 1226262930  # 2008-11-09 20:35:30 UTC, where Loghub's HDFS log begins
BGL_START = 1117838570  # 2005-06-03 15:42:50 PDT, where Loghub's BGL log begins
_ID_LIMIT = 2**63  # HDFS block ids are signed 64-bit numbers


@dataclass(frozen=True)
class TenantProfile:
    """How one tenant's normal traffic looks; tenant 0 has the base values, the others vary around them.

    ``block_gap`` and ``line_gap`` are mean seconds between HDFS block allocations and per BGL line;
    ``verify_p``, ``serve_p`` and ``delete_p`` are the chances that a block is later scanned, read by
    clients and deleted; ``mix_spread`` is how far the BGL message mix strays from the base weights.
    """

    index: int
    seed: int
    block_gap: float
    verify_p: float
    serve_p: float
    delete_p: float
    line_gap: float
    mix_spread: float
    hdfs_start: int
    bgl_start: int

    @property
    def name(self) -> str:
        """The tenant's folder name."""
        return f"tenant-{self.index}"

    def block_id(self, rng: random.Random) -> int:
        """A random block-id magnitude for this tenant.

        It equals the tenant's index modulo ``MAX_TENANTS``, so tenants never share an id.
        """
        return rng.randrange(1, _ID_LIMIT // MAX_TENANTS) * MAX_TENANTS + self.index

    def rng(self, stream: str) -> random.Random:
        """An independent random stream (e.g. ``hdfs/traffic``), the same for the same seed and tenant."""
        return random.Random(f"logad-synth/{self.seed}/{self.index}/{stream}")


def tenant_profile(seed: int, index: int) -> TenantProfile:
    """The profile of tenant ``index``: base values for tenant 0, seeded variations for the others."""
    if index == 0:
        return TenantProfile(0, seed, 3.0, 0.14, 0.24, 0.81, 4.0, 0.0, HDFS_START, BGL_START)
    rng = random.Random(f"logad-synth/{seed}/{index}/profile")
    return TenantProfile(
        index=index,
        seed=seed,
        block_gap=round(3.0 * 2 ** rng.uniform(-1, 1), 3),
        verify_p=round(rng.uniform(0.05, 0.3), 3),
        serve_p=round(rng.uniform(0.1, 0.5), 3),
        delete_p=round(rng.uniform(0.5, 0.95), 3),
        line_gap=round(4.0 * 2 ** rng.uniform(-1, 1), 3),
        mix_spread=0.8,
        hdfs_start=HDFS_START + rng.randrange(3600),
        bgl_start=BGL_START + rng.randrange(3600),
    )
