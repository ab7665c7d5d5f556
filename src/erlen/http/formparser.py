"""Read request bodies: the bounded input stream, urlencoded and multipart forms (the query-string
and urlencoded decoding itself is in :mod:`erlen.http.urlencoded`).

``Request`` calls these lazily, the first time a view touches ``request.stream``, ``request.form``,
``request.files`` or ``request.args``. Names and behaviour follow Werkzeug (``LimitedStream``,
``get_input_stream``, ``get_content_length``, ``parse_form_data``) with stricter limits.

Invariants, enforced here:

- No read goes past the declared ``Content-Length``; a body that ends before it is a
  :class:`~erlen.http.exceptions.ClientDisconnected` (400).
- A declared ``Content-Length`` above ``max_content_length`` is a 413 before any byte is read; a body
  without one (chunked, ``wsgi.input_terminated``) is a 413 as soon as one byte more than
  ``max_content_length`` arrives. A body is never silently truncated.
- Every limit on untrusted form data answers 413 (query string: 400, it is not a body); every
  malformed body answers 400. Nothing a client sends makes these functions raise anything else.
- Percent-decoding never raises: bytes that are not UTF-8 stay visible as ``%XX`` (Werkzeug's rule);
  multipart field values that are not UTF-8 get U+FFFD.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import tempfile
import typing as t

from .datastructures import FileStorage, Headers, ImmutableMultiDict
from .exceptions import BadRequest, ClientDisconnected, HTTPException, RequestEntityTooLarge
from .headervalues.grammar import parse_options_header
from .safeparse import parse_uint
from .urlencoded import _parse_pairs, _unquote, parse_qsl_limited  # noqa: F401 -- re-exported

__all__ = [
    "LimitedStream",
    "get_content_length",
    "get_input_stream",
    "parse_form_data",
    "parse_qsl_limited",
]

_CHUNK = 64 * 1024
_DISCONNECTED = "The client went away before sending the whole request body."
_MALFORMED_BODY = "The request body is malformed (its chunked framing is invalid)."
# SECURITY: a Content-Length longer than this many digits is not a number we will ever accept;
# refusing it early also keeps int() away from Python's 4300-digit conversion error.
_MAX_CL_DIGITS = 32
# SECURITY: headers per multipart part, and bytes per header line, bounded by python-multipart.
# A part that breaks either is malformed (400). Browsers send two or three headers.
_MAX_PART_HEADERS = 8
_MAX_PART_HEADER_LINE = 4096 + 128
# SECURITY: RFC 2046 boundaries are 1-70 characters; python-multipart refuses more than 256.
_BOUNDARY_RE = re.compile(r"[ -~]{0,255}[!-~]")


class _QuietLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """python-multipart logs a WARNING for every malformed body.

    SECURITY: a client must not be able to flood the server's logs, so those become DEBUG records.
    """

    def warning(self, msg: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        self.debug(msg, *args, **kwargs)


_parser_log = _QuietLog(logging.getLogger(__name__), {})


# --------------------------------------------------------------------------- the input stream


class LimitedStream(io.RawIOBase):
    """A readable wrapper that never reads more than ``limit`` bytes of ``stream``.

    With ``is_max=False`` (the default) ``limit`` is the declared ``Content-Length``: reads stop
    there and return ``b""``; if the client sends fewer bytes, the read that meets the early end
    raises :class:`~erlen.http.exceptions.ClientDisconnected` (400). With ``is_max=True`` the body has no
    declared length (chunked) and ``limit`` is ``max_content_length``: the stream reads to EOF and
    raises :class:`~erlen.http.exceptions.RequestEntityTooLarge` (413) as soon as a byte beyond ``limit``
    arrives. A body of exactly ``limit`` bytes is fine (Werkzeug answers 413 there).

    >>> s = LimitedStream(io.BytesIO(b"hello world"), 5)
    >>> s.read(), s.read()
    (b'hello', b'')

    Closing it leaves the server's stream open.
    """

    # PERF: slots (IOBase objects still have a __dict__) and no super().__init__() (IOBase's
    # does nothing) make the stream of every request with a body ~40% cheaper to build.
    __slots__ = ("_stream", "limit", "is_max", "_pos")

    def __init__(self, stream: t.IO[bytes], limit: int, is_max: bool = False) -> None:
        self._stream = stream
        self.limit = limit
        self.is_max = is_max
        self._pos = 0

    @classmethod
    def at_end(cls, stream: t.IO[bytes], limit: int) -> LimitedStream:
        """The stream of a declared body of ``limit`` bytes that were all read already."""
        self = cls(stream, limit)
        self._pos = limit
        return self

    @property
    def is_exhausted(self) -> bool:
        """True once ``limit`` bytes have been read."""
        return self._pos >= self.limit

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def _pull(self, size: int, line: bool = False) -> bytes:
        return _server_read(self._stream.readline if line else self._stream.read, size)

    def _got(self, data: bytes) -> bytes:
        self._pos += len(data)
        if self._pos > self.limit:
            # SECURITY: never truncate a too-long chunked body silently; refuse it.
            raise RequestEntityTooLarge()
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left if ``size`` is negative or None)."""
        if size is None or size < 0:
            return self.readall()
        if self.is_max:
            # SECURITY: ask for one byte past the limit so an over-long body is seen, not cut.
            return self._got(self._pull(min(size, self.limit - self._pos + 1)))
        remaining = self.limit - self._pos
        if remaining <= 0 or size == 0:
            return b""
        data = self._pull(min(size, remaining))
        if not data:
            raise ClientDisconnected(_DISCONNECTED)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            # PERF: a declared length is read in one call when the server can deliver it.
            size = _CHUNK if self.is_max else self.limit - self._pos
            chunk = self.read(size)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def readinto(self, buffer: t.Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, bounded by ``size`` and by the limit."""
        cap = self.limit - self._pos + (1 if self.is_max else 0)
        if size is not None and size >= 0:
            cap = min(cap, size)
        if cap <= 0:
            return b""
        line = self._pull(cap, line=True)
        if self.is_max:
            return self._got(line)
        if not line:
            raise ClientDisconnected(_DISCONNECTED)
        self._pos += len(line)
        return line

    def exhaust(self) -> None:
        """Read and drop the rest of the body (so the connection can be reused)."""
        while self.read(_CHUNK):
            pass


def _server_read(read: t.Callable[[int], bytes], size: int) -> bytes:
    """``read(size)`` on the server's input stream, its errors turned into HTTP errors."""
    try:
        return read(size)
    except Exception as e:
        _raise_read_error(e)


def _raise_read_error(e: Exception) -> t.NoReturn:
    """Raise the HTTP error for ``e``, raised by the server's input stream while reading."""
    # SECURITY: servers report a body that ends early or is badly framed in their own ways
    # (gunicorn raises NoMoreData, an OSError, or InvalidChunkSize, ChunkMissingTerminator...
    # from its own ParseException); either is the client's fault, so a 400, never a 500.
    if isinstance(e, OSError):
        raise ClientDisconnected(_DISCONNECTED) from e
    if isinstance(e, HTTPException):
        raise e
    raise BadRequest(_MALFORMED_BODY) from e


def read_exactly(stream: t.IO[bytes], length: int) -> bytes:
    """The whole body of a declared ``length`` from the server's ``stream``, as a
    :class:`LimitedStream` of that length reads it: a body that ends early is a
    :class:`~erlen.http.exceptions.ClientDisconnected` (400), a server error a 400.

    PERF: one read when the server gives the whole body at once (the usual case), and no
    stream object around it.
    """
    if length == 0:
        return b""
    try:
        # NOTE: _server_read's work, inline: one call less on every form request.
        data: bytes = stream.read(length)
    except Exception as e:
        _raise_read_error(e)
    if len(data) < length:
        # NOTE: a server may give less per read; the rest is read as the stream would read it.
        data += LimitedStream(stream, length - len(data)).readall()
    return data


def get_content_length(environ: t.Mapping[str, t.Any]) -> int | None:
    """The declared ``Content-Length``, as Werkzeug reports it for ``request.content_length``.

    None when the header is absent; ``0`` when it is empty, negative or not a number (Werkzeug's
    behaviour; :func:`get_input_stream` refuses such a body with a 400 instead).
    """
    value = environ.get("CONTENT_LENGTH")
    if value is None:
        return None
    return parse_uint(value.strip()) or 0


def get_input_stream(
    environ: t.Mapping[str, t.Any], max_content_length: int | None = None
) -> t.BinaryIO:
    """The request body as a stream that cannot be read past its end or past the limits.

    - ``Content-Length`` declared: a :class:`LimitedStream` of that length; 413 at once, before
      reading, if it is above ``max_content_length``; 400 if it is not a non-negative integer.
    - No ``Content-Length`` and ``wsgi.input_terminated`` (chunked): the server's stream, read to
      EOF, 413 once it passes ``max_content_length``.
    - No ``Content-Length`` otherwise: an empty stream (reading could block forever).
    """
    stream = environ["wsgi.input"]
    raw = environ.get("CONTENT_LENGTH")
    value = raw.strip() if raw is not None else None
    if value:
        # SECURITY: a malformed length is a framing error (request smuggling); refuse it.
        length = parse_uint(value) if len(value) <= _MAX_CL_DIGITS else None
        if length is None:
            raise BadRequest("The Content-Length header is not a valid number.")
        # SECURITY: refuse an oversized body before reading a byte of it.
        if max_content_length is not None and length > max_content_length:
            raise RequestEntityTooLarge()
        return t.cast(t.BinaryIO, LimitedStream(stream, length))
    if environ.get("wsgi.input_terminated"):
        # SECURITY: a chunked body has no declared size; count while reading. Without a limit
        # it is still wrapped, so the server's framing errors become a 400 (see _pull).
        limit = sys.maxsize if max_content_length is None else max_content_length
        return t.cast(t.BinaryIO, LimitedStream(stream, limit, is_max=True))
    return io.BytesIO()


# --------------------------------------------------------------------------- form bodies


def parse_form_data(
    stream: t.IO[bytes],
    mimetype: str,
    options: t.Mapping[str, str],
    content_length: int | None,
    *,
    max_content_length: int | None = None,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1000,
    max_form_fields: int | None = 1000,
    spool_max_size: int = 500_000,
    cls: type[t.Any] = ImmutableMultiDict,
) -> tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, FileStorage]]:
    """Parse a form body into ``(form, files)``, both of type ``cls`` (built from the pairs in
    the order they came, so an ordered multi-dict keeps that order).

    ``options`` are the ``Content-Type`` parameters (``boundary``); a ``charset`` is ignored, forms
    are UTF-8 (as in Werkzeug 3). Any mimetype other than the two below leaves the body unread and
    returns empty dicts.

    ``application/x-www-form-urlencoded``: decoded as :func:`parse_qsl_limited` does.
    SECURITY: a body above ``max_form_memory_size`` bytes is a 413 (checked on the declared length
    before reading, and while reading); erlen also limits the number of fields to
    ``max_form_fields`` (413), which Werkzeug does not.

    ``multipart/form-data``: streamed through python-multipart. A part with a ``filename``
    parameter (even ``filename=""``) is a file, else a field (UTF-8, U+FFFD for bad bytes).
    ``filename*=UTF-8''...`` (RFC 5987) wins over ``filename``. Files are
    :class:`~erlen.http.datastructures.FileStorage` over a ``SpooledTemporaryFile`` that moves to disk
    past ``spool_max_size`` bytes, rewound to 0; the caller closes them. A missing or invalid
    boundary, a part without ``Content-Disposition``, and a malformed or truncated body are 400.
    SECURITY: more than ``max_form_parts`` parts is a 413; the *total* of the field values (not
    files) above ``max_form_memory_size`` is a 413 (Werkzeug bounds each field); part headers are
    bounded (8 per part, 4 KiB per line, else 400).

    Both: a declared length above ``max_content_length`` is a 413, and so is reading more bytes
    than that.
    """
    mimetype = mimetype.strip().lower()
    if mimetype == "application/x-www-form-urlencoded":
        _check_declared(content_length, max_content_length)
        body = _read_body(stream, content_length, max_form_memory_size, max_content_length)
        form = _parse_pairs(body, max_form_fields, RequestEntityTooLarge, "form")
        return cls(form), cls()
    if mimetype == "multipart/form-data":
        _check_declared(content_length, max_content_length)
        reader = _MultipartReader(
            _boundary(options), max_form_memory_size, max_form_parts, spool_max_size
        )
        return reader.parse(stream, max_content_length, cls)
    return cls(), cls()


