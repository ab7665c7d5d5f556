"""Server-side sessions in one process: each invariant of ``erlen.sessions.server``, tested
through the test client against real stores (SQLite and files in temp dirs, redis-server)."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import typing as t
import uuid
from datetime import datetime, timezone

import pytest
from markupsafe import Markup

from erlen import Erlen, session
from erlen.cli import cli
from erlen.sessions import Session, revoke_user
from erlen.sessions.stores.base import Store
from session_servers import (
    GUARD_TIMEOUTS,
    free_port,
    postgresql_dsn,
    redis_url,
    start_redis,
    stop_redis,
)

__all__ = ["postgresql_dsn", "redis_url"]


class Counting(Store):
    """A real store with every call counted (how many round trips a request cost)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.native_expiry = inner.native_expiry

    def __getattribute__(self, name: str) -> t.Any:
        if name in (
            "load", "apply", "apply_if_exists", "delete", "touch", "revoke_user", "cleanup", "lock",
        ):  # fmt: skip
            self.calls.append(name)
            return getattr(self.inner, name)
        return object.__getattribute__(self, name)


def make_app(tmp_path: t.Any, **config: t.Any) -> Erlen:
    app = Erlen(__name__, instance_path=str(tmp_path))
    # NOTE: generous store and lock timeouts unless the test sets its own (hang guards).
    app.config.update(TESTING=True, **{**GUARD_TIMEOUTS, **config})
    Session(app)

    @app.route("/")
    def index() -> str:
        return "no session here"

    @app.route("/get/<key>")
    def get(key: str) -> t.Any:
        return {"value": repr(session.get(key))}

    @app.post("/set/<key>/<value>")
    def set_(key: str, value: str) -> str:
        session[key] = value
        return "ok"

    @app.post("/login/<user>")
    def login(user: str) -> str:
        session["_user_id"] = user
        return session.sid

    @app.post("/logout")
    def logout() -> str:
        session.pop("_user_id", None)
        return "bye"

    @app.post("/destroy")
    def destroy() -> str:
        session.destroy()
        return "gone"

    @app.post("/regenerate")
    def regenerate() -> str:
        session.regenerate()
        return "new id"

    return app


@pytest.fixture
def app(tmp_path: t.Any) -> Erlen:
    return make_app(tmp_path)


def counted(app: Erlen) -> Counting:
    counting = Counting(app.session_interface.store)  # type: ignore[attr-defined]
    app.session_interface.store = counting  # type: ignore[attr-defined]
    return counting


def sid_of(client: t.Any) -> str | None:
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


# -- 1. ids ---------------------------------------------------------------------------------


def test_ids_are_256_bit_url_safe_tokens_and_unknown_ids_are_not_adopted(app: Erlen) -> None:
    client = app.test_client()
    client.post("/set/a/1")
    sid = sid_of(client)
    assert sid is not None and len(sid) == 43  # 32 bytes of secrets, URL-safe base64
    forged = "F" * 43
    other = app.test_client()
    other.set_cookie("session", forged)
    other.post("/set/a/2")
    assert sid_of(other) not in (forged, sid)
    assert app.session_interface.store.load(forged) is None  # type: ignore[attr-defined]
    for bad in ("../../etc/passwd", "short", "x" * 300, "a.b.c" * 10):
        c = app.test_client()
        c.set_cookie("session", bad)
        assert c.get("/get/a").json == {"value": "None"}


# -- 2. no store call unless the session is used --------------------------------------------


def test_untouched_session_costs_no_store_call_and_empty_sessions_are_not_stored(
    app: Erlen,
) -> None:
    store = counted(app)
    client = app.test_client()
    response = client.get("/get/a")  # reads, but there is no cookie: nothing to load
    assert response.json == {"value": "None"} and "Set-Cookie" not in response.headers
    assert store.calls == []
    client.post("/set/a/1")
    store.calls.clear()
    assert client.get("/").text == "no session here"
    assert store.calls == []  # a cookie, but the view never used the session
    assert client.get("/get/a").json == {"value": "'1'"}
    assert store.calls == ["load"]  # one read, nothing written


def test_a_write_without_a_read_costs_one_call_and_never_adopts_an_unknown_id(app: Erlen) -> None:
    store = counted(app)
    client = app.test_client()
    client.post("/set/a/1")
    sid = sid_of(client)
    store.calls.clear()
    response = client.post("/set/b/2")
    assert store.calls == ["apply_if_exists"]  # no load first
    assert "Set-Cookie" not in response.headers and response.headers["Vary"] == "Cookie"
    assert client.get("/get/a").json == {"value": "'1'"}
    assert client.get("/get/b").json == {"value": "'2'"}
    forged = "G" * 43
    other = app.test_client()
    other.set_cookie("session", forged)
    other.post("/set/c/3")
    assert sid_of(other) not in (forged, sid)
    assert store.inner.load(forged) is None
    assert other.get("/get/c").json == {"value": "'3'"}


