"""Run ``e2e_app:app`` under a real HTTP server in a subprocess, and talk to it.

:func:`start_server` picks a free port, starts gunicorn, granian or erlen's development server
with ``tests/`` as the working directory (so ``e2e_app`` imports) and waits until ``GET /``
answers. :func:`stop_server` terminates the process and waits for it. The server's output goes
to a temporary file that failures show (:meth:`Server.log`).

Every socket and connection made here has a timeout (:data:`TIMEOUT`): a server that does not
answer fails the test instead of hanging it. The timeouts are generous; no test asserts on time.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import erlen

TESTS_DIR = Path(__file__).resolve().parent
#: The directory that holds the ``erlen`` package the tests import (``src/`` in a checkout).
ERLEN_PATH = Path(erlen.__file__).resolve().parent.parent
HOST = "127.0.0.1"
#: Seconds to wait for one socket operation (connect, send, a read). Only a guard against hangs.
TIMEOUT = 30.0
#: Seconds to wait for a server to start answering.
STARTUP_TIMEOUT = 60.0

#: WSGI servers first, then the ASGI ones serving the same object (``granian-asgi`` is granian
#: with ``--interface asgi``; hypercorn is told ``asgi:`` since it would pick WSGI for an object
#: whose ``__call__`` is not a coroutine function).
SERVERS = ("gunicorn", "granian", "devserver", "uvicorn", "hypercorn", "granian-asgi")
ASGI_SERVERS = frozenset({"uvicorn", "hypercorn", "granian-asgi"})
#: Servers that keep an HTTP/1.1 connection open between requests. gunicorn's sync worker
#: answers one request per connection and says ``Connection: close``.
KEEP_ALIVE_SERVERS = frozenset({"granian", "uvicorn", "hypercorn", "granian-asgi", "devserver"})

_DEVSERVER_MAIN = "import sys; from erlen.cli import main; sys.argv[0] = 'erlen'; main()"


def free_port() -> int:
    """A TCP port that was free a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@functools.cache
def _gunicorn_extra_options() -> tuple[str, ...]:
    """gunicorn 25+ opens a control socket in ``~/.gunicorn`` by default: turn it off, so that
    servers started side by side do not share it and nothing is left in the home directory."""
    out = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--help"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    ).stdout
    return ("--no-control-socket",) if "--no-control-socket" in out else ()


def server_command(kind: str, port: int, app: str = "e2e_app:app") -> list[str]:
    """The command line that serves ``app`` (relative to ``tests/``) with server ``kind``."""
    if kind == "gunicorn":
        return [
            sys.executable, "-m", "gunicorn",
            "-w", "1",
            "-b", f"{HOST}:{port}",
            "--chdir", str(TESTS_DIR),
            "--graceful-timeout", "5",
            "--timeout", "60",
            *_gunicorn_extra_options(),
            app,
        ]  # fmt: skip
    if kind == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn",
            "--host", HOST,
            "--port", str(port),
            "--app-dir", str(TESTS_DIR),
            "--lifespan", "on",
            app,
        ]  # fmt: skip
    if kind == "hypercorn":
        return [
            sys.executable, "-m", "hypercorn",
            "--bind", f"{HOST}:{port}",
            "--workers", "1",
            f"asgi:{app}",
        ]  # fmt: skip
    if kind in ("granian", "granian-asgi"):
        return [
            sys.executable, "-m", "granian",
            "--interface", "asgi" if kind == "granian-asgi" else "wsgi",
            "--host", HOST,
            "--port", str(port),
            "--workers", "1",
            "--working-dir", str(TESTS_DIR),
            "--no-reload",
            app,
        ]  # fmt: skip
    if kind == "devserver":
        return [
            sys.executable, "-c", _DEVSERVER_MAIN,
            "--app", app,
            "run", "--host", HOST, "--port", str(port), "--no-reload",
        ]  # fmt: skip
    raise ValueError(f"unknown server {kind!r}; expected one of {SERVERS}")


@dataclass
class Reply:
    """One HTTP response, read in full."""

    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes
    version: int = 11

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> t.Any:

        return json.loads(self.body)


@dataclass
class Server:
    """A running server process and how to reach it."""

    kind: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    host: str = HOST
    _log_file: t.IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError as e:
            return f"<log unreadable: {e}>"

    def connection(self, timeout: float = TIMEOUT) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def fetch(
        self,
        method: str,
        path: str,
        body: t.Any = None,
        headers: t.Mapping[str, str] | None = None,
        **kwargs: t.Any,
    ) -> Reply:
        """One request on a new connection; the connection is closed before returning."""
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}), **kwargs)
            return read_reply(conn.getresponse())
        finally:
            conn.close()

    def raw(self, data: bytes, *, shutdown_write: bool = False, timeout: float = TIMEOUT) -> bytes:
        """Send ``data`` as-is on a new socket and return every byte until the server closes.

        Send ``Connection: close`` in ``data`` for servers that keep connections alive. With
        ``shutdown_write`` the client half-closes after sending (the server reads EOF). A server
        that neither answers nor closes within ``timeout`` fails the test (no hang).
        """
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed before reading everything: read the answer
            if shutdown_write:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
            chunks = []
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    break
                except TimeoutError:
                    pytest.fail(
                        f"{self.kind} neither answered nor closed within {timeout}s; got so far:"
                        f" {b''.join(chunks)[:500]!r}\n--- server log ---\n{self.log()[-3000:]}"
                    )
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)

    def answers(self) -> bool:
        """Whether ``GET /`` gets ``200 hello world!!!`` right now."""
        try:
            reply = self.fetch("GET", "/")
        except (OSError, http.client.HTTPException):
            return False
        return reply.status == 200 and reply.body == b"hello world!!!"


