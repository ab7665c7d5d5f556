"""erlen.http.request.Request: URL parts against the Werkzeug oracle, lazy parsing, bodies, limits."""

from __future__ import annotations

import io
import itertools
import json
import typing as t
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.sansio.utils import host_is_trusted as wz_host_is_trusted
from werkzeug.wrappers import Request as WzRequest

from erlen.datastructures import EnvironHeaders, FileStorage, ImmutableMultiDict
from erlen.exceptions import (
    BadRequest,
    BadRequestKeyError,
    ClientDisconnected,
    RequestEntityTooLarge,
    SecurityError,
    UnsupportedMediaType,
)
from erlen.globals import _cv_app
from erlen.http.request import _host_is_trusted
from erlen.wrappers import Request


def latin1(text: str) -> str:
    """What a WSGI server puts in the environ for UTF-8 ``text`` sent on the wire."""
    return text.encode("utf-8").decode("latin-1")


def make_environ(
    path: str = "/",
    query: str = "",
    method: str = "GET",
    body: bytes | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: t.Any,
) -> dict[str, t.Any]:
    """A minimal WSGI environ; ``body`` sets ``wsgi.input`` and ``CONTENT_LENGTH``."""
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body or b""),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body is not None:
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = value
    environ.update(extra)
    return environ


@contextmanager
def fake_app(debug: bool = False, **config: t.Any) -> t.Iterator[None]:
    """Push a stand-in application context: ``_cv_app.get().app.config`` / ``.debug``."""
    token = _cv_app.set(SimpleNamespace(app=SimpleNamespace(config=config, debug=debug, json=None)))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _cv_app.reset(token)


class RaisingInput(io.RawIOBase):
    """A ``wsgi.input`` that fails on any read."""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        raise OSError("the body was read")

    def readinto(self, buffer: t.Any) -> int:
        raise OSError("the body was read")

    def readline(self, size: int | None = -1) -> bytes:
        raise OSError("the body was read")


# ----------------------------------------------------------------------------- URL parts


URL_PROPS = (
    "url",
    "base_url",
    "url_root",
    "root_url",
    "host_url",
    "host",
    "path",
    "full_path",
    "script_root",
    "root_path",
    "query_string",
    "scheme",
    "is_secure",
    "server",
    "method",
    "remote_addr",
    "access_route",
)

PATHS = [
    "/",
    "",
    "x",
    "/a b",
    latin1("/ä/☃"),
    "/a%41",
    "/100%",
    "/a%2Fb",
    "/a?b#c",
    "\xff\xfe",
    "/a\x00b",
    "//x//y/",
    "/%E2%98%83",
    "/a%2",
    "/%ff",
    "/a;b,c@d:e",
    "/~[]{}|\\^`",
    "/%C3%25%A4",
    latin1("/\u00a0\u2028"),
    "/\t\n",
]
QUERIES = [
    "",
    "a=1",
    "a=1&b=%zz&c=%41&d=" + latin1("ä"),
    "a b",
    "a=%2F%3F%23%25%26",
    "%ff=1",
    "a=%E2%98%83",
    "\xff",
    "a=1&&b",
    "x=%00%20%7f",
    "q=a+b",
]
HOSTS = [
    None,
    "localhost",
    "example.com:8080",
    "xn--n3h.com",
    "A.xn--n3h.COM:81",
    "[::1]:8080",
    "[::FFFF:1.2.3.4]:81",
    "ex.com:80",
    "ex.com:443",
    "ex.com:80:80",
    "b a d<>\"'",
    "a/b?c#d",
    "a_b",
    "",
    latin1("é.com"),
    "[fe80::1%eth0]",
    "[G::1]",
    "ex.com:",
    "ex.com:+1",
]
SERVERS = [
    ("localhost", "80"),
    ("::1", "8080"),
    ("::1", "443"),
    ("h", None),
    ("h", "abc"),
    (None, None),
]
SCRIPTS = ["", "/app", "/app/", latin1("/ä p"), "/a%2Fb"]
SCHEMES = ["http", "https"]


