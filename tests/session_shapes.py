"""Request shapes of a session-using app and their store round trips, driven in-process
through WSGI; shared by ``tests/test_session_round_trips.py`` and ``bench/sessions.py``.

The same views serve erlen and Flask + Flask-Session (``views(app, session)``).
"""

from __future__ import annotations

import io
import sys
import typing as t

from wire_counter import RoundTripCounter

#: (label, the session before the request: "user" logged in or "anonymous", method, path)
SHAPES = [
    ("untouched", "user", "GET", "/"),
    ("read (login check)", "user", "GET", "/me"),
    ("write only", "user", "POST", "/seen"),
    ("read + write", "user", "POST", "/change"),
    ("login (new id)", "anonymous", "POST", "/login"),
    ("logout (destroy)", "user", "POST", "/logout"),
]


def views(app: t.Any, session: t.Any) -> None:
    @app.route("/")
    def index() -> str:
        return "no session"

    @app.post("/cart")
    def cart() -> str:  # an anonymous session
        session["cart"] = [1, 2]
        return "ok"

    @app.post("/login")
    def login() -> str:
        session["_user_id"] = "ada"
        return "ok"

    @app.route("/me")
    def me() -> str:  # the login check: who is this?
        return str(session.get("_user_id"))

    @app.post("/change")
    def change() -> str:  # a read-modify-write
        session["n"] = session.get("n", 0) + 1
        return "ok"

    @app.post("/seen")
    def seen() -> str:  # a write without a read
        session["last_seen"] = 1700000000
        return "ok"

    @app.post("/logout")
    def logout() -> str:
        getattr(session, "destroy", session.clear)()  # Flask-Session has no destroy()
        return "bye"


def environ(method: str, path: str, cookie: str | None) -> dict[str, t.Any]:
    env = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1", "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }  # fmt: skip
    if cookie:
        env["HTTP_COOKIE"] = f"session={cookie}"
    return env


def call(app: t.Any, method: str, path: str, cookie: str | None = None) -> tuple[str, bytes, list]:
    out: dict[str, t.Any] = {}

    def start_response(status: str, headers: list, exc_info: t.Any = None) -> None:
        out["status"], out["headers"] = status, headers

    body = b"".join(app(environ(method, path, cookie), start_response))
    return out["status"], body, out["headers"]


def sid_from(headers: list) -> str:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no session cookie in {headers}")


def session_for(app: t.Any, who: str) -> str:
    """A fresh session: logged in (``"user"``) or holding a cart (``"anonymous"``)."""
    return sid_from(call(app, "POST", "/login" if who == "user" else "/cart")[2])


def round_trips(app: t.Any, counter: RoundTripCounter) -> dict[str, int]:
    """Round trips to the store per shape, each measured once after warm-up runs.

    NOTE: six warm-up runs, as psycopg prepares a statement on its fifth execution on a
    connection (one extra round trip, once).
    """
    pool = getattr(getattr(app.session_interface, "store", None), "pool", None)
    if pool is not None:
        # NOTE: a psycopg pool opens its first connection in the background; a request ahead
        # of it makes the pool grow to two connections, served in turn, and the prepare on the
        # fifth use then falls into the measured run or not depending on when the second one
        # joined. Waiting for the pool keeps these sequential requests on one connection (a
        # hang guard, not a timed assertion).
        pool.wait(timeout=60)
    rows = {}
    for measure in [False] * 6 + [True]:
        for label, who, method, path in SHAPES:
            sid = session_for(app, who)
            counter.reset()
            status, _, _ = call(app, method, path, sid)
            assert status.startswith("200"), (label, status)
            if measure:
                rows[label] = counter.reset()
    return rows
