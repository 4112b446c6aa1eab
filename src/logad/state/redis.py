"""Redis state store: state shared by replicas on any node.

Keys: ``logad:{<namespace>}:tenant:<tenant>`` is a hash with ``version`` and ``data`` (the JSON text), and
``logad:{<namespace>}:tenants`` the set of the namespace's tenants. The braces are a Redis Cluster hash tag, so a
namespace's keys share one slot and the Lua scripts that touch two keys also run on a cluster. ``put`` and
``delete`` are Lua scripts, so each is one atomic step on the server.

Durability is the server's: a put that returned survives a crash only when the server runs with
``appendonly yes`` and ``appendfsync always`` (the AOF is synced before the reply).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from logad.errors import ConfigError
from logad.state.store import StateConflict, StateStore

if TYPE_CHECKING:
    from redis import Redis

_PUT = """
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if stored ~= tonumber(ARGV[1]) then
    return {0, stored}
end
redis.call('HSET', KEYS[1], 'version', stored + 1, 'data', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return {1, stored + 1}
"""
_DELETE = """
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""


def _text(value: bytes | str) -> str:
    """A reply as text, whether or not the client decodes responses."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RedisStateStore(StateStore):
    """Tenant state of ``namespace`` on the Redis server at a URL (closed by ``close``) or behind a client
    (left open: its owner closes it)."""

    def __init__(self, url_or_client: str | Redis, namespace: str) -> None:
        super().__init__(namespace)
        if isinstance(url_or_client, str):
            try:
                from redis import Redis
            except ImportError:
                raise ConfigError("the Redis state store needs the 'redis' package: pip install redis") from None
            try:
                self._client = Redis.from_url(url_or_client)
            except ValueError as exc:
                raise ConfigError(f"Redis state store URL is invalid: {exc}") from None
        else:
            self._client = url_or_client
        self._owned = isinstance(url_or_client, str)
        self._prefix = f"logad:{{{self.namespace}}}"
        self._set_key = f"{self._prefix}:tenants"
        self._put_script = self._client.register_script(_PUT)
        self._delete_script = self._client.register_script(_DELETE)

    def _key(self, tenant: str) -> str:
        return f"{self._prefix}:tenant:{tenant}"

    def _get(self, tenant: str) -> tuple[int, str] | None:
        version, data = self._client.hmget(self._key(tenant), ["version", "data"])
        return None if version is None or data is None else (int(version), _text(data))

    def _put(self, tenant: str, text: str, expected_version: int) -> int:
        ok, version = self._put_script(keys=[self._key(tenant), self._set_key], args=[expected_version, text, tenant])
        if not ok:
            raise StateConflict(tenant, expected_version, int(version))
        return int(version)

    def _delete(self, tenant: str) -> bool:
        return bool(self._delete_script(keys=[self._key(tenant), self._set_key], args=[tenant]))

    def _tenants(self) -> list[str]:
        return [_text(member) for member in self._client.smembers(self._set_key)]

    def close(self) -> None:
        if self._owned:
            self._client.close()
