"""A TCP proxy that counts round trips between clients and a real server (Redis, PostgreSQL,
memcached), for the session tests and ``bench/sessions.py``.

A round trip starts whenever a client sends after the server has answered it (or sends first
on a new connection): pipelined commands sent together count once, a client that waits for
a reply before sending more counts again. The proxy notes the server's answer before passing
it on, so a client can never send its next request before the answer was counted.
"""

from __future__ import annotations

import socket
import threading


class RoundTripCounter:
    """Listens on ``127.0.0.1:<port>`` and forwards to ``127.0.0.1:<upstream>``."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.round_trips = 0
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> int:
        """The count so far, and start again from zero."""
        with self._lock:
            n, self.round_trips = self.round_trips, 0
        return n

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [client, server]
            state = {"last": "server"}
            threading.Thread(target=self._pump, args=(client, server, state, "client"),
                             daemon=True).start()  # fmt: skip
            threading.Thread(target=self._pump, args=(server, client, state, "server"),
                             daemon=True).start()  # fmt: skip

    def _pump(self, src: socket.socket, dst: socket.socket, state: dict, side: str) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self._lock:
                    if side == "client" and state["last"] != "client":
                        self.round_trips += 1
                    state["last"] = side
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._listener.close()
        for s in self._sockets:
            s.close()
