"""Server-side sessions on the ASGI path: ``async def`` views and WebSocket handlers load and
save the session with the store's async form, so no store call ever blocks the event loop;
atomic mode holds there too; a failing store is the same 503 as on the sync path. Real stores
(SQLite in a temp dir, redis-server started by a fixture)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import typing as t

import pytest

from erlen import Erlen, session
from erlen._async import _get_loop
from erlen.sessions import Session
from erlen.sessions.stores.base import Store
from session_servers import GUARD_TIMEOUTS, redis_url, start_redis, stop_redis
from wire_counter import RoundTripCounter

__all__ = ["redis_url"]

_STORE_CALLS = (
    "load", "apply", "apply_if_exists", "delete", "touch", "revoke_user", "cleanup", "lock",
    "run",
)  # fmt: skip


class NoLoop(Store):
    """A real store whose sync calls fail when made on a thread running an event loop."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.native_expiry = inner.native_expiry

    def __getattribute__(self, name: str) -> t.Any:
        if name in _STORE_CALLS:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return getattr(object.__getattribute__(self, "inner"), name)
            raise AssertionError(f"sync store call {name!r} on the event loop")
        if name in ("async_form", "close"):
            # NOTE: the inner store's own methods: closing must close its connections (a
            # socket left to the garbage collector warns in whichever test runs then).
            return getattr(object.__getattribute__(self, "inner"), name)
        return object.__getattribute__(self, name)


_APPS: list[Erlen] = []


