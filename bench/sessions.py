"""Server-side sessions: store round trips per request shape, and req/s of a login check,
erlen next to Flask + Flask-Session 0.8, in the same run against the same servers.

    python3 bench/sessions.py [-n 3000] [--stores redis,postgresql,memcached]

Starts its own redis-server, PostgreSQL (``initdb`` + ``pg_ctl``) and memcached on free ports
in temp dirs (the helpers of ``tests/session_servers.py``). Round trips are counted on the
wire by a proxy between the app and the server (``tests/wire_counter.py``): pipelined
commands sent together count once; a client that waits for an answer before sending more
counts again. For Redis the commands executed are shown too (``INFO commandstats``; a Lua
script's inner calls count). Apps are driven in-process through WSGI with a prebuilt environ,
so the numbers compare the frameworks and their session layers, not an HTTP server.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import typing as t

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "src"), os.path.join(HERE, "..", "tests")]

import redis  # noqa: E402

import session_servers  # noqa: E402
from session_shapes import SHAPES, call, round_trips, session_for, views  # noqa: E402
from wire_counter import RoundTripCounter  # noqa: E402


def commands_executed(r: redis.Redis) -> int:
    return sum(v["calls"] for k, v in r.info("commandstats").items())


def erlen_app(kind: str, where: str) -> t.Any:
    from erlen import Erlen, session
    from erlen.sessions import Session

    app = Erlen("bench_erlen")
    key = {"redis": "SESSION_REDIS", "postgresql": "SESSION_POSTGRESQL",
           "memcached": "SESSION_MEMCACHED"}[kind]  # fmt: skip
    app.config.update(
        {"SESSION_TYPE": kind, key: where, "SESSION_KEY_PREFIX": "e:", "SESSION_STORE_TIMEOUT": 5}
    )
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


def with_port(where: str, port: int) -> str:
    """``where`` (a redis URL, a conninfo or ``host:port``) pointed at ``port`` instead."""
    if where.startswith("redis://"):
        return f"redis://127.0.0.1:{port}/0"
    if "port=" in where:
        return " ".join(f"port={port}" if p.startswith("port=") else p for p in where.split())
    return f"127.0.0.1:{port}"


def port_of(where: str) -> int:
    if where.startswith("redis://"):
        return int(where.rsplit(":", 1)[1].split("/", 1)[0])
    if "port=" in where:
        return int(next(p.split("=", 1)[1] for p in where.split() if p.startswith("port=")))
    return int(where.rsplit(":", 1)[1])


def redis_commands(app: t.Any, r: redis.Redis) -> dict[str, int]:
    rows = {}
    for label, who, method, path in SHAPES:
        sid = session_for(app, who)
        before = commands_executed(r)
        call(app, method, path, sid)
        rows[label] = commands_executed(r) - before - 1  # NOTE: INFO itself is counted
    return rows


def login_check(app: t.Any) -> t.Callable[[int], float]:
    """A function running ``k`` login-check requests and returning their req/s."""
    sid = session_for(app, "user")
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


def instructions(framework: str, url: str, n: int) -> float:
    """Instructions per login check in this process (callgrind: the app's side, without the
    kernel or redis-server), from one run of ``n`` requests after a warm-up."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             "--dump-before=os_getppid*", sys.executable, __file__, "--child", framework, url,
             "-n", str(n)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        # NOTE: dump 1 is everything before the first marker; dump 2 is the n requests.
        with open(f"{out}.2") as f:
            match = re.search(r"^totals:\s*(\d+)", f.read(), re.M)
    if match is None:
        raise RuntimeError(f"no callgrind totals for {framework}")
    return int(match.group(1)) / n


def child(framework: str, url: str, n: int) -> None:
    """The process callgrind watches: ``n`` login checks between two markers."""
    app = erlen_app("redis", url) if framework == "erlen" else flask_app(url)
    run = login_check(app)
    os.getppid()  # marker: dump before the requests
    run(n)
    os.getppid()  # marker: dump after them


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


@contextlib.contextmanager
def servers(kinds: list[str]) -> t.Iterator[dict[str, str]]:
    with contextlib.ExitStack() as stack:
        found: dict[str, str] = {}
        if "redis" in kinds:
            server = session_servers.start_redis()
            stack.callback(session_servers.stop_redis, server)
            found["redis"] = server.url
        if "postgresql" in kinds:
            found["postgresql"] = stack.enter_context(session_servers.postgresql())
        if "memcached" in kinds:
            found["memcached"] = stack.enter_context(session_servers.memcached())
        yield found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=3000, help="requests per throughput run")
    parser.add_argument("--stores", default="redis,postgresql,memcached")
    parser.add_argument("--callgrind", type=int, default=200, metavar="N",
                        help="login checks per callgrind run (0: none)")  # fmt: skip
    parser.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child, args.n)
    kinds = [k for k in args.stores.split(",") if k]
    print(f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {load()}")
    with servers(kinds) as where:
        columns: dict[str, dict[str, int]] = {}
        for kind, address in where.items():
            counter = RoundTripCounter(port_of(address))
            app = erlen_app(kind, with_port(address, counter.port))
            columns[f"erlen {kind}"] = round_trips(app, counter)
            if kind == "redis":
                fcounter = RoundTripCounter(port_of(address))
                columns["Flask-Session redis"] = round_trips(
                    flask_app(with_port(address, fcounter.port)), fcounter
                )
                r = redis.Redis.from_url(address)
                columns["erlen redis (commands)"] = redis_commands(erlen_app(kind, address), r)
                columns["Flask-Session redis (commands)"] = redis_commands(flask_app(address), r)
                r.close()
        print("Store round trips per request (counted on the wire):")
        print(f"  {'request':20}" + "".join(f" | {name}" for name in columns))
        for label, *_ in SHAPES:
            cells = (f" | {col[label]:>{len(name)}}" for name, col in columns.items())
            print(f"  {label:20}" + "".join(cells))
        if "redis" in where:
            print(f"Login check (GET /me, session read), {args.n} requests each, in-process WSGI:")
            apps = {"erlen": erlen_app("redis", where["redis"]),
                    "Flask + Flask-Session 0.8": flask_app(where["redis"])}  # fmt: skip
            # NOTE: batches of 100 alternate between the apps and the median batch counts, so
            # a load spike on a shared machine hits both alike.
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
            if args.callgrind and shutil.which("valgrind"):
                counts = {name: instructions(name, where["redis"], args.callgrind)
                          for name in ("erlen", "flask")}  # fmt: skip
                print(f"Login check, instructions per request (callgrind, {args.callgrind} "
                      "requests; the app's process only, no kernel or redis-server time):")  # fmt: skip
                for name, count in counts.items():
                    print(f"  {name:26} {count:10,.0f}")
                print(f"  Flask-Session / erlen: {counts['flask'] / counts['erlen']:.2f}x")
    print(load())


if __name__ == "__main__":
    main()
