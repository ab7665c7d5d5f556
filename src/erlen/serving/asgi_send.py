"""Sending a response over ASGI: the status and headers the WSGI side produced, then the body.

A buffered body goes out as it is, with no thread; a streamed one (sync or async iterator) is
pulled chunk by chunk, a sync one in the worker pool, and stops when the client disconnects
(the ``http.disconnect`` watched while the body is pumped). The body is closed at the end in
the request's context: that runs ``stream_with_context``'s teardown and the response's
on-close callbacks.
"""

from __future__ import annotations

import asyncio
import contextvars
import typing as t

from ..http.bodies import AsyncBody
from ..http.response import _STATUS_LINES
from .asgi_body import ReceiveStream
from .steps import Steps, hop

if t.TYPE_CHECKING:
    from ..app import Erlen

Receive = t.Callable[[], t.Awaitable[t.MutableMapping[str, t.Any]]]
Send = t.Callable[[t.MutableMapping[str, t.Any]], t.Awaitable[None]]

_END = object()

#: Header name -> its lowercased bytes for the ``http.response.start`` message.
_NAMES: dict[str, bytes] = {}
#: SECURITY: header names can come from request data; past this size the cache stops growing.
_CACHE_MAX = 512
#: The status lines responses use -> their codes (PERF: the same strings, hashes cached).
_STATUS = {line: code for code, line in _STATUS_LINES.items()}


def _name(name: str) -> bytes:
    raw = name.lower().encode("latin-1")
    if len(_NAMES) < _CACHE_MAX:
        _NAMES[name] = raw
    return raw


async def send_response(
    app: Erlen,
    context: contextvars.Context,
    status: str,
    headers: list[tuple[str, str]],
    app_iter: t.Any,
    send: Send,
    receive: Receive,
    stream: ReceiveStream | None,
) -> None:
    """Send the status, headers and body the WSGI side produced; close the body at the end."""
    names = _NAMES
    raw_headers = []
    # PERF: a loop, not a comprehension (a call of its own); ASCII encodes on the fast path.
    for name, value in headers:
        raw_headers.append(
            (
                names.get(name) or _name(name),
                value.encode() if value.isascii() else value.encode("latin-1"),
            )
        )
    await send(
        {
            "type": "http.response.start",
            "status": _STATUS.get(status) or int(status[:3]),
            "headers": raw_headers,
        }
    )
    if type(app_iter) is list or type(app_iter) is tuple:
        # PERF: a buffered body is sent as it is, with no thread and no watcher; the last
        # chunk ends the response (no empty message after it).
        if len(app_iter) == 1:
            await send({"type": "http.response.body", "body": app_iter[0]})
            return
        last = len(app_iter) - 1
        for i, chunk in enumerate(app_iter):
            if i == last:
                await send({"type": "http.response.body", "body": chunk})
            elif chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if last < 0:
            await send({"type": "http.response.body", "body": b""})
        return
    steps = Steps(app, context)
    watcher: asyncio.Future[t.Any] | None = None
    if stream is None or stream.done:
        watcher = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        if isinstance(app_iter, AsyncBody):
            await steps.task(_pump_async(app_iter, send, watcher))
        else:
            await _pump_sync(steps, app_iter, send, watcher)
    finally:
        if watcher is not None:
            watcher.cancel()
        close = getattr(app_iter, "close", None)
        if close is not None:
            # NOTE: runs stream_with_context's teardown and the response's on-close callbacks.
            await hop(steps.pool, steps.loop, context, close, ())


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _pump_sync(
    steps: Steps, app_iter: t.Any, send: Send, watcher: asyncio.Future[t.Any] | None
) -> None:
    iterator = iter(app_iter)
    while True:
        pending = steps.thread(next, iterator, _END)
        if watcher is not None:
            await asyncio.wait((pending, watcher), return_when=asyncio.FIRST_COMPLETED)
            if watcher.done():
                # NOTE: the client is gone: stop; the generator is closed once its current
                # step returns (a running generator cannot be closed).
                await pending
                return
        chunk = await pending
        if chunk is _END:
            break
        if chunk and not await _send_chunk(send, chunk):
            return
    await _send_chunk(send, b"", more=False)


async def _pump_async(body: AsyncBody, send: Send, watcher: asyncio.Future[t.Any] | None) -> None:
    async for chunk in body:
        if watcher is not None and watcher.done():
            return
        if chunk and not await _send_chunk(send, chunk):
            return
    await _send_chunk(send, b"", more=False)


async def _send_chunk(send: Send, chunk: bytes, more: bool = True) -> bool:
    """Send one body chunk; False when the client is gone."""
    try:
        await send({"type": "http.response.body", "body": chunk, "more_body": more})
    except OSError:  # NOTE: ASGI 2.4 servers raise on a send after a disconnect
        return False
    return True
