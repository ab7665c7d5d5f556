"""WebSockets over ASGI: the ``websocket`` object handlers talk through, and the connection's life.

A WebSocket connection runs like a request: a request context (so ``request.args``,
``session``, ``g``, ``url_for`` work) in one context for the whole connection, the
``before_websocket`` hooks (app first, then blueprints; URL value preprocessors before them),
the handler, the ``after_websocket`` hooks, teardown. ``async def`` handlers and hooks run on the
loop; sync ones in the worker pool, where ``websocket.receive()`` and ``send()`` block (the style
of Flask-Sock). The method names are Quart's.

- A hook that returns a value or raises rejects the connection before it is accepted: the value
  (or the error handler's answer) is sent as an HTTP response when the server supports
  ``websocket.http.response``, else the connection is closed, which servers send as a 403.
- An error after the accept goes through the error handlers too, then closes the socket (1011).
- ``receive``/``send`` accept the connection first if the handler did not.
- The client going away raises :class:`WebSocketDisconnect` in ``receive``/``send``; the
  handler may catch it, and if it does not, the connection ends normally.
- Sessions: readable. A server-side session interface saves changes at the end; with the cookie
  session a change raises an error naming the problem, since no response can carry the cookie.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import io
import json
import typing as t

from ..exceptions import HTTPException
from ..globals import _cv_websocket
from ..globals import websocket as websocket
from ..http.exceptions import WebSocketDisconnect as WebSocketDisconnect
from ..sessions.server import ServerSessionInterface, ServerSideSession
from .asgi import Steps, environ_from_scope, open_session_async

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..ctx import RequestContext
    from .asgi import Receive, Scope, Send


class Websocket:
    """One WebSocket connection, as handlers see it through ``erlen.websocket``.

    Each I/O method returns an awaitable on the event loop (``await websocket.receive()``) and
    blocks in a sync handler's thread (``websocket.receive()``).
    """

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        loop: asyncio.AbstractEventLoop,
        ctx: RequestContext,
    ) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self._loop = loop
        self._ctx = ctx
        self.accepted = False
        self.closed = False

    # -- what the handler reads ------------------------------------------------------------

    @property
    def request(self) -> t.Any:
        return self._ctx.request

    @property
    def path(self) -> str:
        return self.request.path  # type: ignore[no-any-return]

    @property
    def args(self) -> t.Any:
        return self.request.args

    @property
    def headers(self) -> t.Any:
        return self.request.headers

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offers, in its order of preference."""
        return list(self.scope.get("subprotocols") or ())

    def __getattr__(self, name: str) -> t.Any:
        # NOTE: the rest of the request's API (full_path, host, cookies, view_args...).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._ctx.request, name)

    # -- I/O, on the loop or from a thread -----------------------------------------------------

    def _run(self, coro: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Any:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            return coro
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def accept(self, headers: t.Any = None, subprotocol: str | None = None) -> t.Any:
        """Accept the connection (with extra response ``headers`` and a chosen subprotocol)."""
        return self._run(self._accept(headers, subprotocol))

    def receive(self) -> t.Any:
        """The next message, ``str`` or ``bytes``."""
        return self._run(self._areceive())

    def send(self, data: str | bytes) -> t.Any:
        return self._run(self._asend(data))

    def receive_json(self) -> t.Any:
        return self._run(self._areceive_json())

    def send_json(self, data: t.Any) -> t.Any:
        from ..globals import current_app

        return self._run(self._asend(current_app.json.dumps(data)))

    def close(self, code: int = 1000, reason: str = "") -> t.Any:
        return self._run(self._close(code, reason))

    async def _accept(self, headers: t.Any = None, subprotocol: str | None = None) -> None:
        if self.accepted:
            return
        message: dict[str, t.Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers:
            items = headers.items() if hasattr(headers, "items") else headers
            message["headers"] = [
                (str(k).lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in items
            ]
        self.accepted = True
        await self._send(message)

    async def _areceive(self) -> str | bytes:
        await self._accept()
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self.closed = True
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is not None:
            return t.cast(str, text)
        return t.cast(bytes, message.get("bytes") or b"")

    async def _areceive_json(self) -> t.Any:
        data = await self._areceive()
        try:
            return json.loads(data)
        except ValueError as e:
            from ..exceptions import BadRequest

            raise BadRequest(f"The WebSocket message is not valid JSON: {e}") from None

    async def _asend(self, data: str | bytes) -> None:
        await self._accept()
        if self.closed:
            raise WebSocketDisconnect()
        key = "bytes" if isinstance(data, (bytes, bytearray)) else "text"
        try:
            await self._send({"type": "websocket.send", key: data})
        except OSError:  # NOTE: ASGI 2.4 servers raise on a send after a disconnect
            self.closed = True
            raise WebSocketDisconnect() from None

    async def _close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except OSError:
            pass


# -- the connection --------------------------------------------------------------------------


def _hooks(
    app: Erlen, registry: dict[str | None, list[t.Any]], chain: tuple[str, ...], outer: bool
) -> list[t.Any]:
    names = (None, *reversed(chain)) if outer else (*chain, None)
    funcs: list[t.Any] = []
    for name in names:
        if name in registry:
            funcs.extend(registry[name] if outer else reversed(registry[name]))
    return funcs


async def _call(steps: Steps, func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    """Await an ``async def`` function on the loop, run a sync one in the pool."""
    if inspect.iscoroutinefunction(func):
        return await steps.task(func(*args, **kwargs))
    return await steps.thread(functools.partial(func, *args, **kwargs))


async def _reject(app: Erlen, ws: Websocket, steps: Steps, rv: t.Any) -> None:
    """Refuse the connection before accept: an HTTP response when the server can send one."""
    response = steps.inline(app.make_response, rv)
    if response.status_code < 400:
        # NOTE: a hook's non-error answer still refuses the handshake.
        response.status_code = 403
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws._send(
            {
                "type": "websocket.http.response.start",
                "status": response.status_code,
                "headers": [
                    (k.lower().encode("latin-1"), v.encode("latin-1"))
                    for k, v in response.headers.items()
                ],
            }
        )
        body = b"".join(response.iter_encoded())
        await ws._send({"type": "websocket.http.response.body", "body": body})
    else:
        await ws._send({"type": "websocket.close", "code": 1008})
    ws.closed = True


async def handle_websocket(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    environ = environ_from_scope(scope)
    environ["wsgi.input"] = io.BytesIO()
    steps = Steps(app)
    ctx = app.request_context(environ)
    ws = Websocket(scope, receive, send, steps.loop, ctx)
    # NOTE: matched once the contexts are pushed, as Flask matches: a custom converter's
    # to_python may use current_app, g or request (and, being user code, runs in the pool).
    steps.inline(ctx._push_contexts)
    steps.inline(_cv_websocket.set, ws)
    error: BaseException | None = None
    try:
        if app.url_map.custom_converters:
            await steps.thread(_match_websocket, app, ctx)
        else:
            steps.inline(_match_websocket, app, ctx)
        await _run_connection(app, ctx, ws, steps)
    except BaseException as e:
        error = e
        raise
    finally:
        try:
            if not ws.closed:
                await ws._close(1011 if error is not None else 1000)
        finally:
            await steps.thread(ctx.pop, error)


def _match_websocket(app: Erlen, ctx: RequestContext) -> None:
    """Match the request as a WebSocket; a routing error is kept on it, as for HTTP."""
    request = ctx.request
    try:
        adapter = app.create_url_adapter(request)
        adapter.websocket = True  # type: ignore[union-attr]
        request.url_rule, request.view_args = adapter.match(return_rule=True)  # type: ignore[union-attr]
    except HTTPException as e:
        request.routing_exception = e
    else:
        ctx.url_adapter = adapter


async def _run_connection(app: Erlen, ctx: RequestContext, ws: Websocket, steps: Steps) -> None:
    request = ctx.request
    chain = request._blueprint_chain
    if not app._got_first_request:  # NOTE: an assignment bumps the generation
        app._got_first_request = True
    try:
        if isinstance(app.session_interface, ServerSessionInterface):
            # NOTE: loaded with the async store before any handler runs, saved with it below.
            await steps.task(open_session_async(app, ctx, lock=False))
        if request.routing_exception is not None:
            raise request.routing_exception
        for func in _hooks(app, app.url_value_preprocessors, chain, True):
            await _call(steps, func, request.endpoint, request.view_args)
        for func in _hooks(app, app.before_websocket_funcs, chain, True):
            rv = await _call(steps, func)
            if rv is not None:
                await _reject(app, ws, steps, rv)
                return
        handler = app.view_functions[request.url_rule.endpoint]  # type: ignore[union-attr]
        try:
            await _call(steps, handler, **(request.view_args or {}))
        except WebSocketDisconnect:
            pass
        for func in _hooks(app, app.after_websocket_funcs, chain, False):
            await _call(steps, func, None)
    except WebSocketDisconnect:
        pass
    except Exception as e:
        try:
            rv = await steps.thread(app.handle_user_exception, e)
        except Exception:
            if not ws.accepted:
                from ..exceptions import InternalServerError

                app.logger.exception("Error on WebSocket %s", request.path)
                await _reject(app, ws, steps, InternalServerError())
                return
            raise
        if not ws.accepted:
            await _reject(app, ws, steps, rv)
        elif not ws.closed:
            await ws._close(1011)
        return
    # NOTE: outside the handlers' reach: a session that cannot be saved is the server's error.
    await _save_session(app, ctx, steps)


async def _save_session(app: Erlen, ctx: RequestContext, steps: Steps) -> None:
    session = ctx._session
    if isinstance(session, ServerSideSession) and session._deferred:
        # NOTE: also when nothing changed: it refreshes the expiry and frees an atomic lock.
        await steps.task(session._interface.save_session_async(app, session, app.response_class()))
        return
    if session is None or not getattr(session, "modified", False):
        return
    from ..sessions import SecureCookieSessionInterface

    interface = app.session_interface
    if isinstance(interface, SecureCookieSessionInterface):
        raise RuntimeError(
            "The session was changed in a WebSocket handler, but the cookie session cannot be"
            " saved from a WebSocket: no HTTP response carries the cookie. Change the session in"
            " an HTTP view, or use a server-side session interface."
        )
    await steps.thread(interface.save_session, app, session, app.response_class())
