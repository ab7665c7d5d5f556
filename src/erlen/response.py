"""The response object: a status line, a header list and a body iterable.

The API is Werkzeug's ``Response`` with Flask's additions (``default_mimetype = "text/html"``,
``max_cookie_size`` from the app config, ``json_module``). Invariants kept by this module:

- ``_status_code`` (int) and ``_status`` (the status line, ``"200 OK"``) always agree; both are set
  together by :func:`_clean_status` or, for the common codes, from the ``_STATUS_LINES`` table.
- ``headers`` is a :class:`~erlen.datastructures.Headers`; every value went through its CR/LF/NUL
  check, so nothing set here can split the response.
- ``response`` is the body iterable. ``str``/``bytes`` bodies are stored as a one-item list of
  bytes (a *sequence*, whose length is known); anything else streams and gets no automatic
  ``Content-Length``.
- Emission (:meth:`Response.get_wsgi_response`) never mutates the response: it works on a copy of
  the header list and drops the body for ``HEAD``, 1xx, 204 and 304.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import chain
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from . import json as _json
from .datastructures import CallbackDict, Headers
from .exceptions import HTTP_STATUS_CODES

if t.TYPE_CHECKING:
    from .headervalues import ContentRange, HeaderSet, ResponseCacheControl, WWWAuthenticate

__all__ = ["FileWrapper", "Response", "is_resource_modified", "wrap_file"]

StartResponse = t.Callable[..., t.Callable[[bytes], object]]
WSGIApp = t.Callable[[dict[str, t.Any], StartResponse], Iterable[bytes]]

# PERF: status lines of the known codes, built once; ``Response(..., 200)`` is a dict lookup.
_STATUS_LINES: dict[int, str] = {c: f"{c} {p.upper()}" for c, p in HTTP_STATUS_CODES.items()}
_NO_BODY_STATUSES = frozenset({*range(100, 200), 204, 304})

# Mimetypes that are text without saying so in a ``text/`` prefix: they get a charset parameter.
_CHARSET_MIMETYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)
# Headers that describe the body, dropped from a 304 (RFC 9110 15.4.5); like Werkzeug, Expires
# and Content-Location are kept.
_ENTITY_HEADERS = frozenset(
    {
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-range",
        "content-type",
        "last-modified",
    }
)
# PERF: checked Content-Type values by mimetype, for the usual utf-8 charset.
_utf8_content_types: dict[str | None, str] = {}


def _content_type(mimetype: str, charset: str) -> str:
    """``mimetype`` with ``; charset=...`` added when it names a textual type; checked for CR/LF."""
    if charset == "utf-8":
        value = _utf8_content_types.get(mimetype)
        if value is not None:
            return value
    value = mimetype
    if mimetype.startswith("text/") or mimetype in _CHARSET_MIMETYPES or mimetype.endswith("+xml"):
        value = f"{mimetype}; charset={charset}"
    Headers._check("Content-Type", value)
    if charset == "utf-8" and len(_utf8_content_types) < 64:  # NOTE: bounded, may be user data
        _utf8_content_types[mimetype] = value
    return value


def _dict_pairs(headers: dict[str, t.Any]) -> list[tuple[str, str]]:
    """Checked header pairs from a plain dict; a list or tuple value gives one pair per item."""
    check = Headers._check
    pairs = []
    for key, value in headers.items():
        if isinstance(value, (list, tuple)):
            pairs.extend([check(key, item) for item in value])
        else:
            pairs.append(check(key, value))
    return pairs


def _index(pairs: list[tuple[str, str]], lower: str) -> int:
    """Position of the first pair named ``lower`` (case-insensitively), or -1."""
    i = 0
    for name, _ in pairs:
        if name.lower() == lower:
            return i
        i += 1
    return -1


def _set_pair(pairs: list[tuple[str, str]], name: str, value: str) -> None:
    """``Headers.set`` for a value already checked: replace the first match, drop the others.

    PERF: spares Headers.set's re-check and list rebuild on the constructor's path.
    """
    lower = name.lower()
    i = _index(pairs, lower)
    if i < 0:
        pairs.append((name, value))
        return
    pairs[i] = (name, value)
    if _index(pairs[i + 1 :], lower) >= 0:
        pairs[i + 1 :] = [pair for pair in pairs[i + 1 :] if pair[0].lower() != lower]


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


def _iter_encoded(iterable: Iterable[str | bytes], charset: str) -> Iterator[bytes]:
    for item in iterable:
        yield item.encode(charset) if isinstance(item, str) else item


def _utc(value: datetime | str | None) -> datetime | None:
    """A header date as an aware UTC datetime without microseconds (HTTP has none)."""
    if isinstance(value, str):
        from .dates import parse_date

        value = parse_date(value)
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.replace(microsecond=0)


def _environ_of(request_or_environ: t.Any) -> dict[str, t.Any]:
    if isinstance(request_or_environ, dict):
        return request_or_environ
    return request_or_environ.environ  # type: ignore[no-any-return]


# -- URLs in Location headers ---------------------------------------------------------------------

_PATH_SAFE = "%!$&'()*+,/:;=@"


def _iri_to_uri(iri: str) -> str:
    """Percent-encode what may not appear raw in a URI; IDNA-encode a non-ASCII host."""
    parts = urlsplit(iri)
    netloc = parts.netloc
    if not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        if hostport.startswith("["):  # an IPv6 literal is ASCII already
            host, colon, port = hostport, "", ""
        userinfo = quote(userinfo, safe="%!$&'()*+,:;=")
        netloc = f"{userinfo}{at}{host.encode('idna').decode('ascii')}{colon}{port}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_PATH_SAFE),
            quote(parts.query, safe=_PATH_SAFE + "?"),
            quote(parts.fragment, safe=_PATH_SAFE + "?#"),
        )
    )


def _current_url(environ: dict[str, t.Any]) -> str:
    """The request URL without the query string, as the server saw it."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = str(environ.get("SERVER_PORT", ""))
        if port and (scheme, port) not in (("http", "80"), ("https", "443")):
            host = f"{host}:{port}"
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe=_PATH_SAFE)
    return f"{scheme}://{host}{path}"


