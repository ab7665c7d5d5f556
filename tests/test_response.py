"""erlen.http.response.Response: behaviour, checked against Werkzeug's Response as an oracle where it applies."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from werkzeug.test import create_environ
from werkzeug.wrappers import Response as WResponse

from erlen.datastructures import Headers
from erlen.exceptions import RequestedRangeNotSatisfiable
from erlen.http.response import FileWrapper, is_resource_modified, wrap_file
from erlen.wrappers import Response

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")


class OracleResponse(WResponse):
    """Werkzeug's Response with Flask's defaults."""

    default_mimetype = "text/html"


def env(method: str = "GET", **headers: str) -> dict:
    environ = {"REQUEST_METHOD": method, "wsgi.url_scheme": "http", "SERVER_NAME": "localhost"}
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    environ.update(SERVER_PORT="80", PATH_INFO="/", SCRIPT_NAME="")
    return environ


def run(resp: Response, environ: dict | None = None) -> tuple[str, list, bytes]:
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    app_iter = resp(environ or env(), start_response)
    try:
        body = b"".join(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    return captured["status"], captured["headers"], body


# -- construction and status -----------------------------------------------------------------------


def test_defaults():
    resp = Response()
    assert resp.status == "200 OK"
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    assert resp.content_type == "text/html; charset=utf-8"
    assert resp.get_data() == b""
    assert resp.headers.to_wsgi_list() == [("Content-Type", "text/html; charset=utf-8")]


@pytest.mark.parametrize("body", ["hello", b"hello", bytearray(b"hello"), "h\u00e9llo", b""])
def test_str_and_bytes_bodies_match_werkzeug(body):
    ours, theirs = Response(body), OracleResponse(body)
    assert ours.get_data() == theirs.get_data()
    assert ours.headers.to_wsgi_list() == theirs.headers.to_wsgi_list()
    assert ours.is_sequence and not ours.is_streamed


@pytest.mark.parametrize(
    "status",
    [
        200,
        201,
        299,
        404,
        418,
        600,
        99,
        HTTPStatus.NOT_FOUND,
        "404 NOT FOUND",
        "299 CUSTOM",
        "200",
        " 200 ok ",
        "404",
        "999",
        "418 I'm a teapot",
    ],
)
def test_status_forms_match_werkzeug(status):
    ours, theirs = Response(status=status), OracleResponse(status=status)
    assert (ours.status, ours.status_code) == (theirs.status, theirs.status_code)
    ours, theirs = Response(), OracleResponse()
    ours.status = theirs.status = status
    assert (ours.status, ours.status_code) == (theirs.status, theirs.status_code)
    ours.status_code = theirs.status_code = status
    assert (ours.status, ours.status_code) == (theirs.status, theirs.status_code)


@pytest.mark.parametrize("status", ["", "   ", "abc", "OK 200", "200\r\nX-Evil: 1", "200 O\rK"])
def test_invalid_status_raises_value_error(status):
    with pytest.raises(ValueError):
        Response(status=status)
    resp = Response()
    with pytest.raises(ValueError):
        resp.status = status
    assert resp.status == "200 OK"


@pytest.mark.parametrize("status", [1.5, b"200", object()])
def test_status_of_wrong_type_raises_type_error(status):
    with pytest.raises(TypeError):
        Response(status=status)


def test_default_status_of_subclass():
    class Created(Response):
        default_status = 201
        default_mimetype = "application/json"

    resp = Created("{}")
    assert resp.status == "201 CREATED"
    assert resp.content_type == "application/json"


@pytest.mark.parametrize(
    "mimetype",
    [
        "text/plain",
        "text/html",
        "application/json",
        "application/xml",
        "application/javascript",
        "application/ecmascript",
        "application/sql",
        "application/xml-dtd",
        "image/svg+xml",
        "application/atom+xml",
        "application/vnd.api+json",
        "image/png",
        "application/octet-stream",
        "application/x-www-form-urlencoded",
        "text/plain; a=b",
        "Text/Plain",
    ],
)
def test_mimetype_charset_rules_match_werkzeug(mimetype):
    assert (
        Response(mimetype=mimetype).content_type == OracleResponse(mimetype=mimetype).content_type
    )
    ours, theirs = Response(), OracleResponse()
    ours.mimetype = theirs.mimetype = mimetype
    assert ours.content_type == theirs.content_type


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content_type": "text/plain"},
        {"content_type": "text/plain", "mimetype": "image/png"},
        {"headers": {"Content-Type": "foo/bar"}},
        {"headers": {"Content-Type": "foo/bar"}, "mimetype": "text/plain"},
        {"headers": [("X-A", "1"), ("X-A", "2")]},
        {"headers": {"X-A": ["1", "2"], "Content-Length": "99"}},
        {"headers": {"content-type": "a/b", "X-B": 3}, "content_type": "c/d"},
        {"headers": [("Content-Type", "a/b"), ("X-B", "1"), ("content-type", "c/d")]},
        {"headers": [("Content-Type", "a/b"), ("CONTENT-TYPE", "c/d")], "mimetype": "text/plain"},
        {"headers": [("Content-Length", "1"), ("X-B", "1"), ("content-length", "2")]},
        {"headers": Headers([("X-B", "1")]), "mimetype": "application/json"},
        {"headers": (("X-B", "1"),), "mimetype": "image/png"},
        {"mimetype": "application/json"},
        {"mimetype": "text/plain"},
    ],
)
def test_constructor_headers_match_werkzeug(kwargs):
    ours, theirs = Response("body", **kwargs), OracleResponse("body", **kwargs)
    assert ours.headers.to_wsgi_list() == theirs.headers.to_wsgi_list()


def test_headers_argument_is_copied():
    given = Headers([("X-A", "1")])
    resp = Response("x", headers=given)
    resp.headers["X-A"] = "2"
    assert given["X-A"] == "1"


def test_mimetype_params_and_is_json():
    resp = Response(content_type='application/json; x="a b"')
    assert resp.mimetype == "application/json"
    assert resp.mimetype_params == {"x": "a b"}
    assert resp.is_json
    resp = Response(mimetype="text/plain")
    params = resp.mimetype_params
    assert params == {"charset": "utf-8"}
    params["format"] = "flowed"
    assert resp.content_type == "text/plain; charset=utf-8; format=flowed"
    assert Response(mimetype="application/problem+json").is_json
    assert not Response().is_json


def test_repr():
    assert repr(Response("hello")) == "<Response 5 bytes [200 OK]>"
    assert repr(Response(iter([b"x"]))) == "<Response streamed [200 OK]>"


# -- body ------------------------------------------------------------------------------------------


def test_data_and_set_data():
    resp = Response("abc")
    assert resp.data == b"abc"
    assert resp.get_data(as_text=True) == "abc"
    assert resp.content_length == 3
    resp.set_data("\u00e9\u00e9")
    assert resp.data == "\u00e9\u00e9".encode()
    assert resp.headers["Content-Length"] == "4"
    resp.data = b"12345"
    assert resp.content_length == 5
    assert resp.response == [b"12345"]


def test_no_content_length_when_disabled():
    class NoLength(Response):
        automatically_set_content_length = False

    resp = NoLength("abc")
    assert "Content-Length" not in resp.headers
    _, headers, body = run(resp)
    assert body == b"abc" and "Content-Length" not in dict(headers)


def test_streamed_body():
    def gen():
        yield "a"
        yield b"b"
        yield "\u00e9"

    resp = Response(gen())
    assert resp.is_streamed and not resp.is_sequence
    status, headers, body = run(resp)
    assert body == "ab\u00e9".encode()
    assert "Content-Length" not in dict(headers)


def test_streamed_body_get_data_buffers_and_closes():
    closed = []

    def gen():
        try:
            yield "a"
            yield "b"
        finally:
            closed.append(True)

    g = gen()
    resp = Response(g)
    assert resp.get_data() == b"ab"
    assert resp.is_sequence
    assert resp.response == [b"a", b"b"]
    assert resp.calculate_content_length() == 2
    resp.close()
    assert closed == [True]


def test_list_of_str_body_gets_content_length():
    resp = Response(["ab", b"c", "\u00e9"])
    ours = resp.get_wsgi_headers(env())
    theirs = OracleResponse(["ab", b"c", "\u00e9"]).get_wsgi_headers(create_environ())
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()
    assert list(resp.iter_encoded()) == [b"ab", b"c", "\u00e9".encode()]


def test_direct_passthrough_refuses_buffering():
    f = io.BytesIO(b"data")
    resp = Response(FileWrapper(f), direct_passthrough=True)
    with pytest.raises(RuntimeError):
        resp.get_data()
    assert resp.calculate_content_length() is None
    app_iter = resp.get_app_iter(env())
    assert app_iter is resp.response
    assert b"".join(app_iter) == b"data"


def test_implicit_sequence_conversion_disabled():
    class Strict(Response):
        implicit_sequence_conversion = False

    resp = Strict(iter([b"x"]))
    with pytest.raises(RuntimeError, match="make_sequence"):
        resp.get_data()
    resp.make_sequence()
    assert resp.get_data() == b"x"


def test_freeze():
    resp = Response(iter(["ab", "c"]))
    resp.freeze()
    assert resp.response == [b"ab", b"c"]
    assert resp.content_length == 3
    assert resp.get_etag()[0] is not None


def test_stream_writes_to_body():
    resp = Response()
    resp.stream.write(b"ab")
    resp.stream.writelines([b"c", b"d"])
    assert resp.stream.tell() == 4
    assert resp.get_data() == b"abcd"
    assert resp.stream is resp.stream


def test_call_on_close_runs_on_close():
    calls = []
    resp = Response("x")

    @resp.call_on_close
    def done():
        calls.append("done")

    assert done is not None
    _, _, body = run(resp)
    assert body == b"x"
    assert calls == ["done"]
    with Response("y") as other:
        other.call_on_close(lambda: calls.append("with"))
    assert calls == ["done", "with"]


def test_close_closes_body_iterable():
    f = io.BytesIO(b"abc")
    resp = Response(FileWrapper(f))
    run(resp)
    assert f.closed


def test_head_request_has_no_body_but_keeps_length():
    resp = Response("hello")
    status, headers, body = run(resp, env("HEAD"))
    assert body == b""
    assert dict(headers)["Content-Length"] == "5"


@pytest.mark.parametrize("code", [100, 101, 204, 304])
def test_bodyless_statuses(code):
    resp = Response(
        "hello",
        code,
        {
            "Expires": "x",
            "ETag": '"a"',
            "Content-Location": "/b",
            "Allow": "GET",
            "X-A": "1",
            "Last-Modified": "y",
        },
    )
    oracle = OracleResponse("hello", code, dict(resp.headers.items()))
    status, headers, body = run(resp)
    assert body == b""
    assert headers == oracle.get_wsgi_headers(create_environ()).to_wsgi_list()


def test_body_is_not_closed_twice_for_plain_list():
    resp = Response(b"hi")
    app_iter = resp.get_app_iter(env())
    assert list(app_iter) == [b"hi"]


# -- WSGI ------------------------------------------------------------------------------------------


def test_get_wsgi_response():
    resp = Response(b"hello", 201, {"X-A": "1"})
    app_iter, status, headers = resp.get_wsgi_response(env())
    assert status == "201 CREATED"
    assert headers == [
        ("X-A", "1"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "5"),
    ]
    assert b"".join(app_iter) == b"hello"
    # emission does not mutate the response
    assert resp.headers.to_wsgi_list() == headers


def test_get_wsgi_headers_adds_length_for_sequences_only():
    resp = Response([b"ab", b"cd"])
    assert "Content-Length" not in resp.headers
    assert resp.get_wsgi_headers(env())["Content-Length"] == "4"
    assert "Content-Length" not in resp.headers
    assert "Content-Length" not in Response(iter([b"ab"])).get_wsgi_headers(env())


def test_overridden_get_wsgi_headers_is_used():
    class Custom(Response):
        def get_wsgi_headers(self, environ):
            headers = super().get_wsgi_headers(environ)
            headers["X-Custom"] = "1"
            return headers

    _, headers, _ = run(Custom("x"))
    assert ("X-Custom", "1") in headers


@pytest.mark.parametrize(
    "location",
    [
        "/caf\u00e9 x?q=\u00e9 y#f g",
        "http://\u00fcber.de/x",
        "http://ex.com/a%20b?x=%zz",
        '/a"b<c>{d}|e\\f^g`h[i]',
        "/plain/path?a=1&b=2#frag",
        "https://user:pw@ex.com:8080/p",
        "http://[::1]:80/p",
        "/x#a#b",
    ],
)
def test_location_is_encoded_like_werkzeug(location):
    ours = Response(headers={"Location": location}).get_wsgi_headers(env())
    theirs = OracleResponse(headers={"Location": location}).get_wsgi_headers(create_environ())
    assert ours["Location"] == theirs["Location"]


def test_autocorrect_location_header():
    class Absolute(Response):
        autocorrect_location_header = True

    resp = Absolute(status=302)
    resp.location = "next?x=1"
    environ = env(PATH_INFO="/a/b")
    environ.update(PATH_INFO="/a/b", HTTP_HOST="example.com:8000")
    assert resp.get_wsgi_headers(environ)["Location"] == "http://example.com:8000/a/next?x=1"
    assert resp.location == "next?x=1"


def test_response_is_a_wsgi_app():
    status, headers, body = run(Response("hi", 404))
    assert status == "404 NOT FOUND"
    assert body == b"hi"


def test_force_type_on_plain_wsgi_callable():
    def app(environ, start_response):
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-A", "1")])
        return [b"made ", b"it"]

    with pytest.raises(TypeError):
        Response.force_type(app)

    class MyResponse(Response):
        pass

    resp = MyResponse.force_type(app, env())
    assert type(resp) is MyResponse
    assert resp.status == "201 Created"
    assert resp.status_code == 201
    assert resp.headers["X-A"] == "1"
    assert resp.content_type == "text/plain"
    assert resp.get_data() == b"made it"

    plain = Response("x")
    assert MyResponse.force_type(plain) is plain and type(plain) is MyResponse


def test_from_app_with_lazy_start_response_and_write():
    closed = []

    def app(environ, start_response):
        def body():
            write = start_response("200 OK", [("X-Lazy", "yes")])
            write(b"written ")
            try:
                yield b"yielded"
            finally:
                closed.append(True)

        return body()

    resp = Response.from_app(app, env())
    assert resp.headers["X-Lazy"] == "yes"
    assert resp.get_data() == b"written yielded"
    resp.close()

    buffered = Response.from_app(app, env(), buffered=True)
    assert buffered.is_sequence
    assert buffered.get_data() == b"written yielded"
    assert closed == [True, True]


def test_from_app_without_start_response_raises():
    with pytest.raises(RuntimeError, match="start_response"):
        Response.from_app(lambda environ, start_response: [], env())


def test_subclass_attributes_are_allowed():
    class Tagged(Response):
        pass

    resp = Tagged("x")
    resp.custom = "value"
    assert resp.custom == "value"


# -- header properties -----------------------------------------------------------------------------


def test_header_injection_refused():
    resp = Response()
    for name, value in [("X-A", "a\r\nX-Evil: 1"), ("X-A", "a\nb"), ("X-A", "a\0b")]:
        with pytest.raises(ValueError):
            resp.headers[name] = value
    with pytest.raises(ValueError):
        resp.location = "/a\r\nSet-Cookie: x=1"
    with pytest.raises(ValueError):
        Response(mimetype="text/html\r\nX-Evil: 1")
    with pytest.raises(ValueError):
        Response(content_type="text/html\nX-Evil: 1")
    with pytest.raises(ValueError):
        Response(headers={"X-A": "1\r\n2"})
    assert "X-Evil" not in resp.headers


def test_simple_header_properties():
    resp = Response()
    resp.location = "/next"
    resp.content_encoding = "gzip"
    resp.accept_ranges = "bytes"
    resp.content_location = "/c"
    resp.content_length = 42
    assert resp.headers["Location"] == "/next"
    assert (resp.location, resp.content_encoding, resp.accept_ranges) == ("/next", "gzip", "bytes")
    assert resp.content_location == "/c"
    assert resp.content_length == 42
    resp.location = None
    del resp.content_encoding
    assert "Location" not in resp.headers and "Content-Encoding" not in resp.headers
    resp.headers["Content-Length"] = "abc"
    assert resp.content_length is None


def test_date_properties():
    resp = Response()
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    resp.expires = when
    resp.last_modified = when
    resp.date = when
    assert resp.headers["Expires"] == "Mon, 06 May 2024 07:08:09 GMT"
    assert resp.expires == resp.last_modified == resp.date == when
    resp.headers["Expires"] = "garbage"
    assert resp.expires is None
    resp.expires = None
    assert "Expires" not in resp.headers


def test_age_and_retry_after():
    resp = Response()
    resp.age = 30
    assert resp.headers["Age"] == "30" and resp.age == timedelta(seconds=30)
    resp.age = timedelta(minutes=1)
    assert resp.headers["Age"] == "60"
    with pytest.raises(ValueError):
        resp.age = -1
    resp.retry_after = 120
    assert resp.headers["Retry-After"] == "120"
    delta = resp.retry_after - datetime.now(timezone.utc)
    assert timedelta(seconds=110) < delta <= timedelta(seconds=120)
    resp.retry_after = datetime(2020, 1, 1)
    assert resp.headers["Retry-After"] == "Wed, 01 Jan 2020 00:00:00 GMT"
    assert resp.retry_after == datetime(2020, 1, 1, tzinfo=timezone.utc)
    resp.retry_after = None
    assert resp.retry_after is None


@pytest.mark.parametrize(
    "attr,header",
    [("vary", "Vary"), ("allow", "Allow"), ("content_language", "Content-Language")],
)
def test_header_set_properties(attr, header):
    resp, oracle = Response(), OracleResponse()
    live = getattr(resp, attr)
    live.add("Cookie")
    live.add("Accept-Encoding")
    getattr(oracle, attr).add("Cookie")
    getattr(oracle, attr).add("Accept-Encoding")
    assert resp.headers[header] == oracle.headers[header]
    assert "cookie" in getattr(resp, attr)
    setattr(resp, attr, ["A", "B"])
    setattr(oracle, attr, ["A", "B"])
    assert resp.headers[header] == oracle.headers[header]
    setattr(resp, attr, "X, Y")
    assert resp.headers[header] == "X, Y"
    setattr(resp, attr, None)
    assert header not in resp.headers


def test_cors_properties():
    resp = Response()
    resp.access_control_allow_origin = "https://a.example"
    resp.access_control_allow_credentials = True
    resp.access_control_max_age = 600
    assert resp.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    assert resp.access_control_allow_credentials is True
    assert resp.access_control_max_age == 600
    for attr in [
        "access_control_allow_headers",
        "access_control_allow_methods",
        "access_control_expose_headers",
    ]:
        header = attr.replace("_", "-").title()
        oracle = OracleResponse()
        assert getattr(resp, attr) is None
        setattr(resp, attr, ["X-A", "X-B"])
        setattr(oracle, attr, ["X-A", "X-B"])
        assert resp.headers[header] == oracle.headers[header]
        assert "x-a" in getattr(resp, attr)
        setattr(resp, attr, None)
        assert header not in resp.headers
    resp.access_control_allow_credentials = False
    assert "Access-Control-Allow-Credentials" not in resp.headers
    assert resp.access_control_allow_credentials is False
    assert Response(
        headers={"Access-Control-Allow-Credentials": "x"}
    ).access_control_allow_credentials


def test_cache_control_round_trip():
    resp = Response(headers={"Cache-Control": "public, max-age=60"})
    cc = resp.cache_control
    assert cc.public and cc.max_age == 60
    cc.max_age = 120
    cc.no_store = True
    oracle = OracleResponse(headers={"Cache-Control": "public, max-age=60"})
    oracle.cache_control.max_age = 120
    oracle.cache_control.no_store = True
    assert resp.headers["Cache-Control"] == oracle.headers["Cache-Control"]
    assert resp.cache_control.max_age == 120
    fresh = Response()
    fresh.cache_control.no_cache = True
    assert "no-cache" in fresh.headers["Cache-Control"]


def test_content_range_property():
    resp = Response()
    resp.content_range = "bytes 0-99/200"
    rng = resp.content_range
    assert (rng.units, rng.start, rng.stop, rng.length) == ("bytes", 0, 100, 200)
    rng.set(10, 20, 200)
    assert resp.headers["Content-Range"] == "bytes 10-19/200"
    resp.content_range = None
    assert "Content-Range" not in resp.headers
    resp.headers["Content-Range"] = "nonsense"
    assert not resp.content_range


def test_www_authenticate_matches_werkzeug():
    from werkzeug.datastructures import WWWAuthenticate as WWWAuth

    from erlen.http.headervalues import WWWAuthenticate

    resp, oracle = Response(), OracleResponse()
    assert resp.www_authenticate.type == "basic" and "WWW-Authenticate" not in resp.headers
    resp.www_authenticate["realm"] = "Admin"
    oracle.www_authenticate["realm"] = "Admin"
    assert resp.headers.getlist("WWW-Authenticate") == oracle.headers.getlist("WWW-Authenticate")
    resp.www_authenticate = [WWWAuthenticate("basic", {"realm": "a"}), WWWAuthenticate("bearer")]
    oracle.www_authenticate = [WWWAuth("basic", {"realm": "a"}), WWWAuth("bearer")]
    assert resp.headers.getlist("WWW-Authenticate") == oracle.headers.getlist("WWW-Authenticate")
    assert resp.www_authenticate.type == "basic"
    resp.www_authenticate = None
    assert "WWW-Authenticate" not in resp.headers


# -- cookies ---------------------------------------------------------------------------------------


COOKIE_CASES = [
    ({"key": "a"}),
    ({"key": "a", "value": "b"}),
    ({"key": "sess", "value": "x y;z", "max_age": 60, "path": "/app", "domain": "example.com"}),
    ({"key": "a", "value": "b", "secure": True, "httponly": True, "samesite": "Lax"}),
    ({"key": "a", "value": "b", "samesite": "strict", "partitioned": True, "secure": True}),
    ({"key": "a", "value": "b", "max_age": timedelta(hours=1)}),
    ({"key": "a", "value": "b", "expires": datetime(2030, 1, 1, tzinfo=timezone.utc)}),
    ({"key": "a", "value": "b", "expires": 0}),
    ({"key": "a", "value": '\u00e9"q"', "path": None}),
]


@pytest.mark.parametrize("kwargs", COOKIE_CASES)
def test_set_cookie_matches_werkzeug(kwargs):
    ours, theirs = Response(), OracleResponse()
    ours.set_cookie(**kwargs)
    theirs.set_cookie(**kwargs)
    assert ours.headers.getlist("Set-Cookie") == theirs.headers.getlist("Set-Cookie")


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"path": "/x", "domain": "example.com"},
        {"secure": True, "httponly": True, "samesite": "None"},
        {"partitioned": True, "secure": True},
    ],
)
def test_delete_cookie_matches_werkzeug(kwargs):
    ours, theirs = Response(), OracleResponse()
    ours.delete_cookie("gone", **kwargs)
    theirs.delete_cookie("gone", **kwargs)
    assert ours.headers.getlist("Set-Cookie") == theirs.headers.getlist("Set-Cookie")


def test_cookies_accumulate():
    resp = Response()
    resp.set_cookie("a", "1")
    resp.set_cookie("b", "2")
    assert len(resp.headers.getlist("Set-Cookie")) == 2


@pytest.mark.parametrize("field", ["path", "domain"])
def test_cookie_attribute_injection_refused(field):
    resp = Response()
    with pytest.raises(ValueError):
        resp.set_cookie("a", "b", **{field: "x\r\nX-Evil: 1"})
    assert "X-Evil" not in str(resp.headers)


def test_max_cookie_size_reads_app_config():
    from erlen.globals import _cv_app

    assert Response().max_cookie_size == 4093
    token = _cv_app.set(SimpleNamespace(app=SimpleNamespace(config={"MAX_COOKIE_SIZE": 10})))
    try:
        assert Response().max_cookie_size == 10
    finally:
        _cv_app.reset(token)


# -- JSON ------------------------------------------------------------------------------------------


def test_json():
    resp = Response(json.dumps({"a": [1, 2]}), mimetype="application/json")
    assert resp.json == {"a": [1, 2]}
    assert resp.get_json() == {"a": [1, 2]}
    assert Response('{"a": 1}').get_json() is None
    assert Response('{"a": 1}').get_json(force=True) == {"a": 1}
    bad = Response("{nope", mimetype="application/json")
    with pytest.raises(ValueError):
        bad.get_json()
    assert bad.get_json(silent=True) is None


def test_json_module_can_be_replaced():
    class Custom(Response):
        json_module = SimpleNamespace(loads=lambda data: "custom")

    assert Custom("{}", mimetype="application/json").json == "custom"
    assert hasattr(Response.json_module, "loads")


# -- ETags and conditional requests ----------------------------------------------------------------


def test_etag_helpers():
    resp = Response("hello")
    assert resp.get_etag() == (None, None)
    resp.set_etag("abc")
    assert resp.headers["ETag"] == '"abc"'
    assert resp.get_etag() == ("abc", False)
    resp.set_etag("abc", weak=True)
    assert resp.headers["ETag"] == 'W/"abc"'
    assert resp.get_etag() == ("abc", True)
    resp.add_etag()
    assert resp.get_etag() == ("abc", True)
    resp.add_etag(overwrite=True)
    oracle = OracleResponse("hello")
    oracle.add_etag()
    assert resp.headers["ETag"] == oracle.headers["ETag"]


def conditional(resp: Response, **headers: str) -> Response:
    return resp.make_conditional(env(**headers))


def test_make_conditional_304_on_if_none_match():
    resp = Response("hello")
    resp.set_etag("v1")
    resp.last_modified = datetime(2024, 1, 1, tzinfo=timezone.utc)
    resp.headers["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
    assert conditional(resp, if_none_match='"v1"').status_code == 304
    assert "Date" in resp.headers
    status, headers, body = run(resp)
    names = {k.lower() for k, _ in headers}
    assert status == "304 NOT MODIFIED" and body == b""
    assert "content-length" not in names and "content-type" not in names
    assert "last-modified" not in names
    assert "etag" in names and "expires" in names


@pytest.mark.parametrize(
    "headers,expected",
    [
        ({"if_none_match": 'W/"v1"'}, 304),
        ({"if_none_match": '"v2", "v1"'}, 304),
        ({"if_none_match": "*"}, 304),
        ({"if_none_match": '"v2"'}, 200),
        ({"if_modified_since": "Mon, 01 Jan 2024 00:00:00 GMT"}, 304),
        ({"if_modified_since": "Sun, 31 Dec 2023 23:59:59 GMT"}, 200),
        ({"if_modified_since": "garbage"}, 200),
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3)
        ({"if_none_match": '"v2"', "if_modified_since": "Mon, 01 Jan 2024 00:00:00 GMT"}, 200),
        ({"if_match": '"v1"'}, 200),
        ({"if_match": "*"}, 200),
        ({"if_match": '"v2"'}, 412),
        ({"if_match": 'W/"v1"'}, 412),
        ({"if_match": '"v2"', "if_none_match": '"v1"'}, 412),
        ({"if_unmodified_since": "Mon, 01 Jan 2024 00:00:00 GMT"}, 200),
        ({"if_unmodified_since": "Sun, 31 Dec 2023 00:00:00 GMT"}, 412),
        ({}, 200),
    ],
)
def test_make_conditional_preconditions(headers, expected):
    resp = Response("hello")
    resp.set_etag("v1")
    resp.last_modified = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert conditional(resp, **headers).status_code == expected


def test_make_conditional_ignores_other_methods_and_accepts_request_objects():
    resp = Response("hello")
    resp.set_etag("v1")
    assert resp.make_conditional(env("POST", if_none_match='"v1"')).status_code == 200
    assert "Date" not in resp.headers
    request = SimpleNamespace(environ=env(if_none_match='"v1"'))
    assert resp.make_conditional(request).status_code == 304


def test_make_conditional_range_206_on_sequence():
    resp = Response(b"0123456789")
    resp.make_conditional(env(range="bytes=2-5"), accept_ranges=True)
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == "bytes 2-5/10"
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.content_length == 4
    status, headers, body = run(resp)
    assert body == b"2345"
    assert dict(headers)["Content-Length"] == "4"


def test_make_conditional_range_matches_werkzeug_with_complete_length():
    for rng in ["bytes=0-0", "bytes=-3", "bytes=7-", "bytes=5-100"]:
        ours = Response(b"0123456789").make_conditional(
            env(range=rng), accept_ranges=True, complete_length=10
        )
        theirs = OracleResponse(b"0123456789").make_conditional(
            create_environ(headers={"Range": rng}), accept_ranges=True, complete_length=10
        )
        assert ours.status_code == theirs.status_code == 206
        assert ours.headers["Content-Range"] == theirs.headers["Content-Range"]
        assert ours.get_data() == theirs.get_data()


@pytest.mark.parametrize("rng", ["bytes=20-30", "bytes=5-2", "pages=1-2", "bytes=0-1,4-5"])
def test_make_conditional_range_416(rng):
    resp = Response(b"0123456789")
    with pytest.raises(RequestedRangeNotSatisfiable) as info:
        resp.make_conditional(env(range=rng), accept_ranges=True)
    assert info.value.length == 10
    assert ("Content-Range", "bytes */10") in info.value.get_headers()


def test_range_ignored_without_accept_ranges_or_for_non_200():
    resp = Response(b"0123456789")
    assert resp.make_conditional(env(range="bytes=0-1")).status_code == 200
    assert "Accept-Ranges" not in resp.headers
    missing = Response(b"0123456789", 404)
    assert missing.make_conditional(env(range="bytes=0-1"), accept_ranges=True).status_code == 404


def test_if_range():
    def make():
        resp = Response(b"0123456789")
        resp.set_etag("v1")
        resp.last_modified = datetime(2024, 1, 1, tzinfo=timezone.utc)
        return resp

    cases = [
        ('"v1"', 206),
        ('"v0"', 200),
        ('W/"v1"', 200),
        ("Mon, 01 Jan 2024 00:00:00 GMT", 206),
        ("Sun, 31 Dec 2023 00:00:00 GMT", 200),
    ]
    for if_range, expected in cases:
        resp = make().make_conditional(
            env(range="bytes=0-1", if_range=if_range), accept_ranges=True
        )
        assert resp.status_code == expected, if_range
        assert resp.get_data() == (b"01" if expected == 206 else b"0123456789")
    weak = Response(b"0123456789")
    weak.set_etag("v1", weak=True)
    weak.make_conditional(env(range="bytes=0-1", if_range='"v1"'), accept_ranges=True)
    assert weak.status_code == 200


def test_preconditions_win_over_range():
    resp = Response(b"0123456789")
    resp.set_etag("v1")
    resp.make_conditional(env(range="bytes=0-1", if_none_match='"v1"'), accept_ranges=True)
    assert resp.status_code == 304


class RecordingFile(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(size)
        return super().read(size)


def test_range_over_file_wrapper_seeks_and_reads_only_the_range():
    f = RecordingFile(bytes(range(256)) * 100)
    resp = Response(wrap_file({}, f, buffer_size=1000), direct_passthrough=True)
    resp.make_conditional(env(range="bytes=20000-22499"), accept_ranges=True, complete_length=25600)
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == "bytes 20000-22499/25600"
    assert resp.content_length == 2500
    status, headers, body = run(resp)
    assert body == (bytes(range(256)) * 100)[20000:22500]
    assert sum(f.reads) == 2500
    assert f.closed


def test_range_over_non_seekable_stream():
    def gen():
        yield b"0123"
        yield b"4567"
        yield b"89"

    resp = Response(gen())
    resp.make_conditional(env(range="bytes=3-8"), accept_ranges="bytes", complete_length=10)
    assert resp.status_code == 206
    assert b"".join(resp.iter_encoded()) == b"345678"


def test_streamed_body_without_complete_length_is_not_ranged():
    resp = Response(iter([b"0123456789"]))
    resp.make_conditional(env(range="bytes=0-1"), accept_ranges=True)
    assert resp.status_code == 200


def test_file_wrapper():
    f = io.BytesIO(b"abcdef")
    wrapper = FileWrapper(f, buffer_size=4)
    assert wrapper.seekable()
    assert list(wrapper) == [b"abcd", b"ef"]
    wrapper.seek(2)
    assert wrapper.tell() == 2
    wrapper.close()
    assert f.closed


def test_wrap_file_uses_server_wrapper():
    class ServerWrapper:
        def __init__(self, file, size):
            self.args = (file, size)

    f = io.BytesIO()
    wrapped = wrap_file({"wsgi.file_wrapper": ServerWrapper}, f, 123)
    assert isinstance(wrapped, ServerWrapper) and wrapped.args == (f, 123)
    assert isinstance(wrap_file({}, f), FileWrapper)


IS_MODIFIED_ENVIRONS = [
    {},
    {"HTTP_IF_NONE_MATCH": '"v1"'},
    {"HTTP_IF_NONE_MATCH": 'W/"v1"'},
    {"HTTP_IF_NONE_MATCH": '"v2"'},
    {"HTTP_IF_NONE_MATCH": "*"},
    {"HTTP_IF_MATCH": '"v1"'},
    {"HTTP_IF_MATCH": '"v2"'},
    {"HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 2024 00:00:00 GMT"},
    {"HTTP_IF_MODIFIED_SINCE": "Sun, 31 Dec 2023 00:00:00 GMT"},
    {"HTTP_IF_NONE_MATCH": '"v2"', "HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 2024 00:00:00 GMT"},
    {"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": '"v1"'},
    {"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": '"v2"'},
    {"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": "Mon, 01 Jan 2024 00:00:00 GMT"},
    {"HTTP_RANGE": "bytes=0-1", "HTTP_IF_RANGE": "Sun, 31 Dec 2023 00:00:00 GMT"},
    {"HTTP_IF_RANGE": '"v2"', "HTTP_IF_NONE_MATCH": '"v1"'},
]


@pytest.mark.parametrize("environ", IS_MODIFIED_ENVIRONS)
@pytest.mark.parametrize("etag", [None, '"v1"', "v1", 'W/"v1"'])
@pytest.mark.parametrize(
    "last_modified", [None, datetime(2024, 1, 1), "Mon, 01 Jan 2024 00:00:00 GMT"]
)
@pytest.mark.parametrize("ignore_if_range", [True, False])
def test_is_resource_modified_matches_werkzeug(environ, etag, last_modified, ignore_if_range):
    from werkzeug.http import is_resource_modified as oracle

    args = (etag, None, last_modified, ignore_if_range)
    assert is_resource_modified(dict(environ), *args) == oracle(dict(environ), *args)


def test_is_resource_modified_with_data():
    from werkzeug.http import is_resource_modified as oracle

    environ = {"HTTP_IF_NONE_MATCH": OracleResponse(b"x").add_etag() or ""}
    tagged = OracleResponse(b"x")
    tagged.add_etag()
    environ = {"HTTP_IF_NONE_MATCH": tagged.headers["ETag"]}
    assert is_resource_modified(environ, data=b"x") is oracle(environ, data=b"x") is False
    with pytest.raises(TypeError):
        is_resource_modified(environ, etag="a", data=b"x")


# -- edge paths ------------------------------------------------------------------------------------


def test_range_skips_whole_chunks_of_a_stream():
    resp = Response(iter([b"01", b"23", b"45", b"67", b"89"]))
    resp.make_conditional(env(range="bytes=5-6"), accept_ranges=True, complete_length=10)
    assert b"".join(resp.iter_encoded()) == b"56"


def test_range_seeks_a_seekable_body_that_is_not_a_file_wrapper():
    class Seekable:
        def __init__(self, data: bytes) -> None:
            self.file = io.BytesIO(data)

        def seekable(self) -> bool:
            return True

        def seek(self, pos: int) -> None:
            self.file.seek(pos)

        def __iter__(self):
            return iter(lambda: self.file.read(3), b"")

    resp = Response(Seekable(b"0123456789"))
    resp.make_conditional(env(range="bytes=4-"), accept_ranges=True, complete_length=10)
    assert resp.headers["Content-Range"] == "bytes 4-9/10"
    assert b"".join(resp.iter_encoded()) == b"456789"


def test_range_over_a_file_shorter_than_announced_stops():
    resp = Response(FileWrapper(io.BytesIO(b"0123")))
    resp.make_conditional(env(range="bytes=2-9"), accept_ranges=True, complete_length=10)
    assert b"".join(resp.iter_encoded()) == b"23"


def test_file_wrapper_without_seekable_method():
    class Plain:
        def __init__(self) -> None:
            self.data = io.BytesIO(b"abc")

        def read(self, size: int) -> bytes:
            return self.data.read(size)

    wrapper = FileWrapper(Plain())
    assert not wrapper.seekable()
    assert wrapper.tell() is None
    assert list(wrapper) == [b"abc"]
    wrapper.close()  # no close() on the file: nothing to do


def test_range_on_empty_body_is_ignored():
    resp = Response(b"")
    resp.make_conditional(env(range="bytes=0-1"), accept_ranges=True)
    assert resp.status_code == 200


def test_closed_stream_refuses_writes():
    resp = Response()
    stream = resp.stream
    assert stream.encoding == "utf-8" and not stream.isatty()
    stream.flush()
    stream.close()
    for call in (lambda: stream.write(b"x"), stream.flush, stream.isatty):
        with pytest.raises(ValueError):
            call()


def test_autocorrect_location_without_host_header():
    class Absolute(Response):
        autocorrect_location_header = True

    environ = {
        "REQUEST_METHOD": "GET",
        "wsgi.url_scheme": "https",
        "SERVER_NAME": "example.org",
        "SERVER_PORT": "8443",
        "SCRIPT_NAME": "/app",
        "PATH_INFO": "/a/b",
    }
    resp = Absolute(status=302, headers={"Location": "/elsewhere"})
    assert resp.get_wsgi_headers(environ)["Location"] == "https://example.org:8443/elsewhere"
    resp = Absolute(status=302, headers={"Location": "c d"})
    environ["SERVER_PORT"] = "443"
    assert resp.get_wsgi_headers(environ)["Location"] == "https://example.org/app/a/c%20d"


def test_lowercase_content_length_is_respected_at_emission():
    resp = Response([b"abc"], headers=[("content-length", "3")])
    pairs = resp.get_wsgi_headers(env()).to_wsgi_list()
    assert [k for k, _ in pairs].count("content-length") == 1
    assert "Content-Length" not in [k for k, _ in pairs]


def test_clearing_live_header_objects_removes_the_header():
    resp = Response(headers={"Cache-Control": "no-store", "Content-Range": "bytes 0-1/2"})
    resp.cache_control.no_store = False
    assert "Cache-Control" not in resp.headers
    from erlen.http.headervalues import ContentRange

    resp.content_range = ContentRange("bytes", 0, 5, 10)
    assert resp.headers["Content-Range"] == "bytes 0-4/10"
    resp.content_range.unset()
    assert "Content-Range" not in resp.headers
    resp.www_authenticate = 'Bearer realm="api"'
    assert resp.www_authenticate.type == "bearer"
    del resp.www_authenticate
    assert "WWW-Authenticate" not in resp.headers
    resp.vary = ["Cookie"]
    del resp.vary
    resp.allow.add("GET")
    resp.allow.discard("GET")
    assert "Vary" not in resp.headers and "Allow" not in resp.headers


def test_start_response_with_exc_info_after_start_reraises():
    def app(environ, start_response):
        start_response("200 OK", [])
        try:
            raise KeyError("boom")
        except KeyError:
            import sys

            start_response("500 ERROR", [], sys.exc_info())
        return []

    with pytest.raises(KeyError):
        Response.from_app(app, env())


def test_headers_of_a_plain_body_are_made_on_demand_and_kept() -> None:
    # The constructor's fast path keeps the pairs without a Headers object; the first read of
    # ``headers`` wraps them, later reads and the emission see that same object and its edits.
    resp = Response("hi")
    headers = resp.headers
    assert resp.headers is headers
    assert headers.to_wsgi_list() == [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "2"),
    ]
    headers["X-A"] = "1"
    del headers["Content-Type"]
    sent: list[object] = []
    body = resp({"REQUEST_METHOD": "GET"}, lambda status, pairs: sent.append((status, pairs)))
    assert b"".join(body) == b"hi"
    assert sent == [("200 OK", [("Content-Length", "2"), ("X-A", "1")])]
    resp.headers = {"X-B": "2"}  # type: ignore[assignment]
    assert resp.headers.to_wsgi_list() == [("X-B", "2")]
