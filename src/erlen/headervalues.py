"""Header value parsers and the value objects Werkzeug puts on requests and responses.

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

import base64
import binascii
import codecs
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from .dates import http_date, parse_date

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

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")
_QUALITY = re.compile(r"[0-9]+(?:\.[0-9]+)?")


# -- quoting and splitting -------------------------------------------------------------------


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


def _decode_extended(value: str) -> str | None:
    """Decode an RFC 8187 ``charset'lang'percent-encoded`` value; ``None`` if invalid."""
    parts = value.split("'", 2)
    if len(parts) != 3:
        return None
    charset = parts[0] or "utf-8"
    try:
        return unquote_to_bytes(parts[2]).decode(charset, "replace")
    except LookupError:
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
    ``filename*=UTF-8''...``.

    >>> parse_options_header('text/html; charset="utf-8"')
    ('text/html', {'charset': 'utf-8'})
    """
    if not value:
        return "", {}
    pieces = _split(value, ";")
    # NOTE: the value is lowercased (media types are case-insensitive); Werkzeug keeps its case.
    main = pieces[0].strip().lower()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    continued: dict[str, list[tuple[int, bool, str]]] = {}
    for piece in pieces[1:]:
        key, eq, val = piece.strip().partition("=")
        key = key.lower()
        if not eq or not key or key[-1].isspace() or val[:1].isspace():
            continue
        if val.startswith('"'):
            if not _is_quoted(val):
                continue  # unterminated quoted-string
            val = unquote_header_value(val)
        name, star, section = key.partition("*")
        if not star:
            params[key] = val
        elif section == "":
            decoded = _decode_extended(val)
            if decoded is not None:
                extended[name] = decoded
        else:
            index = section.partition("*")[0]
            if _DIGITS.fullmatch(index):
                continued.setdefault(name, []).append((int(index), section.endswith("*"), val))
    for name, segments in continued.items():
        joined = _join_continuations(sorted(segments))
        if joined is not None:
            extended[name] = joined
    # NOTE: RFC 6266 section 4.3: the extended form wins over the plain one, in any order.
    params.update(extended)
    return main, params


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
                if len(parts) != 3:
                    return None
                charset, text = parts[0] or "utf-8", parts[2]
            raw += unquote_to_bytes(text)
        else:
            raw += text.encode("utf-8", "surrogatepass")
    try:
        return raw.decode(charset, "replace")
    except LookupError:
        return None


# -- Accept headers --------------------------------------------------------------------------

_A = TypeVar("_A", bound="Accept")


class Accept(tuple):  # type: ignore[type-arg]
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

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
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

    def index(self, key: Any, *args: Any) -> int:  # type: ignore[override]
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
        return accept_cls(None)  # type: ignore[no-any-return]
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
    return accept_cls(items)  # type: ignore[no-any-return]


# -- Authorization and WWW-Authenticate --------------------------------------------------------


def _dump_auth_params(params: Mapping[str, Any], always_quote: frozenset[str]) -> str:
    return ", ".join(
        key
        if value is None
        else f"{key}={quote_header_value(value, allow_token=key not in always_quote)}"
        for key, value in params.items()
    )


def _split_credentials(value: str) -> tuple[str, str]:
    scheme, _, rest = value.strip().partition(" ")
    return scheme.lower(), rest.strip()


