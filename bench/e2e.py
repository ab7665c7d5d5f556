"""End to end: requests per second through a real server, erlen against Falcon and Flask.

    python bench/e2e.py                 # granian (WSGI, 1 worker) and gunicorn (1 sync worker)
    python bench/e2e.py -d 5 -c 32      # wrk duration (s) and connections

Each framework's app from ``apps.py`` is served on a free loopback port, ``wrk`` (Debian package
``wrk``) loads ``/`` (hello) and ``/json`` for a few seconds, and the req/s are printed and written to
bench/out/e2e.json. One run on a shared machine: compare columns of the same run only. Not part
of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
OUT = os.path.join(HERE, "out")
FRAMEWORKS = ["erlen", "falcon", "flask"]
PATHS = {"hello": "/", "json": "/json"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_cmd(server: str, framework: str, port: int) -> list[str]:
    target = f"apps:{framework}_app"
    if server == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", "1",
            "--host", "127.0.0.1", "--port", str(port), "--factory", "--log-level", "warning",
            target,
        ]  # fmt: skip
    return [
        sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
        "--log-level", "warning", f"{target}()",
    ]  # fmt: skip


def _wait(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def _wrk(port: int, path: str, duration: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", f"http://127.0.0.1:{port}{path}"],
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"Requests/sec:\s*([\d.]+)", out.stdout)
    if match is None:
        raise RuntimeError(out.stdout)
    if "Non-2xx" in out.stdout:
        raise RuntimeError(f"errors from {path}: {out.stdout}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--duration", type=int, default=5)
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("--servers", nargs="*", default=["granian", "gunicorn"])
    parser.add_argument("--frameworks", nargs="*", default=FRAMEWORKS)
    args = parser.parse_args()
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([HERE, SRC, os.environ.get("PYTHONPATH", "")])
    )
    env["PYTHONWARNINGS"] = "ignore"
    results: dict[str, dict[str, dict[str, float]]] = {}
    for server in args.servers:
        results[server] = {}
        for framework in args.frameworks:
            port = _free_port()
            proc = subprocess.Popen(_server_cmd(server, framework, port), cwd=HERE, env=env)
            try:
                _wait(port, proc)
                row = {}
                for shape, path in PATHS.items():
                    _wrk(port, path, 1, args.connections)  # warm-up
                    row[shape] = _wrk(port, path, args.duration, args.connections)
                results[server][framework] = row
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            print(f"{server:<9} {framework:<8} {row}", file=sys.stderr)
    lines = ["| server | framework | hello req/s | JSON req/s |", "|---|---|---:|---:|"]
    for server, rows in results.items():
        for framework, row in rows.items():
            lines.append(f"| {server} | {framework} | {row['hello']:,.0f} | {row['json']:,.0f} |")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "e2e.json"), "w") as f:
        json.dump(results, f, indent=2)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
