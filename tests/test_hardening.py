"""Hostile input a probe found: each case is a 4xx or is ignored, never a 500 or an open redirect.

The first sections use the test client (``TESTING`` off, so a bug shows as a 500 the test
sees); the last runs ``hardening_app:app`` under a real gunicorn and talks to it over raw
sockets, for what only a real server shows (its own framing errors, what reaches the wire).
"""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erlen import Erlen, Response, redirect, request, send_file, url_for
from erlen.http.headers import Headers
from helpers_servers import (
    SERVERS,
    Server,
    raw_body,
    raw_status,
    running_server,
    server_log_guard,  # noqa: F401  (fixture)
)

HUGE = "9" * 4400  # above Python's 4300-digit limit for int(str)
BAD_HOSTS = ["good.com@evil.com", "evil.com/x?", "good.com#@evil.com", "evil.com\\@good.com"]


@pytest.fixture
def app(tmp_path) -> Erlen:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_bytes(b"0123456789")
    app = Erlen("hardening", root_path=str(tmp_path))

    @app.route("/ext/")
    def ext() -> str:
        return url_for("ext", _external=True)

    @app.route("/file")
    def file() -> Response:
        return send_file(str(tmp_path / "static" / "a.txt"))

    @app.post("/parse")
    def parse() -> t.Any:
        return {
            "json": request.get_json(silent=True),
            "form": request.form.to_dict(),
            "files": sorted(request.files),
            "params": request.mimetype_params,
        }

    @app.route("/auth")
    def auth() -> t.Any:
        a = request.authorization
        return {"auth": None if a is None else [a.type, a.username]}

    @app.route("/cc")
    def cc() -> t.Any:
        return {
            "max_age": request.cache_control.max_age,
            "max_stale": request.cache_control.max_stale,
        }

    @app.route("/n/<int:n>")
    def number(n: int) -> str:
        return str(n)

    @app.route("/go")
    def go() -> Response:
        return redirect(request.args["to"])

    return app


def _not_5xx(response: t.Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]


# ------------------------------------------------------------------------------- Host header


@pytest.mark.parametrize("host", BAD_HOSTS)
@pytest.mark.parametrize("path", ["/ext/", "/ext"])
def test_malformed_host_never_reaches_a_url(app: Erlen, host: str, path: str) -> None:
    response = app.test_client().get(path, headers={"Host": host})
    assert response.status_code == 400
    assert "evil" not in response.get_data(as_text=True)
    assert "evil" not in response.headers.get("Location", "")


def test_two_host_headers_are_400(app: Erlen) -> None:
    client = app.test_client()
    response = client.get("/ext/", headers=[("Host", "good.com"), ("Host", "evil.com")])
    assert response.status_code == 400
    assert "evil" not in response.get_data(as_text=True)


def test_valid_hosts_still_build_urls(app: Erlen) -> None:
    client = app.test_client()
    for host in ["good.com", "good.com:8080", "127.0.0.1:5000", "[::1]:8000", "xn--caf-dma.com"]:
        response = client.get("/ext/", headers={"Host": host})
        assert response.status_code == 200, host
        assert response.get_data(as_text=True).startswith("http://"), host
    response = client.get("/ext", headers={"Host": "good.com:8080"})
    assert (response.status_code, response.headers["Location"]) == (
        308,
        "http://good.com:8080/ext/",
    )


def test_url_for_in_a_400_handler_never_uses_the_bad_host(app: Erlen) -> None:
    @app.errorhandler(400)
    def bad(e: t.Any) -> tuple[str, int]:
        return url_for("ext", _external=True), 400

    response = app.test_client().get("/ext/", headers={"Host": "good.com@evil.com"})
    assert response.status_code == 400
    assert "evil" not in response.get_data(as_text=True)


# ----------------------------------------------------------------------------- TRUSTED_HOSTS


@pytest.mark.parametrize("path", ["/ext/", "/ext", "/no-such-page"])
def test_untrusted_host_is_400(app: Erlen, path: str) -> None:
    app.config["TRUSTED_HOSTS"] = ["good.com", ".example.org"]
    response = app.test_client().get(path, headers={"Host": "evil.com"})
    assert response.status_code == 400
    assert "evil" not in response.headers.get("Location", "")


