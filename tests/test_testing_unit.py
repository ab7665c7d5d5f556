"""Unit tests for erlen.testing: EnvironBuilder, the test client, its cookie jar and redirects.

Werkzeug 3.1 and Flask 3.1 serve as behavioural oracles: environs built by erlen are compared with
the ones ``werkzeug.test.EnvironBuilder`` / ``flask.testing.EnvironBuilder`` build for the same
arguments, and multipart bodies are parsed back with Werkzeug's and erlen's form parsers.
"""

from __future__ import annotations

import io
import json
import time
import typing as t

import click
import flask
import flask.testing
import pytest
import werkzeug.formparser
import werkzeug.test
from werkzeug.datastructures import MultiDict as WzMultiDict

from erlen.datastructures import FileStorage, MultiDict
from erlen.http.formparser import parse_form_data
from erlen.http.headervalues import parse_options_header
from erlen.http.response import Response
from erlen.testing import (
    Client,
    ClientRedirectError,
    EnvironBuilder,
    ErlenClient,
    ErlenCliRunner,
    FlaskClient,
    TestResponse,
    encode_multipart,
    run_wsgi_app,
)

Environ = dict[str, t.Any]


# -- helpers -------------------------------------------------------------------------------------


def _comparable(environ: Environ) -> dict[str, t.Any]:
    """The environ without stream objects (bodies are compared separately)."""
    skip = {"wsgi.input", "wsgi.errors", "REQUEST_URI", "RAW_URI"}
    return {k: v for k, v in environ.items() if k not in skip}


def _both(**kwargs: t.Any) -> tuple[Environ, Environ]:
    """(erlen environ, werkzeug environ) for the same Werkzeug-style arguments."""
    ours = EnvironBuilder(**kwargs).get_environ()
    # NOTE: Werkzeug reads a foreign MultiDict as a plain dict; hand it its own type.
    wz_kwargs = {
        k: WzMultiDict(list(v.items(multi=True))) if isinstance(v, MultiDict) else v
        for k, v in kwargs.items()
    }
    theirs = werkzeug.test.EnvironBuilder(**wz_kwargs).get_environ()
    return ours, theirs


