"""The ASGI edge's fast paths answer as its general path does.

The edge serves a body-less HTTP/1 request of an app that keeps erlen's pipeline inline (its
environ built from the scope only when something asks, the request run in the server task's
context when nothing is around the view, a ``str`` answer sent as the response class would
send it). The general path (``app._inline_pipeline = False``: an eager environ, every step a
method call) is the reference: every scope here, good or bad, gets the same status, headers
and body from both.
"""

from __future__ import annotations

import asyncio
import contextvars
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import erlen
from erlen import Erlen, abort, request, session
from erlen.serving.asgi import environ_from_scope
from erlen.serving.asgi_scope import scope_request_class

Scope = dict[str, t.Any]


def _scope(
    path: str = "/",
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
    root: str = "",
    version: str = "1.1",
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": version,
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root,
        "query_string": query,
        "headers": [(b"host", b"example.com")] if headers is None else headers,
        "client": ("127.0.0.1", 5000),
        "server": ("example.com", 80),
    }


def call(app: t.Any, scope: Scope, body: bytes = b"") -> tuple[int, list[t.Any], bytes]:
    """One request through ``app``'s ASGI entry, as a server makes it."""
    sent: list[t.MutableMapping[str, t.Any]] = []

    async def run() -> None:
        done = asyncio.Event()
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, t.Any]:
            if messages:
                return messages.pop()
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: t.MutableMapping[str, t.Any]) -> None:
            sent.append(message)

        try:
            await app(dict(scope), receive, send)
        finally:
            done.set()

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    chunks = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], [tuple(h) for h in start["headers"]], chunks


def both(app: Erlen, scope: Scope, body: bytes = b"") -> tuple[int, list[t.Any], bytes]:
    """The fast path's answer, checked against the general path's. The fast path runs twice:
    a first request may find a quiet route that the second then takes (test_asgi_quiet.py)."""
    first = call(app, scope, body)
    fast = call(app, scope, body)
    app._inline_pipeline = False
    try:
        general = call(app, scope, body)
    finally:
        app._inline_pipeline = True
    assert first == fast == general, scope
    return fast


SEEN: contextvars.ContextVar[str] = contextvars.ContextVar("seen")


def build(async_views: bool) -> Erlen:
    app = Erlen(__name__)
    app.secret_key = "k"

    def view(func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        if not async_views:
            return func

        async def wrapper(**kwargs: t.Any) -> t.Any:
            return func(**kwargs)

        wrapper.__name__ = func.__name__
        return wrapper

    app.add_url_rule("/", "index", view(lambda: "hello"), methods=["GET", "POST"])
    app.add_url_rule("/text/<name>", "text", view(lambda name: f"h\u00e9 {name} " * 100))
    app.add_url_rule("/dict", "dict", view(lambda: {"a": [1, 2]}))
    app.add_url_rule("/tuple", "tuple", view(lambda: ("made", 201, {"X-A": "1"})))
    app.add_url_rule("/abort", "abort", view(lambda: abort(418)))
    app.add_url_rule("/boom", "boom", view(lambda: 1 / 0))
    app.add_url_rule("/slash/", "slash", view(lambda: "slash"))
    app.add_url_rule(
        "/env",
        "env",
        view(
            lambda: "|".join(
                [
                    request.environ["PATH_INFO"],
                    request.environ["SCRIPT_NAME"],
                    request.url,
                    request.headers.get("X-Thing", "-"),
                    repr(sorted(request.args.items(multi=True))),
                    request.remote_addr or "",
                    repr(request.get_data()),
                    request.method,
                ]
            )
        ),
        methods=["GET", "POST", "PUT", "HEAD"],
    )
    app.add_url_rule("/cookies", "cookies", view(lambda: repr(sorted(request.cookies.items()))))

    def write() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    app.add_url_rule("/session", "session", view(write))
    app.add_url_rule("/read", "read", view(lambda: str(session.get("n"))))

    def bytes_view() -> t.Any:
        return erlen.Response(b"raw", mimetype="application/octet-stream")

    app.add_url_rule("/bytes", "bytes", view(bytes_view))

    @app.errorhandler(ZeroDivisionError)
    def zero(e: Exception) -> t.Any:
        return "no division", 500

    return app


APPS = {True: build(True), False: build(False)}

NAMES = [b"host", b"Host", b"HOST", b"cookie", b"Cookie", b"x-thing", b"X-Thing", b"x_thing",
         b"accept", b"content-length", b"Content-Length", b"transfer-encoding"]  # fmt: skip
VALUES = [b"example.com", b"a=1; b=2", b"session=garbage", b"evil.com@x", b"0", b"3", b"x",
          b"chunked", b"\xc3\xa9t\xc3\xa9", b"\xe9"]  # fmt: skip
PATHS = ["/", "/text/ab", "/text/\u00e9", "/dict", "/tuple", "/abort", "/boom", "/slash",
         "/slash/", "/env", "/cookies", "/session", "/read", "/bytes", "/missing", "//env",
         "/env/", "", "env", "/app/env", "/%2e%2e/env"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    async_views=st.booleans(),
    path=st.sampled_from(PATHS),
    method=st.sampled_from(["GET", "HEAD", "POST", "OPTIONS", "PUT", "get"]),
    headers=st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(VALUES)), max_size=5),
    host=st.booleans(),
    query=st.sampled_from([b"", b"a=1&a=2&b=%C3%A9", b"x", b"%zz"]),
    root=st.sampled_from(["", "/app"]),
    version=st.sampled_from(["1.1", "1.0", "2"]),
    body=st.sampled_from([b"", b"abc"]),
)
def test_fast_and_general_paths_answer_alike(
    async_views: bool,
    path: str,
    method: str,
    headers: list[tuple[bytes, bytes]],
    host: bool,
    query: bytes,
    root: str,
    version: str,
    body: bytes,
) -> None:
    if host:
        headers = [(b"host", b"example.com"), *headers]
    scope = _scope(path, method, headers, query, root, version)
    both(APPS[async_views], scope, body)


