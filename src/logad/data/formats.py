"""Log formats: Loghub header strings (``<Date> <Time> <Level>: <Content>``) compiled to line regexes.

The built-in headers are those of Loghub's parser benchmark (logpai/logparser,
``logparser/Drain/benchmark.py``); Liberty, absent there, shares Thunderbird's CFDR line layout.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from logad.errors import ConfigError

SESSIONS_JSONL = "sessions-jsonl"

_SPLIT = re.compile(r"(<[^<>]+>)")
_CACHE_SIZE = 100_000
_MISSING = object()


@dataclass(frozen=True)
class TimestampRule:
    """How parsed fields become epoch seconds (UTC); call it with a record's fields.

    ``fields`` are joined with single spaces and read with the first strptime pattern in ``patterns``
    that fits; with no patterns the (single) field is already epoch seconds. Year-less patterns get
    the fixed ``year`` (only time differences matter for windows). Text without a zone is taken as
    UTC. Unparsable or missing values give None. Conversions are cached by text.
    """

    fields: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    year: int | None = None
    _key: Callable[[Mapping[str, str]], str | tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _parsers: tuple[Callable[[str], float], ...] = field(init=False, repr=False, compare=False)
    _cache: dict[str | tuple[str, ...], float | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.fields or (not self.patterns and len(self.fields) != 1):
            raise ConfigError(f"timestamp rule needs one epoch field or fields with patterns, not {self.fields}")
        prefix = "%Y " if self.year is not None else ""
        object.__setattr__(self, "_key", operator.itemgetter(*self.fields))
        object.__setattr__(self, "_parsers", tuple(_text_parser(prefix + p) for p in self.patterns))

    def __call__(self, values: Mapping[str, str]) -> float | None:
        try:
            key = self._key(values)  # the field's text, or a tuple of several fields' texts
        except KeyError:
            return None
        if not self.patterns:
            return _epoch(key)
        stamp = self._cache.get(key, _MISSING)
        if stamp is _MISSING:
            stamp = self._remember(key)
        return stamp

    def _remember(self, key: str | tuple[str, ...]) -> float | None:
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        text = key if isinstance(key, str) else " ".join(key)
        stamp = self._cache[key] = self._convert(text if self.year is None else f"{self.year} {text}")
        return stamp

    def _convert(self, text: str) -> float | None:
        for parse in self._parsers:
            try:
                return parse(text)
            except ValueError:
                continue
        return None


def _epoch(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# strptime is slow (~9 us a call): patterns made only of these directives (strptime's own regexes) and
# literal text are read with one compiled regex instead.
_FAST_DIRECTIVES = {
    "Y": r"\d\d\d\d",
    "y": r"\d\d",
    "m": r"1[0-2]|0[1-9]|[1-9]",
    "b": "[a-z]{3}",
    "d": r"3[01]|[12]\d|0[1-9]|[1-9]| [1-9]",
    "H": r"2[0-3]|[0-1]\d|\d",
    "M": r"[0-5]\d|\d",
    "S": r"6[0-1]|[0-5]\d|\d",
    "f": r"[0-9]{1,6}",
}
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_FAST_DEFAULTS = (("Y", 1900), ("m", 1), ("d", 1), ("H", 0), ("M", 0), ("S", 0), ("f", 0))
_PATTERN_TOKEN = re.compile(r"%(.)|\s+|[^%\s]+")


def _text_parser(pattern: str) -> Callable[[str], float]:
    """A function from text in strptime ``pattern`` to epoch seconds; ValueError when it does not fit."""
    regex = _fast_regex(pattern)
    if regex is None:
        return functools.partial(_strptime_epoch, pattern=pattern)
    return functools.partial(_fast_epoch, regex.fullmatch)


def _fast_regex(pattern: str) -> re.Pattern[str] | None:
    """The regex equivalent of a strptime pattern with only numeric directives and %b, else None."""
    parts: list[str] = []
    seen: set[str] = set()
    for token in _PATTERN_TOKEN.finditer(pattern):
        directive, text = token.group(1), token.group()
        if directive is None:
            parts.append(r"\s+" if text.isspace() else re.escape(text))
        elif directive in _FAST_DIRECTIVES and directive not in seen:
            seen.add(directive)
            parts.append(f"(?P<{directive}>{_FAST_DIRECTIVES[directive]})")
        else:
            return None
    return re.compile("".join(parts), re.IGNORECASE)


def _fast_epoch(fullmatch: Callable[[str], re.Match[str] | None], text: str) -> float:
    """Epoch seconds from a ``_fast_regex`` match, with strptime's defaults and two-digit-year rule."""
    found = fullmatch(text)
    if found is None:
        raise ValueError(f"{text!r} does not fit")
    values: dict[str, str | int] = found.groupdict()
    if "y" in values:
        short = int(values["y"])
        values["Y"] = short + (1900 if short >= 69 else 2000)
    if "b" in values:
        values["m"] = _MONTHS.get(str(values["b"]).lower(), 0)  # 0: datetime raises ValueError
    if "f" in values:
        values["f"] = str(values["f"]).ljust(6, "0")
    parts = [int(values.get(name, default)) for name, default in _FAST_DEFAULTS]
    return dt.datetime(*parts, tzinfo=dt.UTC).timestamp()


