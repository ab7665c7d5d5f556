"""The cookie session's plan: what the default interface derives from the config and its own
settings for one app (the signer, the cookie's name and attributes, the lifetime), and reading
the session cookie without building ``request.cookies``.

PERF: :class:`~erlen.sessions.SecureCookieSessionInterface` keeps a :class:`Plan` per app while
the config (its change counter, then its values) and the interface's settings stay the same, so
a request does not read twelve config keys, build the signer or check the cookie attributes.
"""

from __future__ import annotations

import operator
import typing as t
from datetime import timedelta

from ..http import cookies as _cookies
from ..http.datastructures import ImmutableMultiDict, MultiDict
from ..http.request import Request as _HTTPRequest

if t.TYPE_CHECKING:
    from ..wrappers import Request
    from .cookie_signer import CookieSigner

# The config keys the cookie session reads; a plan is kept while they hold the same values.
PLAN_CONFIG = (
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "APPLICATION_ROOT",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_PARTITIONED",
    "SESSION_REFRESH_EACH_REQUEST",
    "PERMANENT_SESSION_LIFETIME",
)
read_plan_config = operator.itemgetter(*PLAN_CONFIG)  # PERF: the twelve reads in one C call
# The methods whose work the plan does; an interface overriding one (on its class or instance)
# has them called, through the general path.
HOOKS = frozenset(
    {
        "get_cookie_name",
        "get_cookie_domain",
        "get_cookie_path",
        "get_cookie_httponly",
        "get_cookie_secure",
        "get_cookie_samesite",
        "get_cookie_partitioned",
        "get_expiration_time",
        "should_set_cookie",
        "get_signing_serializer",
        "_signer",
    }
)
# The interface's settings a plan is made for (on its class, or set on the instance), read in
# one C call; a plan is kept while they are the same objects (or equal).
read_settings = operator.attrgetter(
    "__class__", "salt", "digest_method", "serializer", "session_class", "key_derivation"
)
MAX_PLANS = 16  # NOTE: apps per interface whose plans are kept (tests make many apps)


class Plan:
    """What the cookie session derives from the config and the interface, for one app."""

    __slots__ = (
        "source",
        "config",
        "version",
        "fallbacks",
        "settings",
        "fast",
        "signer",
        "name",
        "domain",
        "path",
        "httponly",
        "secure",
        "samesite",
        "partitioned",
        "refresh",
        "lifetime",
        "max_age",
        "cookie_parts",
    )

    source: t.Any
    config: tuple[t.Any, ...]
    version: int | None
    fallbacks: list[t.Any] | None
    settings: tuple[t.Any, ...]
    fast: bool
    signer: CookieSigner | None
    name: str
    domain: str | None
    path: str
    httponly: bool
    secure: bool
    samesite: str | None
    partitioned: bool
    refresh: bool
    lifetime: timedelta
    max_age: int
    cookie_parts: tuple[str, str] | None


def lifetime(value: t.Any) -> t.Any:
    """``PERMANENT_SESSION_LIFETIME`` as ``app.permanent_session_lifetime`` gives it."""
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


# Request classes whose ``cookies`` is erlen's parsing (see request_cookie), by class.
_PLAIN_COOKIES: dict[type, bool] = {}


def request_cookie(request: Request, name: str) -> str | None:
    """``request.cookies.get(name)``, without building ``request.cookies`` when it is erlen's."""
    cls = type(request)
    plain = _PLAIN_COOKIES.get(cls)
    if plain is None:
        plain = _PLAIN_COOKIES[cls] = _static_attr(cls, "cookies") is _STOCK_COOKIES
    if (
        plain
        and "cookies" not in request.__dict__
        and request.dict_storage_class in (ImmutableMultiDict, MultiDict)
    ):
        # PERF: the first value of ``name`` in the header, as the MultiDict would give it,
        # without the MultiDict (~8k instructions); ``request.cookies`` stays lazy.
        return _cookies.cookie_value(request.environ.get("HTTP_COOKIE"), name)
    return request.cookies.get(name)  # type: ignore[no-any-return]


def _static_attr(cls: type, name: str) -> t.Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


_STOCK_COOKIES = _HTTPRequest.__dict__["cookies"]