def test_trusted_hosts_are_served(app: Erlen) -> None:
    app.config["TRUSTED_HOSTS"] = ["good.com", ".example.org"]
    client = app.test_client()
    for host, url in [
        ("good.com", "http://good.com/ext/"),
        ("good.com:8080", "http://good.com:8080/ext/"),
        ("api.example.org", "http://api.example.org/ext/"),
        ("example.org", "http://example.org/ext/"),
    ]:
        response = client.get("/ext/", headers={"Host": host})
        assert (response.status_code, response.get_data(as_text=True)) == (200, url)


def test_request_host_in_a_handler_of_an_untrusted_request_raises_as_in_flask(app: Erlen) -> None:
    from erlen.exceptions import SecurityError

    seen = []

    @app.errorhandler(400)
    def bad(e: t.Any) -> tuple[str, int]:
        try:
            seen.append(request.host_url)
        except SecurityError:
            seen.append("SecurityError")
        return "refused", 400

    app.config["TRUSTED_HOSTS"] = ["good.com"]
    response = app.test_client().get("/ext/", headers={"Host": "evil.com"})
    assert (response.status_code, seen) == (400, ["SecurityError"])


def test_trusted_hosts_match_flask(app: Erlen) -> None:
    flask = pytest.importorskip("flask")
    fapp = flask.Flask("oracle")
    fapp.config["TRUSTED_HOSTS"] = ["good.com", ".example.org"]
    fapp.add_url_rule("/ext/", "ext", lambda: flask.url_for("ext", _external=True))
    app.config["TRUSTED_HOSTS"] = ["good.com", ".example.org"]
    # NOTE: "GOOD.com" is left out: host names are case-insensitive (RFC 4343) and erlen trusts
    # it; Werkzeug compares case-sensitively and refuses it.
    for host in ["good.com", "evil.com", "x.example.org", "example.org.evil", "good.co"]:
        ours = app.test_client().get("/ext/", headers={"Host": host})
        theirs = fapp.test_client().get("/ext/", headers={"Host": host})
        assert ours.status_code == theirs.status_code, host
        if ours.status_code == 200:
            assert ours.data == theirs.data


# ----------------------------------------------------------------- numbers in header values


@pytest.mark.parametrize(
    "value",
    [f"bytes={HUGE}-", f"bytes=0-{HUGE}", f"bytes=-{HUGE}", f"bytes=0-1,{HUGE}-", "bytes=1_0-20"],
    ids=["huge-start", "huge-end", "huge-suffix", "huge-second", "underscore"],
)
@pytest.mark.parametrize("path", ["/static/a.txt", "/file"])
def test_huge_numbers_in_range(app: Erlen, path: str, value: str) -> None:
    response = app.test_client().get(path, headers={"Range": value})
    assert response.status_code in (200, 206, 416)
    if response.status_code == 206:
        assert response.data in (b"0123456789", b"01")


def test_range_still_works(app: Erlen) -> None:
    response = app.test_client().get("/file", headers={"Range": "bytes=2-4"})
    assert (response.status_code, response.data) == (206, b"234")


CONTENT_TYPES = [
    f"application/json; charset*={HUGE}",
    f"application/json; a*0=x; a*{HUGE}=y",
    f"application/json; a*{HUGE}*=utf-8''x",
    f"application/x-www-form-urlencoded; charset*0*=utf-8''x; charset*{HUGE}=y",
    f"multipart/form-data; boundary*0=abc; boundary*{HUGE}=x",
    f"multipart/form-data; boundary*{HUGE}*=utf-8''abc",
    "multipart/form-data; boundary*=undefined''abc",
    "multipart/form-data; boundary*0*=idna''%ff; boundary*1=x",
    "application/x-www-form-urlencoded; charset*=punycode''%ff",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES, ids=range(len(CONTENT_TYPES)))
