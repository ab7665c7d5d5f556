"""The dev server (``app.run()`` / ``erlen run``) over real sockets: uvicorn with h11 and
wsproto behind erlen's stricter parser, debug page, access log and reloader."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import ssl
import subprocess
import sys
import time
import typing as t
from collections.abc import Iterator
from pathlib import Path

import pytest

from erlen import Erlen
from erlen.serving.devpage import DevServerApp, is_loopback, terminal_safe
from helpers_servers import free_port

TESTS_DIR = Path(__file__).parent
TIMEOUT = 30.0  # NOTE: a "does not hang" guard, never a speed assertion


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log_path = proc, port, log

    def log(self) -> str:
        return self.log_path.read_text(errors="backslashreplace")

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        return sock


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path, tls: bool = False) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"server never listened on {port}:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


@pytest.fixture
def start(tmp_path: Path) -> Iterator[t.Callable[..., Server]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str, script: Path = TESTS_DIR / "devserver_app.py") -> Server:
        port = free_port()
        log = tmp_path / f"server-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(script), str(port), *args],
                cwd=script.parent, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        procs.append(proc)
        _wait_listening(proc, port, log)
        return Server(proc, port, log)

    yield start
    for proc in procs:
        _stop(proc)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body, read off ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a full response head: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside a body")
        body += chunk
    return status, headers, body[:length]


def _closed(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` (reads to EOF; the timeout is the hang guard)."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def test_keep_alive_serves_two_requests_on_one_connection(start: t.Callable[..., Server]) -> None:
    server = start()
    with server.connect() as sock:
        for _ in range(2):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            status, headers, body = _read_response(sock)
            assert (status, body) == (200, b"hello")
            assert headers.get("connection", "").lower() != "close"


def test_chunked_upload_is_decoded(start: t.Callable[..., Server]) -> None:
    server = start()
    with server.connect() as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n"
        )
        status, _, body = _read_response(sock)
    assert (status, body) == (200, b"hello, world")


def test_a_thousand_simultaneous_connections_are_all_answered(
    start: t.Callable[..., Server],
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    server = start()

    async def one(gate: asyncio.Event) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        await gate.wait()  # NOTE: all 1000 are open before any request is sent
        writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = await reader.read()
        writer.close()
        return data

    async def all_of_them() -> list[bytes]:
        gate = asyncio.Event()
        tasks = [asyncio.ensure_future(one(gate)) for _ in range(1000)]
        await asyncio.sleep(0)
        while not all(task.done() or _opened(task) for task in tasks):
            await asyncio.sleep(0.05)
            if all(t.done() for t in tasks):
                break
        gate.set()
        return await asyncio.wait_for(asyncio.gather(*tasks), 120)

    def _opened(task: asyncio.Future[bytes]) -> bool:
        return True  # the gate is set after the connects were started; accepts are queued

    replies = asyncio.run(all_of_them())
    answered = [r for r in replies if r.startswith(b"HTTP/1.1 200") and r.endswith(b"hello")]
    assert len(answered) == 1000


def test_a_slow_client_does_not_block_others_and_is_timed_out(
    start: t.Callable[..., Server],
) -> None:
    server = start()
    with server.connect() as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: loc")  # half a request head, then nothing
        for _ in range(3):
            with server.connect() as other:
                other.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                assert _read_response(other)[0] == 200
        # The request-head timeout (10 s) closes the stalled connection without a response.
        slow.settimeout(TIMEOUT)
        assert slow.recv(65536) == b""


_BAD_REQUESTS = {
    "content-length-with-transfer-encoding": (
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n"
    ),
    "xchunked": b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
    "chunked-not-last": (
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
    ),
    "two-content-lengths": (
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"
    ),
    "folded-header": b"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
    "folded-header-tab": b"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n\ttwo\r\n\r\n",
    "request-line-64k": b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    "header-block-64k": b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 65536 + b"\r\n\r\n",
    "bad-chunk-size": b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+a\r\n",
    "control-character-in-target": b"GET /\x1b[31mred HTTP/1.1\r\nHost: a\r\n\r\n",
    "space-before-colon": b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "no-host": b"GET / HTTP/1.1\r\n\r\n",
}


def test_smuggling_and_oversize_requests_get_a_4xx_and_a_closed_connection(
    start: t.Callable[..., Server],
) -> None:
    server = start()
    for name, raw in _BAD_REQUESTS.items():
        with server.connect() as sock:
            try:
                sock.sendall(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # NOTE: the server may close while an oversize request is still being sent
            status, headers, _ = _read_response(sock)
            assert 400 <= status < 500, name
            assert headers.get("connection") == "close", name
            assert _closed(sock), name
    # No request was smuggled through: only the valid-looking first lines reach the app's log.
    assert "/admin" not in server.log()
    assert "\x1b" not in server.log()


def _half_close(server: Server, data: bytes) -> bytes:
    """Send ``data``, shut down the write side (``nc -N``), return all bytes until the close."""
    with server.connect() as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):  # NOTE: the socket timeout is the hang guard
            chunks.append(chunk)
    return b"".join(chunks)


def _responses(raw: bytes) -> list[tuple[int, bytes]]:
    """(status, body) of each response in ``raw`` (Content-Length, chunked or up to the close)."""
    found = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
        if "content-length" in headers:
            length = int(headers["content-length"])
            body, raw = rest[:length], rest[length:]
        elif headers.get("transfer-encoding") != "chunked":
            body, raw = rest, b""  # NOTE: delimited by the close (an answer to no request line)
        else:
            body = b""
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                body, rest = body + rest[:size], rest[size + 2 :]
                if size == 0:
                    break
            raw = rest
        found.append((int(lines[0].split()[1]), body))
    return found


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", [(200, b"hello")]),
        (b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n", [(200, b"slow")]),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", [(200, b"abc")]),
        (
            b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n0\r\n\r\n",
            [(200, b"abc")],
        ),
        (b"GET / HTTP/1.0\r\n\r\n", [(200, b"hello")]),
        (
            b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            [(200, b"slow"), (200, b"hello")],
        ),
    ],
    ids=["get", "slow-view", "content-length-body", "chunked-body", "http-1.0", "pipelined"],
)
def test_a_client_that_half_closes_after_its_request_gets_the_answer(
    start: t.Callable[..., Server], request_bytes: bytes, expected: list[tuple[int, bytes]]
) -> None:
    """``printf 'GET / ...' | nc -N``: the end of input is not the client leaving."""
    server = start()
    assert _responses(_half_close(server, request_bytes)) == expected


@pytest.mark.parametrize(
    ("request_bytes", "answered"),
    [
        (b"GET / HTTP/1.1\r\nHost: loc", []),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", []),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", []),
        (b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET / HT", [(200, b"slow")]),
    ],
    ids=["partial-head", "short-content-length-body", "unfinished-chunked-body", "pipelined-cut"],
)
def test_a_request_cut_short_by_a_half_close_gets_a_400_and_a_close(
    start: t.Callable[..., Server], request_bytes: bytes, answered: list[tuple[int, bytes]]
) -> None:
    """Never a hang waiting for bytes that cannot come: the 400 tells it from the head timeout
    (which closes without an answer) and from a view answering a truncated body."""
    server = start()
    responses = _responses(_half_close(server, request_bytes))
    assert responses[:-1] == answered
    assert responses[-1][0] == 400
    if request_bytes.startswith(b"POST"):
        # The view did run, and its read of the body failed (a 400 in the access log): it
        # never took the bytes that came for the whole body.
        _wait_for_log(server, '"POST /echo HTTP/1.1" 400 -')
        assert '"POST /echo HTTP/1.1" 200' not in server.log()
    with server.connect() as sock:  # the server is still fine
        sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assert _read_response(sock)[0::2] == (200, b"hello")


def test_the_access_log_escapes_control_characters(start: t.Callable[..., Server]) -> None:
    server = start()
    with server.connect() as sock:
        sock.sendall(b"GET /%1b[2J%0d%0aforged HTTP/1.1\r\nHost: a\r\n\r\n")
        assert _read_response(sock)[0] == 404
    deadline = time.monotonic() + TIMEOUT
    while "forged" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in server.log().splitlines() if "forged" in line)
    assert '"GET /%1b[2J%0d%0aforged HTTP/1.1" 404' in line
    assert "\x1b" not in server.log() and "\r" not in server.log()
    assert terminal_safe("a\x1b[2Jb\r\n\x7fé\\") == "a\\x1b[2Jb\\x0d\\x0a\\x7f\\xe9\\\\"


def test_the_debug_page_is_served_to_loopback_in_debug_mode(start: t.Callable[..., Server]) -> None:
    server = start("--debug")
    with server.connect() as sock:
        sock.sendall(b"GET /boom?x=1 HTTP/1.1\r\nHost: localhost\r\nX-Probe: <seen>\r\n\r\n")
        status, headers, body = _read_response(sock)
    page = body.decode()
    assert status == 500 and headers["content-type"].startswith("text/html")
    assert "ValueError: kaboom &lt;script&gt;" in page  # escaped, never raw markup
    assert "Traceback (most recent call last)" in page and "in boom" in page
    assert "GET /boom?x=1" in page and "x-probe: &lt;seen&gt;" in page
    assert "<script>" not in page and "<form" not in page  # no console, nothing to run


def test_no_debug_page_without_debug_mode(start: t.Callable[..., Server]) -> None:
    server = start()
    with server.connect() as sock:
        sock.sendall(b"GET /boom HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, _, body = _read_response(sock)
    assert status == 500
    assert b"Traceback" not in body and b"kaboom" not in body


def _call(wrapper: DevServerApp, client: tuple[str, int] | None) -> tuple[int, bytes]:
    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/boom", "raw_path": b"/boom", "query_string": b"",
        "root_path": "", "headers": [(b"host", b"example.com")], "client": client,
        "server": ("127.0.0.1", 5000),
    }  # fmt: skip
    asyncio.run(wrapper(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


def test_the_debug_page_is_never_served_to_another_machine(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = Erlen(__name__)
    app.debug = True

    @app.route("/boom")
    def boom() -> str:
        raise ValueError("secret detail")

    wrapper = DevServerApp(app.asgi_app, debug=True, access_log=False)
    for client in [("10.1.2.3", 50000), ("192.168.0.9", 1), ("2001:db8::1", 1), None]:
        status, body = _call(wrapper, client)
        assert (status, body) == (500, b"Internal Server Error"), client
    for client in [("127.0.0.1", 50000), ("127.8.9.10", 1), ("::1", 1), ("::ffff:127.0.0.1", 1)]:
        status, body = _call(wrapper, client)
        assert status == 500 and b"secret detail" in body and b"Traceback" in body, client
    # Debug off: even loopback gets the plain 500.
    status, body = _call(DevServerApp(app.asgi_app, debug=False, access_log=False), ("::1", 1))
    assert (status, body) == (500, b"Internal Server Error")
    assert not is_loopback(("localhost", 1)) and not is_loopback(("0.0.0.0", 1))
    capsys.readouterr()


def test_a_websocket_echoes_through_app_run(start: t.Callable[..., Server]) -> None:
    from websockets.sync.client import connect

    server = start()
    with connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=TIMEOUT) as ws:
        ws.send("one")
        assert ws.recv(timeout=TIMEOUT) == "echo one"
        ws.send("two")
        assert ws.recv(timeout=TIMEOUT) == "echo two"
    # The handshake has its access-log line (the socket's life does not hold it back).
    _wait_for_log(server, '"GET /ws HTTP/1.1" 101 -')


def test_without_wsproto_the_banner_and_the_refusal_name_the_extra(
    start: t.Callable[..., Server], tmp_path: Path
) -> None:
    """An app with WebSocket routes on an install without wsproto (``pip install erlen``)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    wrapper = tmp_path / "no_wsproto.py"
    wrapper.write_text(
        "import runpy, sys\n"
        "sys.modules['wsproto'] = None  # NOTE: importing it now raises ImportError\n"
        f"runpy.run_path({str(TESTS_DIR / 'devserver_app.py')!r}, run_name='__main__')\n"
    )
    server = start(script=wrapper)
    _wait_for_log(server, "Press CTRL+C to quit")  # the banner's last line
    assert ' * WebSockets are off: pip install "erlen[websockets]" (wsproto)' in server.log()
    with pytest.raises(InvalidStatus):
        connect(f"ws://127.0.0.1:{server.port}/ws", open_timeout=TIMEOUT)
    _wait_for_log(server, "WebSocket request refused")
    assert 'the dev server needs wsproto (pip install "erlen[websockets]")' in server.log()
    assert "uvicorn[standard]" not in server.log()


