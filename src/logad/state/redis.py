"""Redis state store: state shared by replicas on any node.

Keys: ``logad:{<namespace>}:tenant:<tenant>`` is a hash with ``version`` and ``data`` (the JSON text) and the
bounds of the tenant's decision log (``log_first`` and ``log_next`` seq), ``logad:{<namespace>}:tenants`` the set of
the namespace's tenants. The log is two hashes: ``...:log:<tenant>`` (seq -> record) and ``...:logindex:<tenant>``
(window -> seq of its latest record). Open windows are the hash ``...:win:<tenant>`` (window -> row: its metadata,
with ``count``, the events stored) with sorted sets indexing them by ``seen`` (all), ``last`` (those with a
timestamp), ``seen`` of those without one (``winuntimed``) and ``wall``; their events are stored append-only in
chunks, the hash ``...:winevents:<tenant>`` (``<window>:<n>`` -> the JSON list of chunk n) with
``...:winchunks:<tenant>`` (window -> how many chunks it has), so a request that adds events to a window writes only
those. The braces are a Redis Cluster hash tag, so a namespace's keys share one slot and the Lua scripts that touch
several keys also run on a cluster. ``put``, ``delete`` and the reads of open windows are Lua scripts, so each is one
atomic step on the server: the compare-and-set and the appends' counts are checked before anything is written.

Durability is the server's: a put that returned survives a crash only when the server runs with
``appendonly yes`` and ``appendfsync always`` (the AOF is synced before the reply).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from logad.errors import ConfigError
from logad.state.decision_log import DEFAULT_DECISION_LOG_SIZE, LogWrite
from logad.state.open_windows import StoredRow, WindowQuery, append_mismatch
from logad.state.store import RowWrite, StateConflict, StateStore, StoreUnavailable

if TYPE_CHECKING:
    from redis import Redis

# A row's stored event count, nil when it has none (written before events were stored apart, or malformed).
_COUNTED = """
local function counted(row)
    local ok, meta = pcall(cjson.decode, row or '')
    if ok and type(meta) == 'table' and type(meta['count']) == 'number' then
        return meta['count']
    end
    return nil
end
"""
# KEYS: state, tenants, log, log index, then the open windows' hash, their seen, last, untimed and wall sorted sets,
# their chunk counts and their chunks. ARGV: expected version, data, tenant, log bound, number of amended records,
# number of log arguments, then the log's (window, record) pairs (the amended ones first, then those to append), the
# number of rows to delete, their ids, then (window, seen, last or '', wall or '', row, kept, events or '') of each
# row to write. Returns {1, version}, {0, stored version} (a conflict) or {2, window, its stored count or ''} (an
# append after another count than the stored one): nothing is written unless 1.
_PUT = (
    _COUNTED
    + """
local amend_end = 7 + 2 * tonumber(ARGV[5])
local log_end = 7 + tonumber(ARGV[6])
local rows_start = log_end + 1 + tonumber(ARGV[log_end])
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if stored ~= tonumber(ARGV[1]) then
    return {0, stored}
end
for i = rows_start, #ARGV, 7 do
    if ARGV[i + 5] ~= '0' then
        local count = counted(redis.call('HGET', KEYS[5], ARGV[i]))
        if count ~= tonumber(ARGV[i + 5]) then
            return {2, ARGV[i], count and tostring(count) or ''}
        end
    end
end
local function clear_events(window)
    local chunks = tonumber(redis.call('HGET', KEYS[10], window) or '0')
    for n = 0, chunks - 1 do
        redis.call('HDEL', KEYS[11], window .. ':' .. n)
    end
    redis.call('HDEL', KEYS[10], window)