def test_content_type_parameters_never_500(app: Erlen, content_type: str) -> None:
    response = app.test_client().post(
        "/parse", data=b'{"a": 1}', headers={"Content-Type": content_type}
    )
    _not_5xx(response)


@pytest.mark.parametrize("charset", ["undefined", "idna", "punycode", "bogus", "base64", "utf-7"])
def test_digest_username_with_odd_charsets(app: Erlen, charset: str) -> None:
    header = f"Digest username*={charset}''%ff%fe%5cx, realm=r, nonce=n, uri=/, response=z"
    response = app.test_client().get("/auth", headers={"Authorization": header})
    _not_5xx(response)


def test_digest_username_in_utf8_is_decoded(app: Erlen) -> None:
    header = "Digest username*=UTF-8''caf%C3%A9, realm=r, nonce=n, uri=/, response=z"
    response = app.test_client().get("/auth", headers={"Authorization": header})
    assert response.json == {"auth": ["digest", "café"]}


@pytest.mark.parametrize(
    "value",
    ["max-age=" + "1" * 4301, "max-age=" + "1" * 100, "max-stale=" + HUGE],
    ids=["max-age-4301", "max-age-100", "max-stale-4400"],
)
def test_cache_control_huge_delta_seconds(app: Erlen, value: str) -> None:
    response = app.test_client().get("/cc", headers={"Cache-Control": value})
    assert response.status_code == 200
    # RFC 9111 1.2.2: a delta-seconds too large to represent is taken as 2**31.
    assert 2**31 in response.json.values()


def test_cache_control_small_values_unchanged(app: Erlen) -> None:
    response = app.test_client().get("/cc", headers={"Cache-Control": "max-age=60, max-stale=5"})
    assert response.json == {"max_age": 60, "max_stale": 5}


def test_huge_number_in_an_int_route_is_404(app: Erlen) -> None:
    client = app.test_client()
    assert client.get("/n/" + "1" * 5000).status_code == 404
    assert client.get("/n/42").get_data() == b"42"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Max-Forwards", HUGE),
        ("Content-Length", HUGE),
        ("If-Modified-Since", HUGE),
        ("If-Range", HUGE),
        ("Accept", "text/html;q=" + "0." + "1" * 5000),
    ],
    ids=["max-forwards", "content-length", "if-modified-since", "if-range", "accept"],
)
def test_other_numeric_headers(app: Erlen, header: str, value: str) -> None:
    @app.route("/all")
    def all_headers() -> t.Any:
        r = request
        return {
            "mf": r.max_forwards,
            "cl": r.content_length,
            "ims": str(r.if_modified_since),
            "accept": str(r.accept_mimetypes),
            "range": str(r.if_range),
        }

    _not_5xx(app.test_client().get("/all", headers={header: value}))


def test_safe_uint_helper() -> None:
    from erlen.http.safeparse import parse_uint

    assert parse_uint("0") == 0
    assert parse_uint("0042") == 42
    assert parse_uint(HUGE, limit=2**31) == 2**31
    assert parse_uint("2147483649", limit=2**31) == 2**31
    assert parse_uint(HUGE) is None
    for bad in ["", " 1", "1 ", "-1", "+1", "1_0", "1.0", "\u0661", "0x10", "1e3"]:
        assert parse_uint(bad) is None, bad


# --------------------------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    "target", ["http://exa\x00mple.com/x", "http://a\x00@b.com/", "http://[::1\x00]/", "//a\x00b/"]
)
def test_redirect_to_a_nul_in_the_host_is_not_500(app: Erlen, target: str) -> None:
    response = app.test_client().get("/go", query_string={"to": target})
    assert response.status_code == 302
    assert "\x00" not in response.headers["Location"]


# ------------------------------------------------------------------------ response headers


@pytest.mark.parametrize("value", ["snow \u2603 man", "\u0100", "emoji \U0001f600"])
def test_header_value_outside_latin1_is_refused_when_set(value: str) -> None:
    response = Response("x")
    with pytest.raises(ValueError, match="latin-1"):
        response.headers["X-Thing"] = value
    with pytest.raises(ValueError, match="latin-1"):
        response.headers.add("X-Thing", value)
    with pytest.raises(ValueError, match="latin-1"):
        Headers([("X-Thing", value)])
    assert "X-Thing" not in response.headers


