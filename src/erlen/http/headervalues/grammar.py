"""The grammar shared by header values: quoting, splitting, and the generic list, dict and
options parsers (``parse_options_header("text/html; charset=utf-8")``) with their dumpers.

Like every parser of header values, these take untrusted request text and never raise. Also here:
``_CallbackDict``, the base of the mutable header values that report each change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from ..safeparse import parse_uint

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")
_MAX_SECTION = 10_000  # RFC 2231 continuations: more sections than any real header has
_QUALITY = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# In option values only ``\\`` and ``\"`` are escapes; any other backslash is kept, as browsers
# send Windows paths (``filename="C:\dir\a.txt"``) unescaped.
_OPTION_QUOTED_PAIR = re.compile(r'\\([\\"])')
# The charsets an option's ``key*=charset'lang'value`` may name (RFC 8187 asks for the first two;
# Werkzeug also takes "ascii"); any other, or none, makes the parameter invalid.
_OPTION_CHARSETS = frozenset({"utf-8", "iso-8859-1", "us-ascii"})


def quote_header_value(value: Any, allow_token: bool = True) -> str:
    """Quote a header value unless it is a token (RFC 9110 quoted-string).

    >>> quote_header_value("a b")
    '"a b"'
    """
    value = str(value)
    if allow_token and _TOKEN.fullmatch(value):
        return value
    # SECURITY: escape '"' and '\\' so the value cannot end the quoted-string early.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_header_value(value: str) -> str:
    """Remove the quotes and quoted-pair escapes of a quoted-string; other text is unchanged."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return _QUOTED_PAIR.sub(r"\1", inner) if "\\" in inner else inner
    return value


def _split(value: str, sep: str, escapes: bool = True) -> list[str]:
    """Split ``value`` on ``sep`` outside quoted-strings. Pieces are not stripped."""
    if '"' not in value:
        return value.split(sep)  # PERF: the common case has no quotes at all
    pieces: list[str] = []
    start = 0
    quoted = False
    i = 0
    n = len(value)
    while i < n:
        char = value[i]
        if quoted:
            if char == "\\" and escapes:
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == sep:
            pieces.append(value[start:i])
            start = i + 1
        i += 1
    pieces.append(value[start:])
    return pieces


def _is_quoted(value: str) -> bool:
    """Whether ``value`` is one complete quoted-string."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return False
    inner = value[1:-1]
    i = 0
    while i < len(inner):
        if inner[i] == "\\":
            i += 2
            continue
        if inner[i] == '"':
            return False
        i += 1
    return i == len(inner)


def dump_header(iterable: Mapping[str, Any] | Iterable[Any]) -> str:
    """Join items (or ``key=value`` pairs, ``None`` meaning a bare key) with ``", "``.

    >>> dump_header({"max-age": 60, "private": None})
    'max-age=60, private'
    """
    if isinstance(iterable, Mapping):
        return ", ".join(
            key if value is None else f"{key}={quote_header_value(value)}"
            for key, value in iterable.items()
        )
    return ", ".join(quote_header_value(item) for item in iterable)


def dump_options_header(header: str | None, options: Mapping[str, Any]) -> str:
    """Build ``value; key=param`` text; ``None`` parameters are left out.

    >>> dump_options_header("text/html", {"charset": "utf-8"})
    'text/html; charset=utf-8'
    """
    parts = [] if header is None else [header]
    parts.extend(f"{k}={quote_header_value(v)}" for k, v in options.items() if v is not None)
    return "; ".join(parts)


def parse_list_header(value: str | None) -> list[str]:
    """Parse a comma-separated list; items that are whole quoted-strings are unquoted.

    >>> parse_list_header('a, "b, c", d')
    ['a', 'b, c', 'd']
    """
    if not value:
        return []
    result = []
    for item in _split(value, ","):
        item = item.strip()
        if item:
            result.append(unquote_header_value(item) if _is_quoted(item) else item)
    return result


def _decode_extended(value: str, charsets: frozenset[str] | None = None) -> str | None:
    """Decode an RFC 8187 ``charset'lang'percent-encoded`` value; ``None`` if invalid.

    With ``charsets``, a charset not in it (compared lowercased) is invalid too.
    """
    parts = value.split("'", 2)
    if len(parts) != 3 or (charsets is not None and parts[0].lower() not in charsets):
        return None
    charset = parts[0] or "utf-8"
    try:
        return unquote_to_bytes(parts[2]).decode(charset, "replace")
    except (LookupError, UnicodeError):
        # SECURITY: the charset is the client's choice; some codecs ("undefined", "idna",
        # "punycode") raise whatever the error handler says. Invalid, not a 500.
        return None


def parse_dict_header(value: str | None) -> dict[str, str | None]:
    """Parse ``key=value`` items separated by commas; a bare key maps to ``None``.

    >>> parse_dict_header('a=b, c="d, e", f')
    {'a': 'b', 'c': 'd, e', 'f': None}
    """
    result: dict[str, str | None] = {}
    if not value:
        return result
    for item in _split(value, ","):
        key, eq, val = item.strip().partition("=")
        key = key.strip()
        if not key or '"' in key:
            continue
        if not eq:
            result[key] = None
            continue
        val = val.strip()
        if _is_quoted(val):
            val = unquote_header_value(val)
        if key.endswith("*"):
            decoded = _decode_extended(val)
            if decoded is None:
                continue
            key, val = key[:-1], decoded
        result[key] = val
    return result


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Parse ``Content-Type``-style values into a lowercased value and its parameters.

    Supports quoted-strings, RFC 2231 continuations (``a*0=...; a*1=...``) and RFC 8187
    ``filename*=UTF-8''...``. In a quoted value only ``\\"`` and ``\\\\`` are escapes; other
    backslashes stay (``filename="C:\\dir\\a.txt"`` keeps them, as in Werkzeug). An empty main
    value (``"; a=b"``) has no parameters, as in Werkzeug.

    >>> parse_options_header('text/html; charset="utf-8"')
    ('text/html', {'charset': 'utf-8'})
    """
    if not value:
        return "", {}
    # The main value ends at the first ";" (a stray quote in it does not hide the parameters).
    main, _, rest = value.partition(";")
    # NOTE: the value is lowercased (media types are case-insensitive); Werkzeug keeps its case.
    main = main.strip().lower()
    params: dict[str, str] = {}
    if not main:
        return "", params  # no value, no parameters (Werkzeug)
    extended: dict[str, str] = {}
    continued: dict[str, list[tuple[int, bool, str]]] = {}
    for piece in _split_params(rest):
        key, eq, val = piece.strip().partition("=")
        key = key.lower()
        if not eq or not key or key[-1].isspace() or val[:1].isspace():
            continue
        if val.startswith('"'):
            if not _is_quoted(val):
                continue  # unterminated quoted-string
            val = val[1:-1]
            if "\\" in val:
                val = _OPTION_QUOTED_PAIR.sub(r"\1", val)
        elif '"' in val:
            continue  # a quote inside an unquoted value is malformed
        name, star, section = key.partition("*")
        if not star:
            params[key] = val
        elif section == "":
            decoded = _decode_extended(val, _OPTION_CHARSETS)
            if decoded is not None:
                extended[name] = decoded
        else:
            index = section.partition("*")[0]
            # NOTE: a huge section number is capped; it is then a gap, and the value is dropped.
            number = parse_uint(index, _MAX_SECTION)
            if number is not None:
                continued.setdefault(name, []).append((number, section.endswith("*"), val))
    for name, segments in continued.items():
        joined = _join_continuations(sorted(segments))
        if joined is not None:
            extended[name] = joined
    # NOTE: RFC 6266 section 4.3: the extended form wins over the plain one, in any order.
    params.update(extended)
    return main, params


