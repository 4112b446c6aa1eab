"""Message templates: the wording of one message type, before and after a software upgrade."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Template:
    """One message type: its level, component and ``str.format`` wording with named fields.

    ``upgraded`` is the wording after a ``template_mutation`` drift (same fields, words renamed or
    added), or None when the upgrade leaves this message alone. For BGL, ``component`` holds the
    type and component (``RAS KERNEL``).
    """

    name: str
    level: str
    component: str
    text: str
    upgraded: str | None = None
    fields: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _field_names(self.text))
        if self.upgraded is not None and set(_field_names(self.upgraded)) != set(self.fields):
            raise ValueError(f"template {self.name}: the upgraded wording must use the same fields")

    def render(self, values: Mapping[str, object], upgraded: bool = False) -> str:
        """The message text with ``values`` filled in, in the upgraded wording when asked and defined."""
        text = self.upgraded if upgraded and self.upgraded is not None else self.text
        return text.format_map(values)


def _field_names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(text) if name))
