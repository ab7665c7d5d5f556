"""End to end over ASGI: requests per second through granian (and uvicorn), erlen against
Starlette and Quart, in the same run.

    python bench/e2e_asgi.py                  # granian --interface asgi --workers 1, then uvicorn
    python bench/e2e_asgi.py -d 5 -c 32 --servers granian

Each app of ``apps.py`` (50 dynamic routes, then hello ``/`` and JSON ``/json``) is served on a
free loopback port by one worker, all apps' servers at once; ``wrk`` (Debian package ``wrk``)
loads each path of each app for a few seconds, round robin over the apps for a few rounds
(after a one-second warm-up each), and the median req/s are printed as a Markdown table and
written with every round to bench/out/e2e_asgi.json. erlen runs twice: the Flask-style app with plain ``def`` views
(served from the worker-thread pool) and the same routes as ``async def`` views (on the loop).
``bare-asgi`` is a plain ASGI function: the server's own ceiling. One run on a shared machine:
compare the columns of one run only. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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
    parser.add_argument("-d", "--duration", type=int, default=3)
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("--servers", nargs="*", default=["granian", "uvicorn"])
    parser.add_argument("--apps", nargs="*", help="factories of apps.py (default: all)")
    parser.add_argument(
        "--before", metavar="SRC", help="also serve erlen's apps from another checkout's src/"
    )
    args = parser.parse_args()

    def make_env(src: str) -> dict[str, str]:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, src]))
        env["PYTHONWARNINGS"] = "ignore"
        return env

    env = make_env(SRC)
    chosen = [(label, f, env) for label, f in APPS if not args.apps or f in args.apps]
    if args.before:
        before = make_env(os.path.abspath(args.before))
        chosen += [(f"{label}, before", f, before) for label, f in APPS if f.startswith("erlen")]
    load_before = os.getloadavg()[0]
    results: dict[str, dict[str, dict[str, float]]] = {}
    every: dict[str, dict[str, dict[str, list[float]]]] = {}
    for server in args.servers:
        # NOTE: every app's server runs at once (idle unless loaded) and the rounds go round
        # robin, so a burst of load from elsewhere on a shared machine hits all apps alike;
        # the median of the rounds is reported.
        procs = {}
        try:
            for label, factory, app_env in chosen:
                port = _free_port()
                procs[label] = (
                    port,
                    subprocess.Popen(_server_cmd(server, factory, port), cwd=HERE, env=app_env),
                )
            for port, proc in procs.values():
                _wait(port, proc)
                for path in PATHS.values():
                    _wrk(port, path, 1, args.connections)  # warm-up
            runs: dict[str, dict[str, list[float]]] = {
                label: {shape: [] for shape in PATHS} for label in procs
            }
            for _ in range(args.rounds):
                for label, (port, _proc) in procs.items():
                    for shape, path in PATHS.items():
                        runs[label][shape].append(_wrk(port, path, args.duration, args.connections))
        finally:
            for _port, proc in procs.values():
                proc.terminate()
                proc.wait(timeout=10)
        every[server] = runs
        results[server] = {
            label: {shape: statistics.median(values) for shape, values in row.items()}
            for label, row in runs.items()
        }
        for label, row in results[server].items():
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
        json.dump(
            {"load": [load_before, load_after], "results": results, "rounds": every}, f, indent=2
        )
    print("\n".join(lines))
    print(f"\nload average {load_before:.2f} before, {load_after:.2f} after")


if __name__ == "__main__":
    main()
