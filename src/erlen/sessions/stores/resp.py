"""A minimal Redis client for the session store's hot path: RESP2 over a pooled socket.

The Redis session store sends every operation as one pipeline of commands and reads their
replies. redis-py does that too, but its per-call bookkeeping (connection checks, response
callbacks, observability hooks) costs several times the round trip itself on a loopback
socket. :class:`RespPool` does only what a pipeline needs: pack the commands, one
``sendall``, parse the replies. It is used only for a plain ``redis.Redis`` client over TCP
or a Unix socket (see :func:`pool_for`); a cluster, Sentinel, TLS or a credential provider
keep redis-py's pipelines.

Error replies are returned as :class:`RespError` values in the reply list (as redis-py's
``raise_on_error=False`` does); a broken, closed or slow connection raises ``OSError`` or
:class:`RespProtocolError`, and the connection is dropped, never pooled again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import typing as t

#: Commands: tuples of str, bytes or int arguments.
Command = t.Sequence["str | bytes | int | float"]


class RespError(Exception):
    """An error reply (``-ERR ...``, ``-WRONGTYPE ...``): a value, not a broken connection."""


class RespProtocolError(Exception):
    """The peer sent something that is not RESP2, or closed the connection."""


def pack(commands: t.Iterable[Command]) -> bytes:
    """The commands in RESP2 (arrays of bulk strings), ready for one ``sendall``."""
    out: list[bytes] = []
    for command in commands:
        out.append(b"*%d\r\n" % len(command))
        for arg in command:
            if isinstance(arg, bytes):
                data = arg
            elif isinstance(arg, str):
                data = arg.encode()
            else:
                data = str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class _Incomplete(Exception):
    """More bytes are needed to parse the replies."""


def _parse(buf: bytes, pos: int) -> tuple[t.Any, int]:
    """One reply from ``buf`` at ``pos``, and the position after it."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind, rest, pos = buf[pos], buf[pos + 1 : end], end + 2
    if kind == 36:  # $ bulk string
        n = int(rest)
        if n < 0:
            return None, pos
        if len(buf) < pos + n + 2:
            raise _Incomplete
        return buf[pos : pos + n], pos + n + 2
    if kind == 42:  # * array
        n = int(rest)
        if n < 0:
            return None, pos
        items = []
        for _ in range(n):
            item, pos = _parse(buf, pos)
            items.append(item)
        return items, pos
    if kind == 58:  # : integer
        return int(rest), pos
    if kind == 43:  # + simple string
        return rest, pos
    if kind == 45:  # - error
        return RespError(rest.decode("utf-8", "replace")), pos
    raise RespProtocolError(f"unexpected reply type {chr(kind)!r}")


def parse_replies(buf: bytes, n: int) -> list[t.Any] | None:
    """The ``n`` replies in ``buf``, or None if it does not hold all of them yet.

    NOTE: a round trip reads until its replies are complete; a partial buffer is parsed again
    from the start when more arrives (replies of a session store are small).
    """
    pos, replies = 0, []
    try:
        for _ in range(n):
            reply, pos = _parse(buf, pos)
            replies.append(reply)
    except _Incomplete:
        return None
    if pos != len(buf):
        raise RespProtocolError("more bytes than replies")
    return replies


def _unwrap(replies: list[t.Any], transaction: bool) -> list[t.Any]:
    """The replies of the commands themselves (inside ``MULTI``/``EXEC``: ``EXEC``'s)."""
    if not transaction:
        return replies
    result = replies[-1]
    if isinstance(result, RespError) or result is None:
        return [result or RespError("transaction aborted")] * (len(replies) - 2)
    return t.cast("list[t.Any]", result)


class _Connection:
    __slots__ = ("sock",)

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def roundtrip(self, payload: bytes, n: int) -> list[t.Any]:
        self.sock.sendall(payload)
        buf = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RespProtocolError("connection closed by the server")
            buf += chunk
            replies = parse_replies(buf, n)
            if replies is not None:
                return replies

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    # NOTE: a store dropped without close() (an app that simply ends) closes its pooled
    # sockets when collected, quietly, as redis-py's connections do.
    __del__ = close


