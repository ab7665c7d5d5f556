"""The cookie session's planned path (settings worked out once per app, the Set-Cookie header
built from kept attributes, the session cookie read without ``request.cookies``) answers what
the general path answers: the same cookies, ``Vary`` and sessions, for any session, config and
cookie, tampered and garbage ones included; and it steps aside for every override.

The general path is forced by an interface whose ``get_cookie_name`` calls the stock one: an
overridden getter must be called, so the plan is not used.
"""

from __future__ import annotations

import hashlib
import json
import sys
import typing as t
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import erlen
import erlen.sessions as sessions_module
from erlen import session
from erlen.config import Config
from erlen.http.cookies import cookie_value, parse_cookie_pairs
from erlen.http.datastructures import MultiDict
from erlen.sessions import SecureCookieSession, SecureCookieSessionInterface
from erlen.sessions.cookie_signer import _MIN_DISTINCT, _SMALL, _TINY, _cannot_shrink
from erlen.wrappers import Request, Response

# NOTE: the package's ``cookie_signer`` attribute is the function of that name, not the module.
signer_module = sys.modules["erlen.sessions.cookie_signer"]
NOW = 1_780_000_000


class GeneralInterface(SecureCookieSessionInterface):
    """Overrides a getter (to the same answer): every request takes the general path."""

    def get_cookie_name(self, app: erlen.Erlen) -> str:
        return super().get_cookie_name(app)


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz: t.Any = None) -> _FrozenDatetime:  # type: ignore[override]
        return cls.fromtimestamp(NOW, tz)


class _FrozenTime:
    @staticmethod
    def time() -> float:
        return NOW + 0.5


def _freeze(mp: pytest.MonkeyPatch) -> None:
    # NOTE: the modules' clocks, not CookieSigner.get_timestamp: the planned path reads the
    # clock inline unless get_timestamp is overridden, and that read is under test too.
    mp.setattr(signer_module, "time", _FrozenTime)
    mp.setattr(sessions_module, "datetime", _FrozenDatetime)


Step = tuple[str, t.Any, t.Any]


def _app(general: bool, config: dict[str, t.Any], steps: list[Step]) -> erlen.Erlen:
    app = erlen.Erlen(__name__)
    app.config.update(SECRET_KEY="the key", **config)
    if general:
        app.session_interface = GeneralInterface()

    @app.route("/")
    def run() -> str:
        shown = []
        for kind, key, value in steps:
            if kind == "set":
                session[key] = value
            elif kind == "pop":
                session.pop(key, None)
            elif kind == "get":
                shown.append(repr(session.get(key)))
            elif kind == "all":
                shown.append(repr(dict(session)))
            elif kind == "permanent":
                session.permanent = value
            elif kind == "clear":
                session.clear()
            elif kind == "modified":
                session.modified = True
        return " ".join(shown)

    return app


_keys = st.sampled_from(["a", "b", "count", "user_id", "_permanent", " t", "é"])
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=10,
)
_values = _json | st.tuples(st.integers(), st.text(max_size=5)) | st.binary(max_size=20)
_step = st.one_of(
    st.tuples(st.just("set"), _keys, _values),
    st.tuples(st.just("pop"), _keys, st.none()),
    st.tuples(st.just("get"), _keys, st.none()),
    st.tuples(st.just("all"), st.none(), st.none()),
    st.tuples(st.just("permanent"), st.none(), st.booleans()),
    st.tuples(st.just("clear"), st.none(), st.none()),
    st.tuples(st.just("modified"), st.none(), st.none()),
)
_config = st.fixed_dictionaries(
    {},
    optional={
        "SESSION_COOKIE_NAME": st.sampled_from(["session", "sid", "__Host-s"]),
        "SESSION_COOKIE_DOMAIN": st.sampled_from(
            [None, "example.com", ".example.org", "bücher.de"]
        ),
        "SESSION_COOKIE_PATH": st.sampled_from([None, "/", "/app", "/a b/é"]),
        "APPLICATION_ROOT": st.sampled_from(["/", "/root"]),
        "SESSION_COOKIE_HTTPONLY": st.booleans(),
        "SESSION_COOKIE_SECURE": st.booleans(),
        "SESSION_COOKIE_SAMESITE": st.sampled_from([None, "Lax", "strict", "None"]),
        "SESSION_COOKIE_PARTITIONED": st.booleans(),
        "SESSION_REFRESH_EACH_REQUEST": st.booleans(),
        "PERMANENT_SESSION_LIFETIME": st.sampled_from([timedelta(hours=1), 600, 86400 * 31]),
        "SECRET_KEY_FALLBACKS": st.sampled_from([None, [], ["old"], [b"older", "old"]]),
        "MAX_COOKIE_SIZE": st.sampled_from([4093, 0, 80]),
    },
)


