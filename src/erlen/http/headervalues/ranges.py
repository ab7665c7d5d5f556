"""Conditional and partial requests: ``Range``, ``Content-Range``, ``If-Range`` and entity tags.

``parse_range_header``, ``parse_etags`` and the etag helpers (``quote_etag``, ``unquote_etag``,
``generate_etag``) serve ``Response.make_conditional``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from ..dates import http_date, parse_date
from ..safeparse import parse_uint
from .grammar import (
    _TOKEN,
    _split,
)

# SECURITY: a byte position is read with a cap, so a 4 kB number is just a huge position
# (a 416 or the whole file), never int()'s 4300-digit ValueError.
_MAX_POSITION = 2**63 - 1


class Range:
    """A parsed ``Range`` header: ``ranges`` are ``(start, stop)``, stop exclusive or ``None``.

    A suffix range ``-500`` is ``(-500, None)``.
    """

    def __init__(
        self,
        units: str,
        ranges: list[tuple[int, int | None]],
        on_update: Callable[[Range], None] | None = None,
    ) -> None:
        self.units = units
        self.ranges = ranges
        self.on_update = on_update

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The byte range to serve from a body of ``length`` bytes; ``None`` if unsatisfiable.

        Only a single ``bytes`` range is served.
        """
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                # NOTE: RFC 9110 14.1.3: a suffix longer than the body selects all of it
                # (Werkzeug answers 416).
                start = max(length + start, 0)
        if start >= length:
            return None
        return start, min(stop, length)

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """The ``ContentRange`` answering this range for a body of ``length`` bytes."""
        rng = self.range_for_length(length)
        if rng is None:
            return None
        return ContentRange(self.units, rng[0], rng[1], length)

    def to_content_range_header(self, length: int | None) -> str | None:
        """The ``Content-Range`` header text for a body of ``length`` bytes."""
        content_range = self.make_content_range(length)
        return None if content_range is None else content_range.to_header()

    def to_header(self) -> str:
        """Serialize to header text (inclusive end positions)."""
        specs = []
        for start, stop in self.ranges:
            if stop is None:
                specs.append(f"{start}" if start < 0 else f"{start}-")
            else:
                specs.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(specs)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_range_header(value: str | None, make_inclusive: bool = True) -> Range | None:
    """Parse ``Range: bytes=0-499``; ``None`` if invalid, overlapping or out of order.

    >>> parse_range_header("bytes=-500").ranges
    [(-500, None)]
    """
    if not value or "=" not in value:
        return None
    units, _, spec = value.partition("=")
    units = units.strip().lower()
    if not _TOKEN.fullmatch(units):
        return None
    ranges: list[tuple[int, int | None]] = []
    last_end: float = 0
    for item in spec.split(","):
        first, dash, last = item.strip().partition("-")
        if not dash:
            return None
        if not first:
            suffix = parse_uint(last, _MAX_POSITION)
            if suffix is None:
                return None
            ranges.append((-suffix, None))
            continue
        start = parse_uint(first, _MAX_POSITION)
        end = parse_uint(last, _MAX_POSITION) if last else None
        if start is None or (last and end is None) or start < last_end:
            return None
        if end is not None:
            if end < start:
                return None
            ranges.append((start, end + 1))
            last_end = end + 1
        else:
            ranges.append((start, None))
            last_end = float("inf")
    return Range(units, ranges)


