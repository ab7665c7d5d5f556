"""A live migration from Flask-Session 0.8: the real Flask-Session, on a real Flask app, writes
sessions into a real redis-server; erlen reads them, then rewrites each in its own format
(a hash of tagged JSON fields) on its next change. Nobody is logged out."""

from __future__ import annotations

import typing as t

import flask
import pytest
import redis
from flask_session import Session as FlaskSession

import erlen
from erlen.sessions import Session
from session_servers import redis_url

__all__ = ["redis_url"]


def flask_app(url: str, fmt: str) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(
        SESSION_TYPE="redis",
        SESSION_REDIS=redis.Redis.from_url(url),
        SESSION_SERIALIZATION_FORMAT=fmt,
        SESSION_KEY_PREFIX="session:",
    )
    FlaskSession(app)

    @app.post("/login")
    def login() -> str:
        flask.session["_user_id"] = "ada"
        flask.session["cart"] = ["lamp", "vase"]
        flask.session["visits"] = 3
        return "ok"

    return app


def erlen_app(url: str, tmp_path: t.Any) -> erlen.Erlen:
    app = erlen.Erlen(__name__, instance_path=str(tmp_path))
    app.config.update(SESSION_TYPE="redis", SESSION_REDIS=url, TESTING=True)
    Session(app)

    @app.route("/whoami")
    def whoami() -> t.Any:
        s = erlen.session
        return {"user": s.get("_user_id"), "cart": s.get("cart"), "visits": s.get("visits")}

    @app.post("/visit")
    def visit() -> str:
        erlen.session["visits"] += 1
        return "ok"

    return app


@pytest.mark.parametrize("fmt", ["msgpack", "json"])
def test_sessions_written_by_flask_session_are_read_then_rewritten(
    fmt: str, redis_url: str, tmp_path: t.Any
) -> None:
    old = flask_app(redis_url, fmt).test_client()
    assert old.post("/login").status_code == 200
    sid = old.get_cookie("session").value
    r = redis.Redis.from_url(redis_url)
    key = f"session:{sid}"
    assert r.type(key) == b"string"  # Flask-Session's own format

    new = erlen_app(redis_url, tmp_path)
    client = new.test_client()
    client.set_cookie("session", sid)
    expected = {"user": "ada", "cart": ["lamp", "vase"], "visits": 3}
    assert client.get("/whoami").json == expected
    assert r.type(key) == b"string"  # reading changes nothing

    assert client.post("/visit").status_code == 200
    assert client.get_cookie("session").value == sid  # same id: still logged in
    assert r.type(key) == b"hash"  # rewritten in erlen's format
    assert r.hget(key, "visits") == b"4" and r.hget(key, "_user_id") == b'"ada"'
    assert client.get("/whoami").json == {**expected, "visits": 4}
    assert r.ttl(key) > 0
    r.close()
    new.session_interface.store.close()  # type: ignore[attr-defined]
