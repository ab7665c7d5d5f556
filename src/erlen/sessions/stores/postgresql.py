"""PostgreSQL store (psycopg 3 with a connection pool; sync and async pools).

A row per session, ``data jsonb`` mapping each top-level key to its serialized value. A change
is one ``INSERT ... ON CONFLICT DO UPDATE SET data = (data || set) - deleted``, atomic in the
database, so concurrent requests changing different keys all land. Every statement runs under
``statement_timeout``; taking a connection from the pool is bounded by the pool's timeout.
Atomic mode holds a transaction with ``pg_advisory_xact_lock`` for the session: the loads and
writes inside :meth:`lock` run on that transaction's connection.

Every operation is written once, as a plan of statements (:class:`PostgreSQLPlans`), run by
the sync pool (:class:`PostgreSQLStore`) or the async one (:class:`AsyncPostgreSQLStore`).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import time
import typing as t

from .base import KEEP, AsyncStore, Changes, Loaded, Op, StoreError
from .plans import Batch, Plan, PlannedAsyncStore, PlannedStore, Plans

try:
    import psycopg
    from psycopg.types.json import Jsonb
    from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        'The postgresql session store needs psycopg 3: pip install "erlen[postgres]"'
    ) from e

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_ERRORS = (psycopg.Error, PoolTimeout)


class _SQL:
    """The statements, for one table name (checked: it is put into SQL text)."""

    def __init__(self, table: str) -> None:
        if not _NAME.fullmatch(table):
            raise ValueError(f"invalid PostgreSQL table name {table!r}")
        self.create = (
            f"CREATE TABLE IF NOT EXISTS {table} (id text PRIMARY KEY, data jsonb NOT NULL,"
            f" expires double precision NOT NULL, user_id text);"
            f" CREATE INDEX IF NOT EXISTS {table}_user ON {table} (user_id);"
            f" CREATE INDEX IF NOT EXISTS {table}_expires ON {table} (expires)"
        )
        self.load = f"SELECT data, expires FROM {table} WHERE id = %s AND expires > %s"
        upsert = (
            f"INSERT INTO {table} (id, data, expires, user_id) VALUES (%s, %s, %s, %s)"
            f" ON CONFLICT (id) DO UPDATE SET expires = EXCLUDED.expires, data = "
        )
        self.patch = upsert + f"({table}.data || EXCLUDED.data) - %s::text[]"
        self.replace = upsert + "EXCLUDED.data"
        self.set_user = ", user_id = EXCLUDED.user_id"
        self.patch_existing = (
            f"UPDATE {table} SET data = (data || %s) - %s::text[], expires = %s"
            f" WHERE id = %s AND expires > %s"
        )
        self.delete = f"DELETE FROM {table} WHERE id = %s"
        self.touch = f"UPDATE {table} SET expires = %s WHERE id = %s"
        self.revoke = f"DELETE FROM {table} WHERE user_id = %s"
        self.cleanup = f"DELETE FROM {table} WHERE expires <= %s"

    def begin_locked(self, sid: str, timeout: float) -> t.Any:
        """One round trip: open a transaction and wait (bounded) for the session's lock."""
        from psycopg import sql

        ms = max(1, int(timeout * 1000))
        return sql.SQL(
            "BEGIN; SET LOCAL lock_timeout = {ms}; SET LOCAL statement_timeout = {ms};"
            " SELECT pg_advisory_xact_lock(hashtextextended({sid}, 0))"
        ).format(ms=sql.Literal(ms), sid=sql.Literal(sid))

    def apply_if_exists(
        self, sid: str, changes: Changes, ttl: int
    ) -> tuple[str, tuple[t.Any, ...]]:
        sets = {k: v for k, v in changes.items() if v is not None}
        dels = [k for k, v in changes.items() if v is None]
        now = time.time()
        return self.patch_existing, (Jsonb(sets), dels, now + ttl, sid, now)

    def apply(
        self, sid: str, changes: Changes, ttl: int, user: str | None, replace: bool
    ) -> tuple[str, tuple[t.Any, ...]]:
        sets = {k: v for k, v in changes.items() if v is not None}
        dels = [k for k, v in changes.items() if v is None]
        sql = self.replace if replace else self.patch
        if user is not KEEP:
            sql += self.set_user
        params: tuple[t.Any, ...] = (
            sid, Jsonb(sets), time.time() + ttl, None if user is KEEP else user,
        )  # fmt: skip
        return sql, params if replace else (*params, dels)

    def combined(self, ops: t.Sequence[Op]) -> tuple[str, tuple[t.Any, ...]] | None:
        """A request's writes as ONE statement (one round trip, atomic): all but the last as
        data-modifying ``WITH`` clauses. None when they cannot be (an ``apply_if_exists``,
        whose row count must be read alone)."""
        if any(op[0] == "apply_if_exists" for op in ops):
            return None
        parts: list[str] = []
        params: list[t.Any] = []
        for name, sid, *args in ops:
            if name == "apply":
                sql, more = self.apply(sid, args[0], args[1], args[2], args[3])
            elif name == "delete":
                sql, more = self.delete, (sid,)
            elif name == "touch":
                sql, more = self.touch, (time.time() + args[0], sid)
            else:
                raise ValueError(f"unknown store operation {name!r}")
            parts.append(sql)
            params += more
        clauses = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(parts[:-1]))
        return (f"WITH {clauses} " if clauses else "") + parts[-1], tuple(params)


