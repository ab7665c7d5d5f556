"""Signed-cookie sessions: the ``SessionInterface`` contract and the default backend.

Flask's documented behaviour is the spec; where it helps, the same scenario is run on a real
Flask app and the observable result (headers, cookie attributes) compared.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import datetime, timedelta, timezone

import flask
import itsdangerous
import pytest
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

import erlen
from erlen.http.dates import parse_date
from erlen.json.tag import TaggedJSONSerializer
from erlen.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)
from erlen.sessions.cookie_signer import CookieSigner

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")


def cookie_serializer(key: str | list[str]) -> URLSafeTimedSerializer:
    """An independent serializer in Flask's session cookie format."""
    return URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=TaggedJSONSerializer(),
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def session_cookies(response) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]


def cookie_value(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]


def cookie_attrs(header: str) -> dict[str, str | None]:
    attrs: dict[str, str | None] = {}
    for part in header.split(";")[1:]:
        name, sep, value = part.strip().partition("=")
        attrs[name.lower()] = value if sep else None
    return attrs


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


@pytest.fixture
def sapp(app: erlen.Erlen) -> erlen.Erlen:
    """An app with views that read and write the session."""

    @app.route("/set/<key>/<value>")
    def set_value(key: str, value: str) -> str:
        erlen.session[key] = value
        return "ok"

    @app.route("/get/<key>")
    def get_value(key: str) -> str:
        return repr(erlen.session.get(key))

    @app.route("/dump")
    def dump() -> dict:
        return {"session": dict(erlen.session), "permanent": erlen.session.permanent}

    @app.route("/permanent")
    def make_permanent() -> str:
        erlen.session.permanent = True
        erlen.session["user"] = "ann"
        return "ok"

    @app.route("/clear")
    def clear() -> str:
        erlen.session.clear()
        return "ok"

    @app.route("/untouched")
    def untouched() -> str:
        return "ok"

    return app


# --- the SessionInterface contract -----------------------------------------------------------


def test_cookie_getters_read_config(app: erlen.Erlen) -> None:
    si = app.session_interface
    assert isinstance(si, SecureCookieSessionInterface)
    assert si.get_cookie_name(app) == "session"
    assert si.get_cookie_domain(app) is None
    assert si.get_cookie_path(app) == "/"
    assert si.get_cookie_httponly(app) is True
    assert si.get_cookie_secure(app) is False
    assert si.get_cookie_samesite(app) is None
    assert si.get_cookie_partitioned(app) is False

    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PARTITIONED=True,
    )
    assert si.get_cookie_name(app) == "sid"
    assert si.get_cookie_domain(app) == "example.com"
    assert si.get_cookie_path(app) == "/app"
    assert si.get_cookie_httponly(app) is False
    assert si.get_cookie_secure(app) is True
    assert si.get_cookie_samesite(app) == "Strict"
    assert si.get_cookie_partitioned(app) is True


def test_cookie_path_falls_back_to_application_root(app: erlen.Erlen) -> None:
    app.config.update(SESSION_COOKIE_PATH=None, APPLICATION_ROOT="/root")
    assert app.session_interface.get_cookie_path(app) == "/root"


def test_get_expiration_time(app: erlen.Erlen) -> None:
    si = app.session_interface
    session = SecureCookieSession()
    assert si.get_expiration_time(app, session) is None
    session.permanent = True
    app.permanent_session_lifetime = timedelta(hours=2)
    expires = si.get_expiration_time(app, session)
    assert expires is not None and expires.tzinfo is not None
    expected = datetime.now(timezone.utc) + timedelta(hours=2)
    assert abs((expires - expected).total_seconds()) < 5


@pytest.mark.parametrize(
    ("modified", "permanent", "refresh", "expected"),
    [
        (False, False, True, False),
        (True, False, True, True),
        (False, True, True, True),
        (False, True, False, False),
        (True, True, False, True),
    ],
)
def test_should_set_cookie(
    app: erlen.Erlen, modified: bool, permanent: bool, refresh: bool, expected: bool
) -> None:
    app.config["SESSION_REFRESH_EACH_REQUEST"] = refresh
    session = SecureCookieSession({"_permanent": True} if permanent else {})
    session.modified = modified
    assert app.session_interface.should_set_cookie(app, session) is expected