def _answer(response: t.Any) -> tuple[t.Any, ...]:
    return (
        response.status_code,
        response.text,
        response.headers.getlist("Set-Cookie"),
        response.headers.get("Vary"),
    )


def _run_both(
    config: dict[str, t.Any], programs: list[list[Step]], cookie: str | None = None
) -> list[tuple[t.Any, ...]]:
    """Run the same requests on a planned and a general app; each answer must match."""
    steps: list[Step] = []
    apps = [_app(False, config, steps), _app(True, config, steps)]
    clients = [app.test_client() for app in apps]
    answers = []
    with pytest.MonkeyPatch.context() as mp:
        _freeze(mp)
        for program in programs:
            steps[:] = program
            pair = []
            for client in clients:
                headers = {"Cookie": cookie} if cookie is not None else {}
                with pytest.warns() if config.get("MAX_COOKIE_SIZE") == 80 else _nothing():
                    pair.append(_answer(client.get("/", headers=headers)))
            assert pair[0] == pair[1]
            answers.append(pair[0])
    return answers


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: t.Any) -> None:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=_config, programs=st.lists(st.lists(_step, max_size=5), min_size=1, max_size=4))
def test_planned_path_answers_as_the_general_one(
    config: dict[str, t.Any], programs: list[list[Step]]
) -> None:
    if config.get("MAX_COOKIE_SIZE") == 80:
        # NOTE: every cookie over 80 bytes warns; both paths must warn alike, so only the
        # programs that set a cookie are run with the warning expected.
        config = {**config, "MAX_COOKIE_SIZE": 4093}
    _run_both(config, programs)


def test_planned_path_warns_about_large_cookies_as_the_general_one() -> None:
    _run_both({"MAX_COOKIE_SIZE": 80}, [[("set", "a", "x" * 100)]])


# What a client can send in a header: latin-1 without CR, LF or NUL.
_header_chars = st.text(
    alphabet=st.characters(max_codepoint=255, blacklist_characters="\r\n\x00"), max_size=60
)


@st.composite
def _cookies(draw: st.DrawFn) -> str:
    """A session cookie header: Flask-valid, tampered, truncated, foreign-signed or garbage."""
    with pytest.MonkeyPatch.context() as mp:
        _freeze(mp)
        signer = signer_module.CookieSigner(
            [draw(st.sampled_from(["the key", "old", "other"]))],
            "cookie-session",
            hashlib.sha1,
            sessions_module.session_json_serializer,
        )
        value = signer.dumps(draw(st.dictionaries(_keys, _json, max_size=3)))
    how = draw(st.sampled_from(["as is", "flip", "cut", "append", "garbage", "quoted", "dup"]))
    if how == "flip" and value:
        i = draw(st.integers(0, len(value) - 1))
        value = value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1 :]
    elif how == "cut":
        value = value[: draw(st.integers(0, len(value)))]
    elif how == "append":
        value += draw(_header_chars)[:5]
    elif how == "garbage":
        value = draw(_header_chars)
    elif how == "quoted":
        value = f'"{value}"'
    elif how == "dup":
        return f"session=junk; session={value}"
    return f"session={value}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cookie=_cookies(),
    program=st.lists(_step, max_size=3),
    config=st.sampled_from(
        [{}, {"SECRET_KEY_FALLBACKS": ["old"]}, {"PERMANENT_SESSION_LIFETIME": 0}]
    ),
)
def test_any_cookie_reads_as_on_the_general_path(
    cookie: str, program: list[Step], config: dict[str, t.Any]
) -> None:
    answers = _run_both(config, [[("all", None, None), *program]], cookie)
    assert answers[0][0] == 200  # SECURITY: a bad cookie is an empty session, never a 500


# --------------------------------------------------------------------------- the plan follows


def _planned(app: erlen.Erlen) -> bool:
    return app.session_interface._plan(app) is not None  # type: ignore[attr-defined]


def _set_cookie(app: erlen.Erlen, **headers: str) -> str:
    @app.route("/set")
    def set_view() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    rv = app.test_client().get("/set", headers=headers)
    return rv.headers["Set-Cookie"]


