"""Session cookies are interchangeable with Flask 3.1's, both ways, with the same SECRET_KEY.

A rolling deploy from Flask to erlen (or back) must log nobody out: each side reads the other's
cookie with every tagged type intact, including during a key rotation (``SECRET_KEY_FALLBACKS``).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import flask
import itsdangerous
import pytest
from markupsafe import Markup

import erlen
from erlen.sessions.cookie_signer import CookieSigner

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")

RICH = {
    "user": "ann",
    "tuple": (1, "two", (3.5, None)),
    "bytes": b"\x00\x01binary\xff",
    "markup": Markup("<b>hello</b> &amp; bye"),
    "uuid": uuid.UUID("0b6f6e1c-8c43-4c55-9d0f-3f1d6c9b8a11"),
    "datetime": datetime(2024, 5, 17, 8, 30, 45, tzinfo=timezone.utc),
    "nested": {
        "list": [1, b"x", ("a", "b"), {"deep": Markup("<i>")}],
        "dict": {"a": {"b": {"c": [True, False, None]}}},
        "tag_like": {" t": "a dict whose only key looks like a tag"},
    },
    "unicode": "Grüße ✓ 💥",
    "number": 12.25,
}


def make_app(mod, key: str, fallbacks: list[str], seen: dict):
    """An app of ``mod`` (flask or erlen) that stores RICH (permanent) and dumps its session."""
    app = mod.Flask(f"compat_{mod.__name__}")
    app.config.update(TESTING=True, SECRET_KEY=key, SECRET_KEY_FALLBACKS=fallbacks)
    session = mod.session

    @app.route("/store")
    def store() -> str:
        session.update(RICH)
        session.permanent = True
        return "ok"

    @app.route("/load")
    def load() -> str:
        seen[mod.__name__] = dict(session)
        return "ok"

    @app.route("/touch")
    def touch() -> str:
        session["touched"] = True
        return "ok"

    return app


def make_apps(
    flask_keys: tuple[str, list[str]], erlen_keys: tuple[str, list[str]]
) -> tuple[flask.Flask, erlen.Erlen, dict]:
    seen: dict = {}
    return make_app(flask, *flask_keys, seen), make_app(erlen, *erlen_keys, seen), seen


def issue(app, path: str = "/store") -> str:
    client = app.test_client()
    client.get(path)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def load(app, value: str) -> None:
    client = app.test_client()
    client.set_cookie("session", value)
    assert client.get("/load").status_code == 200


def assert_rich(data: dict) -> None:
    expected = {**RICH, "_permanent": True}
    assert data == expected
    for key, value in expected.items():
        assert type(data[key]) is type(value), key
    assert type(data["nested"]["list"][2]) is tuple
    assert type(data["nested"]["list"][3]["deep"]) is Markup


SAME = ("shared key", [])


def test_flask_cookie_read_by_erlen() -> None:
    fl, er, seen = make_apps(SAME, SAME)
    load(er, issue(fl))
    assert_rich(seen["erlen"])


def test_erlen_cookie_read_by_flask() -> None:
    fl, er, seen = make_apps(SAME, SAME)
    load(fl, issue(er))
    assert_rich(seen["flask"])


def test_round_trip_through_both() -> None:
    fl, er, seen = make_apps(SAME, SAME)
    # Flask issues, erlen reads and rewrites, Flask reads erlen's rewrite.
    client = er.test_client()
    client.set_cookie("session", issue(fl))
    client.get("/touch")
    load(fl, client.get_cookie("session").value)
    data = seen["flask"]
    assert data.pop("touched") is True
    assert_rich(data)


def test_cookies_are_byte_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same data, same key and same second: the same cookie, to the byte."""
    now = int(time.time())
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: now)
    monkeypatch.setattr(CookieSigner, "get_timestamp", lambda self: now)
    fl, er, _ = make_apps(SAME, SAME)
    assert issue(er) == issue(fl)


def test_cookie_headers_have_same_attributes() -> None:
    fl, er, _ = make_apps(SAME, SAME)

    def attrs(app) -> list[str]:
        rv = app.test_client().get("/store")
        (header,) = rv.headers.getlist("Set-Cookie")
        return [a.strip() for a in header.split(";")[1:] if not a.strip().startswith("Expires=")]

    assert attrs(er) == attrs(fl)


@pytest.mark.parametrize(
    ("issuer", "reader", "issuer_keys", "reader_keys"),
    [
        ("flask", "erlen", ("old key", []), ("new key", ["old key"])),
        ("erlen", "flask", ("old key", []), ("new key", ["old key"])),
        ("flask", "erlen", ("old key", ["older key"]), ("new key", ["older key", "old key"])),
        ("erlen", "flask", ("old key", ["older key"]), ("new key", ["older key", "old key"])),
    ],
)
def test_fallback_keys(issuer: str, reader: str, issuer_keys, reader_keys) -> None:
    keys = {issuer: issuer_keys, reader: reader_keys}
    fl, er, seen = make_apps(keys["flask"], keys["erlen"])
    apps = {"flask": fl, "erlen": er}
    load(apps[reader], issue(apps[issuer]))
    assert_rich(seen[reader])


@pytest.mark.parametrize("rewriter", ["flask", "erlen"])
def test_rotation_rewrites_with_current_key(rewriter: str) -> None:
    """Mid-rotation, the side with fallbacks re-signs with the new key; the other side, already on
    the new key only, reads it."""
    other = "erlen" if rewriter == "flask" else "flask"
    keys = {rewriter: ("new key", ["old key"]), other: ("new key", [])}
    fl, er, seen = make_apps(keys["flask"], keys["erlen"])
    apps = {"flask": fl, "erlen": er}

    old_issuer = make_app(flask if rewriter == "erlen" else erlen, "old key", [], {})

    client = apps[rewriter].test_client()
    client.set_cookie("session", issue(old_issuer))
    client.get("/touch")
    rewritten = client.get_cookie("session").value

    load(apps[other], rewritten)
    data = seen[other]
    assert data.pop("touched") is True
    assert_rich(data)


def test_unknown_key_is_rejected_by_both() -> None:
    fl, er, seen = make_apps(("flask key", []), ("erlen key", []))
    load(er, issue(fl))
    load(fl, issue(er))
    assert seen == {"erlen": {}, "flask": {}}


def test_expired_flask_cookie_is_empty_in_erlen(monkeypatch: pytest.MonkeyPatch) -> None:
    fl, er, seen = make_apps(SAME, SAME)
    er.permanent_session_lifetime = timedelta(hours=1)
    past = int(time.time()) - 2 * 3600
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: past)
    value = issue(fl)
    monkeypatch.undo()
    load(er, value)
    assert seen["erlen"] == {}