def _check_declared(content_length: int | None, max_content_length: int | None) -> None:
    # SECURITY: refuse an oversized declared body before reading it.
    if content_length is not None and max_content_length is not None:
        if content_length > max_content_length:
            raise RequestEntityTooLarge()


def _read_body(
    stream: t.IO[bytes],
    content_length: int | None,
    max_size: int | None,
    max_content_length: int | None,
) -> bytes:
    """Read a whole urlencoded body, refusing one above ``max_size`` (413)."""
    # SECURITY: the whole urlencoded body is held in memory, so it is bounded by max_form_memory_size.
    if max_size is not None and content_length is not None and content_length > max_size:
        raise RequestEntityTooLarge()
    if max_size is None:
        cap = max_content_length
    elif max_content_length is None:
        cap = max_size
    else:
        cap = min(max_size, max_content_length)
    chunks: list[bytes] = []
    total = 0
    if content_length is not None and (cap is None or content_length <= cap):
        # PERF: a declared length within the limits is asked for in one read; the loop below
        # only runs if the stream gives less at once.
        data = stream.read(content_length)
        if len(data) == content_length or not data:
            return data
        total = len(data)
        if cap is not None and total > cap:
            raise RequestEntityTooLarge()
        chunks.append(data)
    while content_length is None or total < content_length:
        want = _CHUNK if cap is None else min(_CHUNK, cap - total + 1)
        chunk = stream.read(want)
        if not chunk:
            break
        total += len(chunk)
        if cap is not None and total > cap:
            raise RequestEntityTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _boundary(options: t.Mapping[str, str]) -> bytes:
    boundary = options.get("boundary")
    if not boundary or not _BOUNDARY_RE.fullmatch(boundary):
        raise BadRequest("The multipart/form-data body has a missing or invalid boundary.")
    return boundary.encode("ascii")