def url_environs() -> t.Iterator[dict[str, t.Any]]:
    for path, query in itertools.product(PATHS, QUERIES):
        yield make_environ(path, query)
    combos = [
        (host, server) for host in HOSTS for server in (SERVERS if host is None else SERVERS[:2])
    ]
    for path, (host, server), script, scheme in itertools.product(
        PATHS[:8], combos, SCRIPTS, SCHEMES
    ):
        environ = make_environ(path, "a=1", SCRIPT_NAME=script, **{"wsgi.url_scheme": scheme})
        del environ["SERVER_NAME"], environ["SERVER_PORT"]
        if host is not None:
            environ["HTTP_HOST"] = host
        if server[0] is not None:
            environ["SERVER_NAME"] = server[0]
        if server[1] is not None:
            environ["SERVER_PORT"] = server[1]
        yield environ


def wz_value(wz: WzRequest, name: str) -> t.Any:
    """Werkzeug's value, or a marker when Werkzeug raises (it does on some hostile input)."""
    try:
        return getattr(wz, name)
    except (UnicodeError, ValueError):
        return "<werkzeug raised>"


def test_url_parts_match_werkzeug_over_environ_table() -> None:
    checked = 0
    for environ in url_environs():
        ours = Request(dict(environ))
        # NOTE: an empty Host means the server's own name to erlen (RFC 9112 section 3.3), as
        # if it were absent; Werkzeug keeps "" (and redirects to "http:///path").
        oracle = {k: v for k, v in environ.items() if not (k == "HTTP_HOST" and v == "")}
        wz = WzRequest(oracle, populate_request=False)
        for name in URL_PROPS:
            expected = wz_value(wz, name)
            actual = getattr(ours, name)  # never raises
            if expected == "<werkzeug raised>":
                assert isinstance(actual, (str, bytes))
                continue
            assert actual == expected, (name, environ)
            checked += 1
    assert checked > 30_000


def test_url_examples() -> None:
    r = Request(
        make_environ(
            latin1("/wiki/☃ page"),
            "q=%E2%98%83&x=a%26b",
            SCRIPT_NAME="/app",
            HTTP_HOST="Example.COM:8080",
        )
    )
    assert r.path == "/wiki/☃ page"
    assert r.full_path == "/wiki/☃ page?q=%E2%98%83&x=a%26b"
    assert r.url == "http://example.com:8080/app/wiki/☃%20page?q=☃&x=a%26b"
    assert r.base_url == "http://example.com:8080/app/wiki/☃%20page"
    assert r.url_root == r.root_url == "http://example.com:8080/app/"
    assert r.host_url == "http://example.com:8080/"
    assert r.host == "Example.COM:8080"
    assert r.script_root == r.root_path == "/app"
    assert r.query_string == b"q=%E2%98%83&x=a%26b"


def test_https_default_port_and_ipv6_server() -> None:
    r = Request(make_environ(SERVER_NAME="::1", SERVER_PORT="443", **{"wsgi.url_scheme": "https"}))
    assert r.is_secure
    assert r.host == "[::1]"
    assert r.url == "https://[::1]/"
    assert r.server == ("::1", 443)


def test_garbage_host_never_breaks_url() -> None:
    for host in ('evil.com/"><script>', "a b", "xn--invalid-.com", "xn--", "x\x00y", "ä"):
        r = Request(make_environ("/p", HTTP_HOST=host))
        assert r.url.endswith("/p")
        assert "<" not in r.url and " " not in r.url
        assert repr(r).startswith("<Request 'http://")
    # NOTE: Werkzeug raises UnicodeError here; erlen keeps the invalid punycode label as sent.
    assert (
        Request(make_environ("/", HTTP_HOST="xn--invalid-.com")).url == "http://xn--invalid-.com/"
    )
    assert Request(make_environ("/", HTTP_HOST="xn--ls8h.la")).url == "http://💩.la/"


