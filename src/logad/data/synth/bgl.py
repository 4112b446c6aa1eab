"""BGL-like node events in Loghub's native BGL format; the first token is the alert category (``-`` = none).

Traffic is a stream of short episodes: a node logs one message type one or a few times. Wording and
weights follow Loghub's BGL_2k sample, FATAL-level normal lines included. Anomalous episodes are alert
lines (``error_message``), alert types never seen otherwise (``new_template``) or a storm of one
corrected-error message from one node (``frequency_burst``), labelled on every line.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import time
from collections.abc import Callable, Iterator

from logad.data.synth.anomalies import AnomalyPicker
from logad.data.synth.config import SynthConfig
from logad.data.synth.drift import DriftPlan
from logad.data.synth.templates import Template
from logad.data.synth.tenants import TenantProfile

_KERNEL = "RAS KERNEL"
_APP = "RAS APP"
_SITE_OFFSET = -7 * 3600  # the Time field is the site's local time (PDT), Timestamp is UTC epoch

NORMAL = (  # (template, base weight)
    (Template("core", "INFO", _KERNEL, "generating core.{n}", upgraded="generating core file core.{n}"), 30),
    (Template("iar", "INFO", _KERNEL, "iar {hex} dear {hex2}"), 10),
    (
        Template(
            "fp_alignment",
            "INFO",
            _KERNEL,
            "{n} floating point alignment exceptions",
            upgraded="{n} floating-point alignment exceptions",
        ),
        6,
    ),
    (Template("dh_alignment", "INFO", _KERNEL, "{n} double-hummer alignment exceptions"), 5),
    (
        Template(
            "ce_sym",
            "INFO",
            _KERNEL,
            "CE sym {sym}, at 0x{hex}, mask 0x{mask}",
            upgraded="CE sym {sym}, at address 0x{hex}, mask 0x{mask}",
        ),
        5,
    ),
    (
        Template(
            "interrupts",
            "INFO",
            _KERNEL,
            "{n} total interrupts. {small} critical input interrupts. {small} microseconds total spent "
            "on critical input interrupts, {small} microseconds max time in a critical input interrupt.",
        ),
        4,
    ),
    (
        Template(
            "rbs",
            "INFO",
            _KERNEL,
            "{small} microseconds spent in the rbs signal handler during {small} calls. {small} microseconds "
            "was the maximum time for a single instance of a correctable ddr.",
        ),
        3,
    ),
    (
        Template(
            "icache",
            "INFO",
            _KERNEL,
            "instruction cache parity error corrected",
            upgraded="instruction cache parity error detected and corrected",
        ),
        3,
    ),
    (Template("core_files", "INFO", _KERNEL, "ciod: generated {cores} core files for program {program}"), 2),
    (
        Template(
            "load_error",
            "FATAL",
            _APP,
            "ciod: Error loading {program}: invalid or missing program image, No such file or directory",
        ),
        2,
    ),
    (Template("chdir", "FATAL", _APP, "ciod: LOGIN chdir({dir}) failed: No such file or directory"), 1),
    (Template("iaddress", "FATAL", _KERNEL, "instruction address: 0x{hex}"), 1),
    (
        Template(
            "ddr_bit",
            "INFO",
            _KERNEL,
            "{small} ddr errors(s) detected and corrected on rank {bit}, symbol {sym}, bit {bit}",
        ),
        1,
    ),
    (Template("ddr_total", "INFO", _KERNEL, "total of {small} ddr error(s) detected and corrected"), 1),
    (
        Template(
            "signal",
            "INFO",
            _KERNEL,
            "ciod: Received signal {signal}, code=0, errno=0, address=0x{hex}",
        ),
        1,
    ),
)
BURSTY = ("icache", "ce_sym", "ddr_bit", "ddr_total")  # corrected-error messages that can storm
BURST_LABEL = "KERNBURST"  # a synthetic alert category: BGL has none for storms of corrected errors

# error_message: BGL's most frequent alert types; new_template: alert types that occur nowhere else.
ERRORS = (
    ("KERNDTLB", Template("dtlb", "FATAL", _KERNEL, "data TLB error interrupt")),
    ("KERNSTOR", Template("dstorage", "FATAL", _KERNEL, "data storage interrupt")),
    (
        "APPSEV",
        Template(
            "severed",
            "FATAL",
            _APP,
            "ciod: Error reading message prefix after LOAD_MESSAGE on CioStream socket to {ip}:{port}: "
            "Link has been severed",
        ),
    ),
    ("KERNTERM", Template("terminated", "FATAL", _KERNEL, "rts: kernel terminated for reason {reason}")),
    (
        "APPREAD",
        Template(
            "read",
            "FATAL",
            _APP,
            "ciod: failed to read message prefix on control stream (CioStream socket to {ip}:{port}",
        ),
    ),
)
NEW_TEMPLATES = (
    (
        "KERNMNTF",
        Template("lustre", "FATAL", _KERNEL, "Lustre mount FAILED : bglio{io} : block_id : location"),
    ),
    ("KERNRTSP", Template("panic", "FATAL", _KERNEL, "rts panic! - stopping execution")),
    (
        "APPTO",
        Template(
            "timeout",
            "FATAL",
            _APP,
            "ciod: Error reading message prefix on CioStream socket to {ip}:{port}, Connection timed out",
        ),
    ),
    (
        "APPCHILD",
        Template(
            "nodemap",
            "FATAL",
            _APP,
            "ciod: Error creating node map from file {mapfile}: No child processes",
        ),
    ),
)
MAX_RUN = 8  # lines of one normal episode
BURST_LINES = (10, 25)  # well above MAX_RUN
_MAX_ANOMALY_LINES = BURST_LINES[1]

_PROGRAMS = (
    "/bgl/apps/swl/functional/sppm_chkpt/run/sppm",
    "./runtime_malloc",
    "/home/user/bin/qbox",
    "/g/g0/mpi_hello",
)
_FIELDS: dict[str, Callable[[random.Random], object]] = {
    "n": lambda rng: rng.randrange(10000),
    "small": lambda rng: 0 if rng.random() < 0.6 else rng.randrange(1000),
    "hex": lambda rng: f"{rng.getrandbits(32):08x}",
    "hex2": lambda rng: f"{rng.getrandbits(32):08x}",
    "sym": lambda rng: rng.randrange(32),
    "mask": lambda rng: f"{1 << rng.randrange(8):02x}",
    "bit": lambda rng: rng.randrange(4),
    "cores": lambda rng: rng.choice((32, 64, 128, 512)),
    "program": lambda rng: rng.choice(_PROGRAMS),
    "dir": lambda rng: rng.choice(("pwd", "/p/gb2/user/run", "/home/user/t800")),
    "signal": lambda rng: rng.choice((9, 11, 15)),
    "ip": lambda rng: f"172.16.96.{rng.randrange(100, 130)}",
    "port": lambda rng: rng.randint(32768, 65535),
    "reason": lambda rng: rng.choice((1001, 1002, 1004)),
    "io": lambda rng: rng.randrange(1, 300),
    "mapfile": lambda rng: f"/p/gb2/user/maps/{rng.choice((8, 16, 64))}k.map",
}


class BglLog:
    """One tenant's BGL-like log: ``lines()`` streams it; ``anomalies`` then holds (``lines-A-B``, kind)."""

    def __init__(self, config: SynthConfig, profile: TenantProfile, picker: AnomalyPicker) -> None:
        self.config, self.profile, self.picker = config, profile, picker
        self.rng = profile.rng("bgl/traffic")
        self.drift = DriftPlan.for_log(config, profile.bgl_start, config.bgl_lines * profile.line_gap)
        self.anomalies: list[tuple[str, str]] = []
        self.anomalous_lines = 0
        self._mix = _mix(self.rng, profile.mix_spread)
        self._shifted_mix = _mix(self.rng, 1.0)  # rate_change: the mix after the drift point
        self._nodes = [_node(self.rng) for _ in range(256)]
        self._bursty = [template for template, _ in NORMAL if template.name in BURSTY]

    def lines(self) -> Iterator[tuple[float, str]]:
        """(time, line) in time order, exactly ``config.bgl_lines`` of them."""
        now, written, total = float(self.profile.bgl_start), 0, self.config.bgl_lines
        while written < total:
            kind = self.picker.pick() if total - written >= _MAX_ANOMALY_LINES else None
            label, node, template, count, spacing = self._episode(kind, now)
            count = min(count, total - written)
            if kind is not None:
                self.anomalies.append((f"lines-{written + 1}-{written + count}", kind))
                self.anomalous_lines += count
            start = now
            for _ in range(count):
                values = {name: _FIELDS[name](self.rng) for name in template.fields}
                content = template.render(values, self.drift.upgraded(now))
                yield now, format_line(label, now, node, template, content)
                now += self.rng.uniform(*spacing)
            written += count
            # Episodes start ``count * line_gap`` apart on average (at the base rate), however long they last.
            mean_gap = count * self.profile.line_gap / self.drift.rate(start)
            now = max(now, start + self.rng.expovariate(1 / mean_gap))

    def _episode(self, kind: str | None, now: float) -> tuple[str, str, Template, int, tuple[float, float]]:
        """(label, node, template, lines, spacing range in seconds) of the next episode."""
        rng = self.rng
        node = rng.choice(self._nodes)
        if kind == "frequency_burst":
            return BURST_LABEL, node, rng.choice(self._bursty), rng.randint(*BURST_LINES), (0.01, 0.3)
        if kind is not None:
            label, template = rng.choice(ERRORS if kind == "error_message" else NEW_TEMPLATES)
            return label, node, template, rng.randint(1, 3), (0.5, 5.0)
        mix = self._shifted_mix if self.drift.shifted(now) else self._mix
        template = rng.choices(NORMAL, cum_weights=mix)[0][0]
        return "-", node, template, min(1 + int(rng.expovariate(0.6)), MAX_RUN), (0.0, 2.0)


