"""End to end over ASGI: requests per second through granian (and uvicorn), erlen against
Starlette and Quart, in the same run.

    python bench/e2e_asgi.py                  # granian --interface asgi --workers 1, then uvicorn
    python bench/e2e_asgi.py -d 5 -c 32 --servers granian

Each app of ``apps.py`` (50 dynamic routes, then hello ``/`` and JSON ``/json``) is served on a
free loopback port by one worker; ``wrk`` (Debian package ``wrk``) loads each path for a few
seconds after a one-second warm-up, and the req/s are printed as a Markdown table and written
to bench/out/e2e_asgi.json. erlen runs twice: the Flask-style app with plain ``def`` views
(served from the worker-thread pool) and the same routes as ``async def`` views (on the loop).
``bare-asgi`` is a plain ASGI function: the server's own ceiling. One run on a shared machine:
compare the columns of one run only. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from e2e import HERE, OUT, PATHS, SRC, _free_port, _wait, _wrk

#: (label, factory in apps.py)
APPS = [
    ("erlen (`def` views)", "erlen_app"),
    ("erlen (`async def` views)", "erlen_async_app"),
    ("Starlette", "starlette_app"),
    ("Quart", "quart_app"),
    ("bare ASGI function", "bare_asgi_app"),
]


def _server_cmd(server: str, factory: str, port: int) -> list[str]:
    target = f"apps:{factory}"
    if server == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "asgi", "--workers", "1",
            "--host", "127.0.0.1", "--port", str(port), "--factory", "--log-level", "warning",
            "--no-ws", target,
        ]  # fmt: skip
    return [
        sys.executable, "-m", "uvicorn", "--factory", "--workers", "1", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--no-access-log", target,
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--duration", type=int, default=5)
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("--servers", nargs="*", default=["granian", "uvicorn"])
    parser.add_argument("--apps", nargs="*", help="factories of apps.py (default: all)")
    args = parser.parse_args()
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([HERE, SRC, os.environ.get("PYTHONPATH", "")])
    )
    env["PYTHONWARNINGS"] = "ignore"
    chosen = [(label, f) for label, f in APPS if not args.apps or f in args.apps]
    load_before = os.getloadavg()[0]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for server in args.servers:
        results[server] = {}
        for label, factory in chosen:
            port = _free_port()
            proc = subprocess.Popen(_server_cmd(server, factory, port), cwd=HERE, env=env)
            try:
                _wait(port, proc)
                row = {}
                for shape, path in PATHS.items():
                    _wrk(port, path, 1, args.connections)  # warm-up
                    row[shape] = _wrk(port, path, args.duration, args.connections)
                results[server][label] = row
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            print(f"{server:<8} {label:<28} {row}", file=sys.stderr)
    load_after = os.getloadavg()[0]
    lines = [
        "| server (1 worker) | app | hello req/s | JSON req/s | hello vs Starlette |",
        "|---|---|---:|---:|---:|",
    ]
    for server, rows in results.items():
        starlette = rows.get("Starlette", {}).get("hello")
        for label, row in rows.items():
            ratio = f"{row['hello'] / starlette:.2f}x" if starlette else "—"
            lines.append(
                f"| {server} | {label} | {row['hello']:,.0f} | {row['json']:,.0f} | {ratio} |"
            )
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "e2e_asgi.json"), "w") as f:
        json.dump({"load": [load_before, load_after], "results": results}, f, indent=2)
    print("\n".join(lines))
    print(f"\nload average {load_before:.2f} before, {load_after:.2f} after")


if __name__ == "__main__":
    main()
