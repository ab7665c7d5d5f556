"""``wsgi_app`` runs erlen's own pipeline methods inline; a subclass that overrides one of them
gets every step as a method call (``Erlen._wsgi_app``). Both must answer the same, with the
hooks, signals, teardowns and errors in the same order."""

from __future__ import annotations

import typing as t

import pytest

import erlen
from erlen import Erlen, after_this_request, g, request, session
from erlen.app import _INLINE_METHODS
from erlen.signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)


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
