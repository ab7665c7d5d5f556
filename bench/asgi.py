"""ASGI benchmarks (not part of the tests).

    python bench/asgi.py            # concurrency under uvicorn, then callgrind instructions
    python bench/asgi.py --no-callgrind
    python bench/asgi.py --no-concurrency -n 200

1. Concurrency: uvicorn, one worker, serves ``GET /`` from an ``async def`` view that awaits
   ``asyncio.sleep(0.05)``; a client in another process opens 200 connections at once (raw
   asyncio sockets, one request each) and times the burst until every answer is in. Goal: all
   200 answered in < 0.5 s (they wait on the loop together; a thread per request would need
   200 threads). The load average is printed beside: the machine may be shared.
2. Instructions per hello request, in-process (callgrind, one process per app, as
   bench/run.py): erlen over WSGI, the same app over ASGI (sync views: one hop to the worker
   pool, and with ``ASGI_INLINE_WAIT`` on, waited for on the spot; see
   ``apps._inline_wait``), erlen with ``async def`` views over ASGI (on the loop), Starlette and Quart, and the
   floors: a bare WSGI function and a bare ASGI function (what the driver and the calling
   convention cost with no framework). Every app has the 50 dynamic routes of ``apps.py``.
   Goal of issue 8: ASGI within 1.3x of WSGI, below Starlette.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import _env, phase_instructions  # noqa: E402

CONCURRENT = 200
#: (label, driver name) of the callgrind rows, the WSGI base first.
ROWS = [
    ("erlen, WSGI", "erlen"),
    ("erlen, ASGI, `def` views", "erlen-asgi"),
    ("erlen, ASGI, `def` views, `ASGI_INLINE_WAIT` on", "erlen-asgi-wait"),
    ("erlen, ASGI, `async def` views", "erlen-asgi-async"),
    ("Starlette (ASGI)", "starlette"),
    ("Quart (ASGI)", "quart"),
    ("bare WSGI function", "bare"),
    ("bare ASGI function", "bare-asgi"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _get(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data


async def _burst(port: int) -> float:
    start = time.perf_counter()
    replies = await asyncio.gather(*(_get(port) for _ in range(CONCURRENT)))
    elapsed = time.perf_counter() - start
    bad = [r[:40] for r in replies if not (r.startswith(b"HTTP/1.1 200") and r.endswith(b"!"))]
    if bad:
        raise AssertionError(f"{len(bad)} failed: {bad[:3]}")
    return elapsed


def concurrency(runs: int = 5) -> list[float]:
    """Seconds for each burst of 200 concurrent requests (after one warm-up burst)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "--app-dir", HERE, "--port", str(port),
         "--log-level", "warning", "--backlog", "1024", "--workers", "1",
         "apps:erlen_sleep_app"],
        env=_env(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        asyncio.run(_burst(port))  # warm-up
        return [asyncio.run(_burst(port)) for _ in range(runs)]
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--no-concurrency", action="store_true")
    parser.add_argument("-n", type=int, default=1000)
    args = parser.parse_args()
    if not args.no_concurrency:
        load_before = os.getloadavg()[0]
        times = concurrency()
        load_after = os.getloadavg()[0]
        best, median = min(times), sorted(times)[len(times) // 2]
        verdict = "ok" if median < 0.5 else "SLOWER THAN GOAL"
        print(
            f"{CONCURRENT} concurrent sleep(0.05) requests, uvicorn 1 worker: best {best:.3f} s,"
            f" median {median:.3f} s of {len(times)} ({verdict});"
            f" load average {load_before:.2f} before, {load_after:.2f} after;"
            f" all: {', '.join(f'{x:.3f}' for x in times)}"
        )
    if args.no_callgrind or shutil.which("valgrind") is None:
        return
    counts = {label: phase_instructions(name, ["hello"], args.n)["hello"] for label, name in ROWS}
    base = counts[ROWS[0][0]]
    print("| hello | instructions/request | vs erlen WSGI |")
    print("|---|---:|---:|")
    for label, count in counts.items():
        print(f"| {label} | {count:,.0f} | {count / base:.2f}x |")


if __name__ == "__main__":
    main()
