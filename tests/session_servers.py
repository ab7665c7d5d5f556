"""Real store servers for the session tests: redis-server, a 3-master Redis Cluster, PostgreSQL
(``initdb`` + ``pg_ctl``) and memcached, each on free ports in a temporary directory.

The pytest fixtures are session-scoped and start a server only when a test asks for it; a
missing binary fails the test (no skip). When run as root, PostgreSQL runs as the ``postgres``
user (``runuser``) and memcached with ``-u nobody``, since neither accepts root.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass, field

import pytest

HOST = "127.0.0.1"
#: Seconds a server gets to start answering (a guard against hangs, not a timed assertion).
STARTUP = 30.0
#: Seconds a store call (``SESSION_STORE_TIMEOUT``) may take in a test that is not about store
#: faults: a guard against hangs. NOTE: erlen's default (0.5 s) is meant to fail fast in
#: production; on a loaded 2-core machine a healthy store (or a psycopg pool opening its first
#: connection) can take longer, and the request would be a 503.
STORE_GUARD = 30.0
#: Seconds a request may queue for a session's lock (``SESSION_LOCK_TIMEOUT``) in such a test:
#: 60 requests of one session in flight wait for each other, longer than erlen's 5 s default
#: on a loaded machine.
LOCK_GUARD = 120.0
#: The two as app config, for the tests' apps (a test about timeouts passes its own).
GUARD_TIMEOUTS = {"SESSION_STORE_TIMEOUT": STORE_GUARD, "SESSION_LOCK_TIMEOUT": LOCK_GUARD}


def free_port(below: int = 55000) -> int:
    """A free TCP port; below ``below`` so that ``port + 10000`` (a cluster bus) exists."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = int(s.getsockname()[1])
        if port < below:
            return port
    raise RuntimeError("no free port found")


def wait_port(port: int, proc: subprocess.Popen[bytes] | None = None, what: str = "") -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {STARTUP}s")


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (scripts/test installs it)")
    return path


