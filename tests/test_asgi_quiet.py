"""Quiet routes: the ASGI edge's shortest path, and everything that must take it off that path.

An ``async def`` view with nothing around it (no hook, no signal receiver, no teardown function,
no server-side session) is run by the edge as push, view, text, reset once a first request has
found it quiet (:class:`erlen.serving.asgi_inline.QuietRoute`); a static rule's path then skips
matching too. Each test here makes a route quiet, checks that the next request really takes the
short path (the edge's general pipeline, ``_pipeline``, is not called), then changes something
the short path skips and checks that the very next request honours the change.
"""

from __future__ import annotations

import asyncio
import threading
import typing as t

import pytest

import erlen
from erlen import Erlen, after_this_request, g, request, session
from erlen.globals import _get_context
from erlen.http.generation import generation
from erlen.routing import Rule
from erlen.serving import asgi
from erlen.signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)
from test_asgi_fastpath import _scope, call


@pytest.fixture
def general_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests that went through the edge's general pipeline."""
    calls: list[str] = []
    real = asgi._pipeline

    def counting(app: t.Any, ctx: t.Any, *args: t.Any) -> t.Any:
        calls.append(ctx.request.path)
        return real(app, ctx, *args)

    monkeypatch.setattr(asgi, "_pipeline", counting)
    return calls


def test_a_quiet_sync_view_runs_in_the_pool_with_the_request() -> None:
    app = Erlen(__name__)
    loop_threads: list[int] = []

    @app.route("/where/<int:n>")
    def where(n: int) -> str:
        if n == 0:
            raise LookupError("no zero")
        return f"{request.path} {n} {threading.get_ident() in loop_threads}"

    @app.errorhandler(LookupError)
    def lookup(e: Exception) -> tuple[str, int]:
        return f"handled {e}", 404

    async def run() -> list[tuple[int, bytes]]:
        loop_threads.append(threading.get_ident())
        answers = []
        for n in (1, 2, 0, 3):
            sent: list[t.Any] = []

            async def send(message: t.Any, sent: list[t.Any] = sent) -> None:
                sent.append(message)

            await app(_scope(f"/where/{n}"), _never, send)
            answers.append((sent[0]["status"], sent[1]["body"]))
        return answers

    assert asyncio.run(run()) == [
        (200, b"/where/1 1 False"),
        (200, b"/where/2 2 False"),
        (404, b"handled no zero"),
        (200, b"/where/3 3 False"),
    ]
    assert _get_context(None) is None


def make_app() -> Erlen:
    app = Erlen(__name__)
    app.secret_key = "k"

    @app.route("/")
    async def index() -> str:
        return "hello"

    @app.route("/users/<int:uid>")
    async def user(uid: int) -> str:
        return f"user {uid}"

    @app.route("/sync")
    def sync() -> str:
        return "sync"

    return app


def quiet(app: Erlen, path: str = "/", **kwargs: t.Any) -> tuple[int, list[t.Any], bytes]:
    """Make ``path`` quiet (one request), then answer a second request on the short path."""
    call(app, _scope(path, **kwargs))
    return call(app, _scope(path, **kwargs))