def test_null_session_helpers(app: erlen.Erlen) -> None:
    si = app.session_interface
    null = si.make_null_session(app)
    assert isinstance(null, NullSession)
    assert si.null_session_class is NullSession
    assert si.is_null_session(null)
    assert not si.is_null_session(SecureCookieSession())
    assert si.pickle_based is False


def test_base_interface_requires_open_and_save(app: erlen.Erlen) -> None:
    si = SessionInterface()
    with app.test_request_context():
        with pytest.raises(NotImplementedError):
            si.open_session(app, erlen.request)
        with pytest.raises(NotImplementedError):
            si.save_session(app, SecureCookieSession(), app.response_class())


def test_secure_cookie_format_constants() -> None:
    si = SecureCookieSessionInterface()
    assert si.salt == "cookie-session"
    assert si.key_derivation == "hmac"
    assert si.digest_method is hashlib.sha1 or si.digest_method().name == "sha1"
    assert isinstance(si.serializer, TaggedJSONSerializer)
    assert si.session_class is SecureCookieSession


def test_session_mixin_defaults() -> None:
    session = SecureCookieSession({"a": 1})
    assert isinstance(session, SessionMixin)
    assert session.new is False
    assert session.modified is False
    assert session.permanent is False
    session["b"] = 2
    assert session.modified is True


class MemorySession(erlen.sessions.SecureCookieSession):
    pass


class MemorySessionInterface(SessionInterface):
    """A server-side interface written exactly as one would for Flask."""

    def __init__(self) -> None:
        self.store: dict[str, dict] = {}
        self.opened = 0

    def open_session(self, app, request):
        self.opened += 1
        sid = request.cookies.get(self.get_cookie_name(app))
        session = MemorySession(self.store.get(sid, {}) if sid else {})
        session.sid = sid or uuid.uuid4().hex
        return session

    def save_session(self, app, session, response):
        if not self.should_set_cookie(app, session):
            return
        self.store[session.sid] = dict(session)
        response.set_cookie(
            self.get_cookie_name(app),
            session.sid,
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )


def test_custom_session_interface(sapp: erlen.Erlen) -> None:
    interface = MemorySessionInterface()
    sapp.session_interface = interface
    client = sapp.test_client()
    rv = client.get("/set/user/ann")
    (header,) = session_cookies(rv)
    sid = cookie_value(header)
    assert interface.store == {sid: {"user": "ann"}}
    assert client.get("/get/user").text == "'ann'"
    assert client.get("/get/other").text == "None"
    with client.session_transaction() as sess:
        assert isinstance(sess, MemorySession)
        assert sess["user"] == "ann"
        sess["more"] = 1
    assert interface.store[sid] == {"user": "ann", "more": 1}


def test_custom_interface_returning_none_gives_null_session(app: erlen.Erlen) -> None:
    class NoSessions(SessionInterface):
        def open_session(self, app, request):
            return None

        def save_session(self, app, session, response):  # pragma: no cover - never called
            raise AssertionError("a null session is not saved")

    app.session_interface = NoSessions()

    @app.route("/")
    def index() -> str:
        assert isinstance(erlen.session, NullSession)
        return repr(erlen.session.get("x"))

    assert app.test_client().get("/").text == "None"


# --- the default signed-cookie backend ----------------------------------------------------


def test_session_round_trip(sapp: erlen.Erlen) -> None:
    client = sapp.test_client()
    rv = client.get("/set/user/ann")
    (header,) = session_cookies(rv)
    attrs = cookie_attrs(header)
    assert "expires" not in attrs  # not permanent: a browser-session cookie
    assert "httponly" in attrs and attrs["path"] == "/"
    assert "cookie" in vary(rv)
    assert cookie_serializer("test key").loads(cookie_value(header)) == {"user": "ann"}
    assert client.get("/get/user").text == "'ann'"


def test_untouched_session_sets_no_cookie_and_no_vary(sapp: erlen.Erlen) -> None:
    client = sapp.test_client()
    rv = client.get("/untouched")
    assert session_cookies(rv) == []
    assert "Vary" not in rv.headers
    client.get("/set/user/ann")
    rv = client.get("/untouched")  # carries a (non-permanent) session cookie
    assert session_cookies(rv) == []
    assert "Vary" not in rv.headers


