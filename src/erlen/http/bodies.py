"""Response body iterables, and running a WSGI application to capture its output.

- :class:`FileWrapper` / :func:`wrap_file`: a file as a body, in chunks (or the server's own
  ``wsgi.file_wrapper``).
- :class:`ClosingIterator`: a body whose ``close()`` (called by the server) closes the response.
- :class:`AsyncBody`: an async iterable body (an ``async def`` generator), for both protocols.
- :class:`RangeWrapper`: the slice of a body a 206 sends.
- :class:`ResponseStream`: the write-only file behind :attr:`erlen.http.response.Response.stream`.
- :func:`run_wsgi_app`: what ``Response.force_type`` and ``Response.from_app`` run.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator
from itertools import chain

from .datastructures import Headers

if t.TYPE_CHECKING:
    from .response import Response

__all__ = [
    "AsyncBody",
    "ClosingIterator",
    "FileWrapper",
    "RangeWrapper",
    "ResponseStream",
    "StartResponse",
    "WSGIApp",
    "iter_encoded",
    "run_wsgi_app",
    "wrap_file",
]

StartResponse = t.Callable[..., t.Callable[[bytes], object]]
WSGIApp = t.Callable[[dict[str, t.Any], StartResponse], Iterable[bytes]]


def iter_encoded(iterable: Iterable[str | bytes], charset: str) -> Iterator[bytes]:
    """Iterate over ``iterable``, encoding ``str`` items with ``charset``."""
    for item in iterable:
        yield item.encode(charset) if isinstance(item, str) else item


class ClosingIterator:
    """Iterate ``iterable``; ``close()`` (called by the server) runs ``close``."""

    __slots__ = ("_iter", "_close")

    def __init__(self, iterable: Iterable[bytes], close: t.Callable[[], t.Any]) -> None:
        self._iter = iter(iterable)
        self._close = close

    def __iter__(self) -> ClosingIterator:
        return self

    def __next__(self) -> bytes:
        return next(self._iter)

    def close(self) -> None:
        self._close()


class AsyncBody:
    """An async iterable body, encoded as it is produced.

    The ASGI edge iterates it on the event loop; a WSGI server iterates it as a plain iterable,
    each step run on the worker's long-lived event loop (:mod:`erlen._async`).
    """

    __slots__ = ("_body", "_iter", "_charset")

    def __init__(self, body: t.AsyncIterable[str | bytes], charset: str) -> None:
        self._body = body
        self._iter: t.AsyncIterator[str | bytes] | None = None
        self._charset = charset

    def __aiter__(self) -> AsyncBody:
        return self

    async def __anext__(self) -> bytes:
        if self._iter is None:
            self._iter = self._body.__aiter__()
        item = await self._iter.__anext__()
        return item.encode(self._charset) if isinstance(item, str) else item

    async def aclose(self) -> None:
        aclose = getattr(self._iter, "aclose", None)
        if aclose is not None:
            await aclose()

    def __iter__(self) -> AsyncBody:
        return self

    #: How a sync caller (a WSGI server) runs one coroutine function to its result; set by
    #: :mod:`erlen._async` (the HTTP layer knows no event loop of the app's).
    run_sync: t.ClassVar[t.Callable[[t.Callable[[], t.Awaitable[t.Any]]], t.Any] | None] = None

    def _sync(self, func: t.Callable[[], t.Awaitable[t.Any]]) -> t.Any:
        if AsyncBody.run_sync is None:
            raise RuntimeError("An async body needs erlen's event loop (import erlen.app).")
        return AsyncBody.run_sync(func)

    def __next__(self) -> bytes:
        try:
            return self._sync(self.__anext__)  # type: ignore[no-any-return]
        except StopAsyncIteration:
            raise StopIteration from None

    def close(self) -> None:
        if self._iter is not None and hasattr(self._iter, "aclose"):
            self._sync(self.aclose)


class FileWrapper:
    """Iterate over a binary file in ``buffer_size`` chunks; ``close()`` closes the file.

    Servers may offer a faster wrapper as ``environ["wsgi.file_wrapper"]``; see :func:`wrap_file`.
    """

    def __init__(self, file: t.IO[bytes], buffer_size: int = 8192) -> None:
        self.file = file
        self.buffer_size = buffer_size

    def close(self) -> None:
        close = getattr(self.file, "close", None)
        if close is not None:
            close()

    def seekable(self) -> bool:
        seekable = getattr(self.file, "seekable", None)
        if seekable is not None:
            return bool(seekable())
        return hasattr(self.file, "seek")

    def seek(self, *args: t.Any) -> None:
        self.file.seek(*args)

    def tell(self) -> int | None:
        tell = getattr(self.file, "tell", None)
        return tell() if tell is not None else None

    def __iter__(self) -> FileWrapper:
        return self

    def __next__(self) -> bytes:
        data = self.file.read(self.buffer_size)
        if data:
            return data
        raise StopIteration()


def wrap_file(
    environ: dict[str, t.Any], file: t.IO[bytes], buffer_size: int = 8192
) -> Iterable[bytes]:
    """Wrap ``file`` for the response body, with the server's ``wsgi.file_wrapper`` if it has one."""
    return environ.get("wsgi.file_wrapper", FileWrapper)(file, buffer_size)  # type: ignore[no-any-return]