def test_a_quiet_route_skips_the_general_pipeline(general_calls: list[str]) -> None:
    app = make_app()
    first = call(app, _scope("/"))
    assert general_calls == ["/"]
    for _ in range(3):
        assert call(app, _scope("/")) == first
    assert general_calls == ["/"]
    assert first == (
        200,
        [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", b"5")],
        b"hello",
    )
    # NOTE: a rule with a converter is quiet too (matched first, then the short path).
    assert call(app, _scope("/users/1"))[2] == b"user 1"
    assert call(app, _scope("/users/2"))[2] == b"user 2"
    assert general_calls == ["/", "/users/1"]
    # A sync view is quiet too: the short path hands it to the worker pool.
    assert call(app, _scope("/sync"))[2] == call(app, _scope("/sync"))[2] == b"sync"
    assert general_calls == ["/", "/users/1", "/sync"]
    # No context is left behind by the short path.
    assert _get_context(None) is None


@pytest.mark.parametrize(
    ("scope_change", "general"),
    [
        ({"method": "HEAD"}, 1),
        ({"method": "OPTIONS"}, 1),
        ({"method": "POST"}, 1),  # NOTE: another rule (and its own quiet route next time)
        ({"headers": [(b"host", b"example.com"), (b"cookie", b"a=1")]}, 1),
        ({"headers": [(b"host", b"example.com"), (b"content-length", b"0")]}, 1),
        ({"version": "2"}, 1),
        # NOTE: a new Host or a root path skip the path table, not the quiet route.
        ({"headers": [(b"host", b"other.example")]}, 0),
        ({"root": "/app", "path": "/app/"}, 0),
    ],
)
def test_requests_the_path_table_leaves_to_the_pipeline(
    general_calls: list[str], scope_change: dict[str, t.Any], general: int
) -> None:
    app = make_app()
    app.add_url_rule("/", "index", app.view_functions["index"], methods=["GET", "POST"])
    quiet(app)
    del general_calls[:]
    scope = {"path": "/", **scope_change}
    answer = call(app, _scope(**scope))
    assert len(general_calls) == general
    app._inline_pipeline = False  # NOTE: the reference: every step a method call
    assert answer == call(app, _scope(**scope))


def _hello(app: Erlen) -> bytes:
    return call(app, _scope("/"))[2]


def test_a_view_function_replaced_later_answers() -> None:
    app = make_app()
    quiet(app)

    async def other() -> str:
        return "other"

    app.view_functions["index"] = other
    assert _hello(app) == b"other"


def test_hooks_added_later_run() -> None:
    app = make_app()
    log: list[str] = []
    quiet(app)
    # NOTE: the registries, as an extension reaches them after the first request
    app.before_request_funcs.setdefault(None, []).append(lambda: log.append("before"))
    assert _hello(app) == b"hello" and log == ["before"]

    def after(response: erlen.Response) -> erlen.Response:
        response.headers["X-After"] = "1"
        return response

    app.after_request_funcs[None].append(after)
    assert (b"x-after", b"1") in call(app, _scope("/"))[1]
    app.teardown_request_funcs[None].append(lambda exc: log.append("teardown"))
    _hello(app)
    assert log == ["before", "before", "before", "teardown"]
    app.teardown_appcontext_funcs.append(lambda exc: log.append("app teardown"))
    _hello(app)
    assert log[-2:] == ["teardown", "app teardown"]


@pytest.mark.parametrize(
    "signal",
    [
        request_started,
        request_finished,
        request_tearing_down,
        appcontext_pushed,
        appcontext_popped,
        appcontext_tearing_down,
    ],
)
def test_a_receiver_connected_later_is_called(signal: t.Any) -> None:
    app = make_app()
    quiet(app)
    seen: list[t.Any] = []

    def receiver(sender: t.Any, **extra: t.Any) -> None:
        seen.append(sender)

    with signal.connected_to(receiver, app):
        assert _hello(app) == b"hello"
    assert seen == [app]
    _hello(app)
    assert seen == [app]  # NOTE: disconnected: the short path is taken again, and is right


def test_a_request_class_set_later_is_used() -> None:
    app = make_app()

    @app.route("/class")
    async def request_class() -> str:
        return type(request._get_current_object()).__mro__[1].__name__

    quiet(app, "/class")

    class Mine(erlen.Request):
        pass

    app.request_class = Mine
    assert call(app, _scope("/class"))[2] == b"Mine"


def test_trusted_hosts_set_later_are_enforced() -> None:
    app = make_app()
    quiet(app)
    app.config["TRUSTED_HOSTS"] = ["other.example"]
    assert call(app, _scope("/"))[0] == 400


def test_a_response_class_set_later_is_used() -> None:
    app = make_app()
    quiet(app)

    class Plain(erlen.Response):
        default_mimetype = "text/plain"

    app.response_class = Plain
    assert (b"content-type", b"text/plain; charset=utf-8") in call(app, _scope("/"))[1]
    Plain.default_status = 201
    assert call(app, _scope("/"))[0] == 201


def test_what_a_quiet_view_does_is_honoured() -> None:
    app = Erlen(__name__)
    app.secret_key = "k"

    @app.route("/later")
    async def later() -> str:
        @after_this_request
        def mark(response: erlen.Response) -> erlen.Response:
            response.headers["X-Later"] = g.get("mark", "-")
            return response

        g.mark = "g"
        return "later"

    @app.route("/login")
    async def login() -> str:
        session["user"] = "ada"
        return "in"

    @app.route("/json")
    async def json_view() -> t.Any:
        return {"a": 1}

    @app.route("/boom")
    async def boom() -> str:
        raise KeyError("x")

    @app.route("/missing")
    async def missing() -> str:
        erlen.abort(404)

    @app.route("/hook")
    async def hook() -> str:
        if request.args.get("add"):
            app.after_request_funcs.setdefault(None, []).append(_stamp)
        return "hook"

    @app.route("/leak")
    async def leak() -> str:
        app.test_request_context("/elsewhere").push()  # NOTE: never popped
        return "leak"

    @app.errorhandler(KeyError)
    def key_error(e: Exception) -> tuple[str, int]:
        return "handled", 409

    for _ in range(2):  # NOTE: the second round runs on the short path
        assert (b"x-later", b"g") in call(app, _scope("/later"))[1]
        headers = call(app, _scope("/login"))[1]
        assert any(k == b"set-cookie" and v.startswith(b"session=") for k, v in headers)
        assert call(app, _scope("/json"))[2] == b'{"a":1}\n'
        assert call(app, _scope("/boom"))[:3:2] == (409, b"handled")
        assert call(app, _scope("/missing"))[0] == 404
        assert (b"x-stamp", b"1") not in call(app, _scope("/hook"))[1]
        # NOTE: a request context the view leaves pushed fails the pop, as on the general path.
        with pytest.raises(AssertionError, match="Popped wrong request context"):
            call(app, _scope("/leak"))
    # NOTE: a hook the quiet view itself adds runs for the same request.
    assert (b"x-stamp", b"1") in call(app, _scope("/hook", query=b"add=1"))[1]
    assert _get_context(None) is None


def _stamp(response: erlen.Response) -> erlen.Response:
    response.headers["X-Stamp"] = "1"
    return response


def test_a_background_task_added_by_a_quiet_view_runs() -> None:
    app = Erlen(__name__)
    ran: list[int] = []

    @app.route("/")
    async def index() -> str:
        app.add_background_task(ran.append, len(ran))
        return "ok"

    sent: list[t.Any] = []

    async def send(message: t.Any) -> None:
        sent.append(message)

    async def run() -> None:
        for _ in range(3):
            await app(_scope("/"), _never, send)
            assert sent[-1]["body"] == b"ok"
            while app._asgi.background_tasks:
                await asyncio.gather(*list(app._asgi.background_tasks))

    asyncio.run(run())
    assert ran == [0, 1, 2]


async def _never() -> dict[str, t.Any]:
    await asyncio.Event().wait()
    return {}


def test_a_cancelled_quiet_view_leaves_no_context() -> None:
    app = Erlen(__name__)
    started: list[asyncio.Event] = []
    left: list[t.Any] = []

    @app.route("/")
    async def index() -> str:
        started[-1].set()
        await asyncio.sleep(3600)
        return "never"

    async def send(message: t.Any) -> None:
        return None

    async def serve() -> None:
        try:
            await app(_scope("/"), _never, send)
        finally:
            left.append(_get_context(None))  # NOTE: in the task that served the request

    async def run() -> None:
        # NOTE: the first request finds the route quiet; the second runs on the short path.
        for _ in range(2):
            started.append(asyncio.Event())
            task = asyncio.ensure_future(serve())
            await started[-1].wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run())
    assert left == [None, None]
    assert app._asgi.edge.paths["/"].version == generation[0]


