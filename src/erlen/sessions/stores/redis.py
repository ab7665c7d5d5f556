"""Redis store (redis-py): a hash per session, a set of session ids per user.

``<prefix><sid>`` is a hash with one field per top-level session key, so a change is ``HSET`` /
``HDEL`` of the changed fields plus ``PEXPIRE`` in one pipelined round trip, and concurrent
requests changing different keys all land. A load is ``HGETALL`` + ``PTTL`` in one round trip.
``<prefix>user:<user id>`` is the set of that user's session ids. Works with ``Redis``,
``RedisCluster`` (no command spans two keys of different slots) and a Sentinel-managed master
(``Sentinel.master_for(...)``). Flask-Session 0.8 wrote ``<prefix><sid>`` as a string (msgpack
or JSON): a load that meets one returns it as a legacy record.
"""

from __future__ import annotations

import contextlib
import secrets
import time
import typing as t

from .base import KEEP, AsyncStore, Changes, Loaded, Store, StoreError, backoff_delays

try:
    import redis
    import redis.asyncio as aredis
    from redis.backoff import NoBackoff
    from redis.cluster import RedisCluster
    from redis.exceptions import RedisError, ResponseError
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


def _queue_apply(
    store: t.Any, sid: str, changes: Changes, ttl: int, user: str | None, replace: bool
) -> t.Any:
    """A pipeline (sync or async client alike) holding one change of :meth:`Store.apply`."""
    key = store.keys.session(sid)
    sets = {k: v for k, v in changes.items() if v is not None}
    dels = [k for k, v in changes.items() if v is None]
    # NOTE: a transaction only where a reader must never see the record half-replaced; a
    # cluster pipeline cannot hold one, and single-field writes are atomic anyway.
    pipe = store.client.pipeline(transaction=replace and not store.cluster)
    if replace:
        pipe.delete(key)
    if sets:
        pipe.hset(key, mapping=sets)
    if dels and not replace:
        pipe.hdel(key, *dels)
    pipe.expire(key, ttl)
    if user is not KEEP and user is not None:
        pipe.sadd(store.keys.user(user), sid).expire(store.keys.user(user), ttl)
    return pipe


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


def _loaded(results: list[t.Any]) -> Loaded | None | bytes:
    fields, pttl = results
    if isinstance(fields, ResponseError):  # WRONGTYPE: a Flask-Session string
        return b""
    if not fields:
        return None
    expires = time.time() + (pttl / 1000 if pttl and pttl > 0 else 0)
    return Loaded({_text(k): _text(v) for k, v in fields.items()}, expires)


class RedisStore(Store):
    native_expiry = True

    def __init__(self, client: t.Any, prefix: str = "session:") -> None:
        self.client = client
        self.keys = _Keys(prefix)
        self.cluster = isinstance(client, RedisCluster)
        self._patch = client.register_script(_PATCH_IF_EXISTS)

    def load(self, sid: str) -> Loaded | None:
        key = self.keys.session(sid)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hgetall(key).pttl(key)
            rv = _loaded(pipe.execute(raise_on_error=False))
            if rv == b"":
                raw = self.client.get(key)
                data = decode_legacy(raw) if raw else None
                if data is None:
                    return None
                pttl = self.client.pttl(key)
                return Loaded(data, time.time() + max(pttl, 0) / 1000, legacy=True)
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e
        return t.cast("Loaded | None", rv)

    def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        try:
            pipe = _queue_apply(self, sid, changes, ttl, user, replace)
            pipe.execute()
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        try:
            key = self.keys.session(sid)
            return bool(self._patch(keys=[key], args=_patch_args(changes, ttl)))
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    def delete(self, sid: str, user: str | None = None) -> None:
        try:
            self.client.delete(self.keys.session(sid))
            if user is not None:
                self.client.srem(self.keys.user(user), sid)
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    def touch(self, sid: str, ttl: int) -> None:
        try:
            self.client.expire(self.keys.session(sid), ttl)
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    def revoke_user(self, user: str) -> int:
        try:
            ukey = self.keys.user(user)
            sids = [_text(s) for s in self.client.smembers(ukey)]
            n = 0
            for sid in sids:  # NOTE: one key per DEL: in a cluster they live on other slots
                n += self.client.delete(self.keys.session(sid))
            self.client.delete(ukey)
            return n
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    @contextlib.contextmanager
    def lock(self, sid: str, timeout: float) -> t.Iterator[None]:
        key, token = self.keys.lock(sid), secrets.token_hex(16)
        # NOTE: the lock expires by itself, so a crashed holder frees it.
        px = int(max(timeout, 1) * 10_000)
        try:
            delays = backoff_delays(timeout)
            while not self.client.set(key, token, nx=True, px=px):
                delay = next(delays, None)
                if delay is None:
                    raise StoreError(f"session lock not acquired within {timeout}s")
                time.sleep(delay)
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e
        try:
            yield
        finally:
            with contextlib.suppress(RedisError):
                self.client.eval(_RELEASE, 1, key, token)

    def close(self) -> None:
        self.client.close()

    def async_form(self) -> AsyncStore:
        return AsyncRedisStore(async_client_like(self.client), self.keys.prefix)


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