def test_reading_session_adds_vary_but_no_cookie(sapp: erlen.Erlen) -> None:
    client = sapp.test_client()
    rv = client.get("/get/user")
    assert session_cookies(rv) == []
    assert "cookie" in vary(rv)


@pytest.mark.parametrize(
    "read",
    [
        lambda s: "x" in s,
        lambda s: len(s),
        lambda s: list(s),
        lambda s: list(s.keys()),
        lambda s: s.get("x"),
        lambda s: s.permanent,
    ],
    ids=["in", "len", "iter", "keys", "get", "permanent"],
)
def test_any_read_marks_accessed(app: erlen.Erlen, read) -> None:
    """Flask 3.1.3 adds ``Vary: Cookie`` whenever the session is looked at, even only its keys."""

    @app.route("/")
    def index() -> str:
        read(erlen.session)
        return "ok"

    rv = app.test_client().get("/")
    assert "cookie" in vary(rv)
    assert session_cookies(rv) == []


def test_new_modified_accessed_flags(app: erlen.Erlen) -> None:
    seen: dict[str, bool] = {}

    @app.route("/")
    def index() -> str:
        s = erlen.session
        seen["new"] = s.new
        seen["modified_before"] = s.modified
        s["a"] = 1
        seen["modified_after"] = s.modified
        seen["accessed"] = s.accessed
        return "ok"

    app.test_client().get("/")
    assert seen == {
        "new": False,
        "modified_before": False,
        "modified_after": True,
        "accessed": True,
    }


def test_nested_change_needs_modified(app: erlen.Erlen) -> None:
    @app.route("/init")
    def init() -> str:
        erlen.session["cart"] = {"items": []}
        return "ok"

    @app.route("/nested")
    def nested() -> str:
        erlen.session["cart"]["items"].append("apple")
        assert erlen.session.modified is False
        return "ok"

    @app.route("/nested-flagged")
    def nested_flagged() -> str:
        erlen.session["cart"]["items"].append("pear")
        erlen.session.modified = True
        return "ok"

    @app.route("/cart")
    def cart() -> dict:
        return erlen.session["cart"]

    client = app.test_client()
    client.get("/init")
    rv = client.get("/nested")
    assert session_cookies(rv) == []
    assert client.get("/cart").json == {"items": []}
    rv = client.get("/nested-flagged")
    assert len(session_cookies(rv)) == 1
    assert client.get("/cart").json == {"items": ["pear"]}


def test_permanent_session(sapp: erlen.Erlen) -> None:
    sapp.permanent_session_lifetime = timedelta(days=3)
    client = sapp.test_client()
    rv = client.get("/permanent")
    (header,) = session_cookies(rv)
    data = cookie_serializer("test key").loads(cookie_value(header))
    assert data == {"_permanent": True, "user": "ann"}
    attrs = cookie_attrs(header)
    expires = parse_date(attrs["expires"])
    expected = datetime.now(timezone.utc) + timedelta(days=3)
    assert abs((expires - expected).total_seconds()) < 5
    assert client.get("/dump").json == {
        "session": {"_permanent": True, "user": "ann"},
        "permanent": True,
    }


def test_permanent_false_removes_expiry(app: erlen.Erlen) -> None:
    @app.route("/")
    def index() -> str:
        erlen.session["a"] = 1
        erlen.session.permanent = False
        return "ok"

    (header,) = session_cookies(app.test_client().get("/"))
    assert "expires" not in cookie_attrs(header)
    assert cookie_serializer("test key").loads(cookie_value(header)) == {
        "a": 1,
        "_permanent": False,
    }


def test_refresh_each_request_true(sapp: erlen.Erlen) -> None:
    client = sapp.test_client()
    client.get("/permanent")
    rv = client.get("/untouched")
    (header,) = session_cookies(rv)
    assert "expires" in cookie_attrs(header)
    assert "cookie" in vary(rv)
    assert cookie_serializer("test key").loads(cookie_value(header))["user"] == "ann"


