"""The ASGI edge driven directly: entry points, where code runs, bodies, streaming, disconnects,
lifespan and background tasks. Behaviour shared with WSGI is covered by the suite's
``both_protocols`` tests; these are what only ASGI has."""

from __future__ import annotations

import asyncio
import io
import threading
import typing as t

import pytest

import erlen
from erlen import request, stream_with_context

#: Seconds before a test that should not hang fails instead; no test asserts on time.
GUARD = 20.0


def make_scope(path: str = "/", method: str = "GET", headers: t.Any = (), **kw: t.Any) -> dict:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    scope.update(kw)
    return scope


async def drive(
    app: t.Any,
    scope: dict,
    body: list[bytes] | None = None,
    disconnect_after_start: bool = False,
) -> tuple[int, dict[str, str], list[bytes]]:
    """Run one HTTP request; ``body`` is sent as separate messages."""
    body = body or [b""]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(body) - 1}
        for i, chunk in enumerate(body)
    ]
    started = asyncio.Event()
    finished = asyncio.Event()
    sent: list[dict] = []

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        if disconnect_after_start:
            await started.wait()
            return {"type": "http.disconnect"}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            started.set()

    await asyncio.wait_for(app(scope, receive, send), GUARD)
    finished.set()
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, [m["body"] for m in sent[1:] if m.get("body")]


@pytest.fixture
def app() -> erlen.Erlen:
    app = erlen.Erlen("asgi_test_app")
    app.config.update(TESTING=True, SECRET_KEY="k")
    return app


# -- entry points -----------------------------------------------------------------------------


def test_one_object_speaks_wsgi_asgi3_and_asgi2(app: erlen.Erlen) -> None:
    @app.route("/")
    def index() -> str:
        return "hi " + ("asgi" if "asgi.scope" in request.environ else "wsgi")

    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "x",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    assert (status, body) == (["200 OK"], b"hi wsgi")

    assert asyncio.run(drive(app, make_scope()))[2] == [b"hi asgi"]

    instance = app(make_scope())  # ASGI 2: one argument, an awaitable callable back
    assert asyncio.run(drive(lambda s, r, snd: instance(r, snd), make_scope()))[2] == [b"hi asgi"]


def test_asgi_app_is_the_middleware_point(app: erlen.Erlen) -> None:
    @app.route("/")
    def index() -> str:
        return "inner"

    inner = app.asgi_app

    async def middleware(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        async def tagging_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-mw", b"1")]
            await send(message)

        await inner(scope, receive, tagging_send)

    app.asgi_app = middleware  # type: ignore[method-assign]
    status, headers, body = asyncio.run(drive(app, make_scope()))
    assert headers["x-mw"] == "1" and body == [b"inner"]


# -- where code runs ------------------------------------------------------------------------------


def test_async_views_run_on_the_loop_and_sync_views_in_the_pool(app: erlen.Erlen) -> None:
    seen: dict[str, t.Any] = {}

    @app.route("/async")
    async def async_view() -> str:
        seen["async"] = (threading.current_thread(), asyncio.get_running_loop())
        return "a"

    @app.route("/sync")
    def sync_view() -> str:
        seen["sync"] = threading.current_thread().name
        return "s"

    async def main() -> None:
        await drive(app, make_scope("/async"))
        assert seen["async"] == (threading.current_thread(), asyncio.get_running_loop())
        await drive(app, make_scope("/sync"))

    asyncio.run(main())
    assert seen["sync"].startswith("erlen-asgi")


def test_async_views_wait_together_without_holding_threads(app: erlen.Erlen) -> None:
    """50 requests wait on one event that is set only once all 50 are waiting: they can only
    finish if each waits on the loop, not in one of the pool's (here: 1) threads."""
    app.config["ASGI_MAX_THREADS"] = 1
    n = 50
    waiting = 0
    all_in: asyncio.Event | None = None

    @app.route("/wait")
    async def wait() -> str:
        nonlocal waiting
        waiting += 1
        if waiting == n:
            all_in.set()  # type: ignore[union-attr]
        await all_in.wait()  # type: ignore[union-attr]
        return "done"

    async def main() -> list[t.Any]:
        nonlocal all_in
        all_in = asyncio.Event()
        return await asyncio.gather(*(drive(app, make_scope("/wait")) for _ in range(n)))

    results = asyncio.run(main())
    assert [r[2] for r in results] == [[b"done"]] * n


def test_sync_views_are_bounded_by_the_pool(app: erlen.Erlen) -> None:
    app.config["ASGI_MAX_THREADS"] = 2
    lock = threading.Lock()
    active = peak = 0
    release = threading.Event()

    @app.route("/block")
    def block() -> str:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            if peak == 2:
                release.set()
        release.wait(GUARD)
        with lock:
            active -= 1
        return "ok"

    async def main() -> list[t.Any]:
        return await asyncio.gather(*(drive(app, make_scope("/block")) for _ in range(6)))

    assert [r[2] for r in asyncio.run(main())] == [[b"ok"]] * 6
    assert peak == 2


def test_async_hooks_of_a_sync_view_run_on_the_server_loop(app: erlen.Erlen) -> None:
    loops: list[t.Any] = []

    @app.before_request
    async def before() -> None:
        loops.append(asyncio.get_running_loop())

    @app.errorhandler(ValueError)
    async def on_value_error(e: ValueError) -> tuple[str, int]:
        loops.append(asyncio.get_running_loop())
        return "handled", 409

    @app.route("/")
    def index() -> str:
        raise ValueError

    async def main() -> tuple[t.Any, ...]:
        return (*await drive(app, make_scope()), asyncio.get_running_loop())

    status, _, body, loop = asyncio.run(main())
    assert (status, body) == (409, [b"handled"])
    assert loops == [loop, loop]


# -- the body -------------------------------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False])
def test_body_past_the_limit_is_413(app: erlen.Erlen, declared: bool) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    def index() -> str:
        return str(len(request.get_data()))

    def scope(size: int) -> dict:
        framing = (
            (b"content-length", str(size).encode())
            if declared
            else (
                b"transfer-encoding",
                b"chunked",
            )
        )
        return make_scope(method="POST", headers=[framing])

    assert asyncio.run(drive(app, scope(10), [b"12345", b"67890"]))[2] == [b"10"]
    assert asyncio.run(drive(app, scope(11), [b"12345", b"678901"]))[0] == 413


def test_request_stream_of_a_sync_view_reads_on_from_receive(app: erlen.Erlen) -> None:
    """A view that raises its own limit reads the rest of a large body from ``receive``."""
    app.config["MAX_CONTENT_LENGTH"] = 4
    chunks = [bytes([65 + i]) * 3 for i in range(10)]

    @app.post("/upload")
    def upload() -> str:
        request.max_content_length = 1000
        got = []
        while True:
            piece = request.stream.read(5)
            if not piece:
                break
            got.append(piece)
        return b"".join(got).decode()

    scope = make_scope("/upload", "POST", [(b"content-length", b"30")])
    assert asyncio.run(drive(app, scope, chunks))[2] == [b"".join(chunks)]


# -- responses ------------------------------------------------------------------------------------


def test_generators_stream_in_separate_messages(app: erlen.Erlen, tmp_path: t.Any) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 300_000)

    @app.route("/sync")
    def sync_stream() -> t.Any:
        def gen() -> t.Iterator[str]:
            yield "one "
            yield request.args["w"]

        return stream_with_context(gen())

    @app.route("/async")
    async def async_stream() -> t.Any:
        async def gen() -> t.AsyncIterator[bytes]:
            for i in range(3):
                await asyncio.sleep(0)
                yield str(i).encode()

        return gen()

    @app.route("/file")
    def file() -> t.Any:
        return erlen.send_file(str(big))

    scope = make_scope("/sync", query_string=b"w=two")
    assert asyncio.run(drive(app, scope))[2] == [b"one ", b"two"]
    assert asyncio.run(drive(app, make_scope("/async")))[2] == [b"0", b"1", b"2"]
    status, headers, chunks = asyncio.run(drive(app, make_scope("/file")))
    assert headers["content-length"] == "300000" and len(chunks) > 1
    assert b"".join(chunks) == b"x" * 300_000


