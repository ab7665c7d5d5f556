"""The embedded default store: one SQLite file (stdlib ``sqlite3``, WAL mode), no server.

A row per session: ``data`` is a JSON object mapping each top-level key to its serialized value
(a JSON *string*, so a merge patch never reaches inside a value), ``expires`` is epoch seconds,
``user_id`` feeds :meth:`revoke_user`. A change is one ``INSERT ... ON CONFLICT DO UPDATE`` using
``json_patch`` (RFC 7396: a key patched with null is removed), so concurrent requests changing
different keys all land. Expired rows are swept by :meth:`cleanup`. A database locked longer
than ``busy_timeout`` raises :class:`StoreError` (a 503), never a hang.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
import typing as t

from .base import KEEP, Changes, Loaded, Store, StoreError, stripe_lock

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class SQLiteStore(Store):
    def __init__(self, path: str, table: str = "sessions", busy_timeout: float = 2.0) -> None:
        if not _NAME.fullmatch(table):
            raise ValueError(f"invalid SQLite table name {table!r}")
        self.path = path
        self.table = table
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._ready = False

    def _conn(self) -> sqlite3.Connection:
        # NOTE: one connection per thread (sqlite3 connections are not shared across threads).
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            directory = os.path.dirname(self.path)
            if directory:
                os.makedirs(directory, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if not self._ready:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table} (id TEXT PRIMARY KEY,"
                    " data TEXT NOT NULL, expires REAL NOT NULL, user_id TEXT)"
                )
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {self.table}_user ON {self.table} (user_id)"
                )
                conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {self.table}_expires ON {self.table} (expires)"
                )
                self._ready = True
            conn.execute("PRAGMA synchronous = NORMAL")  # PERF: safe with WAL
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def _run(self, sql: str, params: t.Sequence[t.Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn().execute(sql, params)
        except sqlite3.Error as e:
            # NOTE: "database is locked" after busy_timeout lands here too.
            raise StoreError(f"sqlite: {e}") from e

    def load(self, sid: str) -> Loaded | None:
        row = self._run(
            f"SELECT data, expires FROM {self.table} WHERE id = ? AND expires > ?",
            (sid, time.time()),
        ).fetchone()
        if row is None:
            return None
        return Loaded(json.loads(row[0]), row[1])

    def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        patch = json.dumps(dict(changes))
        expires = time.time() + ttl
        fresh = json.dumps({k: v for k, v in changes.items() if v is not None})
        keep_user = user is KEEP
        data_sql = "excluded.data" if replace else "json_patch(data, ?)"
        sql = (
            f"INSERT INTO {self.table} (id, data, expires, user_id) VALUES (?, ?, ?, ?)"
            f" ON CONFLICT(id) DO UPDATE SET data = {data_sql}, expires = excluded.expires"
            + ("" if keep_user else ", user_id = excluded.user_id")
        )
        params: list[t.Any] = [sid, fresh, expires, None if keep_user else user]
        if not replace:
            params.append(patch)
        self._run(sql, params)

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        now = time.time()
        return bool(
            self._run(
                f"UPDATE {self.table} SET data = json_patch(data, ?), expires = ?"
                " WHERE id = ? AND expires > ?",
                (json.dumps(dict(changes)), now + ttl, sid, now),
            ).rowcount
        )

    def delete(self, sid: str, user: str | None = None) -> None:
        self._run(f"DELETE FROM {self.table} WHERE id = ?", (sid,))

    def touch(self, sid: str, ttl: int) -> None:
        self._run(f"UPDATE {self.table} SET expires = ? WHERE id = ?", (time.time() + ttl, sid))

    def revoke_user(self, user: str) -> int:
        return self._run(f"DELETE FROM {self.table} WHERE user_id = ?", (user,)).rowcount

    def cleanup(self) -> int:
        return self._run(f"DELETE FROM {self.table} WHERE expires <= ?", (time.time(),)).rowcount

    def lock(self, sid: str, timeout: float) -> t.ContextManager[None]:
        # NOTE: SQLite is a file on this host, so a file lock next to it serializes every
        # process that uses it; a transaction held for the whole request would block every
        # other session's writes too.
        return stripe_lock(self.path + "-locks", sid, timeout)

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()