def test_refresh_each_request_false(sapp: erlen.Erlen) -> None:
    sapp.config["SESSION_REFRESH_EACH_REQUEST"] = False
    client = sapp.test_client()
    assert len(session_cookies(client.get("/permanent"))) == 1
    assert session_cookies(client.get("/untouched")) == []
    assert session_cookies(client.get("/get/user")) == []
    rv = client.get("/set/user/bob")
    (header,) = session_cookies(rv)
    assert "expires" in cookie_attrs(header)


def test_refresh_does_not_apply_to_browser_session(sapp: erlen.Erlen) -> None:
    client = sapp.test_client()
    client.get("/set/user/ann")
    assert session_cookies(client.get("/get/user")) == []


def test_emptying_session_deletes_cookie(sapp: erlen.Erlen) -> None:
    client = sapp.test_client()
    client.get("/set/user/ann")
    assert client.get_cookie("session") is not None
    rv = client.get("/clear")
    (header,) = session_cookies(rv)
    attrs = cookie_attrs(header)
    assert cookie_value(header) == ""
    assert attrs.get("max-age") == "0"
    assert parse_date(attrs["expires"]) < datetime.now(timezone.utc)
    assert "cookie" in vary(rv)
    assert client.get_cookie("session") is None
    assert client.get("/get/user").text == "None"


def test_empty_unmodified_session_sets_no_cookie(app: erlen.Erlen) -> None:
    @app.route("/")
    def index() -> str:
        erlen.session.pop("missing", None)
        return "ok"

    rv = app.test_client().get("/")
    assert session_cookies(rv) == []


def test_pop_missing_key_is_not_a_modification() -> None:
    """Werkzeug's CallbackDict (Flask's session base) only reports real changes."""
    session = SecureCookieSession()
    assert session.pop("missing", None) is None
    assert session.modified is False
    with pytest.raises(KeyError):
        session.pop("missing")
    assert session.modified is False
    with pytest.raises(KeyError):
        session.popitem()
    assert session.modified is False
    session["a"] = 1
    session.modified = False
    assert session.pop("a") == 1
    assert session.modified is True


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, {"httponly": None, "path": "/"}),
        (
            {
                "SESSION_COOKIE_NAME": "sid",
                "SESSION_COOKIE_DOMAIN": "example.com",
                "SESSION_COOKIE_PATH": "/app",
                "SESSION_COOKIE_HTTPONLY": False,
                "SESSION_COOKIE_SECURE": True,
                "SESSION_COOKIE_SAMESITE": "Lax",
                "SESSION_COOKIE_PARTITIONED": True,
            },
            {
                "domain": "example.com",
                "path": "/app",
                "secure": None,
                "samesite": "Lax",
                "partitioned": None,
            },
        ),
        (
            {"SESSION_COOKIE_SAMESITE": "Strict", "SESSION_COOKIE_SECURE": True},
            {"httponly": None, "path": "/", "secure": None, "samesite": "Strict"},
        ),
    ],
)
def test_cookie_attributes_match_flask(config: dict, expected: dict) -> None:
    headers = {}
    for mod in (erlen, flask):
        app = mod.Flask("attrs")
        app.config.update(SECRET_KEY="test key", **config)
        session_obj = mod.session

        @app.route("/app/set")
        def set_value(session_obj=session_obj) -> str:
            session_obj["user"] = "ann"
            return "ok"

        rv = app.test_client().get("/app/set", base_url="http://www.example.com/")
        name = config.get("SESSION_COOKIE_NAME", "session")
        (header,) = [h for h in rv.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
        headers[mod.__name__] = cookie_attrs(header)
    assert headers["erlen"] == expected
    assert headers["erlen"] == headers["flask"]


def test_delete_cookie_keeps_cookie_attributes(app: erlen.Erlen) -> None:
    app.config.update(
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )

    @app.route("/")
    def index() -> str:
        erlen.session.clear()
        return "ok"

    client = app.test_client()
    value = cookie_serializer("test key").dumps({"a": 1})
    rv = client.get(
        "/", base_url="https://www.example.com/", headers={"Cookie": f"session={value}"}
    )
    (header,) = session_cookies(rv)
    attrs = cookie_attrs(header)
    assert attrs["domain"] == "example.com"
    assert "secure" in attrs and attrs["samesite"] == "Lax" and "httponly" in attrs


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1},
        (1, 2, "three"),
        b"\x00\xffbytes",
        Markup("<b>safe</b>"),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        datetime(2024, 2, 29, 12, 30, 15, tzinfo=timezone.utc),
        {" t": "looks like a tag"},
        {"nested": {"tuple": (1, (2, 3)), "list": [b"x", {"y": Markup("<i>")}]}},
        "ünïcødé ✓",
        [1, 2.5, None, True, "x"],
    ],
    ids=lambda v: type(v).__name__,
)
def test_tagged_json_round_trip(app: erlen.Erlen, value) -> None:
    stored: dict = {}

    @app.route("/set")
    def set_value() -> str:
        erlen.session["value"] = value
        return "ok"

    @app.route("/get")
    def get_value() -> str:
        stored["value"] = erlen.session["value"]
        return "ok"

    client = app.test_client()
    client.get("/set")
    client.get("/get")
    assert stored["value"] == value
    assert type(stored["value"]) is type(value)