def echo_app(environ: Environ, start_response: t.Callable[..., t.Any]) -> list[bytes]:
    """Answer with the request as JSON (method, path, query, body, content type, cookies)."""
    body = environ["wsgi.input"].read()
    payload = {
        "method": environ["REQUEST_METHOD"],
        "script": environ["SCRIPT_NAME"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "host": environ["HTTP_HOST"],
        "scheme": environ["wsgi.url_scheme"],
        "body": body.decode("latin-1"),
        "content_type": environ.get("CONTENT_TYPE"),
        "content_length": environ.get("CONTENT_LENGTH"),
        "cookie": environ.get("HTTP_COOKIE"),
        "remote_addr": environ.get("REMOTE_ADDR"),
        "user_agent": environ.get("HTTP_USER_AGENT"),
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(payload).encode()]


def cookie_app(environ: Environ, start_response: t.Callable[..., t.Any]) -> list[bytes]:
    """``/set?<Set-Cookie value>`` sets that cookie (under any path); everything echoes cookies."""
    headers = [("Content-Type", "text/plain")]
    if environ["PATH_INFO"].endswith("/set") and environ["QUERY_STRING"]:
        from urllib.parse import unquote

        for value in environ["QUERY_STRING"].split("&&"):
            headers.append(("Set-Cookie", unquote(value)))
    start_response("200 OK", headers)
    return [(environ.get("HTTP_COOKIE") or "").encode("latin-1")]


def redirect_app(environ: Environ, start_response: t.Callable[..., t.Any]) -> list[bytes]:
    """``/redirect/<code>?to=<location>`` redirects; everything else echoes."""
    path = environ["PATH_INFO"]
    if path.startswith("/redirect/"):
        from urllib.parse import parse_qs

        location = parse_qs(environ["QUERY_STRING"]).get("to", ["/target"])[0]
        code = path.rsplit("/", 1)[1]
        environ["wsgi.input"].read()
        start_response(f"{code} Redirect", [("Location", location), ("Content-Type", "text/plain")])
        return [b"redirecting"]
    if path == "/loop":
        start_response("302 Found", [("Location", "/loop")])
        return [b""]
    if path == "/login":
        start_response(
            "303 See Other", [("Location", "/target"), ("Set-Cookie", "user=ann; Path=/")]
        )
        return [b""]
    return echo_app(environ, start_response)


class FakeJSON:
    """A stand-in for an app's JSON provider."""

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        return json.dumps(obj, separators=(",", ":"), sort_keys=True)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        return json.loads(s)


class FakeApp:
    """The parts of an app ErlenClient uses: WSGI call, config, json, preserve-context contract."""

    def __init__(self, **config: t.Any) -> None:
        self.config = {
            "SERVER_NAME": None,
            "APPLICATION_ROOT": "/",
            "PREFERRED_URL_SCHEME": "http",
            **config,
        }
        self.json = FakeJSON()
        self.events: list[str] = []
        self.handed_over: list[Recorder] = []

    def __call__(self, environ: Environ, start_response: t.Callable[..., t.Any]) -> t.Any:
        # The app side of the ``with client:`` contract: hand over app ctx, then request ctx.
        preserve = environ.get("werkzeug.debug.preserve_context")
        if preserve is not None:
            app_ctx = Recorder("app", self.events)
            req_ctx = Recorder("request", self.events)
            preserve(app_ctx)
            preserve(req_ctx)
            self.handed_over = [app_ctx, req_ctx]
        self.events.append("request " + environ["PATH_INFO"])
        return redirect_app(environ, start_response)


class Recorder:
    """A context manager that logs its pushes and pops."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def __enter__(self) -> Recorder:
        self.log.append(f"push {self.name}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.log.append(f"pop {self.name}")


# -- EnvironBuilder against Werkzeug ---------------------------------------------------------------

ORACLE_CASES: list[dict[str, t.Any]] = [
    {},
    {"path": "/a%20b/ü/%C3%A9"},
    {"path": "/p?x=1&y=%20z"},
    {"path": "/p", "query_string": "a=1&b=é"},
    {"query_string": {"q": "é x", "r": ["1", "2"], "s": " /?:@!$'()*,;&=+~"}},
    {"query_string": MultiDict([("a", "1"), ("a", "2"), ("b", "3")])},
    {"method": "post"},
    {"method": "DELETE", "headers": {"X-Token": "abc", "Accept": "text/html"}},
    {"headers": [("X-A", "1"), ("X-A", "2")]},
    {"headers": {"Host": "example.org:8080"}},
    {"method": "POST", "data": "hello"},
    {"method": "POST", "data": b"\x00\xffbytes"},
    {"method": "POST", "data": "é"},
    {"method": "POST", "data": {"a": "1", "b": ["2", "3"], "c": " /?:@!$'()*,;&=+~é"}},
    {"method": "POST", "data": MultiDict([("a", "1"), ("a", "2")])},
    {"method": "POST", "data": {"n": 5}},
    {"method": "POST", "data": {"a": "1"}, "content_type": "application/json"},
    {"method": "POST", "data": {}},
    {"method": "POST", "json": {"a": [1, 2], "b": None}},
    {"method": "POST", "json": {"a": 1}, "mimetype": "text/html"},
    {"method": "POST", "json": [1, "x"], "content_type": "application/vnd.api+json"},
    {"mimetype": "text/html"},
    {"mimetype": "application/xml"},
    {"mimetype": "application/json"},
    {"mimetype": "image/svg+xml"},
    {"method": "PUT", "data": "x", "content_type": "text/plain"},
    {"method": "PUT", "data": b"abc", "content_length": 10},
    {"headers": {"Content-Type": "text/plain", "Content-Length": "7"}},
    {"input_stream": io.BytesIO(b"abcdef")},
    {"input_stream": io.BytesIO(b"abcdef"), "content_length": 3, "content_type": "a/b"},
    {"auth": ("user", "pass")},
    {"auth": ("ünïcode", "pässword")},
    {"base_url": "https://ex.com:8443/root/", "path": "/p"},
    {"base_url": "https://ex.com/"},
    {"base_url": "http://localhost/app"},
    {"environ_base": {"REMOTE_ADDR": "1.2.3.4", "PATH_INFO": "/ignored"}},
    {"environ_overrides": {"SERVER_PORT": "99", "wsgi.url_scheme": "https"}},
    {"multithread": True, "multiprocess": True, "run_once": True},
]


@pytest.mark.parametrize("kwargs", ORACLE_CASES, ids=lambda k: repr(k)[:60])
def test_environ_matches_werkzeug(kwargs: dict[str, t.Any]) -> None:
    if "input_stream" in kwargs:
        # NOTE: each builder consumes its own stream.
        data = kwargs["input_stream"].getvalue()
        ours = EnvironBuilder(**{**kwargs, "input_stream": io.BytesIO(data)}).get_environ()
        theirs = werkzeug.test.EnvironBuilder(
            **{**kwargs, "input_stream": io.BytesIO(data)}
        ).get_environ()
    else:
        ours, theirs = _both(**kwargs)
    assert _comparable(ours) == _comparable(theirs)
    assert ours["wsgi.input"].read() == theirs["wsgi.input"].read()
    assert ours["wsgi.errors"] is theirs["wsgi.errors"]


def test_request_uri_when_the_query_is_in_the_path() -> None:
    ours, theirs = _both(path="/a%20b/ü?x=1")
    assert ours["REQUEST_URI"] == ours["RAW_URI"] == theirs["REQUEST_URI"]


def test_request_uri_includes_a_separate_query_string_and_the_script_root() -> None:
    environ = EnvironBuilder(
        path="/p", query_string={"a": "1"}, base_url="http://h/app"
    ).get_environ()
    assert environ["REQUEST_URI"] == "/app/p?a=1"


def test_werkzeug_positional_path_and_app_first_form() -> None:
    assert EnvironBuilder("/x", method="POST").get_environ()["PATH_INFO"] == "/x"
    with pytest.raises(TypeError, match="keyword"):
        EnvironBuilder("/x", "http://h/")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"path": "/p?a=1", "query_string": "b=2"}, ValueError, "Query string is defined"),
        ({"base_url": "http://x/?a=1"}, ValueError, "must not contain a query"),
        ({"base_url": "http://x/#frag"}, ValueError, "must not contain a query"),
        ({"json": {}, "data": "x"}, TypeError, "both json and data"),
        ({"input_stream": io.BytesIO(), "data": "x"}, TypeError, "input stream and data"),
        ({"auth": 42}, TypeError, "auth must be"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, t.Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        EnvironBuilder(**kwargs)


def test_ipv6_host() -> None:
    # NOTE: Werkzeug 3.1 gets this wrong (SERVER_NAME "[", SERVER_PORT "80").
    environ = EnvironBuilder(base_url="http://[::1]:8080/").get_environ()
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("[::1]", "8080")
    assert environ["HTTP_HOST"] == "[::1]:8080"


def test_path_with_fragment_and_full_url() -> None:
    environ = EnvironBuilder(path="/p?a=1#frag").get_environ()
    assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/p", "a=1")
    environ = EnvironBuilder(path="https://other.com:81/p?x=1").get_environ()
    assert environ["HTTP_HOST"] == "other.com:81"
    assert environ["SERVER_NAME"] == "other.com"
    assert environ["SERVER_PORT"] == "81"
    assert environ["wsgi.url_scheme"] == "https"
    assert (environ["PATH_INFO"], environ["QUERY_STRING"]) == ("/p", "x=1")


def test_builder_properties() -> None:
    builder = EnvironBuilder(path="/p", base_url="https://h.example:8443/root/", data={"a": "1"})
    assert builder.base_url == "https://h.example:8443/root/"
    assert (builder.server_name, builder.server_port) == ("h.example", 8443)
    assert builder.content_type == "application/x-www-form-urlencoded"
    assert builder.mimetype == "application/x-www-form-urlencoded"
    builder.mimetype = "text/plain"
    assert builder.content_type == "text/plain; charset=utf-8"
    assert builder.mimetype_params == {"charset": "utf-8"}
    builder.content_length = 3
    assert builder.content_length == 3
    builder.content_length = None
    assert "Content-Length" not in builder.headers
    builder.args["q"] = "1"
    assert builder.query_string == "q=1"
    builder.query_string = "raw"
    assert builder.query_string == "raw"
    with pytest.raises(AttributeError):
        builder.args  # noqa: B018
    with pytest.raises(AttributeError):
        EnvironBuilder(input_stream=io.BytesIO()).form  # noqa: B018


def test_from_environ_round_trip() -> None:
    original = EnvironBuilder(
        path="/é/a%2Fb",
        base_url="https://h.example:8443/root",
        method="POST",
        query_string="a=1&b=%C3%A9",
        headers={"X-Y": "z"},
        data={"x": "1"},
        environ_base={"REMOTE_ADDR": "9.9.9.9", "custom.key": "v"},
    ).get_environ()
    copy = EnvironBuilder.from_environ(original).get_environ()
    assert _comparable(copy) == _comparable(original)
    assert copy["wsgi.input"].read() == b"x=1"


def test_get_request_and_close(tmp_path: t.Any) -> None:
    from erlen.http.request import Request

    target = tmp_path / "f.txt"
    target.write_bytes(b"hello")
    handle = open(target, "rb")  # noqa: SIM115 -- closed by the builder
    builder = EnvironBuilder(path="/u", method="POST", data={"f": handle, "k": "v"})
    request = builder.get_request()
    assert isinstance(request, Request)
    assert request.path == "/u"
    assert request.method == "POST"
    builder.close()
    assert handle.closed
    builder.close()  # idempotent

    class Custom(Request):
        pass

    assert type(EnvironBuilder().get_request(Custom)) is Custom


# -- Flask's EnvironBuilder (app first) against flask.testing ------------------------------------

FLASK_CASES: list[tuple[dict[str, t.Any], dict[str, t.Any]]] = [
    ({}, {}),
    ({}, {"path": "/x?y=1"}),
    ({"SERVER_NAME": "example.com:8080"}, {"path": "/x"}),
    ({"SERVER_NAME": "example.com"}, {"path": "/x", "subdomain": "api"}),
    ({"APPLICATION_ROOT": "/app"}, {"path": "/x"}),
    ({"PREFERRED_URL_SCHEME": "https"}, {"path": "/x"}),
    ({"PREFERRED_URL_SCHEME": "https"}, {"path": "/x", "url_scheme": "http"}),
    ({"SERVER_NAME": "example.com"}, {"path": "http://other.org:81/x?q=1"}),
    ({"SERVER_NAME": "example.com"}, {"path": "/x", "base_url": "http://b.org/root/"}),
    ({}, {"path": "/j", "method": "POST", "json": {"b": 1, "a": [1, 2]}}),
]


@pytest.mark.parametrize(("config", "kwargs"), FLASK_CASES, ids=lambda v: repr(v)[:50])
def test_app_environ_matches_flask(config: dict[str, t.Any], kwargs: dict[str, t.Any]) -> None:
    app = flask.Flask(__name__)
    app.config.update(config)
    ours = EnvironBuilder(app, **kwargs).get_environ()
    theirs = flask.testing.EnvironBuilder(app, **kwargs).get_environ()
    assert _comparable(ours) == _comparable(theirs)
    assert ours["wsgi.input"].read() == theirs["wsgi.input"].read()


def test_subdomain_with_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="subdomain"):
        EnvironBuilder(FakeApp(), base_url="http://x/", subdomain="api")


def test_json_uses_the_apps_provider_else_erlen_json() -> None:
    environ = EnvironBuilder(FakeApp(), json={"b": 1, "a": 2}).get_environ()
    assert environ["wsgi.input"].read() == b'{"a":2,"b":1}'
    assert environ["CONTENT_TYPE"] == "application/json"
    environ = EnvironBuilder(json={"b": 1}).get_environ()
    assert environ["wsgi.input"].read() == b'{"b": 1}'


# -- multipart -------------------------------------------------------------------------------------


def _parse_ours(environ: Environ) -> tuple[t.Any, t.Any]:
    mimetype, options = parse_options_header(environ["CONTENT_TYPE"])
    return parse_form_data(environ["wsgi.input"], mimetype, options, int(environ["CONTENT_LENGTH"]))


def _multipart_data(tmp_path: t.Any) -> dict[str, t.Any]:
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    return {
        "field": "value é",
        "many": ["1", "2"],
        "plain": (io.BytesIO(b"plain text"), "notes.txt"),
        "typed": (io.BytesIO(b"\x89PNG\x00\xff"), "pic.png", "image/png"),
        "storage": FileStorage(io.BytesIO(b"fs"), "fs.bin", content_type="application/x-fs"),
        "disk": open(path, "rb"),  # noqa: SIM115 -- closed by the builder
        "multi": [(io.BytesIO(b"one"), "1.txt"), (io.BytesIO(b"two"), "2.txt")],
        'odd "name"': (io.BytesIO(b"q"), 'we"ird\nname.txt'),
        "unicode": (io.BytesIO(b"u"), "résumé.txt"),
    }


def test_multipart_parses_back_with_werkzeug_and_erlen(
    tmp_path: t.Any, request: pytest.FixtureRequest
) -> None:
    builder = EnvironBuilder(path="/upload", method="POST", data=_multipart_data(tmp_path))
    environ = builder.get_environ()
    builder.close()
    assert environ["CONTENT_TYPE"].startswith("multipart/form-data; boundary=")
    body = environ["wsgi.input"].read()
    assert int(environ["CONTENT_LENGTH"]) == len(body)

    environ["wsgi.input"] = io.BytesIO(body)
    _, wz_form, wz_files = werkzeug.formparser.parse_form_data(environ)
    request.addfinalizer(lambda: [f.close() for _, f in wz_files.items(multi=True)])
    assert wz_form.getlist("field") == ["value é"]
    assert wz_form.getlist("many") == ["1", "2"]
    assert wz_files["plain"].filename == "notes.txt"
    assert wz_files["plain"].content_type == "text/plain"
    assert wz_files["plain"].read() == b"plain text"
    assert wz_files["typed"].content_type == "image/png"
    assert wz_files["typed"].read() == b"\x89PNG\x00\xff"
    assert wz_files["storage"].filename == "fs.bin"
    assert wz_files["storage"].content_type == "application/x-fs"
    assert wz_files["disk"].filename == "report.csv"
    assert wz_files["disk"].content_type == "text/csv"
    assert wz_files["disk"].read() == b"a,b\n1,2\n"
    assert [f.read() for f in wz_files.getlist("multi")] == [b"one", b"two"]
    assert wz_files["unicode"].filename == "résumé.txt"

    environ["wsgi.input"] = io.BytesIO(body)
    form, files = _parse_ours(environ)
    request.addfinalizer(lambda: [f.close() for _, f in files.items(multi=True)])
    assert form.getlist("many") == ["1", "2"]
    assert form["field"] == "value é"
    assert files["typed"].read() == b"\x89PNG\x00\xff"
    assert [f.filename for f in files.getlist("multi")] == ["1.txt", "2.txt"]
    assert wz_files['odd "name"'].filename == 'we"ird%0Aname.txt'  # HTML5 escaping


def test_multipart_boundary_is_random_and_explicit_content_type_wins() -> None:
    data = {"f": (io.BytesIO(b"x"), "x.txt")}
    first = EnvironBuilder(method="POST", data=data).get_environ()["CONTENT_TYPE"]
    data = {"f": (io.BytesIO(b"x"), "x.txt")}
    second = EnvironBuilder(method="POST", data=data).get_environ()["CONTENT_TYPE"]
    assert first != second
    environ = EnvironBuilder(
        method="POST", data={"a": "1"}, content_type="multipart/form-data"
    ).get_environ()
    form, files = _parse_ours(environ)
    assert form["a"] == "1" and not files


def test_encode_multipart_exact_bytes() -> None:
    boundary, body = encode_multipart(
        MultiDict([("a", "1"), ("f", FileStorage(io.BytesIO(b"xy"), "f.txt"))]), boundary="B"
    )
    assert boundary == "B"
    assert body == (
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nxy\r\n--B--\r\n"
    )


# -- running apps, TestResponse -------------------------------------------------------------------


def test_test_response_text_json_request_and_headers() -> None:
    client = Client(echo_app)
    response = client.post("/p", query_string={"q": "1"}, data={"a": "b"})
    assert isinstance(response, TestResponse)
    assert response.status == "200 OK"
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == json.loads(response.text)
    assert response.json["body"] == "a=b"
    assert response.get_json()["query"] == "q=1"
    assert response.text == response.get_data(as_text=True)
    assert response.request.path == "/p"
    assert response.request.environ["QUERY_STRING"] == "q=1"
    assert response.history == ()


@pytest.mark.parametrize(
    "method", ["get", "post", "put", "patch", "delete", "head", "options", "trace"]
)
def test_method_helpers(method: str) -> None:
    response = getattr(Client(echo_app), method)("/m")
    assert response.json["method"] == method.upper()


def test_open_accepts_builder_environ_request_and_werkzeug_positionals() -> None:
    client = Client(echo_app)
    builder = EnvironBuilder(path="/b", method="PATCH")
    assert client.open(builder).json["method"] == "PATCH"
    response = client.open(EnvironBuilder(path="/e", method="PUT", data="z").get_environ())
    assert (response.json["path"], response.json["body"]) == ("/e", "z")
    request = EnvironBuilder(path="/r", method="DELETE").get_request()
    response = client.open(request)
    assert response.request is request
    assert response.json["method"] == "DELETE"
    response = client.open("/w", "https://h.example/root", "a=1", "PUT")
    assert response.json == {
        **response.json,
        "method": "PUT",
        "script": "/root",
        "path": "/w",
        "query": "a=1",
        "scheme": "https",
        "host": "h.example",
    }
    with pytest.raises(TypeError):
        client.open("/w", path="/x")


def test_streaming_app_with_write_and_close() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> t.Iterator[bytes]:
            yield b"b"
            yield b"c"

        def close(self) -> None:
            closed.append(True)

    def app(environ: Environ, start_response: t.Callable[..., t.Any]) -> Body:
        write = start_response("201 CREATED", [("X-A", "1")])
        write(b"a")
        return Body()

    response = Client(app).get("/")
    assert closed == [True]
    assert response.status_code == 201
    assert response.get_data() == b"abc"
    assert response.headers["X-A"] == "1"


def test_lazy_start_response_and_error_replacement() -> None:
    def app(environ: Environ, start_response: t.Callable[..., t.Any]) -> t.Iterator[bytes]:
        start_response("200 OK", [])
        try:
            raise ValueError("boom")
        except ValueError:
            import sys

            start_response("500 INTERNAL SERVER ERROR", [("X-E", "1")], sys.exc_info())
        yield b"error"

    chunks, status, headers = run_wsgi_app(app, EnvironBuilder().get_environ())
    assert (chunks, status, headers["X-E"]) == ([b"error"], "500 INTERNAL SERVER ERROR", "1")


def test_app_that_never_starts_the_response() -> None:
    def app(environ: Environ, start_response: t.Callable[..., t.Any]) -> list[bytes]:
        return [b"x"]

    with pytest.raises(RuntimeError, match="start_response"):
        Client(app).get("/")


def test_app_exceptions_propagate() -> None:
    def app(environ: Environ, start_response: t.Callable[..., t.Any]) -> list[bytes]:
        raise KeyError("nope")

    with pytest.raises(KeyError):
        Client(app).get("/")


def test_response_wrapper_combines_with_the_apps_response_class() -> None:
    class AppResponse(Response):
        marker = "app"

    client = Client(echo_app, AppResponse)
    response = client.get("/")
    assert isinstance(response, TestResponse) and isinstance(response, AppResponse)
    assert response.marker == "app"
    assert type(Client(echo_app, AppResponse).get("/")) is type(response)

    class MyTestResponse(TestResponse):
        pass

    assert type(Client(echo_app, MyTestResponse).get("/")) is MyTestResponse


# -- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 305])
def test_redirect_to_get_drops_the_body(code: int) -> None:
    response = Client(redirect_app).post(
        f"/redirect/{code}", data={"a": "b"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert response.json["method"] == "GET"
    assert response.json["body"] == ""
    assert response.json["content_type"] is None
    assert response.json["content_length"] is None
    assert [r.status_code for r in response.history] == [code]
    assert response.history[0].request.method == "POST"
    assert response.request.path == "/target"


@pytest.mark.parametrize("code", [307, 308])
def test_redirect_keeping_method_and_body(code: int) -> None:
    response = Client(redirect_app).put(f"/redirect/{code}", data={"a": "b"}, follow_redirects=True)
    assert response.json["method"] == "PUT"
    assert response.json["body"] == "a=b"
    assert response.json["content_type"] == "application/x-www-form-urlencoded"
    assert response.json["path"] == "/target"


def test_head_stays_head_and_no_follow_returns_the_redirect() -> None:
    client = Client(redirect_app)
    assert client.head("/redirect/302", follow_redirects=True).request.method == "HEAD"
    response = client.get("/redirect/302")
    assert response.status_code == 302
    assert response.location == "/target"
    assert response.text == "redirecting"


def test_redirect_chain_history_and_targets() -> None:
    client = Client(redirect_app)
    hop2 = "/redirect/307?to=/final%3Fx%3D1"
    from urllib.parse import quote

    response = client.get(f"/redirect/301?to={quote(hop2)}", follow_redirects=True)
    assert [r.status_code for r in response.history] == [301, 307]
    assert [r.request.path for r in response.history] == ["/redirect/301", "/redirect/307"]
    assert (response.json["path"], response.json["query"]) == ("/final", "x=1")


def test_relative_and_absolute_same_host_locations() -> None:
    client = Client(redirect_app)
    response = client.get("/redirect/302?to=../sibling", follow_redirects=True)
    assert response.json["path"] == "/sibling"
    response = client.get("/redirect/302?to=https://localhost/secure?q=1", follow_redirects=True)
    assert (response.json["scheme"], response.json["path"], response.json["query"]) == (
        "https",
        "/secure",
        "q=1",
    )


def test_external_and_subdomain_redirects() -> None:
    client = Client(redirect_app)
    with pytest.raises(RuntimeError, match="external redirects"):
        client.get("/redirect/302?to=http://example.com/", follow_redirects=True)
    with pytest.raises(RuntimeError, match="subdomain redirects"):
        client.get("/redirect/302?to=http://api.localhost/x", follow_redirects=True)
    client = Client(redirect_app, allow_subdomain_redirects=True)
    response = client.get("/redirect/302?to=http://api.localhost/x", follow_redirects=True)
    assert response.json["host"] == "api.localhost"


def test_redirect_loop_is_detected() -> None:
    with pytest.raises(ClientRedirectError, match="Loop detected"):
        Client(redirect_app).get("/loop", follow_redirects=True)


def test_redirect_and_script_root() -> None:
    client = Client(redirect_app)
    response = client.get(
        "/redirect/302?to=/app/inside", base_url="http://localhost/app", follow_redirects=True
    )
    assert (response.json["script"], response.json["path"]) == ("/app", "/inside")
    response = client.get(
        "/redirect/302?to=/outside", base_url="http://localhost/app", follow_redirects=True
    )
    assert (response.json["script"], response.json["path"]) == ("", "/outside")


def test_cookie_set_on_a_redirect_is_sent_to_the_target() -> None:
    response = Client(redirect_app).post("/login", follow_redirects=True)
    assert response.json["cookie"] == "user=ann"
    assert response.json["method"] == "GET"


# -- cookie jar ------------------------------------------------------------------------------------


def _set(client: Client, path: str, *headers: str, base_url: str | None = None) -> None:
    from urllib.parse import quote

    query = "&&".join(quote(h, safe="") for h in headers)
    kwargs = {"base_url": base_url} if base_url else {}
    client.get(f"{path}/set?{query}", **kwargs)


def _sent(client: Client, path: str = "/", base_url: str | None = None) -> str:
    kwargs = {"base_url": base_url} if base_url else {}
    return client.get(path, **kwargs).text


def test_cookie_is_stored_and_sent_back() -> None:
    client = Client(cookie_app)
    _set(
        client,
        "",
        'a="x y"; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=100',
    )
    cookie = client.get_cookie("a")
    assert cookie is not None
    assert (cookie.key, cookie.value, cookie.decoded_key, cookie.decoded_value) == (
        "a",
        '"x y"',
        "a",
        "x y",
    )
    assert (cookie.domain, cookie.path, cookie.max_age) == ("localhost", "/", 100)
    assert (cookie.secure, cookie.http_only, cookie.same_site) == (True, True, "Lax")
    # NOTE: like Werkzeug, Secure cookies are sent over http too.
    assert _sent(client, "/anything") == 'a="x y"'


def test_default_path_and_path_matching() -> None:
    client = Client(cookie_app)
    _set(client, "/sub/dir", "a=1", "b=2; Path=/", "c=3; Path=/sub/dir/")
    assert client.get_cookie("a", path="/sub/dir") is not None
    assert _sent(client, "/sub/dir/x") == "c=3; a=1; b=2"
    assert _sent(client, "/sub/dir") == "a=1; b=2"
    assert _sent(client, "/sub/dirx") == "b=2"
    assert _sent(client, "/") == "b=2"


def test_domain_matching() -> None:
    client = Client(cookie_app)
    base = "http://example.com/"
    _set(client, "", "d=1; Domain=.example.com; Path=/", "o=2; Path=/", base_url=base)
    assert client.get_cookie("d", domain="example.com") is not None
    assert client.get_cookie("d", domain=".example.com") is not None
    assert client.get_cookie("o", domain="example.com").origin_only is True
    assert _sent(client, base_url="http://example.com/") == "d=1; o=2"
    assert _sent(client, base_url="http://www.example.com:8080/") == "d=1"
    assert _sent(client, base_url="http://badexample.com/") == ""
    assert _sent(client) == ""


def test_expiry_and_deletion(monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client(cookie_app)
    _set(client, "", "a=1; Path=/", "b=2; Path=/; Max-Age=10", "c=3; Path=/")
    assert _sent(client) == "a=1; b=2; c=3"
    _set(client, "", "a=; Path=/; Max-Age=0")
    _set(client, "", "c=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    assert client.get_cookie("a") is None and client.get_cookie("c") is None
    assert _sent(client) == "b=2"
    _set(client, "", "e=5; Path=/; Expires=Thu, 01 Jan 2000 00:00:00 GMT")
    assert client.get_cookie("e") is None
    _set(client, "", "f=6; Path=/; Max-Age=100; Expires=Thu, 01 Jan 2000 00:00:00 GMT")
    assert client.get_cookie("f") is not None  # Max-Age wins over Expires
    _set(client, "", "g=7; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
    assert client.get_cookie("g").expires.year == 2100

    later = time.time() + 50
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get_cookie("b") is None
    assert _sent(client) == "f=6; g=7"


def test_set_get_delete_cookie() -> None:
    client = Client(cookie_app)
    client.set_cookie("k", "v w")
    cookie = client.get_cookie("k")
    assert cookie is not None and cookie.decoded_value == "v w"
    assert _sent(client) == cookie._to_request_header()
    client.set_cookie("p", "1", path="/only")
    assert _sent(client, "/only/x") == 'p=1; k="v w"'  # longer paths first
    assert "p=1" not in _sent(client, "/other")
    client.set_cookie("s", "1", domain="example.com", origin_only=False)
    assert _sent(client, base_url="http://api.example.com/") == "s=1"
    client.set_cookie("o", "1", domain="example.com")
    assert _sent(client, base_url="http://api.example.com/") == "s=1"
    assert _sent(client, base_url="http://example.com/") == "s=1; o=1"
    client.delete_cookie("k")
    assert client.get_cookie("k") is None
    client.set_cookie("p", "", path="/only", max_age=0)
    assert client.get_cookie("p", path="/only") is None
    client.delete_cookie("missing")  # no error


def test_explicit_cookie_header_is_merged_with_the_jar() -> None:
    client = Client(cookie_app)
    assert client.get("/", headers={"Cookie": "u=1"}).text == "u=1"
    client.set_cookie("j", "2")
    assert client.get("/", headers={"Cookie": "u=1"}).text == "u=1; j=2"
    assert _sent(client) == "j=2"


def test_set_cookie_without_a_name_is_ignored() -> None:
    client = Client(cookie_app)
    _set(client, "", "=nameless; Path=/", "; Path=/")
    assert client._cookies == {}


def test_use_cookies_false() -> None:
    client = Client(cookie_app, use_cookies=False)
    _set(client, "", "a=1; Path=/")
    assert _sent(client) == ""
    assert client.get("/", headers={"Cookie": "u=1"}).text == "u=1"
    for call in (
        lambda: client.get_cookie("a"),
        lambda: client.set_cookie("a", "1"),
        lambda: client.delete_cookie("a"),
    ):
        with pytest.raises(TypeError, match="use_cookies=True"):
            call()


def test_cookie_jar_matches_werkzeug_for_common_cases() -> None:
    ours, theirs = Client(cookie_app), werkzeug.test.Client(cookie_app)
    for client in (ours, theirs):
        client.get("/set?" + "&&".join(["a=1", "b=2%3B%20Path%3D%2F", "c=%22q%22%3B%20Path%3D%2F"]))
    for path in ("/", "/setx", "/x/y"):
        assert ours.get(path).text == theirs.get(path).text
    for key in ("a", "b", "c"):
        mine, expected = ours.get_cookie(key), theirs.get_cookie(key)
        assert (mine is None) == (expected is None)
        if mine is not None and expected is not None:
            assert (mine.value, mine.decoded_value, mine.path, mine.domain) == (
                expected.value,
                expected.decoded_value,
                expected.path,
                expected.domain,
            )


# -- ErlenClient (Flask's FlaskClient) --------------------------------------------------------------


def test_flask_client_alias_and_environ_base() -> None:
    assert FlaskClient is ErlenClient
    app = FakeApp(SERVER_NAME="example.com", APPLICATION_ROOT="/app", PREFERRED_URL_SCHEME="https")
    client = ErlenClient(app)
    response = client.get("/x")
    assert response.json["remote_addr"] == "127.0.0.1"
    assert response.json["user_agent"].startswith("Erlen/")
    assert (response.json["host"], response.json["script"], response.json["scheme"]) == (
        "example.com",
        "/app",
        "https",
    )
    assert response.json_module is app.json
    response = client.get("/x", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.json["remote_addr"] == "10.0.0.1"
    response = client.open(EnvironBuilder(app, path="/b"))
    assert response.json["remote_addr"] == "127.0.0.1"
    response = client.open({**EnvironBuilder(path="/d").get_environ(), "REMOTE_ADDR": "5.5.5.5"})
    assert (response.json["path"], response.json["remote_addr"]) == ("/d", "5.5.5.5")
    response = client.open(EnvironBuilder(path="/r").get_request())
    assert response.json["user_agent"].startswith("Erlen/")


def test_preserve_context_contract() -> None:
    app = FakeApp()
    client = ErlenClient(app)
    client.get("/outside")
    assert app.events == ["request /outside"]  # no key outside ``with client``

    app.events.clear()
    with client:
        client.get("/one")
        assert app.events == ["request /one", "push app", "push request"]
        app.events.clear()
        client.get("/two")
        assert app.events == ["pop request", "pop app", "request /two", "push app", "push request"]
        app.events.clear()
        with pytest.raises(RuntimeError, match="nest"):
            client.__enter__()
    assert app.events == ["pop request", "pop app"]


def test_preserve_context_keeps_only_the_last_redirect_hop() -> None:
    app = FakeApp()
    client = ErlenClient(app)
    with client:
        client.get("/redirect/302", follow_redirects=True)
        assert app.events == [
            "request /redirect/302",
            "request /target",
            "push app",
            "push request",
        ]
        app.events.clear()
    assert app.events == ["pop request", "pop app"]


def test_session_transaction_requires_cookies() -> None:
    client = ErlenClient(FakeApp(), use_cookies=False)
    with pytest.raises(TypeError, match="use_cookies"):
        with client.session_transaction():
            pass


# -- with the real app ------------------------------------------------------------------------------


def test_with_client_and_session_transaction_on_erlen() -> None:
    import erlen

    app = erlen.Erlen(__name__)
    app.secret_key = "test"

    @app.route("/")
    def index() -> str:
        erlen.session["seen"] = erlen.session.get("seen", 0) + 1
        return f"{erlen.session.get('user')}"

    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "ann"
    with client:
        assert client.get("/?q=1").text == "ann"
        assert erlen.request.args["q"] == "1"
        assert erlen.session["seen"] == 1
    assert not erlen.has_request_context()
    with client.session_transaction() as session:
        assert session["seen"] == 1


# -- CLI runner -------------------------------------------------------------------------------------


def test_cli_runner_defaults_to_app_cli_and_script_info() -> None:
    app = FakeApp()
    cli = click.Group()

    @cli.command()
    @click.pass_obj
    def which(obj: t.Any) -> None:
        click.echo("same" if obj.load_app() is app else "other")

    app.cli = cli  # type: ignore[attr-defined]
    runner = ErlenCliRunner(app)
    assert runner.invoke(args=["which"]).output == "same\n"
    assert runner.invoke(cli, ["which"], obj=None).exit_code != 0
