"""The app and request contexts share one context variable (``erlen.globals._cv_context``, the pair
``(app_ctx, request_ctx)``); what each piece of code sees must still be what Flask 3.1, with its
two variables, shows. Each scenario runs against erlen and against the installed Flask (a test
oracle) and records what is visible at each step."""

from __future__ import annotations

import threading
import types
import typing as t

import flask
import pytest

import erlen
from erlen.ctx import AppContext, RequestContext
from erlen.globals import (
    _cv_app,
    _cv_context,
    _cv_request,
    _get_app_ctx,
    _get_request_ctx,
    app_ctx,
)


def _seen(mod: t.Any, where: str, log: list[str]) -> None:
    """What ``where`` sees: which contexts, and the request path."""
    path = mod.request.path if mod.has_request_context() else "-"
    log.append(f"{where}: app={mod.has_app_context()} request={mod.has_request_context()} {path}")


def _app(mod: t.Any, log: list[str]) -> t.Any:
    app = getattr(mod, "Flask" if mod is flask else "Erlen")("ctxapp")

    @app.route("/")
    def index() -> str:
        mod.g.x = "request g"
        _seen(mod, "view", log)
        with app.app_context():
            # A fresh app context inside a request: the request stays, g is the new one's.
            _seen(mod, "inner app context", log)
            log.append(f"inner g has x: {'x' in mod.g}")
        log.append(f"g after: {mod.g.x}")
        return "ok"

    @app.route("/nested")
    def nested() -> str:
        with app.test_request_context("/inner"):
            _seen(mod, "inner request", log)
            log.append(f"inner shares g: {mod.g.get('x')}")
        _seen(mod, "outer request", log)
        return "ok"

    @app.route("/thread")
    def thread_view() -> str:
        mod.g.x = "view g"

        @mod.copy_current_request_context
        def work() -> None:
            _seen(mod, "thread", log)
            log.append(f"thread g: {mod.g.get('x')}")

        th = threading.Thread(target=work)
        th.start()
        th.join()
        return "ok"

    @app.route("/stream")
    def stream() -> t.Any:
        mod.g.x = "stream g"

        def generate() -> t.Iterator[str]:
            _seen(mod, "stream body", log)
            log.append(f"stream g: {mod.g.get('x')}")
            yield "streamed"

        return mod.stream_with_context(generate())

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        _seen(mod, "teardown_request", log)

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        _seen(mod, "teardown_appcontext", log)

    return app


def _with_signals(mod: t.Any, app: t.Any, log: list[str], fn: t.Callable[[], None]) -> None:
    def pushed(sender: t.Any, **kw: t.Any) -> None:
        _seen(mod, "appcontext_pushed", log)

    def popped(sender: t.Any, **kw: t.Any) -> None:
        _seen(mod, "appcontext_popped", log)

    mod.appcontext_pushed.connect(pushed, app)
    mod.appcontext_popped.connect(popped, app)
    try:
        fn()
    finally:
        mod.appcontext_pushed.disconnect(pushed, app)
        mod.appcontext_popped.disconnect(popped, app)


def _scenario(mod: t.Any, signals: bool) -> list[str]:
    log: list[str] = []
    app = _app(mod, log)
    client = app.test_client()

    def run() -> None:
        for path in ("/", "/nested", "/thread", "/stream"):
            log.append(f"-- {path}")
            assert client.get(path).status_code == 200
        log.append("-- request context inside an app context")
        with app.app_context():
            mod.g.x = "outer g"
            with app.test_request_context("/trc"):
                _seen(mod, "trc", log)
                log.append(f"trc g: {mod.g.x}")
            _seen(mod, "after trc", log)
        _seen(mod, "outside", log)
        log.append("-- preserved context")
        with client:
            client.get("/")
            _seen(mod, "preserved", log)
        _seen(mod, "after with client", log)

    if signals:
        _with_signals(mod, app, log, run)
    else:
        run()
    return log


@pytest.mark.parametrize("signals", [False, True])
def test_each_step_sees_the_contexts_flask_shows(signals: bool) -> None:
    assert _scenario(erlen, signals) == _scenario(flask, signals)


def test_a_request_pushes_and_pops_its_contexts_with_one_set() -> None:
    app = erlen.Erlen(__name__)
    seen: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        seen.append(_cv_context.get())
        return "ok"

    app.test_client().get("/")
    app_ctx, req_ctx = seen[0]
    assert type(app_ctx) is AppContext and type(req_ctx) is RequestContext
    assert app_ctx.app is app and req_ctx.request.path == "/"
    assert _cv_context.get(None) is None


