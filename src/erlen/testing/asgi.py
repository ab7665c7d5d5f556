"""The test client's ASGI side: send a request built as a WSGI environ through ``app.asgi_app``.

``app.test_client(asgi=True)`` keeps the client's whole API (built with
:class:`erlen.testing.environ.EnvironBuilder`, cookies, redirects); only the last step differs: the
environ becomes an ASGI HTTP scope and ``receive``/``send`` channels, the app runs on the
worker's long-lived event loop (:mod:`erlen._async`) and the messages it sends become the
``(body_chunks, status, headers)`` the WSGI runner returns. :class:`TestWebSocket` is the
client end of ``client.websocket(path)``.

The conversion is what a server does: CGI keys to a scope, ``HTTP_*`` keys to lower-case header
names, the body in 64 KiB messages. A body shorter than its ``Content-Length`` ends in
``http.disconnect``, as when a client goes away. Response header names arrive lower-cased (ASGI
requires it); they are given back in their usual spelling so that tests read the same
``response.headers`` on both protocols.
"""

from __future__ import annotations

import asyncio
import json as _json
import queue
import typing as t

from .._async import _get_loop
from ..datastructures import Headers
from .environ import PRESERVE_CONTEXT_KEY

#: The scope extension through which the app hands its contexts over (``with client:``);
#: NOTE: the same name as ``erlen.serving.asgi.PRESERVE_EXTENSION`` (the layers may not import
#: each other).
PRESERVE_EXTENSION = "erlen.preserve_context"

CHUNK = 64 * 1024
#: Seconds a test WebSocket waits for the app; only a guard against a hanging test.
TIMEOUT = 30.0

_SPECIAL_NAMES = {
    "etag": "ETag",
    "www-authenticate": "WWW-Authenticate",
    "content-md5": "Content-MD5",
    "te": "TE",
    "x-xss-protection": "X-XSS-Protection",
}


def _header_name(name: str) -> str:
    special = _SPECIAL_NAMES.get(name)
    if special is not None:
        return special
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _wire(value: str) -> bytes:
    # NOTE: an environ value is latin-1 text (PEP 3333); a test may still pass other text,
    # which the wire would carry as UTF-8.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def scope_from_environ(environ: dict[str, t.Any], kind: str = "http") -> dict[str, t.Any]:
    """The ASGI scope a server would make for the request ``environ`` describes."""
    headers: list[tuple[bytes, bytes]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].lower().replace("_", "-")
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.lower().replace("_", "-")
        else:
            continue
        headers.append((name.encode("latin-1"), _wire(str(value))))
    if environ.get("wsgi.input_terminated") and "CONTENT_LENGTH" not in environ:
        headers.append((b"transfer-encoding", b"chunked"))
    root = environ.get("SCRIPT_NAME", "").encode("latin-1")
    path = environ.get("PATH_INFO", "").encode("latin-1")
    scheme = environ.get("wsgi.url_scheme", "http")
    if kind == "websocket":
        scheme = "wss" if scheme == "https" else "ws"
    scope: dict[str, t.Any] = {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
        "method": environ.get("REQUEST_METHOD", "GET"),
        "scheme": scheme,
        "root_path": root.decode("utf-8", "replace"),
        "path": (root + path).decode("utf-8", "replace"),
        "raw_path": root + path,
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "headers": headers,
        "server": (environ.get("SERVER_NAME", "localhost"), int(environ.get("SERVER_PORT", 80))),
        "extensions": {},
    }
    if "REMOTE_ADDR" in environ:
        scope["client"] = (environ["REMOTE_ADDR"], int(environ.get("REMOTE_PORT", 50000)))
    if PRESERVE_CONTEXT_KEY in environ:
        scope["extensions"][PRESERVE_EXTENSION] = environ[PRESERVE_CONTEXT_KEY]
    return scope


class _Body:
    """The request body, handed to the app in messages of at most :data:`CHUNK` bytes as it
    asks (a body over the app's limit is never read in full)."""

    def __init__(self, environ: dict[str, t.Any]) -> None:
        self.stream = environ.get("wsgi.input")
        raw = str(environ.get("CONTENT_LENGTH", "")).strip()
        self.remaining: int | None = int(raw) if raw.isdigit() else None
        if self.stream is None or (
            self.remaining is None and not (environ.get("wsgi.input_terminated") or raw)
        ):
            self.remaining = 0
        self.finished = False
        self.short = False

    def next_message(self) -> dict[str, t.Any]:
        if self.short:
            return {"type": "http.disconnect"}
        size = CHUNK if self.remaining is None else min(CHUNK, self.remaining)
        chunk = self.stream.read(size) if size else b""  # type: ignore[union-attr]
        if self.remaining is not None:
            self.remaining -= len(chunk)
            if size and not chunk:
                # NOTE: shorter than its Content-Length: the client went away.
                self.short = True
                return {"type": "http.disconnect"}
            more = self.remaining > 0
        else:
            more = bool(chunk)
        if not more:
            self.finished = True
        return {"type": "http.request", "body": chunk, "more_body": more}