# -- header property factories ---------------------------------------------------------------------


def _header(
    name: str,
    doc: str,
    load: t.Callable[[str], t.Any] | None = None,
    dump: t.Callable[[t.Any], str] | None = None,
) -> property:
    """A property reading and writing one header; ``None`` (or ``del``) removes it."""

    def fget(self: Response) -> t.Any:
        value = self.headers.get(name)
        if value is None or load is None:
            return value
        return load(value)

    def fset(self: Response, value: t.Any) -> None:
        if value is None:
            self.headers.remove(name)
        else:
            self.headers.set(name, value if dump is None else dump(value))

    def fdel(self: Response) -> None:
        self.headers.remove(name)

    return property(fget, fset, fdel, doc)


def _set_header(name: str, doc: str) -> property:
    """A property giving a live :class:`HeaderSet`: changing the set rewrites the header."""

    def fget(self: Response) -> HeaderSet:
        from .headervalues import parse_set_header

        def on_update(header_set: HeaderSet) -> None:
            if not header_set:
                self.headers.remove(name)
            else:
                self.headers.set(name, header_set.to_header())

        return parse_set_header(self.headers.get(name), on_update)

    def fset(self: Response, value: t.Any) -> None:
        if not value:
            self.headers.remove(name)
        elif isinstance(value, str):
            self.headers.set(name, value)
        else:
            self.headers.set(name, _dump_set(value))

    def fdel(self: Response) -> None:
        self.headers.remove(name)

    return property(fget, fset, fdel, doc)


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def _load_date(value: str) -> datetime | None:
    from .dates import parse_date

    return parse_date(value)


def _dump_date(value: t.Any) -> str:
    if isinstance(value, str):
        return value
    from .dates import http_date

    return http_date(value)


def _load_age(value: str) -> timedelta | None:
    seconds = _int_or_none(value.strip())
    if seconds is None or seconds < 0:
        return None
    return timedelta(seconds=seconds)


def _dump_age(value: timedelta | int) -> str:
    seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
    if seconds < 0:
        raise ValueError(f"Age cannot be negative ({seconds}).")
    return str(seconds)


def _load_set(value: str) -> HeaderSet:
    # NOTE: Werkzeug's CORS sets are snapshots (no write-back) and None when absent; kept so.
    from .headervalues import parse_set_header

    return parse_set_header(value)


def _dump_set(value: t.Any) -> str:
    if isinstance(value, str):
        return value
    from .headervalues import dump_header

    return dump_header(value)


