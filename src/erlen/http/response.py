"""The response object: a status line, a header list and a body iterable.

The API is Werkzeug's ``Response`` with Flask's ``default_mimetype = "text/html"``; it knows no
application: :class:`erlen.wrappers.Response` adds ``max_cookie_size`` from the app config and the
app's JSON provider. Invariants kept by this module:

- ``_status_code`` (int) and ``_status`` (the status line, ``"200 OK"``) always agree; both are set
  together by :func:`_clean_status` or, for the common codes, from the ``_STATUS_LINES`` table.
- ``headers`` is a :class:`~erlen.http.datastructures.Headers`; every value went through its CR/LF/NUL
  check, so nothing set here can split the response.
- ``response`` is the body iterable. ``str``/``bytes`` bodies are stored as a one-item list of
  bytes (a *sequence*, whose length is known); anything else streams and gets no automatic
  ``Content-Length``.
- Emission (:meth:`Response.get_wsgi_response`) never mutates the response: it works on a copy of
  the header list and drops the body for ``HEAD``, 1xx, 204 and 304.

The class keeps the status, the body, ETags and WSGI emission here; the machinery lives beside it:
``response_fields`` (the header attributes and cookies, inherited from ``ResponseHeaderFields``),
``response_pairs`` (the header list as built and as sent), ``response_memo`` (what is memoised
about a response class, and its metaclass), ``response_headers`` (typed header codecs),
``conditional`` (304/412/206) and ``bodies`` (body iterables, ``FileWrapper``, running a WSGI
app).
"""

from __future__ import annotations

import json
import typing as t
from collections.abc import Iterable, Iterator

from . import response_pairs
from .bodies import (
    AsyncBody,
    ClosingIterator,
    FileWrapper,
    ResponseStream,
    StartResponse,
    WSGIApp,
    iter_encoded,
    run_wsgi_app,
    wrap_file,
)
from .conditional import is_resource_modified, make_conditional
from .datastructures import Headers
from .exceptions import HTTP_STATUS_CODES, HTTPException
from .response_fields import ResponseHeaderFields
from .response_memo import FAST_PATH_METHODS, ResponseType, keeps_own_methods, own_methods
from .response_pairs import (
    NO_BODY_STATUSES,
    content_type_for,
    dict_pairs,
    index_of,
    set_pair,
    wsgi_header_list,
)

__all__ = ["FileWrapper", "Response", "is_resource_modified", "wrap_file"]

# PERF: bound by assignment, not by import: CPython 3.11 compiles ``name.get(...)`` on an imported
# name as a module attribute load (a new bound method on every call), not as a method call.
_utf8_content_types = response_pairs.utf8_content_types
# PERF: status lines of the known codes, built once; ``Response(..., 200)`` is a dict lookup.
_STATUS_LINES: dict[int, str] = {c: f"{c} {p.upper()}" for c, p in HTTP_STATUS_CODES.items()}


def _clean_status(value: t.Any) -> tuple[str, int]:
    """``(status_line, code)`` from an int, an ``HTTPStatus`` or a string like ``"404 NOT FOUND"``."""
    if isinstance(value, int) and not isinstance(value, bool):
        code = int(value)
        return _STATUS_LINES.get(code) or f"{code} UNKNOWN", code
    if not isinstance(value, str):
        raise TypeError(f"Status must be an int or a str, not {type(value).__name__}")
    line = value.strip()
    if not line:
        raise ValueError("Empty status argument")
    # SECURITY: the status line goes to the wire verbatim.
    if "\r" in line or "\n" in line or "\0" in line:
        raise ValueError("A status must not contain newline or NUL characters.")
    parts = line.split(None, 1)
    try:
        code = int(parts[0])
    except ValueError:
        raise ValueError(f"Invalid status {value!r}: it must start with an integer code.")
    if len(parts) == 1:
        return _STATUS_LINES.get(code) or f"{code} UNKNOWN", code
    return line, code


# -- the response ----------------------------------------------------------------------------------


