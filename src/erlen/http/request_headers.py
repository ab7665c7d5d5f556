"""The typed request header values behind ``Request``'s lazy attributes.

Each function takes the request and parses one header from its environ; ``Request`` wraps it
in its caching descriptor (``accept_mimetypes = _lazy(request_headers.accept_mimetypes)``), so
it runs at most once per request, and only when a view reads the attribute. Parsers are imported
on first use: a request that reads no header pays for none of them.
"""

from __future__ import annotations

import typing as t

from . import cookies as _cookies

# PERF: imported here, not in content_length (an import statement in a function costs ~10k
# instructions a call); request.py imports formparser anyway, so this costs nothing at import.
from .formparser import get_content_length
from .safeparse import parse_uint

if t.TYPE_CHECKING:
    from datetime import datetime

    from .datastructures import MultiDict
    from .request import Request


def content_length(request: Request) -> int | None:
    """The declared ``Content-Length``: ``None`` if absent; ``0`` if not a valid number
    (Werkzeug's rule; reading the body then answers 400).
    """
    return get_content_length(request.environ)


def parsed_content_type(request: Request) -> tuple[str, dict[str, str]]:
    value = request.environ.get("CONTENT_TYPE") or ""
    if ";" not in value:
        # PERF: the common case needs no parameter parsing.
        return value.strip().lower(), {}
    from .headervalues import parse_options_header

    mimetype, params = parse_options_header(value)
    return mimetype.lower(), params


def access_control_request_headers(request: Request) -> t.Any:
    """The ``Access-Control-Request-Headers`` as a ``HeaderSet``, or ``None``."""
    value = request.environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
    if value is None:
        return None
    from .headervalues import parse_set_header

    return parse_set_header(value)


def max_forwards(request: Request) -> int | None:
    value = request.environ.get("HTTP_MAX_FORWARDS")
    return None if value is None else parse_uint(value.strip())


def cookies(request: Request) -> MultiDict[str, str]:
    """The cookies sent by the client (UTF-8; nameless ``=value`` pairs are dropped)."""
    raw = request.environ.get("HTTP_COOKIE")
    if not raw:
        return request.dict_storage_class()
    # PERF: cookies is imported with this module; a "from ... import" in the function costs
    # ~10k instructions per call.
    return request.dict_storage_class(_cookies.parse_cookie_pairs(raw))


def authorization(request: Request) -> t.Any:
    """The parsed ``Authorization`` header (``.type``, ``.username``, ``.token``...) or None."""
    from .headervalues import Authorization

    return Authorization.from_header(request.environ.get("HTTP_AUTHORIZATION"))


def user_agent(request: Request) -> t.Any:
    """The ``User-Agent`` header as a ``UserAgent`` (``.string``)."""
    cls = request.user_agent_class
    if cls is None:
        from .headervalues import UserAgent

        cls = UserAgent
    return cls(request.environ.get("HTTP_USER_AGENT", ""))


def _accept(request: Request, key: str, cls_name: str) -> t.Any:
    from . import headervalues

    return headervalues.parse_accept_header(
        request.environ.get(key), getattr(headervalues, cls_name)
    )


def accept_mimetypes(request: Request) -> t.Any:
    """``Accept`` as a ``MIMEAccept``."""
    return _accept(request, "HTTP_ACCEPT", "MIMEAccept")


def accept_languages(request: Request) -> t.Any:
    """``Accept-Language`` as a ``LanguageAccept``."""
    return _accept(request, "HTTP_ACCEPT_LANGUAGE", "LanguageAccept")


def accept_charsets(request: Request) -> t.Any:
    """``Accept-Charset`` as a ``CharsetAccept``."""
    return _accept(request, "HTTP_ACCEPT_CHARSET", "CharsetAccept")


def accept_encodings(request: Request) -> t.Any:
    """``Accept-Encoding`` as an ``Accept``."""
    return _accept(request, "HTTP_ACCEPT_ENCODING", "Accept")


def cache_control(request: Request) -> t.Any:
    """``Cache-Control`` as a ``RequestCacheControl``."""
    from .headervalues import RequestCacheControl, parse_cache_control_header

    return parse_cache_control_header(
        request.environ.get("HTTP_CACHE_CONTROL"), None, RequestCacheControl
    )


def pragma(request: Request) -> t.Any:
    """``Pragma`` as a ``HeaderSet``."""
    from .headervalues import parse_set_header

    return parse_set_header(request.environ.get("HTTP_PRAGMA", ""))


def if_match(request: Request) -> t.Any:
    """``If-Match`` as ``ETags``."""
    from .headervalues import parse_etags

    return parse_etags(request.environ.get("HTTP_IF_MATCH"))


def if_none_match(request: Request) -> t.Any:
    """``If-None-Match`` as ``ETags``."""
    from .headervalues import parse_etags

    return parse_etags(request.environ.get("HTTP_IF_NONE_MATCH"))


def if_range(request: Request) -> t.Any:
    """``If-Range`` as an ``IfRange``."""
    from .headervalues import parse_if_range_header

    return parse_if_range_header(request.environ.get("HTTP_IF_RANGE"))


def range_header(request: Request) -> t.Any:
    """``Range`` as a ``Range``, or ``None`` if absent or invalid."""
    from .headervalues import parse_range_header

    return parse_range_header(request.environ.get("HTTP_RANGE"))


def _date(request: Request, key: str) -> datetime | None:
    from .dates import parse_date

    return parse_date(request.environ.get(key))


def date(request: Request) -> datetime | None:
    """``Date`` as an aware ``datetime``, or ``None``."""
    return _date(request, "HTTP_DATE")


def if_modified_since(request: Request) -> datetime | None:
    return _date(request, "HTTP_IF_MODIFIED_SINCE")


def if_unmodified_since(request: Request) -> datetime | None:
    return _date(request, "HTTP_IF_UNMODIFIED_SINCE")
