"""The request body under ASGI: read ahead before dispatch, within the app's limit.

It is read before dispatch, bounded as under WSGI: with a ``Content-Length`` above
``MAX_CONTENT_LENGTH`` nothing is read (the request's stream answers 413, as under WSGI); without
one at most ``MAX_CONTENT_LENGTH + 1`` bytes are read, so the stream still sees the overflow and
answers 413. Reads past what was read ahead (a view that raised ``request.max_content_length``)
go on from the worker thread to ``receive``.
"""

from __future__ import annotations

import asyncio
import collections
import io
import typing as t

from ..http.exceptions import ClientDisconnected

if t.TYPE_CHECKING:
    from ..app import Erlen

Receive = t.Callable[[], t.Awaitable[t.MutableMapping[str, t.Any]]]


class ReceiveStream(io.RawIOBase):
    """``wsgi.input`` under ASGI: the bytes read ahead, then (from a worker thread) ``receive``.

    >>> s = ReceiveStream(None, None); s.feed(b"abc", more=False); s.read()
    b'abc'
    """

    def __init__(self, receive: Receive | None, loop: asyncio.AbstractEventLoop | None) -> None:
        super().__init__()
        self._receive = receive
        self._loop = loop
        self._chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        #: True once the last body message (or a disconnect) arrived.
        self.done = False
        self.disconnected = False

    def readable(self) -> bool:
        return True

    def feed(self, chunk: bytes, more: bool) -> None:
        if chunk:
            self._chunks.append(chunk)
            self.buffered += len(chunk)
        if not more:
            self.done = True

    async def pull(self) -> None:
        """Receive one message of the body."""
        self.take(await self._receive())  # type: ignore[misc]

    def take(self, message: t.Mapping[str, t.Any]) -> None:
        """Keep what one message received from the server holds."""
        if message["type"] == "http.disconnect":
            self.done = self.disconnected = True
        else:
            self.feed(message.get("body", b""), message.get("more_body", False))

    async def read_ahead(self, limit: int | None) -> None:
        """Receive until the body ends or more than ``limit`` bytes are here."""
        while not self.done and (limit is None or self.buffered < limit):
            await self.pull()

    def readinto(self, buffer: t.Any) -> int:
        chunks = self._chunks
        while not chunks and not self.done:
            loop = self._loop
            if loop is None:
                break
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                # NOTE: only reached when a view raised its limit past what was read ahead
                # and reads on the loop; blocking here would stop the server.
                raise RuntimeError(
                    "The rest of the request body can only be read from a sync view under ASGI."
                )
            asyncio.run_coroutine_threadsafe(self.pull(), loop).result()
        if not chunks:
            if self.disconnected:
                # NOTE: the client left before the body's last message (a chunked upload cut
                # short has no length to check): the view must not take it for the whole body.
                raise ClientDisconnected()
            return 0
        chunk = chunks.popleft()
        n = min(len(buffer), len(chunk))
        buffer[:n] = chunk[:n]
        if n < len(chunk):
            chunks.appendleft(chunk[n:])
        self.buffered -= n
        return n


def _has_body(environ: dict[str, t.Any]) -> bool:
    # NOTE: as under WSGI, a request with neither Content-Length nor chunked framing has no
    # body over HTTP/1.x; HTTP/2 and /3 frame bodies without either.
    return (
        "CONTENT_LENGTH" in environ
        or "HTTP_TRANSFER_ENCODING" in environ
        or not environ["SERVER_PROTOCOL"].startswith("HTTP/1")
    )


async def read_body(
    app: Erlen, environ: dict[str, t.Any], receive: Receive
) -> ReceiveStream | None:
    """Put the body in ``environ["wsgi.input"]``, read ahead within the app's limit.

    Returns the stream still tied to ``receive``, or None when the whole body is here: it came
    in one message (PERF: the usual small body, then a plain :class:`io.BytesIO`) or there is
    none to read.
    """
    limit = app.config["MAX_CONTENT_LENGTH"]
    raw = environ.get("CONTENT_LENGTH")
    want: int | None
    if raw is None:
        # NOTE: no declared length: the request reads to the end, counting (wsgi's chunked).
        environ["wsgi.input_terminated"] = True
        want = None if limit is None else limit + 1
    else:
        value = raw.strip()
        if value == "0":
            environ["wsgi.input"] = io.BytesIO()
            return None
        # NOTE: a malformed Content-Length is left for the request to refuse (400), as under
        # WSGI; SECURITY: a declared length above the limit is a 413 before a byte is read.
        want = int(value) if value.isascii() and value.isdigit() else None
        if want is None or (limit is not None and want > limit):
            stream = environ["wsgi.input"] = ReceiveStream(receive, asyncio.get_running_loop())
            return stream
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):
        environ["wsgi.input"] = io.BytesIO(message.get("body", b""))
        return None
    stream = environ["wsgi.input"] = ReceiveStream(receive, asyncio.get_running_loop())
    stream.take(message)
    await stream.read_ahead(want)
    return stream
