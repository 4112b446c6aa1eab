"""HDFS-like block lifecycles in Loghub's native HDFS format, with injected block anomalies.

A normal block follows HDFS_v1: allocateBlock, a 3-node write pipeline (Receiving block, PacketResponder
terminating, Received block of size, addStoredBlock per replica), then maybe scanner verifications,
client reads (``Got exception while serving`` is a normal WARN there) and deletion. Blocks start at
random times and their lines interleave in time order.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from logad.data.synth.anomalies import AnomalyPicker
from logad.data.synth.config import SynthConfig
from logad.data.synth.drift import DriftPlan
from logad.data.synth.templates import Template
from logad.data.synth.tenants import TenantProfile

_XCEIVER = "dfs.DataNode$DataXceiver"
_RESPONDER = "dfs.DataNode$PacketResponder"
_RECEIVER = "dfs.DataNode$BlockReceiver"
_NAMESYSTEM = "dfs.FSNamesystem"
_DATASET = "dfs.FSDataset"

ALLOCATE = Template("allocate", "INFO", _NAMESYSTEM, "BLOCK* NameSystem.allocateBlock: {path} {blk}")
RECEIVING = Template(
    "receiving",
    "INFO",
    _XCEIVER,
    "Receiving block {blk} src: /{src}:{port} dest: /{ip}:50010",
    upgraded="Receiving replica {blk} src: /{src}:{port} dest: /{ip}:50010",
)
RESPONDER = Template(
    "responder",
    "INFO",
    _RESPONDER,
    "PacketResponder {r} for block {blk} terminating",
    upgraded="PacketResponder {r} for replica {blk} terminating",
)
RECEIVED = Template(
    "received",
    "INFO",
    _RESPONDER,
    "Received block {blk} of size {size} from /{src}",
    upgraded="Received replica {blk} of size {size} bytes from /{src}",
)
STORED = Template(
    "stored",
    "INFO",
    _NAMESYSTEM,
    "BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip}:50010 is added to {blk} size {size}",
)
VERIFIED = Template(
    "verified",
    "INFO",
    "dfs.DataBlockScanner",
    "Verification succeeded for {blk}",
    upgraded="Verification succeeded for replica {blk}",
)
SERVE_ERROR = Template(
    "serve_error",
    "WARN",
    _XCEIVER,
    "{ip}:50010:Got exception while serving {blk} to /{client}:",
)
SERVED = Template("served", "INFO", _XCEIVER, "{ip}:50010 Served block {blk} to /{client}")
INVALIDATED = Template(
    "invalidated", "INFO", _NAMESYSTEM, "BLOCK* NameSystem.delete: {blk} is added to invalidSet of {ip}:50010"
)
DELETING = Template("deleting", "INFO", _DATASET, "Deleting block {blk} file {file}")

REPLICATION = 3
REQUIRED = {
    ALLOCATE: 1,
    RECEIVING: REPLICATION,
    RESPONDER: REPLICATION,
    RECEIVED: REPLICATION,
    STORED: REPLICATION,
}
EARLY = (ALLOCATE, RECEIVING)  # every normal block logs these before any of LATE
LATE = (RESPONDER, RECEIVED, STORED)

# error_message: exceptions of failed writes (logged at INFO, as HDFS_v1 does).
ERRORS = (
    Template(
        "write_exception",
        "INFO",
        _XCEIVER,
        "writeBlock {blk} received exception java.io.IOException: Could not read from stream",
    ),
    Template(
        "receive_exception",
        "INFO",
        _RECEIVER,
        "Exception in receiveBlock for block {blk} java.io.EOFException",
    ),
    Template(
        "responder_exception",
        "INFO",
        _RESPONDER,
        "PacketResponder {blk} {r} Exception java.net.SocketTimeoutException: {timeout} millis timeout "
        "while waiting for channel to be ready for read. ch : java.nio.channels.SocketChannel[connected "
        "local=/{ip}:{port} remote=/{src}:50010]",
    ),
    Template(
        "mirror_exception",
        "INFO",
        _RECEIVER,
        "{ip}:50010:Exception writing block {blk} to mirror {src}:50010",
    ),
)
# new_template: message types that never occur in normal blocks (all seen only in HDFS_v1 anomalies).
NEW_TEMPLATES = (
    Template("empty_packet", "INFO", _RECEIVER, "Receiving empty packet for block {blk}"),
    Template(
        "redundant_store",
        "WARN",
        _NAMESYSTEM,
        "BLOCK* NameSystem.addStoredBlock: Redundant addStoredBlock request received for {blk} on {ip}:50010 "
        "size {size}",
    ),
    Template(
        "orphan_store",
        "INFO",
        _NAMESYSTEM,
        "BLOCK* NameSystem.addStoredBlock: addStoredBlock request received for {blk} on {ip}:50010 "
        "size {size} But it does not belong to any file.",
    ),
    Template(
        "delete_error",
        "WARN",
        _DATASET,
        "Unexpected error trying to delete block {blk}. BlockInfo not found in volumeMap.",
    ),
    Template(
        "replicate",
        "INFO",
        _NAMESYSTEM,
        "BLOCK* ask {ip}:50010 to replicate {blk} to datanode(s) {src}:50010",
    ),
)

FULL_BLOCK = 64 << 20
UPGRADED_BLOCK = 128 << 20  # rate_change: after the drift point the cluster writes 128 MB blocks
_JOBS = ("rand", "sortrand", "randtxt", "sorttext")
_BLOCKS_PER_JOB = 1000
# Reads, scans and deletion come up to the log's planned span after a block's write, within these bounds.
_MIN_TAIL, _MAX_TAIL = 600.0, 6 * 3600.0


class Event(NamedTuple):
    """One HDFS message of a block: when, which thread logged it, its template and field values."""

    time: float
    pid: int
    template: Template
    values: dict[str, object]


@dataclass
class Block:
    """A block's events (in no particular order) and its anomaly kind (None for a normal block)."""

    id: str
    start: float
    anomaly: str | None
    events: list[Event]


