"""Redis store (redis-py): a hash per session, a set of session ids per user.

``<prefix><sid>`` is a hash with one field per top-level session key, so a change is ``HSET`` /
``HDEL`` of the changed fields plus ``EXPIRE`` in one pipelined round trip, and concurrent
requests changing different keys all land. A load is ``HGETALL`` + ``PTTL`` in one round trip.
Each operation is written once as a plan (:class:`RedisPlans`, see :mod:`.plans`) for the sync
and the async form.
``<prefix>user:<user id>`` is the set of that user's session ids. Works with ``Redis``,
``RedisCluster`` (no command spans two keys of different slots) and a Sentinel-managed master
(``Sentinel.master_for(...)``). Flask-Session 0.8 wrote ``<prefix><sid>`` as a string (msgpack
or JSON): a load that meets one returns it as a legacy record.
"""

from __future__ import annotations

import secrets
import time
import typing as t

from .base import KEEP, AsyncStore, Changes, Loaded, StoreError, backoff_delays
from .plans import Batch, Plan, PlannedAsyncStore, PlannedStore, Plans, Sleep
from .resp import AsyncRespPool, RespProtocolError, pool_for

try:
    import redis
    import redis.asyncio as aredis
    from redis.backoff import NoBackoff
    from redis.cluster import RedisCluster
    from redis.exceptions import RedisError
    from redis.retry import Retry
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError('The redis session store needs redis-py: pip install "erlen[redis]"') from e

# NOTE: delete the lock only if it is still ours (it may have expired and been retaken).
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


def decode_legacy(raw: bytes) -> dict[str, t.Any] | None:
    """A session Flask-Session 0.8 stored (msgpack, or JSON), or None if it is neither.

    SECURITY: never pickle (Flask-Session's last fallback): such a session is dropped.
    """
    import json

    try:
        value = json.loads(raw)
    except ValueError:
        try:
            import msgpack
        except ImportError:
            return None
        try:
            value = msgpack.unpackb(raw, raw=False, strict_map_key=False)
        except Exception:
            return None
    return value if isinstance(value, dict) else None


def client_from_url(url: str, timeout: float, cluster: bool = False) -> t.Any:
    """A client whose every call is bounded by ``timeout`` and which never retries."""
    kwargs: dict[str, t.Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if cluster:
        return RedisCluster.from_url(url, **kwargs)
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), **kwargs)


class _Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def session(self, sid: str) -> str:
        return self.prefix + sid

    def user(self, user: str) -> str:
        return f"{self.prefix}user:{user}"

    def lock(self, sid: str) -> str:
        return f"{self.prefix}lock:{sid}"