# -- the response ----------------------------------------------------------------------------------


class Response:
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
    #: ``loads``/``dumps`` for :meth:`get_json`: erlen.json, which follows ``current_app.json``.
    json_module: t.Any = _json
    #: The body: an iterable of bytes or str. A list or tuple counts as buffered (is_sequence).
    response: Iterable[bytes] | Iterable[str]
    headers: Headers
    direct_passthrough: bool
    #: Callbacks for close(); a shared empty tuple until call_on_close makes a list.
    _on_close: t.Any = ()
    #: PERF: True while the class keeps Response's set_data and WSGI emission methods, so the
    #: hot paths may skip calling them; recomputed for each subclass.
    _fast_path = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fast_path = all(
            getattr(cls, name) is getattr(Response, name)
            for name in ("set_data", "get_wsgi_headers", "get_app_iter", "iter_encoded")
        )

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
        # NOTE: Headers.__init__ only makes ``_list``, which is assigned below.
        self.headers = hdrs = _new_object(Headers)

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
            ct = _utf8_content_types.get(mimetype) if charset == "utf-8" else None
            if ct is not None:
                body: bytes = response.encode(charset) if kind is str else response  # type: ignore[union-attr,assignment]
                size = len(body)
                length = _LENGTHS[size] if size < 512 else str(size)
                hdrs._list = [("Content-Type", ct), ("Content-Length", length)]
                self.response = [body]
                return

        if headers is None:
            pairs: list[tuple[str, str]] = []
        elif isinstance(headers, Headers):
            pairs = headers._list[:]
        elif type(headers) is dict:
            pairs = _dict_pairs(headers)  # PERF: the (body, status, {...}) view return
        else:
            pairs = Headers(headers)._list
        hdrs._list = pairs

        if content_type is None:
            if mimetype is None and _index(pairs, "content-type") < 0:
                mimetype = self.default_mimetype
            if mimetype is not None:
                content_type = _content_type(mimetype, self.charset)
        else:
            content_type = Headers._check("Content-Type", content_type)[1]
        if content_type is not None:
            _set_pair(pairs, "Content-Type", content_type)

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
                _set_pair(pairs, "Content-Length", _LENGTHS[size] if size < 512 else str(size))
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
        return _iter_encoded(self.response, self.charset)

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
    def stream(self) -> _ResponseStream:
        """A write-only file-like object appending to the body."""
        stream = self.__dict__.get("_stream")
        if stream is None:
            stream = self.__dict__["_stream"] = _ResponseStream(self)
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

    # -- content type ------------------------------------------------------------------------------

    content_type = _header(
        "Content-Type", "The Content-Type header, e.g. 'text/html; charset=utf-8'."
    )

    @property
    def mimetype(self) -> str | None:
        """The mimetype without parameters, e.g. ``"text/html"``; setting adds the charset."""
        ct = self.headers.get("Content-Type")
        return ct.split(";", 1)[0].strip() if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", _content_type(value, self.charset))

    @property
    def mimetype_params(self) -> dict[str, str]:
        """Content-Type parameters (``{"charset": "utf-8"}``); changing the dict rewrites the header."""
        from .headervalues import dump_options_header, parse_options_header

        def on_update(d: CallbackDict[str, str]) -> None:
            self.headers.set("Content-Type", dump_options_header(self.mimetype or "", d))

        params = parse_options_header(self.headers.get("Content-Type", ""))[1]
        return CallbackDict(params, on_update)

    # -- plain header properties -------------------------------------------------------------------

    content_length = _header(
        "Content-Length", "The body length in bytes, as an int.", _int_or_none, str
    )
    location = _header("Location", "Where a redirect points.")
    content_location = _header("Content-Location", "The URL of the sent representation.")
    content_encoding = _header("Content-Encoding", "The coding applied to the body, e.g. 'gzip'.")
    content_md5 = _header("Content-MD5", "An MD5 digest of the body (obsolete).")
    accept_ranges = _header("Accept-Ranges", "Range units the server accepts, e.g. 'bytes'.")
    age = _header("Age", "Seconds since the origin generated the response.", _load_age, _dump_age)
    date = _header("Date", "When the response was generated.", _load_date, _dump_date)
    expires = _header("Expires", "When the response becomes stale.", _load_date, _dump_date)
    last_modified = _header(
        "Last-Modified", "When the resource last changed.", _load_date, _dump_date
    )
    vary = _set_header("Vary", "Request headers that select the representation.")
    allow = _set_header("Allow", "Methods the resource supports.")
    content_language = _set_header("Content-Language", "Languages of the intended audience.")

    @property
    def access_control_allow_credentials(self) -> bool:
        """Whether credentials may be shared (CORS): the header is present."""
        return "Access-Control-Allow-Credentials" in self.headers

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value:
            self.headers.set("Access-Control-Allow-Credentials", "true")
        else:
            self.headers.remove("Access-Control-Allow-Credentials")

    access_control_allow_headers = _header(
        "Access-Control-Allow-Headers",
        "Headers a cross-origin request may send (CORS), as a HeaderSet.",
        _load_set,
        _dump_set,
    )
    access_control_allow_methods = _header(
        "Access-Control-Allow-Methods",
        "Methods a cross-origin request may use (CORS), as a HeaderSet.",
        _load_set,
        _dump_set,
    )
    access_control_allow_origin = _header(
        "Access-Control-Allow-Origin", "The origin allowed to read the response (CORS)."
    )
    access_control_expose_headers = _header(
        "Access-Control-Expose-Headers",
        "Headers a cross-origin script may read (CORS), as a HeaderSet.",
        _load_set,
        _dump_set,
    )
    access_control_max_age = _header(
        "Access-Control-Max-Age",
        "Seconds a preflight answer may be cached (CORS).",
        _int_or_none,
        str,
    )

    @property
    def retry_after(self) -> datetime | None:
        """When to retry (``Retry-After``), as an aware datetime; set seconds or a datetime."""
        value = self.headers.get("Retry-After")
        if value is None:
            return None
        seconds = _int_or_none(value.strip())
        if seconds is not None:
            return datetime.now(timezone.utc) + timedelta(seconds=seconds)
        return _load_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        if value is None:
            self.headers.remove("Retry-After")
        elif isinstance(value, datetime):
            self.headers.set("Retry-After", _dump_date(value))
        else:
            self.headers.set("Retry-After", str(value))

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` header as an object; changing it rewrites the header.

        >>> resp.cache_control.max_age = 60
        """
        from .headervalues import ResponseCacheControl, parse_cache_control_header

        def on_update(cc: ResponseCacheControl) -> None:
            if not cc:
                self.headers.remove("Cache-Control")
            else:
                self.headers.set("Cache-Control", cc.to_header())

        return parse_cache_control_header(
            self.headers.get("Cache-Control"), on_update, ResponseCacheControl
        )

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` header as an object; changing it rewrites the header."""
        from .headervalues import ContentRange, parse_content_range_header

        def on_update(rng: ContentRange) -> None:
            if not rng:
                self.headers.remove("Content-Range")
            else:
                self.headers.set("Content-Range", rng.to_header())

        parsed = parse_content_range_header(self.headers.get("Content-Range"), on_update)
        return parsed if parsed is not None else ContentRange(None, None, None, on_update=on_update)

    @content_range.setter
    def content_range(self, value: t.Any) -> None:
        if not value:
            self.headers.remove("Content-Range")
        elif isinstance(value, str):
            self.headers.set("Content-Range", value)
        else:
            self.headers.set("Content-Range", value.to_header())

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The ``WWW-Authenticate`` challenge; a blank ``Basic`` one when unset. Live-updating.

        Assign a :class:`~erlen.headervalues.WWWAuthenticate`, a list of them (one header each),
        a string, or ``None`` to remove the header.
        """
        from .headervalues import WWWAuthenticate

        def on_update(value: WWWAuthenticate) -> None:
            self.www_authenticate = value

        value = WWWAuthenticate.from_header(self.headers.get("WWW-Authenticate"))
        if value is None:
            value = WWWAuthenticate("basic")
        value._on_update = on_update
        return value

    @www_authenticate.setter
    def www_authenticate(self, value: t.Any) -> None:
        if not value:
            self.headers.remove("WWW-Authenticate")
        elif isinstance(value, str):
            self.headers.set("WWW-Authenticate", value)
        elif isinstance(value, (list, tuple)):
            self.headers.setlist("WWW-Authenticate", [v.to_header() for v in value])
        else:
            self.headers.set("WWW-Authenticate", value.to_header())

    @www_authenticate.deleter
    def www_authenticate(self) -> None:
        self.headers.remove("WWW-Authenticate")

    # -- cookies -----------------------------------------------------------------------------------

    @property
    def max_cookie_size(self) -> int:
        """Largest cookie allowed: ``MAX_COOKIE_SIZE`` of the current app, else 4093."""
        from .globals import _cv_app

        ctx = _cv_app.get(None)
        if ctx is not None:
            return ctx.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return 4093

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header. See :func:`erlen.cookies.dump_cookie` for the arguments."""
        from .cookies import dump_cookie

        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key,
                value=value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                max_size=self.max_cookie_size,
                samesite=samesite,
                partitioned=partitioned,
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Tell the client to drop a cookie: an empty value that expired in 1970.

        ``path`` and ``domain`` must match the ones the cookie was set with.
        """
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

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
        :class:`~erlen.exceptions.RequestedRangeNotSatisfiable` (416). ``complete_length`` is the
        full body length; for a buffered body it is computed when not given. The body itself is
        dropped at emission time for 304. Returns ``self``; other methods leave it unchanged.
        """
        environ = _environ_of(request_or_environ)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self
        headers = self.headers
        if "date" not in headers:
            from .dates import http_date

            headers.set("Date", http_date())
        if accept_ranges:
            headers.set("Accept-Ranges", "bytes" if accept_ranges is True else accept_ranges)
        if 200 <= self._status_code < 300:
            code = _precondition_status(environ, headers.get("ETag"), headers.get("Last-Modified"))
            if code is not None:
                self.status_code = code
            elif accept_ranges and self._status_code == 200:
                self._process_range(environ, complete_length)
        if self.automatically_set_content_length and "content-length" not in headers:
            length = self.calculate_content_length()
            if length is not None:
                headers.set("Content-Length", str(length))
        return self

    def _process_range(self, environ: dict[str, t.Any], complete_length: int | None) -> None:
        """Turn this 200 into a 206 for the request's ``Range``, or raise 416."""
        range_header = environ.get("HTTP_RANGE")
        if range_header is None:
            return
        if complete_length is None:
            if not self.is_sequence:
                return
            complete_length = self.calculate_content_length()
        if not complete_length:
            return
        if_range = environ.get("HTTP_IF_RANGE")
        if if_range is not None and not self._if_range_holds(if_range):
            return  # the client's copy is stale: send the whole representation
        from .exceptions import RequestedRangeNotSatisfiable
        from .headervalues import parse_range_header

        parsed = parse_range_header(range_header)
        bounds = parsed.range_for_length(complete_length) if parsed is not None else None
        if bounds is None:
            raise RequestedRangeNotSatisfiable(length=complete_length)
        start, stop = bounds
        self.headers.set("Content-Range", f"bytes {start}-{stop - 1}/{complete_length}")
        self.headers.set("Content-Length", str(stop - start))
        self.status_code = 206
        if self.is_sequence:
            self.response = [b"".join(self.iter_encoded())[start:stop]]
        else:
            self.response = _RangeWrapper(self.response, start, stop - start)  # type: ignore[arg-type]

    def _if_range_holds(self, value: str) -> bool:
        """RFC 9110 13.1.5: an entity tag must match strongly, a date exactly."""
        value = value.strip()
        if value.startswith(('"', "W/")):
            etag, weak = self.get_etag()
            return (
                not value.startswith("W/")
                and not weak
                and etag is not None
                and value == f'"{etag}"'
            )
        since = _utc(value)
        modified = _utc(self.headers.get("Last-Modified"))
        return since is not None and modified is not None and modified == since

    # -- WSGI --------------------------------------------------------------------------------------

    def _wsgi_header_list(self, environ: dict[str, t.Any]) -> list[tuple[str, str]]:
        """The header pairs to send for ``environ``: a copy, fixed up for the status code."""
        pairs = self.headers._list[:]
        code = self._status_code
        has_length = False
        i = 0
        for name, value in pairs:
            if name == "Content-Length":
                has_length = True
            elif name in _PLAIN_HEADERS:  # PERF: spares a lower() for the usual names
                pass
            elif name.lower() == "content-length":
                has_length = True
            elif (lower := name.lower()) == "location" or lower == "content-location":
                if lower == "location" and self.autocorrect_location_header:
                    value = urljoin(_current_url(environ), value)
                if not _uri_ok(value):
                    value = _iri_to_uri(value)
                pairs[i] = (name, value)
            i += 1
        if code in _NO_BODY_STATUSES:
            if code == 304:
                # NOTE: a 304 describes no body (RFC 9110 15.4.5); Expires and
                # Content-Location stay, as Werkzeug keeps them.
                pairs = [p for p in pairs if p[0].lower() not in _ENTITY_HEADERS]
            elif has_length:  # RFC 9112 6.3: never for 1xx or 204
                pairs = [p for p in pairs if p[0].lower() != "content-length"]
        elif not has_length and self.automatically_set_content_length and self.is_sequence:
            length = sum(len(chunk) for chunk in self.iter_encoded())
            pairs.append(("Content-Length", str(length)))
        return pairs

    def get_wsgi_headers(self, environ: dict[str, t.Any]) -> Headers:
        """A copy of the headers as they will be sent for ``environ``.

        Adds ``Content-Length`` for a buffered body, drops it for 1xx/204, drops body headers for
        304, and percent-encodes ``Location`` (made absolute if ``autocorrect_location_header``).
        """
        headers = Headers()
        headers._list = self._wsgi_header_list(environ)
        return headers

    def get_app_iter(self, environ: dict[str, t.Any]) -> Iterable[bytes]:
        """The body to send: empty for ``HEAD``, 1xx, 204 and 304. Closing it closes the response."""
        body = self.response
        if self._status_code in _NO_BODY_STATUSES or environ.get("REQUEST_METHOD") == "HEAD":
            iterable: Iterable[bytes] = ()
        elif self.direct_passthrough:
            return body  # type: ignore[return-value]
        elif type(body) is list and len(body) == 1 and type(body[0]) is bytes:
            if not self._on_close:
                return body  # PERF: the set_data shape: encoded, and nothing to close
            iterable = body
        else:
            iterable = self.iter_encoded()
        if not self._on_close and (type(body) is list or not hasattr(body, "close")):
            return iterable  # PERF: nothing to close, so no wrapper
        return _ClosingIterator(iterable, self.close)

    def get_wsgi_response(
        self, environ: dict[str, t.Any]
    ) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        """``(app_iter, status, header_list)`` ready for ``start_response``."""
        if not self._fast_path:  # NOTE: honour a subclass's overrides
            headers = self.get_wsgi_headers(environ)
            return self.get_app_iter(environ), self.status, headers.to_wsgi_list()
        body = self.response
        pairs = self.headers._list
        # PERF: the usual view result (one encoded chunk with exactly Content-Type and
        # Content-Length) needs no header fix-up and no body wrapper.
        if (
            type(body) is list
            and len(body) == 1
            and len(pairs) == 2
            and pairs[0][0] == "Content-Type"
            and pairs[1][0] == "Content-Length"
            and type(body[0]) is bytes
            and not self._on_close
            and not self.direct_passthrough
            and self._status_code not in _NO_BODY_STATUSES
            and environ.get("REQUEST_METHOD") != "HEAD"
        ):
            return body, self._status, pairs[:]
        pairs = self._wsgi_header_list(environ)  # PERF: no Headers object in between
        return self.get_app_iter(environ), self._status, pairs

    def __call__(self, environ: dict[str, t.Any], start_response: StartResponse) -> Iterable[bytes]:
        """A response is a WSGI application that sends itself."""
        app_iter, status, headers = self.get_wsgi_response(environ)
        start_response(status, headers)
        return app_iter

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
            response = Response(*_run_wsgi_app(response, environ))
        response.__class__ = cls
        return response  # type: ignore[no-any-return]

    @classmethod
    def from_app(cls, app: WSGIApp, environ: dict[str, t.Any], buffered: bool = False) -> Response:
        """Run a WSGI application and wrap its output; ``buffered`` reads the whole body now."""
        return cls(*_run_wsgi_app(app, environ, buffered))


