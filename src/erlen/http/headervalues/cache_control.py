"""The ``Cache-Control`` header: request and response directive dicts and their parser."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from ..safeparse import parse_uint
from .grammar import (
    _CallbackDict,
    dump_header,
    parse_dict_header,
)

_FLAG, _INT, _VALUE, _INT_OR_FLAG = "flag", "int", "value", "int_or_flag"


_DELTA_SECONDS_MAX = 2**31


class _Directive:
    """A ``Cache-Control`` directive exposed as a property of a cache-control dict."""

    def __init__(self, key: str, kind: str) -> None:
        self.key = key
        self.kind = kind

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        if self.key not in obj:
            return False if self.kind == _FLAG else None
        value = obj[self.key]
        if self.kind == _FLAG:
            return True
        if value is None:
            return True if self.kind in (_VALUE, _INT_OR_FLAG) else None
        if self.kind == _VALUE:
            return value
        # NOTE: delta-seconds is 1*DIGIT; "-1" or "1.5" read as missing.
        # SECURITY: RFC 9111 1.2.2: a delta-seconds too large to represent counts as 2**31.
        return parse_uint(value, limit=_DELTA_SECONDS_MAX)

    def __set__(self, obj: Any, value: Any) -> None:
        if value is None or value is False:
            if self.key in obj:
                del obj[self.key]
        elif value is True or self.kind == _FLAG:
            obj[self.key] = None
        elif self.kind == _VALUE:
            obj[self.key] = str(value)
        else:
            obj[self.key] = str(int(value))

    def __delete__(self, obj: Any) -> None:
        self.__set__(obj, None)


class _CacheControl(_CallbackDict):
    """Directives in a dict (lowercased keys, ``None`` for a bare directive)."""

    provided: bool

    def __init__(
        self,
        values: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | None = (),
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(values or (), on_update)
        self.provided = values is not None

    no_cache: Any
    no_store = _Directive("no-store", _FLAG)
    max_age = _Directive("max-age", _INT)
    no_transform = _Directive("no-transform", _FLAG)
    stale_if_error = _Directive("stale-if-error", _INT)

    def to_header(self) -> str:
        """Serialize to header text."""
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        items = " ".join(f"{k}={v!r}" for k, v in sorted(self.items()))
        return f"<{type(self).__name__} {items}>"


class RequestCacheControl(_CacheControl):
    """A request's ``Cache-Control`` (read-only)."""

    no_cache = _Directive("no-cache", _FLAG)
    max_stale = _Directive("max-stale", _INT_OR_FLAG)
    min_fresh = _Directive("min-fresh", _INT)
    only_if_cached = _Directive("only-if-cached", _FLAG)

    def _changed(self) -> None:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._changed()

    def __delitem__(self, key: Any) -> None:
        self._changed()

    def clear(self) -> None:
        self._changed()

    def pop(self, key: Any, *default: Any) -> Any:
        self._changed()

    def popitem(self) -> Any:
        self._changed()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._changed()


class ResponseCacheControl(_CacheControl):
    """A response's ``Cache-Control``; setting ``None``/``False`` removes a directive.

    >>> cc = ResponseCacheControl()
    >>> cc.max_age = 60; cc.public = True
    >>> cc.to_header()
    'max-age=60, public'
    """

    no_cache = _Directive("no-cache", _VALUE)
    public = _Directive("public", _FLAG)
    private = _Directive("private", _VALUE)
    must_revalidate = _Directive("must-revalidate", _FLAG)
    proxy_revalidate = _Directive("proxy-revalidate", _FLAG)
    s_maxage = _Directive("s-maxage", _INT)
    immutable = _Directive("immutable", _FLAG)
    must_understand = _Directive("must-understand", _FLAG)
    stale_while_revalidate = _Directive("stale-while-revalidate", _INT)


_CC = TypeVar("_CC", bound=_CacheControl)


def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[Any], None] | None = None,
    cls: type[_CC] | None = None,
) -> _CC:
    """Parse ``Cache-Control`` into ``cls`` (``RequestCacheControl`` by default)."""
    cc_cls: Any = RequestCacheControl if cls is None else cls
    if not value:
        return cc_cls(None, on_update)
    # NOTE: directive names are case-insensitive (RFC 9111 5.2); Werkzeug keeps their case.
    directives = {k.lower(): v for k, v in parse_dict_header(value).items()}
    return cc_cls(directives, on_update)