def _text(value: t.Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _fields(reply: t.Any) -> dict[str, str]:
    """``HGETALL``'s reply: a dict (redis-py) or a flat list of names and values (RESP)."""
    pairs = reply.items() if isinstance(reply, dict) else zip(reply[::2], reply[1::2], strict=True)
    return {_text(k): _text(v) for k, v in pairs}


def _checked(replies: list[t.Any]) -> list[t.Any]:
    for reply in replies:
        if isinstance(reply, Exception):
            raise StoreError(f"redis: {reply}")
    return replies


# NOTE: a write to a session only if it exists, in one atomic step: a session revoked or
# expired meanwhile is never brought back with part of its data.
_PATCH_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[2])
for i = 0, n - 1 do redis.call('hset', KEYS[1], ARGV[3 + 2 * i], ARGV[4 + 2 * i]) end
for i = 3 + 2 * n, #ARGV do redis.call('hdel', KEYS[1], ARGV[i]) end
redis.call('expire', KEYS[1], ARGV[1])
return 1
"""


def _patch_args(changes: Changes, ttl: int) -> list[t.Any]:
    sets = [(k, v) for k, v in changes.items() if v is not None]
    args: list[t.Any] = [ttl, len(sets)]
    for k, v in sets:
        args += [k, v]
    return args + [k for k, v in changes.items() if v is None]


class RedisPlans(Plans):
    """Every operation of the Redis store, once, for its sync and async forms.

    PERF: each operation is one pipeline, one round trip (a load: ``HGETALL`` + ``PTTL``; a
    change: ``HSET``/``HDEL``/``EXPIRE`` and the user index), and :meth:`Plans.run` merges a
    request's writes (a login's new session and old id's delete) into one.
    """

    def __init__(self, prefix: str, cluster: bool) -> None:
        self.keys = _Keys(prefix)
        self.cluster = cluster

    def load(self, sid: str) -> Plan[Loaded | None]:
        key = self.keys.session(sid)
        fields, pttl = yield Batch([("HGETALL", key), ("PTTL", key)])
        if isinstance(fields, Exception):  # WRONGTYPE: a string Flask-Session wrote
            raw, pttl = _checked((yield Batch([("GET", key), ("PTTL", key)])))
            data = decode_legacy(raw) if raw else None
            if data is None:
                return None
            return Loaded(data, time.time() + max(pttl, 0) / 1000, legacy=True)
        _checked([pttl])
        if not fields:
            return None
        return Loaded(_fields(fields), time.time() + (pttl / 1000 if pttl > 0 else 0))

    def apply(
        self, sid: str, changes: Changes, ttl: int, user: str | None, replace: bool
    ) -> Plan[None]:
        key = self.keys.session(sid)
        commands: list[t.Any] = [("DEL", key)] if replace else []
        sets = [x for k, v in changes.items() if v is not None for x in (k, v)]
        if sets:
            commands.append(("HSET", key, *sets))
        dels = [k for k, v in changes.items() if v is None]
        if dels and not replace:
            commands.append(("HDEL", key, *dels))
        commands.append(("EXPIRE", key, ttl))
        if user is not KEEP and user is not None:
            ukey = self.keys.user(user)
            commands += [("SADD", ukey, sid), ("EXPIRE", ukey, ttl)]
        # NOTE: a transaction only where a reader must never see the record half-replaced; a
        # cluster pipeline cannot hold one, and single-field writes are atomic anyway.
        _checked((yield Batch(commands, replace and not self.cluster)))

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> Plan[bool]:
        key = self.keys.session(sid)
        command = ("EVAL", _PATCH_IF_EXISTS, 1, key, *_patch_args(changes, ttl))
        (done,) = _checked((yield Batch([command])))
        return bool(done)

    def delete(self, sid: str, user: str | None) -> Plan[None]:
        commands: list[t.Any] = [("DEL", self.keys.session(sid))]
        if user is not None:
            commands.append(("SREM", self.keys.user(user), sid))
        _checked((yield Batch(commands)))

    def touch(self, sid: str, ttl: int) -> Plan[None]:
        _checked((yield Batch([("EXPIRE", self.keys.session(sid), ttl)])))

    def revoke_user(self, user: str) -> Plan[int]:
        ukey = self.keys.user(user)
        (members,) = _checked((yield Batch([("SMEMBERS", ukey)])))
        # NOTE: one key per DEL: in a cluster they live on other slots.
        commands = [("DEL", self.keys.session(_text(s))) for s in members]
        replies = _checked((yield Batch([*commands, ("DEL", ukey)])))
        return sum(int(n) for n in replies[:-1])

    def acquire(self, sid: str, timeout: float) -> Plan[str]:
        key, token = self.keys.lock(sid), secrets.token_hex(16)
        # NOTE: the lock expires by itself, so a crashed holder frees it.
        px = int(max(timeout, 1) * 10_000)
        delays = backoff_delays(timeout)
        while True:
            (taken,) = _checked((yield Batch([("SET", key, token, "NX", "PX", px)])))
            if taken:
                return token
            delay = next(delays, None)
            if delay is None:
                raise StoreError(f"session lock not acquired within {timeout}s")
            yield Sleep(delay)

    def release(self, sid: str, token: t.Any) -> Plan[None]:
        yield Batch([("EVAL", _RELEASE, 1, self.keys.lock(sid), token)])


_ERRORS = (RedisError, OSError, RespProtocolError)


class RedisStore(PlannedStore):
    """Sessions in Redis with a sync redis-py client (``Redis``, ``RedisCluster``, Sentinel).

    PERF: for a plain ``redis.Redis`` over TCP or a Unix socket the pipelines go through
    :mod:`.resp` (the same server and settings, a fraction of redis-py's per-call cost);
    every other client runs them as redis-py pipelines.
    """

    native_expiry = True

    def __init__(self, client: t.Any, prefix: str = "session:") -> None:
        self.client = client
        self.keys = _Keys(prefix)
        self.cluster = isinstance(client, RedisCluster)
        self.plans = RedisPlans(prefix, self.cluster)
        self._fast = pool_for(client)

    def execute(self, batch: Batch) -> list[t.Any]:
        try:
            if self._fast is not None:
                return self._fast.execute(batch.commands, batch.transaction)
            pipe = self.client.pipeline(transaction=batch.transaction)
            for command in batch.commands:
                pipe.execute_command(*command)
            return t.cast("list[t.Any]", pipe.execute(raise_on_error=False))
        except _ERRORS as e:
            raise StoreError(f"redis: {e}") from e

    def close(self) -> None:
        if self._fast is not None:
            self._fast.close()
        self.client.close()

    def async_form(self) -> AsyncStore:
        fast = AsyncRespPool(self._fast) if self._fast is not None else None
        return AsyncRedisStore(async_client_like(self.client), self.keys.prefix, fast)


_ASYNC_KWARGS = (
    "host", "port", "path", "db", "username", "password", "socket_timeout",
    "socket_connect_timeout", "decode_responses",
)  # fmt: skip


def async_client_like(client: t.Any) -> t.Any:
    """A ``redis.asyncio`` client that reaches the same server(s) as ``client``."""
    if isinstance(client, RedisCluster):
        node = client.get_default_node()
        kw = client.nodes_manager.connection_kwargs
        return aredis.RedisCluster(
            host=node.host,
            port=node.port,
            socket_timeout=kw.get("socket_timeout"),
            socket_connect_timeout=kw.get("socket_connect_timeout"),
        )
    pool = client.connection_pool
    if hasattr(pool, "sentinel_manager"):  # a Sentinel's master_for(...)
        from redis.asyncio.sentinel import Sentinel

        manager = pool.sentinel_manager
        addresses = [
            (
                s.connection_pool.connection_kwargs["host"],
                s.connection_pool.connection_kwargs["port"],
            )
            for s in manager.sentinels
        ]
        timeouts = {k: pool.connection_kwargs.get(k) for k in _ASYNC_KWARGS[6:8]}
        sentinel = Sentinel(addresses, **manager.sentinel_kwargs)
        master = sentinel.master_for(
            pool.service_name, **{k: v for k, v in timeouts.items() if v is not None}
        )
        master.erlen_also_close = sentinel.sentinels  # NOTE: their connections, on aclose
        return master
    given = pool.connection_kwargs
    # NOTE: only what says where the server is and how long to wait; the rest of a sync
    # pool's settings have no async counterpart.
    kwargs = {k: given[k] for k in _ASYNC_KWARGS if given.get(k) is not None}
    if "path" in kwargs:
        kwargs["unix_socket_path"] = kwargs.pop("path")
    from redis.asyncio.retry import Retry as AsyncRetry

    return aredis.Redis(retry=AsyncRetry(NoBackoff(), 0), **kwargs)


class AsyncRedisStore(PlannedAsyncStore):
    """The same plans as :class:`RedisStore`, run through :class:`.resp.AsyncRespPool` where
    the sync store has the fast path, else as ``redis.asyncio`` pipelines."""

    def __init__(
        self, client: t.Any, prefix: str = "session:", fast: AsyncRespPool | None = None
    ) -> None:
        self.client = client
        self.keys = _Keys(prefix)
        self.cluster = isinstance(client, aredis.RedisCluster)
        self.plans = RedisPlans(prefix, self.cluster)
        self._fast = fast

    async def execute(self, batch: Batch) -> list[t.Any]:
        try:
            if self._fast is not None:
                return await self._fast.execute(batch.commands, batch.transaction)
            pipe = self.client.pipeline(transaction=batch.transaction)
            for command in batch.commands:
                pipe.execute_command(*command)
            return t.cast("list[t.Any]", await pipe.execute(raise_on_error=False))
        except _ERRORS as e:
            raise StoreError(f"redis: {e}") from e

    async def aclose(self) -> None:
        if self._fast is not None:
            await self._fast.aclose()
        await self.client.aclose()
        for other in getattr(self.client, "erlen_also_close", ()):
            await other.aclose()
