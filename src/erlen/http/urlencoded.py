"""URL-encoded text: query strings and ``application/x-www-form-urlencoded`` bodies.

:func:`parse_qsl_limited` turns ``a=1&b=%C3%A9`` into pairs under a field limit, with Werkzeug's
decoding rules (``+`` is a space, an invalid escape stays literal, bytes that are not UTF-8 stay
as ``%XX``). :mod:`erlen.http.formparser` uses it for form bodies, the request for ``args``.
"""

from __future__ import annotations

import codecs
import typing as t
from codecs import escape_decode  # type: ignore[attr-defined]
from urllib.parse import unquote

from .exceptions import BadRequest, HTTPException


def _url_quote_errors(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: show undecodable bytes as ``%XX`` instead of raising (Werkzeug's rule)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(f"%{b:02X}" for b in bad), exc.end


codecs.register_error("erlen.url_quote", _url_quote_errors)


# Every "XX" hex pair (either case) and the byte it escapes.
_HEX_BYTE = {
    f"{a}{b}".encode(): bytes((int(a + b, 16),))
    for a in "0123456789abcdefABCDEF"
    for b in "0123456789abcdefABCDEF"
}


def _unquote(text: str) -> str:
    """Percent-decode ``text`` as UTF-8; bytes that are not UTF-8 stay as ``%XX``, an invalid
    escape (``%zz``, a lone ``%``) stays as it is."""
    if not text.isascii():
        return unquote(text, errors="erlen.url_quote")
    # PERF: with its backslashes doubled, "%XX" becomes "\xXX", which codecs.escape_decode (the
    # C decoder pickle uses for bytes escapes) undoes in one call; it takes the ASCII text as is
    # (no encoding step). An invalid escape makes it raise, and then the escapes are undone one
    # by one.
    raw = text.replace("\\", "\\\\") if "\\" in text else text
    try:
        data: bytes = escape_decode(raw.replace("%", "\\x"))[0]
    except ValueError:
        head, *rest = text.encode("ascii").split(b"%")
        out = [head]
        for part in rest:
            byte = _HEX_BYTE.get(part[:2])
            if byte is None:
                out.append(b"%")
                out.append(part)
            else:
                out.append(byte)
                out.append(part[2:])
        data = b"".join(out)
    return data.decode("utf-8", "erlen.url_quote")


def _unquote_pair(key: str, value: str) -> tuple[str, str]:
    """A field's key and value, percent-decoded (the rare path of :func:`_parse_lists`)."""
    return (_unquote(key) if "%" in key else key, _unquote(value) if "%" in value else value)


@t.overload
def _parse_lists(
    qs: str | bytes,
    max_fields: int | None,
    too_many: type[HTTPException],
    what: str,
    pairs: t.Literal[False] = False,
) -> dict[str, list[str]]: ...


@t.overload
def _parse_lists(
    qs: str | bytes,
    max_fields: int | None,
    too_many: type[HTTPException],
    what: str,
    pairs: t.Literal[True],
) -> list[tuple[str, str]]: ...


def _parse_lists(
    qs: str | bytes,
    max_fields: int | None,
    too_many: type[HTTPException],
    what: str,
    pairs: bool = False,
) -> dict[str, list[str]] | list[tuple[str, str]]:
    """The fields of ``qs`` grouped by key: ``{key: [values in order]}``, keys in the order they
    first came (the storage of :class:`~erlen.http.datastructures.MultiDict`); with ``pairs``,
    the ``(key, value)`` pairs in order (:func:`_parse_pairs`).

    More than ``max_fields`` non-empty fields raise ``too_many``; ``what`` names the text in
    its message.
    """
    # PERF: one function from the text to the dict (the hot path of ``args`` and ``form``).
    # PERF: the exact-class test first (~300 instructions less than isinstance for a str).
    if qs.__class__ is not str and isinstance(qs, bytes):
        qs = qs.decode("utf-8", "erlen.url_quote")
    # PERF: the whole string is searched and rewritten once rather than each field: "+" is a
    # space anywhere (an escaped "%2B" is undone later, so it stays a "+").
    if "+" in qs:
        qs = qs.replace("+", " ")
    escaped = False
    if "%" in qs:
        if "%26" in qs or "%3D" in qs or "%3d" in qs:
            # An escaped "&" or "=" forbids decoding before splitting: each key and value is
            # decoded on its own.
            escaped = True
        else:
            # PERF: no escaped "&" or "=", so undoing every escape at once splits the same way
            # (an undecodable byte shows as "%XX", never as "&" or "="), in one call.
            qs = _unquote(qs)
    fields = qs.split("&")
    # SECURITY: bound the number of fields (hash-collision and allocation DoS).
    if max_fields is not None and len(fields) > max_fields:
        if sum(1 for field in fields if field) > max_fields:
            raise too_many(f"Too many {what} fields (the limit is {max_fields}).")
    if pairs:
        found: list[tuple[str, str]] = []
        for field in fields:
            if field:
                key, _, value = field.partition("=")
                found.append(_unquote_pair(key, value) if escaped else (key, value))
        return found
    # PERF: the pairs are grouped as they are split, in a plain dict (whose operations the
    # interpreter specialises), instead of a list of pairs grouped again by MultiDict.
    lists: dict[str, list[str]] = {}
    for field in fields:
        if field:
            key, _, value = field.partition("=")
            if escaped:
                key, value = _unquote_pair(key, value)
            if key in lists:
                lists[key].append(value)
            else:
                lists[key] = [value]
    return lists


def _parse_pairs(
    qs: str | bytes, max_fields: int | None, too_many: type[HTTPException], what: str
) -> list[tuple[str, str]]:
    """The fields of ``qs`` as ``(key, value)`` pairs, in order (see :func:`_parse_lists`)."""
    return _parse_lists(qs, max_fields, too_many, what, True)


def parse_qsl_limited(qs: str | bytes, max_fields: int | None = 1000) -> list[tuple[str, str]]:
    """Parse a query string into ``(key, value)`` pairs, as ``request.args`` sees them.

    ``&`` separates fields (``;`` does not), ``+`` is a space, a field without ``=`` has the value
    ``""``, empty fields are dropped, an invalid escape such as ``%zz`` stays literal, and bytes that
    are not UTF-8 stay as ``%XX``; it never raises on encoding. Pass the raw bytes (under WSGI,
    ``environ["QUERY_STRING"].encode("latin-1")``); a ``str`` is taken as already-decoded text.

    >>> parse_qsl_limited(b"a=1+2&b=&c=%zz&a=%C3%A9")
    [('a', '1 2'), ('b', ''), ('c', '%zz'), ('a', 'é')]

    SECURITY: more than ``max_fields`` non-empty fields raise :class:`BadRequest` (400; the query
    string is not a body, so not 413). ``None`` means no limit.
    """
    if not qs:
        return []
    return _parse_pairs(qs, max_fields, BadRequest, "query string")


def parse_qs_lists(qs: str | bytes, max_fields: int | None = 1000) -> dict[str, list[str]]:
    """:func:`parse_qsl_limited` grouped by key: ``{key: [values in order]}``, the storage of a
    :class:`~erlen.http.datastructures.MultiDict` (``request.args`` is built from it).

    >>> parse_qs_lists("tag=a&q=x&tag=b")
    {'tag': ['a', 'b'], 'q': ['x']}
    """
    if not qs:
        return {}
    return _parse_lists(qs, max_fields, BadRequest, "query string")