def test_what_the_short_path_depends_on_bumps_the_generation() -> None:
    app = make_app()

    def moved(change: t.Callable[[], t.Any]) -> bool:
        before = generation[0]
        change()
        return generation[0] != before

    def receiver(sender: t.Any, **extra: t.Any) -> None:
        return None

    assert moved(lambda: setattr(app, "session_interface", app.session_interface))
    assert moved(lambda: delattr(app, "session_interface"))
    assert moved(lambda: app.view_functions.update(extra=receiver))
    assert moved(lambda: app.view_functions.pop("extra"))
    assert moved(lambda: request_finished.connect(receiver))
    assert moved(lambda: request_finished.disconnect(receiver))
    assert moved(lambda: app.teardown_appcontext_funcs.append(receiver))
    assert moved(lambda: app.url_map.add(Rule("/new", endpoint="new")))
    assert moved(lambda: setattr(erlen.Response, "default_mimetype", "text/html"))
    # A request changes nothing the short path depends on.
    quiet(app)
    assert not moved(lambda: call(app, _scope("/")))
    assert not moved(lambda: call(app, _scope("/sync")))
    assert not moved(lambda: app.test_client().get("/sync"))


@pytest.mark.parametrize("asgi_client", [False, True])
def test_a_view_replaced_by_a_before_request_hook_answers(asgi_client: bool) -> None:
    """The hook plan keeps the endpoint's view; a hook changing it in the same request wins."""
    app = Erlen(__name__)

    @app.route("/")
    def index() -> str:
        return "old"

    def new() -> str:
        return "new"

    swapping: list[bool] = []

    @app.before_request
    def swap() -> None:
        if swapping:
            app.view_functions["index"] = new

    client = app.test_client(asgi=asgi_client)
    assert client.get("/").text == "old"
    assert client.get("/").text == "old"
    swapping.append(True)
    assert client.get("/").text == "new"


@pytest.mark.parametrize("asgi_client", [False, True])
def test_a_custom_converter_runs_with_the_contexts_pushed(asgi_client: bool) -> None:
    """As in Flask, ``to_python`` may use ``current_app``, ``g`` and ``request`` (a converter that
    loads a row through the app's database, say); the view sees what it left in ``g``."""
    from erlen import current_app
    from erlen.routing import BaseConverter

    class ItemConverter(BaseConverter):
        def to_python(self, value: str) -> str:
            g.loaded = f"{current_app.name}:{value}"
            return f"item {value} for {request.method}"

    app = Erlen("conv")
    app.url_map.converters["item"] = ItemConverter

    @app.route("/a/<item:it>")
    async def native(it: str) -> str:
        return f"{it} / {g.loaded}"

    @app.route("/s/<item:it>")
    def sync(it: str) -> str:
        return f"{it} / {g.loaded}"

    @app.route("/")
    async def index() -> str:
        return "hello"

    assert app.url_map.custom_converters
    client = app.test_client(asgi=asgi_client)
    for _ in range(2):
        assert client.get("/a/7").text == "item 7 for GET / conv:7"
        assert client.get("/s/8").text == "item 8 for GET / conv:8"
        assert client.get("/").text == "hello"
        assert client.get("/missing").status_code == 404