def test_config_changes_reach_the_cookie() -> None:
    app = erlen.Erlen(__name__)
    app.config["SECRET_KEY"] = "k"
    first = _set_cookie(app)
    assert _planned(app) and first.startswith("session=")
    app.config["SESSION_COOKIE_NAME"] = "sid"
    app.config.update(SESSION_COOKIE_DOMAIN="example.com", SESSION_COOKIE_SAMESITE="Lax")
    rv = app.test_client().get("/set")
    cookie = rv.headers["Set-Cookie"]
    assert cookie.startswith("sid=") and "; Domain=example.com" in cookie
    assert cookie.endswith("; SameSite=Lax")


def test_secret_key_change_and_in_place_fallbacks() -> None:
    app = erlen.Erlen(__name__)
    app.config.update(SECRET_KEY="old", SECRET_KEY_FALLBACKS=[])
    old_cookie = _set_cookie(app).split(";")[0]
    app.config["SECRET_KEY"] = "new"
    client = app.test_client()
    assert client.get("/set", headers={"Cookie": old_cookie}).text == "1"  # not readable
    app.config["SECRET_KEY_FALLBACKS"].append("old")  # NOTE: changed in place, no counter
    assert client.get("/set", headers={"Cookie": old_cookie}).text == "2"


def test_lifetime_change_expires_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    app = erlen.Erlen(__name__)
    app.config["SECRET_KEY"] = "k"
    _freeze(monkeypatch)
    cookie = _set_cookie(app).split(";")[0]  # stamped NOW
    monkeypatch.setattr(_FrozenTime, "time", staticmethod(lambda: NOW + 60.5))
    client = app.test_client()
    assert client.get("/set", headers={"Cookie": cookie}).text == "2"  # 60 s of 31 days
    app.permanent_session_lifetime = timedelta(seconds=10)
    assert client.get("/set", headers={"Cookie": cookie}).text == "1"  # expired
    app.config["PERMANENT_SESSION_LIFETIME"] = 100
    assert client.get("/set", headers={"Cookie": cookie}).text == "2"


def test_config_without_counter_is_compared_every_time() -> None:
    app = erlen.Erlen(__name__)
    app.config["SECRET_KEY"] = "k"
    _set_cookie(app)
    dict.__setitem__(app.config, "SESSION_COOKIE_NAME", "bypass")  # no counter bump
    app.config._version = None  # type: ignore[assignment]
    assert app.test_client().get("/set").headers["Set-Cookie"].startswith("bypass=")


def test_config_counter_counts_every_change() -> None:
    config = Config(".", {"A": 1})
    changes: list[t.Callable[[Config], t.Any]] = [
        lambda c: c.__setitem__("B", 2),
        lambda c: c.update(C=3),
        lambda c: c.__ior__({"D": 4}),
        lambda c: c.setdefault("E", 5),
        lambda c: c.pop("E"),
        lambda c: c.__delitem__("D"),
        lambda c: c.popitem(),
        lambda c: c.from_mapping(F=6),
        lambda c: c.clear(),
    ]
    for change in changes:
        before = config._version
        change(config)
        assert config._version > before
    assert config == {}


# --------------------------------------------------------------------------- overrides honoured


def _session_app(interface: SecureCookieSessionInterface | None = None) -> erlen.Erlen:
    app = erlen.Erlen(__name__)
    app.config["SECRET_KEY"] = "k"
    if interface is not None:
        app.session_interface = interface
    return app


def test_instance_hook_is_called() -> None:
    interface = SecureCookieSessionInterface()
    app = _session_app(interface)
    assert _set_cookie(app).startswith("session=")
    interface.get_cookie_name = lambda app: "patched"  # type: ignore[method-assign]
    assert not _planned(app)
    assert app.test_client().get("/set").headers["Set-Cookie"].startswith("patched=")


@pytest.mark.parametrize(
    "hook",
    ["get_cookie_path", "get_expiration_time", "should_set_cookie", "get_cookie_samesite"],
)
def test_class_hooks_are_called(hook: str) -> None:
    calls: list[str] = []

    def spy(self: t.Any, *args: t.Any) -> t.Any:
        calls.append(hook)
        return getattr(SecureCookieSessionInterface, hook)(self, *args)

    interface = type("Custom", (SecureCookieSessionInterface,), {hook: spy})()
    app = _session_app(interface)
    assert not _planned(app)
    _set_cookie(app)
    assert calls