@settings(max_examples=300, deadline=None)
@given(
    path=st.text(st.characters(max_codepoint=0x2FF, exclude_categories=["Cs"])),
    query=st.text(st.characters(max_codepoint=0xFF)),
    script=st.sampled_from(["", "/s", "/a b/"]),
)
def test_url_fuzz_against_werkzeug(path: str, query: str, script: str) -> None:
    environ = make_environ(latin1(path), latin1(query), SCRIPT_NAME=script)
    ours = Request(dict(environ))
    wz = WzRequest(dict(environ), populate_request=False)
    for name in ("url", "base_url", "root_url", "path", "full_path", "query_string"):
        expected = wz_value(wz, name)
        actual = getattr(ours, name)
        if expected != "<werkzeug raised>":
            assert actual == expected, name


@pytest.mark.parametrize(
    ("host", "trusted"),
    [
        ("example.com", ["example.com"]),
        ("example.com:8080", ["example.com"]),
        ("sub.example.com", [".example.com"]),
        ("example.com", [".example.com"]),
        ("badexample.com", [".example.com"]),
        ("other.com", ["example.com", "localhost"]),
        ("[::1]:80", ["[::1]"]),
        ("", ["example.com"]),
        ("xn--n3h.com", ["☃.com"]),
    ],
)
def test_host_is_trusted_matches_werkzeug(host: str, trusted: list[str]) -> None:
    assert _host_is_trusted(host, trusted) == wz_host_is_trusted(host, trusted)


def test_host_is_trusted_ignores_case() -> None:
    # NOTE: Werkzeug compares case-sensitively and refuses "EXAMPLE.com"; host names are
    # case-insensitive (RFC 4343), so erlen accepts it.
    assert _host_is_trusted("EXAMPLE.com:80", ["example.com"])
    assert _host_is_trusted("Api.Example.COM", [".example.com"])


def test_trusted_hosts() -> None:
    class Strict(Request):
        trusted_hosts = [".example.com"]

    assert Strict(make_environ(HTTP_HOST="api.example.com")).host == "api.example.com"
    with pytest.raises(SecurityError) as info:
        _ = Strict(make_environ(HTTP_HOST="evil.com")).host
    assert info.value.code == 400


def test_access_route_and_remote_addr() -> None:
    r = Request(make_environ(HTTP_X_FORWARDED_FOR=" 1.1.1.1 , 2.2.2.2,", REMOTE_ADDR="9.9.9.9"))
    assert r.access_route == ["1.1.1.1", "2.2.2.2"]
    assert r.remote_addr == "9.9.9.9"
    assert Request(make_environ()).access_route == ["127.0.0.1"]
    environ = make_environ()
    del environ["REMOTE_ADDR"]
    assert Request(environ).access_route == []


def test_method_is_uppercased_and_assignable() -> None:
    r = Request(make_environ(method="patch"))
    assert r.method == "PATCH"
    r.method = "POST"
    assert r.method == "POST"
    assert Request({}).method == "GET"
    assert Request({}).path == "/"


# ----------------------------------------------------------------------------- laziness


def test_construction_parses_nothing_and_reads_nothing() -> None:
    environ = make_environ("/x", "a=1", body=b"a=1", content_type="application/json")
    environ["wsgi.input"] = RaisingInput()
    r = Request(environ)
    assert set(r.__dict__) == {
        "environ",
        "shallow",
        "method",
        "path",
    }
    assert r.url_rule is None and r.view_args is None and r.routing_exception is None
    assert environ["werkzeug.request"] is r
    # Everything that does not need the body works without touching it.
    assert (r.method, r.path, r.args["a"], r.url) == ("GET", "/x", "1", "http://localhost/x?a=1")
    assert r.headers["Content-Type"] == "application/json"
    assert r.form == {} and r.files == {}
    assert r.content_length == 3
    # Reading is what touches the body; a failing server stream is the client's 400.
    with pytest.raises(ClientDisconnected) as info:
        r.get_data()
    assert info.value.code == 400
    assert isinstance(info.value.__cause__, OSError)


