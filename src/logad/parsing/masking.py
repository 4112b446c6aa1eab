"""Regex masking of variable parts of a log message, after LogLLM's preprocessing.

The rules follow ``replace_patterns`` in ``customDataset.py`` of the LogLLM authors' code
(https://github.com/guanwei49/LogLLM, commit bf66b1c; Guan et al., "LogLLM: Log-based Anomaly Detection Using
Large Language Models", 2024): runs of three or more dots become ``".. "``, then one alternation of the rules
below, in this order, replaces every match with the placeholder. LogLLM's two MAC and two user@host patterns
are each merged into one equivalent rule. Two deliberate changes: ``boolean`` matches whole words only
(LogLLM's bare ``True`` also masked the start of ``Trueman``) and ``month_day`` no longer swallows the space
after the day (which glued the next word onto the placeholder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, partial

ELLIPSIS = "ellipsis"

RULES: dict[str, str] = {
    "boolean": r"\b(?:[Tt]rue|[Ff]alse)\b",
    "number_word": r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    r"|hundred|thousand|million|billion)\b",
    "weekday": r"\b(?:Mon|Monday|Tue|Tuesday|Wed|Wednesday|Thu|Thursday|Fri|Friday|Sat|Saturday|Sun"
    r"|Sunday)\b",
    "month_day": r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?"
    r"|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\s+\d{1,2}\b",
    "ip": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?",
    "mac": r"(?:[0-9A-Fa-f]{2}:){5}(?:(?:[0-9A-Fa-f]{2}:){6})?[0-9A-Fa-f]{2}",
    "path": r"[a-zA-Z0-9]*[:.]*(?:[/\\]+[^/\\\s\[\]]+)+[/\\]*",
    "hex": r"\b[0-9a-fA-F]{8}\b|\b[0-9a-fA-F]{10}\b",
    "user_host": r"\w[\w.]*@\w[\w.]*(?:-\w[\w.]*)?",
    "digit_token": r"[a-zA-Z.:\-_]*\d[a-zA-Z0-9.:\-_]*",
}
"""Placeholder rules in priority order (at one position the first rule that matches wins)."""

RULE_NAMES: tuple[str, ...] = (ELLIPSIS, *RULES)

_ELLIPSIS_RE = re.compile(r"\.{3,}")
_PIECE_CACHE_SIZE = 1 << 16


@dataclass
class MaskingConfig:
    """Which named rules are on (``RULE_NAMES``), extra user regexes and the placeholder.

    ``extra`` regexes are applied one after another before the built-in rules, each match replaced by
    ``placeholder``; the placeholder must be one token (non-empty, no whitespace).
    """

    rules: tuple[str, ...] = RULE_NAMES
    extra: tuple[str, ...] = ()
    placeholder: str = "<*>"

    def __post_init__(self) -> None:
        unknown = [name for name in self.rules if name not in RULE_NAMES]
        if unknown:
            raise ValueError(f"rules: unknown rule(s) {', '.join(unknown)}; known: {', '.join(RULE_NAMES)}")
        for i, pattern in enumerate(self.extra):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"extra[{i}]: {pattern!r} is not a valid regex: {exc}") from None
        if not self.placeholder or any(ch.isspace() for ch in self.placeholder):
            raise ValueError(f"placeholder must be one non-empty token, not {self.placeholder!r}")


class Masker:
    """Applies a ``MaskingConfig``: precompiled, the built-in rules as one alternation.

    No built-in rule but ``month_day`` matches a space, so when ``month_day`` finds nothing the alternation
    runs on each space-separated piece, with a bounded cache of pieces (most tokens repeat), which gives the
    same result as running it on the whole message, several times faster.
    """

    def __init__(self, config: MaskingConfig | None = None) -> None:
        self.config = config or MaskingConfig()
        self._replacement = self.config.placeholder.replace("\\", "\\\\")
        self._extra = tuple(re.compile(pattern) for pattern in self.config.extra)
        self._ellipsis = ELLIPSIS in self.config.rules
        combined = "|".join(f"(?:{pattern})" for name, pattern in RULES.items() if name in self.config.rules)
        self._rules = re.compile(combined) if combined else None
        self._month_day = re.compile(RULES["month_day"]) if "month_day" in self.config.rules else None
        if self._rules is not None:
            self._mask_piece = lru_cache(maxsize=_PIECE_CACHE_SIZE)(partial(self._rules.sub, self._replacement))

    def mask(self, message: str) -> str:
        """``message`` with every rule's matches replaced."""
        for pattern in self._extra:
            message = pattern.sub(self._replacement, message)
        if self._ellipsis and "..." in message:
            message = _ELLIPSIS_RE.sub(".. ", message)
        if self._rules is None:
            return message
        if self._month_day is not None and self._month_day.search(message):
            return self._rules.sub(self._replacement, message)
        return " ".join(map(self._mask_piece, message.split(" ")))
