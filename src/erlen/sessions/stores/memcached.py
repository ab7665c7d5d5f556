"""Memcached store (pymemcache): one item per session, changed with compare-and-set.

The item is JSON ``{"f": {key: serialized value}, "e": expires, "u": user}``. A change reads the
item with ``gets`` and writes it back with ``cas``, retrying when another request changed it
meanwhile, so concurrent requests changing different keys all land. ``<prefix>user:<sha256>`` lists
a user's session ids (also updated with CAS). Items expire natively.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import time
import typing as t

from .base import KEEP, Changes, Loaded, Store, StoreError, backoff_delays

try:
    from pymemcache.client.base import PooledClient
    from pymemcache.exceptions import MemcacheError
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        'The memcached session store needs pymemcache: pip install "erlen[memcached]"'
    ) from e

_ERRORS = (MemcacheError, OSError)
#: memcached reads an expiry above 30 days as a Unix time, not a number of seconds.
_RELATIVE_LIMIT = 30 * 24 * 3600


def _expire(ttl: int) -> int:
    return ttl if ttl <= _RELATIVE_LIMIT else int(time.time()) + ttl


def client_for(server: str, timeout: float) -> t.Any:
    """A thread-safe client for ``host:port`` with every call bounded by ``timeout``."""
    host, _, port = server.rpartition(":")
    return PooledClient(
        (host or "127.0.0.1", int(port or 11211)),
        connect_timeout=timeout,
        timeout=timeout,
        no_delay=True,
        default_noreply=False,
        max_pool_size=64,
    )


class MemcachedStore(Store):
    native_expiry = True

    def __init__(self, client: t.Any, prefix: str = "session:", timeout: float = 0.5) -> None:
        self.client = client_for(client, timeout) if isinstance(client, str) else client
        self.prefix = prefix
        self.timeout = timeout

    def _key(self, sid: str) -> str:
        return self.prefix + sid

    def _user_key(self, user: str) -> str:
        return f"{self.prefix}user:{hashlib.sha256(user.encode()).hexdigest()}"

    def _update(self, key: str, change: t.Callable[[t.Any], t.Any], ttl: int) -> bool:
        """Read-modify-write ``key`` with CAS until no other writer came in between."""
        delays = backoff_delays(max(self.timeout * 4, 1.0))
        try:
            while True:
                raw, cas = self.client.gets(key)
                item = change(None if raw is None else json.loads(raw))
                if item is None:
                    return False  # NOTE: nothing to change (the session is not there)
                new = json.dumps(item)
                if raw is None:
                    if self.client.add(key, new, expire=_expire(ttl), noreply=False):
                        return True
                elif self.client.cas(key, new, cas, expire=_expire(ttl), noreply=False):
                    return True
                delay = next(delays, None)
                if delay is None:
                    raise StoreError("memcached: too much contention on one session")
                time.sleep(delay)
        except _ERRORS as e:
            raise StoreError(f"memcached: {e}") from e

    def load(self, sid: str) -> Loaded | None:
        try:
            raw = self.client.get(self._key(sid))
        except _ERRORS as e:
            raise StoreError(f"memcached: {e}") from e
        if raw is None:
            return None
        item = json.loads(raw)
        return Loaded(item["f"], item["e"])

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        expires = time.time() + ttl

        def change(item: t.Any) -> t.Any:
            if item is None:
                return None
            for k, v in changes.items():
                if v is None:
                    item["f"].pop(k, None)
                else:
                    item["f"][k] = v
            item["e"] = expires
            return item

        return self._update(self._key(sid), change, ttl)

    def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        expires = time.time() + ttl

        def change(item: t.Any) -> t.Any:
            if item is None or replace:
                item = {"f": {}, "u": None}
            fields = item["f"]
            for k, v in changes.items():
                if v is None:
                    fields.pop(k, None)
                else:
                    fields[k] = v
            item["e"] = expires
            if user is not KEEP:
                item["u"] = user
            return item

        self._update(self._key(sid), change, ttl)
        if user is not KEEP and user is not None:
            self._update(self._user_key(user), lambda sids: sorted({*(sids or ()), sid}), ttl)

    def delete(self, sid: str, user: str | None = None) -> None:
        try:
            self.client.delete(self._key(sid), noreply=False)
        except _ERRORS as e:
            raise StoreError(f"memcached: {e}") from e

    def touch(self, sid: str, ttl: int) -> None:
        self._update(self._key(sid), lambda item: item and {**item, "e": time.time() + ttl}, ttl)

    def revoke_user(self, user: str) -> int:
        try:
            raw = self.client.get(self._user_key(user))
            n = 0
            for sid in json.loads(raw) if raw else ():
                n += bool(self.client.delete(self._key(sid), noreply=False))
            self.client.delete(self._user_key(user), noreply=False)
            return n
        except _ERRORS as e:
            raise StoreError(f"memcached: {e}") from e

    @contextlib.contextmanager
    def lock(self, sid: str, timeout: float) -> t.Iterator[None]:
        key = f"{self.prefix}lock:{sid}"
        try:
            delays = backoff_delays(timeout)
            # NOTE: the lock expires by itself, so a crashed holder frees it.
            while not self.client.add(
                key, secrets.token_hex(8), expire=max(2, int(timeout * 10)), noreply=False
            ):
                delay = next(delays, None)
                if delay is None:
                    raise StoreError(f"session lock not acquired within {timeout}s")
                time.sleep(delay)
        except _ERRORS as e:
            raise StoreError(f"memcached: {e}") from e
        try:
            yield
        finally:
            with contextlib.suppress(*_ERRORS):
                self.client.delete(key, noreply=False)

    def close(self) -> None:
        self.client.close()