def test_values_are_cached_on_the_instance() -> None:
    r = Request(make_environ(query="a=1"))
    assert "args" not in r.__dict__
    args = r.args
    assert r.__dict__["args"] is args is r.args
    assert r.headers is r.headers
    assert isinstance(r.headers, EnvironHeaders)


def test_populate_request_and_shallow() -> None:
    environ = make_environ()
    Request(environ, populate_request=False)
    assert "werkzeug.request" not in environ
    r = Request(environ, shallow=True)
    assert r.shallow and "werkzeug.request" not in environ
    with pytest.raises(RuntimeError, match="shallow"):
        r.get_data()


def test_repr_and_context_manager() -> None:
    r = Request(make_environ("/p", "q=1", method="POST"))
    assert repr(r) == "<Request 'http://localhost/p?q=1' [POST]>"
    assert repr(r) == repr(WzRequest(make_environ("/p", "q=1", method="POST")))
    with Request(make_environ()) as r2:
        assert r2.path == "/"


# ----------------------------------------------------------------------------- args


def test_args_decoding() -> None:
    query = "a=1&a=2&b=&c&=d&e=%ff&f=%zz&g=+x+&h=" + latin1("ä") + "&i=%E2%98%83"
    r = Request(make_environ(query=query))
    assert isinstance(r.args, ImmutableMultiDict)
    assert r.args.getlist("a") == ["1", "2"]
    assert r.args.to_dict() == WzRequest(make_environ(query=query)).args.to_dict()
    assert r.args["h"] == "ä" and r.args["i"] == "☃" and r.args["e"] == "%FF"
    assert r.args.get("a", type=int) == 1


def test_missing_arg_is_bad_request_key_error() -> None:
    r = Request(make_environ(query="a=1"))
    with pytest.raises(BadRequestKeyError) as info:
        r.args["missing"]
    assert isinstance(info.value, KeyError)
    assert info.value.code == 400
    with pytest.raises(KeyError):
        Request(make_environ()).form["x"]


def test_too_many_query_fields() -> None:
    r = Request(make_environ(query="&".join(f"k{i}=v" for i in range(11))))
    r.max_form_fields = 10
    with pytest.raises(BadRequest) as info:
        _ = r.args
    assert info.value.code == 400
    with fake_app(MAX_FORM_FIELDS=20):
        assert len(Request(make_environ(query="&".join(f"k{i}=v" for i in range(11)))).args) == 11


def test_values_combine_args_and_form() -> None:
    body = b"b=2&a=3"
    ctype = "application/x-www-form-urlencoded"
    post = Request(make_environ(query="a=1", method="POST", body=body, content_type=ctype))
    assert post.values.getlist("a") == ["1", "3"] and post.values["b"] == "2"
    get = Request(make_environ(query="a=1", method="GET", body=body, content_type=ctype))
    assert "b" not in get.values and get.values["a"] == "1"


# ----------------------------------------------------------------------------- form and files