class HdfsLog:
    """One tenant's HDFS-like log: ``lines()`` streams it; ``blocks`` then holds (block id, anomaly kind)."""

    def __init__(self, config: SynthConfig, profile: TenantProfile, picker: AnomalyPicker) -> None:
        self.config, self.profile, self.picker = config, profile, picker
        self.rng = profile.rng("hdfs/traffic")
        span = config.blocks * profile.block_gap
        self.drift = DriftPlan.for_log(config, profile.hdfs_start, span)
        self.blocks: list[tuple[str, str | None]] = []
        self._tail = min(max(span, _MIN_TAIL), _MAX_TAIL)
        rng = self.rng
        self._datanodes = [f"10.{rng.choice((250, 251))}.{rng.randrange(256)}.{n}" for n in range(2, 202)]
        self._ids: set[int] = set()
        self._pid = 140 + self.rng.randrange(20)
        self._job_stamp = time.strftime("%Y%m%d%H%M", time.gmtime(profile.hdfs_start))

    def lines(self) -> Iterator[tuple[float, str]]:
        """(time, line) in time order; a block's events are held only until they are due."""
        upgraded = self.drift.upgraded
        for event in self._events():
            yield event.time, format_line(event, upgraded(event.time))

    def _events(self) -> Iterator[Event]:
        pending: list[tuple[float, int, Event]] = []
        order = itertools.count()
        for block in self._blocks():
            while pending and pending[0][0] < block.start:  # no later block has events before its start
                yield heapq.heappop(pending)[2]
            for event in block.events:
                heapq.heappush(pending, (event.time, next(order), event))
        while pending:
            yield heapq.heappop(pending)[2]

    def _blocks(self) -> Iterator[Block]:
        now = float(self.profile.hdfs_start)
        for index in range(self.config.blocks):
            block = self._normal_block(index, now)
            anomaly = self.picker.pick()
            if anomaly is not None:
                INJECTORS[anomaly](self.picker.rng, block.events)
                block.anomaly = anomaly
            self.blocks.append((block.id, block.anomaly))
            yield block
            now += self.rng.expovariate(self.drift.rate(now) / self.profile.block_gap)

    def _normal_block(self, index: int, start: float) -> Block:
        rng = self.rng
        block_id = self._new_id()
        size = self._size(start)
        nodes = rng.sample(self._datanodes, REPLICATION)
        events = [Event(start, _namenode_pid(rng), ALLOCATE, {"blk": block_id, "path": self._path(index)})]
        written = start + max(2.0, rng.uniform(15, 60) * size / FULL_BLOCK)  # the pipeline's transfer time
        replicas = []
        for position, ip in enumerate(nodes):
            pid = self._next_pid()
            src = ip if rng.random() < 0.7 else nodes[position - 1]
            port = rng.randint(32768, 60999)
            replica = {"blk": block_id, "ip": ip, "src": src, "port": port, "r": position, "size": size}
            replicas.append(replica)
            done = written + rng.uniform(0, 1.5)
            events += (
                Event(start + rng.uniform(0, 1.5), pid, RECEIVING, replica),
                Event(done, pid + 1, RESPONDER, replica),
                Event(done, pid + 1, RECEIVED, replica),
                Event(done + rng.uniform(0, 1), _namenode_pid(rng), STORED, replica),
            )
        events += self._afterlife(written + 3, replicas)
        return Block(block_id, start, None, events)

    def _afterlife(self, written: float, replicas: list[dict[str, object]]) -> list[Event]:
        """Scanner verifications and client reads, then deletion, each with the tenant's chance."""
        rng, profile = self.rng, self.profile
        deleted = written + rng.uniform(0.2, 1.0) * self._tail  # reads and scans happen before this
        events = []
        if rng.random() < profile.verify_p:
            for _ in range(rng.randint(1, 3)):
                events.append(Event(rng.uniform(written, deleted), 13, VERIFIED, replicas[0]))
        if rng.random() < profile.serve_p:
            for _ in range(rng.randint(1, 3)):
                when, pid = rng.uniform(written, deleted - 20), self._next_pid()
                read = {**rng.choice(replicas), "client": rng.choice(self._datanodes)}
                if rng.random() < 0.6:
                    events.append(Event(when, pid, SERVE_ERROR, read))
                events.append(Event(when + rng.uniform(0, 20), pid + 1, SERVED, read))
        if rng.random() < profile.delete_p:
            pid = _namenode_pid(rng)
            for replica in replicas:
                subdir = f"subdir{rng.randrange(64)}/" if rng.random() < 0.7 else ""
                file = f"/mnt/hadoop/dfs/data/current/{subdir}{replica['blk']}"
                events.append(Event(deleted, pid, INVALIDATED, replica))
                events.append(
                    Event(
                        deleted + rng.uniform(10, 400),
                        rng.choice((18, 19)),
                        DELETING,
                        {**replica, "file": file},
                    )
                )
        return events

    def _new_id(self) -> str:
        while (magnitude := self.profile.block_id(self.rng)) in self._ids:
            pass
        self._ids.add(magnitude)
        return f"blk_{'-' if self.rng.random() < 0.5 else ''}{magnitude}"

    def _size(self, when: float) -> int:
        full = UPGRADED_BLOCK if self.drift.shifted(when) else FULL_BLOCK
        return full if self.rng.random() < 0.9 else self.rng.randint(1 << 20, full)  # a file's last block

    def _path(self, index: int) -> str:
        job, task = divmod(index, _BLOCKS_PER_JOB)
        name = _JOBS[job % len(_JOBS)]
        phase = "m" if name.startswith("rand") else "r"
        task_dir = f"_task_{self._job_stamp}_{job + 1:04d}_{phase}_{task:06d}_0"
        return f"/user/root/{name}/_temporary/{task_dir}/part-{task:05d}."

    def _next_pid(self) -> int:
        self._pid += self.rng.randint(2, 6)
        return self._pid


