"""One contract for every session store, sync and async forms, against real servers.

Stores: sqlite, redis, redis cluster (3 masters), redis through Sentinel, postgresql, memcached,
filesystem. The async
form of each runs on one event loop per test (``redis.asyncio``, psycopg's async pool, or the
sync calls offloaded with ``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import typing as t
import uuid

import pytest

from erlen.sessions.stores.base import KEEP, AsyncStore, Store
from session_servers import (
    memcached_server,
    postgresql_dsn,
    redis_cluster_url,
    redis_sentinel_port,
    redis_url,
)

__all__ = [
    "memcached_server", "postgresql_dsn", "redis_cluster_url", "redis_sentinel_port", "redis_url"
]  # fmt: skip

KINDS = [
    "sqlite", "redis", "redis-cluster", "redis-sentinel", "postgresql", "memcached", "filesystem"
]  # fmt: skip


def make_store(kind: str, request: pytest.FixtureRequest, tmp_path: t.Any) -> Store:
    """A fresh store of ``kind`` with its own namespace (prefix, table or directory)."""
    name = "t" + uuid.uuid4().hex[:12]
    if kind == "sqlite":
        from erlen.sessions.stores.sqlite import SQLiteStore

        return SQLiteStore(str(tmp_path / "s.sqlite3"), name)
    if kind in ("redis", "redis-cluster"):
        from erlen.sessions.stores.redis import RedisStore, client_from_url

        cluster = kind == "redis-cluster"
        url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
        return RedisStore(client_from_url(url, 2.0, cluster=cluster), name + ":")
    if kind == "redis-sentinel":
        from redis.sentinel import Sentinel

        from erlen.sessions.stores.redis import RedisStore

        port = request.getfixturevalue("redis_sentinel_port")
        sentinel = Sentinel([("127.0.0.1", port)], socket_timeout=2.0)
        return RedisStore(sentinel.master_for("mymaster", socket_timeout=2.0), name + ":")
    if kind == "postgresql":
        from erlen.sessions.stores.postgresql import PostgreSQLStore

        return PostgreSQLStore(request.getfixturevalue("postgresql_dsn"), name, timeout=2.0)
    if kind == "memcached":
        from erlen.sessions.stores.memcached import MemcachedStore

        return MemcachedStore(request.getfixturevalue("memcached_server"), name + ":", 2.0)
    if kind == "filesystem":
        from erlen.sessions.stores.filesystem import FileSystemStore

        return FileSystemStore(str(tmp_path / "sessions"))
    raise AssertionError(kind)


class AsyncDriver:
    """The async form driven from a test: each call runs on the test's own event loop."""

    def __init__(self, store: AsyncStore) -> None:
        self.store = store
        self.loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> t.Any:
        method = getattr(self.store, name)
        return lambda *a, **kw: self.loop.run_until_complete(method(*a, **kw))

    @contextlib.contextmanager
    def lock(self, sid: str, timeout: float) -> t.Iterator[None]:
        cm = self.store.lock(sid, timeout)
        self.loop.run_until_complete(cm.__aenter__())
        try:
            yield
        finally:
            self.loop.run_until_complete(cm.__aexit__(None, None, None))

    def close(self) -> None:
        self.loop.run_until_complete(self.store.aclose())
        self.loop.close()


@contextlib.contextmanager
def opened(
    kind: str, form: str, request: pytest.FixtureRequest, tmp_path: t.Any
) -> t.Iterator[t.Any]:
    sync = make_store(kind, request, tmp_path)
    driver: t.Any = sync if form == "sync" else AsyncDriver(sync.async_form())
    driver.kind, driver.form = kind, form
    try:
        yield driver
    finally:
        if form == "async":
            driver.close()
        sync.close()