class ContentRange:
    """The ``Content-Range`` header: ``units start-(stop-1)/length``; stop is exclusive."""

    _FIELDS = ("units", "start", "stop", "length")
    units: str | None
    start: int | None
    stop: int | None
    length: int | None
    on_update: Callable[[ContentRange], None] | None

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], None] | None = None,
    ) -> None:
        object.__setattr__(self, "on_update", None)
        self.set(start, stop, length, units)
        self.on_update = on_update

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in self._FIELDS and self.on_update is not None:
            self.on_update(self)

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Set all fields at once (one ``on_update`` call)."""
        for name, value in zip(self._FIELDS, (units, start, stop, length), strict=True):
            object.__setattr__(self, name, value)
        if self.on_update is not None:
            self.on_update(self)

    def unset(self) -> None:
        """Clear the header (``to_header()`` becomes empty)."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        """Serialize to header text; empty when ``units`` is ``None``."""
        if self.units is None:
            return ""
        length = "*" if self.length is None else self.length
        if self.start is None:
            return f"{self.units} */{length}"
        return f"{self.units} {self.start}-{self.stop - 1}/{length}"  # type: ignore[operator]

    def __bool__(self) -> bool:
        return self.units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_content_range_header(
    value: str | None, on_update: Callable[[ContentRange], None] | None = None
) -> ContentRange | None:
    """Parse ``Content-Range: bytes 0-499/1234``; ``None`` if invalid."""
    if not value:
        return None
    units, _, rest = value.strip().partition(" ")
    rest = rest.strip()
    if not _TOKEN.fullmatch(units) or "/" not in rest:
        return None
    rng, _, length_text = rest.partition("/")
    if length_text == "*":
        length = None
    else:
        length = parse_uint(length_text, _MAX_POSITION)
        if length is None:
            return None
    if rng == "*":
        return ContentRange(units, None, None, length, on_update=on_update)
    first, dash, last = rng.partition("-")
    start, end = parse_uint(first, _MAX_POSITION), parse_uint(last, _MAX_POSITION)
    if not dash or start is None or end is None:
        return None
    # NOTE: RFC 9110 14.4: the last position must be below the length (Werkzeug allows equal).
    if end < start or (length is not None and end >= length):
        return None
    return ContentRange(units, start, end + 1, length, on_update=on_update)


class IfRange:
    """The ``If-Range`` header: an entity tag or a date."""

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def to_header(self) -> str:
        """Serialize to header text."""
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            # NOTE: a tag parsed from a request may hold a '"' (invalid, so it matches no
            # response): shown as sent, where quote_etag would raise.
            return f'"{self.etag}"'
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse ``If-Range``: a date if it reads as one, else an entity tag."""
    if not value:
        return IfRange()
    when = parse_date(value)
    if when is not None:
        return IfRange(date=when)
    return IfRange(unquote_etag(value)[0])


class ETags:
    """A set of entity tags (``If-Match``, ``If-None-Match``), strong and weak, or ``*``."""

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        # NOTE: dicts, not sets, so to_header() keeps the order the tags came in.
        self._strong = dict.fromkeys(strong_etags or ())
        self._weak = dict.fromkeys(weak_etags or ())
        self.star_tag = star_tag

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The tags as a set, strong only unless ``include_weak``."""
        result = set(self._strong)
        if include_weak:
            result.update(self._weak)
        return result

    def is_weak(self, etag: str) -> bool:
        """Whether ``etag`` is in the weak tags."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """Whether ``etag`` is in the strong tags."""
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison (RFC 9110 8.8.3.2): any tag with the same opaque value."""
        return self.is_weak(etag) or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """Strong comparison: ``*`` or a strong tag equal to ``etag``."""
        return self.star_tag or self.is_strong(etag)

    def contains_raw(self, etag: str) -> bool:
        """Like ``contains`` for a quoted tag; a weak one uses weak comparison."""
        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def to_header(self) -> str:
        """Serialize to header text."""
        if self.star_tag:
            return "*"
        return ", ".join(
            [f'"{tag}"' for tag in self._strong] + [f'W/"{tag}"' for tag in self._weak]
        )

    def __call__(self, etag: str | None = None, data: bytes | None = None) -> bool:
        if etag is None:
            if data is None:
                raise TypeError("'data' or 'etag' required")
            etag = generate_etag(data)
        return self.contains(etag)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def parse_etags(value: str | None) -> ETags:
    """Parse ``If-Match``/``If-None-Match``; unquoted tags are accepted as sent."""
    if not value:
        return ETags()
    strong: list[str] = []
    weak: list[str] = []
    for item in _split(value, ",", escapes=False):
        item = item.strip()
        is_weak = item[:2] in ("W/", "w/")
        if is_weak:
            item = item[2:].strip()
        if item == "*":
            return ETags(star_tag=True)
        if len(item) >= 2 and item[0] == item[-1] == '"':
            item = item[1:-1]
        elif not item:
            continue
        (weak if is_weak else strong).append(item)
    return ETags(strong, weak)


def quote_etag(etag: str, weak: bool = False) -> str:
    """Quote an entity tag, ``W/`` prefixed if weak. Tags cannot contain ``"``."""
    if '"' in etag:
        raise ValueError("invalid etag")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]:
    """Split a quoted entity tag into ``(tag, weak)``; ``(None, None)`` for nothing."""
    if not etag:
        return None, None
    etag = etag.strip()
    weak = etag[:2] in ("W/", "w/")
    if weak:
        etag = etag[2:]
    if len(etag) >= 2 and etag[0] == etag[-1] == '"':
        etag = etag[1:-1]
    return etag, weak


def generate_etag(data: bytes) -> str:
    """An entity tag for a body: the SHA-1 hex digest (a fingerprint, not a secret)."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
