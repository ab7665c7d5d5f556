"""The store interface every server-side session backend implements, sync and async.

A store keeps, per session id: the session's top-level keys, each with its value already
serialized (tagged JSON text, chosen by the session interface: stores never see Python
objects), an expiry time, and the id of the user the session belongs to (for
:meth:`Store.revoke_user`).

- :meth:`Store.load` returns a :class:`Loaded` record or None (unknown or expired);
- :meth:`Store.apply` applies changes per top-level key atomically in the store (a key set
  to None is deleted), so concurrent requests changing different keys all land;
- :meth:`Store.delete`, :meth:`Store.touch` (move the expiry), :meth:`Store.revoke_user`,
  :meth:`Store.cleanup` (sweep expired records where the store has no native expiry);
- :meth:`Store.lock` holds a lock on one session across processes (atomic mode).

Every call is bounded by a timeout; a store that cannot answer raises :class:`StoreError`,
which the session interface turns into a 503. :class:`AsyncStore` is the same interface with
``async`` methods; :class:`ThreadedAsyncStore` offloads a sync store with ``asyncio.to_thread``.

:meth:`Store.run` takes every write of one request (``("apply", ...)``, ``("delete", ...)``
tuples, see :data:`Op`) at once, so a store with pipelines sends them in one round trip.

Plans. A store whose client has a sync and an async form (Redis, PostgreSQL) describes each
operation once, as a *plan*: a generator that yields a :class:`Batch` of commands, receives
their replies, and returns the result (or yields :class:`Sleep` to wait between attempts).
:class:`PlannedStore` runs plans with a sync ``execute``, :class:`PlannedAsyncStore` with an
async one, so the two forms cannot drift apart; :func:`together` merges several plans' first
batches into one pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import random
import time
import typing as t
import zlib
from dataclasses import dataclass


class StoreError(Exception):
    """The store is unreachable, slow, locked or failed; the message is for logs only."""


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


#: ``user=KEEP`` in :meth:`Store.apply`: leave the record's user as it is.
KEEP: t.Any = _Keep()

Changes = t.Mapping[str, "str | None"]

#: One write of :meth:`Store.run`: ``("apply", sid, changes, ttl, user, replace)``,
#: ``("apply_if_exists", sid, changes, ttl)``, ``("delete", sid, user)``, ``("touch", sid, ttl)``.
Op = tuple[t.Any, ...]


@dataclass
class Loaded:
    """One stored session: its fields (key -> serialized value) and when it expires."""

    fields: dict[str, str]
    #: Seconds since the epoch.
    expires_at: float
    #: Written by Flask-Session: ``fields`` holds decoded values, not serialized text, and
    #: the record is rewritten in erlen's format on its next change.
    legacy: bool = False


class Store:
    """The sync form. Subclasses implement the data methods; see the module docstring."""

    #: Stores whose records expire by themselves (Redis, memcached) need no sweep.
    native_expiry = False

    def load(self, sid: str) -> Loaded | None:
        raise NotImplementedError

    def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        """Set (value) or delete (None) each key of ``changes``, creating the record if needed,
        and set the expiry ``ttl`` seconds from now. ``replace`` drops every other key first.
        ``user`` (unless KEEP) records whose session it is (None: nobody's)."""
        raise NotImplementedError

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        """:meth:`apply` to a session only if the store knows it (a write without a read
        first); False, and nothing stored, if it does not."""
        if self.load(sid) is None:
            return False
        self.apply(sid, changes, ttl)
        return True

    def delete(self, sid: str, user: str | None = None) -> None:
        raise NotImplementedError

    def touch(self, sid: str, ttl: int) -> None:
        raise NotImplementedError

    def run(self, ops: t.Sequence[Op]) -> bool:
        """Run one request's writes (see :data:`Op`), in one round trip where the store has
        pipelines; False (and the rest not run) if an ``apply_if_exists`` met an unknown
        session."""
        for name, sid, *args in ops:
            if name == "apply":
                self.apply(sid, args[0], args[1], user=args[2], replace=args[3])
            elif getattr(self, name)(sid, *args) is False:
                return False
        return True

    def revoke_user(self, user: str) -> int:
        """Delete every session recorded for ``user``; return how many there were."""
        raise NotImplementedError

    def cleanup(self) -> int:
        """Delete expired records; return how many. A no-op for stores with native expiry."""
        return 0

    def lock(self, sid: str, timeout: float) -> t.ContextManager[None]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def async_form(self) -> AsyncStore:
        """The async form of this store (by default: these calls in a worker thread)."""
        return ThreadedAsyncStore(self)


class AsyncStore:
    """The async form: the same methods as :class:`Store`, awaitable."""

    async def load(self, sid: str) -> Loaded | None:
        raise NotImplementedError

    async def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        raise NotImplementedError

    async def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        if await self.load(sid) is None:
            return False
        await self.apply(sid, changes, ttl)
        return True

    async def delete(self, sid: str, user: str | None = None) -> None:
        raise NotImplementedError

    async def touch(self, sid: str, ttl: int) -> None:
        raise NotImplementedError

    async def run(self, ops: t.Sequence[Op]) -> bool:
        for name, sid, *args in ops:
            if name == "apply":
                await self.apply(sid, args[0], args[1], user=args[2], replace=args[3])
            elif await getattr(self, name)(sid, *args) is False:
                return False
        return True

    async def revoke_user(self, user: str) -> int:
        raise NotImplementedError

    async def cleanup(self) -> int:
        return 0

    def lock(self, sid: str, timeout: float) -> t.AsyncContextManager[None]:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass


class ThreadedAsyncStore(AsyncStore):
    """A sync store's calls run with ``asyncio.to_thread`` so the event loop never blocks."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def load(self, sid: str) -> Loaded | None:
        return await asyncio.to_thread(self.store.load, sid)

    async def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        await asyncio.to_thread(self.store.apply, sid, changes, ttl, user=user, replace=replace)

    async def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        return await asyncio.to_thread(self.store.apply_if_exists, sid, changes, ttl)

    async def delete(self, sid: str, user: str | None = None) -> None:
        await asyncio.to_thread(self.store.delete, sid, user)

    async def touch(self, sid: str, ttl: int) -> None:
        await asyncio.to_thread(self.store.touch, sid, ttl)

    async def run(self, ops: t.Sequence[Op]) -> bool:
        return await asyncio.to_thread(self.store.run, ops)

    async def revoke_user(self, user: str) -> int:
        return await asyncio.to_thread(self.store.revoke_user, user)

    async def cleanup(self) -> int:
        return await asyncio.to_thread(self.store.cleanup)

    @contextlib.asynccontextmanager
    async def lock(self, sid: str, timeout: float) -> t.AsyncIterator[None]:
        # NOTE: the lock is taken and released in worker threads; flock-based locks belong to
        # the open file, not the thread, so that is allowed.
        cm = self.store.lock(sid, timeout)
        await asyncio.to_thread(cm.__enter__)
        try:
            yield
        finally:
            await asyncio.to_thread(cm.__exit__, None, None, None)


def backoff_delays(timeout: float) -> t.Iterator[float]:
    """Sleeps between attempts to take a contended lock, until ``timeout`` has passed.

    NOTE: short and jittered, so many waiters do not retry in lockstep.
    """
    deadline = time.monotonic() + timeout
    delay = 0.0005
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        yield min(left, delay * (0.5 + random.random()))
        delay = min(delay * 1.5, 0.004)


#: Lock stripes for :func:`stripe_lock`: sessions share this many lock files.
LOCK_STRIPES = 256


@contextlib.contextmanager
def stripe_lock(directory: str, sid: str, timeout: float) -> t.Iterator[None]:
    """An exclusive ``flock`` for ``sid``, across threads and processes of this host.

    NOTE: one of :data:`LOCK_STRIPES` files per directory, so lock files never pile up; two
    sessions that share a stripe only wait for each other. Each call opens its own file
    description, so threads of one process exclude each other too.
    """
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{zlib.crc32(sid.encode()) % LOCK_STRIPES:03d}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        delays = backoff_delays(timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise StoreError(f"lock failed: {e}") from e
            delay = next(delays, None)
            if delay is None:
                raise StoreError(f"session lock not acquired within {timeout}s")
            time.sleep(delay)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