_new_object = object.__new__
# PERF: str(int) is a tenth of a hello response; short bodies take their length from here.
_LENGTHS = tuple(str(n) for n in range(512))
_URI_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,/:;=?@#"
)
# Common header names that _wsgi_header_list has nothing to do for.
_PLAIN_HEADERS = frozenset(
    {
        "Content-Type",
        "Set-Cookie",
        "ETag",
        "Vary",
        "Date",
        "Cache-Control",
        "Last-Modified",
        "Expires",
        "Content-Encoding",
        "Accept-Ranges",
        "Content-Range",
        "Content-Disposition",
    }
)


def _uri_ok(value: str) -> bool:
    """True when ``value`` needs no percent-encoding (PERF: spares the URL split)."""
    return _URI_CHARS.issuperset(value) and value.count("#") <= 1


def _precondition_status(
    environ: dict[str, t.Any], etag: str | None, last_modified: str | None
) -> int | None:
    """412, 304 or ``None`` (proceed) for a GET/HEAD, evaluated as RFC 9110 13.2.2 orders it."""
    from .dates import parse_date
    from .headervalues import parse_etags, unquote_etag

    tag, weak = unquote_etag(etag) if etag else (None, None)
    if_match = environ.get("HTTP_IF_MATCH")
    if if_match is not None:
        tags = parse_etags(if_match)
        if not (tags.star_tag or (tag is not None and not weak and tags.is_strong(tag))):
            return 412
    elif (since := environ.get("HTTP_IF_UNMODIFIED_SINCE")) is not None:
        date, modified = parse_date(since), _utc(last_modified)
        if date is not None and modified is not None and modified > date:
            return 412
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        if tags.star_tag or (tag is not None and tags.contains_weak(tag)):
            return 304
    elif (since := environ.get("HTTP_IF_MODIFIED_SINCE")) is not None:
        date, modified = parse_date(since), _utc(last_modified)
        if date is not None and modified is not None and modified <= date:
            return 304
    return None


