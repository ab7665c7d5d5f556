"""The request pipeline as Flask documents it: routing through the app, return values, hooks,
errors, contexts."""

from __future__ import annotations

import logging

import pytest

import erlen
from erlen import (
    Blueprint,
    abort,
    after_this_request,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    request,
    url_for,
)
from erlen.exceptions import BadRequestKeyError, InternalServerError, NotFound

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")

# -- the seed's examples -----------------------------------------------------------------------


def test_seed_hello_lowercase_method(app, client):
    @app.route("/", methods=["get"])
    def hello():
        return "hello world!!!"

    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.data == b"hello world!!!"
    assert rv.mimetype == "text/html"
    assert client.post("/").status_code == 405


def test_seed_args_and_form(app, client):
    @app.route("/user")
    def user():
        return f"user={request.args.get('username')}"

    @app.route("/login", methods=["POST"])
    def login():
        return f"{request.form['username']}:{request.form['password']}"

    assert client.get("/user?username=alice").text == "user=alice"
    assert client.get("/user").text == "user=None"
    rv = client.post("/login", data={"username": "bob", "password": "pw"})
    assert rv.text == "bob:pw"


def test_seed_drawing_blueprint(app, client):
    bp = Blueprint("drawing", __name__, url_prefix="/drawing")

    @bp.route("/add_watermark")
    def add_watermark():
        return "watermark"

    @bp.route("/picture_posite")
    def picture_posite():
        return "posite"

    app.register_blueprint(bp)
    assert client.get("/drawing/add_watermark").text == "watermark"
    assert client.get("/drawing/picture_posite").text == "posite"
    with app.test_request_context():
        assert url_for("drawing.add_watermark") == "/drawing/add_watermark"


# -- routing through the app ------------------------------------------------------------------


def test_method_shortcuts(app, client):
    @app.get("/r")
    def r_get():
        return "get"

    @app.post("/r")
    def r_post():
        return "post"

    @app.put("/r")
    def r_put():
        return "put"

    @app.patch("/r")
    def r_patch():
        return "patch"

    @app.delete("/r")
    def r_delete():
        return "delete"

    for method in ("get", "post", "put", "patch", "delete"):
        assert getattr(client, method)("/r").text == method
    with pytest.raises(TypeError, match="Use the 'route' decorator"):
        app.get("/x", methods=["POST"])


def test_methods_must_be_a_list(app):
    with pytest.raises(TypeError, match="must be a list of strings"):
        app.add_url_rule("/", "x", lambda: "", methods="POST")


def test_automatic_head_and_options(app, client):
    @app.route("/", methods=["GET", "POST"])
    def index():
        return "body"

    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == "4"
    rv = client.options("/")
    assert rv.status_code == 200
    assert sorted(rv.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]


def test_options_can_be_disabled(app, client):
    @app.route("/", provide_automatic_options=False)
    def index():
        return "x"

    assert client.options("/").status_code == 405


def test_405_has_allow_header(app, client):
    @app.route("/", methods=["POST"])
    def index():
        return "x"

    rv = client.get("/")
    assert rv.status_code == 405
    assert sorted(rv.headers["Allow"].split(", ")) == ["OPTIONS", "POST"]


def test_404_body(app, client):
    rv = client.get("/missing")
    assert rv.status_code == 404
    assert b"<title>404 Not Found</title>" in rv.data


def test_strict_slashes_redirect_keeps_query(app, client):
    @app.route("/folder/")
    def folder():
        return "folder"

    rv = client.get("/folder?x=1")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/folder/?x=1"
    assert client.get("/folder/").text == "folder"
    assert client.get("/folder", follow_redirects=True).text == "folder"


def test_converters_and_view_args(app, client):
    @app.route("/u/<int:uid>/<path:rest>")
    def user(uid, rest):
        assert request.view_args == {"uid": uid, "rest": rest}
        assert request.endpoint == "user"
        return f"{uid!r} {rest}"

    assert client.get("/u/42/a/b").text == "42 a/b"
    assert client.get("/u/x/a").status_code == 404


def test_endpoint_decorator(app, client):
    app.add_url_rule("/e", "named")

    @app.endpoint("named")
    def view():
        return "named view"

    assert client.get("/e").text == "named view"


def test_overwriting_endpoint_raises(app):
    app.add_url_rule("/a", "ep", lambda: "a")
    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "ep", lambda: "b")


def test_setup_after_first_request_raises(app, client):
    @app.route("/")
    def index():
        return ""

    client.get("/")
    with pytest.raises(AssertionError, match="already handled its first request"):
        app.add_url_rule("/late", "late", lambda: "")