def test_settings_changed_on_the_interface_are_used() -> None:
    interface = SecureCookieSessionInterface()
    app = _session_app(interface)
    plain = _set_cookie(app).split(";")[0].split("=", 1)[1]
    interface.salt = "other-salt"
    salted = app.test_client().get("/set").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    flask_like = signer_module.CookieSigner(["k"], "other-salt", hashlib.sha1, interface.serializer)
    assert flask_like.loads(salted) == {"n": 1}
    with pytest.raises(signer_module.SignatureError):
        flask_like.loads(plain)
    interface.key_derivation = "concat"  # NOTE: itsdangerous' serializer takes over
    assert not _planned(app)
    assert app.test_client().get("/set").text == "1"


def test_custom_session_class_and_response_class() -> None:
    class Session(SecureCookieSession):
        pass

    class CookieResponse(Response):
        def set_cookie(self, key: str, value: str = "", **kwargs: t.Any) -> None:
            super().set_cookie(key, value + "X", **kwargs)

    interface = SecureCookieSessionInterface()
    interface.session_class = Session  # type: ignore[assignment]
    app = _session_app(interface)
    app.response_class = CookieResponse
    assert _set_cookie(app).split(";")[0].endswith("X")


def test_request_class_cookies_are_used() -> None:
    class Custom(Request):
        @property
        def cookies(self) -> t.Any:  # type: ignore[override]
            return MultiDict([("session", self.environ.get("HTTP_X_SESSION", ""))])

    app = _session_app()
    cookie = _set_cookie(app).split(";")[0].split("=", 1)[1]
    app.request_class = Custom
    rv = app.test_client().get("/set", headers={"X-Session": cookie})
    assert rv.text == "2"


def test_app_class_computing_the_secret_key_is_honoured() -> None:
    class Keyed(erlen.Erlen):
        @property
        def secret_key(self) -> str:  # type: ignore[override]
            return "computed"

    app = Keyed(__name__)
    app.config["SECRET_KEY"] = "k"
    cookie = _set_cookie(app).split(";")[0].split("=", 1)[1]
    assert not _planned(app)
    signer = signer_module.CookieSigner(
        ["computed"], "cookie-session", hashlib.sha1, sessions_module.session_json_serializer
    )
    assert signer.loads(cookie) == {"n": 1}


# --------------------------------------------------------------------------- the pieces


# Cookie headers of a few names (spaced, empty, repeated) and values (quoted, escaped, empty).
_pair = st.tuples(
    st.sampled_from(["session", "s", " session", "session ", "", "a b", "é"]),
    st.sampled_from(["", "=", "=1", "=x y", '="q\\073"', '=""', "=é", "= v ", '="a']),
).map("".join)
_header_text = st.tuples(st.lists(_pair, max_size=5), st.sampled_from([";", "; ", " ;\t"])).map(
    lambda parts: parts[1].join(parts[0])
)


@settings(max_examples=500, deadline=None)
@given(
    header=_header_text | _header_text.map(str.encode) | st.binary(max_size=30),
    name=st.sampled_from(["session", "s", "a b", "é"]),
)
def test_cookie_value_is_the_multidicts_first(header: str | bytes, name: str) -> None:
    assert cookie_value(header, name) == MultiDict(parse_cookie_pairs(header)).get(name)


def test_cookie_value_of_no_header() -> None:
    assert cookie_value(None, "session") is None
    assert cookie_value("", "session") is None


def test_tiny_payload_bound() -> None:
    # The proof: any zlib stream of 2 bytes or more is at least 10 bytes long.
    for size in range(2, _TINY):
        for data in (b"a" * size, bytes(range(size)), b"ab" * (size // 2)):
            assert len(zlib.compress(data)) >= 10
            assert _cannot_shrink(data)
    assert _MIN_DISTINCT[_SMALL] <= _SMALL


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=_SMALL + 2),
        st.lists(st.sampled_from(b'{"}:,01abc'), max_size=_SMALL + 2).map(bytes),
        st.lists(st.sampled_from(b"ab"), max_size=_SMALL + 2).map(bytes),
        st.lists(st.integers(0, 255), min_size=10, max_size=_SMALL, unique=True).map(bytes),
    )
)
def test_cannot_shrink_is_never_wrong_hypothesis(data: bytes) -> None:
    if _cannot_shrink(data):
        assert len(zlib.compress(data)) >= len(data) - 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=_TINY, max_size=_SMALL))