def _strptime_epoch(text: str, pattern: str) -> float:
    stamp = dt.datetime.strptime(text, pattern)
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).timestamp()


@dataclass(frozen=True)
class LogFormat:
    """A named line format, or the ``sessions-jsonl`` pseudo-format (``header`` None).

    ``header`` uses Loghub's syntax: ``<Field>`` placeholders, literal text and regex fragments
    (``\\[<Pid>\\]``, ``(\\[<PID>\\])?``); runs of spaces match any whitespace. ``label_field`` holds a
    per-line label where ``-`` means normal and anything else anomalous. ``default_window`` is a window
    spec (``session:REGEX``, ``fixed:N``, ``sliding:N:STEP``, ``time:SECONDS:STEP``) or None.
    """

    name: str
    header: str | None
    timestamp: TimestampRule | None = None
    label_field: str | None = None
    default_window: str | None = None
    regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", compile_header(self.header) if self.header is not None else None)

    @property
    def is_sessions(self) -> bool:
        """True for the already-grouped ``sessions-jsonl`` pseudo-format."""
        return self.header is None

    def parse_line(self, line: str) -> dict[str, str] | None:
        """The named fields of ``line`` (stripped first, as Loghub does), or None when it does not match.

        Fields of optional parts that are absent (``(\\[<PID>\\])?``) are empty strings.
        """
        if self.regex is None:
            raise ConfigError(f"format {self.name} holds sessions, not log lines")
        match = self.regex.match(line.strip())
        return match.groupdict("") if match else None


def header_fields(header: str) -> list[str]:
    """The field names of a header string, in order."""
    return [part[1:-1] for part in _SPLIT.split(header)[1::2]]


def compile_header(header: str) -> re.Pattern[str]:
    """Compile a Loghub header into the anchored regex Loghub's logparser builds.

    Literal parts get runs of spaces replaced by ``\\s+``; every field becomes ``(?P<Name>.*?)``. A field
    that ends the header is compiled greedy (``.*``): against a whole line it matches the same text,
    with less backtracking.
    """
    names = header_fields(header)
    if "Content" not in names:
        raise ConfigError(f"log format {header!r} has no <Content> field")
    for name in names:
        if not name.isidentifier():
            raise ConfigError(f"log format {header!r}: field <{name}> must be a plain name (letters, digits, _)")
    parts = _SPLIT.split(header)
    last_field = len(parts) - 2 if parts[-1] == "" else -1
    pattern = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            pattern += re.sub(" +", r"\\s+", part)
        else:
            pattern += f"(?P<{part[1:-1]}>.*{'' if index == last_field else '?'})"
    try:
        return re.compile(f"^{pattern}$")
    except re.error as exc:
        raise ConfigError(f"log format {header!r} is not a valid pattern: {exc}") from None


# Year-less formats (Linux, Mac, OpenSSH, Proxifier, Android) are read as year 2000, a leap year so that
# Feb 29 parses: only time differences matter for windows.
_YEAR = 2000
_DATE_TIME = ("Date", "Time")
_CFDR = r"<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>"


def _strptime(fields: tuple[str, ...], pattern: str, year: int | None = None) -> TimestampRule:
    return TimestampRule(fields, (pattern,), year)