# -- return values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rv", "status", "body", "mimetype"),
    [
        ("text", 200, b"text", "text/html"),
        (b"bytes", 200, b"bytes", "text/html"),
        (("created", 201), 201, b"created", "text/html"),
        (("teapot", "418 I'M A TEAPOT"), 418, b"teapot", "text/html"),
        (("hdr", {"X-A": "1"}), 200, b"hdr", "text/html"),
        (("both", 202, [("X-A", "1")]), 202, b"both", "text/html"),
        ({"a": 1}, 200, b'{"a":1}\n', "application/json"),
        ([1, 2], 200, b"[1,2]\n", "application/json"),
        (({"a": 1}, 400), 400, b'{"a":1}\n', "application/json"),
    ],
)
def test_return_values(app, client, rv, status, body, mimetype):
    app.add_url_rule("/", "index", lambda: rv)
    resp = client.get("/")
    assert resp.status_code == status
    assert resp.data == body
    assert resp.mimetype == mimetype
    if isinstance(rv, tuple) and not isinstance(rv[-1], int) and not isinstance(rv[-1], str):
        assert resp.headers["X-A"] == "1"


def test_generator_is_streamed(app, client):
    @app.route("/")
    def index():
        def gen():
            yield "a"
            yield b"b"

        return gen()

    rv = client.get("/")
    assert rv.data == b"ab"
    assert "Content-Length" not in rv.headers


def test_wsgi_callable_and_response_return(app, client):
    def wsgi(environ, start_response):
        start_response("203 Non Authoritative Information", [("X-W", "y")])
        return [b"from wsgi"]

    app.add_url_rule("/w", "w", lambda: wsgi)
    app.add_url_rule("/r", "r", lambda: erlen.Response("resp", 201, mimetype="text/plain"))
    rv = client.get("/w")
    assert (rv.status_code, rv.data, rv.headers["X-W"]) == (203, b"from wsgi", "y")
    rv = client.get("/r")
    assert (rv.status_code, rv.data, rv.mimetype) == (201, b"resp", "text/plain")


@pytest.mark.parametrize(
    ("rv", "message"),
    [
        (None, "did not return a valid response"),
        ((1, 2, 3, 4), "valid response tuple"),
        (3.5, "but it was a float"),
    ],
)
def test_bad_return_values(app, client, rv, message):
    app.add_url_rule("/", "index", lambda: rv)
    with pytest.raises(TypeError, match=message):
        client.get("/")


def test_make_response_jsonify_redirect(app, client):
    @app.route("/mr")
    def mr():
        resp = make_response("body", 202, {"X-Y": "z"})
        return resp

    @app.route("/j")
    def j():
        return jsonify(a=1, b=[1, 2])

    @app.route("/go")
    def go():
        return redirect(url_for("j"), 301)

    rv = client.get("/mr")
    assert (rv.status_code, rv.headers["X-Y"]) == (202, "z")
    assert client.get("/j").json == {"a": 1, "b": [1, 2]}
    rv = client.get("/go")
    assert rv.status_code == 301
    assert rv.headers["Location"] == "/j"


def test_redirect_refuses_header_injection(app, client):
    @app.route("/")
    def index():
        return redirect(request.args["to"])

    rv = client.get("/", query_string={"to": "/x\r\nSet-Cookie: evil=1"})
    assert rv.status_code == 302
    assert "evil" not in rv.headers.get("Set-Cookie", "")
    assert "\r" not in rv.headers["Location"] and "\n" not in rv.headers["Location"]


def test_header_injection_by_app_is_refused(app, client):
    @app.route("/")
    def index():
        resp = make_response("x")
        resp.headers["X-Evil"] = "a\r\nSet-Cookie: b=c"
        return resp

    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(ValueError):
        client.get("/")


# -- hooks ------------------------------------------------------------------------------------


def test_hook_order(app, client):
    calls = []

    @app.before_request
    def before1():
        calls.append("before1")

    @app.before_request
    def before2():
        calls.append("before2")

    @app.after_request
    def after1(response):
        calls.append("after1")
        return response

    @app.after_request
    def after2(response):
        calls.append("after2")
        return response

    @app.teardown_request
    def teardown1(exc):
        calls.append("teardown1")

    @app.teardown_request
    def teardown2(exc):
        calls.append("teardown2")

    @app.teardown_appcontext
    def teardown_app(exc):
        calls.append("teardown_app")

    @app.route("/")
    def index():
        calls.append("view")

        @after_this_request
        def once(response):
            calls.append("after_this")
            return response

        return "x"

    client.get("/")
    assert calls == [
        "before1",
        "before2",
        "view",
        "after_this",
        "after2",
        "after1",
        "teardown2",
        "teardown1",
        "teardown_app",
    ]