def _timeouts(timeout: float) -> dict[str, t.Any]:
    ms = max(1, int(timeout * 1000))
    return {
        "autocommit": True,
        "connect_timeout": max(1, round(timeout)),
        "options": f"-c statement_timeout={ms} -c lock_timeout={ms}",
    }


#: The connection of the atomic-mode transaction held by this context, if any.
_held: contextvars.ContextVar[t.Any] = contextvars.ContextVar("erlen_pg_held", default=None)


class PostgreSQLPlans(Plans):
    """The store's operations as statements; each reply is ``(rows or None, rowcount)``.

    PERF: every operation is one statement, one round trip; :meth:`run` joins a request's
    writes (a login's new session and old id's delete) into one statement.
    """

    def __init__(self, sql: _SQL) -> None:
        self.sql = sql

    def load(self, sid: str) -> Plan[Loaded | None]:
        ((rows, _),) = yield Batch([(self.sql.load, (sid, time.time()))])
        return Loaded(rows[0][0], rows[0][1]) if rows else None

    def apply(
        self, sid: str, changes: Changes, ttl: int, user: str | None, replace: bool
    ) -> Plan[None]:
        yield Batch([self.sql.apply(sid, changes, ttl, user, replace)])

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> Plan[bool]:
        ((_, count),) = yield Batch([self.sql.apply_if_exists(sid, changes, ttl)])
        return bool(count)

    def delete(self, sid: str, user: str | None) -> Plan[None]:
        yield Batch([(self.sql.delete, (sid,))])

    def touch(self, sid: str, ttl: int) -> Plan[None]:
        yield Batch([(self.sql.touch, (time.time() + ttl, sid))])

    def revoke_user(self, user: str) -> Plan[int]:
        ((_, count),) = yield Batch([(self.sql.revoke, (user,))])
        return int(count)

    def cleanup(self) -> Plan[int]:
        ((_, count),) = yield Batch([(self.sql.cleanup, (time.time(),))])
        return int(count)

    def run(self, ops: t.Sequence[Op]) -> Plan[bool]:
        statement = self.sql.combined(ops) if len(ops) > 1 else None
        if statement is None:
            return (yield from super().run(ops))
        yield Batch([statement])
        return True