class AsyncRedisStore(AsyncStore):
    """The same layout as :class:`RedisStore`, with ``redis.asyncio``."""

    def __init__(self, client: t.Any, prefix: str = "session:") -> None:
        self.client = client
        self.keys = _Keys(prefix)
        self.cluster = isinstance(client, aredis.RedisCluster)
        self._patch = client.register_script(_PATCH_IF_EXISTS)

    async def load(self, sid: str) -> Loaded | None:
        key = self.keys.session(sid)
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hgetall(key).pttl(key)
            rv = _loaded(await pipe.execute(raise_on_error=False))
            if rv == b"":
                raw = await self.client.get(key)
                data = decode_legacy(raw) if raw else None
                if data is None:
                    return None
                pttl = await self.client.pttl(key)
                return Loaded(data, time.time() + max(pttl, 0) / 1000, legacy=True)
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e
        return t.cast("Loaded | None", rv)

    async def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        try:
            pipe = _queue_apply(self, sid, changes, ttl, user, replace)
            await pipe.execute()
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    async def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        try:
            key = self.keys.session(sid)
            return bool(await self._patch(keys=[key], args=_patch_args(changes, ttl)))
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    async def delete(self, sid: str, user: str | None = None) -> None:
        try:
            await self.client.delete(self.keys.session(sid))
            if user is not None:
                await self.client.srem(self.keys.user(user), sid)
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    async def touch(self, sid: str, ttl: int) -> None:
        try:
            await self.client.expire(self.keys.session(sid), ttl)
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    async def revoke_user(self, user: str) -> int:
        try:
            ukey = self.keys.user(user)
            n = 0
            for sid in await self.client.smembers(ukey):
                n += await self.client.delete(self.keys.session(_text(sid)))
            await self.client.delete(ukey)
            return n
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e

    @contextlib.asynccontextmanager
    async def lock(self, sid: str, timeout: float) -> t.AsyncIterator[None]:
        import asyncio

        key, token = self.keys.lock(sid), secrets.token_hex(16)
        px = int(max(timeout, 1) * 10_000)
        try:
            delays = backoff_delays(timeout)
            while not await self.client.set(key, token, nx=True, px=px):
                delay = next(delays, None)
                if delay is None:
                    raise StoreError(f"session lock not acquired within {timeout}s")
                await asyncio.sleep(delay)
        except RedisError as e:
            raise StoreError(f"redis: {e}") from e
        try:
            yield
        finally:
            with contextlib.suppress(RedisError):
                await self.client.eval(_RELEASE, 1, key, token)

    async def aclose(self) -> None:
        await self.client.aclose()
        for other in getattr(self.client, "erlen_also_close", ()):
            await other.aclose()