def test_a_request_that_changes_nothing_writes_nothing_but_nested_changes_are_saved(
    tmp_path: t.Any,
) -> None:
    app = make_app(tmp_path)

    @app.post("/append")
    def append() -> str:
        session.setdefault("items", []).append(len(session.get("items", [])))
        return "ok"

    @app.post("/same")
    def same() -> str:
        session["x"] = session.get("x")  # read, then set the value it already has
        return "ok"

    store = counted(app)
    client = app.test_client()
    client.post("/set/x/1")
    store.calls.clear()
    client.post("/same")
    assert store.calls == ["load"]
    client.post("/append")
    client.post("/append")  # a change inside a value, with no `modified = True`
    assert client.get("/get/items").json == {"value": "[0, 1]"}


def test_expiry_is_touched_at_most_once_per_fraction_of_the_lifetime(tmp_path: t.Any) -> None:
    app = make_app(tmp_path, PERMANENT_SESSION_LIFETIME=3600, SESSION_REFRESH_FRACTION=0.1)
    store = counted(app)
    client = app.test_client()
    client.post("/set/a/1")
    sid = sid_of(client)
    store.calls.clear()
    client.get("/get/a")
    assert store.calls == ["load"]  # just written: no touch
    store.inner.touch(sid, 3000)  # as if 600 s had passed (more than 10% of the lifetime)
    response = client.get("/get/a")
    assert store.calls == ["load", "load", "touch"]
    assert "Expires=" in response.headers["Set-Cookie"]  # the permanent cookie moved too
    assert store.inner.load(sid).expires_at > __import__("time").time() + 3500
    client.get("/get/a")
    assert store.calls[-1] == "load"


# -- 5. lifecycle -------------------------------------------------------------------------------


def test_login_regenerates_the_id_and_logout_too(app: Erlen) -> None:
    client = app.test_client()
    client.post("/set/cart/lamp")
    anonymous = sid_of(client)
    client.post("/login/ada")
    logged_in = sid_of(client)
    assert logged_in != anonymous
    assert client.get("/get/cart").json == {"value": "'lamp'"}  # data kept
    stale = app.test_client()
    stale.set_cookie("session", anonymous)  # the fixated id is dead
    assert stale.get("/get/_user_id").json == {"value": "None"}
    client.post("/logout")
    assert sid_of(client) not in (anonymous, logged_in)
    assert client.get("/get/cart").json == {"value": "'lamp'"}


def test_regenerate_keeps_data_and_destroy_deletes(app: Erlen) -> None:
    client = app.test_client()
    client.post("/set/a/1")
    old = sid_of(client)
    client.post("/regenerate")
    new = sid_of(client)
    assert new != old and client.get("/get/a").json == {"value": "'1'"}
    store = app.session_interface.store  # type: ignore[attr-defined]
    assert store.load(old) is None
    response = client.post("/destroy")
    assert "Expires=Thu, 01 Jan 1970" in response.headers["Set-Cookie"]
    assert store.load(new) is None and sid_of(client) is None


def test_revoke_user_ends_every_session_of_the_user(app: Erlen) -> None:
    laptop, phone, other = app.test_client(), app.test_client(), app.test_client()
    laptop.post("/login/ada")
    phone.post("/login/ada")
    other.post("/login/bob")
    with app.app_context():
        assert revoke_user("ada") == 2
    assert laptop.get("/get/_user_id").json == {"value": "None"}
    assert phone.get("/get/_user_id").json == {"value": "None"}
    assert other.get("/get/_user_id").json == {"value": "'bob'"}


# -- 6. tagged JSON, never pickle ---------------------------------------------------------------


def test_types_survive_and_the_store_holds_json(tmp_path: t.Any) -> None:
    app = make_app(tmp_path)
    values = {
        "t": (1, "two"),
        "b": b"\x00\xff",
        "m": Markup("<b>hi</b>"),
        "u": uuid.UUID(int=7),
        "d": datetime(2024, 2, 29, 12, 0, tzinfo=timezone.utc),
    }

    @app.post("/put")
    def put() -> str:
        session.update(values)
        return "ok"

    @app.route("/check")
    def check() -> t.Any:
        return {k: session[k] == v and type(session[k]) is type(v) for k, v in values.items()}

    client = app.test_client()
    client.post("/put")
    assert client.get("/check").json == dict.fromkeys(values, True)
    loaded = app.session_interface.store.load(sid_of(client))  # type: ignore[attr-defined]
    for text in loaded.fields.values():
        json.loads(text)  # every stored value is JSON text