class Response(ResponseHeaderFields, metaclass=ResponseType):
    """An HTTP response: ``status``, ``headers`` and a body iterable, also a WSGI application.

    >>> resp = Response("hello", 201, {"X-Tag": "a"})
    >>> resp.status, resp.content_type, resp.get_data()
    ('201 CREATED', 'text/html; charset=utf-8', b'hello')

    ``response`` may be ``str``/``bytes`` (stored as one encoded chunk, with ``Content-Length``) or
    any iterable of ``str``/``bytes``, which is streamed as it is produced.
    """

    default_status = 200
    default_mimetype: str | None = "text/html"
    charset = "utf-8"
    automatically_set_content_length = True
    autocorrect_location_header = False
    implicit_sequence_conversion = True
    #: ``loads``/``dumps`` for :meth:`get_json`: the standard library's ``json`` here;
    #: :class:`erlen.wrappers.Response` uses erlen.json, which follows ``current_app.json``.
    json_module: t.Any = json
    #: The body: an iterable of bytes or str. A list or tuple counts as buffered (is_sequence).
    response: Iterable[bytes] | Iterable[str]
    if t.TYPE_CHECKING:
        headers: Headers
    else:
        headers = response_pairs.HeadersField()
    direct_passthrough: bool
    #: The ``Headers`` object, or None until first asked for: the constructor's fast path keeps
    #: the pairs alone in ``_pairs`` and HeadersField makes the object around that list on demand.
    _headers: Headers | None
    _pairs: list[tuple[str, str]]
    #: Callbacks for close(); a shared empty tuple until call_on_close makes a list.
    _on_close: t.Any = ()
    #: PERF: True while the class keeps Response's set_data and WSGI emission methods, so the
    #: hot paths may skip calling them; recomputed for each subclass, and when a method is
    #: replaced on a class (see response_memo).
    _fast_path = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fast_path = keeps_own_methods(cls)

    def __init__(
        self,
        response: Iterable[bytes] | Iterable[str] | bytes | str | None = None,
        status: int | str | None = None,
        headers: t.Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        # PERF: this runs for every request, so it writes the attributes directly instead of
        # going through the property setters, and builds the header list in one pass.
        if status is None:
            status = self.default_status
        line = _STATUS_LINES.get(status) if type(status) is int else None  # type: ignore[arg-type]
        if line is None:
            self._status, self._status_code = _clean_status(status)
        else:
            self._status, self._status_code = line, status  # type: ignore[assignment]
        self.direct_passthrough = direct_passthrough
        kind = type(response)
        if (
            (kind is str or kind is bytes)
            and headers is None
            and content_type is None
            and self._fast_path
            and self.automatically_set_content_length
        ):
            # PERF: the usual view result, ``Response("hello")`` (or jsonify's, with a mimetype):
            # one list literal with the memoised Content-Type; a memo miss, or another charset,
            # takes the general path below.
            charset = self.charset
            if mimetype is None:
                mimetype = self.default_mimetype
            ct_pair = _ct_pairs.get(mimetype) if charset == "utf-8" else None
            if ct_pair is None and charset == "utf-8":
                ct = _utf8_content_types.get(mimetype)
                if ct is not None:
                    ct_pair = _ct_pairs[mimetype] = ("Content-Type", ct)
            if ct_pair is not None:
                body: bytes = response.encode(charset) if kind is str else response  # type: ignore[union-attr,assignment]
                size = len(body)
                # PERF: the header pairs are shared tuples (immutable; edits replace them). No
                # Headers object yet: most responses are sent without one (see HeadersField).
                self._headers = None
                self._pairs = [
                    ct_pair,
                    LENGTH_PAIRS[size] if size < 512 else ("Content-Length", str(size)),
                ]
                self.response = [body]
                # PERF: the class default, on the instance: __call__ reads it by the fast path.
                self._on_close = ()
                return

        if headers is None:
            pairs: list[tuple[str, str]] = []
        elif isinstance(headers, Headers):
            pairs = headers._list[:]
        elif type(headers) is dict:
            pairs = dict_pairs(headers)  # PERF: the (body, status, {...}) view return
        else:
            pairs = Headers(headers)._list
        # NOTE: Headers.__init__ only makes ``_list``. ``headers`` is a descriptor over
        # ``_headers`` (HeadersField); PERF: the constructor stores it directly.
        self._headers = hdrs = _new_object(Headers)
        hdrs._list = pairs

        if content_type is None:
            if mimetype is None and index_of(pairs, "content-type") < 0:
                mimetype = self.default_mimetype
            if mimetype is not None:
                content_type = content_type_for(mimetype, self.charset)
        else:
            content_type = Headers._check("Content-Type", content_type)[1]
        if content_type is not None:
            set_pair(pairs, "Content-Type", content_type)

        if response is None:
            self.response = []
        elif isinstance(response, (str, bytes, bytearray)):
            if not self._fast_path:
                self.set_data(response)  # NOTE: honour a subclass's override
                return
            body = response.encode(self.charset) if isinstance(response, str) else response
            self.response = [body]
            if self.automatically_set_content_length:
                size = len(body)
                set_pair(pairs, "Content-Length", _LENGTHS[size] if size < 512 else str(size))
        else:
            self.response = response

    def __repr__(self) -> str:
        if self.is_sequence:
            info = f"{sum(map(len, self.iter_encoded()))} bytes"
        else:
            info = "streamed" if self.is_streamed else "likely-streamed"
        return f"<{type(self).__name__} {info} [{self._status}]>"

    # -- status ------------------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """The status line, e.g. ``"200 OK"``. Set an int, or a string with or without a phrase."""
        return self._status

    @status.setter
    def status(self, value: int | str) -> None:
        self._status, self._status_code = _clean_status(value)

    @property
    def status_code(self) -> int:
        """The status as an int, e.g. ``404``."""
        return self._status_code

    @status_code.setter
    def status_code(self, value: int) -> None:
        self._status, self._status_code = _clean_status(value)

    # -- body --------------------------------------------------------------------------------------

    def get_data(self, as_text: bool = False) -> t.Any:
        """The body as bytes (or ``str`` with ``as_text``); a streamed body is buffered first."""
        self._ensure_sequence()
        data = b"".join(self.iter_encoded())
        return data.decode(self.charset) if as_text else data

    def set_data(self, value: bytes | str) -> None:
        """Replace the body; a ``str`` is encoded. Sets ``Content-Length``."""
        if isinstance(value, str):
            value = value.encode(self.charset)
        self.response = [value]
        if self.automatically_set_content_length:
            self.headers.set("Content-Length", str(len(value)))

    data = property(get_data, set_data, doc="The body as bytes; see get_data and set_data.")

    @property
    def is_streamed(self) -> bool:
        """True when the body has no length (a generator or other iterator)."""
        try:
            len(self.response)  # type: ignore[arg-type]
        except (TypeError, AttributeError):
            return True
        return False

    @property
    def is_sequence(self) -> bool:
        """True when the body is a list or tuple (buffered)."""
        return isinstance(self.response, (list, tuple))

    def iter_encoded(self) -> Iterator[bytes]:
        """Iterate over the body, encoding ``str`` items."""
        return iter_encoded(self.response, self.charset)

    def calculate_content_length(self) -> int | None:
        """The body length, buffering a stream; ``None`` when that is not allowed."""
        try:
            self._ensure_sequence()
        except RuntimeError:
            return None
        return sum(len(chunk) for chunk in self.iter_encoded())

    def make_sequence(self) -> None:
        """Buffer a streamed body into a list of bytes; the old iterable is closed on close()."""
        if not self.is_sequence:
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def _ensure_sequence(self, mutable: bool = False) -> None:
        if self.is_sequence:
            if mutable and not isinstance(self.response, list):
                self.response = list(self.response)  # type: ignore[assignment]
            return
        if self.direct_passthrough:
            raise RuntimeError(
                "Attempted implicit sequence conversion but the response object is in"
                " direct passthrough mode."
            )
        if not self.implicit_sequence_conversion:
            raise RuntimeError(
                "The response body must be a sequence, but implicit conversion is disabled."
                " Call make_sequence() first."
            )
        self.make_sequence()

    @property
    def stream(self) -> ResponseStream:
        """A write-only file-like object appending to the body."""
        stream = self.__dict__.get("_stream")
        if stream is None:
            stream = self.__dict__["_stream"] = ResponseStream(self)
        return stream

    def call_on_close(self, func: t.Callable[[], t.Any]) -> t.Callable[[], t.Any]:
        """Run ``func`` when the response is closed. Returns ``func`` (usable as a decorator)."""
        if not self._on_close:
            self._on_close = []
        self._on_close.append(func)
        return func

    def close(self) -> None:
        """Close the body iterable (if it has ``close``) and run the ``call_on_close`` callbacks."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        for func in self._on_close:
            func()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def freeze(self) -> None:
        """Buffer and encode the body, set ``Content-Length`` and an ``ETag`` (e.g. for caching)."""
        self.response = list(self.iter_encoded())
        self.headers.set("Content-Length", str(sum(map(len, self.response))))
        self.add_etag()

    # -- JSON --------------------------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        """True for ``application/json`` and ``application/*+json`` mimetypes."""
        mt = self.mimetype
        return mt is not None and (
            mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))
        )

    @property
    def json(self) -> t.Any:
        """The body parsed as JSON when :attr:`is_json`, else ``None``. Handy in tests."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> t.Any:
        """Parse the body as JSON (``None`` unless JSON or ``force``; ``silent`` hides errors)."""
        if not (force or self.is_json):
            return None
        try:
            return self.json_module.loads(self.get_data())
        except ValueError:
            if not silent:
                raise
            return None

    # -- ETags and conditional requests ------------------------------------------------------------

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """``(etag, is_weak)`` from the ``ETag`` header, or ``(None, None)``."""
        from .headervalues import unquote_etag

        value = self.headers.get("ETag")
        if value is None:
            return None, None
        return unquote_etag(value)  # type: ignore[no-any-return]

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header (quoted; ``W/`` prefix when ``weak``)."""
        from .headervalues import quote_etag

        self.headers.set("ETag", quote_etag(etag, weak))

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ``ETag`` hashed from the body unless one is set (or ``overwrite``)."""
        if overwrite or "etag" not in self.headers:
            from .headervalues import generate_etag

            self.set_etag(generate_etag(self.get_data()), weak)

    def make_conditional(
        self,
        request_or_environ: t.Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer a conditional ``GET``/``HEAD`` (RFC 9110 section 13): 304, 412 or 206.

        Preconditions are evaluated in the RFC's order: ``If-Match`` (else ``If-Unmodified-Since``)
        failing gives 412; ``If-None-Match`` (else ``If-Modified-Since``) matching gives 304.
        Otherwise, with ``accept_ranges``, a ``Range`` (honouring ``If-Range``) gives 206, or raises
        :class:`~erlen.http.exceptions.RequestedRangeNotSatisfiable` (416). ``complete_length`` is the
        full body length; for a buffered body it is computed when not given. The body itself is
        dropped at emission time for 304. Returns ``self``; other methods leave it unchanged.
        """
        return make_conditional(self, request_or_environ, accept_ranges, complete_length)

    # -- WSGI --------------------------------------------------------------------------------------

    def get_wsgi_headers(self, environ: dict[str, t.Any]) -> Headers:
        """A copy of the headers as they will be sent for ``environ``.

        Adds ``Content-Length`` for a buffered body, drops it for 1xx/204, drops body headers for
        304, and percent-encodes ``Location`` (made absolute if ``autocorrect_location_header``).
        """
        headers = Headers()
        headers._list = wsgi_header_list(self, environ)
        return headers

    def get_app_iter(self, environ: dict[str, t.Any]) -> Iterable[bytes]:
        """The body to send: empty for ``HEAD``, 1xx, 204 and 304. Closing it closes the response."""
        body = self.response
        if self._status_code in NO_BODY_STATUSES or environ.get("REQUEST_METHOD") == "HEAD":
            iterable: Iterable[bytes] = ()
        elif self.direct_passthrough:
            return body  # type: ignore[return-value]
        elif type(body) is list and len(body) == 1 and type(body[0]) is bytes:
            if not self._on_close:
                return body  # PERF: the set_data shape: encoded, and nothing to close
            iterable = body
        elif hasattr(body, "__aiter__") and not hasattr(body, "__iter__"):
            iterable = AsyncBody(body, self.charset)  # type: ignore[arg-type]
        else:
            iterable = self.iter_encoded()
        if not self._on_close and (type(body) is list or not hasattr(body, "close")):
            return iterable  # PERF: nothing to close, so no wrapper
        return ClosingIterator(iterable, self.close)

    def get_wsgi_response(
        self, environ: dict[str, t.Any]
    ) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        """``(app_iter, status, header_list)`` ready for ``start_response``."""
        if not self._fast_path:  # NOTE: honour a subclass's overrides
            headers = self.get_wsgi_headers(environ)
            return self.get_app_iter(environ), self.status, headers.to_wsgi_list()
        pairs = wsgi_header_list(self, environ)  # PERF: no Headers object in between
        return self.get_app_iter(environ), self._status, pairs

    def __call__(self, environ: dict[str, t.Any], start_response: StartResponse) -> Iterable[bytes]:
        """A response is a WSGI application that sends itself."""
        pairs = self._usual_pairs(environ.get("REQUEST_METHOD"))
        if pairs is not None:
            start_response(self._status, pairs.copy())  # PERF: cheaper than a slice
            return self.response  # type: ignore[return-value]  # NOTE: bytes: checked
        app_iter, status, headers = self.get_wsgi_response(environ)
        start_response(status, headers)
        return app_iter

    def _usual_pairs(self, method: str | None) -> list[tuple[str, str]] | None:
        """The header pairs as sent when this is the usual view result, else None.

        PERF: the usual result (one encoded chunk with exactly Content-Type and Content-Length,
        not for a HEAD request) needs no header fix-up and no body wrapper: what
        get_wsgi_response would answer, without its work. Both edges ask (WSGI here in
        ``__call__``, ASGI in ``erlen.serving.asgi_inline``); a class with its own emission
        methods (``_fast_path`` off) always takes get_wsgi_response.
        """
        if not self._fast_path:
            return None
        body = self.response
        hdrs = self._headers  # PERF: past the HeadersField descriptor
        pairs = self._pairs if hdrs is None else hdrs._list
        if (
            type(body) is list
            and len(body) == 1
            and len(pairs) == 2
            and pairs[0][0] == "Content-Type"
            and pairs[1][0] == "Content-Length"
            and type(body[0]) is bytes
            and not self._on_close
            and not self.direct_passthrough
            and self._status_code not in NO_BODY_STATUSES
            and method != "HEAD"
        ):
            return pairs
        return None

    @classmethod
    def force_type(cls, response: t.Any, environ: dict[str, t.Any] | None = None) -> Response:
        """Make ``response`` an instance of ``cls``.

        A response object has its class swapped; any other WSGI application is run against
        ``environ`` and its output wrapped.
        """
        if not isinstance(response, Response):
            if environ is None:
                raise TypeError(
                    "Cannot convert a WSGI application into a response object without an environ."
                )
            response = Response(*run_wsgi_app(response, environ))
        response.__class__ = cls
        return response  # type: ignore[no-any-return]

    @classmethod
    def from_app(cls, app: WSGIApp, environ: dict[str, t.Any], buffered: bool = False) -> Response:
        """Run a WSGI application and wrap its output; ``buffered`` reads the whole body now."""
        return cls(*run_wsgi_app(app, environ, buffered))


# NOTE: what keeps_own_methods compares a class's methods with (see response_memo).
own_methods.update({name: Response.__dict__[name] for name in FAST_PATH_METHODS})

# NOTE: the error pages of erlen.http.exceptions are built with this class; set from here so the
# exceptions module needs no import of this one.
HTTPException.response_class = Response

_new_object = object.__new__
# PERF: str(int) is a tenth of a hello response; short bodies take their length from here (and
# Erlen.wsgi_app's text path its Content-Length pair).
_LENGTHS = tuple(str(n) for n in range(512))
LENGTH_PAIRS = tuple(("Content-Length", length) for length in _LENGTHS)
#: ``("Content-Type", value)`` by mimetype, for the utf-8 charset: as bounded as
#: response_pairs.utf8_content_types, whose entries these are.
_ct_pairs: dict[str | None, tuple[str, str]] = {}