def test_the_flask_named_variables_read_and_push_one_side() -> None:
    with pytest.raises(LookupError):
        _cv_app.get()
    with pytest.raises(LookupError):
        _get_request_ctx()
    assert _cv_request.get("default") == "default"
    stand_in = types.SimpleNamespace(app="an app")
    token = _cv_app.set(stand_in)  # type: ignore[arg-type]
    try:
        assert _get_app_ctx() is stand_in and erlen.current_app == "an app"
        assert _cv_request.get(None) is None and not erlen.has_request_context()
        request_stand_in = types.SimpleNamespace(request="a request")
        token2 = _cv_request.set(request_stand_in)  # type: ignore[arg-type]
        # set keeps the other side of the pair
        assert _cv_app.get() is stand_in and _cv_request.get() is request_stand_in
        _cv_request.reset(token2)
        assert _cv_app.get() is stand_in and _cv_request.get(None) is None
    finally:
        _cv_app.reset(token)
    assert not erlen.has_app_context()


def test_popping_an_app_context_before_the_request_inside_it_is_refused() -> None:
    app = erlen.Erlen(__name__)
    app_ctx = app.app_context()
    app_ctx.push()
    req_ctx = app.test_request_context("/")
    req_ctx.push()
    with pytest.raises(AssertionError, match="pop the request context first"):
        app_ctx.pop()
    # Nothing was popped: the right order still works and leaves no context behind.
    assert erlen.request.path == "/"
    req_ctx.pop()
    app_ctx.pop()
    assert not erlen.has_app_context()


def test_popping_a_request_context_out_of_order_is_refused() -> None:
    app = erlen.Erlen(__name__)
    outer = app.test_request_context("/outer")
    inner = app.test_request_context("/inner")
    outer.push()
    inner.push()
    with pytest.raises(AssertionError, match="Popped wrong request context"):
        outer.pop()
    # as with Flask's variables, the wrong pop has reset the variable; nothing is left pushed
    assert not erlen.has_request_context() and not erlen.has_app_context()


def _push_again(mod: t.Any) -> list[str]:
    app = getattr(mod, "Flask" if mod is flask else "Erlen")("again")
    log: list[str] = []
    proxy = mod.globals.app_ctx

    @app.route("/")
    def index() -> str:
        ctx = proxy._get_current_object()
        ctx.push()  # the request's own app context, pushed once more
        log.append(f"{mod.request.path} {mod.current_app._get_current_object() is app}")
        ctx.pop()
        log.append(f"{mod.request.path} {proxy._get_current_object() is ctx}")
        return "ok"

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        log.append("teardown_appcontext")

    assert app.test_client().get("/").status_code == 200
    return log


def test_an_app_context_pushed_again_inside_its_request_tears_down_once() -> None:
    assert _push_again(erlen) == _push_again(flask) == ["/ True", "/ True", "teardown_appcontext"]
    assert not erlen.has_app_context()


def test_the_app_context_of_a_request_is_popped_by_the_request() -> None:
    app = erlen.Erlen(__name__)
    errors: list[str] = []

    @app.route("/")
    def index() -> str:
        try:
            app_ctx._get_current_object().pop()
        except AssertionError as e:
            errors.append(str(e))
        return "ok"

    assert app.test_client().get("/").status_code == 200
    # NOTE: the wording depends on whether an appcontext_pushed receiver (of any app) made the
    # request push its app context on its own first; either way the pop is refused.
    assert len(errors) == 1 and errors[0].startswith("Popped the app context")
    assert not erlen.has_app_context()


def test_the_two_variable_helpers_push_and_pop_one_side_each() -> None:
    from erlen.globals import _reset_app_ctx, _reset_request_ctx, _set_app_ctx, _set_request_ctx

    app = erlen.Erlen(__name__)
    app_ctx = app.app_context()
    req_ctx = app.test_request_context("/x")
    app_token = _set_app_ctx(app_ctx)
    req_token = _set_request_ctx(req_ctx)
    assert _get_app_ctx() is app_ctx and _get_request_ctx() is req_ctx
    assert erlen.request.path == "/x"
    _reset_request_ctx(req_token)
    assert _get_app_ctx() is app_ctx and not erlen.has_request_context()
    _reset_app_ctx(app_token)
    assert not erlen.has_app_context()
