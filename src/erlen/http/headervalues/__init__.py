"""Header value parsers and the value objects Werkzeug puts on requests and responses.

This module is their public home: it holds ``HeaderSet`` and ``UserAgent`` and re-exports the
rest, which live one job per module: the generic parsers in :mod:`erlen.http.headervalues.grammar`,
``Accept*`` in :mod:`erlen.http.headervalues.accept`, authentication in :mod:`erlen.http.headervalues.auth`,
ranges and entity tags in :mod:`erlen.http.headervalues.ranges`, ``Cache-Control`` in
:mod:`erlen.http.headervalues.cache_control`.

Invariants:

- Every ``parse_*`` function takes untrusted request text and never raises: garbage gives
  ``None``, an empty object, or drops the bad item (an ``Accept`` item with an invalid ``q``).
- Every ``to_header()`` quotes what is not a token, so a value cannot add items or parameters.
- Mutable response-side objects (``ResponseCacheControl``, ``HeaderSet``, ``ContentRange``,
  ``WWWAuthenticate``) call ``on_update(self)`` after each change so the response can write the
  header back.

Names, signatures and behaviour follow ``werkzeug.http`` and ``werkzeug.datastructures``;
the few deliberate differences are marked ``# NOTE:``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .accept import (
    Accept,
    CharsetAccept,
    LanguageAccept,
    MIMEAccept,
    parse_accept_header,
)
from .auth import Authorization, WWWAuthenticate
from .cache_control import (
    RequestCacheControl,
    ResponseCacheControl,
    parse_cache_control_header,
)
from .grammar import (
    dump_header,
    dump_options_header,
    parse_dict_header,
    parse_list_header,
    parse_options_header,
    quote_header_value,
    unquote_header_value,
)
from .ranges import (
    ContentRange,
    ETags,
    IfRange,
    Range,
    generate_etag,
    parse_content_range_header,
    parse_etags,
    parse_if_range_header,
    parse_range_header,
    quote_etag,
    unquote_etag,
)

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "ContentRange",
    "ETags",
    "HeaderSet",
    "IfRange",
    "LanguageAccept",
    "MIMEAccept",
    "Range",
    "RequestCacheControl",
    "ResponseCacheControl",
    "UserAgent",
    "WWWAuthenticate",
    "dump_header",
    "dump_options_header",
    "generate_etag",
    "parse_accept_header",
    "parse_cache_control_header",
    "parse_content_range_header",
    "parse_dict_header",
    "parse_etags",
    "parse_if_range_header",
    "parse_list_header",
    "parse_options_header",
    "parse_range_header",
    "parse_set_header",
    "quote_etag",
    "quote_header_value",
    "unquote_etag",
    "unquote_header_value",
]


class HeaderSet:
    """A case-insensitive ordered set of tokens (``Vary``, ``Allow``, ``Content-Language``)."""

    def __init__(
        self,
        headers: Iterable[str] | None = None,
        on_update: Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._headers: list[str] = []
        self._set: set[str] = set()
        for header in headers or ():
            if header.lower() not in self._set:
                self._headers.append(header)
                self._set.add(header.lower())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        """Add ``header`` unless an equal one (ignoring case) is present."""
        self.update((header,))

    def update(self, iterable: Iterable[str]) -> None:
        """Add every header from ``iterable``."""
        changed = False
        for header in iterable:
            if header.lower() not in self._set:
                self._headers.append(header)
                self._set.add(header.lower())
                changed = True
        if changed:
            self._changed()

    def remove(self, header: str) -> None:
        """Remove ``header``; ``KeyError`` if missing."""
        index = self.find(header)
        if index < 0:
            raise KeyError(header)
        del self[index]

    def discard(self, header: str) -> None:
        """Remove ``header`` if present."""
        if header.lower() in self._set:
            self.remove(header)

    def clear(self) -> None:
        """Remove everything."""
        self._headers.clear()
        self._set.clear()
        self._changed()

    def pop(self, index: int = -1) -> str:
        """Remove and return an item."""
        header = self._headers[index]
        del self[index]
        return header

    def find(self, header: str) -> int:
        """Index of ``header`` (ignoring case), or -1."""
        lowered = header.lower()
        for index, item in enumerate(self._headers):
            if item.lower() == lowered:
                return index
        return -1

    def index(self, header: str) -> int:
        """Like ``find``, but raise ``IndexError`` when missing."""
        index = self.find(header)
        if index < 0:
            raise IndexError(header)
        return index

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """A set of the items, lowercased unless ``preserve_casing``."""
        return set(self._headers) if preserve_casing else set(self._set)

    def to_header(self) -> str:
        """Serialize to header text."""
        return ", ".join(quote_header_value(header) for header in self._headers)

    def __getitem__(self, index: int) -> str:
        return self._headers[index]

    def __setitem__(self, index: int, value: str) -> None:
        old = self._headers[index]
        self._headers[index] = value
        self._set.discard(old.lower())
        self._set.add(value.lower())
        self._changed()

    def __delitem__(self, index: int) -> None:
        header = self._headers.pop(index)
        self._set.discard(header.lower())
        self._changed()

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._set

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeaderSet):
            return self._set == other._set
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self._headers)

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __bool__(self) -> bool:
        return bool(self._headers)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """Parse a comma-separated set header (``Vary: Accept, Cookie``)."""
    return HeaderSet(parse_list_header(value), on_update)


class UserAgent:
    """The ``User-Agent`` string.

    Like Werkzeug since 2.1 it is not parsed: ``platform``, ``browser``, ``version`` and
    ``language`` are ``None``, and the object is falsy (it tests ``browser``). Subclass it and
    set ``Request.user_agent_class`` to plug in a parser.
    """

    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        """The header text."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser}/{self.version}>"