def is_resource_modified(
    environ: dict[str, t.Any],
    etag: str | None = None,
    data: bytes | None = None,
    last_modified: datetime | str | None = None,
    ignore_if_range: bool = True,
) -> bool:
    """Whether the request's validators say the client's copy is out of date (Werkzeug's helper).

    ``data`` hashes into an ETag when ``etag`` is not given. An ETag, when known, decides over
    dates: ``If-Match`` (strong match means "modified", i.e. go ahead), else ``If-None-Match``
    (weak match means unmodified). With ``ignore_if_range=False`` and a ``Range`` header, the
    ``If-Range`` validator replaces those.
    """
    from .dates import parse_date
    from .headervalues import generate_etag, parse_etags, parse_if_range_header, unquote_etag

    if data is not None:
        if etag is not None:
            raise TypeError("both data and etag given")
        etag = generate_etag(data)
    if_range = None
    if not ignore_if_range and environ.get("HTTP_RANGE") is not None:
        if_range = parse_if_range_header(environ.get("HTTP_IF_RANGE"))

    since = if_range.date if if_range is not None and if_range.date is not None else None
    if since is None:
        since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    modified = _utc(last_modified)
    unmodified = since is not None and modified is not None and modified <= since
    if not etag:
        return not unmodified

    tag = unquote_etag(etag)[0]
    if tag is None:
        return not unmodified
    if if_range is not None and if_range.etag is not None:
        return not parse_etags(if_range.etag).contains(tag)
    if_match = parse_etags(environ.get("HTTP_IF_MATCH"))
    if if_match:
        return bool(if_match.is_strong(tag))
    if_none_match = parse_etags(environ.get("HTTP_IF_NONE_MATCH"))
    if if_none_match:
        return not if_none_match.contains_weak(tag)
    return not unmodified


# -- body iterables ----------------------------------------------------------------------------------


class _ClosingIterator:
    """Iterate ``iterable``; ``close()`` (called by the server) runs ``close``."""

    __slots__ = ("_iter", "_close")

    def __init__(self, iterable: Iterable[bytes], close: t.Callable[[], t.Any]) -> None:
        self._iter = iter(iterable)
        self._close = close

    def __iter__(self) -> _ClosingIterator:
        return self

    def __next__(self) -> bytes:
        return next(self._iter)

    def close(self) -> None:
        self._close()


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


class _RangeWrapper:
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


class _ResponseStream:
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


def _run_wsgi_app(
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
            body = _ClosingIterator(body, close)
    else:
        body = app_iter
    return body, *_started(started)


def _started(started: list[t.Any]) -> tuple[str, Headers]:
    if not started:
        raise RuntimeError("The WSGI application returned without calling start_response.")
    return started[0], Headers(started[1])