class RespPool:
    """Idle connections to one server, taken by one pipeline at a time (thread-safe: a
    list's ``pop`` and ``append`` are atomic)."""

    def __init__(
        self,
        *,
        host: str = "localhost",
        port: int = 6379,
        path: str | None = None,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        socket_timeout: float | None = None,
        socket_connect_timeout: float | None = None,
    ) -> None:
        self.address: t.Any = path if path else (host, int(port))
        self.setup = _setup_commands(db, username, password)
        self.timeout = socket_timeout
        self.connect_timeout = socket_connect_timeout
        self._idle: list[_Connection] = []
        self._pid = os.getpid()

    def _connect(self) -> _Connection:
        if isinstance(self.address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.connect_timeout)
            try:
                sock.connect(self.address)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection(self.address, timeout=self.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)
        conn = _Connection(sock)
        if self.setup:
            try:
                _check_setup(conn.roundtrip(pack(self.setup), len(self.setup)))
            except BaseException:
                conn.close()
                raise
        return conn

    def execute(self, commands: t.Sequence[Command], transaction: bool = False) -> list[t.Any]:
        """Send ``commands`` as one pipeline (inside ``MULTI``/``EXEC`` with
        ``transaction``) and return one reply per command."""
        if transaction:
            commands = [("MULTI",), *commands, ("EXEC",)]
        payload, n = pack(commands), len(commands)
        if self._pid != os.getpid():
            # NOTE: after a fork the parent's sockets stay the parent's.
            self._idle, self._pid = [], os.getpid()
        try:
            conn, reused = self._idle.pop(), True
        except IndexError:
            conn, reused = self._connect(), False
        try:
            replies = conn.roundtrip(payload, n)
        except (OSError, RespProtocolError) as e:
            conn.close()
            if not reused or isinstance(e, TimeoutError):
                raise
            # NOTE: an idle connection the server closed meanwhile (a restart, a timeout on
            # its side) fails before any command ran: one retry on a fresh connection. Every
            # pipeline the session store sends is idempotent, so a retry is safe anyway.
            conn = self._connect()
            try:
                replies = conn.roundtrip(payload, n)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            conn.close()
            raise
        self._idle.append(conn)
        return _unwrap(replies, transaction)

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class _AsyncConnection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def roundtrip(self, payload: bytes, n: int) -> list[t.Any]:
        self.writer.write(payload)
        buf = b""
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise RespProtocolError("connection closed by the server")
            buf += chunk
            replies = parse_replies(buf, n)
            if replies is not None:
                return replies

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class AsyncRespPool:
    """:class:`RespPool` for coroutines (asyncio streams), with the same settings; belongs
    to the event loop it is first used on, as ``redis.asyncio`` clients do."""

    def __init__(self, like: RespPool) -> None:
        self.address = like.address
        self.setup = like.setup
        self.timeout = like.timeout
        self.connect_timeout = like.connect_timeout
        self._idle: list[_AsyncConnection] = []

    async def _connect(self) -> _AsyncConnection:
        if isinstance(self.address, str):
            opening = asyncio.open_unix_connection(self.address)
        else:
            opening = asyncio.open_connection(*self.address)
        reader, writer = await _bounded(opening, self.connect_timeout)
        conn = _AsyncConnection(reader, writer)
        if self.setup:
            try:
                coro = conn.roundtrip(pack(self.setup), len(self.setup))
                _check_setup(await _bounded(coro, self.timeout))
            except BaseException:
                conn.close()
                raise
        return conn

    async def execute(
        self, commands: t.Sequence[Command], transaction: bool = False
    ) -> list[t.Any]:
        """:meth:`RespPool.execute`, awaited."""
        if transaction:
            commands = [("MULTI",), *commands, ("EXEC",)]
        payload, n = pack(commands), len(commands)
        try:
            conn, reused = self._idle.pop(), True
        except IndexError:
            conn, reused = await self._connect(), False
        try:
            replies = await _bounded(conn.roundtrip(payload, n), self.timeout)
        except (OSError, RespProtocolError) as e:
            conn.close()
            if not reused or isinstance(e, TimeoutError):
                raise
            conn = await self._connect()  # NOTE: as in RespPool.execute
            try:
                replies = await _bounded(conn.roundtrip(payload, n), self.timeout)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            conn.close()  # NOTE: a cancelled request leaves a reply unread: never reuse it
            raise
        self._idle.append(conn)
        return _unwrap(replies, transaction)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
            with contextlib.suppress(Exception):
                await conn.writer.wait_closed()


_Result = t.TypeVar("_Result")


async def _bounded(coro: t.Awaitable[_Result], timeout: float | None) -> _Result:
    """``await coro``, bounded by ``timeout``: a ``TimeoutError`` (an ``OSError``) when over."""
    if timeout is None:
        return await coro
    try:
        return await asyncio.wait_for(coro, timeout)
    except asyncio.TimeoutError as e:  # NOTE: not TimeoutError itself before Python 3.11
        raise TimeoutError(f"no answer within {timeout}s") from e


def _check_setup(replies: list[t.Any]) -> None:
    for reply in replies:
        if isinstance(reply, RespError):
            raise RespProtocolError(f"connection setup refused: {reply}")


def _setup_commands(db: int, username: str | None, password: str | None) -> list[Command]:
    setup: list[Command] = []
    if password is not None:
        setup.append(("AUTH", username, password) if username else ("AUTH", password))
    if db:
        setup.append(("SELECT", int(db)))
    return setup


#: The connection settings :class:`RespPool` understands; settings it ignores do not change
#: what a command does (retries, health checks, client names, decoding of replies).
_UNDERSTOOD = ("host", "port", "path", "db", "username", "password", "socket_timeout",
               "socket_connect_timeout")  # fmt: skip
_REFUSED = ("credential_provider", "redis_connect_func", "ssl", "socket_type")


def pool_for(client: t.Any) -> RespPool | None:
    """A :class:`RespPool` reaching the same server as ``client``, or None when ``client`` is
    anything but a plain ``redis.Redis`` over TCP or a Unix socket."""
    import redis
    from redis.connection import Connection, UnixDomainSocketConnection

    if type(client) is not redis.Redis:
        return None
    pool = client.connection_pool
    if type(pool) not in (redis.ConnectionPool, redis.BlockingConnectionPool):
        return None
    if pool.connection_class not in (Connection, UnixDomainSocketConnection):
        return None
    kwargs = pool.connection_kwargs
    if any(kwargs.get(k) for k in _REFUSED):
        return None
    return RespPool(**{k: kwargs[k] for k in _UNDERSTOOD if kwargs.get(k) is not None})