def test_with_wsproto_the_banner_says_nothing_about_websockets(
    start: t.Callable[..., Server],
) -> None:
    server = start()
    _wait_for_log(server, "Press CTRL+C to quit")
    assert "WebSockets are off" not in server.log()


def test_the_banner_names_the_app_the_url_and_the_deployment_docs(
    start: t.Callable[..., Server],
) -> None:
    server = start()
    _wait_for_log(server, "Press CTRL+C to quit")
    log = server.log()
    assert f" * Running on http://127.0.0.1:{server.port}\n" in log
    assert " * Serving erlen app " in log and " * Debug mode: off\n" in log
    warning = next(line for line in log.splitlines() if line.startswith("WARNING:"))
    assert "development server" in warning and "docs/deployment.md" in warning


def _wait_for_log(server: Server, text: str) -> None:
    """Until ``text`` is in the server's output (the socket listens before the banner)."""
    deadline = time.monotonic() + TIMEOUT  # NOTE: a hang guard only
    while text not in server.log():
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug-with-reloader"])
def test_app_run_on_a_busy_port_is_one_line(tmp_path: Path, debug: bool) -> None:
    """``python app.py`` with ``app.run()``: as with ``erlen run``, a line and status 1."""
    script = tmp_path / "busy_app.py"
    script.write_text(
        "import sys\nfrom erlen import Erlen\napp = Erlen(__name__)\n"
        f"app.run(port=int(sys.argv[1]), debug={debug})\n"
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, str(script), str(port)],
            cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    # NOTE: Flask's app.run() prints the debug-mode line before it binds, as `erlen run` does.
    assert done.stderr == (
        f" * Debug mode: {'on' if debug else 'off'}\n"
        f"Address already in use: port {port} on 127.0.0.1 is taken by another program;"
        " stop it or pick another port.\n"
    )