class PostgreSQLStore(PlannedStore):
    def __init__(self, pool: t.Any, table: str = "sessions", timeout: float = 0.5) -> None:
        self.timeout = timeout
        if isinstance(pool, str):
            self.conninfo = pool
            pool = ConnectionPool(
                pool, min_size=1, max_size=16, timeout=timeout, kwargs=_timeouts(timeout),
                open=True,
            )  # fmt: skip
        else:
            self.conninfo = pool.conninfo
        self.pool = pool
        self.sql = _SQL(table)
        self.plans = PostgreSQLPlans(self.sql)
        self._ready = False

    @contextlib.contextmanager
    def _cursor(self) -> t.Iterator[t.Any]:
        held = _held.get()
        try:
            if held is not None:
                yield held.cursor()
                return
            with self.pool.connection(timeout=self.timeout) as conn:
                if not self._ready:
                    conn.execute(self.sql.create)
                    self._ready = True
                yield conn.cursor()
        except _ERRORS as e:
            raise StoreError(f"postgresql: {e}") from e

    def execute(self, batch: Batch) -> list[t.Any]:
        replies = []
        with self._cursor() as cur:
            for sql, params in batch.commands:
                cur.execute(sql, params)
                replies.append((cur.fetchall() if cur.description else None, cur.rowcount))
        return replies

    @contextlib.contextmanager
    def lock(self, sid: str, timeout: float) -> t.Iterator[None]:
        with self._cursor():  # NOTE: creates the table on first use
            pass
        try:
            conn = self.pool.getconn(timeout=self.timeout)
        except _ERRORS as e:
            raise StoreError(f"postgresql: {e}") from e
        token = None
        try:
            try:
                conn.execute(self.sql.begin_locked(sid, timeout))
            except _ERRORS as e:
                raise StoreError(f"postgresql: {e}") from e
            token = _held.set(conn)
            yield
            try:
                conn.execute("COMMIT")
            except _ERRORS as e:
                raise StoreError(f"postgresql: {e}") from e
        finally:
            if token is not None:
                _held.reset(token)
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                with contextlib.suppress(*_ERRORS):
                    conn.execute("ROLLBACK")
            self.pool.putconn(conn)

    def close(self) -> None:
        self.pool.close()

    def async_form(self) -> AsyncStore:
        return AsyncPostgreSQLStore(self.conninfo, self.sql, self.timeout)


class AsyncPostgreSQLStore(PlannedAsyncStore):
    """The same table and plans as :class:`PostgreSQLStore`, on psycopg's async pool."""

    def __init__(self, conninfo: str, sql: _SQL, timeout: float) -> None:
        self.pool = AsyncConnectionPool(
            conninfo, min_size=1, max_size=16, timeout=timeout, kwargs=_timeouts(timeout),
            open=False,
        )  # fmt: skip
        self.sql = sql
        self.plans = PostgreSQLPlans(sql)
        self.timeout = timeout
        self._opened = False
        self._ready = False

    @contextlib.asynccontextmanager
    async def _cursor(self) -> t.AsyncIterator[t.Any]:
        held = _held.get()
        try:
            if held is not None:
                yield held.cursor()
                return
            if not self._opened:
                self._opened = True
                await self.pool.open()
            async with self.pool.connection(timeout=self.timeout) as conn:
                if not self._ready:
                    await conn.execute(self.sql.create)
                    self._ready = True
                yield conn.cursor()
        except _ERRORS as e:
            raise StoreError(f"postgresql: {e}") from e

    async def execute(self, batch: Batch) -> list[t.Any]:
        replies = []
        async with self._cursor() as cur:
            for sql, params in batch.commands:
                await cur.execute(sql, params)
                rows = await cur.fetchall() if cur.description else None
                replies.append((rows, cur.rowcount))
        return replies

    @contextlib.asynccontextmanager
    async def lock(self, sid: str, timeout: float) -> t.AsyncIterator[None]:
        async with self._cursor():
            pass
        try:
            conn = await self.pool.getconn(timeout=self.timeout)
        except _ERRORS as e:
            raise StoreError(f"postgresql: {e}") from e
        token = None
        try:
            try:
                await conn.execute(self.sql.begin_locked(sid, timeout))
            except _ERRORS as e:
                raise StoreError(f"postgresql: {e}") from e
            token = _held.set(conn)
            yield
            try:
                await conn.execute("COMMIT")
            except _ERRORS as e:
                raise StoreError(f"postgresql: {e}") from e
        finally:
            if token is not None:
                _held.reset(token)
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                with contextlib.suppress(*_ERRORS):
                    await conn.execute("ROLLBACK")
            await self.pool.putconn(conn)

    async def aclose(self) -> None:
        if self._opened:
            await self.pool.close()
