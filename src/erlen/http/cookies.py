"""The ``Cookie`` request header and the ``Set-Cookie`` response header (RFC 6265).

Invariants:

- ``parse_cookie_pairs`` never raises. It is as tolerant as browsers are: pairs split on ``;``,
  whitespace trimmed, DQUOTE-wrapped values unquoted (with the backslash and octal escapes
  ``dump_cookie`` writes), invalid UTF-8 replaced.
- A pair without a name (``=value``) is dropped. # SECURITY: it must never be read as a cookie
  whose name is the start of its value, or ``=__Host-x=bad`` would forge a ``__Host-`` cookie
  (CVE-2023-23934).
- ``dump_cookie`` emits nothing that can break out of the cookie: a value outside the
  cookie-octet set is quoted and escaped, and a key, path or domain that would inject an
  attribute or a header raises ``ValueError``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from .dates import http_date

__all__ = [
    "check_cookie_size",
    "cookie_attributes",
    "cookie_value",
    "dump_cookie",
    "parse_cookie",
    "parse_cookie_pairs",
]

# RFC 6265 section 4.1.1: cookie-octet, the characters a cookie value may hold unquoted.
_COOKIE_OCTETS = frozenset(
    chr(c)
    for c in [0x21, *range(0x23, 0x2C), *range(0x2D, 0x3B), *range(0x3C, 0x5C), *range(0x5D, 0x7F)]
)
_UNQUOTED_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
# RFC 9110 token, the characters a cookie name may hold.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_ESCAPE = re.compile(rb"\\([0-3][0-7][0-7]|.)", re.DOTALL)
# SECURITY: bytes that could end the header line or start a new attribute.
_ATTRIBUTE_BREAKERS = re.compile(r"[\x00-\x1f\x7f;]")
_DOMAIN_BREAKERS = re.compile(r"[\x00-\x20\x7f;,\"\\]")

# The characters quote(path, safe=_PATH_SAFE) leaves alone: its always-safe set and _PATH_SAFE.
_PATH_SAFE = "%!$&'()*+,/:=@"
_SAFE_PATH = re.compile(r"[A-Za-z0-9_.~%!$&'()*+,/:=@-]*")

_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}


def _escape_byte(byte: int) -> str:
    char = chr(byte)
    if char in _COOKIE_OCTETS or char == " ":
        return char
    if char in '"\\':
        return "\\" + char
    return f"\\{byte:03o}"


# PERF: one table lookup per byte when a value needs quoting.
_ESCAPES = tuple(_escape_byte(b) for b in range(256))


def _decode_header(header: str | bytes) -> str:
    """Text of a header that arrived as bytes (ASGI) or as a latin-1 string (WSGI)."""
    if isinstance(header, (bytes, bytearray)):
        return bytes(header).decode("utf-8", "replace")
    if header.isascii():  # PERF: a flag check on str; the usual header needs no encode
        return header
    try:
        raw = header.encode("latin-1")
    except UnicodeEncodeError:
        # NOTE: characters above U+00FF mean the caller already decoded it (test clients).
        return header
    return raw.decode("utf-8", "replace")


def _unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if len(escaped) == 3:
        return bytes((int(escaped, 8),))
    return escaped


def _unquote_value(value: str) -> str:
    inner = value[1:-1]
    if "\\" not in inner:
        return inner
    raw = _ESCAPE.sub(_unescape, inner.encode("utf-8", "surrogatepass"))
    return raw.decode("utf-8", "replace")


def parse_cookie_pairs(header: str | bytes | None) -> list[tuple[str, str]]:
    """Parse a ``Cookie`` header into ``(name, value)`` pairs, in header order.

    Duplicate names are all kept (build a ``MultiDict`` from the pairs, as
    ``request.cookies`` does). Nameless pairs are dropped.

    >>> parse_cookie_pairs('a=1; b="x\\\\073y"; =__Host-x=bad')
    [('a', '1'), ('b', 'x;y')]
    """
    if not header:
        return []
    text = _decode_header(header)
    pairs: list[tuple[str, str]] = []
    for item in text.split(";"):
        name, _, value = item.partition("=")
        name = name.strip()
        if not name:
            # SECURITY: "=value" has no name; never promote the value to one (CVE-2023-23934).
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = _unquote_value(value)
        pairs.append((name, value))
    return pairs


def parse_cookie(
    header: str | bytes | None, cls: Callable[[list[tuple[str, str]]], Any] | None = None
) -> Any:
    """Parse a ``Cookie`` header into a mapping.

    With ``cls`` (``MultiDict``, ``ImmutableMultiDict``...) the pairs are passed to it;
    without, a plain ``dict`` keeping the first value of each name, as ``MultiDict[name]`` does.
    """
    pairs = parse_cookie_pairs(header)
    if cls is not None:
        return cls(pairs)
    result: dict[str, str] = {}
    for name, value in pairs:
        result.setdefault(name, value)
    return result


def _quote_value(value: str) -> str:
    if _UNQUOTED_VALUE.fullmatch(value):
        return value
    # SECURITY: anything outside cookie-octet (";", ",", '"', "\\", CTLs, non-ASCII) is
    # escaped inside DQUOTEs, so the value can neither add attributes nor split the header.
    return '"' + "".join([_ESCAPES[b] for b in value.encode("utf-8")]) + '"'


def _check_attribute(name: str, value: str) -> str:
    if _ATTRIBUTE_BREAKERS.search(value):
        # SECURITY: CR/LF would split the header, ";" would add an attribute.
        raise ValueError(f"Cookie {name} must not contain control characters or ';': {value!r}")
    return value


def _format_domain(domain: str | bytes) -> str:
    if isinstance(domain, bytes):
        domain = domain.decode("latin-1")
    _check_attribute("domain", domain)
    # NOTE: RFC 6265 ignores a leading dot; browsers send the cookie to subdomains either way.
    domain = domain.lstrip(".")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"Cookie domain is not a valid host name: {domain!r}")
    if _DOMAIN_BREAKERS.search(domain):
        raise ValueError(f"Cookie domain is not a valid host name: {domain!r}")
    return domain


def _format_expires(expires: str | datetime | date | float) -> str:
    if isinstance(expires, str):
        return _check_attribute("expires", expires)
    return http_date(expires)


def cookie_attributes(
    key: str,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
) -> tuple[str, str]:
    """The checked, formatted attributes of a ``Set-Cookie`` header as ``(domain, rest)``: what
    goes between the value and ``Expires`` (``"; Domain=..."`` or ``""``) and what follows
    ``Max-Age`` (``"; Secure; HttpOnly; Path=/..."``). :func:`dump_cookie` builds its header
    from them; a caller setting the same cookie on every response (the session) keeps them.

    Raises ``ValueError`` for a key that is not a token, or an attribute that could inject.
    """
    if not isinstance(key, str) or not _TOKEN.fullmatch(key):
        # SECURITY: a name outside the token set could inject attributes or another cookie.
        raise ValueError(f"Cookie name must be a non-empty RFC 9110 token: {key!r}")
    head = f"; Domain={_format_domain(domain)}" if domain else ""
    parts = []
    if secure or partitioned:
        parts.append("; Secure")
    if httponly:
        parts.append("; HttpOnly")
    if path is not None:
        # PERF: a path of quote()'s safe characters only (the usual "/...") is its own quoting.
        if not _SAFE_PATH.fullmatch(path):
            _check_attribute("path", path)
            # NOTE: other characters are percent-encoded, as Werkzeug does.
            path = quote(path, safe=_PATH_SAFE)
        parts.append("; Path=" + path)
    if samesite is not None:
        canonical = _SAMESITE.get(str(samesite).lower())
        if canonical is None:
            raise ValueError("SameSite must be 'Strict', 'Lax', or 'None'.")
        parts.append(f"; SameSite={canonical}")
    if partitioned:
        parts.append("; Partitioned")
    return head, "".join(parts)


def check_cookie_size(key: str, quoted: str, header: str, max_size: int) -> None:
    """Warn (``UserWarning``) when ``header`` is over ``max_size`` bytes (0 disables the check):
    browsers may drop such a cookie silently. ``quoted`` is the value as written."""
    size = len(header)  # ASCII only, so characters are bytes
    if max_size and size > max_size:
        warnings.warn(
            f"The {key!r} cookie is too large: its value is {len(quoted)} bytes and the"
            f" whole header {size} bytes, over the {max_size} byte limit. Browsers may"
            " silently ignore cookies this large.",
            UserWarning,
            stacklevel=3,
        )


def dump_cookie(
    key: str,
    value: str | bytes = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | date | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
    samesite: str | None = None,
    partitioned: bool = False,
) -> str:
    """Build a ``Set-Cookie`` header value, with Werkzeug's attribute spelling and order.

    ``max_age`` is seconds or a ``timedelta``; with ``sync_expires`` it also sets ``Expires``.
    ``partitioned`` implies ``secure``. A header longer than ``max_size`` bytes (0 disables the
    check) triggers a ``UserWarning``, since browsers may drop it silently.

    >>> dump_cookie("sid", "a;b", httponly=True, samesite="lax")
    'sid="a\\\\073b"; HttpOnly; Path=/; SameSite=Lax'
    """
    head, rest = cookie_attributes(key, path, domain, secure, httponly, samesite, partitioned)
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    quoted = _quote_value(value)
    header = f"{key}={quoted}{head}"

    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    elif max_age is not None:
        max_age = int(max_age)
    if expires is not None:
        header += f"; Expires={_format_expires(expires)}"
    elif max_age is not None and sync_expires:
        when = datetime.now(timezone.utc) + timedelta(seconds=max_age)
        header += f"; Expires={http_date(when)}"
    if max_age is not None:
        header += f"; Max-Age={max_age}"
    header += rest

    if max_size and len(header) > max_size:
        check_cookie_size(key, quoted, header, max_size)
    return header


def cookie_value(header: str | bytes | None, name: str) -> str | None:
    """The value of the first cookie called ``name`` in a ``Cookie`` header, or None: what
    ``MultiDict(parse_cookie_pairs(header)).get(name)`` gives, without the dict."""
    for key, value in parse_cookie_pairs(header):
        if key == name:
            return value
    return None