def test_latin1_header_values_are_fine() -> None:
    headers = Headers()
    headers["X-Cafe"] = "caf\xe9"
    assert headers["X-Cafe"] == "caf\xe9"


# ------------------------------------------------------------------------ under gunicorn


@pytest.fixture(scope="module")
def server() -> t.Iterator[Server]:
    with running_server("gunicorn", "hardening_app:app") as running:
        yield running


def _send(server: Server, head: str, body: bytes = b"") -> bytes:
    data = head.replace("\n", "\r\n").encode("latin-1") + b"Connection: close\r\n\r\n" + body
    return server.raw(data, shutdown_write=bool(body))


@pytest.mark.usefixtures("server_log_guard")
class TestOverGunicorn:
    @pytest.mark.parametrize("host", BAD_HOSTS)
    @pytest.mark.parametrize("path", ["/ext/", "/ext"])
    def test_malformed_host(self, server: Server, host: str, path: str) -> None:
        raw = _send(server, f"GET {path} HTTP/1.1\nHost: {host}\n")
        assert raw_status(raw) == 400, raw[:300]
        assert b"evil" not in raw

    def test_two_host_headers(self, server: Server) -> None:
        raw = _send(server, "GET /ext/ HTTP/1.1\nHost: good.com\nHost: evil.com\n")
        assert raw_status(raw) == 400, raw[:300]
        assert b"evil" not in raw

    def test_good_host_builds_urls(self, server: Server) -> None:
        raw = _send(server, "GET /ext HTTP/1.1\nHost: good.com\n")
        assert raw_status(raw) == 308
        assert b"\r\nLocation: http://good.com/ext/\r\n" in raw
        raw = _send(server, "GET /ext/ HTTP/1.1\nHost: good.com\n")
        assert raw_body(raw) == b"http://good.com/ext/"

    @pytest.mark.parametrize("path", ["/static/hello.txt", "/file"])
    def test_huge_range(self, server: Server, path: str) -> None:
        raw = _send(server, f"GET {path} HTTP/1.1\nHost: e2e\nRange: bytes={HUGE}-\n")
        assert raw_status(raw) in (200, 416), raw[:300]

    @pytest.mark.parametrize(
        "body",
        [
            b"zz\r\nabc\r\n0\r\n\r\n",  # not a hex size
            b"3\r\nabcXX0\r\n\r\n",  # chunk without its CRLF
            b"3;\rx\r\nabc\r\n0\r\n\r\n",  # a bare CR in a chunk extension
            b"-3\r\nabc\r\n0\r\n\r\n",
        ],
        ids=["bad-size", "no-terminator", "bad-extension", "negative"],
    )
    @pytest.mark.parametrize("path", ["/body", "/form"])
    def test_malformed_chunked_body_is_400(self, server: Server, path: str, body: bytes) -> None:
        head = (
            f"POST {path} HTTP/1.1\nHost: e2e\nTransfer-Encoding: chunked\n"
            "Content-Type: application/x-www-form-urlencoded\n"
        )
        raw = _send(server, head, body)
        assert raw_status(raw) == 400, raw[:300]
        assert server.answers()

    def test_redirect_to_nul_host(self, server: Server) -> None:
        raw = _send(server, "GET /go?to=http://exa%00mple.com/x HTTP/1.1\nHost: e2e\n")
        assert raw_status(raw) == 302, raw[:300]
        assert b"\r\nLocation: http://exa%00mple.com/x\r\n" in raw