# --- NullSession (no SECRET_KEY) ------------------------------------------------------------


@pytest.fixture
def keyless(sapp: erlen.Erlen) -> erlen.Erlen:
    sapp.config["SECRET_KEY"] = None
    return sapp


def test_null_session_reads(keyless: erlen.Erlen) -> None:
    client = keyless.test_client()
    rv = client.get("/get/user")
    assert rv.text == "None"
    assert session_cookies(rv) == []
    assert client.get("/dump").json == {"session": {}, "permanent": False}


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.__setitem__("a", 1),
        lambda s: s.__delitem__("a"),
        lambda s: s.clear(),
        lambda s: s.pop("a", None),
        lambda s: s.popitem(),
        lambda s: s.update(a=1),
        lambda s: s.setdefault("a", 1),
        lambda s: setattr(s, "permanent", True),
    ],
    ids=["setitem", "delitem", "clear", "pop", "popitem", "update", "setdefault", "permanent"],
)
def test_null_session_write_raises(keyless: erlen.Erlen, write) -> None:
    @keyless.route("/write")
    def do_write() -> str:
        write(erlen.session)
        return "ok"

    with pytest.raises(RuntimeError, match="secret key"):
        keyless.test_client().get("/write")


def test_null_session_write_is_a_500_when_not_testing(
    keyless: erlen.Erlen, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyless.config["TESTING"] = False
    # NOTE: loggers are process-wide; restore it so later tests still see log records.
    monkeypatch.setattr(keyless.logger, "disabled", True)
    rv = keyless.test_client().get("/set/user/ann")
    assert rv.status_code == 500
    assert session_cookies(rv) == []


def test_null_session_ignores_cookie(keyless: erlen.Erlen) -> None:
    value = cookie_serializer("test key").dumps({"user": "ann"})
    rv = keyless.test_client().get("/get/user", headers={"Cookie": f"session={value}"})
    assert rv.text == "None"


def test_session_transaction_without_secret_key(keyless: erlen.Erlen) -> None:
    with pytest.raises(RuntimeError, match="Session backend did not open a session"):
        with keyless.test_client().session_transaction():
            pass


# --- key rotation and expiry -----------------------------------------------------------------


def test_secret_key_fallbacks(sapp: erlen.Erlen) -> None:
    old_cookie = cookie_serializer("old key").dumps({"user": "ann"})
    client = sapp.test_client()
    # Without the fallback the old cookie is just an unknown signature.
    rv = client.get("/get/user", headers={"Cookie": f"session={old_cookie}"})
    assert rv.text == "None"

    sapp.config.update(SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["older key", "old key"])
    rv = client.get("/get/user", headers={"Cookie": f"session={old_cookie}"})
    assert rv.text == "'ann'"

    rv = client.get("/set/user/bob", headers={"Cookie": f"session={old_cookie}"})
    new_cookie = cookie_value(session_cookies(rv)[0])
    assert cookie_serializer("new key").loads(new_cookie) == {"user": "bob"}
    with pytest.raises(itsdangerous.BadSignature):
        cookie_serializer("old key").loads(new_cookie)


def test_secret_key_fallbacks_bytes(sapp: erlen.Erlen) -> None:
    old_cookie = cookie_serializer(b"old key").dumps({"user": "ann"})
    sapp.config.update(SECRET_KEY=b"new key", SECRET_KEY_FALLBACKS=[b"old key"])
    rv = sapp.test_client().get("/get/user", headers={"Cookie": f"session={old_cookie}"})
    assert rv.text == "'ann'"


@pytest.fixture
def signed_in_the_past(monkeypatch: pytest.MonkeyPatch):
    """Sign cookies as if it were ``seconds`` ago."""

    def go(seconds: int) -> None:
        # erlen signs with its own CookieSigner (same format); a custom serializer with
        # itsdangerous.
        for cls in (itsdangerous.TimestampSigner, CookieSigner):
            monkeypatch.setattr(cls, "get_timestamp", lambda self: int(time.time()) - seconds)

    return go


def test_expired_cookie_gives_empty_session(sapp: erlen.Erlen, signed_in_the_past) -> None:
    sapp.permanent_session_lifetime = timedelta(minutes=10)
    client = sapp.test_client()
    signed_in_the_past(11 * 60)
    client.get("/permanent")
    signed_in_the_past(0)
    assert client.get("/get/user").text == "None"


def test_cookie_within_lifetime_is_read(sapp: erlen.Erlen, signed_in_the_past) -> None:
    sapp.permanent_session_lifetime = timedelta(minutes=10)
    client = sapp.test_client()
    signed_in_the_past(9 * 60)
    client.get("/permanent")
    signed_in_the_past(0)
    assert client.get("/get/user").text == "'ann'"


def test_lifetime_config_accepts_seconds(sapp: erlen.Erlen, signed_in_the_past) -> None:
    sapp.config["PERMANENT_SESSION_LIFETIME"] = 60
    client = sapp.test_client()
    signed_in_the_past(120)
    client.get("/set/user/ann")  # the age limit applies to browser-session cookies too
    signed_in_the_past(0)
    assert client.get("/get/user").text == "None"


# --- SECURITY: hostile cookies ---------------------------------------------------------------


def _hostile_cookies() -> dict[str, str]:
    good = cookie_serializer("test key").dumps({"user": "ann", "admin": False})
    payload, ts, sig = good.rsplit(".", 2)
    forged_payload = cookie_serializer("x").dump_payload({"user": "ann", "admin": True}).decode()
    return {
        "tampered-signature": f"{payload}.{ts}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}",
        "tampered-payload": f"{forged_payload}.{ts}.{sig}",
        "tampered-timestamp": f"{payload}.AAAAAA.{sig}",
        "truncated": good[: len(good) // 2],
        "truncated-signature": good[:-5],
        "no-signature": payload,
        "forged-other-key": cookie_serializer("attacker key").dumps({"user": "ann", "admin": True}),
        "forged-compressed": "." + forged_payload + f".{ts}.{sig}",
        "oversized": "A" * 100_000,
        "oversized-signed-shape": "A" * 50_000 + "." + ts + "." + sig,
        "non-base64": "!!!***$$$.%%%.^^^",
        "equals-only": "=",
        "dots-only": "...",
        "dot": ".",
        "unicode": "héllo.wörld.ünïcode",
        "emoji": "☃.✓.💥",
        "quoted": '"abc.def.ghi"',
        "null-bytes": "abc%00def",
        "json-object": '{"user":"ann"}',
    }


HOSTILE = _hostile_cookies()


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_cookie_gives_fresh_empty_session(sapp: erlen.Erlen, value: str) -> None:
    sapp.config["TESTING"] = False  # a 500 would be returned, not raised
    client = sapp.test_client()
    cookie = f"session={value}".encode().decode("latin-1")
    rv = client.get("/dump", headers={"Cookie": cookie})
    assert rv.status_code == 200
    assert rv.json == {"session": {}, "permanent": False}
    rv = client.get("/set/user/bob", headers={"Cookie": cookie})
    assert rv.status_code == 200
    assert cookie_serializer("test key").loads(cookie_value(session_cookies(rv)[0])) == {
        "user": "bob"
    }


@pytest.mark.parametrize(
    "data",
    [["not", "a", "dict"], "string", 42, None],
    ids=["list", "str", "int", "null"],
)
def test_signed_non_dict_payload_gives_empty_session(sapp: erlen.Erlen, data) -> None:
    sapp.config["TESTING"] = False
    value = cookie_serializer("test key").dumps(data)
    rv = sapp.test_client().get("/dump", headers={"Cookie": f"session={value}"})
    assert rv.status_code == 200
    assert rv.json == {"session": {}, "permanent": False}


def test_signed_invalid_json_gives_empty_session(sapp: erlen.Erlen) -> None:
    sapp.config["TESTING"] = False
    signer = cookie_serializer("test key").make_signer("cookie-session")
    payload = itsdangerous.encoding.base64_encode(b"{not json")
    value = signer.sign(payload).decode()
    rv = sapp.test_client().get("/dump", headers={"Cookie": f"session={value}"})
    assert rv.status_code == 200
    assert rv.json == {"session": {}, "permanent": False}


# --- test client integration -----------------------------------------------------------------


def test_session_transaction_sets_values(sapp: erlen.Erlen) -> None:
    client = sapp.test_client()
    with client.session_transaction() as sess:
        assert dict(sess) == {}
        sess["user"] = "ann"
    assert client.get("/get/user").text == "'ann'"


def test_session_transaction_reads_values(sapp: erlen.Erlen) -> None:
    client = sapp.test_client()
    client.get("/set/user/ann")
    with client.session_transaction() as sess:
        assert sess["user"] == "ann"
        sess.permanent = True
    rv = client.get("/dump")
    assert rv.json == {"session": {"user": "ann", "_permanent": True}, "permanent": True}


def test_with_client_inspects_session(sapp: erlen.Erlen) -> None:
    with sapp.test_client() as client:
        client.get("/set/user/ann")
        assert erlen.session["user"] == "ann"
        client.get("/clear")
        assert "user" not in erlen.session


# --- the seed's login flow -------------------------------------------------------------------


@pytest.fixture
def login_app(app: erlen.Erlen) -> erlen.Erlen:
    from erlen import make_response, redirect, request, session, url_for

    @app.route("/")
    def index() -> str:
        if "username" in session:
            return f"Logged in as {session['username']}"
        return "You are not logged in"

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "POST":
            if request.form["password"] != "secret" or request.form["code"] != "123456":
                return "bad credentials", 401
            session["username"] = request.form["username"]
            return redirect(url_for("index"))
        return '<form method="post"><input name="username"></form>'

    @app.route("/logout")
    def logout():
        session.pop("username", None)
        return redirect(url_for("index"))

    @app.route("/remember/<name>")
    def remember(name: str):
        resp = make_response("remembered")
        resp.set_cookie("username", name)
        return resp

    @app.route("/who")
    def who() -> str:
        return request.cookies.get("username", "nobody")

    @app.route("/forget")
    def forget():
        resp = make_response("forgotten")
        resp.delete_cookie("username")
        return resp

    return app


def test_login_flow(login_app: erlen.Erlen) -> None:
    client = login_app.test_client()
    assert client.get("/").text == "You are not logged in"
    rv = client.post("/login", data={"username": "ann", "password": "wrong", "code": "123456"})
    assert rv.status_code == 401
    assert client.get("/").text == "You are not logged in"
    rv = client.post(
        "/login",
        data={"username": "ann", "password": "secret", "code": "123456"},
        follow_redirects=True,
    )
    assert rv.text == "Logged in as ann"
    assert [r.status_code for r in rv.history] == [302]
    assert client.get("/").text == "Logged in as ann"
    rv = client.get("/logout", follow_redirects=True)
    assert rv.text == "You are not logged in"
    assert client.get_cookie("session") is None


def test_login_missing_field_is_400(login_app: erlen.Erlen) -> None:
    rv = login_app.test_client().post("/login", data={"username": "ann"})
    assert rv.status_code == 400


def test_plain_cookie_set_read_delete(login_app: erlen.Erlen) -> None:
    client = login_app.test_client()
    assert client.get("/who").text == "nobody"
    rv = client.get("/remember/ann")
    assert rv.headers["Set-Cookie"] == "username=ann; Path=/"
    assert client.get_cookie("username").value == "ann"
    assert client.get("/who").text == "ann"
    rv = client.get("/forget")
    assert rv.headers["Set-Cookie"].startswith("username=; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    assert client.get_cookie("username") is None
    assert client.get("/who").text == "nobody"