def test_a_disconnect_stops_the_stream_and_runs_teardown(app: erlen.Erlen) -> None:
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: t.Any) -> None:
        events.append("teardown")

    @app.route("/forever")
    def forever() -> t.Any:
        def gen() -> t.Iterator[str]:
            try:
                while True:
                    yield "tick"
            finally:
                events.append("closed")

        return stream_with_context(gen())

    asyncio.run(drive(app, make_scope("/forever"), disconnect_after_start=True))
    assert "closed" in events and events.count("teardown") >= 1


# -- lifespan and background tasks -------------------------------------------------------------


async def lifespan(app: t.Any, shutdown: bool = True) -> list[dict]:
    incoming = [{"type": "lifespan.startup"}]
    if shutdown:
        incoming.append({"type": "lifespan.shutdown"})
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.wait_for(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send), GUARD
    )
    return sent


def test_serving_hooks_run_in_order_with_an_app_context(app: erlen.Erlen) -> None:
    events: list[str] = []

    @app.before_serving
    async def start() -> None:
        events.append(f"before {erlen.current_app.name}")

    @app.while_serving
    async def around() -> t.AsyncIterator[None]:
        events.append("while-start")
        yield
        events.append("while-end")

    @app.while_serving
    def around_sync() -> t.Iterator[None]:
        events.append("sync-start")
        yield
        events.append("sync-end")

    @app.after_serving
    def stop() -> None:
        events.append("after")

    sent = asyncio.run(lifespan(app))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == [
        "before asgi_test_app",
        "while-start",
        "sync-start",
        "sync-end",
        "while-end",
        "after",
    ]


def test_a_failing_startup_is_reported(app: erlen.Erlen) -> None:
    @app.before_serving
    def broken() -> None:
        raise RuntimeError("no database")

    sent = asyncio.run(lifespan(app, shutdown=False))
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "no database" in sent[0]["message"]


def test_background_tasks_run_after_the_response_on_both_protocols(
    app: erlen.Erlen, protocol: str
) -> None:
    events: list[str] = []

    async def async_task(name: str) -> None:
        await asyncio.sleep(0)
        events.append(f"async {name} {erlen.current_app.name}")

    def sync_task(name: str) -> None:
        events.append(f"sync {name}")

    @app.route("/")
    def index() -> str:
        app.add_background_task(async_task, "a")
        app.add_background_task(sync_task, name="b")
        events.append("view")
        return "ok"

    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/").text == "ok"
    # NOTE: under ASGI the two tasks run concurrently: their order is not defined.
    assert events[0] == "view"
    assert sorted(events[1:]) == ["async a asgi_test_app", "sync b"]