def read_reply(response: http.client.HTTPResponse) -> Reply:
    """Read ``response`` in full; the connection stays usable for keep-alive."""
    body = response.read()
    return Reply(response.status, response.reason, response.headers, body, response.version)


def raw_status(raw: bytes) -> int | None:
    """The status code of the first response in ``raw``, or ``None`` if there is none."""
    if not raw.startswith(b"HTTP/"):
        return None
    parts = raw.split(b"\r\n", 1)[0].split(b" ", 2)
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return None


def raw_body(raw: bytes) -> bytes:
    """The bytes after the first response's header block."""
    return raw.partition(b"\r\n\r\n")[2]


def _wait_until_answers(server: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.kind} exited with code {server.proc.returncode} before answering:\n"
                f"{server.log()}"
            )
        if server.answers():
            return
        time.sleep(0.05)
    raise RuntimeError(
        f"{server.kind} did not answer GET / within {STARTUP_TIMEOUT}s:\n{server.log()}"
    )


def server_env() -> dict[str, str]:
    """The environment a server subprocess runs in: this erlen and tests/ importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ERLEN_PATH), str(TESTS_DIR), env.get("PYTHONPATH", "")) if p
    )
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("ERLEN_APP", None)
    env.pop("FLASK_APP", None)
    return env


def start_server(kind: str, app: str = "e2e_app:app", attempts: int = 3) -> Server:
    """Start ``kind`` serving ``app`` on a free port; return once ``GET /`` answers.

    A port can be taken between :func:`free_port` and the server's bind; then the server
    exits and another port is tried.
    """
    env = server_env()
    last_error: Exception | None = None
    for _ in range(attempts):
        port = free_port()
        fd, name = tempfile.mkstemp(prefix=f"erlen-{kind}-", suffix=".log")
        log_file = os.fdopen(fd, "wb")
        proc = subprocess.Popen(
            server_command(kind, port, app),
            cwd=TESTS_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        server = Server(kind, port, proc, Path(name), _log_file=log_file)
        try:
            _wait_until_answers(server, time.monotonic() + STARTUP_TIMEOUT)
        except Exception as e:
            last_error = e
            stop_server(server, remove_log=False)
            if "in use" not in server.log():
                break
            server.log_path.unlink(missing_ok=True)
            continue
        return server
    raise RuntimeError(f"could not start {kind}: {last_error}")


def terminate(proc: subprocess.Popen[t.Any]) -> None:
    """SIGTERM, then SIGKILL after a grace period; wait for the process either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def stop_server(server: Server, remove_log: bool = True) -> None:
    """Terminate the server (SIGTERM, then SIGKILL after a grace period) and wait for it."""
    terminate(server.proc)
    if server._log_file is not None:
        server._log_file.close()
        server._log_file = None
    if remove_log:
        server.log_path.unlink(missing_ok=True)


@contextlib.contextmanager
def running_server(kind: str, app: str = "e2e_app:app") -> t.Iterator[Server]:
    """Start a server for the ``with`` block; stop it afterwards, failed or not."""
    server = start_server(kind, app)
    try:
        yield server
    finally:
        stop_server(server)


def assert_no_new_traceback(server: Server, log_offset: int) -> None:
    """Fail when the server logged a traceback (an unhandled error: a 500) since ``log_offset``."""
    new = server.log()[log_offset:]
    assert "Traceback" not in new, f"{server.kind} logged an error:\n{new[-5000:]}"
    assert server.proc.poll() is None, f"{server.kind} died:\n{new[-5000:]}"


@pytest.fixture
def server_log_guard(request: pytest.FixtureRequest) -> t.Iterator[None]:
    """Use with a ``server`` fixture: fail the test if the server logged a traceback meanwhile."""
    server: Server = request.getfixturevalue("server")
    offset = len(server.log())
    failed_before = request.session.testsfailed
    yield
    # NOTE: pytest shows a test's captured output only when it fails: this is the server log
    # shown on failure.
    print(f"--- {server.kind} log during this test ---\n{server.log()[offset:][-20000:]}")
    if request.session.testsfailed == failed_before:  # one failure per test is enough
        assert_no_new_traceback(server, offset)


def multipart_body(
    fields: t.Iterable[tuple[str, str | bytes]] = (),
    files: t.Iterable[tuple[str, str, bytes]] = (),
    boundary: str = "erlen-e2e-boundary-7MA4YWxkTrZu0gW",
) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its Content-Type, built by hand (no erlen code).

    ``fields`` are ``(name, value)``; ``files`` are ``(name, filename, data)``.
    """
    b = boundary.encode("ascii")
    out = bytearray()
    for name, value in fields:
        data = value.encode("utf-8") if isinstance(value, str) else value
        out += b"--" + b + b"\r\n"
        out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += data + b"\r\n"
    for name, filename, data in files:
        out += b"--" + b + b"\r\n"
        out += (
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        out += data + b"\r\n"
    out += b"--" + b + b"--\r\n"
    return bytes(out), f"multipart/form-data; boundary={boundary}"
