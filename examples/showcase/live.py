"""The live page: how many users are online, pushed to every open page over a WebSocket.

A logged-in user's open ``/live`` page holds one WebSocket. :class:`Online` counts the
distinct users with at least one open socket and, whenever the count changes, puts the new
count in every socket's queue; each handler sends what its queue receives. The state lives
in one process per app (the dev server, or one uvicorn worker): it is a demo of the protocol, not a
presence service.
"""

from __future__ import annotations

import asyncio
import threading
import typing as t

from erlen import (
    Blueprint,
    WebSocketDisconnect,
    abort,
    current_app,
    render_template,
    session,
    websocket,
)

bp = Blueprint("live", __name__)


class Online:
    """Open sockets per user, and a queue per socket for the count updates."""

    def __init__(self) -> None:
        self.sockets: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[int]]]] = {}
        # NOTE: sockets may live on different event loops in different threads (the test
        # client runs each connection on its own loop), hence the lock and
        # call_soon_threadsafe; under one server they share one loop and it costs nothing.
        self.lock = threading.Lock()

    def count(self) -> int:
        with self.lock:
            return len(self.sockets)

    def _broadcast(self) -> None:
        count = len(self.sockets)
        for sockets in self.sockets.values():
            for loop, queue in sockets:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(queue.put_nowait, count)

    def join(self, user: str, queue: asyncio.Queue[int]) -> None:
        with self.lock:
            self.sockets.setdefault(user, set()).add((asyncio.get_running_loop(), queue))
            self._broadcast()

    def leave(self, user: str, queue: asyncio.Queue[int]) -> None:
        with self.lock:
            sockets = self.sockets.get(user, set())
            sockets.difference_update({s for s in sockets if s[1] is queue})
            if not sockets:
                self.sockets.pop(user, None)
            self._broadcast()


@bp.record_once
def _setup(state: t.Any) -> None:
    state.app.extensions["showcase.online"] = Online()


def online() -> Online:
    """This app's :class:`Online` (each app has its own, the test apps included)."""
    return current_app.extensions["showcase.online"]


@bp.route("/live")
def live():
    if "user" not in session:
        abort(401, description="Log in to see who is online.")
    return render_template("live.html")


@bp.websocket("/live/online")
async def online_socket() -> None:
    user = session.get("user")
    if not user:
        # NOTE: before the accept, so the handshake is refused (403): no anonymous sockets.
        abort(403)
    await websocket.accept()
    queue: asyncio.Queue[int] = asyncio.Queue()
    online().join(user, queue)
    # The client sends nothing; a receive that ends means the client went away.
    gone = asyncio.ensure_future(_until_disconnect())
    try:
        while True:
            update = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({gone, update}, return_when=asyncio.FIRST_COMPLETED)
            if gone in done:
                update.cancel()
                break
            await websocket.send_json({"online": update.result()})
    except WebSocketDisconnect:
        pass
    finally:
        gone.cancel()
        online().leave(user, queue)


async def _until_disconnect() -> None:
    try:
        while True:
            await websocket.receive()
    except WebSocketDisconnect:
        return