@pytest.mark.parametrize("async_views", [True, False])
def test_the_usual_requests(async_views: bool) -> None:
    app = APPS[async_views]
    assert both(app, _scope("/")) == (
        200,
        [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", b"5")],
        b"hello",
    )
    status, headers, body = both(app, _scope("/text/x"))
    assert body == "h\u00e9 x ".encode() * 100 and (b"content-length", b"600") in headers
    assert both(app, _scope("/", "HEAD"))[2] == b""
    # NOTE: a session round trip: the cookie written by one request read by the next.
    status, headers, body = call(app, _scope("/session"))
    cookie = next(v for k, v in headers if k == b"set-cookie").split(b";")[0]
    assert both(app, _scope("/read", headers=[(b"host", b"x"), (b"cookie", cookie)]))[2] == b"1"


def test_a_body_is_read_whatever_the_case_of_its_header() -> None:
    scope = _scope("/env", "POST", [(b"Host", b"example.com"), (b"Content-Length", b"3")])
    assert both(APPS[True], scope, b"abc")[2].endswith(b"|b'abc'|POST")


def test_the_environ_built_on_demand_is_the_eager_one() -> None:
    app = APPS[True]
    cls = scope_request_class(app.request_class)
    assert cls is not None and issubclass(cls, app.request_class)
    assert cls.__name__ == app.request_class.__name__
    for scope in [
        _scope("/env", headers=[(b"host", b"a"), (b"X-Thing", b"\xc3\xa9"), (b"x_y", b"1")]),
        _scope("/app/\u00e9", root="/app", query=b"q=1"),
        _scope("/", headers=[(b"cookie", b"a=1"), (b"cookie", b"b=2"), (b"accept", b"x")]),
    ]:
        lazy = object.__new__(cls)
        lazy._scope = scope
        lazy._environ_made = None
        environ = lazy.environ
        assert lazy._environ_made is environ and lazy.environ is environ
        expected = environ_from_scope(scope)
        assert environ.pop("wsgi.input").read() == b""
        assert environ == expected


def test_a_request_class_with_its_own_constructor_is_called() -> None:
    made: list[str] = []

    class MyRequest(erlen.Request):
        def __init__(self, environ: dict[str, t.Any], populate_request: bool = True) -> None:
            super().__init__(environ, populate_request)
            made.append(environ["PATH_INFO"])

    app = Erlen(__name__)
    app.request_class = MyRequest

    @app.route("/")
    async def index() -> str:
        return type(request._get_current_object()).__name__

    assert scope_request_class(MyRequest) is None
    assert call(app, _scope("/"))[2] == b"MyRequest" and made == ["/"]


def test_a_response_class_is_followed_when_it_changes() -> None:
    class Text(erlen.Response):
        default_mimetype = "text/plain"

    app = Erlen(__name__)
    app.response_class = Text

    @app.route("/")
    async def index() -> str:
        return "hi"

    assert (b"content-type", b"text/plain; charset=utf-8") in call(app, _scope("/"))[1]
    Text.default_mimetype = "text/csv"
    assert (b"content-type", b"text/csv; charset=utf-8") in call(app, _scope("/"))[1]
    Text.default_status = 202
    assert call(app, _scope("/"))[0] == 202

    class Own(erlen.Response):
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)
            self.headers["X-Own"] = "1"

    app.response_class = Own
    assert (b"x-own", b"1") in call(app, _scope("/"))[1]


def test_hooks_and_context_variables_reach_an_async_view() -> None:
    app = Erlen(__name__)
    log: list[str] = []

    @app.before_request
    def before() -> None:
        SEEN.set("from the hook")

    @app.route("/")
    async def index() -> str:
        return SEEN.get("unset")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        log.append(f"teardown {SEEN.get('unset')}")

    assert call(app, _scope("/"))[2] == b"from the hook"
    assert log == ["teardown from the hook"]


def test_background_tasks_of_a_request_without_environ() -> None:
    app = Erlen(__name__)
    ran: list[str] = []

    @app.route("/")
    async def index() -> str:
        app.add_background_task(ran.append, "done")
        return "ok"

    async def run() -> None:
        await app(_scope("/"), _never, _drop)
        while app._asgi.background_tasks:
            await asyncio.gather(*list(app._asgi.background_tasks))

    asyncio.run(run())
    assert ran == ["done"]


async def _never() -> dict[str, t.Any]:
    await asyncio.Event().wait()
    return {}


async def _drop(message: t.Any) -> None:
    return None


def test_wsgi_middleware_still_wraps_a_sync_view() -> None:
    app = Erlen(__name__)

    @app.route("/")
    def index() -> str:
        return request.environ["x.mark"]

    inner = app.wsgi_app

    def middleware(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        environ["x.mark"] = "marked"
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    assert call(app, _scope("/"))[2] == b"marked"


def test_a_request_that_reads_no_environ_makes_none() -> None:
    app = Erlen(__name__)

    @app.route("/")
    async def index() -> str:
        return repr("environ" in vars(request._get_current_object()))

    @app.route("/url")
    async def url() -> str:
        made = request.url
        return repr(("environ" in vars(request._get_current_object()), made))

    assert call(app, _scope("/"))[2] == b"False"
    assert call(app, _scope("/url"))[2] == b"(True, 'http://example.com/url')"