end
redis.call('HSET', KEYS[1], 'version', stored + 1, 'data', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
for i = 7, amend_end - 1, 2 do
    local seq = redis.call('HGET', KEYS[4], ARGV[i])
    if seq then
        redis.call('HSET', KEYS[3], seq, ARGV[i + 1])
    end
end
local first = tonumber(redis.call('HGET', KEYS[1], 'log_first') or '1')
local next_seq = tonumber(redis.call('HGET', KEYS[1], 'log_next') or '1')
for i = amend_end, log_end - 1, 2 do
    redis.call('HSET', KEYS[3], next_seq, ARGV[i + 1])
    redis.call('HSET', KEYS[4], ARGV[i], next_seq)
    next_seq = next_seq + 1
end
while next_seq - first > tonumber(ARGV[4]) do
    local dropped = redis.call('HGET', KEYS[3], first)
    local window = cjson.decode(dropped)['window']
    if tonumber(redis.call('HGET', KEYS[4], window)) == first then
        redis.call('HDEL', KEYS[4], window)
    end
    redis.call('HDEL', KEYS[3], first)
    first = first + 1
end
redis.call('HSET', KEYS[1], 'log_first', first, 'log_next', next_seq)
for i = log_end + 1, rows_start - 1 do
    redis.call('HDEL', KEYS[5], ARGV[i])
    for k = 6, 9 do
        redis.call('ZREM', KEYS[k], ARGV[i])
    end
    clear_events(ARGV[i])
end
for i = rows_start, #ARGV, 7 do
    local window = ARGV[i]
    redis.call('HSET', KEYS[5], window, ARGV[i + 4])
    redis.call('ZADD', KEYS[6], ARGV[i + 1], window)
    if ARGV[i + 2] == '' then
        redis.call('ZREM', KEYS[7], window)
        redis.call('ZADD', KEYS[8], ARGV[i + 1], window)
    else
        redis.call('ZADD', KEYS[7], ARGV[i + 2], window)
        redis.call('ZREM', KEYS[8], window)
    end
    if ARGV[i + 3] == '' then
        redis.call('ZREM', KEYS[9], window)
    else
        redis.call('ZADD', KEYS[9], ARGV[i + 3], window)
    end
    if ARGV[i + 5] == '0' then
        clear_events(window)
    end
    if ARGV[i + 6] ~= '' then
        local chunks = tonumber(redis.call('HGET', KEYS[10], window) or '0')
        redis.call('HSET', KEYS[11], window .. ':' .. chunks, ARGV[i + 6])
        redis.call('HSET', KEYS[10], window, chunks + 1)
    end
end
return {1, stored + 1}
"""
)
# KEYS: the open windows' hash, their seen, last, untimed and wall sorted sets, their chunk counts and their chunks.
# ARGV: every ('1' or '0'), last, seen and wall bounds ('' for none), how many oldest, full_at_count ('' for none),
# then ids. Returns {window, row, '1', chunk, ...} (with its events) or {window, row, '0'} (without) per row.
_OPEN_WINDOWS = (
    _COUNTED
    + """
local chosen, order = {}, {}
local function add_one(window, full)
    if chosen[window] == nil then
        table.insert(order, window)
    end
    chosen[window] = chosen[window] or full
end
local function add(windows)
    for _, window in ipairs(windows) do
        add_one(window, true)
    end
end
if ARGV[1] == '1' then
    add(redis.call('HKEYS', KEYS[1]))
end
for i = 7, #ARGV do
    add_one(ARGV[i], false)
end
local bounds = {{KEYS[3], ARGV[2]}, {KEYS[4], ARGV[3]}, {KEYS[5], ARGV[4]}}
for _, bound in ipairs(bounds) do
    if bound[2] ~= '' then
        add(redis.call('ZRANGEBYSCORE', bound[1], '-inf', bound[2]))
    end
end
if tonumber(ARGV[5]) > 0 then
    add(redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[5]) - 1))
end
local found = {}
for _, window in ipairs(order) do
    local row = redis.call('HGET', KEYS[1], window)
    if row then
        local count = counted(row)
        local full = chosen[window] or count == nil or (ARGV[6] ~= '' and count >= tonumber(ARGV[6]))
        local entry = {window, row, full and '1' or '0'}
        local chunks = full and tonumber(redis.call('HGET', KEYS[6], window) or '0') or 0
        for n = 0, chunks - 1 do
            table.insert(entry, redis.call('HGET', KEYS[7], window .. ':' .. n) or '')
        end
        table.insert(found, entry)
    end
end
return found
"""
)
# Reads are scripts too, so a record is never read half-way through a put that trims or amends it.
_DECISION = """
local seq = redis.call('HGET', KEYS[2], ARGV[1])
if not seq then
    return false
end
return {seq, redis.call('HGET', KEYS[1], seq)}
"""
# KEYS: state, log. ARGV: limit, before (0: none). Returns seq, record, seq, record, ... newest first.
_DECISIONS = """
local bounds = redis.call('HMGET', KEYS[1], 'log_first', 'log_next')
if not bounds[1] then
    return {}
end
local newest = tonumber(bounds[2]) - 1
if tonumber(ARGV[2]) > 0 then
    newest = math.min(newest, tonumber(ARGV[2]) - 1)
end
local found = {}
for seq = newest, math.max(tonumber(bounds[1]), newest - tonumber(ARGV[1]) + 1), -1 do
    table.insert(found, seq)
    table.insert(found, redis.call('HGET', KEYS[2], seq))
end
return found
"""
_DELETE = """
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', unpack(KEYS, 3))
return redis.call('DEL', KEYS[1])
"""


# A server that does not answer fails a request after these many seconds instead of hanging it (URL options such as
# ``?socket_timeout=`` override them).
_TIMEOUTS = {"socket_connect_timeout": 5.0, "socket_timeout": 30.0}
_WINDOW_KEYS = ("win", "winseen", "winlast", "winuntimed", "winwall", "winchunks", "winevents")
Params = ParamSpec("Params")
Returned = TypeVar("Returned")


def _reachable(method: Callable[Params, Returned]) -> Callable[Params, Returned]:
    """``method`` with the client's connection errors and timeouts raised as StoreUnavailable (a 503, not a 500)."""

    @wraps(method)
    def call(*args: Params.args, **kwargs: Params.kwargs) -> Returned:
        from redis.exceptions import ConnectionError, TimeoutError

        try:
            return method(*args, **kwargs)
        except (ConnectionError, TimeoutError) as exc:
            raise StoreUnavailable(f"the Redis state store is unreachable ({exc})") from exc

    return call


