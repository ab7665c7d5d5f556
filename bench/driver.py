"""Drive one framework's app in-process for N requests of one shape; used by ``bench/run.py``.

``python bench/driver.py FRAMEWORK SHAPE N`` runs N requests after a warm-up and checks every
answer; ``... N time`` prints the best wall time per request (µs) of five runs instead. Under
callgrind the difference between two N gives the instructions of one request.
``python bench/driver.py FRAMEWORK import`` only imports the framework (for the import rows).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import time
import typing as t

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apps  # noqa: E402

BASE_ENVIRON = {
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
FORM_BODY = b"name=erlen&email=ada%40example.com&age=36&city=Z%C3%BCrich"


class Shape(t.NamedTuple):
    method: str
    path: str
    query: str
    body: bytes
    check: t.Callable[[bytes], bool]


def _template_ok(body: bytes) -> bool:
    return b"Products &lt;&amp;&gt; - bench" in body and body.count(b"<li") == 10


SHAPES: dict[str, Shape] = {
    "hello": Shape("GET", "/", "", b"", lambda b: b == apps.BODY.encode()),
    "user": Shape("GET", "/users/42", "", b"", lambda b: b == b"user 42"),
    "json": Shape("GET", "/json", "", b"", lambda b: json.loads(b) == apps.JSON_DATA),
    "args": Shape("GET", "/args", "q=erlen&page=3&tag=a&tag=b", b"", lambda b: b == b"erlen 3 2"),
    "form": Shape("POST", "/form", "", FORM_BODY, lambda b: b == b"erlen ada@example.com"),
    "template": Shape("GET", "/template", "", b"", _template_ok),
    "session": Shape("GET", "/session", "", b"", lambda b: b.startswith(b"count ")),
}


def _environ(shape: Shape, cookie: str | None) -> dict[str, t.Any]:
    environ = dict(BASE_ENVIRON)
    environ["REQUEST_METHOD"] = shape.method
    environ["PATH_INFO"] = shape.path
    environ["QUERY_STRING"] = shape.query
    if shape.body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["CONTENT_LENGTH"] = str(len(shape.body))
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    return environ


def _cookie_from(headers: t.Iterable[tuple[str, str]]) -> str:
    """The ``name=value`` pairs of the Set-Cookie headers, as a Cookie request header."""
    pairs = [v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"]
    if not pairs:
        raise AssertionError("the session request set no cookie")
    return "; ".join(pairs)


def wsgi_runner(app: t.Any, shape: Shape) -> t.Callable[[int], None]:
    seen: list[tuple[str, str]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> None:
        if status[:3] != "200":
            raise AssertionError(status)
        seen[:] = headers

    def one(environ: dict[str, t.Any]) -> bytes:
        environ["wsgi.input"] = io.BytesIO(shape.body)
        body_iter = app(environ, start_response)
        body = b"".join(body_iter)
        close = getattr(body_iter, "close", None)
        if close is not None:
            close()
        return body

    cookie = None
    if shape is SHAPES["session"]:
        # The measured request carries the cookie a first request set: a read and a write.
        one(_environ(shape, None))
        cookie = _cookie_from(seen)
    template = _environ(shape, cookie)

    seen_body: list[bytes] = []

    def run(n: int) -> None:
        for _ in range(n):
            _check(shape, one(dict(template)), seen_body)

    return run


def _check(shape: Shape, body: bytes, seen_body: list[bytes]) -> None:
    """The full check (a JSON parse for the JSON shape) on the first answer; later answers must
    equal it byte for byte, a check that costs next to nothing."""
    if seen_body:
        if body != seen_body[0]:
            raise AssertionError(body[:200])
    elif shape.check(body):
        seen_body.append(body)
    else:
        raise AssertionError(body[:200])


def asgi_runner(app: t.Any, shape: Shape) -> t.Callable[[int], None]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": shape.method,
        "scheme": "http",
        "path": shape.path,
        "raw_path": shape.path.encode(),
        "root_path": "",
        "query_string": shape.query.encode(),
        "headers": [(b"host", b"localhost:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 8000),
    }
    if shape.body:
        scope["headers"] += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(shape.body)).encode()),
        ]

    async def one(scope: dict[str, t.Any]) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        chunks: list[bytes] = []
        headers: list[tuple[bytes, bytes]] = []
        waiters: list[asyncio.Future[None]] = []

        async def receive() -> dict[str, t.Any]:
            # As a server does: the body, then (once the response is sent) a disconnect.
            # Quart reads on in a task of its own until then.
            if waiters:
                waiter = asyncio.get_running_loop().create_future()
                waiters.append(waiter)
                await waiter
                return {"type": "http.disconnect"}
            waiters.append(None)  # type: ignore[arg-type]
            return {"type": "http.request", "body": shape.body, "more_body": False}

        async def send(message: dict[str, t.Any]) -> None:
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    raise AssertionError(message["status"])
                # NOTE: kept as sent, as the WSGI runner keeps start_response's list: decoding
                # them is no work of the app's (only the session shape reads them, once).
                headers[:] = message["headers"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        for waiter in waiters[1:]:
            if not waiter.done():
                waiter.set_result(None)
        return b"".join(chunks), headers

    seen_body: list[bytes] = []

    async def many(n: int) -> None:
        if shape is SHAPES["session"] and len(scope["headers"]) == 3:
            _, raw = await one(dict(scope))
            headers = [(k.decode(), v.decode()) for k, v in raw]
            scope["headers"] = [*scope["headers"], (b"cookie", _cookie_from(headers).encode())]
        for _ in range(n):
            body, _ = await one(dict(scope))
            _check(shape, body, seen_body)

    def run(n: int) -> None:
        asyncio.run(many(n))

    return run


def make_runner(name: str, shape_name: str) -> t.Callable[[int], None]:
    shape = SHAPES[shape_name]
    if name in apps.WSGI_APPS:
        return wsgi_runner(apps.WSGI_APPS[name](), shape)
    return asgi_runner(apps.ASGI_APPS[name](shape_name), shape)


def phases(name: str, shapes: list[str], n: int) -> None:
    """Every shape of one framework in one process, N requests each, between markers.

    Under ``callgrind --dump-before=os_getppid*`` each ``os.getppid()`` call dumps the counts
    so far, so the dump between two markers holds exactly N requests of one shape: start-up,
    imports and warm-up are outside every phase.
    """
    runners = [make_runner(name, shape) for shape in shapes]
    for run in runners:
        run(50)  # warm-up: first-request setup and lazy compilation are not what we measure
    for run in runners:
        os.getppid()  # marker: dump before this phase
        run(n)
    os.getppid()  # marker: dump the last phase


def main() -> None:
    name, shape_name = sys.argv[1], sys.argv[2]
    if shape_name == "phases":
        phases(name, sys.argv[4].split(","), int(sys.argv[3]))
        if name == "erlen":
            import erlen

            print(f"erlen from {erlen.__file__}", file=sys.stderr)
        return
    if shape_name == "import":
        if name != "python":
            __import__(name)
        return
    n = int(sys.argv[3])
    run = make_runner(name, shape_name)
    if name == "erlen":
        # The caller checks that the measured process runs the checkout under test.
        import erlen

        print(f"erlen from {erlen.__file__}", file=sys.stderr)
    run(50)  # warm-up: first-request setup and lazy compilation are not what we measure
    if n == 0:
        return
    if len(sys.argv) > 4 and sys.argv[4] == "time":
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
