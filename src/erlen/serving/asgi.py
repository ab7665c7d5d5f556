"""The ASGI edge: ``await app(scope, receive, send)`` for the HTTP, WebSocket and lifespan scopes.

The request pipeline is the app's own, the one the WSGI edge runs; this module turns an ASGI
HTTP scope into the WSGI-shaped environ the request object reads, runs the pipeline's steps
where they belong and sends the response. WebSockets live in :mod:`erlen.serving.websocket`,
lifespan and background tasks in :mod:`erlen.serving.lifespan`.

Where code runs
---------------
- Every step of one request runs in ONE :class:`contextvars.Context` made for that request, as
  every step of a WSGI request runs in its thread's context. So ``stream_with_context`` and
  anything else that pushes a context in one step and pops it in a later one works.
- A sync view (and any request that is not an ``async def`` view's): the shared pipeline,
  :meth:`Erlen.wsgi_app` itself, runs in one hop to the app's bounded worker-thread pool. An
  ``async def`` hook or error handler it calls is sent back to this event loop
  (:mod:`erlen._async`), so it shares the loop with the server's other work.
- An ``async def`` view is awaited natively on the loop (stepped in the request's context, see
  :meth:`Steps.task`): no thread is held while it waits. The
  pipeline's steps around it (:meth:`Erlen.preprocess_request`, error handling,
  :meth:`Erlen.finalize_request`, the context pop with its teardown) are the same methods; each
  runs inline on the loop when it calls no user code, else in the pool.
- Server-side sessions around an ``async def`` view use the store's async form, never a
  blocking call on the loop: the session is opened here, loaded with
  ``interface.load_async`` before the view when the cookie carries an id, and saved with
  ``interface.save_session_async`` once the response is made (see the docstring of
  :mod:`erlen.sessions.server`). Sync views keep the sync form, in the pool.

The body
--------
It is read before dispatch, bounded as under WSGI: with a ``Content-Length`` above
``MAX_CONTENT_LENGTH`` nothing is read (the request's stream answers 413, as under WSGI); without
one at most ``MAX_CONTENT_LENGTH + 1`` bytes are read, so the stream still sees the overflow and
answers 413. Reads past what was read ahead (a view that raised ``request.max_content_length``)
go on from the worker thread to ``receive``. The response is sent as the WSGI pipeline hands it
over: after the request context is popped, which is also when WSGI sends the body; a streamed
body is pulled chunk by chunk in the worker pool and stops when the client disconnects.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import io
import sys
import typing as t

from .._async import asgi_loop
from ..http.bodies import AsyncBody
from ..http.exceptions import ClientDisconnected
from ..sessions import SecureCookieSessionInterface
from ..sessions.server import ServerSessionInterface, ServerSideSession
from ..signals import request_finished, request_started
from .workers import WorkerPool

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..ctx import RequestContext

Scope = t.MutableMapping[str, t.Any]
Receive = t.Callable[[], t.Awaitable[t.MutableMapping[str, t.Any]]]
Send = t.Callable[[t.MutableMapping[str, t.Any]], t.Awaitable[None]]

#: The default size of an app's worker-thread pool (``ASGI_MAX_THREADS`` in the config).
DEFAULT_MAX_THREADS = 40
#: The scope extension through which the test client asks for the request's contexts, and
#: the environ key the pipeline hands them to (``erlen.testing``'s contract, see there).
PRESERVE_EXTENSION = "erlen.preserve_context"
PRESERVE_CONTEXT_KEY = "werkzeug.debug.preserve_context"

_END = object()


# -- the entry ---------------------------------------------------------------------------------


async def asgi_app(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve one ASGI connection scope with ``app``."""
    kind = scope["type"]
    if kind == "http":
        await handle_http(app, scope, receive, send)
    elif kind == "websocket":
        from .websocket import handle_websocket

        await handle_websocket(app, scope, receive, send)
    elif kind == "lifespan":
        from .lifespan import handle_lifespan

        await handle_lifespan(app, scope, receive, send)
    else:
        raise ValueError(f"erlen cannot serve an ASGI scope of type {kind!r}.")


def worker_pool(app: Erlen) -> WorkerPool:
    """The app's bounded pool for sync views, hooks and body chunks (made on first use)."""
    state = app._asgi
    pool = state.pool
    if pool is None:
        size = app.config.get("ASGI_MAX_THREADS") or DEFAULT_MAX_THREADS
        pool = state.pool = WorkerPool(size, "erlen-asgi")
    return pool


