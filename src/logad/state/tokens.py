"""Per-tenant bearer tokens from a mounted Kubernetes secret: one file per tenant, named after it, holding its token.

A tenant's file is read again whenever it changed: its identity (device, inode), mtime and size are compared on
every check, so both Kubernetes' rotation (the ``..data`` link swapped to a new folder: a new inode behind the
tenant's link) and a token rewritten in place (same inode, new mtime or size) take effect on the next request, and
the old token stops working. Hidden entries (``..data``, ``..2024_...``) are Kubernetes' bookkeeping, never tenants.
"""

from __future__ import annotations

import hmac
import stat
import time
from pathlib import Path

from logad.errors import ConfigError, LogadError

# A file whose mtime is this recent may change again within the filesystem's timestamp granularity without its
# mtime or size changing, so it is read again on the next check instead of trusted.
_RACY_NS = 2_000_000_000
Fingerprint = tuple[int, int, int, int]  # device, inode, mtime_ns, size


class AuthError(LogadError):
    """A request without the right bearer token for its tenant."""


class TenantTokens:
    """Checks a request's ``Authorization: Bearer <token>`` against its tenant's token; disabled without a folder."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._cache: dict[str, tuple[Fingerprint, bytes]] = {}  # tenant -> (its file's fingerprint, token)

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
        expected = self._token(self.directory, tenant)
        if expected is None:
            raise AuthError(f"tenant {tenant!r} has no token configured and is refused")
        if not hmac.compare_digest(presented.strip().encode("utf-8"), expected):
            raise AuthError(f"tenant {tenant!r}: wrong token")

    def _token(self, directory: Path, tenant: str) -> bytes | None:
        """The tenant's token, read again when its file changed since the last read (or may have: a recent mtime);
        None when it has no non-empty file."""
        if tenant.startswith(".") or "/" in tenant:
            return None
        path = directory / tenant
        try:
            info = path.stat()  # follows the tenant's link to the current ``..data`` folder
        except (FileNotFoundError, NotADirectoryError):
            self._cache.pop(tenant, None)
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        fingerprint = (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)
        cached = self._cache.get(tenant)
        if cached is not None and cached[0] == fingerprint and time.time_ns() - info.st_mtime_ns >= _RACY_NS:
            return cached[1]
        try:
            token = path.read_bytes().strip()
        except FileNotFoundError:  # its link's target went away mid-rotation: no token until the new one is there
            self._cache.pop(tenant, None)
            return None
        self._cache[tenant] = (fingerprint, token)
        return token or None
