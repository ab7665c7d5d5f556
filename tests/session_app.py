"""An app with server-side sessions, configured from the environment, for tests that serve it
over real HTTP (gunicorn with threads): ``SESSION_TYPE`` and ``SESSION_TARGET`` (the Redis URL,
PostgreSQL conninfo, memcached ``host:port``, directory or SQLite path), ``SESSION_ATOMIC``."""

from __future__ import annotations

import os

from erlen import Erlen, session
from erlen.sessions import Session

app = Erlen(__name__)
kind = os.environ["SESSION_TYPE"]
target = os.environ["SESSION_TARGET"]
app.config.update(
    SESSION_TYPE=kind,
    SESSION_ATOMIC=os.environ.get("SESSION_ATOMIC") == "1",
    # NOTE: session_servers.serve passes a generous one (a hang guard): a 32-thread hammer on
    # a busy 2-core machine can wait past half a second for a healthy store.
    SESSION_STORE_TIMEOUT=float(os.environ.get("SESSION_STORE_TIMEOUT", "0.5")),
    SESSION_LOCK_TIMEOUT=30,
    SESSION_SQLITE_BUSY_TIMEOUT=5,
    **{
        "redis": {"SESSION_REDIS": target},
        "postgresql": {"SESSION_POSTGRESQL": target},
        "memcached": {"SESSION_MEMCACHED": target},
        "filesystem": {"SESSION_FILE_DIR": target},
        "sqlite": {"SESSION_SQLITE_PATH": target},
    }[kind],
)
Session(app)


@app.route("/health")
def health() -> str:
    return "ok"


@app.post("/login/<user>")
def login(user: str) -> str:
    session["_user_id"] = user
    return "ok"


@app.route("/whoami")
def whoami() -> str:
    return session.get("_user_id") or "-"


@app.post("/logout")
def logout() -> str:
    session.destroy()
    return "ok"


@app.post("/set/<key>")
def set_key(key: str) -> str:
    session[key] = 1
    return "ok"


@app.route("/keys")
def keys() -> dict[str, list[str]]:
    return {"keys": sorted(session)}


@app.post("/incr")
def incr() -> str:
    # NOTE: a read-modify-write of one key: safe only in atomic mode.
    session["n"] = session.get("n", 0) + 1
    return "ok"


@app.post("/incr-block")
def incr_block() -> str:
    with session.lock():
        session["n"] = session.get("n", 0) + 1
    return "ok"


@app.route("/n")
def n() -> str:
    return str(session.get("n", 0))