@dataclass
class RedisServer:
    """A redis-server that can be killed and started again on the same port."""

    port: int
    directory: str
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                binary("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--dir",
                self.directory,
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
                *self.extra,
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, self.proc, "redis-server")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [binary("redis-cli"), "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout


def start_redis(extra: t.Sequence[str] = ()) -> RedisServer:
    server = RedisServer(free_port(), tempfile.mkdtemp(prefix="erlen-redis-"), list(extra))
    server.start()
    return server


def stop_redis(server: RedisServer) -> None:
    server.kill()
    shutil.rmtree(server.directory, ignore_errors=True)


@contextlib.contextmanager
def redis_cluster() -> t.Iterator[list[RedisServer]]:
    """Three masters, slots split by ``redis-cli --cluster create``."""
    nodes: list[RedisServer] = []
    try:
        for _ in range(3):
            nodes.append(
                start_redis(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"])
            )
        subprocess.run(
            [binary("redis-cli"), "--cluster", "create",
             *(f"{HOST}:{n.port}" for n in nodes), "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True, timeout=60, check=True,
        )  # fmt: skip
        deadline = time.monotonic() + STARTUP
        while not all("cluster_state:ok" in n.cli("cluster", "info") for n in nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("the redis cluster did not become ready")
            time.sleep(0.1)
        yield nodes
    finally:
        for n in nodes:
            stop_redis(n)


@contextlib.contextmanager
def redis_sentinel() -> t.Iterator[int]:
    """A master and one Sentinel watching it as ``mymaster``; yields the Sentinel's port."""
    master = start_redis()
    sentinel = RedisServer(free_port(), tempfile.mkdtemp(prefix="erlen-sentinel-"))
    conf = os.path.join(sentinel.directory, "sentinel.conf")
    with open(conf, "w") as f:
        f.write(
            f"port {sentinel.port}\nbind {HOST}\nprotected-mode no\ndir {sentinel.directory}\n"
            f"sentinel monitor mymaster {HOST} {master.port} 1\n"
        )
    proc = subprocess.Popen(
        [binary("redis-server"), conf, "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sentinel.proc = proc
    try:
        wait_port(sentinel.port, proc, "redis sentinel")
        yield sentinel.port
    finally:
        stop_redis(sentinel)
        stop_redis(master)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed (scripts/test installs postgresql)")
    return found[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def postgresql() -> t.Iterator[str]:
    """A PostgreSQL cluster in a temp dir; yields its conninfo (trust auth, user ``erlen``)."""
    directory = tempfile.mkdtemp(prefix="erlen-pg-")
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = os.path.join(directory, "data")
    port = free_port()
    run = {"capture_output": True, "timeout": 120, "check": True}
    subprocess.run(
        _as_postgres([_pg_bin("initdb"), "-D", data, "-U", "erlen", "-A", "trust", "-E", "UTF8"]),
        **run,  # type: ignore[arg-type]
    )
    options = f"-p {port} -k {directory} -c listen_addresses={HOST} -c fsync=off"
    subprocess.run(
        _as_postgres([_pg_bin("pg_ctl"), "-D", data, "-o", options, "-w", "-l",
                      os.path.join(directory, "log"), "start"]),
        **run,  # type: ignore[arg-type]
    )  # fmt: skip
    try:
        yield f"host={HOST} port={port} user=erlen dbname=postgres"
    finally:
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def memcached() -> t.Iterator[str]:
    """A memcached; yields ``host:port``."""
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    proc = subprocess.Popen(
        [binary("memcached"), "-l", HOST, "-p", str(port), "-U", "0", "-m", "64", *user],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, proc, "memcached")
        yield f"{HOST}:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)


# -- fixtures (import them into a test module: ``from session_servers import redis_url``) ----


@pytest.fixture(scope="session")
def redis_url() -> t.Iterator[str]:
    server = start_redis()
    try:
        yield server.url
    finally:
        stop_redis(server)


@pytest.fixture(scope="session")
def redis_cluster_url() -> t.Iterator[str]:
    with redis_cluster() as nodes:
        yield nodes[0].url


@pytest.fixture(scope="session")
def redis_sentinel_port() -> t.Iterator[int]:
    with redis_sentinel() as port:
        yield port


@pytest.fixture(scope="session")
def postgresql_dsn() -> t.Iterator[str]:
    with postgresql() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def memcached_server() -> t.Iterator[str]:
    with memcached() as server:
        yield server


# -- erlen under gunicorn (threads), configured for one store ---------------------------------


@dataclass
class Served:
    """``session_app:app`` under gunicorn (gthread workers), and a keep-alive HTTP client."""

    port: int
    proc: subprocess.Popen[bytes]
    log_path: str

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def connection(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        cookie: str | None = None,
        conn: http.client.HTTPConnection | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, str, http.client.HTTPResponse]:
        """One request (on ``conn`` if given, else a new connection); status, body, response."""
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, headers={"Cookie": f"session={cookie}"} if cookie else {})
            response = c.getresponse()
            return response.status, response.read().decode(), response
        finally:
            if own:
                c.close()


def post_many(port: int, path: str, cookie: str, n: int, timeout: float = 60.0) -> list[int]:
    """POST ``path`` ``n`` times on one keep-alive connection; the statuses.

    PERF: a bare socket and a fixed request, so that many client threads cost the (shared)
    CPU little and the server is what gets measured.
    """
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nCookie: session={cookie}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    statuses = []
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        buf = b""
        for _ in range(n):
            sock.sendall(request)
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buf) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                buf += chunk
            buf = buf[length:]
            statuses.append(int(head.split(b" ", 2)[1]))
    return statuses


def cookie_of(response: http.client.HTTPResponse) -> str | None:
    """The session id the response sets ("" when it deletes the cookie)."""
    header = response.getheader("Set-Cookie")
    if not header or not header.startswith("session="):
        return None
    return header.split(";", 1)[0].split("=", 1)[1].strip('"')


def serve(
    kind: str,
    target: str,
    atomic: bool = False,
    workers: int = 2,
    threads: int = 16,
    store_timeout: float = STORE_GUARD,
) -> Served:
    from helpers_servers import ERLEN_PATH, TESTS_DIR, _gunicorn_extra_options

    env = dict(os.environ, SESSION_TYPE=kind, SESSION_TARGET=target, PYTHONUNBUFFERED="1")
    env["SESSION_ATOMIC"] = "1" if atomic else "0"
    env["SESSION_STORE_TIMEOUT"] = str(store_timeout)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ERLEN_PATH), str(TESTS_DIR), env.get("PYTHONPATH", "")) if p
    )
    fd, log_path = tempfile.mkstemp(prefix="erlen-sessions-gunicorn-", suffix=".log")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(workers),
         "--threads", str(threads), "-b", f"{HOST}:{port}", "--chdir", str(TESTS_DIR),
         "--graceful-timeout", "3", "--keep-alive", "30", *_gunicorn_extra_options(),
         "session_app:app"],
        env=env, stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT,
    )  # fmt: skip
    os.close(fd)
    served = Served(port, proc, log_path)
    deadline = time.monotonic() + STARTUP
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(served)
            raise RuntimeError(f"gunicorn did not start:\n{served.log()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if served.request("GET", "/health", timeout=2)[0] == 200:
                return served
        time.sleep(0.05)


def stop(served: Served) -> None:
    if served.proc.poll() is None:
        served.proc.terminate()
        try:
            served.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            served.proc.kill()
            served.proc.wait(timeout=15)
    with contextlib.suppress(OSError):
        os.unlink(served.log_path)


@contextlib.contextmanager
def served(
    kind: str, target: str, atomic: bool = False, store_timeout: float = STORE_GUARD
) -> t.Iterator[Served]:
    server = serve(kind, target, atomic, store_timeout=store_timeout)
    try:
        yield server
    finally:
        stop(server)