# NOTE: with threads each request waits (at most 10 s, a hang guard) for the other to run beside
# it; without, each waits 0.3 s for a partner that must never come.
@pytest.mark.parametrize(
    ("option", "most", "wait"), [((), "2", "10"), (("--no-threads",), "1", "0.3")]
)
def test_threaded_false_runs_sync_views_one_at_a_time(
    start: t.Callable[..., Server], option: tuple[str, ...], most: str, wait: str
) -> None:
    server = start(*option)
    socks = [server.connect() for _ in range(2)]
    for sock in socks:  # both sent before either is answered
        sock.sendall(f"GET /overlap?wait={wait} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
    answers = []
    for sock in socks:
        with sock:
            answers.append(_read_response(sock)[0::2])
    assert [status for status, _ in answers] == [200, 200]
    # NOTE: the later answer has seen both requests: with threads they ran side by side.
    assert max(body for _, body in answers) == most.encode()


def test_https_with_a_self_signed_certificate(
    start: t.Callable[..., Server], tmp_path: Path
) -> None:
    from erlen.serving.adhoc import adhoc_certificate

    cert, key = adhoc_certificate()
    server = start("--tls", cert, key)
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = False
    with context.wrap_socket(server.connect()) as sock:
        for _ in range(2):  # keep-alive over TLS too
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            status, _, body = _read_response(sock)
            assert (status, body) == (200, b"hello")
    assert f"Running on https://127.0.0.1:{server.port}" in server.log()


_RELOADING_APP = """\
from erlen import Erlen
app = Erlen(__name__)
app.add_url_rule("/", "index", lambda: {text!r})
if __name__ == "__main__":
    import sys
    app.run(port=int(sys.argv[1]), debug=True, extra_files=["settings.cfg"])
"""


def _get(port: int) -> tuple[int, bytes] | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            status, _, body = _read_response(sock)
            return status, body
    except (OSError, ConnectionError):
        return None


def _edit_until(server: Server, path: Path, source: str, expected: bytes | None, log: str) -> None:
    """Write ``source`` (moving its mtime forward each try) until the server answers
    ``expected`` (or ``log`` appears in its output when ``expected`` is None)."""
    deadline = time.monotonic() + TIMEOUT * 2
    step = 1
    path.write_text(source)
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"the reloader exited:\n{server.log()}")
        if expected is not None and _get(server.port) == (200, expected):
            return
        if expected is None and log in server.log():
            return
        later = time.time() + 10 * step
        step += 1
        os.utime(path, (later, later))
        time.sleep(0.5)
    pytest.fail(f"no reload to {expected!r} / {log!r}:\n{server.log()}")