class RangeWrapper:
    """Yield ``length`` bytes from ``start`` of a body iterable, for a 206.

    PERF: a seekable :class:`FileWrapper` is seeked and read for exactly the range; another
    seekable iterable is seeked then trimmed; anything else is read and skipped up to ``start``.
    """

    def __init__(self, iterable: Iterable[bytes], start: int, length: int) -> None:
        self.iterable = iterable
        self.start = start
        self.length = length

    def __iter__(self) -> Iterator[bytes]:
        source = self.iterable
        remaining = self.length
        if isinstance(source, FileWrapper) and source.seekable():
            source.seek(self.start)
            while remaining > 0:
                chunk = source.file.read(min(source.buffer_size, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk
            return
        skip = self.start
        seekable = getattr(source, "seekable", None)
        if seekable is not None and seekable():
            source.seek(skip)  # type: ignore[attr-defined]
            skip = 0
        for chunk in source:
            if skip:
                if len(chunk) <= skip:
                    skip -= len(chunk)
                    continue
                chunk, skip = chunk[skip:], 0
            if len(chunk) >= remaining:
                yield chunk[:remaining]
                return
            remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        close = getattr(self.iterable, "close", None)
        if close is not None:
            close()


class ResponseStream:
    """The write-only file a response exposes as :attr:`Response.stream`."""

    mode = "wb+"

    def __init__(self, response: Response) -> None:
        self.response = response
        self.closed = False

    def write(self, value: bytes) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        self.response._ensure_sequence(mutable=True)
        self.response.response.append(value)  # type: ignore[union-attr]
        self.response.headers.remove("Content-Length")
        return len(value)

    def writelines(self, seq: Iterable[bytes]) -> None:
        for item in seq:
            self.write(item)

    def close(self) -> None:
        self.closed = True

    def flush(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return False

    def tell(self) -> int:
        self.response._ensure_sequence()
        return sum(map(len, self.response.response))  # type: ignore[arg-type]

    @property
    def encoding(self) -> str:
        return self.response.charset


def run_wsgi_app(
    app: WSGIApp, environ: dict[str, t.Any], buffered: bool = False
) -> tuple[Iterable[bytes], str, Headers]:
    """Call a WSGI app; return ``(body, status, headers)`` once it has called ``start_response``.

    Output passed to the ``write()`` callable comes first. A lazy app (a generator that calls
    ``start_response`` on first iteration) is advanced until it has.
    """
    started: list[t.Any] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return written.append

    app_iter = app(environ, start_response)
    close = getattr(app_iter, "close", None)
    if buffered:
        try:
            body: Iterable[bytes] = list(app_iter)
        finally:
            if close is not None:
                close()
        if written:
            body = written + body  # type: ignore[operator]
        return body, *_started(started)

    head: list[bytes] = []
    if not started:
        iterator = iter(app_iter)
        for chunk in iterator:
            head.append(chunk)
            if started:
                break
        app_iter = iterator
    if written or head:
        body = chain(written, head, app_iter)
        if close is not None:
            body = ClosingIterator(body, close)
    else:
        body = app_iter
    return body, *_started(started)


def _started(started: list[t.Any]) -> tuple[str, Headers]:
    if not started:
        raise RuntimeError("The WSGI application returned without calling start_response.")
    return started[0], Headers(started[1])