@pytest.mark.parametrize("kind", SERVERS)
def test_header_outside_latin1_is_a_whole_500_on_every_server(kind: str) -> None:
    """Before, the dev server sent "200 OK" and then stopped; granian sent the value as UTF-8.

    No log guard here: the app's bug is logged with its traceback, as it should be.
    """
    with running_server(kind, "hardening_app:app") as server:
        raw = _send(server, "GET /snowman-header HTTP/1.1\nHost: e2e\n")
        # The app's bug shows as a complete error response, never a "200 OK" cut short.
        assert raw_status(raw) == 500, raw[:300]
        assert b"Internal Server Error" in raw_body(raw)
        assert "\u2603".encode() not in raw
        assert server.answers()
        assert "outside latin-1" in server.log()


@pytest.mark.parametrize("kind", [k for k in SERVERS if k != "gunicorn"])  # gunicorn: above
def test_malformed_host_on_the_other_servers(kind: str) -> None:
    with running_server(kind, "hardening_app:app") as server:
        offset = len(server.log())
        for host_lines in [
            *(f"Host: {h}\n" for h in BAD_HOSTS),
            "Host: good.com\nHost: evil.com\n",
        ]:
            for path in ["/ext/", "/ext"]:
                raw = _send(server, f"GET {path} HTTP/1.1\n{host_lines}")
                assert raw_status(raw) == 400, (host_lines, path, raw[:300])
                assert b"evil" not in raw
        raw = _send(server, "GET /ext HTTP/1.1\nHost: good.com\n")
        assert b"\r\nlocation: http://good.com/ext/\r\n" in raw.lower()
        assert "Traceback" not in server.log()[offset:]


def test_devserver_takes_only_hex_digits_as_a_chunk_size() -> None:
    """``int(x, 16)`` also reads "1_0", "+a" and " a": a chunk size must be 1*HEXDIG."""
    with running_server("devserver", "hardening_app:app") as server:
        for size in [b"1_0", b"+a", b"0x3"]:
            body = size + b"\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n"
            head = "POST /body HTTP/1.1\nHost: e2e\nTransfer-Encoding: chunked\n"
            raw = _send(server, head, body)
            assert raw_status(raw) == 400, (size, raw[:300])
        raw = _send(server, head, b"3\r\nabc\r\n0\r\n\r\n")  # half-closes, as above
        assert (raw_status(raw), raw_body(raw)) == (200, b'{"size":3}\n')


# ------------------------------------------------------------- any header value, any parser

#: (WSGI key, the request attributes that parse it).
PARSED_HEADERS = [
    ("HTTP_RANGE", ["range"]),
    ("HTTP_IF_RANGE", ["if_range"]),
    ("HTTP_AUTHORIZATION", ["authorization"]),
    ("HTTP_CACHE_CONTROL", ["cache_control"]),
    ("HTTP_PRAGMA", ["pragma"]),
    ("HTTP_ACCEPT", ["accept_mimetypes"]),
    ("HTTP_ACCEPT_LANGUAGE", ["accept_languages"]),
    ("HTTP_ACCEPT_CHARSET", ["accept_charsets"]),
    ("HTTP_ACCEPT_ENCODING", ["accept_encodings"]),
    ("HTTP_IF_MATCH", ["if_match"]),
    ("HTTP_IF_NONE_MATCH", ["if_none_match"]),
    ("HTTP_IF_MODIFIED_SINCE", ["if_modified_since"]),
    ("HTTP_IF_UNMODIFIED_SINCE", ["if_unmodified_since"]),
    ("HTTP_DATE", ["date"]),
    ("HTTP_MAX_FORWARDS", ["max_forwards"]),
    ("HTTP_COOKIE", ["cookies"]),
    ("HTTP_USER_AGENT", ["user_agent"]),
    ("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", ["access_control_request_headers"]),
    ("CONTENT_LENGTH", ["content_length"]),
    ("CONTENT_TYPE", ["mimetype", "mimetype_params", "form", "files", "is_json"]),
    ("HTTP_HOST", ["host", "url", "host_url"]),
]

