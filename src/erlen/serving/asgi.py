"""The ASGI edge: ``await app(scope, receive, send)`` for the HTTP, WebSocket and lifespan scopes.

The request pipeline is the app's own, the one the WSGI edge runs; this module turns an ASGI
HTTP scope into the WSGI-shaped environ the request object reads, runs the pipeline's steps
where they belong and sends the response. The request body is read ahead in
:mod:`erlen.serving.asgi_body`, WebSockets live in :mod:`erlen.serving.websocket`, lifespan and
background tasks in :mod:`erlen.serving.lifespan`.

Where code runs
---------------
- Every step of one request runs in ONE :class:`contextvars.Context` made for that request, as
  every step of a WSGI request runs in its thread's context. So ``stream_with_context`` and
  anything else that pushes a context in one step and pops it in a later one works.
- A sync view (and any request that is not an ``async def`` view's): the shared pipeline,
  :meth:`Erlen.wsgi_app` itself, runs in one hop to the app's bounded worker-thread pool
  (:mod:`erlen.serving.steps`; with ``ASGI_INLINE_WAIT`` the loop waits a moment on the spot
  for a view that has been quick). An ``async def`` hook or error handler it calls is sent back to this event loop
  (:mod:`erlen._async`), so it shares the loop with the server's other work.
- An ``async def`` view is awaited natively on the loop: the pipeline around it is one
  coroutine stepped in the request's context (``steps.drive``), so no thread is held while it
  waits. The pipeline's steps around the view (:meth:`Erlen.preprocess_request`, error
  handling, :meth:`Erlen.finalize_request`, the context pop with its teardown) are the same
  methods; each runs inline on the loop when it calls no user code, else in the pool
  (``await in_thread(...)``).
- Server-side sessions around an ``async def`` view use the store's async form, never a
  blocking call on the loop: the session is opened here, loaded with
  ``interface.load_async`` before the view when the cookie carries an id, and saved with
  ``interface.save_session_async`` once the response is made (see the docstring of
  :mod:`erlen.sessions.server`). Sync views keep the sync form, in the pool.

The response
------------
It is sent as the WSGI pipeline hands it over: after the request context is popped, which is
also when WSGI sends the body. A buffered body goes out in two messages (start, then the body);
a streamed body is pulled chunk by chunk in the worker pool and stops when the client
disconnects.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import sys
import typing as t

from .._async import asgi_loop
from ..http.bodies import AsyncBody
from ..http.response import _STATUS_LINES, Response
from ..sessions import SecureCookieSessionInterface
from ..sessions.server import ServerSessionInterface, ServerSideSession
from ..signals import request_finished, request_started
from .asgi_body import ReceiveStream, _has_body, read_body
from .steps import Steps, drive, hop, in_thread, outcome, worker_pool
from .steps import start as start_step

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..ctx import RequestContext

__all__ = ["ReceiveStream", "Steps", "asgi_app", "environ_from_scope", "worker_pool"]

Scope = t.MutableMapping[str, t.Any]
Receive = t.Callable[[], t.Awaitable[t.MutableMapping[str, t.Any]]]
Send = t.Callable[[t.MutableMapping[str, t.Any]], t.Awaitable[None]]

#: The scope extension through which the test client asks for the request's contexts, and
#: the environ key the pipeline hands them to (``erlen.testing``'s contract, see there).
PRESERVE_EXTENSION = "erlen.preserve_context"
PRESERVE_CONTEXT_KEY = "werkzeug.debug.preserve_context"

_END = object()


# -- the entry ---------------------------------------------------------------------------------


def asgi_app(app: Erlen, scope: Scope, receive: Receive, send: Send) -> t.Awaitable[None]:
    """Serve one ASGI connection scope with ``app`` (returns the coroutine to await)."""
    kind = scope["type"]
    if kind == "http":
        # PERF: the coroutine itself, with no coroutine around it.
        return handle_http(app, scope, receive, send)
    if kind == "websocket":
        from .websocket import handle_websocket

        return handle_websocket(app, scope, receive, send)
    if kind == "lifespan":
        from .lifespan import handle_lifespan

        return handle_lifespan(app, scope, receive, send)
    raise ValueError(f"erlen cannot serve an ASGI scope of type {kind!r}.")


# -- scope to environ -------------------------------------------------------------------------

#: Raw header name -> environ key ("" for a name that is dropped).
_HEADER_KEYS: dict[bytes, str] = {}
#: ``server`` of a scope -> (SERVER_NAME, SERVER_PORT).
_SERVERS: dict[t.Any, tuple[str, str]] = {}
_PROTOCOLS = {"1.1": "HTTP/1.1", "1.0": "HTTP/1.0", "2": "HTTP/2", "3": "HTTP/3"}
#: What every environ starts from (the rest is set per request).
_ENVIRON_BASE: dict[str, t.Any] = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "",
    "SERVER_PORT": "",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.errors": None,
    "wsgi.multithread": True,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
    "asgi.scope": None,
}
#: SECURITY: the caches above are keyed by what clients send; past this size they stop growing.
_CACHE_MAX = 512


def _header_key(raw_name: bytes) -> str:
    name = raw_name.decode("latin-1")
    # SECURITY: as gunicorn does, drop names with "_": "X_Forwarded_For" would otherwise
    # land on the same environ key as "X-Forwarded-For" and could spoof it.
    if "_" in name:
        key = ""
    else:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
    if len(_HEADER_KEYS) < _CACHE_MAX:
        _HEADER_KEYS[raw_name] = key
    return key


def _server(server: t.Any) -> tuple[str, str]:
    if not server:
        server = ("localhost", 80)
    pair = (str(server[0]), str(server[1] if server[1] is not None else 80))
    if len(_SERVERS) < _CACHE_MAX:
        _SERVERS[tuple(server)] = pair
    return pair


def environ_from_scope(scope: Scope) -> dict[str, t.Any]:
    """The WSGI environ (PEP 3333) for an HTTP or WebSocket scope, without ``wsgi.input``.

    PERF: header names and the server address go through small caches; an ASCII path needs no
    re-encoding.
    """
    get = scope.get
    root = get("root_path", "")
    path = scope["path"]
    # NOTE: servers differ on whether ``path`` includes ``root_path`` (the spec says it does).
    if root:
        if path.startswith(root):
            path = path[len(root) :]
        if not root.isascii():
            root = root.encode().decode("latin-1")
    if not path.isascii():
        path = path.encode().decode("latin-1")
    server = get("server")
    try:
        server_name, server_port = _SERVERS[server]
    except (KeyError, TypeError):  # NOTE: TypeError: a list, which is not hashable
        server_name, server_port = _server(server)
    scheme = get("scheme")
    if scheme is None or scheme in ("ws", "wss", ""):
        scheme = "https" if scheme == "wss" else "http"
    # PERF: a copy of the constant part is cheaper than a literal that builds the whole dict.
    environ = _ENVIRON_BASE.copy()
    environ["REQUEST_METHOD"] = get("method", "GET")
    environ["SCRIPT_NAME"] = root
    environ["PATH_INFO"] = path
    query = get("query_string")
    if query:
        environ["QUERY_STRING"] = query.decode("latin-1")
    environ["SERVER_NAME"] = server_name
    environ["SERVER_PORT"] = server_port
    version = get("http_version", "1.1")
    if version != "1.1":
        environ["SERVER_PROTOCOL"] = _PROTOCOLS.get(version) or "HTTP/" + version
    environ["wsgi.url_scheme"] = scheme
    environ["wsgi.errors"] = sys.stderr
    environ["asgi.scope"] = scope
    client = get("client")
    if client:
        environ["REMOTE_ADDR"] = str(client[0])
        environ["REMOTE_PORT"] = str(client[1])
    keys = _HEADER_KEYS
    for raw_name, raw_value in get("headers", ()):
        key = keys.get(raw_name)
        if key is None:
            key = _header_key(raw_name)
        if not key:
            continue
        # PERF: UTF-8 is the decoder's fast path; for ASCII it gives what latin-1 gives.
        try:
            value = raw_value.decode()
        except UnicodeDecodeError:
            value = raw_value.decode("latin-1")
        else:
            if len(value) != len(raw_value):
                value = raw_value.decode("latin-1")
        if key in environ:
            value = f"{environ[key]}{'; ' if key == 'HTTP_COOKIE' else ','}{value}"
        environ[key] = value
    return environ


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
    extensions = scope.get("extensions")
    if extensions:
        preserve = extensions.get(PRESERVE_EXTENSION)
        if preserve is not None:
            environ[PRESERVE_CONTEXT_KEY] = preserve
    stream: ReceiveStream | None = None
    if _has_body(environ):
        stream = await read_body(app, environ, receive)
    else:
        environ["wsgi.input"] = io.BytesIO()
    ctx = app.request_context(environ)
    # NOTE: routing only (no context is needed, nothing is pushed): it picks where the view runs.
    app.match_request(ctx.request)
    view = _native_view(app, ctx)
    context = contextvars.copy_context()
    if view is None:
        # The shared pipeline, whole, in one worker thread.
        loop = asyncio.get_running_loop()
        context.run(asgi_loop.set, loop)  # NOTE: for async hooks, see erlen._async
        start = _StartResponse()
        if "wsgi_app" in app.__dict__ or not _own_pipeline(type(app)):
            # NOTE: middleware (or an override) may change the environ: it builds its own.
            args: tuple[t.Any, ...] = (environ, start)
        else:
            # PERF: the request built and matched above is the one the pipeline uses.
            args = (environ, start, ctx)
        job = start_step(worker_pool(app), loop, context, app.wsgi_app, args, ctx.request.url_rule)
        app_iter = job.result() if job.finished else await outcome(job)
        status, headers = start.status, start.headers
    else:
        coro = _native_pipeline(app, ctx, view, environ)
        try:
            # PERF: the first step here; a view that never waits needs no more (see drive).
            waited = context.run(coro.send, None)
        except StopIteration as stop:
            app_iter, status, headers = stop.value
        else:
            app_iter, status, headers = await drive(app, context, coro, waited)
    await send_response(app, context, status, headers, app_iter, send, receive, stream)
    tasks = environ.get("erlen.background_tasks")
    if tasks:
        from .lifespan import start_background

        for task in tasks:
            start_background(app, *task)


_RESPONSE_CALL = Response.__call__


async def _native_pipeline(
    app: Erlen, ctx: RequestContext, view: t.Any, environ: dict[str, t.Any]
) -> tuple[t.Any, str, list[tuple[str, str]]]:
    """:meth:`Erlen.wsgi_app` for an ``async def`` view: the same steps, the view awaited.

    Runs in the request's context (see :func:`drive`); returns ``(app_iter, status, headers)``.
    PERF: :meth:`Erlen.full_dispatch_request`'s steps are inline here, not a coroutine of
    their own.
    """
    server_session, nonblocking_session = _session_kind(app)
    error: BaseException | None = None
    try:
        try:
            ctx.push()
            # -- Erlen.full_dispatch_request, with the view awaited on the loop
            app._got_first_request = True
            request = ctx.request
            plan = app._hook_plan(request)
            try:
                if server_session:
                    await open_session_async(app, ctx)
                if plan.before or plan.url_value_preprocessors or request_started.receivers:
                    rv = await in_thread(_start_request, app)
                else:
                    rv = app.preprocess_request()
                if rv is None:
                    rv = await view(**(request.view_args or {}))
            except Exception as e:
                rv = await in_thread(app.handle_user_exception, e)
            if (
                plan.after
                or ctx._after_request_functions
                or request_finished.receivers
                or not nonblocking_session
            ):
                response = await in_thread(app.finalize_request, rv)
            else:
                response = app.finalize_request(rv)
        except Exception as e:
            error = e
            response = await in_thread(_handle_exception, app, e)
        except BaseException:
            error = sys.exc_info()[1]
            raise
        session = ctx._session
        if session is not None and isinstance(session, ServerSideSession) and session._deferred:
            await session._interface.save_session_async(app, session, response)
        if type(response).__call__ is _RESPONSE_CALL:
            # PERF: what Response.__call__ hands start_response, without the call.
            return response.get_wsgi_response(environ)  # type: ignore[no-any-return]
        start = _StartResponse()
        app_iter = response(environ, start)
        return app_iter, start.status, start.headers
    finally:
        session = ctx._session
        if (
            session is not None
            and isinstance(session, ServerSideSession)
            and session._held is not None
        ):
            # NOTE: a request cancelled between the load and the save frees the lock.
            await session._interface._release_async(session)
        if PRESERVE_CONTEXT_KEY in environ:
            _preserve(environ)
        if error is not None and app.should_ignore_error(error):
            error = None
        plan = ctx._hooks
        if (plan is None or plan.teardown) or app.teardown_appcontext_funcs:
            await in_thread(ctx.pop, error)
        else:
            ctx.pop(error)


#: type of a session interface -> (server-side, saves without blocking).
_SESSION_KINDS: dict[type, tuple[bool, bool]] = {}


def _session_kind(app: Erlen) -> tuple[bool, bool]:
    kind = type(app.session_interface)
    found = _SESSION_KINDS.get(kind)
    if found is None:
        server = issubclass(kind, ServerSessionInterface)
        # NOTE: the cookie session saves without I/O; a server-side one is saved by the edge
        # with the async store (its sync save_session returns at once for a deferred session).
        found = _SESSION_KINDS[kind] = (server, server or kind is SecureCookieSessionInterface)
    return found


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


#: Header name -> its lowercased bytes for the ``http.response.start`` message.
_NAMES: dict[str, bytes] = {}
#: The status lines responses use -> their codes (PERF: the same strings, hashes cached).
_STATUS = {line: code for code, line in _STATUS_LINES.items()}


def _name(name: str) -> bytes:
    raw = name.lower().encode("latin-1")
    if len(_NAMES) < _CACHE_MAX:  # SECURITY: header names can come from request data
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