def test_before_request_short_circuits(app, client):
    @app.before_request
    def stop():
        if request.args.get("stop"):
            return "stopped", 403

    app.add_url_rule("/", "index", lambda: "view")
    assert client.get("/?stop=1").data == b"stopped"
    assert client.get("/?stop=1").status_code == 403
    assert client.get("/").data == b"view"


def test_after_request_can_replace_response(app, client):
    @app.after_request
    def add(response):
        response.headers["X-After"] = "yes"
        return response

    app.add_url_rule("/", "index", lambda: "view")
    assert client.get("/").headers["X-After"] == "yes"
    # after_request also runs for error responses produced by handlers
    assert client.get("/nope").headers["X-After"] == "yes"


def test_teardown_receives_exception(app, client):
    seen = []

    @app.teardown_request
    def teardown(exc):
        seen.append(exc)

    @app.route("/")
    def index():
        raise ZeroDivisionError

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/").status_code == 500
    assert isinstance(seen[0], ZeroDivisionError)


def test_url_value_preprocessor_and_defaults(app, client):
    @app.url_value_preprocessor
    def pull_lang(endpoint, values):
        g.lang = values.pop("lang", None)

    @app.url_defaults
    def add_lang(endpoint, values):
        if "lang" not in values and app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang

    @app.route("/<lang>/page")
    def page():
        return f"{g.lang} {url_for('page')}"

    assert client.get("/de/page").text == "de /de/page"


# -- errors -----------------------------------------------------------------------------------


def test_abort_and_errorhandler_by_code(app, client):
    @app.errorhandler(404)
    def not_found(e):
        assert isinstance(e, NotFound)
        return f"custom {e.code}", 404

    @app.route("/")
    def index():
        abort(404)

    assert client.get("/").data == b"custom 404"
    assert client.get("/other").data == b"custom 404"


def test_errorhandler_by_exception_class_uses_mro(app, client):
    class AppError(Exception):
        pass

    class SpecificError(AppError):
        pass

    @app.errorhandler(AppError)
    def handle(e):
        return type(e).__name__, 409

    @app.route("/")
    def index():
        raise SpecificError()

    rv = client.get("/")
    assert (rv.status_code, rv.data) == (409, b"SpecificError")


def test_abort_with_response(app, client):
    @app.route("/")
    def index():
        abort(make_response("custom body", 418))

    rv = client.get("/")
    assert (rv.status_code, rv.data) == (418, b"custom body")


