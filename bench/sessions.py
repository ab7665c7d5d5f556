"""Server-side sessions on Redis: store round trips per request, and req/s of a login check,
erlen next to Flask + Flask-Session 0.8, in the same run against the same redis-server.

    python3 bench/sessions.py [-n 3000]

Starts its own redis-server (a free port, a temp dir). Round trips are counted two ways: the
commands Redis executed (``INFO commandstats``, summed) and the times the client wrote to the
socket (a pipeline is one write, one round trip). Apps are driven in-process through WSGI with
a prebuilt environ, so the numbers compare the frameworks and their session layers, not an
HTTP server.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import typing as t

import redis
import redis.connection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis() -> tuple[subprocess.Popen[bytes], int, str]:
    port, directory = free_port(), tempfile.mkdtemp(prefix="erlen-bench-redis-")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port, directory
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("redis-server did not start")


def commands_executed(r: redis.Redis) -> int:
    return sum(v["calls"] for k, v in r.info("commandstats").items())


_writes = 0
_send = redis.connection.AbstractConnection.send_packed_command


def _counting_send(self: t.Any, command: t.Any, check_health: bool = True) -> None:
    global _writes
    _writes += 1
    _send(self, command, check_health)


def environ(method: str, path: str, cookie: str | None) -> dict[str, t.Any]:
    env = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1", "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }  # fmt: skip
    if cookie:
        env["HTTP_COOKIE"] = f"session={cookie}"
    return env


def call(app: t.Any, method: str, path: str, cookie: str | None = None) -> tuple[str, bytes, list]:
    out: dict[str, t.Any] = {}

    def start_response(status: str, headers: list, exc_info: t.Any = None) -> None:
        out["status"], out["headers"] = status, headers

    body = b"".join(app(environ(method, path, cookie), start_response))
    return out["status"], body, out["headers"]


def sid_from(headers: list) -> str:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no session cookie in {headers}")


def erlen_app(url: str) -> t.Any:
    from erlen import Erlen, session
    from erlen.sessions import Session

    app = Erlen("bench_erlen")
    app.config.update(SESSION_TYPE="redis", SESSION_REDIS=url, SESSION_KEY_PREFIX="e:")
    Session(app)
    views(app, session)
    return app


def flask_app(url: str) -> t.Any:
    import flask
    from flask_session import Session

    app = flask.Flask("bench_flask")
    app.config.update(
        SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(url), SESSION_KEY_PREFIX="f:"
    )
    Session(app)
    views(app, flask.session)
    return app


def views(app: t.Any, session: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return "no session"

    @app.post("/login")
    def login() -> str:
        session["_user_id"] = "ada"
        return "ok"

    @app.route("/me")
    def me() -> str:  # the login check: who is this?
        return str(session.get("_user_id"))

    @app.post("/change")
    def change() -> str:  # a read-modify-write
        session["n"] = session.get("n", 0) + 1
        return "ok"

    @app.post("/seen")
    def seen() -> str:  # a write without a read
        session["last_seen"] = 1700000000
        return "ok"


def round_trips(app: t.Any, r: redis.Redis) -> dict[str, tuple[int, int]]:
    global _writes
    sid = sid_from(call(app, "POST", "/login")[2])
    rows = {}
    for label, method, path in (
        ("no session use", "GET", "/"),
        ("read (login check)", "GET", "/me"),
        ("write without a read", "POST", "/seen"),
        ("read + write", "POST", "/change"),
    ):
        call(app, method, path, sid)  # warm: connections open, first touch done
        before, _writes = commands_executed(r), 0
        status, _, _ = call(app, method, path, sid)
        writes = _writes
        # NOTE: INFO itself is counted by commandstats: subtract it.
        rows[label] = (commands_executed(r) - before - 1, writes)
        assert status.startswith("200"), status
    return rows


def login_check(app: t.Any) -> t.Callable[[int], float]:
    """A function running ``k`` login-check requests and returning their req/s."""
    sid = sid_from(call(app, "POST", "/login")[2])
    for _ in range(100):
        call(app, "GET", "/me", sid)

    def run(k: int) -> float:
        start = time.perf_counter()
        for _ in range(k):
            status, body, _ = call(app, "GET", "/me", sid)
        elapsed = time.perf_counter() - start
        assert status.startswith("200") and body == b"ada", (status, body)
        return k / elapsed

    return run


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=3000, help="requests per throughput run")
    args = parser.parse_args()
    proc, port, directory = start_redis()
    url = f"redis://127.0.0.1:{port}/0"
    r = redis.Redis.from_url(url)
    redis.connection.AbstractConnection.send_packed_command = _counting_send  # type: ignore[method-assign]
    try:
        apps = {"erlen": erlen_app(url), "Flask + Flask-Session 0.8": flask_app(url)}
        print("Redis round trips per request (commands executed / client writes):")
        for name, app in apps.items():
            for label, (commands, writes) in round_trips(app, r).items():
                print(f"  {name:26} {label:24} {commands} commands, {writes} round trips")
        print(f"Login check (GET /me, session read), {args.n} requests each, in-process WSGI:")
        # NOTE: batches of 100 alternate between the apps and the median batch counts, so a
        # load spike on the (shared) machine hits both alike.
        runners = {name: login_check(app) for name, app in apps.items()}
        batches: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(max(1, args.n // 100)):
            for name, run in runners.items():
                batches[name].append(run(100))
        rates = {name: median(b) for name, b in batches.items()}
        for name, rate in rates.items():
            print(f"  {name:26} {rate:10,.0f} req/s (median of {len(batches[name])} batches)")
        ratio = rates["erlen"] / rates["Flask + Flask-Session 0.8"]
        print(f"  erlen / Flask-Session: {ratio:.2f}x")
    finally:
        r.close()
        proc.kill()
        proc.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    main()