class _MultipartReader:
    """Collect fields and files from python-multipart's callbacks, enforcing the limits."""

    def __init__(
        self,
        boundary: bytes,
        max_memory: int | None,
        max_parts: int | None,
        spool_max_size: int,
    ) -> None:
        self.boundary = boundary
        self.max_memory = max_memory
        self.max_parts = max_parts
        self.spool_max_size = spool_max_size
        self.form: list[tuple[str | None, str]] = []
        self.files: list[tuple[str | None, FileStorage]] = []
        self.parts = 0
        self.memory = 0
        self.ended = False
        self.headers: list[tuple[str, str]] = []
        self.field_name = bytearray()
        self.field_value = bytearray()
        self.name: str | None = None
        self.filename: str | None = None
        self.file: t.Any = None
        self.chunks: list[bytes] = []

    def parse(
        self,
        stream: t.IO[bytes],
        max_content_length: int | None,
        cls: type[t.Any] = ImmutableMultiDict,
    ) -> tuple[ImmutableMultiDict[str, str], ImmutableMultiDict[str, FileStorage]]:
        try:
            self._feed_all(stream, max_content_length)
        except BaseException:
            # Free the temporary files of a body we refuse.
            for _, storage in self.files:
                storage.close()
            if self.file is not None:
                self.file.close()
            raise
        return cls(self.form), cls(self.files)

    def _feed_all(self, stream: t.IO[bytes], max_content_length: int | None) -> None:
        # PERF: python-multipart loads with the first multipart body, so this module is cheap
        # to import with the request classes (an import statement per call is not).
        from python_multipart.exceptions import FormParserError
        from python_multipart.multipart import MultipartParser

        try:
            parser = MultipartParser(
                self.boundary,
                {
                    "on_part_begin": self.on_part_begin,
                    "on_part_data": self.on_part_data,
                    "on_part_end": self.on_part_end,
                    "on_header_field": self.on_header_field,
                    "on_header_value": self.on_header_value,
                    "on_header_end": self.on_header_end,
                    "on_headers_finished": self.on_headers_finished,
                    "on_end": self.on_end,
                },
                max_header_count=_MAX_PART_HEADERS,
                max_header_size=_MAX_PART_HEADER_LINE,
            )
            parser.logger = _parser_log  # type: ignore[assignment]
            delimiter = b"\n--" + self.boundary
            pending = b"\n"  # the body starts at the beginning of a line
            started = False
            total = 0
            while not self.ended:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                # SECURITY: also bound a stream the caller did not wrap in a LimitedStream.
                if max_content_length is not None and total > max_content_length:
                    raise RequestEntityTooLarge()
                if not started:
                    # RFC 2046 allows a preamble before the first delimiter line; drop it here
                    # because python-multipart only skips blank lines.
                    buf = pending + chunk
                    at = buf.find(delimiter)
                    # SECURITY: preamble bytes are dropped but still count as form memory.
                    self._count_memory(len(chunk) if at == -1 else at)
                    if at == -1:
                        pending = buf[-len(delimiter) :]
                        continue
                    started = True
                    chunk = buf[at + 1 :]
                parser.write(chunk)
        except FormParserError:
            raise BadRequest("The multipart/form-data body is malformed.") from None
        if not self.ended and total:
            raise BadRequest("The multipart/form-data body is incomplete.")

    def _count_memory(self, size: int) -> None:
        self.memory += size
        # SECURITY: field values are held in memory; bound their total (max_form_memory_size).
        if self.max_memory is not None and self.memory > self.max_memory:
            raise RequestEntityTooLarge()

    def on_part_begin(self) -> None:
        self.parts += 1
        # SECURITY: bound the number of parts (max_form_parts), as Werkzeug does.
        if self.max_parts is not None and self.parts > self.max_parts:
            raise RequestEntityTooLarge()
        self.headers = []
        self.name = self.filename = self.file = None
        self.chunks = []

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.field_value += data[start:end]

    def on_header_end(self) -> None:
        name = self.field_name.decode("latin-1")
        value = self.field_value.decode("utf-8", "replace").strip()
        self.field_name.clear()
        self.field_value.clear()
        if "\n" in value or "\0" in value:
            raise BadRequest("A multipart/form-data part has an invalid header.")
        self.headers.append((name, value))

    def on_headers_finished(self) -> None:
        disposition = next((v for k, v in self.headers if k.lower() == "content-disposition"), None)
        if disposition is None:
            raise BadRequest("A multipart/form-data part has no Content-Disposition header.")
        params = parse_options_header(disposition)[1]
        self.name = params.get("name")
        self.filename = params.get("filename")
        if self.filename is not None:
            self.file = tempfile.SpooledTemporaryFile(max_size=self.spool_max_size)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.file is not None:
            # PERF: file bytes go straight to the spool, no intermediate copy kept.
            self.file.write(data[start:end])
        else:
            self._count_memory(end - start)
            self.chunks.append(data[start:end])

    def on_part_end(self) -> None:
        if self.name is None:
            # NOTE: a part without a name (RFC 7578 4.2 requires one) has no key to be read by:
            # it is dropped, so request.form and request.files keep str keys (Werkzeug 3.1
            # stores it under None, where an app's `key.lower()` would fail).
            if self.file is not None:
                self.file.close()
                self.file = None
            self.chunks = []
            return
        if self.file is not None:
            self.file.seek(0)
            storage = FileStorage(
                self.file, self.filename, self.name, headers=Headers(self.headers)
            )
            self.files.append((self.name, storage))
            self.file = None
        else:
            value = b"".join(self.chunks).decode("utf-8", "replace")
            self.form.append((self.name, value))
            self.chunks = []

    def on_end(self) -> None:
        self.ended = True
