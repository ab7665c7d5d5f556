"""End to end: ``e2e_app:app`` under gunicorn, granian and erlen's development server.

Each server runs in a subprocess for the whole module (one per parameter) on a free port, and
the tests talk real HTTP/1.1 to it with ``http.client``. After every test the server's log must
hold no traceback (an unhandled error), and the server must still be running.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import typing as t
from http.cookies import SimpleCookie
from urllib.parse import quote

import pytest

import e2e_app
from helpers_servers import (
    KEEP_ALIVE_SERVERS,
    SERVERS,
    Server,
    multipart_body,
    raw_body,
    raw_status,
    read_reply,
    running_server,
    server_log_guard,  # noqa: F401  (fixture)
)


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest) -> t.Iterator[Server]:
    with running_server(request.param) as running:
        yield running


# Every test here: no traceback in the server log, the server still alive, its log shown on failure.
pytestmark = pytest.mark.usefixtures("server_log_guard")


def cookies_from(reply_headers: http.client.HTTPMessage) -> dict[str, str]:
    """name → value of every Set-Cookie in a response."""
    jar: dict[str, str] = {}
    for header in reply_headers.get_all("Set-Cookie") or []:
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            jar[name] = morsel.value
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items() if v)


# ---------------------------------------------------------------------------------------- basics


def test_hello(server: Server) -> None:
    reply = server.fetch("GET", "/")
    assert reply.status == 200
    assert reply.body == b"hello world!!!"
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert reply.headers["Content-Length"] == "14"


def test_hello_refuses_post(server: Server) -> None:
    reply = server.fetch("POST", "/", body=b"")
    assert reply.status == 405
    allowed = {m.strip() for m in reply.headers["Allow"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= allowed
    assert "POST" not in allowed


def test_head_has_headers_and_no_body(server: Server) -> None:
    get = server.fetch("GET", "/greet?username=head")
    head = server.fetch("HEAD", "/greet?username=head")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["Content-Length"] == str(len(get.body)) == "11"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "hello stranger!"),
        ("?username=alice", "hello alice!"),
        ("?username=%C3%A9lise", "hello \u00e9lise!"),
        ("?username=a+b%26c", "hello a b&c!"),
        ("?username=", "hello stranger!"),
    ],
)
def test_greet_reads_query_args(server: Server, query: str, expected: str) -> None:
    reply = server.fetch("GET", "/greet" + query)
    assert reply.status == 200
    assert reply.text == expected


def test_blueprint_routes(server: Server) -> None:
    watermark = server.fetch("GET", "/drawing/add_watermark")
    assert (watermark.status, watermark.text) == (
        200,
        "add_watermark: the watermark is on the picture",
    )
    posite = server.fetch("GET", "/drawing/picture_posite")
    assert (posite.status, posite.text) == (200, "picture_posite: the pictures are composed")


def test_not_found(server: Server) -> None:
    reply = server.fetch("GET", "/no/such/page")
    assert reply.status == 404
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"Not Found" in reply.body


def test_abort_403(server: Server) -> None:
    reply = server.fetch("GET", "/forbidden")
    assert reply.status == 403
    assert b"Forbidden" in reply.body


def test_redirect_and_follow(server: Server) -> None:
    reply = server.fetch("GET", "/go")
    assert reply.status == 302
    location = reply.headers["Location"]
    # Flask 3.1 sends a relative Location; an absolute one must point at this server.
    assert location in ("/drawing/add_watermark", f"{server.url}/drawing/add_watermark")
    followed = server.fetch("GET", location.removeprefix(server.url))
    assert followed.status == 200
    assert followed.text.startswith("add_watermark")


def test_unicode_path_and_odd_query(server: Server) -> None:
    reply = server.fetch("GET", "/inspect/caf%C3%A9/%20x?q=%ff&r=%zz&s=%C3%A9")
    assert reply.status == 200
    data = reply.json()
    assert data["rest"] == "caf\u00e9/ x"
    assert data["path"] == "/inspect/caf\u00e9/ x"
    assert data["args"] == {"q": ["%FF"], "r": ["%zz"], "s": ["\u00e9"]}


# ------------------------------------------------------------------------------------ bodies


def test_json_round_trip(server: Server) -> None:
    document = {"name": "\u00e9rlen \u2603", "n": [1, 2.5, None, True], "nested": {"a": {}}}
    reply = server.fetch(
        "POST",
        "/json",
        body=json.dumps(document).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {"json": document}


def test_json_errors_are_4xx(server: Server) -> None:
    bad = server.fetch(
        "POST", "/json", body=b"{'no': json}", headers={"Content-Type": "application/json"}
    )
    assert bad.status == 400
    wrong_type = server.fetch("POST", "/json", body=b"[]", headers={"Content-Type": "text/plain"})
    assert wrong_type.status == 415


def test_urlencoded_form(server: Server) -> None:
    reply = server.fetch(
        "POST",
        "/form",
        body=b"a=1&b=two+words&a=%C3%A9&empty=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 200
    assert reply.json() == {
        "form": {"a": ["1", "\u00e9"], "b": ["two words"], "empty": [""]},
        "files": {},
    }


def test_multipart_upload(server: Server) -> None:
    small = b"hello, file\r\n--not-a-boundary\r\n"
    large = os.urandom(700_000)  # above the 500 kB spool threshold: goes through a temp file
    body, content_type = multipart_body(
        fields=[("title", "holiday \u2600"), ("tag", "a"), ("tag", "b")],
        files=[("small", "notes.txt", small), ("photo", "beach.jpg", large)],
    )
    reply = server.fetch("POST", "/form", body=body, headers={"Content-Type": content_type})
    assert reply.status == 200, reply.body[:500]
    assert reply.json() == {
        "form": {"title": ["holiday \u2600"], "tag": ["a", "b"]},
        "files": {
            "small": {
                "filename": "notes.txt",
                "size": len(small),
                "sha256": hashlib.sha256(small).hexdigest(),
            },
            "photo": {
                "filename": "beach.jpg",
                "size": len(large),
                "sha256": hashlib.sha256(large).hexdigest(),
            },
        },
    }


def test_large_raw_body_arrives_intact(server: Server) -> None:
    data = os.urandom(3 * 1024 * 1024)
    reply = server.fetch(
        "POST", "/body", body=data, headers={"Content-Type": "application/octet-stream"}
    )
    assert reply.status == 200
    assert reply.json() == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_chunked_request_body_is_read_or_refused_never_lost(server: Server) -> None:
    """A body without Content-Length (chunked) is read in full, or refused with a 4xx.

    A 200 that saw an empty (or cut) body would be lost data.
    """
    parts = [os.urandom(10_000) for _ in range(10)]
    data = b"".join(parts)
    reply = server.fetch(
        "POST",
        "/body",
        body=iter(parts),
        headers={"Content-Type": "application/octet-stream", "Connection": "close"},
        encode_chunked=True,
    )
    if reply.status == 200:
        assert reply.json() == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}, (
            f"{server.kind}: the chunked body was silently lost or cut"
        )
    else:
        assert reply.status in (400, 411, 501), reply.status


def test_body_shorter_than_content_length_then_close_is_400(server: Server) -> None:
    """The client declares 500 bytes, sends 3 and half-closes: a 400, not a short body."""
    raw = server.raw(
        b"POST /body HTTP/1.1\r\nHost: e2e\r\nContent-Length: 500\r\nConnection: close\r\n\r\nabc",
        shutdown_write=True,
    )
    status = raw_status(raw)
    assert status is None or status == 400, raw[:300]
    assert server.answers()


def test_body_over_request_limit_is_413(server: Server) -> None:
    over = b"x" * (e2e_app.SMALL_LIMIT + 1)
    reply = server.fetch(
        "POST", "/small", body=over, headers={"Content-Type": "application/octet-stream"}
    )
    assert reply.status == 413
    at_limit = b"x" * e2e_app.SMALL_LIMIT
    reply = server.fetch(
        "POST", "/small", body=at_limit, headers={"Content-Type": "application/octet-stream"}
    )
    assert (reply.status, reply.json()) == (200, {"size": e2e_app.SMALL_LIMIT})


# ----------------------------------------------------------------------- cookies and sessions


def test_cookie_set_then_read(server: Server) -> None:
    setter = server.fetch("GET", "/cookie/set?value=oatmeal")
    assert setter.status == 200
    set_cookies = setter.headers.get_all("Set-Cookie")
    assert set_cookies == ["flavour=oatmeal; Path=/"]
    jar = cookies_from(setter.headers)
    reader = server.fetch("GET", "/cookie", headers={"Cookie": cookie_header(jar)})
    assert reader.text == "flavour=oatmeal"
    assert server.fetch("GET", "/cookie").text == "flavour=<none>"


def test_cookie_with_special_characters_round_trips(server: Server) -> None:
    value = 'semi;colon, comma "quoted" \u00e9'
    setter = server.fetch("GET", "/cookie/set?value=" + quote(value, safe=""))
    assert setter.status == 200
    (header,) = setter.headers.get_all("Set-Cookie")
    # One cookie, with the value quoted or escaped: nothing after it looks like an attribute.
    assert re.fullmatch(r'flavour=("(?:[^"\\\x00-\x1f]|\\.)*"|[^;\s",\\]*); Path=/', header), header
    reader = server.fetch("GET", "/cookie", headers={"Cookie": header.split("; Path=/")[0]})
    assert reader.text == f"flavour={value}"


def test_session_login_greet_logout(server: Server) -> None:
    login = server.fetch(
        "POST",
        "/login",
        body=b"username=alice",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert login.status == 302
    assert login.headers["Location"] in ("/greet", f"{server.url}/greet")
    (set_cookie,) = login.headers.get_all("Set-Cookie")
    assert set_cookie.startswith("session=")
    assert "HttpOnly" in set_cookie
    assert "Path=/" in set_cookie
    jar = cookies_from(login.headers)

    greeting = server.fetch("GET", "/greet", headers={"Cookie": cookie_header(jar)})
    assert greeting.text == "hello alice!"
    # The session says who is logged in; without the cookie nobody is.
    assert server.fetch("GET", "/greet").text == "hello stranger!"
    # A session cookie edited by the client is ignored.
    # (The first character of the signature: the last one may hold base64 padding bits.)
    good = jar["session"]
    at = good.rindex(".") + 1
    forged = good[:at] + ("A" if good[at] != "A" else "B") + good[at + 1 :]
    tampered = server.fetch("GET", "/greet", headers={"Cookie": f"session={forged}"})
    assert (tampered.status, tampered.text) == (200, "hello stranger!")

    logout = server.fetch("GET", "/logout", headers={"Cookie": cookie_header(jar)})
    assert logout.text == "logged out"
    jar.update(cookies_from(logout.headers))
    after = server.fetch("GET", "/greet", headers={"Cookie": cookie_header(jar)})
    assert after.text == "hello stranger!"


def test_login_without_username_is_400(server: Server) -> None:
    reply = server.fetch(
        "POST", "/login", body=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 400
    assert reply.headers.get_all("Set-Cookie") is None


# ------------------------------------------------------------------- streaming and connections


def test_streamed_response_arrives_chunk_by_chunk(server: Server) -> None:
    conn = server.connection()
    try:
        conn.request("GET", "/stream?prefix=part")
        response = conn.getresponse()
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        # A generator has no length: HTTP/1.1 servers chunk it, HTTP/1.0 ones close at the end.
        assert response.headers["Content-Length"] is None
        if response.version == 11:
            assert response.headers["Transfer-Encoding"] == "chunked"
        lines = [response.readline() for _ in range(e2e_app.STREAM_CHUNKS)]
        assert response.read() == b""
    finally:
        conn.close()
    assert lines == [f"part {i} of /stream\n".encode() for i in range(e2e_app.STREAM_CHUNKS)]


def test_two_requests_on_one_connection(server: Server) -> None:
    conn = server.connection()
    try:
        conn.request("GET", "/greet?username=first")
        first = conn.getresponse()
        first_sock = conn.sock
        first_reply = read_reply(first)
        assert (first_reply.status, first_reply.body) == (200, b"hello first!")
        if server.kind in KEEP_ALIVE_SERVERS:
            assert not first.will_close
        else:
            # A server that closes must say so (Connection: close, or HTTP/1.0 without keep-alive).
            assert first.will_close
        # A POST with a body, then a GET, on the same connection (http.client reconnects only
        # when the server said it would close).
        conn.request(
            "POST",
            "/json",
            body=b'{"second": 2}',
            headers={"Content-Type": "application/json"},
        )
        second_response = conn.getresponse()
        second = read_reply(second_response)
        assert (second.status, second.json()) == (200, {"json": {"second": 2}})
        if server.kind in KEEP_ALIVE_SERVERS:
            # NOTE: http.client reconnects only after a response that announced a close (or had
            # no length): the framing headers tell which, should this ever fail.
            framing = {
                name: second.headers.get(name)
                for name in ("Connection", "Content-Length", "Transfer-Encoding")
            }
            assert conn.sock is first_sock, (
                f"the server closed a keep-alive connection after the POST: HTTP/"
                f"{second_response.version / 10} {second.status} {framing}"
            )
        conn.request("GET", "/")
        third = read_reply(conn.getresponse())
        assert (third.status, third.body) == (200, b"hello world!!!")
    finally:
        conn.close()


def test_error_response_keeps_connection_usable(server: Server) -> None:
    """After a 404 and a 413 on a keep-alive connection, the next request still gets its answer."""
    conn = server.connection()
    try:
        conn.request("GET", "/missing")
        assert read_reply(conn.getresponse()).status == 404
        conn.request(
            "POST",
            "/small",
            body=b"y" * (e2e_app.SMALL_LIMIT + 500),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert read_reply(conn.getresponse()).status == 413
        conn.request("GET", "/greet?username=after")
        reply = read_reply(conn.getresponse())
        assert (reply.status, reply.body) == (200, b"hello after!")
    except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
        # The server may close after a 413 whose body it did not read; it must then say so,
        # which http.client honours by reconnecting. An unannounced close is a failure.
        pytest.fail(f"{server.kind} closed the connection without Connection: close")
    finally:
        conn.close()


def test_pipelined_requests_get_answers_in_order(server: Server) -> None:
    """Two requests sent back to back before reading: two answers (or one, then a close)."""
    raw = server.raw(
        b"GET /greet?username=one HTTP/1.1\r\nHost: e2e\r\n\r\n"
        b"GET /greet?username=two HTTP/1.1\r\nHost: e2e\r\nConnection: close\r\n\r\n"
    )
    assert raw_status(raw) == 200
    assert b"hello one!" in raw
    if server.kind in KEEP_ALIVE_SERVERS:
        assert raw.count(b"HTTP/1.1 200") == 2
        assert raw.index(b"hello one!") < raw.index(b"hello two!")


def test_raw_http10_request(server: Server) -> None:
    raw = server.raw(b"GET /greet?username=old HTTP/1.0\r\n\r\n")
    assert raw_status(raw) == 200
    assert raw_body(raw) == b"hello old!"
