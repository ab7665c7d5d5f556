"""A response's header list (``Headers._list``): built at construction, fixed up at emission.

PERF: :class:`~erlen.http.response.Response` builds its pairs with these helpers rather than
``Headers.set``, since every value here was checked once already; the constructor reads
:data:`utf8_content_types` directly. Invariants:

- every pair went through ``Headers._check`` (no CR/LF/NUL), so none can split the response;
- :func:`wsgi_header_list` returns a copy and never mutates the response;
- no ``Content-Length`` for 1xx/204 (RFC 9112 6.3), no body headers for 304 (RFC 9110 15.4.5).
"""

from __future__ import annotations

import typing as t
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .datastructures import Headers

_new_object = object.__new__

if t.TYPE_CHECKING:
    from .response import Response

NO_BODY_STATUSES = frozenset({*range(100, 200), 204, 304})

# Mimetypes that are text without saying so in a ``text/`` prefix: they get a charset parameter.
CHARSET_MIMETYPES = frozenset(
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
ENTITY_HEADERS = frozenset(
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
# Common header names that wsgi_header_list has nothing to do for.
PLAIN_HEADERS = frozenset(
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
# PERF: checked Content-Type values by mimetype, for the usual utf-8 charset.
utf8_content_types: dict[str | None, str] = {}


def content_type_for(mimetype: str, charset: str) -> str:
    """``mimetype`` with ``; charset=...`` added when it names a textual type; checked for CR/LF."""
    if charset == "utf-8":
        value = utf8_content_types.get(mimetype)
        if value is not None:
            return value
    value = mimetype
    if mimetype.startswith("text/") or mimetype in CHARSET_MIMETYPES or mimetype.endswith("+xml"):
        value = f"{mimetype}; charset={charset}"
    Headers._check("Content-Type", value)
    if charset == "utf-8" and len(utf8_content_types) < 64:  # NOTE: bounded, may be user data
        utf8_content_types[mimetype] = value
    return value


def dict_pairs(headers: dict[str, t.Any]) -> list[tuple[str, str]]:
    """Checked header pairs from a plain dict; a list or tuple value gives one pair per item."""
    check = Headers._check
    pairs = []
    for key, value in headers.items():
        if isinstance(value, (list, tuple)):
            pairs.extend([check(key, item) for item in value])
        else:
            pairs.append(check(key, value))
    return pairs


def index_of(pairs: list[tuple[str, str]], lower: str) -> int:
    """Position of the first pair named ``lower`` (case-insensitively), or -1."""
    i = 0
    for name, _ in pairs:
        if name.lower() == lower:
            return i
        i += 1
    return -1


def set_pair(pairs: list[tuple[str, str]], name: str, value: str) -> None:
    """``Headers.set`` for a value already checked: replace the first match, drop the others.

    PERF: spares Headers.set's re-check and list rebuild on the constructor's path.
    """
    lower = name.lower()
    i = index_of(pairs, lower)
    if i < 0:
        pairs.append((name, value))
        return
    pairs[i] = (name, value)
    if index_of(pairs[i + 1 :], lower) >= 0:
        pairs[i + 1 :] = [pair for pair in pairs[i + 1 :] if pair[0].lower() != lower]


# -- emission: URLs in Location headers ------------------------------------------------------------

_PATH_SAFE = "%!$&'()*+,/:;=@"
_URI_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,/:;=?@#"
)


def uri_ok(value: str) -> bool:
    """True when ``value`` needs no percent-encoding (PERF: spares the URL split)."""
    return _URI_CHARS.issuperset(value) and value.count("#") <= 1


def iri_to_uri(iri: str) -> str:
    """Percent-encode what may not appear raw in a URI; IDNA-encode a non-ASCII host.

    SECURITY: never raises and never leaves CR, LF or NUL in the result, so a redirect target
    taken from user input gives a harmless Location header, not a 500 or a split response.
    """
    try:
        parts = urlsplit(iri)
        netloc = parts.netloc
        if not netloc.isascii():
            userinfo, at, hostport = netloc.rpartition("@")
            host, colon, port = hostport.partition(":")
            if hostport.startswith("["):  # an IPv6 literal is ASCII already
                host, colon, port = hostport, "", ""
            userinfo = quote(userinfo, safe="%!$&'()*+,:;=")
            netloc = f"{userinfo}{at}{host.encode('idna').decode('ascii')}{colon}{port}"
        # SECURITY: controls and spaces in the authority (a NUL in the host) are escaped too.
        netloc = quote(netloc, safe="%!$&'()*+,:;=@[]")
    except (ValueError, UnicodeError):
        # NOTE: not a URL urlsplit or IDNA accept (e.g. "http://[::1/x"): quote it whole.
        return quote(iri, safe=_PATH_SAFE + "?#[]")
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_PATH_SAFE),
            quote(parts.query, safe=_PATH_SAFE + "?"),
            quote(parts.fragment, safe=_PATH_SAFE + "?#"),
        )
    )


