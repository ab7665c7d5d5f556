"""The ``Accept``, ``Accept-Language`` and ``Accept-Charset`` header values and their parser.

``request.accept_mimetypes.best_match(["application/json", "text/html"])`` picks what to send.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .grammar import (
    _QUALITY,
    _TOKEN,
    _is_quoted,
    _split,
    parse_options_header,
    quote_header_value,
    unquote_header_value,
)

_A = TypeVar("_A", bound="Accept")


class Accept(tuple):
    """An ``Accept*`` header: ``(value, quality)`` pairs, most specific then best first.

    ``accept["gzip"]`` is the quality for a value (0 if not accepted); ``best_match`` picks
    the best of the values a server can offer.
    """

    provided: bool

    def __new__(cls, values: Iterable[tuple[str, float]] | None = ()) -> Accept:
        items = list(values) if values is not None else []
        # NOTE: sorted() with reverse=True is stable: equal items keep header order.
        items = sorted(items, key=lambda item: (cls._specificity(item[0]), item[1]), reverse=True)
        self = super().__new__(cls, items)
        self.provided = values is not None
        return self

    @staticmethod
    def _specificity(value: str) -> tuple[int, ...]:
        return (value != "*",)

    def _normalize(self, value: str) -> str:
        return value.lower()

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or self._normalize(item) == self._normalize(value)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self.quality(key)
        return super().__getitem__(key)

    def quality(self, key: str) -> float:
        """The client's quality for ``key``, 0 when it is not accepted."""
        for item, quality in self:
            if self._value_matches(key, item):
                return quality
        return 0

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return super().__contains__(value)
        return any(self._value_matches(value, item) for item, _ in self)

    def find(self, key: str) -> int:
        """Index of the first item matching ``key``, or -1."""
        for index, (item, _) in enumerate(self):
            if self._value_matches(key, item):
                return index
        return -1

    def index(self, key: Any, *args: Any) -> int:
        """Like ``find`` for a string, but raise ``ValueError`` when missing."""
        if isinstance(key, str):
            index = self.find(key)
            if index < 0:
                raise ValueError(key)
            return index
        return super().index(key, *args)

    def values(self) -> Iterator[str]:
        """Iterate over the values, best first."""
        return (value for value, _ in self)

    def to_header(self) -> str:
        """Serialize back to header text."""
        return ",".join(v if q == 1 else f"{v};q={q}" for v, q in self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The offered value the client prefers: highest quality, then most specific.

        >>> MIMEAccept([("text/*", 1), ("text/html", 0.5)]).best_match(["text/html", "text/plain"])
        'text/plain'
        """
        matches = list(matches)
        index = _pick(self, matches, self._value_matches, self._specificity)
        return default if index is None else matches[index]

    @property
    def best(self) -> str | None:
        """The client's first choice."""
        return self[0][0] if self else None


def _pick(
    items: Iterable[tuple[str, float]],
    matches: list[str],
    value_matches: Callable[[str, str], bool],
    specificity: Callable[[str], tuple[int, ...]],
) -> int | None:
    """Index of the offer with the best (quality, specificity) of its first matching item.

    ``items`` are sorted most specific first, so the first match is the one that applies.
    """
    result, best = None, None
    for index, server in enumerate(matches):
        for item, quality in items:
            if value_matches(server, item):
                rank = (quality, specificity(item))
                if quality > 0 and (best is None or rank > best):
                    result, best = index, rank
                break
    return result


def _parse_mimetype(value: str) -> tuple[str, str, dict[str, str]] | None:
    mimetype, params = parse_options_header(value)
    kind, slash, subtype = mimetype.partition("/")
    if mimetype == "*":
        return "*", "*", params
    if not slash or not kind or not subtype or (kind == "*" and subtype != "*"):
        return None
    return kind, subtype, {k: v.lower() for k, v in params.items()}


class MIMEAccept(Accept):
    """``Accept``: media ranges with ``type/*`` and ``*/*`` wildcards."""

    @staticmethod
    def _specificity(value: str) -> tuple[int, ...]:
        parsed = _parse_mimetype(value)
        if parsed is None:
            return (0, 0, 0)
        return (parsed[0] != "*", parsed[1] != "*", len(parsed[2]))

    def _value_matches(self, value: str, item: str) -> bool:
        # NOTE: an invalid media type never matches (Werkzeug raises ValueError).
        client = _parse_mimetype(item)
        server = _parse_mimetype(value)
        if client is None or server is None:
            return False
        if client[0] == "*" or server[0] == "*":
            return True
        if client[0] != server[0]:
            return False
        if client[1] == "*" or server[1] == "*":
            return True
        return client[1] == server[1] and client[2] == server[2]

    @property
    def accept_html(self) -> bool:
        """Whether HTML (or XHTML) is accepted."""
        return "text/html" in self or "application/xhtml+xml" in self or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        """Whether XHTML is accepted."""
        return "application/xhtml+xml" in self or "application/xml" in self

    @property
    def accept_json(self) -> bool:
        """Whether JSON is accepted."""
        return "application/json" in self


def _language(value: str) -> str:
    return value.replace("_", "-").lower()


class LanguageAccept(Accept):
    """``Accept-Language``: ``en`` matches ``en-US``, with a primary-tag fallback."""

    def _normalize(self, value: str) -> str:
        return _language(value)

    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """Best offered language, falling back to primary tags when nothing matches exactly.

        First exact matches; then the client's primary tags (``en-US`` accepts ``en``); then
        the offers' primary tags (``en`` accepts ``en-US``).

        >>> LanguageAccept([("de-AT", 1)]).best_match(["en", "de"])
        'de'
        """
        matches = list(matches)
        exact, spec = self._value_matches, self._specificity
        index = _pick(self, matches, exact, spec)
        if index is None:
            primary = [(_primary(item), q) for item, q in self]
            index = _pick(primary, matches, exact, spec)
        if index is None:
            index = _pick(self, [_primary(m) for m in matches], exact, spec)
        return default if index is None else matches[index]


def _primary(tag: str) -> str:
    return _language(tag).split("-", 1)[0]


class CharsetAccept(Accept):
    """``Accept-Charset``: values compared by codec (``utf8`` matches ``UTF-8``)."""

    def _normalize(self, value: str) -> str:
        try:
            return codecs.lookup(value).name
        except (LookupError, ValueError):
            return value.lower()


def parse_accept_header(value: str | None, cls: type[_A] | None = None) -> _A:
    """Parse an ``Accept*`` header; items with an invalid ``q`` are ignored.

    >>> parse_accept_header("gzip, br;q=0.5").best
    'gzip'
    """
    accept_cls: Any = Accept if cls is None else cls
    if not value:
        return accept_cls(None)
    items = []
    for item in _split(value, ","):
        pieces = _split(item, ";")
        name = pieces[0].strip()
        if not name:
            continue
        q_text = None
        params = []
        for piece in pieces[1:]:
            key, eq, val = piece.strip().partition("=")
            if not eq or not _TOKEN.fullmatch(key) or val[:1].isspace():
                continue
            if key.lower() == "q":
                q_text = val
            else:
                if _is_quoted(val):
                    val = unquote_header_value(val)
                params.append(f"{key.lower()}={quote_header_value(val)}")
        quality: float = 1
        if q_text is not None:
            if not _QUALITY.fullmatch(q_text) or not 0 <= float(q_text) <= 1:
                continue  # an invalid quality drops the item
            quality = float(q_text)
        items.append(("; ".join([name, *params]), quality))
    return accept_cls(items)
