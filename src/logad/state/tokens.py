"""Per-tenant bearer tokens from a mounted Kubernetes secret: one file per tenant, named after it, holding its token.

The folder is re-read when its mtime changes, as it does when Kubernetes swaps the secret's ``..data`` link on
rotation (a token rewritten in place, without touching the folder, is not noticed). Hidden entries (``..data``,
``..2024_...``) are Kubernetes' bookkeeping and are skipped.
"""

from __future__ import annotations

import hmac
import os
import time
from pathlib import Path

from logad.errors import ConfigError, LogadError

# A folder whose mtime is this recent may change again within the filesystem's timestamp granularity without its
# mtime changing, so it is read again on the next check instead of trusted.
_RACY_NS = 2_000_000_000


class AuthError(LogadError):
    """A request without the right bearer token for its tenant."""


def _read_tokens(directory: Path) -> dict[str, bytes]:
    """Tenant -> token of the non-empty, non-hidden files in ``directory`` (links followed); {} when it is gone."""
    tokens: dict[str, bytes] = {}
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return tokens
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_file():
            continue
        try:
            token = Path(entry.path).read_bytes().strip()
        except FileNotFoundError:  # its link's target went away mid-rotation: the folder's new mtime rereads it
            continue
        if token:
            tokens[entry.name] = token
    return tokens


class TenantTokens:
    """Checks a request's ``Authorization: Bearer <token>`` against its tenant's token; disabled without a folder."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._cache: tuple[int | None, dict[str, bytes]] = (None, {})  # (folder mtime, tokens), swapped as one

    @classmethod
    def from_dir(cls, path: Path | None) -> TenantTokens:
        """Tokens from the folder ``path`` (ConfigError when it is not one), or disabled when ``path`` is None."""
        if path is not None and not Path(path).is_dir():
            raise ConfigError(f"tenant token folder {path} does not exist or is not a folder")
        return cls(None if path is None else Path(path))

    @property
    def enabled(self) -> bool:
        """Whether requests need a token."""
        return self.directory is not None

    def check(self, tenant: str, authorization: str | None) -> None:
        """Pass when disabled or when ``authorization`` is ``Bearer <tenant's token>``; AuthError otherwise."""
        if self.directory is None:
            return
        if not authorization:
            raise AuthError(f"tenant {tenant!r}: missing Authorization header (expected 'Bearer <token>')")
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise AuthError(f"tenant {tenant!r}: Authorization header is not 'Bearer <token>'")
        expected = self._current(self.directory).get(tenant)
        if expected is None:
            raise AuthError(f"tenant {tenant!r} has no token configured and is refused")
        if not hmac.compare_digest(presented.strip().encode("utf-8"), expected):
            raise AuthError(f"tenant {tenant!r}: wrong token")

    def _current(self, directory: Path) -> dict[str, bytes]:
        """The tokens, read again when the folder changed since the last read (or may have, its mtime being recent)."""
        try:
            mtime_ns = directory.stat().st_mtime_ns
        except FileNotFoundError:
            mtime_ns = None
        cached_ns, tokens = self._cache
        if mtime_ns != cached_ns or mtime_ns is None or time.time_ns() - mtime_ns < _RACY_NS:
            tokens = _read_tokens(directory)
            self._cache = (mtime_ns, tokens)
        return tokens
