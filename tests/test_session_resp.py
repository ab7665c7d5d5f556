"""The Redis store's own RESP client (``erlen.sessions.stores.resp``) against real
redis-servers: which clients use it, password and database selection, error replies as values,
a server restart (stale pooled connections) and a stopped server (bounded by the timeout)."""

from __future__ import annotations

import os
import signal

import pytest
import redis
from redis.sentinel import Sentinel

from erlen.sessions.stores.base import StoreError
from erlen.sessions.stores.redis import RedisStore, client_from_url
from erlen.sessions.stores.resp import RespError, RespPool, pool_for
from session_servers import start_redis, stop_redis

SID = "R" * 43


def test_only_plain_clients_take_the_fast_path() -> None:
    assert pool_for(redis.Redis(host="127.0.0.1", port=1)) is not None
    assert pool_for(redis.Redis(unix_socket_path="/tmp/none.sock")) is not None
    assert pool_for(redis.Redis(host="127.0.0.1", port=1, ssl=True)) is None
    provider = redis.UsernamePasswordCredentialProvider("u", "p")
    assert pool_for(redis.Redis(host="127.0.0.1", port=1, credential_provider=provider)) is None
    master = Sentinel([("127.0.0.1", 1)]).master_for("mymaster")
    assert pool_for(master) is None


def test_password_and_database_are_applied() -> None:
    server = start_redis(["--requirepass", "s3cret"])
    try:
        url = f"redis://:s3cret@127.0.0.1:{server.port}/3"
        store = RedisStore(client_from_url(url, 2.0), "p:")
        assert store._fast is not None
        store.apply(SID, {"a": '"1"'}, 600)
        assert store.load(SID).fields == {"a": '"1"'}
        check = redis.Redis(port=server.port, password="s3cret", db=3)
        assert check.hgetall("p:" + SID) == {b"a": b'"1"'}  # in database 3
        assert redis.Redis(port=server.port, password="s3cret").exists("p:" + SID) == 0
        check.close()
        store.close()
        wrong = RedisStore(client_from_url(f"redis://:nope@127.0.0.1:{server.port}/0", 2.0))
        with pytest.raises(StoreError):
            wrong.load(SID)
        wrong.close()
    finally:
        stop_redis(server)


def test_error_replies_are_values_and_transactions_unwrap() -> None:
    server = start_redis()
    try:
        pool = RespPool(host="127.0.0.1", port=server.port, socket_timeout=2.0)
        replies = pool.execute([("SET", "s", "x"), ("HGETALL", "s"), ("GET", "s")])
        assert replies[0] == b"OK" and replies[2] == b"x"
        assert isinstance(replies[1], RespError) and "WRONGTYPE" in str(replies[1])
        assert pool.execute([("DEL", "h"), ("HSET", "h", "a", "1"), ("HGETALL", "h")], True) == [
            0,
            1,
            [b"a", b"1"],
        ]
        assert pool.execute([("INCR", "s")], transaction=True)[0].args  # an error inside EXEC
        pool.close()
    finally:
        stop_redis(server)


def test_a_restarted_server_is_reached_again_without_an_error() -> None:
    server = start_redis()
    try:
        store = RedisStore(client_from_url(server.url, 2.0))
        store.apply(SID, {"a": "1"}, 600)
        server.kill()
        server.start()
        # NOTE: the pooled connection the dead server closed is replaced on the way: no error.
        assert store.load(SID) is None  # a fresh server (no persistence): unknown
        server.kill()
        with pytest.raises(StoreError):
            store.load(SID)  # down: an error, not a hang
        server.start()
        assert store.load(SID) is None
        store.close()
    finally:
        stop_redis(server)


def test_a_stopped_server_gives_a_store_error_within_the_timeout() -> None:
    server = start_redis()
    try:
        store = RedisStore(client_from_url(server.url, 0.3))
        store.apply(SID, {"a": "1"}, 600)
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(StoreError):
                store.load(SID)
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert store.load(SID).fields == {"a": "1"}  # the timed-out connection was dropped
        store.close()
    finally:
        stop_redis(server)


def test_the_async_form_takes_the_fast_path_and_survives_faults() -> None:
    import asyncio

    server = start_redis()
    try:
        store = RedisStore(client_from_url(server.url, 0.3))
        aform = store.async_form()
        assert aform._fast is not None  # type: ignore[attr-defined]

        async def scenario() -> None:
            await aform.run([("apply", SID, {"a": "1"}, 600, "u", True)])
            assert (await aform.load(SID)).fields == {"a": "1"}
            assert server.proc is not None
            os.kill(server.proc.pid, signal.SIGSTOP)
            try:
                with pytest.raises(StoreError):
                    await aform.load(SID)  # bounded by the timeout
            finally:
                os.kill(server.proc.pid, signal.SIGCONT)
            assert (await aform.load(SID)).fields == {"a": "1"}
            server.kill()
            server.start()
            assert await aform.load(SID) is None  # a stale pooled connection is replaced
            await aform.aclose()

        asyncio.run(scenario())
        store.close()
    finally:
        stop_redis(server)
