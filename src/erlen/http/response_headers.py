"""Typed response header values: the property factories and codecs behind ``Response``'s
header attributes, and the live objects (``cache_control``, ``content_range``,
``www_authenticate``, ``mimetype_params``) whose changes rewrite the header.

Every write goes through :class:`~erlen.http.datastructures.Headers`, whose CR/LF/NUL check keeps a
value from splitting the response. Setting ``None`` (or ``del``) removes a header.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta, timezone

from .safeparse import parse_uint

if t.TYPE_CHECKING:
    from .datastructures import Headers
    from .headervalues import ContentRange, HeaderSet, ResponseCacheControl, WWWAuthenticate
    from .response_fields import ResponseHeaderFields


# -- header property factories ---------------------------------------------------------------------


def header_property(
    name: str,
    doc: str,
    load: t.Callable[[str], t.Any] | None = None,
    dump: t.Callable[[t.Any], str] | None = None,
) -> property:
    """A property reading and writing one header; ``None`` (or ``del``) removes it."""

    def fget(self: ResponseHeaderFields) -> t.Any:
        value = self.headers.get(name)
        if value is None or load is None:
            return value
        return load(value)

    def fset(self: ResponseHeaderFields, value: t.Any) -> None:
        if value is None:
            self.headers.remove(name)
        else:
            self.headers.set(name, value if dump is None else dump(value))

    def fdel(self: ResponseHeaderFields) -> None:
        self.headers.remove(name)

    return property(fget, fset, fdel, doc)


def set_header_property(name: str, doc: str) -> property:
    """A property giving a live :class:`HeaderSet`: changing the set rewrites the header."""

    def fget(self: ResponseHeaderFields) -> HeaderSet:
        from .headervalues import parse_set_header

        def on_update(header_set: HeaderSet) -> None:
            if not header_set:
                self.headers.remove(name)
            else:
                self.headers.set(name, header_set.to_header())

        return parse_set_header(self.headers.get(name), on_update)

    def fset(self: ResponseHeaderFields, value: t.Any) -> None:
        if not value:
            self.headers.remove(name)
        elif isinstance(value, str):
            self.headers.set(name, value)
        else:
            self.headers.set(name, dump_set(value))

    def fdel(self: ResponseHeaderFields) -> None:
        self.headers.remove(name)

    return property(fget, fset, fdel, doc)


def int_or_none(value: str) -> int | None:
    return parse_uint(value.strip())


def load_date(value: str) -> datetime | None:
    from .dates import parse_date

    return parse_date(value)


def dump_date(value: t.Any) -> str:
    if isinstance(value, str):
        return value
    from .dates import http_date

    return http_date(value)


def load_age(value: str) -> timedelta | None:
    seconds = int_or_none(value.strip())
    if seconds is None or seconds < 0:
        return None
    return timedelta(seconds=seconds)


def dump_age(value: timedelta | int) -> str:
    seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
    if seconds < 0:
        raise ValueError(f"Age cannot be negative ({seconds}).")
    return str(seconds)


def load_set(value: str) -> HeaderSet:
    # NOTE: Werkzeug's CORS sets are snapshots (no write-back) and None when absent; kept so.
    from .headervalues import parse_set_header

    return parse_set_header(value)


def dump_set(value: t.Any) -> str:
    if isinstance(value, str):
        return value
    from .headervalues import dump_header

    return dump_header(value)


# -- live header objects ---------------------------------------------------------------------------
# NOTE: the callbacks read ``response.headers`` when they run, as the properties always did.


def get_mimetype_params(response: ResponseHeaderFields) -> dict[str, str]:
    from .datastructures import CallbackDict
    from .headervalues import dump_options_header, parse_options_header

    def on_update(d: CallbackDict[str, str]) -> None:
        response.headers.set("Content-Type", dump_options_header(response.mimetype or "", d))

    params = parse_options_header(response.headers.get("Content-Type", ""))[1]
    return CallbackDict(params, on_update)


def get_retry_after(headers: Headers) -> datetime | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    seconds = int_or_none(value.strip())
    if seconds is not None:
        return datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return load_date(value)


def set_retry_after(headers: Headers, value: datetime | int | str | None) -> None:
    if value is None:
        headers.remove("Retry-After")
    elif isinstance(value, datetime):
        headers.set("Retry-After", dump_date(value))
    else:
        headers.set("Retry-After", str(value))


def get_cache_control(response: ResponseHeaderFields) -> ResponseCacheControl:
    from .headervalues import ResponseCacheControl, parse_cache_control_header

    def on_update(cc: ResponseCacheControl) -> None:
        if not cc:
            response.headers.remove("Cache-Control")
        else:
            response.headers.set("Cache-Control", cc.to_header())

    return parse_cache_control_header(
        response.headers.get("Cache-Control"), on_update, ResponseCacheControl
    )


def get_content_range(response: ResponseHeaderFields) -> ContentRange:
    from .headervalues import ContentRange, parse_content_range_header

    def on_update(rng: ContentRange) -> None:
        if not rng:
            response.headers.remove("Content-Range")
        else:
            response.headers.set("Content-Range", rng.to_header())

    parsed = parse_content_range_header(response.headers.get("Content-Range"), on_update)
    return parsed if parsed is not None else ContentRange(None, None, None, on_update=on_update)


def set_content_range(headers: Headers, value: t.Any) -> None:
    if not value:
        headers.remove("Content-Range")
    elif isinstance(value, str):
        headers.set("Content-Range", value)
    else:
        headers.set("Content-Range", value.to_header())


def get_www_authenticate(response: ResponseHeaderFields) -> WWWAuthenticate:
    from .headervalues import WWWAuthenticate

    def on_update(value: WWWAuthenticate) -> None:
        response.www_authenticate = value

    value = WWWAuthenticate.from_header(response.headers.get("WWW-Authenticate"))
    if value is None:
        value = WWWAuthenticate("basic")
    value._on_update = on_update
    return value


def set_www_authenticate(headers: Headers, value: t.Any) -> None:
    if not value:
        headers.remove("WWW-Authenticate")
    elif isinstance(value, str):
        headers.set("WWW-Authenticate", value)
    elif isinstance(value, (list, tuple)):
        headers.setlist("WWW-Authenticate", [v.to_header() for v in value])
    else:
        headers.set("WWW-Authenticate", value.to_header())
