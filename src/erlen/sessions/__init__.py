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

from ..http import cookies as _cookies
from ..http.datastructures import CallbackDict
from ..http.dates import http_date
from ..http.headers import Headers
from ..http.response_fields import ResponseHeaderFields
from ..json.tag import TaggedJSONSerializer
from .cookie_plan import (
    HOOKS,
    MAX_PLANS,
    Plan,
    lifetime,
    read_plan_config,
    read_settings,
    request_cookie,
)
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
        # PERF: one module-level callback, not a closure made per session.
        CallbackDict.__init__(self, initial, _mark_changed)

    # PERF: dict's methods by name where ``super()`` leads to them anyway (CallbackDict keeps
    # dict's reads), and CallbackDict's change callback inline for the session's own one.
    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return dict.__getitem__(self, key)

    def __setitem__(self, key: str, value: t.Any) -> None:
        dict.__setitem__(self, key, value)
        if self.on_update is _mark_changed:
            self.modified = self.accessed = True
        else:
            self._changed()

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
        return dict.get(self, key, default)

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


def _mark_changed(session: SecureCookieSession) -> None:
    session.modified = True
    session.accessed = True


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

    PERF: what the config and the interface's settings give (the signer with its derived keys,
    the cookie's name and attributes, the lifetime) is worked out once per app and kept in a
    plan while the config values and the settings stay the same (checked on every request,
    with one C call for the config); an interface overriding a getter, ``should_set_cookie``,
    ``get_expiration_time`` or ``get_signing_serializer`` gets every call, as in Flask.
    """

    salt = "cookie-session"
    digest_method = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession
    _plans: dict[t.Any, Plan] | None = None

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
        customizes it, else the shared :class:`CookieSigner` (same bytes, keys derived once)."""
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
        keys = [*fallbacks, secret_key] if fallbacks else [secret_key]
        return cookie_signer(keys, self.salt, self.digest_method, self.serializer)

    def _plan(self, app: Erlen) -> Plan | None:
        """The plan for ``app``, rebuilt when a setting changed; None for the general path."""
        own = self.__dict__
        if len(own) > 1 and not own.keys().isdisjoint(HOOKS):
            return None  # NOTE: a hook set on the instance (a monkeypatch) is called
        plans = self._plans
        plan = None if plans is None else plans.get(app)
        config = app.config
        # PERF: the config's change counter says when its values need a look (~4k instructions
        # for the twelve); a config without one is looked at every time.
        version = getattr(config, "_version", None)
        if plan is None or plan.version != version or version is None or plan.source is not config:
            try:
                values = read_plan_config(config)
            except KeyError:
                return None  # NOTE: a deleted key: the general path raises where Flask does
            if plan is not None and plan.config == values:
                plan.version = version
                plan.source = config
            else:
                plan = None
        if (
            plan is None
            or plan.settings != read_settings(self)
            # NOTE: the fallback list may be changed in place; compare it with a copy.
            or (
                plan.fallbacks is not None
                and plan.fallbacks != list(config["SECRET_KEY_FALLBACKS"] or ())
            )
        ):
            try:
                values = read_plan_config(config)
            except KeyError:
                return None
            plan = self._make_plan(app, config, values, version)
        return plan if plan.fast else None

    def _make_plan(
        self, app: Erlen, config: t.Any, values: tuple[t.Any, ...], version: int | None
    ) -> Plan:
        plan = Plan()
        plan.source = config
        plan.config = values
        plan.version = version
        plan.fallbacks = None if values[1] is None else list(values[1])
        cls = type(self)
        plan.settings = read_settings(self)
        plan.fast = (
            all(getattr(cls, name) is getattr(SecureCookieSessionInterface, name) for name in HOOKS)
            and self.key_derivation == "hmac"
            # NOTE: an app class may compute these two otherwise than from the config.
            and app.secret_key == values[0]
            and app.permanent_session_lifetime == lifetime(values[11])
        )
        if plan.fast:
            plan.signer = self._signer(app)  # type: ignore[assignment]
            plan.name = self.get_cookie_name(app)
            plan.domain = self.get_cookie_domain(app)
            plan.path = self.get_cookie_path(app)
            plan.httponly = self.get_cookie_httponly(app)
            plan.secure = self.get_cookie_secure(app)
            plan.samesite = self.get_cookie_samesite(app)
            plan.partitioned = self.get_cookie_partitioned(app)
            plan.refresh = bool(values[10])
            plan.lifetime = app.permanent_session_lifetime
            plan.max_age = int(plan.lifetime.total_seconds())
            # NOTE: the attributes are checked when the cookie is first set, where a bad
            # SESSION_COOKIE_* raises in the general path too.
            plan.cookie_parts = None
        plans = self._plans
        if plans is None or len(plans) >= MAX_PLANS:
            plans = self._plans = {}
        plans[app] = plan
        return plan

    def open_session(self, app: Erlen, request: Request) -> SecureCookieSession | None:
        plan = self._plan(app)
        if plan is None:
            s = self._signer(app)
            if s is None:
                return None
            val = request.cookies.get(self.get_cookie_name(app))
            max_age = int(app.permanent_session_lifetime.total_seconds())
        else:
            s = plan.signer
            if s is None:
                return None
            val = request_cookie(request, plan.name)
            max_age = plan.max_age
        if not val:
            return self.session_class()
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
        plan = self._plan(app)
        if (
            plan is not None
            and plan.signer is not None
            and type(session) is SecureCookieSession
            and type(response).set_cookie is ResponseHeaderFields.set_cookie
            and dict.__len__(session)  # type: ignore[arg-type]
        ):
            self._save_planned(plan, session, response)
            return
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

    def _save_planned(self, plan: Plan, session: SecureCookieSession, response: Response) -> None:
        """``save_session`` for a non-empty :class:`SecureCookieSession` and a response whose
        ``set_cookie`` is erlen's: the same steps and bytes, from the plan."""
        varied = session.accessed
        if varied:
            _vary_on_cookie(response)
        # PERF: the dict's own methods: the session's would mark it accessed, which changes
        # nothing here (``varied`` is read), through a Python call each.
        permanent = bool(dict.get(session, "_permanent", False))
        if not (session.modified or (permanent and plan.refresh)):
            return
        # PERF: a copy through the dict's own items view, in C; ``dict(session)`` calls the
        # session's keys() and __getitem__ (Python, as they mark it accessed).
        val = plan.signer.dumps(dict(dict.items(session)))  # type: ignore[union-attr]
        parts = plan.cookie_parts
        if parts is None:
            parts = plan.cookie_parts = _cookies.cookie_attributes(
                plan.name,
                plan.path,
                plan.domain,
                plan.secure,
                plan.httponly,
                plan.samesite,
                plan.partitioned,
            )
        # SECURITY: the signed value is URL-safe base64 and dots, all cookie-octets, so it
        # needs no quoting (dump_cookie would leave it as it is); the name and attributes were
        # checked by cookie_attributes. The bytes are dump_cookie's.
        if permanent:
            expires = http_date(datetime.now(timezone.utc) + plan.lifetime)
            header = f"{plan.name}={val}{parts[0]}; Expires={expires}{parts[1]}"
        else:
            header = f"{plan.name}={val}{parts[0]}{parts[1]}"
        max_size = response.max_cookie_size
        if max_size and len(header) > max_size:
            _cookies.check_cookie_size(plan.name, val, header, max_size)
        headers = response.headers
        if type(headers) is Headers:
            # PERF: Headers.add's checks (~4k instructions) would pass: the header is ASCII
            # without CR, LF or NUL (see the SECURITY note above).
            headers._list.append(("Set-Cookie", header))
        else:
            headers.add("Set-Cookie", header)
        if not varied:
            _vary_on_cookie(response)


def _vary_on_cookie(response: Response) -> None:
    """Add ``Cookie`` to the response's ``Vary`` header (once: adding it again changes nothing)."""
    headers = response.headers
    if type(headers) is Headers:
        # PERF: the list itself: ``in`` runs a generator and ``add`` checks a value known to be
        # safe (~10k instructions together).
        for name, _ in headers._list:
            if name.lower() == "vary":
                response.vary.add("Cookie")
                return
        headers._list.append(("Vary", "Cookie"))
        return
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