def run_asgi_app(app: t.Any, environ: dict[str, t.Any]) -> tuple[list[bytes], str, Headers]:
    """Run one HTTP request through ``app``'s ASGI entry; the WSGI runner's result shape."""
    scope = scope_from_environ(environ)
    future = asyncio.run_coroutine_threadsafe(_http(app, scope, _Body(environ)), _get_loop())
    return future.result()


async def _http(
    app: t.Any, scope: dict[str, t.Any], body: _Body
) -> tuple[list[bytes], str, Headers]:
    done = asyncio.Event()
    sent: list[t.MutableMapping[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        if not body.finished:
            return body.next_message()
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: t.MutableMapping[str, t.Any]) -> None:
        sent.append(message)

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    # NOTE: as under WSGI (run when the body is closed), background tasks end before open()
    # returns.
    while app._asgi.background_tasks:
        await asyncio.gather(*list(app._asgi.background_tasks), return_exceptions=True)
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    if start is None:
        raise RuntimeError("The application did not send a response.")
    from ..http.response import _STATUS_LINES

    code = start["status"]
    status = _STATUS_LINES.get(code) or f"{code} UNKNOWN"
    headers = Headers(
        [(_header_name(k.decode("latin-1")), v.decode("latin-1")) for k, v in start["headers"]]
    )
    chunks = [m.get("body", b"") for m in sent if m["type"] == "http.response.body"]
    return chunks, status, headers


class WebSocketDisconnected(Exception):
    """The app closed the test WebSocket (``code`` and ``reason`` from its close message)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocketRejected(Exception):
    """The app refused the WebSocket before accepting it (``status_code``, e.g. 403)."""

    def __init__(self, status_code: int, body: bytes = b"") -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.body = body


class TestWebSocket:
    """The client end of ``client.websocket(path)``: ``send``/``receive`` (str or bytes),
    ``send_json``/``receive_json``, ``close``. Use it as a context manager."""

    __test__ = False

    def __init__(self, app: t.Any, scope: dict[str, t.Any]) -> None:
        self._app = app
        self._scope = scope
        self._to_app: asyncio.Queue[dict[str, t.Any]] | None = None
        self._from_app: queue.Queue[t.MutableMapping[str, t.Any]] = queue.Queue()
        self._future: t.Any = None
        self._loop = _get_loop()
        self.accepted_subprotocol: str | None = None
        self.accept_headers: Headers = Headers()

    def __enter__(self) -> TestWebSocket:
        scope = self._scope
        scope.setdefault("subprotocols", [])

        async def run() -> None:
            self._to_app = asyncio.Queue()
            await self._to_app.put({"type": "websocket.connect"})

            async def receive() -> dict[str, t.Any]:
                return await self._to_app.get()  # type: ignore[union-attr]

            async def send(message: t.MutableMapping[str, t.Any]) -> None:
                self._from_app.put(message)

            try:
                await self._app(scope, receive, send)
            finally:
                self._from_app.put({"type": "erlen.test.app_returned"})

        self._future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        first = self._get()
        if first["type"] == "websocket.accept":
            self.accepted_subprotocol = first.get("subprotocol")
            self.accept_headers = Headers(
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in first.get("headers", [])]
            )
            return self
        if first["type"] == "websocket.close":
            self._finish()
            raise WebSocketRejected(403)
        if first["type"] == "websocket.http.response.start":
            body = b""
            while True:
                message = self._get()
                if message["type"] != "websocket.http.response.body":
                    break
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            self._finish()
            raise WebSocketRejected(first["status"], body)
        self._finish()
        raise RuntimeError(f"The app answered the WebSocket with {first!r}.")

    def __exit__(self, *exc: t.Any) -> None:
        self.close()

    def _get(self) -> t.MutableMapping[str, t.Any]:
        message = self._from_app.get(timeout=TIMEOUT)
        if message["type"] == "erlen.test.app_returned":
            self._finish()
            raise RuntimeError("The WebSocket handler returned without closing.")
        return message

    def _finish(self) -> None:
        # NOTE: re-raises an error the app let escape.
        self._future.result(timeout=TIMEOUT)

    def _put(self, message: dict[str, t.Any]) -> None:
        async def put() -> None:
            await self._to_app.put(message)  # type: ignore[union-attr]

        asyncio.run_coroutine_threadsafe(put(), self._loop).result(timeout=TIMEOUT)

    def send(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            self._put({"type": "websocket.receive", "bytes": data})
        else:
            self._put({"type": "websocket.receive", "text": data})

    def send_json(self, data: t.Any) -> None:
        self.send(_json.dumps(data))

    def receive(self) -> str | bytes:
        message = self._get()
        if message["type"] == "websocket.close":
            self._finish()
            raise WebSocketDisconnected(message.get("code", 1000), message.get("reason") or "")
        if message.get("text") is not None:
            return t.cast(str, message["text"])
        return t.cast(bytes, message.get("bytes") or b"")

    def receive_json(self) -> t.Any:
        return _json.loads(self.receive())

    def close(self, code: int = 1000) -> None:
        """Close from the client side and wait for the handler to end."""
        if self._future is None or self._future.done():
            return
        self._put({"type": "websocket.disconnect", "code": code})
        self._future.result(timeout=TIMEOUT)