def test_distinct_count_bound_is_sound(raw: list[int]) -> None:
    # Whenever the distinct-count bound alone proves a payload (with no repeated 3-byte
    # sequence), zlib agrees.
    data = bytes(raw)
    n = len(data)
    repeats = len(set(zip(data, data[1:], data[2:], strict=False))) != n - 2
    if not repeats and len(set(data)) >= _MIN_DISTINCT[n]:
        assert _cannot_shrink(data)
        assert len(zlib.compress(data)) >= n - 1


def test_session_copy_for_signing_does_not_use_session_methods() -> None:
    s = SecureCookieSession({"a": 1})
    assert dict(dict.items(s)) == {"a": 1} and not s.accessed


def test_planned_cookie_is_flask_readable() -> None:
    flask = pytest.importorskip("flask")
    app = _session_app()
    cookie = _set_cookie(app).split(";")[0].split("=", 1)[1]
    fapp = flask.Flask(__name__)
    fapp.secret_key = "k"
    with fapp.test_request_context(headers={"Cookie": f"session={cookie}"}):
        assert dict(flask.session) == {"n": 1}


def test_permanent_expiry_header(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _session_app()

    @app.route("/perm")
    def perm() -> str:
        session.permanent = True
        session["x"] = 1
        return ""

    _freeze(monkeypatch)
    rv = app.test_client().get("/perm")
    expected = datetime.fromtimestamp(NOW, timezone.utc) + timedelta(days=31)
    assert f"; Expires={expected.strftime('%a, %d %b %Y %H:%M:%S GMT')}" in rv.headers["Set-Cookie"]


def test_a_new_config_object_is_looked_at() -> None:
    app = erlen.Erlen(__name__)
    app.config["SECRET_KEY"] = "k"
    _set_cookie(app)
    replacement = Config(app.config.root_path, dict(app.config))
    replacement["SESSION_COOKIE_NAME"] = "other"
    replacement._version = app.config._version  # NOTE: even at the same count
    app.config = replacement
    assert app.test_client().get("/set").headers["Set-Cookie"].startswith("other=")


# --------------------------------------------------------------------------- tagged JSON, direct


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=5), _values, max_size=5) | _values,
    sort_keys=st.booleans(),
    ensure_ascii=st.booleans(),
)
def test_tagged_dumps_through_the_kept_encoder_is_json_dumps(
    value: t.Any, sort_keys: bool, ensure_ascii: bool
) -> None:
    app = erlen.Erlen(__name__)
    app.json.sort_keys = sort_keys  # type: ignore[attr-defined]
    app.json.ensure_ascii = ensure_ascii  # type: ignore[attr-defined]
    serializer = sessions_module.session_json_serializer
    with app.app_context():
        try:
            expected: t.Any = json.dumps(
                serializer.tag(value),
                separators=(",", ":"),
                sort_keys=sort_keys,
                ensure_ascii=ensure_ascii,
                default=app.json.default,  # type: ignore[attr-defined]
            )
        except TypeError as e:  # NOTE: keys of mixed types cannot be sorted
            expected = type(e)
        try:
            got: t.Any = serializer.dumps(value)
        except TypeError as e:
            got = type(e)
    assert got == expected


def _loaded(text: str) -> t.Any:
    serializer = sessions_module.session_json_serializer
    try:
        return serializer.loads(text)
    except ValueError as e:
        return type(e)


def _reference_loaded(text: str) -> t.Any:
    serializer = sessions_module.session_json_serializer
    try:
        return serializer._untag_scan(json.loads(text))
    except ValueError as e:
        return type(e)


@settings(max_examples=400, deadline=None)
@given(
    value=_values | st.dictionaries(_keys, _values, max_size=4),
    before=st.sampled_from(["", " ", "\n\t", "x"]),
    after=st.sampled_from(["", " ", "\r\n", "x", "}", "1"]),
    cut=st.integers(0, 3),
)
def test_tagged_loads_through_the_scanner_is_the_walk(
    value: t.Any, before: str, after: str, cut: int
) -> None:
    serializer = sessions_module.session_json_serializer
    text = before + serializer.dumps(value) + after
    text = text[: len(text) - cut] if cut else text
    app = erlen.Erlen(__name__)
    for ctx in (app.app_context(), None):
        if ctx is not None:
            ctx.push()
        try:
            assert repr(_loaded(text)) == repr(_reference_loaded(text))
        finally:
            if ctx is not None:
                ctx.pop()
