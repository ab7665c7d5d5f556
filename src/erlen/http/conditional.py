"""Conditional requests (RFC 9110 section 13) and byte ranges: 304, 412, 206 and 416.

:func:`make_conditional` is :meth:`erlen.http.response.Response.make_conditional`; it works on the
response's headers and body and never touches the request. Invariants:

- only ``GET`` and ``HEAD`` are answered conditionally; other methods leave the response as is;
- preconditions run in the RFC's order: ``If-Match`` (else ``If-Unmodified-Since``) failing gives
  412, then ``If-None-Match`` (else ``If-Modified-Since``) matching gives 304;
- a range is served only for a 200 whose ``If-Range`` (if any) still holds; an unsatisfiable one
  raises 416.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from .bodies import RangeWrapper

if t.TYPE_CHECKING:
    from .response import Response

__all__ = ["is_resource_modified", "make_conditional"]


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


def make_conditional(
    response: Response,
    request_or_environ: t.Any,
    accept_ranges: bool | str = False,
    complete_length: int | None = None,
) -> Response:
    """Answer a conditional ``GET``/``HEAD`` with ``response``: 304, 412 or 206 (or raise 416).

    See :meth:`erlen.http.response.Response.make_conditional`. Returns ``response``.
    """
    environ = _environ_of(request_or_environ)
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return response
    headers = response.headers
    if "date" not in headers:
        from .dates import http_date

        headers.set("Date", http_date())
    if accept_ranges:
        headers.set("Accept-Ranges", "bytes" if accept_ranges is True else accept_ranges)
    if 200 <= response._status_code < 300:
        code = _precondition_status(environ, headers.get("ETag"), headers.get("Last-Modified"))
        if code is not None:
            response.status_code = code
        elif accept_ranges and response._status_code == 200:
            _process_range(response, environ, complete_length)
    if response.automatically_set_content_length and "content-length" not in headers:
        length = response.calculate_content_length()
        if length is not None:
            headers.set("Content-Length", str(length))
    return response


def _process_range(
    response: Response, environ: dict[str, t.Any], complete_length: int | None
) -> None:
    """Turn this 200 into a 206 for the request's ``Range``, or raise 416."""
    range_header = environ.get("HTTP_RANGE")
    if range_header is None:
        return
    if complete_length is None:
        if not response.is_sequence:
            return
        complete_length = response.calculate_content_length()
    if not complete_length:
        return
    if_range = environ.get("HTTP_IF_RANGE")
    if if_range is not None and not _if_range_holds(response, if_range):
        return  # the client's copy is stale: send the whole representation
    from .exceptions import RequestedRangeNotSatisfiable
    from .headervalues import parse_range_header

    parsed = parse_range_header(range_header)
    bounds = parsed.range_for_length(complete_length) if parsed is not None else None
    if bounds is None:
        raise RequestedRangeNotSatisfiable(length=complete_length)
    start, stop = bounds
    response.headers.set("Content-Range", f"bytes {start}-{stop - 1}/{complete_length}")
    response.headers.set("Content-Length", str(stop - start))
    response.status_code = 206
    if response.is_sequence:
        response.response = [b"".join(response.iter_encoded())[start:stop]]
    else:
        response.response = RangeWrapper(response.response, start, stop - start)  # type: ignore[arg-type]


def _if_range_holds(response: Response, value: str) -> bool:
    """RFC 9110 13.1.5: an entity tag must match strongly, a date exactly."""
    value = value.strip()
    if value.startswith(('"', "W/")):
        etag, weak = response.get_etag()
        return not value.startswith("W/") and not weak and etag is not None and value == f'"{etag}"'
    since = _utc(value)
    modified = _utc(response.headers.get("Last-Modified"))
    return since is not None and modified is not None and modified == since


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