def multipart_body(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]], boundary: str = "XyZ"
) -> bytes:
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, data, ctype) in files.items():
        out.write(
            f"--{boundary}\r\nContent-Disposition: form-data; name={name!r}; "
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.replace("'", '"').encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def test_urlencoded_form() -> None:
    body = b"name=J%C3%BCrgen&tags=a&tags=b&empty="
    r = Request(
        make_environ(
            method="POST",
            body=body,
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )
    )
    assert r.mimetype == "application/x-www-form-urlencoded"
    assert r.form["name"] == "Jürgen"
    assert r.form.getlist("tags") == ["a", "b"]
    assert r.form["empty"] == ""
    assert r.files == {}
    # NOTE: as in Werkzeug, the body is consumed by form parsing.
    assert r.get_data() == b""
    assert r.data == b""


def test_get_data_before_form_keeps_both() -> None:
    body = b"a=1&b=2"
    r = Request(
        make_environ(method="POST", body=body, content_type="application/x-www-form-urlencoded")
    )
    assert r.get_data() == body
    assert r.form.to_dict() == {"a": "1", "b": "2"}
    assert r.get_data(as_text=True) == "a=1&b=2"


def test_multipart_form_and_files() -> None:
    body = multipart_body(
        {"title": "Hällo"}, {"upload": ("cat.txt", b"meow\x00\xff", "text/plain")}
    )
    r = Request(
        make_environ(method="PUT", body=body, content_type="multipart/form-data; boundary=XyZ")
    )
    assert r.mimetype_params == {"boundary": "XyZ"}
    assert r.form["title"] == "Hällo"
    f = r.files["upload"]
    assert isinstance(f, FileStorage)
    assert (f.filename, f.mimetype, f.read()) == ("cat.txt", "text/plain", b"meow\x00\xff")
    assert r.data == b""
    with pytest.raises(BadRequestKeyError):
        r.files["nope"]
    r.close()
    assert f.stream.closed


def test_context_manager_closes_files() -> None:
    body = multipart_body({}, {"f": ("a.bin", b"x" * 10, "application/octet-stream")})
    with Request(
        make_environ(method="POST", body=body, content_type="multipart/form-data; boundary=XyZ")
    ) as r:
        f = r.files["f"]
    assert f.stream.closed


def test_non_form_body_is_left_for_data() -> None:
    body = b'{"a": 1}'
    r = Request(make_environ(method="POST", body=body, content_type="application/json"))
    assert r.form == {} and r.files == {}
    assert r.data == body
    assert r.get_data() == body


def test_no_content_type_means_no_form() -> None:
    r = Request(make_environ(method="POST", body=b"a=1"))
    assert r.form == {}
    assert r.data == b"a=1"


def test_malformed_multipart_is_400() -> None:
    r = Request(make_environ(method="POST", body=b"garbage", content_type="multipart/form-data"))
    with pytest.raises(BadRequest):
        _ = r.form


# ----------------------------------------------------------------------------- limits


def test_limit_defaults_without_app() -> None:
    r = Request(make_environ())
    assert r.max_content_length is None
    assert r.max_form_memory_size == 500_000
    assert r.max_form_parts == 1000
    assert r.max_form_fields == 1000


def test_limits_read_app_config_and_instance_wins() -> None:
    r = Request(make_environ())
    with fake_app(
        MAX_CONTENT_LENGTH=10, MAX_FORM_MEMORY_SIZE=20, MAX_FORM_PARTS=30, MAX_FORM_FIELDS=40
    ):
        assert (
            r.max_content_length,
            r.max_form_memory_size,
            r.max_form_parts,
            r.max_form_fields,
        ) == (
            10,
            20,
            30,
            40,
        )
        r.max_content_length = 5
        r.max_form_parts = 6
        assert r.max_content_length == 5 and r.max_form_parts == 6
        r.max_content_length = None
        assert r.max_content_length == 10


def test_max_content_length_on_instance_is_413_before_reading() -> None:
    environ = make_environ(method="POST", body=b"x" * 100, content_type="application/octet-stream")
    environ["wsgi.input"] = RaisingInput()
    r = Request(environ)
    r.max_content_length = 10
    with pytest.raises(RequestEntityTooLarge) as info:
        r.get_data()
    assert info.value.code == 413


def test_max_content_length_from_config_on_form() -> None:
    body = b"a=" + b"x" * 100
    r = Request(
        make_environ(method="POST", body=body, content_type="application/x-www-form-urlencoded")
    )
    with fake_app(MAX_CONTENT_LENGTH=50), pytest.raises(RequestEntityTooLarge):
        _ = r.form


def test_max_form_memory_size_and_parts_and_fields() -> None:
    ctype = "application/x-www-form-urlencoded"
    r = Request(make_environ(method="POST", body=b"a=" + b"x" * 100, content_type=ctype))
    r.max_form_memory_size = 50
    with pytest.raises(RequestEntityTooLarge):
        _ = r.form

    r = Request(
        make_environ(method="POST", body=b"&".join(b"k=v" for _ in range(6)), content_type=ctype)
    )
    r.max_form_fields = 5
    with pytest.raises(RequestEntityTooLarge):
        _ = r.form

    body = multipart_body({f"f{i}": "v" for i in range(6)}, {})
    r = Request(
        make_environ(method="POST", body=body, content_type="multipart/form-data; boundary=XyZ")
    )
    r.max_form_parts = 5
    with pytest.raises(RequestEntityTooLarge):
        _ = r.form


# ----------------------------------------------------------------------------- JSON


def json_request(body: bytes, content_type: str | None = "application/json") -> Request:
    return Request(make_environ(method="POST", body=body, content_type=content_type))


def test_json_valid() -> None:
    r = json_request(b'{"a": [1, 2, "\xc3\xa4"]}')
    assert r.is_json
    assert r.json == {"a": [1, 2, "ä"]}
    assert r.get_json() is r.json  # cached
    assert r.get_data() == b'{"a": [1, 2, "\xc3\xa4"]}'
    assert json_request(b"[1]", "application/vnd.api+json; charset=utf-8").json == [1]


def test_json_invalid_is_400_without_details_outside_debug() -> None:
    r = json_request(b"{not json")
    with pytest.raises(BadRequest) as info:
        r.get_json()
    assert info.value.code == 400
    assert info.value.description == BadRequest.description
    assert "Failed to decode JSON object" in info.value.__cause__.description  # type: ignore[union-attr]


def test_json_invalid_in_debug_names_the_error() -> None:
    with fake_app(debug=True), pytest.raises(BadRequest) as info:
        json_request(b"{not json").get_json()
    assert info.value.description.startswith("Failed to decode JSON object: ")


@pytest.mark.parametrize(
    "body", [b"[" * 100_000, b'{"a":' * 100_000, b"\xff\xfe{}", b"", b'"\xff"']
)
def test_json_hostile_bodies_are_400(body: bytes) -> None:
    with pytest.raises(BadRequest) as info:
        json_request(body).get_json()
    assert info.value.code == 400
    assert json_request(body).get_json(silent=True) is None


def test_json_wrong_content_type_is_415() -> None:
    r = json_request(b'{"a": 1}', "text/plain")
    assert not r.is_json
    with pytest.raises(UnsupportedMediaType) as info:
        _ = r.json
    assert info.value.code == 415
    assert info.value.description == (
        "Did not attempt to load JSON data because the request Content-Type was not"
        " 'application/json'."
    )
    assert r.get_json(silent=True) is None
    assert r.get_json(force=True) == {"a": 1}
    with pytest.raises(UnsupportedMediaType):
        json_request(b"{}", None).get_json()


def test_json_silent_and_cache() -> None:
    r = json_request(b"{bad")
    assert r.get_json(silent=True) is None
    with pytest.raises(BadRequest):
        r.get_json()
    # Without cache the body is not kept: a second read sees an exhausted stream.
    r = json_request(b"[1]")
    assert r.get_json(cache=False) == [1]
    assert r.get_json(silent=True, cache=False) is None


def test_json_module_and_on_json_loading_failed_override() -> None:
    class Loose(Request):
        def on_json_loading_failed(self, e: BaseException | None) -> t.Any:
            return {"error": type(e).__name__}

    assert Loose(make_environ(method="POST", body=b"{x", content_type="application/json")).json == {
        "error": "JSONDecodeError"
    }
    assert Loose(make_environ(method="POST", body=b"{}", content_type="text/plain")).json == {
        "error": "NoneType"
    }

    r = json_request(b"[1]")
    r.json_module = SimpleNamespace(loads=lambda data: ("custom", json.loads(data)))
    assert r.json == ("custom", [1])
    import erlen.json

    assert Request.json_module is erlen.json


# ----------------------------------------------------------------------------- headers and cookies


def test_content_headers() -> None:
    r = Request(make_environ(body=b"abc", content_type="Text/HTML; Charset=UTF-8"))
    assert r.content_type == "Text/HTML; Charset=UTF-8"
    assert r.mimetype == "text/html"
    assert (
        r.mimetype_params
        == WzRequest(make_environ(content_type="Text/HTML; Charset=UTF-8")).mimetype_params
    )
    assert r.content_length == 3
    assert Request(make_environ()).content_length is None
    assert Request(make_environ()).mimetype == ""


@pytest.mark.parametrize(
    "content_type",
    [
        "",
        "text/html",
        " Text/HTML ",
        "text/html, text/plain",
        "text/html;charset=utf-8",
        'multipart/form-data; boundary="a;b"',
        "application/json;",
        ";",
        "a/b; x",
        "TEXT/html; A=B; a=c",
        "text/html\x00",
        "application/x-www-form-urlencoded ; charset=UTF-8",
    ],
)
def test_mimetype_matches_werkzeug(content_type: str) -> None:
    environ = make_environ(content_type=content_type)
    ours, wz = Request(dict(environ)), WzRequest(dict(environ))
    assert (ours.mimetype, ours.mimetype_params) == (wz.mimetype, wz.mimetype_params)


@pytest.mark.parametrize(
    "value", ["10", " 5", "-1", "abc", "+5", "1_0", "", "٣", "99999999999999999999"]
)
def test_content_length_matches_werkzeug(value: str) -> None:
    environ = make_environ(CONTENT_LENGTH=value)
    assert Request(environ).content_length == WzRequest(environ).content_length


def test_cookies() -> None:
    # "bad" is a raw 0xFF byte on the wire: not UTF-8.
    header = latin1('=__Host-x=bad; a=1; a=2; b="q\\"x"; c=ä; d=%41') + "; bad=\xff"
    r = Request(make_environ(HTTP_COOKIE=header))
    assert isinstance(r.cookies, ImmutableMultiDict)
    # SECURITY: a nameless cookie never becomes a __Host- cookie (CVE-2023-23934).
    assert "__Host-x" not in r.cookies
    assert "" not in r.cookies
    assert r.cookies.getlist("a") == ["1", "2"]
    assert r.cookies["b"] == 'q"x'
    assert r.cookies["c"] == "ä"
    assert r.cookies["d"] == "%41"
    assert r.cookies["bad"] == "\ufffd"
    with pytest.raises(BadRequestKeyError):
        r.cookies["session"]
    assert Request(make_environ()).cookies == {}


def test_hostile_input_never_raises() -> None:
    environ = make_environ(
        "/\xff\x00%zz%",
        "%%%zz=\x00&\xff=%C3",
        HTTP_HOST="\x00\xff",
        HTTP_COOKIE='\x00=\xff; ;;=; "="',
        HTTP_X_FORWARDED_FOR=",,,",
        SCRIPT_NAME="\xff",
    )
    r = Request(environ)
    for name in URL_PROPS + ("args", "cookies", "headers", "values"):
        getattr(r, name)
    assert r.host == ""
    assert r.path == "/\ufffd\x00%zz%"
    assert list(r.headers)


def test_plain_header_values() -> None:
    r = Request(
        make_environ(
            headers={
                "Referer": "http://a/",
                "Origin": "http://o",
                "Content-Encoding": "gzip",
                "Access-Control-Request-Method": "PUT",
                "Max-Forwards": "3",
            },
            REMOTE_USER="bob",
        )
    )
    assert r.referrer == "http://a/"
    assert r.origin == "http://o"
    assert r.content_encoding == "gzip"
    assert r.access_control_request_method == "PUT"
    assert r.access_control_request_headers is None
    assert r.max_forwards == 3
    assert r.remote_user == "bob"
    assert r.is_multithread and not r.is_multiprocess and not r.is_run_once
    assert isinstance(r.input_stream, io.BytesIO)


def test_typed_header_values() -> None:
    headers = {
        "Accept": "text/html;q=0.9, application/json",
        "Accept-Language": "de-CH, en;q=0.5",
        "Accept-Charset": "utf-8",
        "Accept-Encoding": "gzip, br;q=0.1",
        "If-Match": '"a", "b"',
        "If-None-Match": 'W/"c"',
        "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT",
        "If-Unmodified-Since": "Sun, 06 Nov 1994 08:49:37 GMT",
        "Date": "Sun, 06 Nov 1994 08:49:37 GMT",
        "If-Range": '"abc"',
        "Range": "bytes=0-99",
        "Cache-Control": "no-cache, max-age=60",
        "Pragma": "no-cache",
        "Authorization": "Basic dXNlcjpwYXNz",
        "User-Agent": "curl/8.0",
        "Access-Control-Request-Headers": "X-A, x-b",
    }
    ours = Request(make_environ(headers=headers))
    wz = WzRequest(make_environ(headers=headers))
    assert ours.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    assert ours.accept_mimetypes.best == wz.accept_mimetypes.best
    assert ours.accept_languages.best == wz.accept_languages.best == "de-CH"
    assert "utf-8" in ours.accept_charsets
    assert ours.accept_encodings["br"] == wz.accept_encodings["br"]
    assert ours.if_match.contains("a") and not ours.if_match.contains("c")
    assert ours.if_none_match.contains_weak("c")
    assert ours.if_modified_since == wz.if_modified_since
    assert ours.if_unmodified_since == wz.if_unmodified_since
    assert ours.date == wz.date
    assert ours.if_range.etag == wz.if_range.etag == "abc"
    assert ours.range.ranges == wz.range.ranges == [(0, 100)]
    assert ours.cache_control.no_cache == wz.cache_control.no_cache
    assert ours.cache_control.max_age == 60
    assert "no-cache" in ours.pragma
    assert (ours.authorization.type, ours.authorization.username, ours.authorization.password) == (
        "basic",
        "user",
        "pass",
    )
    assert ours.user_agent.string == "curl/8.0"
    assert "x-a" in ours.access_control_request_headers

    empty = Request(make_environ())
    assert empty.authorization is None
    assert empty.range is None
    assert empty.if_modified_since is None
    assert not empty.if_none_match
    assert empty.user_agent.string == ""
    assert empty.accept_mimetypes.best_match(["text/html"]) is None  # as in Werkzeug


# ----------------------------------------------------------------------------- Flask's routing data


def test_endpoint_and_blueprints_from_url_rule() -> None:
    r = Request(make_environ())
    assert (r.endpoint, r.blueprint, r.blueprints) == (None, None, [])
    r.url_rule = SimpleNamespace(endpoint="index")
    assert (r.endpoint, r.blueprint, r.blueprints) == ("index", None, [])
    r.url_rule = SimpleNamespace(endpoint="admin.users.list")
    assert r.endpoint == "admin.users.list"
    assert r.blueprint == "admin.users"
    assert r.blueprints == ["admin.users", "admin"]
    r.view_args = {"id": 3}
    assert r.view_args == {"id": 3}


# ----------------------------------------------------------------------------- from_values


def test_from_values() -> None:
    r = Request.from_values(
        "/search?q=erlen",
        method="POST",
        data={"a": "1"},
        headers={"X-Thing": "yes"},
        base_url="https://example.com/app",
    )
    assert isinstance(r, Request)
    assert (r.method, r.path, r.script_root) == ("POST", "/search", "/app")
    assert r.url == "https://example.com/app/search?q=erlen"
    assert r.args["q"] == "erlen" and r.form["a"] == "1"
    assert r.headers["X-Thing"] == "yes"

    r = Request.from_values(path="/api", method="PUT", json={"k": [1, 2]}, query_string={"x": "1"})
    assert r.is_json and r.json == {"k": [1, 2]}
    assert r.full_path == "/api?x=1"


def test_from_values_subclass() -> None:
    class MyRequest(Request):
        pass

    r = MyRequest.from_values("/")
    assert type(r) is MyRequest
    assert repr(r) == "<MyRequest 'http://localhost/' [GET]>"
