"""Whether an object already holds what the operator wants in it (the API server may add defaulted fields)."""

from __future__ import annotations

from typing import Any


def contains(actual: Any, desired: Any) -> bool:
    """True when every field of ``desired`` is in ``actual`` with the same value.

    Mappings may hold more keys; lists must match item by item; a desired ``None`` matches an absent field.
    """
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(contains(actual.get(key), value) for key, value in desired.items())
    if isinstance(desired, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(desired)
            and all(contains(a, d) for a, d in zip(actual, desired, strict=True))
        )
    return actual == desired


def without_none(value: Any) -> Any:
    """``value`` without the ``None`` fields that mean "absent" in a merge patch (for creating an object)."""
    if isinstance(value, dict):
        return {key: without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_none(item) for item in value]
    return value