def test_the_reloader_restarts_after_an_edit_and_survives_a_syntax_error(
    start: t.Callable[..., Server], tmp_path: Path
) -> None:
    script = tmp_path / "reloading.py"
    script.write_text(_RELOADING_APP.format(text="before"))
    (tmp_path / "settings.cfg").write_text("A = 1\n")
    server = start(script=script)
    deadline = time.monotonic() + TIMEOUT
    while _get(server.port) != (200, b"before"):
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.2)
    assert "Restarting with reloader" in server.log()
    # The debug-mode line is the watching parent's: a restarted child does not print it again.
    assert server.log().count(" * Debug mode: on") == 1

    _edit_until(server, script, _RELOADING_APP.format(text="after"), b"after", "")
    # A syntax error: the child fails and says why; the parent keeps watching.
    _edit_until(server, script, "def broken(:\n", None, "SyntaxError")
    assert "fix the error above" in server.log() or _get(server.port) is None
    assert server.proc.poll() is None
    _edit_until(server, script, _RELOADING_APP.format(text="fixed"), b"fixed", "")
    assert f"Detected change in {str(script)!r}" in server.log()
    # An extra file restarts it too.
    count = server.log().count("Running on")
    later = time.time() + 1000
    os.utime(tmp_path / "settings.cfg", (later, later))
    deadline = time.monotonic() + TIMEOUT
    while server.log().count("Running on") <= count:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.2)
    assert _get(server.port) == (200, b"fixed") or _get(server.port) is None
    assert server.log().count(" * Debug mode: on") == 1
