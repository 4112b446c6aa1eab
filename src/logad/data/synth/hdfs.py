"""HDFS-like block lifecycles in Loghub's native HDFS line format, with injected anomalies."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

NORMAL_STEPS = (
    (
        "INFO",
        "dfs.FSNamesystem",
        "BLOCK* NameSystem.allocateBlock: /user/root/rand/_temporary/part-{n} {blk}",
    ),
    ("INFO", "dfs.DataNode$DataXceiver", "Receiving block {blk} src: /{ip}:{port} dest: /{ip}:50010"),
    ("INFO", "dfs.DataNode$DataXceiver", "Receiving block {blk} src: /{ip2}:{port} dest: /{ip2}:50010"),
    ("INFO", "dfs.DataNode$PacketResponder", "PacketResponder {r} for block {blk} terminating"),
    ("INFO", "dfs.DataNode$PacketResponder", "Received block {blk} of size {size} from /{ip}"),
    (
        "INFO",
        "dfs.FSNamesystem",
        "BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip}:50010 is added to {blk} size {size}",
    ),
    ("INFO", "dfs.DataNode$PacketResponder", "PacketResponder {r} for block {blk} terminating"),
    ("INFO", "dfs.DataNode$PacketResponder", "Received block {blk} of size {size} from /{ip2}"),
    (
        "INFO",
        "dfs.FSNamesystem",
        "BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip2}:50010 is added to {blk} size {size}",
    ),
    ("INFO", "dfs.DataNode$DataBlockScanner", "Verification succeeded for {blk}"),
)
ERROR_STEP = (
    "WARN",
    "dfs.DataNode$DataXceiver",
    "{ip}:50010:Got exception while serving {blk} to /{ip2}: java.io.IOException: Connection reset by peer",
)
NEW_TEMPLATE_STEP = (
    "WARN",
    "dfs.FSDataset",
    "Unexpected error trying to delete block {blk}. BlockInfo not found in volumeMap.",
)
MUTATIONS = {
    "Receiving block": "Receiving data block",
    "terminating": "terminated",
    "Verification succeeded": "Scan verification succeeded",
}


@dataclass
class Block:
    """One block's lines (time, pid, level, component, content) and its anomaly kind (None if normal)."""

    block_id: str
    start: float
    lines: list[tuple[float, int, str, str, str]]
    anomaly: str | None


def make_block(rng: random.Random, block_id: str, start: float, anomaly: str | None, mutated: bool) -> Block:
    """A normal lifecycle, altered by ``anomaly``; ``mutated`` applies the post-upgrade wording (normal)."""
    steps = list(NORMAL_STEPS)
    if anomaly == "missing_step":
        del steps[rng.randrange(1, len(steps) - 1)]
    elif anomaly == "wrong_order":
        i = rng.randrange(0, 3)
        steps[i], steps[i + 5] = steps[i + 5], steps[i]
    elif anomaly == "error_message":
        steps.insert(rng.randrange(2, len(steps)), ERROR_STEP)
    elif anomaly == "new_template":
        steps.insert(rng.randrange(2, len(steps)), NEW_TEMPLATE_STEP)
    elif anomaly == "frequency_burst":
        i = rng.randrange(1, len(steps))
        steps[i:i] = [steps[i]] * rng.randint(8, 15)
    values = {
        "blk": block_id,
        "n": rng.randint(0, 9999),
        "ip": _ip(rng),
        "ip2": _ip(rng),
        "port": rng.randint(30000, 60000),
        "size": rng.choice((67108864, rng.randint(1000, 67108864))),
    }
    lines, now = [], start
    for level, component, text in steps:
        content = text.format(r=rng.randint(0, 2), **values)
        if mutated:
            for old, new in MUTATIONS.items():
                content = content.replace(old, new)
        lines.append((now, rng.randint(1, 40000), level, component, content))
        now += rng.expovariate(1 / 20)
    return Block(block_id, start, lines, anomaly)


def format_line(when: float, pid: int, level: str, component: str, content: str) -> str:
    """A line in Loghub's HDFS format: `081109 203530 147 INFO dfs.DataNode: ...`."""
    stamp = time.strftime("%y%m%d %H%M%S", time.gmtime(when))
    return f"{stamp} {pid} {level} {component}: {content}"


def _ip(rng: random.Random) -> str:
    return f"10.250.{rng.randint(0, 19)}.{rng.randint(2, 254)}"