def current_url(environ: dict[str, t.Any]) -> str:
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


# -- emission: the header list as sent -------------------------------------------------------------


def wsgi_header_list(response: Response, environ: dict[str, t.Any]) -> list[tuple[str, str]]:
    """The header pairs to send for ``environ``: a copy, fixed up for the status code."""
    pairs = response.headers._list[:]
    code = response._status_code
    has_length = False
    i = 0
    for name, value in pairs:
        if name == "Content-Length":
            has_length = True
        elif name in PLAIN_HEADERS:  # PERF: spares a lower() for the usual names
            pass
        elif name.lower() == "content-length":
            has_length = True
        elif (lower := name.lower()) == "location" or lower == "content-location":
            if lower == "location" and response.autocorrect_location_header:
                value = urljoin(current_url(environ), value)
            if not uri_ok(value):
                value = iri_to_uri(value)
            pairs[i] = (name, value)
        i += 1
    if code in NO_BODY_STATUSES:
        if code == 304:
            # NOTE: a 304 describes no body (RFC 9110 15.4.5); Expires and
            # Content-Location stay, as Werkzeug keeps them.
            pairs = [p for p in pairs if p[0].lower() not in ENTITY_HEADERS]
        elif has_length:  # RFC 9112 6.3: never for 1xx or 204
            pairs = [p for p in pairs if p[0].lower() != "content-length"]
    elif not has_length and response.automatically_set_content_length and response.is_sequence:
        length = sum(len(chunk) for chunk in response.iter_encoded())
        pairs.append(("Content-Length", str(length)))
    return pairs


# -- replacing ``response.headers`` ----------------------------------------------------------------


def as_headers(value: t.Any) -> Headers:
    """``value`` (any mapping, multi-value mapping or iterable of pairs) as a :class:`Headers`.

    A Werkzeug ``MultiDict`` gives every value of a key (``items(multi=True)``); its ``Headers``
    iterates as pairs. Each value goes through the usual CR/LF/NUL check.
    """
    if isinstance(value, Headers):
        return value
    headers = Headers()
    items = getattr(value, "items", None)
    if items is not None:
        try:
            pairs = items(multi=True)
        except TypeError:
            pairs = items()
        headers.extend(list(pairs))
    else:
        headers.extend(value)
    return headers


class HeadersField:
    """``Response.headers``: assigning any mapping or list of pairs stores it as ``Headers``.

    Extensions replace the headers wholesale (Flask-CORS assigns a Werkzeug ``MultiDict``); the
    emission code and the typed properties need erlen's ``Headers``. The value lives in the
    instance attribute ``_headers``.

    PERF: the constructor and the WSGI emission use ``_headers`` directly. Writing the instance
    ``__dict__`` instead (as this descriptor once did) materialised a dict on every response,
    which on Python 3.11 turns every attribute access of the response into a dict lookup and cost
    about 1k instructions per hello request.
    """

    def __get__(self, obj: t.Any, owner: t.Any = None) -> t.Any:
        if obj is None:
            return self
        headers = obj._headers
        if headers is None:
            # PERF: the constructor's fast path left the pairs alone; the object wraps that list.
            headers = obj._headers = _new_object(Headers)
            headers._list = obj._pairs
        return headers

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        obj._headers = as_headers(value)