# Header text as a WSGI server hands it over: latin-1, no CR/LF/NUL, with the characters
# header grammars care about over-represented, and long digit runs.
_HEADER_CHARS = st.sampled_from(
    list("0123456789abcxyzABC=;,-*'\"\\ /:.%@#?[]()") + ["\xff", "\xe9", "\t"]
)
# Where a header grammar expects a number or a charset: the probe's cases, generalised.
_PREFIXES = st.sampled_from(
    [
        "",
        "bytes=",
        "bytes=0-",
        "bytes=-",
        "bytes=0-1,",
        "max-age=",
        "max-stale=",
        "bytes 0-",
        "bytes 0-1/",
        "application/json; a*",
        "application/json; a*0=x; a*",
        "multipart/form-data; boundary*",
        "Digest username*=",
        "Digest realm=r, username*=",
        "text/html;q=0.",
    ]
)
_CHARSETS = st.sampled_from(["undefined", "idna", "punycode", "bogus", "utf-7", "base64", ""])
_HEADER_TEXT = st.one_of(
    st.text(_HEADER_CHARS, max_size=60),
    st.builds(
        lambda a, n, b: a + "9" * n + b,
        _PREFIXES,
        st.integers(4290, 4500),
        st.text(_HEADER_CHARS, max_size=20),
    ),
    st.builds(
        lambda a, charset, b: f"{a}{charset}''{b}",
        _PREFIXES,
        _CHARSETS,
        st.text(_HEADER_CHARS, max_size=20),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PARSED_HEADERS), _HEADER_TEXT)
def test_no_header_value_breaks_a_parser(header: tuple[str, list[str]], value: str) -> None:
    """Every parsed header, any value: a result or a 4xx, never another exception."""
    import io

    from erlen.exceptions import HTTPException
    from erlen.http.request import Request

    key, attributes = header
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b'{"a": 1}'),
        "CONTENT_LENGTH": "8",
        key: value,
    }
    request = Request(environ)
    for attribute in attributes:
        try:
            str(getattr(request, attribute))
        except HTTPException as e:
            assert 400 <= e.code < 500  # type: ignore[operator]


_CONDITIONAL_HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Range",
            "If-Range",
            "If-None-Match",
            "If-Match",
            "If-Modified-Since",
            "If-Unmodified-Since",
        ]
    ),
    _HEADER_TEXT,
    max_size=4,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headers=_CONDITIONAL_HEADERS, path=st.sampled_from(["/static/a.txt", "/file"]))
def test_conditional_and_range_headers_never_500(
    tmp_path_factory: pytest.TempPathFactory, headers: dict[str, str], path: str
) -> None:
    """send_file and the static route, under any mix of conditional and range headers."""
    root = tmp_path_factory.mktemp("conditional")
    (root / "static").mkdir()
    (root / "static" / "a.txt").write_bytes(b"0123456789")
    app = Erlen("conditional", root_path=str(root))
    app.add_url_rule("/file", "file", lambda: send_file(str(root / "static" / "a.txt")))
    response = app.test_client().get(path, headers=headers)
    assert response.status_code in (200, 206, 304, 412, 416), response.status_code
    if response.status_code == 206:
        assert response.data and b"0123456789".find(response.data) >= 0


_HOST_TEXT = st.text(
    st.sampled_from(list("abcEXAMPLE019.-:[]@#?/\\%_ ,;=") + ["\xff", "\t"]), max_size=30
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host=_HOST_TEXT, slash=st.booleans())
def test_any_host_is_refused_or_is_exactly_the_urls_host(host: str, slash: bool) -> None:
    """Whatever the Host: a 400, or URLs whose authority is that host and nothing more."""
    from urllib.parse import urlsplit

    app = Erlen("any_host")
    app.add_url_rule("/ext/", "ext", lambda: url_for("ext", _external=True))
    response = app.test_client().get("/ext/" if slash else "/ext", headers={"Host": host})
    assert response.status_code in (200, 308, 400), response.status_code
    if response.status_code == 400:
        return
    url = response.get_data(as_text=True) if slash else response.headers["Location"]
    parts = urlsplit(url)
    # An empty Host falls back to the server's name (SERVER_NAME, "localhost" here).
    expected = host.lower().removesuffix(":80") or "localhost"
    assert (parts.scheme, parts.netloc, parts.path) == ("http", expected, "/ext/"), url
    assert not parts.query and not parts.fragment