# -- 7. faults ----------------------------------------------------------------------------------


def test_locked_sqlite_gives_503_with_retry_after_and_no_error_text(tmp_path: t.Any) -> None:
    app = make_app(tmp_path, SESSION_SQLITE_BUSY_TIMEOUT=0.2, SESSION_RETRY_AFTER=3)
    client = app.test_client()
    client.post("/set/a/1")
    blocker = sqlite3.connect(os.path.join(str(tmp_path), "sessions.sqlite3"))
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = client.post("/set/a/2")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "3"
        assert "locked" not in response.text and "sqlite" not in response.text.lower()
        assert client.get("/").status_code == 200  # routes without the session still answer
    finally:
        blocker.rollback()
        blocker.close()
    assert client.post("/set/a/3").status_code == 200  # recovered by itself
    assert client.get("/get/a").json == {"value": "'3'"}


def test_unreachable_redis_gives_503_or_an_empty_read_only_session(tmp_path: t.Any) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(tmp_path, SESSION_TYPE="redis", SESSION_REDIS=dead)
    client = app.test_client()
    client.set_cookie("session", "S" * 43)
    response = client.get("/get/a")
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert "Connection" not in response.text and "redis" not in response.text.lower()
    assert client.get("/").status_code == 200

    soft = make_app(tmp_path, SESSION_TYPE="redis", SESSION_REDIS=dead, SESSION_UNAVAILABLE="empty")

    @soft.route("/status")
    def status() -> t.Any:
        return {"user": session.get("_user_id"), "unavailable": session.unavailable}

    client = soft.test_client()
    client.set_cookie("session", "S" * 43)
    assert client.get("/status").json == {"user": None, "unavailable": True}
    assert client.post("/set/a/1").status_code == 503  # read-only: a write is refused


@contextlib.contextmanager
def tiny_disk(path: str) -> t.Iterator[str]:
    """A directory on a 64 KiB tmpfs (a full disk is easy to reach), when mount works; else an
    ordinary directory with RLIMIT_FSIZE set low for this process (writes past it fail)."""
    os.makedirs(path)
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", path], capture_output=True
        ).returncode
        == 0
    )
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        yield "tmpfs" if mounted else "rlimit"
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
        if mounted:
            subprocess.run(["umount", path], check=True)


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def test_full_disk_keeps_the_old_session_file_intact(tmp_path: t.Any) -> None:
    """The filesystem store on a full disk: a 64 KiB tmpfs filled by a big value (or, where
    mount is not allowed, RLIMIT_FSIZE making the write fail with EFBIG). The write fails,
    the request gets a 503, and the old file is read back whole."""
    directory = str(tmp_path / "disk")
    with tiny_disk(directory) as how:
        app = make_app(tmp_path, SESSION_TYPE="filesystem", SESSION_FILE_DIR=directory)

        @app.post("/big")
        def big() -> str:
            session["blob"] = "x" * 200_000
            return "ok"

        client = app.test_client()
        client.post("/set/a/kept")
        path = os.path.join(directory, sid_of(client))  # type: ignore[arg-type]
        before = read(path)
        if how == "rlimit":
            resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.RLIM_INFINITY))
        assert client.post("/big").status_code == 503
        assert read(path) == before
        assert [n for n in os.listdir(directory) if n.startswith(".tmp")] == []
        if how == "rlimit":
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
        assert client.get("/get/a").json == {"value": "'kept'"}


# -- sweep and command ----------------------------------------------------------------------


