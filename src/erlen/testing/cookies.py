"""The test client's cookie jar: ``Cookie`` and which cookies a request sends back.

The jar keys cookies by ``(domain, path, name)``. A cookie is sent when its domain matches the
request host (exactly, or as a parent domain when the cookie had a ``Domain`` attribute), its path
path-matches the request path (RFC 6265 5.1.4) and it has not expired. ``Max-Age`` wins over
``Expires``; ``Max-Age<=0`` or a past ``Expires`` deletes the cookie. NOTE: like Werkzeug's client,
``Secure`` cookies are also sent over ``http://``, so an app with ``SESSION_COOKIE_SECURE`` can be
tested on the default ``http://localhost``. A ``Cookie`` header passed explicitly
(``headers={"Cookie": ...}``) is kept and the jar's cookies are appended to it (Werkzeug drops it
when the jar is on).
"""

from __future__ import annotations

import dataclasses
import time
import typing as t
from collections.abc import Iterable
from datetime import datetime

from .environ import _USER_COOKIE_KEY, _hostname, _request_origin


def _path_matches(cookie_path: str, request_path: str) -> bool:
    """RFC 6265 5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def _default_path(request_path: str) -> str:
    """RFC 6265 5.1.4 default-path: the request path up to its last ``/``."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path.rpartition("/")[0]


@dataclasses.dataclass
class Cookie:
    """A cookie in the test client's jar (``client.get_cookie("session")``)."""

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None
    max_age: int | None
    domain: str
    origin_only: bool
    path: str
    secure: bool | None
    http_only: bool | None
    same_site: str | None
    _expires_at: float | None = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def _from_response_header(cls, server_name: str, path: str, header: str) -> Cookie:
        """Parse a ``Set-Cookie`` value received from ``server_name`` for a request to ``path``."""
        from ..http.cookies import parse_cookie_pairs
        from ..http.dates import parse_date

        pair, _, attributes = header.partition(";")
        key, _, value = pair.partition("=")
        decoded = next(iter(parse_cookie_pairs(pair)), None)
        decoded_key, decoded_value = decoded if decoded is not None else (key.strip(), "")
        params: dict[str, str | None] = {}
        for item in attributes.split(";"):
            name, sep, param = item.partition("=")
            params[name.strip().lower()] = param.strip() if sep else None
        max_age: int | None = None
        raw_max_age = params.get("max-age")
        if raw_max_age is not None:
            try:
                max_age = int(raw_max_age)
            except ValueError:
                max_age = None  # NOTE: RFC 6265 ignores a malformed Max-Age
        raw_expires = params.get("expires")
        expires = parse_date(raw_expires) if raw_expires else None
        if max_age is not None:
            expires_at: float | None = time.time() + max_age if max_age > 0 else 0.0
        elif expires is not None:
            expires_at = expires.timestamp()
        else:
            expires_at = None
        domain = (params.get("domain") or "").lstrip(".").lower()
        cookie_path = params.get("path") or ""
        return cls(
            key=key.strip(),
            value=value.strip(),
            decoded_key=decoded_key,
            decoded_value=decoded_value,
            expires=expires,
            max_age=max_age,
            domain=domain or server_name,
            origin_only=not domain,
            path=cookie_path if cookie_path.startswith("/") else _default_path(path),
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
            _expires_at=expires_at,
        )

    @property
    def _storage_key(self) -> tuple[str, str, str]:
        return self.domain, self.path, self.key

    @property
    def _should_delete(self) -> bool:
        """True once the cookie has expired."""
        return self._expires_at is not None and self._expires_at <= time.time()

    def _matches_request(self, server_name: str, path: str) -> bool:
        """True when the cookie is sent with a request to ``server_name`` and ``path``."""
        domain = self.domain
        if server_name != domain and (self.origin_only or not server_name.endswith("." + domain)):
            return False
        return _path_matches(self.path, path) and not self._should_delete

    def _to_request_header(self) -> str:
        return f"{self.key}={self.value}"


def add_cookies_to_environ(
    jar: dict[tuple[str, str, str], Cookie], environ: dict[str, t.Any]
) -> None:
    """Put the jar's cookies that match the request in ``HTTP_COOKIE``."""
    user = environ.get(_USER_COOKIE_KEY, environ.get("HTTP_COOKIE"))
    _, host, path = _request_origin(environ)
    server_name = _hostname(host)
    for key in [k for k, c in jar.items() if c._should_delete]:
        del jar[key]
    matching = [c for c in jar.values() if c._matches_request(server_name, path)]
    # NOTE: RFC 6265 5.4 sends cookies with longer paths first; sort() is stable.
    matching.sort(key=lambda c: len(c.path), reverse=True)
    values = ([user] if user else []) + [c._to_request_header() for c in matching]
    environ[_USER_COOKIE_KEY] = user
    if values:
        environ["HTTP_COOKIE"] = "; ".join(values)
    else:
        environ.pop("HTTP_COOKIE", None)


def store_response_cookies(
    jar: dict[tuple[str, str, str], Cookie], server_name: str, path: str, headers: Iterable[str]
) -> None:
    """Store (or delete) in ``jar`` the cookies of ``Set-Cookie`` header values."""
    for header in headers:
        cookie = Cookie._from_response_header(server_name, path, header)
        if not cookie.key:
            continue  # NOTE: RFC 6265 5.2 ignores a cookie without a name
        if cookie._should_delete:
            jar.pop(cookie._storage_key, None)
        else:
            jar[cookie._storage_key] = cookie