@pytest.fixture(
    params=[(k, f) for k in KINDS for f in ("sync", "async")], ids=lambda p: "-".join(p)
)
def store(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Iterator[t.Any]:
    with opened(*request.param, request, tmp_path) as driver:
        yield driver


SID = "A" * 43


def test_unknown_session_loads_as_none(store: t.Any) -> None:
    assert store.load(SID) is None


def test_apply_creates_then_changes_per_key(store: t.Any) -> None:
    store.apply(SID, {"a": '"1"', "b": "[2]"}, 600)
    loaded = store.load(SID)
    assert loaded.fields == {"a": '"1"', "b": "[2]"}
    assert time.time() < loaded.expires_at <= time.time() + 601
    store.apply(SID, {"a": None, "c": "3"}, 600)
    assert store.load(SID).fields == {"b": "[2]", "c": "3"}


def test_replace_drops_other_keys(store: t.Any) -> None:
    store.apply(SID, {"a": "1", "b": "2"}, 600)
    store.apply(SID, {"z": "9"}, 600, replace=True)
    assert store.load(SID).fields == {"z": "9"}


def test_delete(store: t.Any) -> None:
    store.apply(SID, {"a": "1"}, 600, user="u1")
    store.delete(SID, "u1")
    assert store.load(SID) is None
    store.delete(SID)  # deleting what is gone is fine


def test_touch_moves_the_expiry(store: t.Any) -> None:
    store.apply(SID, {"a": "1"}, 5)
    assert store.load(SID).expires_at < time.time() + 6
    store.touch(SID, 5000)
    assert store.load(SID).expires_at > time.time() + 4000
    store.touch("B" * 43, 5000)  # touching an unknown session creates nothing
    assert store.load("B" * 43) is None


def test_revoke_user_ends_every_session_of_that_user_only(store: t.Any) -> None:
    sids = [c * 43 for c in "CDE"]
    store.apply(sids[0], {"_user_id": '"7"'}, 600, user="7")
    store.apply(sids[1], {"_user_id": '"7"'}, 600, user="7")
    store.apply(sids[2], {"_user_id": '"8"'}, 600, user="8")
    assert store.revoke_user("7") == 2
    assert store.load(sids[0]) is None and store.load(sids[1]) is None
    assert store.load(sids[2]).fields == {"_user_id": '"8"'}
    assert store.revoke_user("nobody") == 0


def test_concurrent_changes_to_different_keys_all_land(store: t.Any) -> None:
    store.apply(SID, {"start": "0"}, 600)
    keys = [f"k{i}" for i in range(24)]
    if store.form == "async":

        async def all_at_once() -> None:
            await asyncio.gather(*(store.store.apply(SID, {k: '"v"'}, 600) for k in keys))

        store.loop.run_until_complete(all_at_once())
    else:
        threads = [threading.Thread(target=store.apply, args=(SID, {k: '"v"'}, 600)) for k in keys]
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
    assert store.load(SID).fields == {"start": "0", **{k: '"v"' for k in keys}}


def test_lock_serializes_read_modify_write(store: t.Any) -> None:
    store.apply(SID, {"n": "0"}, 600)
    if store.form == "async":

        async def bump() -> None:
            for _ in range(10):
                async with store.store.lock(SID, 10):
                    n = int((await store.store.load(SID)).fields["n"])
                    await asyncio.sleep(0)
                    await store.store.apply(SID, {"n": str(n + 1)}, 600)

        async def all_at_once() -> None:
            await asyncio.gather(*(bump() for _ in range(4)))

        store.loop.run_until_complete(all_at_once())
    else:

        def bump() -> None:
            for _ in range(10):
                with store.lock(SID, 10):
                    n = int(store.load(SID).fields["n"])
                    time.sleep(0)
                    store.apply(SID, {"n": str(n + 1)}, 600)

        threads = [threading.Thread(target=bump) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    assert store.load(SID).fields["n"] == "40"


def test_expired_sessions_are_gone_and_swept(
    request: pytest.FixtureRequest, tmp_path: t.Any
) -> None:
    """Every store (sync form) at once, so the wait for expiry is paid once."""
    with contextlib.ExitStack() as stack:
        stores = {
            kind: stack.enter_context(opened(kind, "sync", request, tmp_path / kind))
            for kind in KINDS
        }
        for store in stores.values():
            store.apply(SID, {"a": "1"}, 1)
            store.apply("F" * 43, {"a": "1"}, 600)
        time.sleep(2.05)  # NOTE: Redis and memcached expire with a one-second resolution
        for kind, store in stores.items():
            assert store.load(SID) is None, kind
            swept = store.cleanup()
            assert swept == (0 if kind.startswith(("redis", "memcached")) else 1), kind
            assert store.load("F" * 43) is not None, kind


def test_apply_if_exists_writes_only_to_known_sessions(store: t.Any) -> None:
    assert store.apply_if_exists(SID, {"a": "1"}, 600) is False
    assert store.load(SID) is None  # an unknown id is not adopted
    store.apply(SID, {"a": "1", "b": "2"}, 5)
    assert store.apply_if_exists(SID, {"a": None, "c": "3"}, 600) is True
    loaded = store.load(SID)
    assert loaded.fields == {"b": "2", "c": "3"} and loaded.expires_at > time.time() + 500


def test_run_applies_one_requests_writes_together(store: t.Any) -> None:
    """A login's writes: the session under its new id (with its user) and the old id gone."""
    old, new = "G" * 43, "H" * 43
    store.apply(old, {"a": "1"}, 600)
    assert store.run(
        [("apply", new, {"a": "1", "_user_id": '"9"'}, 600, "9", True), ("delete", old, None)]
    )
    assert store.load(old) is None
    assert store.load(new).fields == {"a": "1", "_user_id": '"9"'}
    assert store.run([("touch", new, 5000), ("apply", new, {"b": "2"}, 5000, KEEP, False)])
    loaded = store.load(new)
    assert loaded.fields["b"] == "2" and loaded.expires_at > time.time() + 4000
    assert store.revoke_user("9") == 1  # the user index was written in the same run
    assert store.run([("apply_if_exists", old, {"c": "3"}, 600)]) is False
    assert store.load(old) is None