_BUILTIN = (
    LogFormat(
        "hdfs",
        "<Date> <Time> <Pid> <Level> <Component>: <Content>",
        _strptime(_DATE_TIME, "%y%m%d %H%M%S"),
        default_window=r"session:blk_-?\d+",
    ),
    LogFormat(
        "bgl",
        "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
        TimestampRule(("Timestamp",)),
        "Label",
        "fixed:20",
    ),
    LogFormat("thunderbird", _CFDR, TimestampRule(("Timestamp",)), "Label", "fixed:20"),
    LogFormat("liberty", _CFDR, TimestampRule(("Timestamp",)), "Label", "fixed:20"),
    LogFormat(
        "hadoop",
        r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
        _strptime(_DATE_TIME, "%Y-%m-%d %H:%M:%S,%f"),
        default_window="fixed:20",
    ),
    LogFormat(
        "spark",
        "<Date> <Time> <Level> <Component>: <Content>",
        _strptime(_DATE_TIME, "%y/%m/%d %H:%M:%S"),
        default_window="fixed:20",
    ),
    LogFormat(
        "zookeeper",
        r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
        _strptime(_DATE_TIME, "%Y-%m-%d %H:%M:%S,%f"),
        default_window="fixed:20",
    ),
    LogFormat(
        "hpc",
        "<LogId> <Node> <Component> <State> <Time> <Flag> <Content>",
        TimestampRule(("Time",)),
        default_window="fixed:20",
    ),
    LogFormat(
        "windows",
        "<Date> <Time>, <Level>                  <Component>    <Content>",
        _strptime(_DATE_TIME, "%Y-%m-%d %H:%M:%S"),
        default_window="fixed:20",
    ),
    LogFormat(
        "linux",
        r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
        _strptime(("Month", "Date", "Time"), "%b %d %H:%M:%S", _YEAR),
        default_window="fixed:20",
    ),
    LogFormat(
        "android",
        "<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
        _strptime(_DATE_TIME, "%m-%d %H:%M:%S.%f", _YEAR),
        default_window="fixed:20",
    ),
    LogFormat(
        "healthapp",
        r"<Time>\|<Component>\|<Pid>\|<Content>",
        _strptime(("Time",), "%Y%m%d-%H:%M:%S:%f"),
        default_window="fixed:20",
    ),
    LogFormat(
        "apache",
        r"\[<Time>\] \[<Level>\] <Content>",
        _strptime(("Time",), "%a %b %d %H:%M:%S %Y"),
        default_window="fixed:20",
    ),
    LogFormat(
        "proxifier",
        r"\[<Time>\] <Program> - <Content>",
        _strptime(("Time",), "%m.%d %H:%M:%S", _YEAR),
        default_window="fixed:20",
    ),
    LogFormat(
        "openssh",
        r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>",
        _strptime(("Date", "Day", "Time"), "%b %d %H:%M:%S", _YEAR),
        default_window="fixed:20",
    ),
    LogFormat(
        "openstack",
        r"<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>",
        _strptime(_DATE_TIME, "%Y-%m-%d %H:%M:%S.%f"),
        default_window="fixed:20",
    ),
    LogFormat(
        "mac",
        r"<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>",
        _strptime(("Month", "Date", "Time"), "%b %d %H:%M:%S", _YEAR),
        default_window="fixed:20",
    ),
    LogFormat(SESSIONS_JSONL, None),
)
FORMATS: dict[str, LogFormat] = {fmt.name: fmt for fmt in _BUILTIN}

# Tried in order on the Date and Time fields of a custom header (joined by a space, or either alone).
_CUSTOM_PATTERNS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S,%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y/%m/%d %H:%M:%S",
    "%y%m%d %H%M%S",
    "%y/%m/%d %H:%M:%S",
)


def get_format(name_or_header: str) -> LogFormat:
    """A registered format by (case-insensitive) name, or a custom one from a header string with ``<Content>``.

    A custom format has a timestamp when it has fields named ``Date`` and/or ``Time`` in a common layout
    (ISO 8601 and the like, see ``_CUSTOM_PATTERNS``); otherwise its records carry no timestamp.
    """
    fmt = FORMATS.get(name_or_header.strip().lower())
    if fmt is not None:
        return fmt
    if "<" not in name_or_header:
        raise ConfigError(
            f"unknown log format {name_or_header!r}; known: {', '.join(FORMATS)}, "
            "or a Loghub header string such as '<Date> <Time> <Level> <Component>: <Content>'"
        )
    time_fields = tuple(name for name in _DATE_TIME if name in header_fields(name_or_header))
    rule = TimestampRule(time_fields, _CUSTOM_PATTERNS) if time_fields else None
    return LogFormat("custom", name_or_header, rule)
