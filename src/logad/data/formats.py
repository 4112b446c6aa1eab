"""Log formats: Loghub header strings (`<Date> <Time> <Level>: <Content>`) compiled to line regexes."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from logad.errors import ConfigError

SESSIONS_JSONL = "sessions-jsonl"
_FIELD = re.compile(r"<([^<>]+)>")


@dataclass(frozen=True)
class LogFormat:
    """A named line format.

    ``header`` uses Loghub's syntax: ``<Field>`` placeholders, literal text, and regex fragments
    (``\\[<Pid>\\]``); spaces match any run of whitespace. ``timestamp`` turns the parsed fields into
    epoch seconds (UTC) or None. ``label_field`` holds a per-line label where ``-`` means normal.
    """

    name: str
    header: str | None
    timestamp: Callable[[dict[str, str]], float | None] | None = None
    label_field: str | None = None
    default_window: str | None = None
    regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.header is not None:
            object.__setattr__(self, "regex", compile_header(self.header))

    @property
    def is_sessions(self) -> bool:
        return self.header is None

    def parse_line(self, line: str) -> dict[str, str] | None:
        """The named fields of ``line``, or None when it does not match."""
        match = self.regex.match(line) if self.regex else None
        return match.groupdict() if match else None


def compile_header(header: str) -> re.Pattern[str]:
    """Compile a Loghub header string into an anchored regex with one named group per field."""
    if "<Content>" not in header:
        raise ConfigError(f"log format {header!r} has no <Content> field")
    parts = re.split(r"(<[^<>]+>)", header)
    pattern = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            pattern += re.sub(" +", r"\\s+", part)
        else:
            name = part.strip("<>")
            if not name.isidentifier():
                raise ConfigError(f"log format field {part!r} must be a plain name")
            pattern += f"(?P<{name}>.*?)" if name != "Content" else f"(?P<{name}>.*)"
    try:
        return re.compile(f"^{pattern}$")
    except re.error as exc:
        raise ConfigError(f"log format {header!r} is not a valid pattern: {exc}") from None


def _strptime(fields: tuple[str, ...], pattern: str, year: int | None = None) -> Callable[[dict], float | None]:
    """Timestamp from joined fields with strptime; year-less formats get the fixed ``year``."""

    fmt = f"%Y {pattern}" if year is not None else pattern
    prefix = f"{year} " if year is not None else ""

    @functools.lru_cache(maxsize=4096)
    def parse_text(text: str) -> float | None:
        try:
            return dt.datetime.strptime(prefix + text, fmt).replace(tzinfo=dt.UTC).timestamp()
        except ValueError:
            return None

    def parse(values: dict[str, str]) -> float | None:
        try:
            return parse_text(" ".join(values[f] for f in fields))
        except KeyError:
            return None

    return parse


def _epoch(field_name: str) -> Callable[[dict], float | None]:
    def parse(values: dict[str, str]) -> float | None:
        try:
            return float(values[field_name])
        except (KeyError, ValueError):
            return None

    return parse


# Year-less formats (Linux, Mac, OpenSSH, ...) are read as year 2000: only differences matter for windows.
_YEAR = 2000
_BUILTIN = [
    LogFormat(
        "hdfs",
        "<Date> <Time> <Pid> <Level> <Component>: <Content>",
        _strptime(("Date", "Time"), "%y%m%d %H%M%S"),
        None,
        r"session:blk_-?\d+",
    ),
    LogFormat(
        "bgl",
        "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
        _epoch("Timestamp"),
        "Label",
        "fixed:20",
    ),
    LogFormat(
        "thunderbird",
        r"<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>",
        _epoch("Timestamp"),
        "Label",
        "fixed:20",
    ),
    LogFormat(
        "liberty",
        r"<Label> <Timestamp> <Date> <Node> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>",
        _epoch("Timestamp"),
        "Label",
        "fixed:20",
    ),
    LogFormat(
        "hadoop",
        r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
        _strptime(("Date", "Time"), "%Y-%m-%d %H:%M:%S,%f"),
        None,
        "fixed:20",
    ),
    LogFormat(
        "spark",
        "<Date> <Time> <Level> <Component>: <Content>",
        _strptime(("Date", "Time"), "%y/%m/%d %H:%M:%S"),
        None,
        "fixed:20",
    ),
    LogFormat(
        "zookeeper",
        r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
        _strptime(("Date", "Time"), "%Y-%m-%d %H:%M:%S,%f"),
        None,
        "fixed:20",
    ),
    LogFormat("hpc", "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>", _epoch("Time"), None, "fixed:20"),
    LogFormat(
        "windows",
        "<Date> <Time>, <Level>                  <Component>    <Content>",
        _strptime(("Date", "Time"), "%Y-%m-%d %H:%M:%S"),
        None,
        "fixed:20",
    ),
    LogFormat(
        "linux",
        r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
        _strptime(("Month", "Date", "Time"), "%b %d %H:%M:%S", _YEAR),
        None,
        "fixed:20",
    ),
    LogFormat(
        "android",
        "<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
        _strptime(("Date", "Time"), "%m-%d %H:%M:%S.%f", _YEAR),
        None,
        "fixed:20",
    ),
    LogFormat(
        "healthapp",
        r"<Time>\|<Component>\|<Pid>\|<Content>",
        _strptime(("Time",), "%Y%m%d-%H:%M:%S:%f"),
        None,
        "fixed:20",
    ),
    LogFormat(
        "apache",
        r"\[<Time>\] \[<Level>\] <Content>",
        _strptime(("Time",), "%a %b %d %H:%M:%S %Y"),
        None,
        "fixed:20",
    ),
    LogFormat(
        "proxifier",
        r"\[<Time>\] <Program> - <Content>",
        _strptime(("Time",), "%m.%d %H:%M:%S", _YEAR),
        None,
        "fixed:20",
    ),
    LogFormat(
        "openssh",
        r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>",
        _strptime(("Date", "Day", "Time"), "%b %d %H:%M:%S", _YEAR),
        None,
        "fixed:20",
    ),
    LogFormat(
        "openstack",
        r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
        _strptime(("Date", "Time"), "%Y-%m-%d %H:%M:%S.%f"),
        None,
        "fixed:20",
    ),
    LogFormat(
        "mac",
        r"<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>",
        _strptime(("Month", "Date", "Time"), "%b %d %H:%M:%S", _YEAR),
        None,
        "fixed:20",
    ),
    LogFormat(SESSIONS_JSONL, None),
]
FORMATS: dict[str, LogFormat] = {fmt.name: fmt for fmt in _BUILTIN}


def get_format(name_or_header: str) -> LogFormat:
    """A registered format by (case-insensitive) name, or a custom one from a header string."""
    fmt = FORMATS.get(name_or_header.lower())
    if fmt is not None:
        return fmt
    if "<" in name_or_header:
        return LogFormat("custom", name_or_header, _strptime(("Date", "Time"), "%Y-%m-%d %H:%M:%S"))
    raise ConfigError(
        f"unknown log format {name_or_header!r}; known: {', '.join(sorted(FORMATS))}, "
        "or a header string such as '<Date> <Time> <Level> <Component>: <Content>'"
    )
