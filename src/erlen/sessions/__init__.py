"""Sessions: the interface any backend implements, and the default signed-cookie backend.

``SessionInterface`` is Flask's contract (``open_session``/``save_session`` plus cookie-policy
getters), so an interface written for Flask plugs in. The default stores the session in a cookie
signed with ``SECRET_KEY`` in Flask's exact format (itsdangerous, salt ``cookie-session``, HMAC-SHA1
key derivation, tagged JSON), so Flask and erlen read each other's cookies.
"""

from __future__ import annotations

import hashlib
import typing as t
from collections.abc import MutableMapping
from datetime import datetime, timezone

from ..http.datastructures import CallbackDict
from ..json.tag import TaggedJSONSerializer
from .cookie_signer import CookieSigner, cookie_signer

if t.TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

    from ..app import Erlen
    from ..wrappers import Request, Response


class SessionMixin(MutableMapping[str, t.Any]):
    """What every session object offers besides the dict interface."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    #: True for a session created by this request rather than loaded.
    new = False
    #: Set on top-level changes; set it by hand after changing a nested value.
    modified = True
    #: Set when the session is read or written; adds ``Vary: Cookie`` to the response.
    accessed = False


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """The session of the signed-cookie backend; tracks ``modified`` and ``accessed``.

    SECURITY: any read, even of the keys only (``"user" in session``, ``len``, iteration), sets
    ``accessed`` so the response gets ``Vary: Cookie`` and a cache never shares it (as Flask 3.1.3).
    """

    modified = False
    accessed = False

    def __init__(self, initial: t.Any = None) -> None:
        def on_update(self: SecureCookieSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __iter__(self) -> t.Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().setdefault(key, default)

    def keys(self) -> t.Any:
        self.accessed = True
        return super().keys()

    def values(self) -> t.Any:
        self.accessed = True
        return super().values()

    def items(self) -> t.Any:
        self.accessed = True
        return super().items()


class NullSession(SecureCookieSession):
    """The session when none could be opened (no ``SECRET_KEY``): reads work, writes explain."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret key was set. Set the secret_key on the"
            " application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]
    del _fail


class SessionInterface:
    """The contract between the app and a session backend.

    Implement :meth:`open_session` (return a session object, or None to get a ``NullSession``) and
    :meth:`save_session` (write it and set the cookie on the response).
    """

    null_session_class = NullSession
    pickle_based = False

    def make_null_session(self, app: Erlen) -> NullSession:
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Erlen) -> str:
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Erlen) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Erlen) -> str:
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: Erlen) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Erlen) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Erlen) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Erlen) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: Erlen, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; None for a browser-session cookie."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Erlen, session: SessionMixin) -> bool:
        """Set the cookie when the session changed, or to refresh a permanent one."""
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def open_session(self, app: Erlen, request: Request) -> SessionMixin | None:
        raise NotImplementedError()

    def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        raise NotImplementedError()


session_json_serializer = TaggedJSONSerializer()


class SecureCookieSessionInterface(SessionInterface):
    """The default backend: the whole session in a signed (not encrypted) cookie.

    SECURITY: signed, so users cannot change it, but readable by them; and it cannot be revoked
    before it expires. Use a server-side backend to store secrets or to revoke sessions.
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession
    _last_signer: tuple[t.Any, ...] | None = None

    def get_signing_serializer(self, app: Erlen) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys: list[str | bytes] = []
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        if fallbacks:
            keys.extend(fallbacks)
        keys.append(app.secret_key)  # itsdangerous signs with the last key
        from itsdangerous import URLSafeTimedSerializer  # NOTE: only custom interfaces use it

        return URLSafeTimedSerializer(
            keys,  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def _signer(self, app: Erlen) -> CookieSigner | URLSafeTimedSerializer | None:
        """The object that signs and reads the cookie: itsdangerous' serializer when a subclass
        customizes it, else the cached :class:`CookieSigner` (same bytes, keys derived once)."""
        # PERF: an itsdangerous serializer per request (and its key derivation per sign and
        # check) cost ~300k instructions a session request.
        if (
            type(self).get_signing_serializer
            is not SecureCookieSessionInterface.get_signing_serializer
            or self.key_derivation != "hmac"
        ):
            return self.get_signing_serializer(app)
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        salt, digest_method, serializer = self.salt, self.digest_method, self.serializer
        # PERF: the signer of the last call, while the settings are the same objects (config
        # values are), skips building the key list and the shared cache's lookup.
        last = self._last_signer
        if (
            last is not None
            and last[0] is secret_key
            and last[2] is salt
            and last[3] is digest_method
            and last[4] is serializer
            and last[1] == (fallbacks or None)
        ):
            return last[5]
        keys = [*fallbacks, secret_key] if fallbacks else [secret_key]
        signer = cookie_signer(keys, salt, digest_method, serializer)
        fallbacks_copy = list(fallbacks) if fallbacks else None
        self._last_signer = (secret_key, fallbacks_copy, salt, digest_method, serializer, signer)
        return signer

    def open_session(self, app: Erlen, request: Request) -> SecureCookieSession | None:
        s = self._signer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(val, max_age=max_age)
        except Exception:
            # SECURITY: a tampered, forged, expired, truncated or garbage cookie (BadSignature),
            # or a signed payload that is not valid tagged JSON, gives an empty session, never
            # a 500.
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Erlen, session: SessionMixin, response: Response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        varied = session.accessed
        if varied:
            _vary_on_cookie(response)
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=secure,
                    partitioned=partitioned,
                    samesite=samesite,
                    httponly=httponly,
                )
                if not varied:
                    _vary_on_cookie(response)
            return
        if not self.should_set_cookie(app, session):
            return
        expires = self.get_expiration_time(app, session)
        val = self._signer(app).dumps(dict(session))  # type: ignore[union-attr]
        response.set_cookie(
            name,
            val,  # type: ignore[arg-type]
            expires=expires,
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            partitioned=partitioned,
            samesite=samesite,
        )
        if not varied:
            _vary_on_cookie(response)


def _vary_on_cookie(response: Response) -> None:
    """Add ``Cookie`` to the response's ``Vary`` header (once: adding it again changes nothing)."""
    headers = response.headers
    if "Vary" in headers:
        response.vary.add("Cookie")
    else:
        # PERF: ``response.vary`` parses the header into a live set and writes it back; with no
        # ``Vary`` yet, the result is this.
        headers.add("Vary", "Cookie")


_SERVER_SIDE = {
    "Session": "ext",
    "revoke_user": "ext",
    "ServerSessionInterface": "server",
    "ServerSideSession": "server",
}


def __getattr__(name: str) -> t.Any:
    # PERF: server-side sessions (and their store modules) load only when an app asks for them.
    module = _SERVER_SIDE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
