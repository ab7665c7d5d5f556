"""Server-side sessions through real HTTP: gunicorn (2 workers x 16 threads) in front of real
stores. Concurrency on one session, atomic mode, a Redis outage and recovery, and two app
processes sharing one store."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import tempfile
import threading
import time
import typing as t

import pytest

from session_servers import (
    Served,
    cookie_of,
    memcached_server,
    post_many,
    postgresql_dsn,
    redis_url,
    served,
    start_redis,
    stop_redis,
)

__all__ = ["memcached_server", "postgresql_dsn", "redis_url"]


def target_for(kind: str, request: pytest.FixtureRequest, tmp_path: t.Any) -> str:
    """Where the store lives. SQLite and files go to a directory on ``/dev/shm`` (tmpfs) where
    there is one: these tests are about concurrency, and an fsync per write on a shared disk
    would make them measure the disk (the full-disk and durability paths are tested apart)."""
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    local = tempfile.mkdtemp(prefix="erlen-sessions-", dir=shm)
    request.addfinalizer(lambda: shutil.rmtree(local, ignore_errors=True))
    return {
        "sqlite": lambda: os.path.join(local, "sessions.sqlite3"),
        "filesystem": lambda: os.path.join(local, "sessions"),
        "redis": lambda: request.getfixturevalue("redis_url"),
        "postgresql": lambda: request.getfixturevalue("postgresql_dsn"),
        "memcached": lambda: request.getfixturevalue("memcached_server"),
    }[kind]()


def login(server: Served, user: str = "ada") -> str:
    status, _, response = server.request("POST", f"/login/{user}")
    sid = cookie_of(response)
    assert status == 200 and sid
    return sid


def hammer(server: Served, sid: str, clients: int, paths: t.Callable[[int], list[str]]) -> None:
    """``clients`` threads, each on its own keep-alive connection, POST their paths."""

    def client(i: int) -> None:
        for path in paths(i):
            assert post_many(server.port, path, sid, 1) == [200]

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client, i) for i in range(clients)]:
            future.result(timeout=300)


def hammer_same(server: Served, sid: str, clients: int, path: str, n: int) -> None:
    """``clients`` threads POST ``path`` ``n`` times each, on keep-alive connections."""
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(post_many, server.port, path, sid, n) for _ in range(clients)]
        for future in futures:
            assert set(future.result(timeout=300)) == {200}


@pytest.mark.parametrize("kind", ["redis", "postgresql", "sqlite", "filesystem", "memcached"])
def test_concurrent_clients_changing_different_keys_lose_nothing(
    kind: str, request: pytest.FixtureRequest, tmp_path: t.Any
) -> None:
    # NOTE: a generous store timeout: this test is about lost updates, not about outages.
    with served(kind, target_for(kind, request, tmp_path), store_timeout=5) as server:
        sid = login(server)
        hammer(server, sid, 32, lambda i: [f"/set/k{i}-{j}" for j in range(8)])
        status, body, _ = server.request("GET", "/keys", sid)
        keys = __import__("json").loads(body)["keys"]
        assert status == 200
        assert sorted(keys) == sorted(
            ["_user_id", *(f"k{i}-{j}" for i in range(32) for j in range(8))]
        )
        assert "Traceback" not in server.log()


@pytest.mark.parametrize("kind", ["redis", "postgresql", "sqlite", "filesystem"])
def test_atomic_mode_64_clients_x_100_increments_is_exactly_6400(
    kind: str, request: pytest.FixtureRequest, tmp_path: t.Any
) -> None:
    with served(kind, target_for(kind, request, tmp_path), atomic=True, store_timeout=5) as server:
        sid = login(server)
        hammer_same(server, sid, 64, "/incr", 100)
        assert server.request("GET", "/n", sid)[:2] == (200, "6400")
        assert "Traceback" not in server.log()


def test_lock_block_makes_one_read_modify_write_safe(tmp_path: t.Any) -> None:
    with served("sqlite", str(tmp_path / "s.sqlite3")) as server:
        sid = login(server)
        hammer_same(server, sid, 16, "/incr-block", 25)
        assert server.request("GET", "/n", sid)[:2] == (200, "400")


#: Seconds to wait for a state the test brings about (a guard against hangs, not a timing).
GUARD = 60.0


def wait_until(condition: t.Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, f"not within {GUARD}s: {what}"
        time.sleep(0.02)


def test_redis_killed_mid_load_gives_503s_and_recovers_after_restart() -> None:
    """8 clients keep asking while redis-server is killed, then started again. Each request is
    tagged with the phase (0 up, 1 killed, 2 restarting, 3 restarted) it started and ended in;
    the test moves on when the requests it needs have happened, not after sleeps (no timed
    assertion: a store call that hung would exceed the client's timeout and count as a
    failure)."""
    redis_server = start_redis()
    try:
        with served("redis", redis_server.url) as server:
            sid = login(server)
            results: list[tuple[int, int, int]] = []  # (phase at start, phase at end, status)
            phase = [0]
            stop_flag = threading.Event()

            def load() -> None:
                conn = server.connection(timeout=10)
                while not stop_flag.is_set():
                    started = phase[0]
                    try:
                        status = server.request("GET", "/whoami", sid, conn)[0]
                    except OSError:
                        conn.close()
                        conn = server.connection(timeout=10)
                        status = -1
                    results.append((started, phase[0], status))
                conn.close()

            def count(start: int, end: int, status: int | None = None) -> int:
                return sum(
                    1 for r in list(results) if r[:2] == (start, end) and status in (None, r[2])
                )

            threads = [threading.Thread(target=load) for _ in range(8)]
            for th in threads:
                th.start()
            try:
                wait_until(lambda: count(0, 0, 200) >= 16, "answers before the kill")
                redis_server.kill()
                phase[0] = 1
                wait_until(lambda: count(1, 1) >= 16, "answers while redis is down")
                assert server.request("GET", "/health")[:2] == (200, "ok")  # no session: fine
                # NOTE: the new redis-server listens before start() returns: from here on a
                # request may reach it (and find an empty store).
                phase[0] = 2
                redis_server.start()
                phase[0] = 3
                wait_until(lambda: count(3, 3, 200) >= 1, "a 200 after the restart")
            finally:
                stop_flag.set()
                for th in threads:
                    th.join(30)
            log = server.log()
    finally:
        stop_redis(redis_server)
    # Every request that started and ended while redis was down was a 503 (the store's fault
    # is the client's 503, never a hang or a 500), every other one a 200 or a 503, and the app
    # recovered without being restarted.
    assert {status for start, end, status in results if (start, end) == (1, 1)} == {503}
    assert all(status in (200, 503) for *_, status in results)
    assert "Traceback" not in log


@pytest.mark.parametrize("kind", ["redis", "postgresql"])
def test_two_app_processes_share_sessions(
    kind: str, request: pytest.FixtureRequest, tmp_path: t.Any
) -> None:
    target = target_for(kind, request, tmp_path)
    with served(kind, target) as a, served(kind, target) as b:
        assert a.port != b.port
        sid = login(a, "grace")
        assert b.request("GET", "/whoami", sid)[:2] == (200, "grace")
        status, _, response = b.request("POST", "/logout", sid)
        assert status == 200 and cookie_of(response) == ""
        assert a.request("GET", "/whoami", sid)[:2] == (200, "-")
        assert b.request("GET", "/whoami", sid)[:2] == (200, "-")