class Steps:
    """Runs the steps of one request (or WebSocket) in its one context, inline or in the pool.

    NOTE: a context can be entered by one thread at a time; the steps of one request run one
    after the other, which is what makes sharing it safe.
    """

    __slots__ = ("context", "loop", "pool")

    def __init__(self, app: Erlen) -> None:
        self.loop = asyncio.get_running_loop()
        self.pool = worker_pool(app)
        self.context = contextvars.copy_context()
        # NOTE: an async hook called from a worker thread finds this loop through it.
        self.context.run(asgi_loop.set, self.loop)

    def inline(self, func: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """Run ``func`` now, on the loop (for steps that call no user code)."""
        return self.context.run(func, *args)

    def thread(self, func: t.Callable[..., t.Any], *args: t.Any) -> asyncio.Future[t.Any]:
        """Run ``func`` in the worker pool."""
        return self.pool.run(self.loop, functools.partial(self.context.run, func, *args))

    async def task(self, coro: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Any:
        """Await ``coro`` on the loop, each of its steps run in the request's context.

        PERF: no task of its own: the caller's task drives ``coro`` one step at a time through
        ``Context.run`` and passes whatever it waits on (a future, or a bare yield) up to the
        event loop unchanged, so an ``async def`` view costs no task and no extra loop turn.
        """
        run = self.context.run
        send, throw = coro.send, coro.throw
        value: t.Any = None
        error: BaseException | None = None
        while True:
            try:
                if error is None:
                    waited = run(send, value)
                else:
                    waited = run(throw, error)
            except StopIteration as stop:
                return stop.value
            try:
                value = await _PassUp(waited)
                error = None
            except BaseException as e:  # NOTE: cancellation too: the coroutine sees it
                value, error = None, e


class _PassUp:
    """Awaiting it yields ``waited`` to the event loop and returns what the loop sends back."""

    __slots__ = ("waited",)

    def __init__(self, waited: t.Any) -> None:
        self.waited = waited

    def __await__(self) -> t.Generator[t.Any, t.Any, t.Any]:
        return (yield self.waited)


# -- scope to environ -------------------------------------------------------------------------


def environ_from_scope(scope: Scope) -> dict[str, t.Any]:
    """The WSGI environ (PEP 3333) for an HTTP or WebSocket scope, without ``wsgi.input``."""
    root = scope.get("root_path", "")
    path = scope["path"]
    # NOTE: servers differ on whether ``path`` includes ``root_path`` (the spec says it does).
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    scheme = scope.get("scheme") or ("ws" if scope["type"] == "websocket" else "http")
    if scheme in ("ws", "wss"):
        scheme = "https" if scheme == "wss" else "http"
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": root.encode().decode("latin-1"),
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "asgi.scope": scope,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = str(client[0])
        environ["REMOTE_PORT"] = str(client[1])
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1")
        # SECURITY: as gunicorn does, drop names with "_": "X_Forwarded_For" would otherwise
        # land on the same environ key as "X-Forwarded-For" and could spoof it.
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        old = environ.get(key)
        if old is not None:
            value = f"{old}{'; ' if key == 'HTTP_COOKIE' else ','}{value}"
        environ[key] = value
    return environ


# -- the request body ------------------------------------------------------------------------


class ReceiveStream(io.RawIOBase):
    """``wsgi.input`` under ASGI: the bytes read ahead, then (from a worker thread) ``receive``.

    >>> s = ReceiveStream(None, None); s.feed(b"abc", more=False); s.read()
    b'abc'
    """

    def __init__(self, receive: Receive | None, loop: asyncio.AbstractEventLoop | None) -> None:
        super().__init__()
        self._receive = receive
        self._loop = loop
        self._chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        #: True once the last body message (or a disconnect) arrived.
        self.done = False
        self.disconnected = False

    def readable(self) -> bool:
        return True

    def feed(self, chunk: bytes, more: bool) -> None:
        if chunk:
            self._chunks.append(chunk)
            self.buffered += len(chunk)
        if not more:
            self.done = True

    async def pull(self) -> None:
        """Receive one message of the body."""
        message = await self._receive()  # type: ignore[misc]
        if message["type"] == "http.disconnect":
            self.done = self.disconnected = True
        else:
            self.feed(message.get("body", b""), message.get("more_body", False))

    async def read_ahead(self, limit: int | None) -> None:
        """Receive until the body ends or more than ``limit`` bytes are here."""
        while not self.done and (limit is None or self.buffered < limit):
            await self.pull()

    def readinto(self, buffer: t.Any) -> int:
        chunks = self._chunks
        while not chunks and not self.done:
            loop = self._loop
            if loop is None:
                break
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                # NOTE: only reached when a view raised its limit past what was read ahead
                # and reads on the loop; blocking here would stop the server.
                raise RuntimeError(
                    "The rest of the request body can only be read from a sync view under ASGI."
                )
            asyncio.run_coroutine_threadsafe(self.pull(), loop).result()
        if not chunks:
            if self.disconnected:
                # NOTE: the client left before the body's last message (a chunked upload cut
                # short has no length to check): the view must not take it for the whole body.
                raise ClientDisconnected()
            return 0
        chunk = chunks.popleft()
        n = min(len(buffer), len(chunk))
        buffer[:n] = chunk[:n]
        if n < len(chunk):
            chunks.appendleft(chunk[n:])
        self.buffered -= n
        return n


def _has_body(environ: dict[str, t.Any]) -> bool:
    # NOTE: as under WSGI, a request with neither Content-Length nor chunked framing has no
    # body over HTTP/1.x; HTTP/2 and /3 frame bodies without either.
    return (
        "CONTENT_LENGTH" in environ
        or "HTTP_TRANSFER_ENCODING" in environ
        or not environ["SERVER_PROTOCOL"].startswith("HTTP/1")
    )


async def read_body(app: Erlen, environ: dict[str, t.Any], receive: Receive) -> ReceiveStream:
    """Put the body in ``environ["wsgi.input"]``, read ahead within the app's limit."""
    stream = ReceiveStream(receive, asyncio.get_running_loop())
    environ["wsgi.input"] = stream
    limit = app.config["MAX_CONTENT_LENGTH"]
    raw = environ.get("CONTENT_LENGTH")
    if raw is None:
        # NOTE: no declared length: the request reads to the end, counting (wsgi's chunked).
        environ["wsgi.input_terminated"] = True
        await stream.read_ahead(None if limit is None else limit + 1)
        return stream
    value = raw.strip()
    if value.isascii() and value.isdigit():
        length = int(value)
        # SECURITY: a declared length above the limit is a 413 before a byte is read.
        if limit is None or length <= limit:
            await stream.read_ahead(length)
    # NOTE: a malformed Content-Length is left for the request to refuse (400), as under WSGI.
    return stream


# -- HTTP -----------------------------------------------------------------------------------------


class _StartResponse:
    """A WSGI ``start_response`` that keeps what it is given."""

    __slots__ = ("status", "headers")

    def __init__(self) -> None:
        self.status = "500 INTERNAL SERVER ERROR"
        self.headers: list[tuple[str, str]] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Any:
        self.status = status
        self.headers = headers
        return None


def _native_view(app: Erlen, ctx: RequestContext) -> t.Any:
    """The ``async def`` view to await on the loop for this request, or None."""
    request = ctx.request
    rule = request.url_rule
    if rule is None or request.routing_exception is not None:
        return None
    if rule.provide_automatic_options and request.method == "OPTIONS":
        return None
    view = app.view_functions.get(rule.endpoint)
    if view is None:
        return None
    wrapped = app._sync_cache.get(view) or app.ensure_sync(view)
    if getattr(wrapped, "_erlen_async", False) and _own_pipeline(type(app)):
        return view
    return None


_OWN_PIPELINE: dict[type, bool] = {}


def _own_pipeline(cls: type) -> bool:
    """Whether ``cls`` keeps erlen's pipeline methods; an override only runs on the shared path."""
    own = _OWN_PIPELINE.get(cls)
    if own is None:
        from ..app import Erlen

        own = _OWN_PIPELINE[cls] = all(
            getattr(cls, name) is getattr(Erlen, name)
            for name in ("wsgi_app", "full_dispatch_request", "dispatch_request", "ensure_sync")
        )
    return own


async def handle_http(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    environ = environ_from_scope(scope)
    preserve = scope.get("extensions", {}).get(PRESERVE_EXTENSION)
    if preserve is not None:
        environ[PRESERVE_CONTEXT_KEY] = preserve
    steps = Steps(app)
    if _has_body(environ):
        stream = await read_body(app, environ, receive)
    else:
        environ["wsgi.input"] = io.BytesIO()
        stream = None
    ctx = app.request_context(environ)
    steps.inline(app.match_request, ctx.request)  # NOTE: routing only, no user code
    start = _StartResponse()
    view = _native_view(app, ctx)
    if view is None:
        # The shared pipeline, whole, in one worker thread.
        if "wsgi_app" in app.__dict__ or not _own_pipeline(type(app)):
            # NOTE: middleware (or an override) may change the environ: it builds its own.
            app_iter = await steps.thread(app.wsgi_app, environ, start)
        else:
            # PERF: the request built and matched above is the one the pipeline uses.
            app_iter = await steps.thread(app.wsgi_app, environ, start, ctx)
    else:
        app_iter = await _native_pipeline(app, ctx, view, steps, start)
    await send_response(steps, start, app_iter, send, receive, stream)
    tasks = environ.get("erlen.background_tasks")
    if tasks:
        from .lifespan import start_background

        for task in tasks:
            start_background(app, *task)


async def _native_pipeline(
    app: Erlen, ctx: RequestContext, view: t.Any, steps: Steps, start: _StartResponse
) -> t.Any:
    """:meth:`Erlen.wsgi_app` for an ``async def`` view: the same steps, the view awaited."""
    environ = ctx.request.environ
    error: BaseException | None = None
    try:
        try:
            steps.inline(ctx.push)
            response = await _full_dispatch(app, ctx, view, steps)
        except Exception as e:
            error = e
            response = await steps.thread(_handle_exception, app, e)
        except BaseException:
            error = sys.exc_info()[1]
            raise
        session = ctx._session
        if isinstance(session, ServerSideSession) and session._deferred:
            await steps.task(session._interface.save_session_async(app, session, response))
        return steps.inline(response, environ, start)
    finally:
        session = ctx._session
        if isinstance(session, ServerSideSession) and session._held is not None:
            # NOTE: a request cancelled between the load and the save frees the lock.
            await session._interface._release_async(session)
        if PRESERVE_CONTEXT_KEY in environ:
            steps.inline(_preserve, environ)
        if error is not None and app.should_ignore_error(error):
            error = None
        plan = ctx._hooks
        if (plan is None or plan.teardown) or app.teardown_appcontext_funcs:
            await steps.thread(ctx.pop, error)
        else:
            steps.inline(ctx.pop, error)


def _handle_exception(app: Erlen, e: Exception) -> t.Any:
    # NOTE: in the worker thread the error is not "being handled"; raise it there so that
    # handle_exception logs it with its traceback (sys.exc_info), as under WSGI.
    try:
        raise e
    except Exception:
        return app.handle_exception(e)


def _preserve(environ: dict[str, t.Any]) -> None:
    from ..globals import _cv_app, _cv_request

    environ[PRESERVE_CONTEXT_KEY](_cv_app.get())
    environ[PRESERVE_CONTEXT_KEY](_cv_request.get())


def _start_request(app: Erlen) -> t.Any:
    # NOTE: the part of Erlen.full_dispatch_request before the view.
    if request_started.receivers:
        request_started.send(app, _async_wrapper=app.ensure_sync)
    return app.preprocess_request()


async def _full_dispatch(app: Erlen, ctx: RequestContext, view: t.Any, steps: Steps) -> t.Any:
    """:meth:`Erlen.full_dispatch_request` with the view awaited on the loop."""
    app._got_first_request = True
    request = ctx.request
    plan = app._hook_plan(request)
    try:
        if isinstance(app.session_interface, ServerSessionInterface):
            await steps.task(open_session_async(app, ctx))
        if plan.before or plan.url_value_preprocessors or request_started.receivers:
            rv = await steps.thread(_start_request, app)
        else:
            rv = steps.inline(_start_request, app)
        if rv is None:
            rv = await steps.task(view(**(request.view_args or {})))
    except Exception as e:
        rv = await steps.thread(app.handle_user_exception, e)
    if (
        plan.after
        or ctx._after_request_functions
        or request_finished.receivers
        or not (_nonblocking_session(app))
    ):
        return await steps.thread(app.finalize_request, rv)
    return steps.inline(app.finalize_request, rv)


def _nonblocking_session(app: Erlen) -> bool:
    # NOTE: the cookie session saves without I/O; a server-side one is saved by the edge with
    # the async store (its sync save_session returns at once for a deferred session).
    kind = type(app.session_interface)
    return kind is SecureCookieSessionInterface or issubclass(kind, ServerSessionInterface)


async def open_session_async(app: Erlen, ctx: RequestContext, lock: bool = True) -> None:
    """Open the request's server-side session for a coroutine: loaded with the async store
    (when the cookie names one), and marked so the edge saves it with the async store."""
    interface = t.cast(ServerSessionInterface, app.session_interface)
    session = ctx._session
    if session is None:
        session = ctx._session = interface.open_session(app, ctx.request)
    if isinstance(session, ServerSideSession):
        session._deferred = True
        await interface.load_async(session, defer_error=True, lock=lock)


async def send_response(
    steps: Steps,
    start: _StartResponse,
    app_iter: t.Any,
    send: Send,
    receive: Receive,
    stream: ReceiveStream | None,
) -> None:
    """Send the status, headers and body the WSGI side produced; close the body at the end."""
    await send(
        {
            "type": "http.response.start",
            "status": int(start.status[:3]),
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in start.headers
            ],
        }
    )
    if type(app_iter) is list or type(app_iter) is tuple:
        # PERF: a buffered body is sent as it is, with no thread and no watcher.
        for chunk in app_iter:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
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
            await steps.thread(close)


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
