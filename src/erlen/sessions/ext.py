"""``Session(app)``: Flask-Session 0.8's entry point, turning on server-side sessions.

Reads Flask-Session's configuration keys (``SESSION_TYPE``, ``SESSION_REDIS``, ...) plus erlen's
own (``SESSION_ATOMIC``, ``SESSION_STORE_TIMEOUT``, ...; see ``docs/server-sessions.md``), builds
the store, and installs a :class:`~.server.ServerSessionInterface` as ``app.session_interface``.
Also :func:`revoke_user` and the sweep of expired sessions every ``SESSION_CLEANUP_N_REQUESTS``.
"""

from __future__ import annotations

import itertools
import os
import typing as t

from .server import ServerSessionInterface, ServerSideSession, Settings
from .stores.base import Store, StoreError

if t.TYPE_CHECKING:
    from ..app import Erlen

#: The defaults :meth:`Session.init_app` puts into ``app.config`` (where unset).
DEFAULTS: dict[str, t.Any] = {
    "SESSION_TYPE": "sqlite",
    "SESSION_PERMANENT": True,
    "SESSION_KEY_PREFIX": "session:",
    "SESSION_ID_LENGTH": 32,
    "SESSION_USE_SIGNER": False,
    "SESSION_SERIALIZATION_FORMAT": "msgpack",
    "SESSION_CLEANUP_N_REQUESTS": None,
    "SESSION_REDIS": None,
    "SESSION_REDIS_CLUSTER": False,
    "SESSION_MEMCACHED": None,
    "SESSION_FILE_DIR": None,
    "SESSION_FILE_MODE": 0o600,
    "SESSION_POSTGRESQL": None,
    "SESSION_POSTGRESQL_TABLE": "sessions",
    "SESSION_SQLITE_PATH": None,
    "SESSION_SQLITE_TABLE": "sessions",
    "SESSION_SQLITE_BUSY_TIMEOUT": 2.0,
    "SESSION_STORE_TIMEOUT": 0.5,
    "SESSION_ATOMIC": False,
    "SESSION_LOCK_TIMEOUT": 5.0,
    "SESSION_USER_KEY": "_user_id",
    "SESSION_REFRESH_FRACTION": 0.1,
    "SESSION_RETRY_AFTER": 5,
    "SESSION_UNAVAILABLE": "503",
}


def make_store(app: Erlen) -> Store:
    """The store ``app.config`` asks for; client libraries are imported only here."""
    c = app.config
    kind = str(c["SESSION_TYPE"]).lower()
    timeout = float(c["SESSION_STORE_TIMEOUT"])
    prefix = c["SESSION_KEY_PREFIX"]
    if kind == "sqlite":
        from .stores.sqlite import SQLiteStore

        path = c["SESSION_SQLITE_PATH"] or os.path.join(app.instance_path, "sessions.sqlite3")
        return SQLiteStore(path, c["SESSION_SQLITE_TABLE"], float(c["SESSION_SQLITE_BUSY_TIMEOUT"]))
    if kind == "redis":
        from .stores.redis import RedisStore, client_from_url

        client = c["SESSION_REDIS"] or "redis://127.0.0.1:6379"
        if isinstance(client, str):
            client = client_from_url(client, timeout, cluster=bool(c["SESSION_REDIS_CLUSTER"]))
        return RedisStore(client, prefix)
    if kind == "postgresql":
        from .stores.postgresql import PostgreSQLStore

        if not c["SESSION_POSTGRESQL"]:
            raise ValueError(
                "SESSION_TYPE 'postgresql' needs SESSION_POSTGRESQL (a conninfo or pool)"
            )
        return PostgreSQLStore(c["SESSION_POSTGRESQL"], c["SESSION_POSTGRESQL_TABLE"], timeout)
    if kind == "memcached":
        from .stores.memcached import MemcachedStore

        return MemcachedStore(c["SESSION_MEMCACHED"] or "127.0.0.1:11211", prefix, timeout)
    if kind == "filesystem":
        from .stores.filesystem import FileSystemStore

        directory = c["SESSION_FILE_DIR"] or os.path.join(app.instance_path, "sessions")
        return FileSystemStore(
            directory, int(c["SESSION_FILE_MODE"]), float(c["SESSION_LOCK_TIMEOUT"])
        )
    raise ValueError(
        f"unknown SESSION_TYPE {c['SESSION_TYPE']!r}; erlen has sqlite, redis, postgresql,"
        " memcached and filesystem"
    )


def settings_from(app: Erlen) -> Settings:
    c = app.config
    unavailable = str(c["SESSION_UNAVAILABLE"])
    if unavailable not in ("503", "empty"):
        raise ValueError(f"SESSION_UNAVAILABLE must be '503' or 'empty', not {unavailable!r}")
    return Settings(
        id_bytes=int(c["SESSION_ID_LENGTH"]),
        permanent=bool(c["SESSION_PERMANENT"]),
        atomic=bool(c["SESSION_ATOMIC"]),
        user_key=str(c["SESSION_USER_KEY"]),
        refresh_each_request=bool(c["SESSION_REFRESH_EACH_REQUEST"]),
        refresh_fraction=float(c["SESSION_REFRESH_FRACTION"]),
        lock_timeout=float(c["SESSION_LOCK_TIMEOUT"]),
        retry_after=int(c["SESSION_RETRY_AFTER"]),
        unavailable_empty=unavailable == "empty",
    )


class Session:
    """Server-side sessions for an app: ``Session(app)`` or ``Session().init_app(app)``."""

    def __init__(self, app: Erlen | None = None) -> None:
        self.app = app
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Erlen) -> ServerSessionInterface:
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        interface = ServerSessionInterface(make_store(app), settings_from(app), app.logger)
        app.session_interface = interface
        app.extensions["session"] = self
        every = app.config["SESSION_CLEANUP_N_REQUESTS"]
        counter = itertools.count(1)

        def end_of_request(exc: BaseException | None) -> None:
            from ..globals import request_ctx

            session = request_ctx._session
            if isinstance(session, ServerSideSession):
                # NOTE: a view that raised past the error handlers never reached save_session.
                interface._release(session)
            if every and next(counter) % int(every) == 0 and not interface.store.native_expiry:
                try:
                    interface.cleanup()
                except StoreError as e:
                    interface._fault(e)

        # PERF: only where it has work: a lock to free (atomic mode), or a sweep to run.
        if interface.settings.atomic or (every and not interface.store.native_expiry):
            app.teardown_request(end_of_request)
        return interface


def revoke_user(user_id: t.Any, app: Erlen | None = None) -> int:
    """End every session of ``user_id`` (the value of the user key, compared as a string);
    return how many were ended. Raises :class:`~.stores.base.StoreError` if the store fails."""
    if app is None:
        from ..globals import current_app

        app = current_app
    interface = app.session_interface
    if not isinstance(interface, ServerSessionInterface):
        raise RuntimeError("revoke_user needs server-side sessions: call Session(app) first")
    return interface.revoke_user(user_id)
