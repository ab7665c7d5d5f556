"""The dev server's HTTP/1.1 protocol: uvicorn's h11 protocol with a request-head timeout.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive`` seconds, but a client
that sends half a request head and stalls is never timed out; this subclass closes such a
connection after ``HEADER_TIMEOUT`` seconds. uvicorn also treats the end of a client's input as
the client leaving and drops the answer; this subclass answers a request that arrived complete
before a half-close (``shutdown(SHUT_WR)``, ``nc -N``) and then closes, and answers a request cut
short by the half-close with a 400. Framing is h11's (it rejects codings other than
``chunked``, conflicting ``Content-Length`` values, control characters and oversized heads), made
stricter by :class:`StrictConnection` where h11 is lenient: a request with both ``Content-Length``
and ``Transfer-Encoding`` and one with folded (obs-fold) header lines are rejected too. Each
rejection is a 4xx and a closed connection. Imported only when the dev server starts (needs uvicorn and h11).
"""

from __future__ import annotations

import asyncio
import re
import typing as t

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# NOTE: generous for a person at a terminal, short enough that stalled sockets do not pile up.
HEADER_TIMEOUT = 10.0


_HEAD_END = re.compile(rb"\r?\n\r?\n")


class StrictConnection(h11.Connection):
    """An h11 server connection that also refuses what request smuggling relies on.

    # SECURITY: h11 unfolds obs-fold lines and lets ``Transfer-Encoding`` win over a
    # ``Content-Length``; a proxy in front may read the same bytes differently (RFC 9112 6.1,
    # 5.2), so both are refused with a 400. Raised inside ``next_event`` so h11 moves the peer
    # to ERROR and uvicorn answers 400 and closes.
    """

    def __init__(self, max_head_size: int) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_head_size)
        self.max_head_size = max_head_size

    def _extract_next_receive_event(self) -> t.Any:
        if self.their_state is h11.IDLE:
            data = self.trailing_data[0]
            end = _HEAD_END.search(data)
            # NOTE: h11 checks its size limit only while a head is incomplete; a whole 64 KiB
            # request line arriving in one read would pass it.
            if (end.start() if end is not None else len(data)) > self.max_head_size:
                raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
            if end is not None and _has_obs_fold(data[: end.start()]):
                raise h11.RemoteProtocolError("folded header line", error_status_hint=400)
        event = super()._extract_next_receive_event()  # type: ignore[misc]
        if isinstance(event, h11.Request):
            names = {name for name, _ in event.headers}
            if b"transfer-encoding" in names and b"content-length" in names:
                raise h11.RemoteProtocolError(
                    "Content-Length with Transfer-Encoding", error_status_hint=400
                )
        return event


def _has_obs_fold(head: bytes) -> bool:
    return b"\n " in head or b"\n\t" in head


class DevH11Protocol(H11Protocol):
    """h11 protocol with :class:`StrictConnection` that also times out a stalled request head
    and answers a client that half-closes after its request."""

    header_timeout: float = HEADER_TIMEOUT
    _head_timer: asyncio.TimerHandle | None = None
    _peer_eof: bool = False

    def __init__(self, config: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.conn = StrictConnection(config.h11_max_incomplete_event_size or 16 * 1024)

    def connection_made(self, transport: t.Any) -> None:
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # NOTE: while h11 still waits for (the rest of) a request head, their_state is IDLE.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_timer is None:
                self._arm_head_timer()
        else:
            self._disarm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """The client shut down its sending side: finish what it asked for, then close.

        Returning true keeps the transport open for writing (a half-closed TCP connection);
        returning ``None`` lets asyncio close it, which drops a response still being made.
        """
        if self.scheme == "https":
            # NOTE: asyncio's TLS transport closes on EOF whatever this returns (and logs a
            # warning for a true value); TLS clients end with close_notify, not a half-close.
            return None
        self._peer_eof = True
        self._disarm_head_timer()
        return self._settle_after_eof()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # NOTE: super() has started the next pipelined request if one was buffered; once the
        # client has half-closed, no more bytes come, so decide for what is left.
        if self._peer_eof and not self.transport.is_closing():
            if not self._settle_after_eof():
                self.transport.close()

    def _settle_after_eof(self) -> bool:
        """After the client's EOF: whether to keep the connection open for a response in the
        making. A request cut short gets h11's 400 here; anything else left means close."""
        state = self.conn.their_state
        cycle = self.cycle
        in_progress = cycle is not None and not cycle.response_complete
        if state in (h11.DONE, h11.MUST_CLOSE) and in_progress:
            # A whole request was received: answer it, then on_response_complete decides
            # again (pipelined requests buffered behind it are answered in turn).
            return True
        cut_head = state is h11.IDLE and bool(self.conn.trailing_data[0])
        cut_body = state is h11.SEND_BODY and in_progress and not cycle.response_started  # type: ignore[union-attr]
        if cut_head or cut_body:
            if cut_body:
                # NOTE: the view never gets its response out: its receive() sees a disconnect
                # and its sends are dropped, so only the 400 reaches the wire.
                cycle.disconnected = True  # type: ignore[union-attr]
                cycle.message_event.set()  # type: ignore[union-attr]
            # NOTE: told of the EOF, h11 raises RemoteProtocolError for the unfinished event
            # and uvicorn's handle_events answers 400 and closes. Only called with something
            # unfinished: on an empty closed buffer uvicorn would loop on ConnectionClosed.
            self.conn.receive_data(b"")
            self.handle_events()
            return not self.transport.is_closing()
        return False

    def _unsupported_upgrade_warning(self) -> None:
        # NOTE: uvicorn's own message points to "uvicorn[standard]"; erlen's extra is the fix.
        if self.ws_protocol_class is None and self._get_upgrade() == b"websocket":
            self.logger.warning(
                "WebSocket request refused: the dev server needs wsproto"
                ' (pip install "erlen[websockets]").'
            )
        else:
            super()._unsupported_upgrade_warning()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()
