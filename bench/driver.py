"""Drive one framework's hello app in-process for N requests; used by ``bench/run.py``.

``python bench/driver.py FRAMEWORK N`` runs N requests after a warm-up and checks every answer.
Under callgrind the difference between two N gives the instructions of one request.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import time
import typing as t

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apps  # noqa: E402

ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "localhost",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "localhost:8000",
    "HTTP_USER_AGENT": "bench",
    "HTTP_ACCEPT": "*/*",
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": False,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
}
EXPECTED = apps.BODY.encode()


def wsgi_runner(app: t.Any) -> t.Callable[[int], None]:
    def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
        if status[:3] != "200":
            raise AssertionError(status)

    def run(n: int) -> None:
        for _ in range(n):
            environ = dict(ENVIRON)
            environ["wsgi.input"] = io.BytesIO()
            body_iter = app(environ, start_response)
            body = b"".join(body_iter)
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
            if body != EXPECTED:
                raise AssertionError(body)

    return run


def asgi_runner(app: t.Any) -> t.Callable[[int], None]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 8000),
    }

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def many(n: int) -> None:
        for _ in range(n):
            chunks: list[bytes] = []

            async def send(message: dict[str, t.Any], chunks: list[bytes] = chunks) -> None:
                if message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))

            await app(dict(scope), receive, send)
            if b"".join(chunks) != EXPECTED:
                raise AssertionError(chunks)

    def run(n: int) -> None:
        asyncio.run(many(n))

    return run


def make_runner(name: str) -> t.Callable[[int], None]:
    if name in apps.WSGI_APPS:
        return wsgi_runner(apps.WSGI_APPS[name]())
    return asgi_runner(apps.ASGI_APPS[name]())


def main() -> None:
    name, n = sys.argv[1], int(sys.argv[2])
    run = make_runner(name)
    run(50)  # warm-up: first-request setup and lazy compilation are not what we measure
    if n == 0:
        return
    if len(sys.argv) > 3 and sys.argv[3] == "time":
        best = min(_timed(run, n) for _ in range(5))
        print(f"{best / n * 1e6:.3f}")
    else:
        run(n)


def _timed(run: t.Callable[[int], None], n: int) -> float:
    start = time.perf_counter()
    run(n)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