def test_sweep_every_n_requests_and_cleanup_command(tmp_path: t.Any) -> None:
    app = make_app(tmp_path, SESSION_CLEANUP_N_REQUESTS=3)
    store = app.session_interface.store  # type: ignore[attr-defined]
    store.apply("E" * 43, {"a": "1"}, 600)
    store.touch("E" * 43, -1)  # expired
    client = app.test_client()
    client.get("/")
    client.get("/")
    assert store._run("SELECT count(*) FROM sessions").fetchone()[0] == 1  # not swept yet
    client.get("/")
    assert store._run("SELECT count(*) FROM sessions").fetchone()[0] == 0
    store.apply("E" * 43, {"a": "1"}, 600)
    store.touch("E" * 43, -1)
    result = app.test_cli_runner().invoke(cli, ["sessions", "cleanup"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "removed 1 expired sessions"


# -- async form of the interface --------------------------------------------------------------


def test_async_load_and_save(tmp_path: t.Any, redis_url: str) -> None:
    import asyncio

    app = make_app(tmp_path, SESSION_TYPE="redis", SESSION_REDIS=redis_url)
    interface = app.session_interface
    client = app.test_client()
    client.post("/set/a/1")
    sid = sid_of(client)

    async def request() -> t.Any:
        with app.test_request_context("/", headers={"Cookie": f"session={sid}"}):
            s = interface.open_session(app, __import__("erlen").request)
            await interface.load_async(s)
            assert s._data == {"a": "1"}  # loaded without a blocking call
            s["b"] = "2"
            response = app.response_class("ok")
            await interface.save_session_async(app, s, response)
        await interface.async_store.aclose()
        return response

    response = asyncio.run(request())
    assert response.status_code == 200
    assert client.get("/get/b").json == {"value": "'2'"}
    interface.store.close()


def test_configuration_errors_are_clear(tmp_path: t.Any) -> None:
    with pytest.raises(ValueError, match="unknown SESSION_TYPE"):
        make_app(tmp_path, SESSION_TYPE="mongodb")
    with pytest.raises(ValueError, match="SESSION_POSTGRESQL"):
        make_app(tmp_path, SESSION_TYPE="postgresql")


def test_atomic_lock_is_released_when_the_view_fails(tmp_path: t.Any) -> None:
    app = make_app(tmp_path, SESSION_ATOMIC=True, SESSION_LOCK_TIMEOUT=1)

    @app.post("/fail")
    def fail() -> str:
        session["x"] = 1
        raise RuntimeError("boom")

    client = app.test_client()
    client.post("/set/a/1")
    with pytest.raises(RuntimeError):
        client.post("/fail")  # TESTING: the error propagates past save_session
    app.testing = False
    assert client.post("/fail").status_code == 500
    assert client.post("/set/a/2").status_code == 200  # a leaked lock would make this a 503
    assert client.get("/get/a").json == {"value": "'2'"}


def test_sqlite_store_is_a_wal_file_in_the_instance_folder(app: Erlen, tmp_path: t.Any) -> None:
    client = app.test_client()
    client.post("/set/a/1")
    path = os.path.join(str(tmp_path), "sessions.sqlite3")
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
    finally:
        conn.close()


def test_a_slow_redis_gives_503_after_the_store_timeout_then_recovers(tmp_path: t.Any) -> None:
    """The redis-server is paused (SIGSTOP): calls time out instead of hanging."""
    server = start_redis()
    try:
        app = make_app(tmp_path, SESSION_TYPE="redis", SESSION_REDIS=server.url,
                       SESSION_STORE_TIMEOUT=0.3)  # fmt: skip
        client = app.test_client()
        client.post("/login/ada")
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            assert client.get("/get/_user_id").status_code == 503
            assert client.get("/").status_code == 200
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert client.get("/get/_user_id").json == {"value": "'ada'"}
        app.session_interface.store.close()  # type: ignore[attr-defined]
    finally:
        stop_redis(server)


def test_init_app_and_a_psycopg_pool_as_session_postgresql(
    tmp_path: t.Any, postgresql_dsn: str
) -> None:
    from psycopg_pool import ConnectionPool

    pool = ConnectionPool(postgresql_dsn, min_size=1, max_size=2, kwargs={"autocommit": True},
                          open=True)  # fmt: skip
    try:
        app = Erlen(__name__, instance_path=str(tmp_path))
        app.config.update(SESSION_TYPE="postgresql", SESSION_POSTGRESQL=pool,
                          SESSION_POSTGRESQL_TABLE="pooled_sessions")  # fmt: skip
        ext = Session()
        ext.init_app(app)
        assert app.extensions["session"] is ext

        @app.post("/login/<user>")
        def login(user: str) -> str:
            session["_user_id"] = user
            return "ok"

        @app.route("/me")
        def me() -> str:
            return session.get("_user_id", "-")

        client = app.test_client()
        client.post("/login/ada")
        assert client.get("/me").text == "ada"
        with pool.connection() as conn:
            assert conn.execute("SELECT count(*) FROM pooled_sessions").fetchone()[0] == 1
    finally:
        pool.close()


def test_flash_messages_work_on_server_side_sessions(tmp_path: t.Any) -> None:
    from erlen import flash, get_flashed_messages, redirect

    app = make_app(tmp_path)

    @app.post("/save")
    def save() -> t.Any:
        flash("Saved.")
        flash("Careful.", "warning")
        return redirect("/show")

    @app.route("/show")
    def show() -> t.Any:
        return {"messages": get_flashed_messages(with_categories=True)}

    client = app.test_client()
    response = client.post("/save", follow_redirects=True)
    assert response.json == {"messages": [["message", "Saved."], ["warning", "Careful."]]}
    assert client.get("/show").json == {"messages": []}  # shown once