def _score(value: float | None) -> str:
    """A sorted-set score as the scripts take it ('' for none); ``repr`` keeps a float exact."""
    return "" if value is None else repr(value)


def _text(value: bytes | str) -> str:
    """A reply as text, whether or not the client decodes responses."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RedisStateStore(StateStore):
    """Tenant state of ``namespace`` on the Redis server at a URL (closed by ``close``) or behind a client
    (left open: its owner closes it)."""

    def __init__(
        self, url_or_client: str | Redis, namespace: str, decision_log_size: int = DEFAULT_DECISION_LOG_SIZE
    ) -> None:
        super().__init__(namespace, decision_log_size)
        if isinstance(url_or_client, str):
            try:
                from redis import Redis
            except ImportError:
                raise ConfigError("the Redis state store needs the 'redis' package: pip install redis") from None
            try:
                self._client = Redis.from_url(url_or_client, **_TIMEOUTS)
            except ValueError as exc:
                raise ConfigError(f"Redis state store URL is invalid: {exc}") from None
        else:
            self._client = url_or_client
        self._owned = isinstance(url_or_client, str)
        self._prefix = f"logad:{{{self.namespace}}}"
        self._set_key = f"{self._prefix}:tenants"
        self._put_script = self._client.register_script(_PUT)
        self._delete_script = self._client.register_script(_DELETE)
        self._decision_script = self._client.register_script(_DECISION)
        self._decisions_script = self._client.register_script(_DECISIONS)
        self._open_windows_script = self._client.register_script(_OPEN_WINDOWS)

    def _keys(self, tenant: str) -> list[str]:
        """The tenant's state hash, the tenants set, the tenant's log and its window index, then its open windows'
        hash, their seen, last, untimed and wall sorted sets, their chunk counts and their chunks."""
        prefix = self._prefix
        return [
            f"{prefix}:tenant:{tenant}",
            self._set_key,
            f"{prefix}:log:{tenant}",
            f"{prefix}:logindex:{tenant}",
            *(f"{prefix}:{part}:{tenant}" for part in _WINDOW_KEYS),
        ]

    @_reachable
    def _get(self, tenant: str) -> tuple[int, str] | None:
        version, data = self._client.hmget(self._keys(tenant)[0], ["version", "data"])
        return None if version is None or data is None else (int(version), _text(data))

    @_reachable
    def _put(self, tenant: str, text: str, expected_version: int, log: LogWrite, rows: RowWrite) -> int:
        pairs = [part for pair in (*log.amend, *log.append) for part in pair]
        written = [
            part
            for row in rows.put
            for part in (row.window, row.seen, _score(row.last), _score(row.wall), row.text, row.kept, row.events or "")
        ]
        args = [expected_version, text, tenant, self.decision_log_size, len(log.amend), len(pairs), *pairs]
        args += [len(rows.delete), *rows.delete, *written]
        outcome, *found = self._put_script(keys=self._keys(tenant), args=args)
        if outcome == 0:
            raise StateConflict(tenant, expected_version, int(found[0]))
        if outcome == 2:
            window, count = _text(found[0]), _text(found[1])
            kept = next(row.kept for row in rows.put if row.window == window)
            raise append_mismatch(tenant, window, kept, int(float(count)) if count else None)
        return int(found[0])

    @_reachable
    def _open_windows(self, tenant: str, query: WindowQuery) -> dict[str, StoredRow]:
        bounds = [_score(query.last_up_to), _score(query.seen_up_to), _score(query.wall_up_to)]
        full_at = "" if query.full_at_count is None else query.full_at_count
        args = ["1" if query.every else "0", *bounds, query.oldest, full_at, *dict.fromkeys(query.ids)]
        found = self._open_windows_script(keys=self._keys(tenant)[4:], args=args)
        return {
            _text(window): StoredRow(_text(row), [_text(c) for c in chunks] if _text(full) == "1" else None)
            for window, row, full, *chunks in found
        }

    @_reachable
    def _decision(self, tenant: str, window: str) -> tuple[int, str] | None:
        _, _, log, index = self._keys(tenant)[:4]
        found = self._decision_script(keys=[log, index], args=[window])
        return None if not found else (int(found[0]), _text(found[1]))

    @_reachable
    def _decisions(self, tenant: str, limit: int, before: int | None) -> list[tuple[int, str]]:
        state, _, log, _ = self._keys(tenant)[:4]
        found = self._decisions_script(keys=[state, log], args=[limit, before or 0])
        return [(int(found[i]), _text(found[i + 1])) for i in range(0, len(found), 2)]

    @_reachable
    def _delete(self, tenant: str) -> bool:
        return bool(self._delete_script(keys=self._keys(tenant), args=[tenant]))

    @_reachable
    def _tenants(self) -> list[str]:
        return [_text(member) for member in self._client.smembers(self._set_key)]

    @_reachable
    def _ping(self) -> None:
        self._client.ping()

    def close(self) -> None:
        if self._owned:
            self._client.close()