def on_loop(coro: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Any:
    """Run ``coro`` on the event loop the ASGI test client uses (one loop for every test)."""
    return asyncio.run_coroutine_threadsafe(coro, _get_loop()).result(120)


@pytest.fixture(autouse=True)
def _close_stores() -> t.Iterator[None]:
    yield
    while _APPS:
        interface = _APPS.pop().session_interface
        if interface._async_store is not None:  # type: ignore[attr-defined]
            on_loop(interface._async_store.aclose())  # type: ignore[attr-defined]
        interface.store.close()  # type: ignore[attr-defined]


def make_app(tmp_path: t.Any, **config: t.Any) -> Erlen:
    app = Erlen(__name__, instance_path=str(tmp_path))
    _APPS.append(app)
    # NOTE: generous store and lock timeouts unless the test sets its own (hang guards).
    app.config.update(TESTING=True, **{**GUARD_TIMEOUTS, **config})
    Session(app)
    interface = app.session_interface
    interface.store = NoLoop(interface.store)  # type: ignore[attr-defined]

    @app.route("/")
    async def index() -> str:
        return "no session here"

    @app.route("/get/<key>")
    async def get(key: str) -> t.Any:
        return {"value": session.get(key)}

    @app.route("/sync/get/<key>")
    def sync_get(key: str) -> t.Any:
        return {"value": session.get(key)}

    @app.post("/set/<key>/<value>")
    async def set_(key: str, value: str) -> str:
        await asyncio.sleep(0)
        session[key] = value
        return "ok"

    @app.post("/incr")
    async def incr() -> str:
        value = session.get("n", 0)
        await asyncio.sleep(0)  # NOTE: other requests run here; only the lock keeps it exact
        session["n"] = value + 1
        return str(value + 1)

    @app.post("/incr-block")
    async def incr_block() -> str:
        async with session.lock():
            value = int(session.get("m", 0))
            await asyncio.sleep(0)
            session["m"] = value + 1
        return "ok"

    @app.websocket("/ws")
    async def ws() -> None:
        from erlen import websocket

        await websocket.accept()
        await websocket.send(str(session.get("a")))
        session["from_ws"] = await websocket.receive()
        await websocket.close()

    return app


def sid_of(client: t.Any) -> str | None:
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


@pytest.fixture(params=["sqlite", "redis"])
def store_config(request: pytest.FixtureRequest) -> dict[str, t.Any]:
    if request.param == "sqlite":
        return {"SESSION_TYPE": "sqlite"}
    return {"SESSION_TYPE": "redis", "SESSION_REDIS": request.getfixturevalue("redis_url")}


def test_async_views_read_and_write_without_blocking_calls(
    tmp_path: t.Any, store_config: dict[str, t.Any]
) -> None:
    app = make_app(tmp_path, **store_config)
    client = app.test_client(asgi=True)
    assert client.post("/set/a/1").text == "ok"
    sid = sid_of(client)
    assert sid is not None
    assert client.post("/set/b/2").text == "ok"
    assert sid_of(client) == sid  # the same session, read then changed
    assert client.get("/get/a").json == {"value": "1"}
    assert client.get("/get/b").json == {"value": "2"}
    # The sync form still serves sync views (in the worker pool), on the same data.
    assert client.get("/sync/get/b").json == {"value": "2"}
    assert client.get("/").text == "no session here"
    # A WebSocket handler reads and changes it with the async form too.
    with client.websocket("/ws") as ws:
        assert ws.receive() == "1"
        ws.send("hello")
    assert client.get("/get/from_ws").json == {"value": "hello"}


def test_async_view_atomic_mode_counts_exactly(
    tmp_path: t.Any, store_config: dict[str, t.Any]
) -> None:
    app = make_app(tmp_path, SESSION_ATOMIC=True, **store_config)
    client = app.test_client(asgi=True)
    client.post("/set/x/1")
    cookie = f"session={sid_of(client)}"
    # NOTE: the test client runs every request on one event loop; 8 threads x 25 requests
    # keep many requests of one session in flight on it at once.
    errors: list[str] = []

    def hammer() -> None:
        c = app.test_client(asgi=True)
        for _ in range(25):
            r = c.post("/incr", headers={"Cookie": cookie})
            if r.status_code != 200:
                errors.append(r.text)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert errors == []
    assert client.get("/get/n").json == {"value": 200}


def test_async_lock_block_counts_exactly(tmp_path: t.Any, store_config: dict[str, t.Any]) -> None:
    app = make_app(tmp_path, **store_config)
    client = app.test_client(asgi=True)
    client.post("/set/x/1")
    cookie = f"session={sid_of(client)}"

    async def main() -> list[int]:
        return [status for status, _ in await asyncio.gather(
            *(asgi_call(app, "POST", "/incr-block", cookie) for _ in range(60))
        )]  # fmt: skip

    assert on_loop(main()) == [200] * 60
    assert client.get("/get/m").json == {"value": 60}


# -- one event loop, driven directly -------------------------------------------------------


async def asgi_call(app: Erlen, method: str, path: str, cookie: str = "") -> tuple[int, bytes]:
    headers = [(b"host", b"test")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "server": ("test", 80), "client": ("127.0.0.1", 1),
    }  # fmt: skip
    sent: list[dict[str, t.Any]] = []
    received = False

    async def receive() -> dict[str, t.Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # NOTE: never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = sent[0]["status"]
    return status, b"".join(m.get("body", b"") for m in sent[1:])


def test_paused_redis_does_not_block_the_loop(tmp_path: t.Any) -> None:
    server = start_redis()
    counter = RoundTripCounter(server.port)
    try:
        # NOTE: the store is reached through a counting proxy, so the test knows when the slow
        # request's load has gone to the paused server (no sleep for ordering), and the store
        # timeout is the generous default: nothing here depends on how fast the machine is.
        app = make_app(
            tmp_path, SESSION_TYPE="redis", SESSION_REDIS=f"redis://127.0.0.1:{counter.port}/0"
        )
        client = app.test_client(asgi=True)
        assert client.post("/set/a/1").text == "ok"
        cookie = f"session={sid_of(client)}"

        async def main() -> tuple[tuple[int, bytes], list[tuple[int, bytes]]]:
            assert server.proc is not None
            os.kill(server.proc.pid, signal.SIGSTOP)
            try:
                counter.reset()
                slow = asyncio.ensure_future(asgi_call(app, "GET", "/get/a", cookie))
                for _ in range(2000):  # a guard against hangs (20 s), not a timed assertion
                    if counter.round_trips or slow.done():
                        break
                    await asyncio.sleep(0.01)
                assert counter.round_trips == 1 and not slow.done()
                # Requests to a view that does not touch the session, on the same loop,
                # are answered while the store call waits.
                quick = [await asgi_call(app, "GET", "/") for _ in range(5)]
                assert not slow.done()
            finally:
                os.kill(server.proc.pid, signal.SIGCONT)
            # The paused server goes on: the waiting request gets its answer.
            return await asyncio.wait_for(slow, 60), quick

        slow, quick = on_loop(main())
        assert quick == [(200, b"no session here")] * 5
        assert slow == (200, b'{"value":"1"}\n')
    finally:
        counter.close()
        stop_redis(server)


def test_a_store_call_past_the_timeout_is_a_503_then_the_app_recovers(tmp_path: t.Any) -> None:
    server = start_redis()
    try:
        # NOTE: 2 s: short, since the paused store makes the test wait for it, yet far above
        # what a healthy redis-server takes on a busy machine (the setup and the recovery run
        # under it too).
        app = make_app(
            tmp_path,
            SESSION_TYPE="redis",
            SESSION_REDIS=f"{server.url}?socket_timeout=2&socket_connect_timeout=2",
        )
        client = app.test_client(asgi=True)
        assert client.post("/set/a/1").text == "ok"
        cookie = f"session={sid_of(client)}"
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            slow = on_loop(asgi_call(app, "GET", "/get/a", cookie))
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        # The store timed out: the sync path's fast 503, no error text.
        assert slow[0] == 503
        assert b"redis" not in slow[1].lower() and b"timeout" not in slow[1].lower()
        # And the app recovers by itself (the timed-out connection's late reply is not read
        # as the answer to a later call).
        assert client.get("/get/a").json == {"value": "1"}
    finally:
        stop_redis(server)


def test_store_down_gives_503_only_to_views_that_touch_it(tmp_path: t.Any) -> None:
    server = start_redis()
    try:
        app = make_app(tmp_path, SESSION_TYPE="redis", SESSION_REDIS=server.url)
        client = app.test_client(asgi=True)
        client.post("/set/a/1")
        server.kill()
        r = client.get("/get/a")
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert client.post("/set/b/2").status_code == 503
        # The cookie names a session, the store is down, the view does not use it: 200.
        assert client.get("/").text == "no session here"
        server.start()  # NOTE: a new, empty redis: the app answers again, with no data
        assert client.get("/get/a").json == {"value": None}
        assert client.post("/set/c/3").text == "ok"
        assert client.get("/get/c").json == {"value": "3"}
    finally:
        stop_redis(server)


def test_async_view_round_trips(tmp_path: t.Any, redis_url: str) -> None:
    """On the ASGI path an async view pays the early load only when the cookie carries a
    well-formed id (the load must happen before the view: a sync ``session[...]`` inside a
    coroutine cannot wait for the store without blocking the loop); the save is one
    pipelined round trip, a login's too."""
    counter = RoundTripCounter(int(redis_url.rsplit(":", 1)[1].split("/", 1)[0]))
    app = make_app(
        tmp_path, SESSION_TYPE="redis", SESSION_REDIS=f"redis://127.0.0.1:{counter.port}/0"
    )

    @app.post("/login")
    async def login() -> str:
        session["_user_id"] = "ada"
        return "ok"

    client = app.test_client(asgi=True)
    bare = app.test_client(asgi=True, use_cookies=False)
    try:
        client.post("/set/a/1")  # NOTE: warm: the async client's connection is open
        sid = sid_of(client)
        trips = {}
        for label, cookie, method, path in [
            ("no cookie", None, "GET", "/"),
            ("malformed cookie", "not an id!", "GET", "/"),
            ("cookie, view never reads", sid, "GET", "/"),
            ("read", sid, "GET", "/get/a"),
            ("read + write", sid, "POST", "/incr"),
            ("login (new id)", sid, "POST", "/login"),
        ]:
            headers = {"Cookie": f"session={cookie}"} if cookie else {}
            counter.reset()
            assert bare.open(path, method=method, headers=headers).status_code == 200
            trips[label] = counter.reset()
        assert trips == {
            "no cookie": 0,
            "malformed cookie": 0,
            "cookie, view never reads": 1,
            "read": 1,
            "read + write": 2,
            "login (new id)": 2,
        }
    finally:
        counter.close()
