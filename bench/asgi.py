"""ASGI benchmarks (not part of the tests).

    python bench/asgi.py            # concurrency under uvicorn, then callgrind instructions
    python bench/asgi.py --no-callgrind

1. Concurrency: uvicorn, one worker, serves ``GET /`` from an ``async def`` view that awaits
   ``asyncio.sleep(0.05)``; 200 clients connect at once. Goal: all 200 answered in < 0.5 s
   (they wait on the loop together; a thread per request would need 200 threads).
2. Instructions per hello request, in-process (callgrind, as bench/run.py): erlen over WSGI,
   the same app over ASGI (sync view: one hop to the worker pool), an ``async def`` hello over
   ASGI (stays on the loop), and Starlette. Goal: ASGI within 1.3x of WSGI, below Starlette.
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
from run import phase_instructions  # noqa: E402

CONCURRENT = 200


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
    bad = [r[:40] for r in replies if not r.startswith(b"HTTP/1.1 200")]
    if bad:
        raise AssertionError(f"{len(bad)} failed: {bad[:3]}")
    return elapsed


def concurrency() -> float:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "--app-dir", HERE, "--port", str(port),
         "--log-level", "warning", "--backlog", "1024", "apps:erlen_sleep_app"],
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
        return min(asyncio.run(_burst(port)) for _ in range(3))
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("-n", type=int, default=1000)
    args = parser.parse_args()
    elapsed = concurrency()
    verdict = "ok" if elapsed < 0.5 else "SLOWER THAN GOAL"
    print(
        f"{CONCURRENT} concurrent sleep(0.05) requests, uvicorn 1 worker: {elapsed:.3f} s ({verdict})"
    )
    if args.no_callgrind or shutil.which("valgrind") is None:
        return
    names = ["erlen", "erlen-asgi", "erlen-asgi-async", "starlette"]
    counts = {name: phase_instructions(name, ["hello"], args.n)["hello"] for name in names}
    base = counts["erlen"]
    print(f"{'app':<18} {'instr/req':>10} {'vs erlen WSGI':>14}")
    for name, count in counts.items():
        print(f"{name:<18} {count:>10.0f} {count / base:>13.2f}x")


if __name__ == "__main__":
    main()