def _split_params(value: str) -> list[str]:
    """Split the ``;``-separated parameters of an options header. Pieces are not stripped.

    Unlike :func:`_split`, a ``"`` opens a quoted-string only where a value starts (after ``=``
    and optional whitespace) and only if it is closed, so a stray quote spoils its own parameter,
    not the ones after it.
    """
    if '"' not in value:
        return value.split(";")  # PERF: the common case has no quotes at all
    pieces: list[str] = []
    start = 0
    last = ""  # the last non-whitespace character of the current piece
    unclosed = False  # a quoted-string ran to the end: so would any later one (same alignment)
    i = 0
    n = len(value)
    while i < n:
        char = value[i]
        if char == ";":
            pieces.append(value[start:i])
            start = i + 1
            last = ""
        elif char == '"' and last == "=" and not unclosed:
            j = i + 1
            while j < n and value[j] != '"':
                j += 2 if value[j] == "\\" else 1
            if j < n:
                i = j  # PERF: each character is scanned once, inside or outside the quotes
            else:
                unclosed = True  # not a quoted-string: rescan its text as plain characters
            last = '"'
        elif not char.isspace():
            last = char
        i += 1
    pieces.append(value[start:])
    return pieces


def _join_continuations(segments: list[tuple[int, bool, str]]) -> str | None:
    """Join RFC 2231 ``name*N`` / ``name*N*`` sections, decoding the encoded ones."""
    charset = "utf-8"
    raw = bytearray()
    for position, (index, encoded, text) in enumerate(segments):
        if index != position:
            break  # sections must be numbered 0, 1, 2... without gaps
        if encoded:
            if index == 0:
                parts = text.split("'", 2)
                if len(parts) != 3 or parts[0].lower() not in _OPTION_CHARSETS:
                    return None
                charset, text = parts[0] or "utf-8", parts[2]
            raw += unquote_to_bytes(text)
        else:
            raw += text.encode("utf-8", "surrogatepass")
    try:
        return raw.decode(charset, "replace")
    except (LookupError, UnicodeError):
        return None


class _CallbackDict(dict):
    """A dict calling ``on_update(self)`` after each change."""

    def __init__(self, initial: Any = (), on_update: Callable[[Any], None] | None = None):
        super().__init__(initial or ())
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def pop(self, key: Any, *default: Any) -> Any:
        value = super().pop(key, *default)
        self._changed()
        return value

    def popitem(self) -> Any:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, key: Any, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._changed()
        return value

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()
