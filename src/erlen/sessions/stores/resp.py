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


class _Connection:
    __slots__ = ("sock", "buf", "pos")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.pos = 0

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RespProtocolError("connection closed by the server")
        self.buf = self.buf[self.pos :] + chunk if self.pos else self.buf + chunk
        self.pos = 0

    def _line(self) -> bytes:
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                line = self.buf[self.pos : end]
                self.pos = end + 2
                return line
            self._fill()

    def reply(self) -> t.Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            value = self.buf[self.pos : self.pos + n]
            self.pos += n + 2
            return value
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        if kind == b":":
            return int(rest)
        if kind == b"+":
            return rest
        if kind == b"-":
            return RespError(rest.decode("utf-8", "replace"))
        raise RespProtocolError(f"unexpected reply type {kind!r}")

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
                sock.sendall(pack(self.setup))
                for reply in [conn.reply() for _ in self.setup]:
                    if isinstance(reply, RespError):
                        raise RespProtocolError(f"connection setup refused: {reply}")
            except BaseException:
                conn.close()
                raise
        return conn

    def execute(self, commands: t.Sequence[Command], transaction: bool = False) -> list[t.Any]:
        """Send ``commands`` as one pipeline (inside ``MULTI``/``EXEC`` with
        ``transaction``) and return one reply per command."""
        if transaction:
            commands = [("MULTI",), *commands, ("EXEC",)]
        payload = pack(commands)
        if self._pid != os.getpid():
            # NOTE: after a fork the parent's sockets stay the parent's.
            self._idle, self._pid = [], os.getpid()
        try:
            conn, reused = self._idle.pop(), True
        except IndexError:
            conn, reused = self._connect(), False
        try:
            replies = self._roundtrip(conn, payload, len(commands))
        except (OSError, RespProtocolError) as e:
            conn.close()
            if not reused or isinstance(e, TimeoutError):
                raise
            # NOTE: an idle connection the server closed meanwhile (a restart, a timeout on
            # its side) fails before any command ran: one retry on a fresh connection. Every
            # pipeline the session store sends is idempotent, so a retry is safe anyway.
            conn = self._connect()
            try:
                replies = self._roundtrip(conn, payload, len(commands))
            except BaseException:
                conn.close()
                raise
        except BaseException:
            conn.close()
            raise
        self._idle.append(conn)
        if transaction:
            result = replies[-1]
            if isinstance(result, RespError) or result is None:
                error = result or RespError("transaction aborted")
                return [error] * (len(commands) - 2)
            return t.cast("list[t.Any]", result)
        return replies

    @staticmethod
    def _roundtrip(conn: _Connection, payload: bytes, n: int) -> list[t.Any]:
        conn.sock.sendall(payload)
        return [conn.reply() for _ in range(n)]

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


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