def _namenode_pid(rng: random.Random) -> int:
    return rng.randint(26, 35)


def format_line(event: Event, upgraded: bool) -> str:
    """A line in Loghub's HDFS format: ``081109 203530 147 INFO dfs.DataNode$DataXceiver: Receiving ...``."""
    template = event.template
    content = template.render(event.values, upgraded)
    return f"{_stamp(int(event.time))} {event.pid} {template.level} {template.component}: {content}"


@functools.lru_cache(maxsize=1024)
def _stamp(second: int) -> str:
    return time.strftime("%y%m%d %H%M%S", time.gmtime(second))


def _missing_step(rng: random.Random, events: list[Event]) -> None:
    """Drop one required lifecycle message."""
    del events[rng.choice([i for i, event in enumerate(events) if event.template in REQUIRED])]


def _wrong_order(rng: random.Random, events: list[Event]) -> None:
    """Swap the times of a pipeline-setup message and a write-completion one."""
    i = rng.choice([i for i, event in enumerate(events) if event.template in EARLY])
    j = rng.choice([j for j, event in enumerate(events) if event.template in LATE])
    events[i], events[j] = events[i]._replace(time=events[j].time), events[j]._replace(time=events[i].time)


def _error_message(rng: random.Random, events: list[Event]) -> None:
    """Log an exception during the write."""
    replica = rng.choice([event for event in events if event.template is RECEIVING])
    written = min(event.time for event in events if event.template in LATE)
    values = {**replica.values, "timeout": rng.choice((60000, 120000, 480000))}
    events.append(Event(rng.uniform(replica.time, written), replica.pid, rng.choice(ERRORS), values))


def _new_template(rng: random.Random, events: list[Event]) -> None:
    """Log a message type never seen in normal blocks."""
    replica = rng.choice([event for event in events if event.template is STORED])
    when = rng.uniform(replica.time, max(event.time for event in events))
    events.append(Event(when, _namenode_pid(rng), rng.choice(NEW_TEMPLATES), replica.values))


def _frequency_burst(rng: random.Random, events: list[Event]) -> None:
    """Repeat one required message 10 to 30 more times within seconds."""
    event = rng.choice([event for event in events if event.template in REQUIRED])
    when = event.time
    for _ in range(rng.randint(10, 30)):
        when += rng.uniform(0.05, 0.5)
        events.append(event._replace(time=when))


INJECTORS: dict[str, Callable[[random.Random, list[Event]], None]] = {
    "missing_step": _missing_step,
    "wrong_order": _wrong_order,
    "error_message": _error_message,
    "new_template": _new_template,
    "frequency_burst": _frequency_burst,
}
