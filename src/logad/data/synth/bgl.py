"""BGL-like node events in Loghub's BGL format; the first token is the alert label (`-` = normal)."""

from __future__ import annotations

import random
import time

NORMAL_EVENTS = (
    ("RAS", "KERNEL", "INFO", "instruction cache parity error corrected"),
    ("RAS", "KERNEL", "INFO", "generating core.{n}"),
    ("RAS", "KERNEL", "INFO", "{n} double-hummer alignment exceptions"),
    ("RAS", "APP", "INFO", "ciod: Message code {n} is not {m} or 4222"),
    ("RAS", "KERNEL", "INFO", "CE sym {n}, at 0x{hex}, mask 0x{m}"),
)
ERROR_EVENTS = (
    ("KERNDTLB", "RAS", "KERNEL", "FATAL", "data TLB error interrupt"),
    ("KERNSTOR", "RAS", "KERNEL", "FATAL", "data storage interrupt"),
    (
        "APPREAD",
        "RAS",
        "APP",
        "FATAL",
        "ciod: failed to read message prefix on control stream (CioStream socket to 172.16.96.116:{n}",
    ),
)
NEW_TEMPLATE_EVENT = (
    "KERNMNTF",
    "RAS",
    "KERNEL",
    "FATAL",
    "Lustre mount FAILED : bglio{n} : block_id : location",
)
MUTATION = ("corrected", "was corrected")


def bgl_line(rng: random.Random, when: float, node: str, anomaly: str | None, mutated: bool) -> str:
    """One BGL line; ``anomaly`` error_message/new_template/frequency_burst give labelled alert events."""
    values = {"n": rng.randint(0, 9999), "m": rng.randint(0, 99), "hex": f"{rng.getrandbits(32):08x}"}
    if anomaly == "new_template":
        label, kind, component, level, text = NEW_TEMPLATE_EVENT
    elif anomaly is not None:
        label, kind, component, level, text = rng.choice(ERROR_EVENTS)
    else:
        label = "-"
        kind, component, level, text = rng.choice(NORMAL_EVENTS)
    content = text.format(**values)
    if mutated and anomaly is None:
        content = content.replace(*MUTATION)
    stamp = time.gmtime(when)
    date, clock = time.strftime("%Y.%m.%d", stamp), time.strftime("%Y-%m-%d-%H.%M.%S", stamp)
    return (
        f"{label} {int(when)} {date} {node} {clock}.{rng.randint(0, 999999):06d} {node} {kind} {component} "
        f"{level} {content}"
    )


def node_name(rng: random.Random, tenant: int) -> str:
    return f"R{tenant:02d}-M{rng.randint(0, 1)}-N{rng.randint(0, 15)}-C:J{rng.randint(2, 17):02d}-U{rng.randint(0, 1)}1"
