"""Real store servers for the session tests: redis-server, a 3-master Redis Cluster, PostgreSQL
(``initdb`` + ``pg_ctl``) and memcached, each on free ports in a temporary directory.

The pytest fixtures are session-scoped and start a server only when a test asks for it; a
missing binary fails the test (no skip). When run as root, PostgreSQL runs as the ``postgres``
user (``runuser``) and memcached with ``-u nobody``, since neither accepts root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import typing as t
from dataclasses import dataclass, field

import pytest

HOST = "127.0.0.1"
#: Seconds a server gets to start answering (a guard against hangs, not a timed assertion).
STARTUP = 30.0


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
def postgresql_dsn() -> t.Iterator[str]:
    with postgresql() as dsn:
        yield dsn


@pytest.fixture(scope="session")
def memcached_server() -> t.Iterator[str]:
    with memcached() as server:
        yield server