def format_line(label: str, when: float, node: str, template: Template, content: str) -> str:
    """A line in Loghub's BGL format: label, epoch, date, node, time, node, type, component, level, text.

    For example ``- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11
    RAS KERNEL INFO instruction cache parity error corrected`` (one line).
    """
    second = int(when)
    day, clock = _local(second)
    micros = int((when - second) * 1e6)
    header = f"{label} {second} {day} {node} {clock}.{micros:06d} {node}"
    return f"{header} {template.component} {template.level} {content}"


@functools.lru_cache(maxsize=1024)
def _local(second: int) -> tuple[str, str]:
    local = time.gmtime(second + _SITE_OFFSET)
    return time.strftime("%Y.%m.%d", local), time.strftime("%Y-%m-%d-%H.%M.%S", local)


def _mix(rng: random.Random, spread: float) -> list[float]:
    """Cumulative weights of the normal templates: base weights times random factors e^(spread * N(0, 1))."""
    weights = [weight * math.exp(spread * rng.gauss(0, 1)) for _, weight in NORMAL]
    return list(itertools.accumulate(weights))


def _node(rng: random.Random) -> str:
    """A compute (C, J02-J17) or I/O (I, J18) node location such as ``R02-M1-N0-C:J12-U11``."""
    card = f"C:J{rng.randint(2, 17):02d}" if rng.random() < 0.85 else "I:J18"
    return f"R{rng.randrange(64):02d}-M{rng.randrange(2)}-N{rng.randrange(16):X}-{card}-U{rng.randrange(2)}1"