def test_unhandled_error_gives_500_with_original_exception(app, client, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen = []

    @app.errorhandler(500)
    def server_error(e):
        assert isinstance(e, InternalServerError)
        seen.append(e.original_exception)
        return "sorry", 500

    @app.route("/")
    def index():
        raise KeyError("boom")

    with caplog.at_level(logging.ERROR):
        rv = client.get("/")
    assert (rv.status_code, rv.data) == (500, b"sorry")
    assert isinstance(seen[0], KeyError)
    assert "Exception on / [GET]" in caplog.text


def test_testing_propagates_exceptions(app, client):
    @app.route("/")
    def index():
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        client.get("/")


def test_missing_form_key_is_400(app, client):
    @app.route("/", methods=["POST"])
    def index():
        return request.form["missing"]

    rv = client.post("/", data={"other": "x"})
    assert rv.status_code == 400


def test_missing_key_error_is_keyerror_and_badrequest(app):
    with app.test_request_context("/?a=1"):
        with pytest.raises(KeyError):
            request.args["b"]
        with pytest.raises(BadRequestKeyError):
            request.args["b"]


def test_trap_http_exceptions(app, client):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True

    @app.route("/")
    def index():
        abort(404)

    with pytest.raises(NotFound):
        client.get("/")


def test_errorhandler_rejects_unknown_codes_and_instances(app):
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.errorhandler(999)(lambda e: "")
    with pytest.raises(TypeError, match="is an instance, not a class"):
        app.register_error_handler(ValueError(), lambda e: "")


# -- contexts ---------------------------------------------------------------------------------


def test_proxies_outside_context_explain_the_fix():
    with pytest.raises(RuntimeError, match="app.test_request_context"):
        _ = request.args
    with pytest.raises(RuntimeError, match="app.app_context"):
        _ = current_app.name
    with pytest.raises(RuntimeError, match="app.app_context"):
        g.x = 1


def test_app_context_and_g(app):
    assert not erlen.has_app_context()
    with app.app_context():
        assert erlen.has_app_context()
        assert not erlen.has_request_context()
        assert current_app._get_current_object() is app
        g.user = "x"
        assert g.get("user") == "x"
        assert "user" in g
        assert g.setdefault("other", 3) == 3
        assert g.pop("user") == "x"
        assert g.get("user") is None


def test_test_request_context(app):
    with app.test_request_context("/path?x=1", method="POST", data={"a": "b"}):
        assert request.path == "/path"
        assert request.method == "POST"
        assert request.args["x"] == "1"
        assert request.form["a"] == "b"
        assert isinstance(request, erlen.Request)


def test_copy_current_request_context(app, client):
    import threading

    result = []

    @app.route("/")
    def index():
        @erlen.copy_current_request_context
        def worker():
            result.append(request.args["x"])

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        return "ok"

    client.get("/?x=5")
    assert result == ["5"]


def test_stream_with_context(app, client):
    @app.route("/")
    def index():
        def gen():
            yield "hello "
            yield request.args["name"]

        return erlen.stream_with_context(gen())

    assert client.get("/?name=world").text == "hello world"


def test_with_client_keeps_context(app, client):
    @app.route("/")
    def index():
        g.value = 42
        return "x"

    with client:
        client.get("/?a=1")
        assert request.args["a"] == "1"
        assert g.value == 42


def test_async_view_under_wsgi(app, client):
    import asyncio

    @app.route("/")
    async def index():
        await asyncio.sleep(0)
        return f"async {request.args['x']}"

    assert client.get("/?x=1").text == "async 1"
    assert client.get("/?x=2").text == "async 2"


def test_signals_sent_when_connected(app, client):
    events = []

    def started(sender, **kw):
        events.append("started")

    def finished(sender, response, **kw):
        events.append(("finished", response.status_code))

    app.add_url_rule("/", "index", lambda: "x")
    with (
        erlen.request_started.connected_to(started, app),
        erlen.request_finished.connected_to(finished, app),
    ):
        client.get("/")
    assert events == ["started", ("finished", 200)]


def test_flask_alias():
    assert erlen.Flask is erlen.Erlen


def test_config_defaults(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 500_000
    assert app.config["PROVIDE_AUTOMATIC_OPTIONS"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert app.testing is True
    assert app.secret_key == "test key"


def test_redirect_to_rule(app, client):
    app.add_url_rule("/old/<int:n>", "old", redirect_to="/new/<n>")
    app.add_url_rule("/new/<int:n>", "new", lambda n: f"new {n}")
    rv = client.get("/old/3?x=1")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "http://localhost/new/3"
    assert client.get("/old/3", follow_redirects=True).text == "new 3"


@pytest.mark.parametrize(
    "target",
    ["http://[::1/x", "http://a..b.ü/x", "http://" + "ü" * 70 + ".com/", "/ü?q=a b#frag"],
)
def test_redirect_to_any_user_target_never_500(app, client, target):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/")
    def index():
        return redirect(request.args["to"])

    rv = client.get("/", query_string={"to": target})
    assert rv.status_code == 302
    location = rv.headers["Location"]
    assert location.isascii()
    assert not any(c in location for c in "\r\n\0 ")


def test_routes_command_lists_rules(app):
    from click.testing import CliRunner

    from erlen.cli import ScriptInfo, cli

    app.add_url_rule("/users/<int:uid>", "user", lambda uid: "", methods=["GET", "POST"])
    result = CliRunner().invoke(cli, ["routes"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("user "))
    assert "GET, POST" in line and "/users/<int:uid>" in line
    assert "static" in result.output


def test_shell_context(app):
    @app.shell_context_processor
    def extra():
        return {"answer": 42}

    with app.app_context():
        context = app.make_shell_context()
    assert context["app"] is app
    assert context["answer"] == 42
    assert "g" in context


def test_open_instance_and_app_resources(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "settings.cfg").write_text("x = 1\n")
    (tmp_path / "schema.sql").write_bytes(b"create table t;")
    app = erlen.Erlen("resources_app", root_path=str(tmp_path))
    assert app.instance_path == str(tmp_path / "instance")
    with app.open_instance_resource("settings.cfg", "r") as f:
        assert f.read() == "x = 1\n"
    with app.open_resource("schema.sql") as f:
        assert f.read() == b"create table t;"
    with pytest.raises(ValueError, match="only be opened for reading"):
        app.open_resource("schema.sql", "w")