class Authorization:
    """The ``Authorization`` request header.

    ``auth.username``, ``auth.realm``... read ``parameters`` (``None`` when missing);
    ``token`` holds a token68 credential (``Bearer abc``).
    """

    def __init__(
        self, auth_type: str, data: dict[str, str | None] | None = None, token: str | None = None
    ) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str | None] = dict(data or {})
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, key: str) -> str | None:
        return self.parameters[key]

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self.parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse the header; ``None`` when it is missing or its Basic credentials are invalid."""
        if not value:
            return None
        scheme, rest = _split_credentials(value)
        if not scheme:
            return None
        if scheme == "basic":
            # NOTE: unlike Werkzeug, empty or invalid base64 gives None, not empty credentials.
            try:
                decoded = base64.b64decode(rest, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return None
            if not rest:
                return None
            username, _, password = decoded.partition(":")
            return cls("basic", {"username": username, "password": password})
        if "=" not in rest or _TOKEN68.fullmatch(rest):
            return cls(scheme, None, rest)
        return cls(scheme, parse_dict_header(rest))

    def to_header(self) -> str:
        """Serialize to header text."""
        if self.type == "basic":
            credentials = f"{self.username or ''}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(credentials).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {_dump_auth_params(self.parameters, frozenset())}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


class _CallbackDict(dict):  # type: ignore[type-arg]
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


# NOTE: RFC 7616 requires these Digest challenge parameters to be quoted-strings.
_DIGEST_QUOTED = frozenset({"realm", "domain", "nonce", "opaque", "qop"})
_WWW_AUTH_SLOTS = frozenset({"type", "token", "parameters", "_on_update"})


class WWWAuthenticate:
    """The ``WWW-Authenticate`` response header; attributes read and write ``parameters``.

    >>> WWWAuthenticate("basic", {"realm": "Admin area"}).to_header()
    'Basic realm="Admin area"'
    """

    type: str
    token: str | None
    parameters: _CallbackDict
    _on_update: Callable[[WWWAuthenticate], None] | None

    def __init__(
        self,
        auth_type: str,
        values: dict[str, str | None] | None = None,
        token: str | None = None,
        *,
        on_update: Callable[[WWWAuthenticate], None] | None = None,
    ) -> None:
        object.__setattr__(self, "_on_update", None)
        self.type = auth_type.lower()
        self.parameters = _CallbackDict(values, lambda _: self._trigger_on_update())
        self.token = token
        object.__setattr__(self, "_on_update", on_update)

    def _trigger_on_update(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__") or name in _WWW_AUTH_SLOTS:
            raise AttributeError(name)
        return self.parameters.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WWW_AUTH_SLOTS:
            object.__setattr__(self, name, value)
            if name != "_on_update":
                self._trigger_on_update()
        elif value is None:
            self.parameters.pop(name, None)
        else:
            self.parameters[name] = value

    def __delattr__(self, name: str) -> None:
        self.parameters.pop(name, None)

    def __getitem__(self, key: str) -> str | None:
        return self.parameters[key]

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            self.parameters.pop(key, None)
        else:
            self.parameters[key] = value

    def __delitem__(self, key: str) -> None:
        del self.parameters[key]

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self.parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self.type, self.token, dict(self.parameters)) == (
            other.type,
            other.token,
            dict(other.parameters),
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse one challenge; ``None`` when the header is missing."""
        if not value:
            return None
        scheme, rest = _split_credentials(value)
        if not scheme:
            return None
        if rest and _TOKEN68.fullmatch(rest):
            return cls(scheme, None, rest)
        return cls(scheme, parse_dict_header(rest))

    def to_header(self) -> str:
        """Serialize to header text."""
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        quoted = _DIGEST_QUOTED if self.type == "digest" else frozenset()
        params = _dump_auth_params(self.parameters, quoted)
        return f"{self.type.title()} {params}" if params else self.type.title()

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


# -- Range, Content-Range, If-Range ---------------------------------------------------------


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
            if not _DIGITS.fullmatch(last):
                return None
            ranges.append((-int(last), None))
            continue
        if not _DIGITS.fullmatch(first) or (last and not _DIGITS.fullmatch(last)):
            return None
        start = int(first)
        if start < last_end:
            return None
        if last:
            end = int(last)
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
    elif _DIGITS.fullmatch(length_text):
        length = int(length_text)
    else:
        return None
    if rng == "*":
        return ContentRange(units, None, None, length, on_update=on_update)
    first, dash, last = rng.partition("-")
    if not dash or not _DIGITS.fullmatch(first) or not _DIGITS.fullmatch(last):
        return None
    start, end = int(first), int(last)
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
            return quote_etag(self.etag)
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


# -- Entity tags ----------------------------------------------------------------------------


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


# -- Cache-Control --------------------------------------------------------------------------

_FLAG, _INT, _VALUE, _INT_OR_FLAG = "flag", "int", "value", "int_or_flag"


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
        return int(value) if _DIGITS.fullmatch(value) else None

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
        return cc_cls(None, on_update)  # type: ignore[no-any-return]
    # NOTE: directive names are case-insensitive (RFC 9111 5.2); Werkzeug keeps their case.
    directives = {k.lower(): v for k, v in parse_dict_header(value).items()}
    return cc_cls(directives, on_update)  # type: ignore[no-any-return]


# -- HeaderSet, UserAgent -------------------------------------------------------------------


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
