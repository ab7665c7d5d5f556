"""``wsgi_app`` runs erlen's own pipeline methods inline; a subclass that overrides one of them
gets every step as a method call (``Erlen._wsgi_app``). Both must answer the same, with the
hooks, signals, teardowns and errors in the same order."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import erlen
from erlen import Erlen, after_this_request, g, request, session
from erlen.app import _INLINE_METHODS
from erlen.http.response_memo import text_plan, text_plans
from erlen.signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)
from erlen.testing import EnvironBuilder


class Stepwise(Erlen):
    """Overrides one pipeline method, so wsgi_app takes the step-by-step path."""

    def process_response(self, response: t.Any) -> t.Any:
        return super().process_response(response)


def _build(cls: type[Erlen], log: list[str]) -> Erlen:
    app = cls(__name__)
    app.config["SECRET_KEY"] = "k"

    @app.route("/")
    def index() -> str:
        return "hello"

    @app.route("/users/<int:id>")
    def user(id: int) -> str:
        return f"user {id}"

    @app.route("/json")
    def json_view() -> t.Any:
        return erlen.jsonify(ok=True)

    @app.route("/dict")
    def dict_view() -> t.Any:
        return {"a": 1}

    @app.route("/tuple")
    def tuple_view() -> t.Any:
        return "made", 201, {"X-A": "1"}

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("boom")

    @app.route("/abort")
    def abort_view() -> str:
        erlen.abort(418)

    @app.route("/after")
    def after() -> str:
        @after_this_request
        def add(response: t.Any) -> t.Any:
            log.append("after_this_request")
            response.headers["X-After"] = "1"
            return response

        return "after"

    @app.route("/session")
    def session_view() -> str:
        session["n"] = session.get("n", 0) + 1
        return f"n={session['n']}"

    @app.route("/g")
    def g_view() -> str:
        g.x = "gx"
        return g.x

    @app.route("/args")
    def args_view() -> str:
        return f"{request.args.get('a')} {request.args.get('n', type=int)}"

    @app.route("/slash/")
    def slash() -> str:
        return "slash"

    @app.route("/post", methods=["POST"])
    def post() -> str:
        return request.form.get("f", "")

    @app.route("/long")
    def long_text() -> str:
        return "é" * 300  # 600 bytes: a Content-Length past the table of short ones

    @app.route("/surrogate")
    def surrogate() -> str:
        return "\ud800"  # cannot be encoded: a 500 on every path

    @app.errorhandler(ValueError)
    def on_value_error(e: Exception) -> t.Any:
        log.append(f"handler {e}")
        return "handled", 500

    return app


def _with_hooks(app: Erlen, log: list[str]) -> None:
    @app.before_request
    def before() -> t.Any:
        log.append(f"before {request.path}")
        if request.path == "/short":
            return "short-circuit"
        return None

    @app.after_request
    def after(response: t.Any) -> t.Any:
        log.append("after_request")
        response.headers["X-Hooked"] = "yes"
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        log.append(f"teardown {type(exc).__name__ if exc else None}")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        log.append("teardown_appcontext")


REQUESTS: list[tuple[str, str, dict[str, t.Any]]] = [
    ("GET", "/", {}),
    ("HEAD", "/", {}),
    ("OPTIONS", "/", {}),
    ("GET", "/users/42", {}),
    ("GET", "/users/x", {}),
    ("POST", "/", {}),
    ("GET", "/json", {}),
    ("GET", "/dict", {}),
    ("GET", "/tuple", {}),
    ("GET", "/boom", {}),
    ("GET", "/abort", {}),
    ("GET", "/after", {}),
    ("GET", "/session", {}),
    ("GET", "/g", {}),
    ("GET", "/args?a=1&n=2", {}),
    ("GET", "/slash", {}),
    ("GET", "/short", {}),
    ("GET", "/missing", {}),
    ("POST", "/post", {"data": {"f": "v"}}),
    ("GET", "/", {"headers": {"Host": "bad host"}}),
    ("GET", "/long", {}),
    ("HEAD", "/long", {}),
    ("GET", "/surrogate", {}),
    ("GET", "/", {"headers": {"Cookie": "other=1"}}),
]


def _run(cls: type[Erlen], hooks: bool, signals: bool) -> list[t.Any]:
    log: list[str] = []
    app = _build(cls, log)
    if hooks:
        _with_hooks(app, log)
    receivers = []
    if signals:
        for sig in (
            request_started,
            request_finished,
            request_tearing_down,
            appcontext_pushed,
            appcontext_popped,
            appcontext_tearing_down,
        ):

            def receiver(sender: t.Any, _name: str = sig.name, **kw: t.Any) -> None:
                log.append(f"signal {_name}")

            sig.connect(receiver, app)
            receivers.append((sig, receiver))
    out: list[t.Any] = []
    try:
        client = app.test_client()
        for method, url, kwargs in REQUESTS:
            log.clear()
            resp = client.open(url, method=method, **kwargs)
            headers = sorted((k, v) for k, v in resp.headers.items() if k != "Set-Cookie")
            out.append((method, url, resp.status, headers, resp.get_data(), list(log)))
        with app.app_context():  # a request inside an app context of the same app
            log.clear()
            resp = client.get("/g")
            out.append(("nested", resp.status, resp.get_data(), list(log)))
    finally:
        for sig, receiver in receivers:
            sig.disconnect(receiver, app)
    return out


@pytest.mark.parametrize("hooks", [False, True])
@pytest.mark.parametrize("signals", [False, True])
def test_inline_and_stepwise_pipelines_agree(hooks: bool, signals: bool) -> None:
    assert Erlen._own_pipeline and not Stepwise._own_pipeline
    assert _run(Erlen, hooks, signals) == _run(Stepwise, hooks, signals)


@pytest.mark.parametrize("name", _INLINE_METHODS)
def test_overriding_any_inlined_method_takes_the_stepwise_path(name: str) -> None:
    calls: list[str] = []
    original = getattr(Erlen, name)

    def override(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        calls.append(name)
        return original(self, *args, **kwargs)

    cls = type("Custom", (Erlen,), {name: override})
    assert not cls._own_pipeline
    app = cls(__name__)
    app.add_url_rule("/", "index", lambda: "hello")
    resp = app.test_client().get("/")
    assert resp.get_data() == b"hello"
    assert name in calls


def test_a_propagated_error_pops_the_contexts() -> None:
    app = Erlen(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    popped: list[str] = []

    @app.route("/")
    def index() -> str:
        raise RuntimeError("out")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        popped.append(type(exc).__name__)

    with pytest.raises(RuntimeError):
        app.test_client().get("/")
    assert popped == ["RuntimeError"]
    assert not erlen.has_request_context()
    assert not erlen.has_app_context()


@pytest.mark.parametrize("cls", [Erlen, Stepwise])
def test_uploaded_files_are_closed_after_the_request(cls: type[Erlen]) -> None:
    import io

    app = cls(__name__)
    seen: list[t.Any] = []

    @app.route("/up", methods=["POST"])
    def up() -> str:
        seen.append(request.files["f"])
        return "ok"

    resp = app.test_client().post("/up", data={"f": (io.BytesIO(b"data"), "a.txt")})
    assert resp.get_data() == b"ok"
    assert seen[0].stream.closed


class _Emit:
    """A callable that is not a function: a ``__call__`` the call operator must bind itself."""

    def __get__(self, obj: t.Any, owner: t.Any = None) -> t.Any:
        if obj is None:
            return self

        def emit(environ: t.Any, start_response: t.Any) -> list[bytes]:
            start_response("203 NON-AUTHORITATIVE INFORMATION", [("X-Via", "descriptor")])
            return [b"via descriptor"]

        return emit


@pytest.mark.parametrize("kind", ["function", "descriptor"])
def test_a_response_class_call_override_is_honoured(kind: str) -> None:
    # wsgi_app calls a plain-function ``__call__`` directly and any other through the operator;
    # both must send what the response class's ``__call__`` sends.
    if kind == "function":

        class Sent(erlen.Response):
            def __call__(self, environ: t.Any, start_response: t.Any) -> t.Any:
                start_response("203 NON-AUTHORITATIVE INFORMATION", [("X-Via", "function")])
                return [b"via function"]

    else:

        class Sent(erlen.Response):  # type: ignore[no-redef]
            __call__ = _Emit()  # type: ignore[assignment]

    app = Erlen(__name__)
    app.response_class = Sent

    @app.route("/")
    def index() -> str:
        return "hello"

    resp = app.test_client().get("/")
    assert resp.status_code == 203
    assert resp.headers["X-Via"] == kind
    assert resp.data == f"via {kind}".encode()


# -- the text path: a str view result sent without a response object ------------------------


class PlainText(erlen.Response):
    default_mimetype = "text/plain"


class Created(erlen.Response):
    default_status = 201


class Xml(erlen.Response):
    default_mimetype = "application/xml"


class NoContent(erlen.Response):
    default_status = 204


class Latin1(erlen.Response):
    charset = "latin-1"


class NoLength(erlen.Response):
    automatically_set_content_length = False


class NoMimetype(erlen.Response):
    default_mimetype = None


class OwnInit(erlen.Response):
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers["X-Own"] = "init"


class OwnSetData(erlen.Response):
    def set_data(self, value: t.Any) -> None:
        super().set_data(value)
        self.headers["X-Own"] = "set_data"


class OnClose(erlen.Response):
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.call_on_close(lambda: None)


#: response class -> whether a str view result takes the text path with it
TEXT_CLASSES: dict[type[erlen.Response], bool] = {
    erlen.Response: True,
    PlainText: True,
    Created: True,
    Xml: True,
    NoContent: False,
    Latin1: False,
    NoLength: False,
    NoMimetype: False,
    OwnInit: False,
    OwnSetData: False,
    OnClose: False,
}
_TEXT: list[str] = [""]


def _text_app(cls: type[Erlen], response_class: type[erlen.Response]) -> Erlen:
    app = cls(__name__)
    app.response_class = response_class

    @app.route("/")
    def index() -> str:
        return _TEXT[0]

    return app


def _wsgi_answer(app: Erlen, method: str = "GET", **kwargs: t.Any) -> tuple[t.Any, ...]:
    """The exact WSGI answer: status, header list in order, body."""
    builder = EnvironBuilder(path="/", method=method, **kwargs)
    environ = builder.get_environ()
    builder.close()
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
        seen.append((status, list(headers)))

    body_iter = app(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        close = getattr(body_iter, "close", None)
        if close is not None:
            close()
    return (*seen, body)


_APPS = {
    (cls, response_class): _text_app(cls, response_class)
    for cls in (Erlen, Stepwise)
    for response_class in TEXT_CLASSES
}


def test_which_response_classes_take_the_text_path() -> None:
    assert {cls: bool(text_plan(cls)) for cls in TEXT_CLASSES} == TEXT_CLASSES
    assert text_plan(erlen.Response) == ("200 OK", ("Content-Type", "text/html; charset=utf-8"))
    assert not text_plan(dict)  # not a response class at all


@given(text=st.text(alphabet=st.characters(), max_size=700))
@settings(max_examples=300, deadline=None)
def test_the_text_path_sends_what_the_response_object_sends(text: str) -> None:
    # Erlen takes the text path (for the classes that allow it), Stepwise builds the response
    # object and calls it: the same status, header list and body, also for text that cannot be
    # encoded (a lone surrogate: a 500) and for HEAD.
    _TEXT[0] = text
    for response_class in TEXT_CLASSES:
        for method in ("GET", "HEAD"):
            inline = _wsgi_answer(_APPS[Erlen, response_class], method)
            stepwise = _wsgi_answer(_APPS[Stepwise, response_class], method)
            assert inline == stepwise, (response_class, method)


@pytest.mark.parametrize("setup", ["after_request", "after_this_request", "signal", "cookie"])
def test_the_response_object_is_built_when_something_may_see_it(setup: str) -> None:
    # Each of these receives or may change the response: the text path must not skip it.
    app = Erlen(__name__)
    app.secret_key = "k"
    seen: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        if setup == "after_this_request":
            after_this_request(lambda r: seen.append(r) or r)
        return "hello"

    if setup == "after_request":
        app.after_request(lambda r: seen.append(r) or r)

    def on_finished(sender: t.Any, response: t.Any, **kw: t.Any) -> None:
        seen.append(response)

    request_finished.connect(on_finished, app)
    if setup != "signal":
        request_finished.disconnect(on_finished, app)
    try:
        kwargs = {"headers": {"Cookie": "session=x"}} if setup == "cookie" else {}
        answer = _wsgi_answer(app, **kwargs)
    finally:
        request_finished.disconnect(on_finished, app)
    assert answer[-1] == b"hello"
    if setup != "cookie":
        assert len(seen) == 1 and isinstance(seen[0], erlen.Response)


def test_a_class_attribute_changed_after_a_request_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Changing(erlen.Response):
        pass

    app = _text_app(Erlen, Changing)
    _TEXT[0] = "text"
    assert _wsgi_answer(app)[0][1][0] == ("Content-Type", "text/html; charset=utf-8")
    Changing.default_mimetype = "text/plain"
    assert _wsgi_answer(app)[0][1][0] == ("Content-Type", "text/plain; charset=utf-8")
    del Changing.default_mimetype
    assert _wsgi_answer(app)[0][1][0] == ("Content-Type", "text/html; charset=utf-8")
    # a change on a base class reaches its subclasses too
    monkeypatch.setattr(erlen.Response, "default_status", 202)
    assert _wsgi_answer(app)[0][0] == "202 ACCEPTED"
    monkeypatch.undo()
    assert _wsgi_answer(app)[0][0] == "200 OK"


def test_a_method_replaced_on_a_class_turns_its_fast_paths_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Base(erlen.Response):
        pass

    class Child(Base):
        pass

    app = _text_app(Erlen, Child)
    _TEXT[0] = "text"
    assert Child._fast_path and text_plan(Child)

    def set_data(self: t.Any, value: t.Any) -> None:
        erlen.Response.set_data(self, value)
        self.headers["X-Set"] = "patched"

    monkeypatch.setattr(Base, "set_data", set_data)
    assert not Base._fast_path and not Child._fast_path and not text_plan(Child)
    assert ("X-Set", "patched") in _wsgi_answer(app)[0][1]
    monkeypatch.undo()
    assert Base._fast_path and Child._fast_path and text_plan(Child)
    assert ("X-Set", "patched") not in _wsgi_answer(app)[0][1]


def test_the_memo_of_text_plans_is_bounded() -> None:
    for i in range(100):
        text_plan(type(f"R{i}", (erlen.Response,), {}))
        assert len(text_plans) <= 64
