"""The ASGI edge: ``await app(scope, receive, send)`` for the HTTP, WebSocket and lifespan scopes.

The request pipeline is the app's own, the one the WSGI edge runs; this module makes the
request from an ASGI HTTP scope, runs the pipeline's steps where they belong and sends the
response. A body-less HTTP/1 request gets a request whose WSGI environ is built from the scope
only when something asks for it (:mod:`erlen.serving.asgi_scope`); any other gets its environ
here, its body read ahead in :mod:`erlen.serving.asgi_body`. WebSockets live in
:mod:`erlen.serving.websocket`, lifespan and background tasks in :mod:`erlen.serving.lifespan`.

Where code runs
---------------
While the app keeps erlen's pipeline (``app._inline_pipeline``, ``wsgi_app`` its own), the
request is routed here, on the loop, and then:

- A view with nothing around it (no hook, no teardown function, no signal receiver, no
  server-side session): from its second request on a quiet route
  (:class:`erlen.serving.asgi_inline.QuietRoute`: push, view, text, reset, right here); else
  and for anything the view leaves to do, the pipeline, inline in one coroutine
  (:func:`erlen.serving.asgi_inline.inline_pipeline`), is awaited in the server task's context,
  as WSGI runs a request in its thread's context. An ``async def`` view is awaited on the loop;
  a sync view is the one step handed to the app's bounded worker-thread pool
  (:mod:`erlen.serving.steps`; with ``ASGI_INLINE_WAIT`` the loop waits a moment on the spot
  for a view that has been quick), in a copy of that context.
- An ``async def`` view with hooks around it: the same coroutine, stepped in ONE
  :class:`contextvars.Context` made for the request (``steps.drive``), so every step sees what
  the others left (``stream_with_context``, a hook's context variable). Steps that call user
  code (hooks, error handlers, the context pop with its teardown) run in the pool, the others
  inline on the loop.
- A sync view with hooks around it: the shared pipeline, :meth:`Erlen.wsgi_app` itself, in one
  hop to the pool, in the request's context.

An ``async def`` hook or error handler called from the pool is sent back to this event loop
(:mod:`erlen._async`), so it shares the loop with the server's other work. An app that
overrides a pipeline step, or wraps ``wsgi_app`` in WSGI middleware, gets every step as a
method call (``_stepwise_http``), with the environ built here.

Server-side sessions around an ``async def`` view use the store's async form, never a blocking
call on the loop: the session is opened by the edge, loaded with ``interface.load_async``
before the view when the cookie carries an id, and saved with ``interface.save_session_async``
once the response is made (see the docstring of :mod:`erlen.sessions.server`). Sync views keep
the sync form, in the pool.

The response
------------
It is sent as the WSGI pipeline hands it over: after the request context is popped, which is
also when WSGI sends the body. A buffered body goes out in two messages (start, then the body);
the usual one (a single chunk with only Content-Type and Content-Length) is made straight from
the response's header pairs. A streamed body is pulled chunk by chunk in the worker pool and
stops when the client disconnects.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import sys
import typing as t

from .._async import asgi_loop
from ..ctx import AppContext, RequestContext
from ..globals import _NO_CONTEXT, _get_context, _reset_context, _set_context
from ..http.exceptions import HTTPException
from ..http.generation import generation
from ..http.request_url import _GOOD_HOSTS
from ..http.response import Response
from ..signals import (
    appcontext_popped,
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)
from .asgi_body import ReceiveStream, _has_body, read_body
from .asgi_inline import (
    _RAW_LENGTHS,
    _SESSION_KINDS,
    QuietRoute,
    _call_view,
    _direct_hop,
    _handle_exception,
    _raw_length,
    _session_kind,
    _start_request,
    _StartResponse,
    finish_pipeline,
    inline_pipeline,
    open_session_async,
    quiet_route,
    release_held_session,
    save_deferred_session,
)
from .asgi_scope import (
    _GOOD_RAW_HOSTS,
    _SCOPE_CLASSES,
    COOKIE,
    HEADER_KINDS,
    HOST,
    environ_from_scope,
    header_kind,
    host_known,
    scope_request_class,
)
from .asgi_send import send_response
from .lifespan import BACKGROUND_KEY, start_background
from .steps import Steps, drive, in_thread, outcome, worker_pool
from .steps import start as start_step

if t.TYPE_CHECKING:
    from ..app import Erlen

__all__ = ["ReceiveStream", "Steps", "asgi_app", "environ_from_scope", "worker_pool"]

Scope = t.MutableMapping[str, t.Any]
Receive = t.Callable[[], t.Awaitable[t.MutableMapping[str, t.Any]]]
Send = t.Callable[[t.MutableMapping[str, t.Any]], t.Awaitable[None]]

#: The scope extension through which the test client asks for the request's contexts, and
#: the environ key the pipeline hands them to (``erlen.testing``'s contract, see there).
PRESERVE_EXTENSION = "erlen.preserve_context"
PRESERVE_CONTEXT_KEY = "werkzeug.debug.preserve_context"

_new_object = object.__new__


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


# -- HTTP -----------------------------------------------------------------------------------------


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
    get = scope.get
    # PERF: one pass over the headers finds what the pipeline needs before any environ exists:
    # the Host (routing checks it), whether a cookie came (the session may need saving) and
    # whether a body may follow (then the environ is built now and the body read ahead).
    host_raw = None
    cookie = False
    plain = True
    kinds = HEADER_KINDS
    for name, value in get("headers", ()):
        try:
            kind = kinds[name]
        except KeyError:
            kind = header_kind(name)
        if kind:
            if kind == HOST:
                if host_raw is None:
                    host_raw = value
                else:
                    plain = False  # NOTE: two Host headers: the environ's check refuses them
            elif kind == COOKIE:
                cookie = True
            else:
                plain = False  # NOTE: a body may follow
    extensions = get("extensions")
    preserve = extensions.get(PRESERVE_EXTENSION) if extensions else None
    try:
        edge = app._asgi.edge
    except AttributeError:
        edge = _edge(app)
    request: t.Any = None
    environ: dict[str, t.Any] | None = None
    quiet: QuietRoute | None = None
    # NOTE: wsgi_app's own test (a subclass overriding a pipeline step gets every call) and
    # WSGI middleware in app.wsgi_app (honoured under ASGI too, with the environ it expects).
    inline = app._inline_pipeline and edge.inline_class and "wsgi_app" not in edge.app_dict
    if plain and preserve is None and get("http_version", "1.1") in _HTTP1:
        path = scope["path"]
        root = get("root_path", "")
        if not (root or cookie):
            # PERF: a path a quiet route was found at (see _pipeline): no checks of the
            # path, no matching. The generation covers the app (it had the inline pipeline
            # then); the request brings its method, Host and the trusted-hosts setting.
            quiet = edge.paths.get(path)
            if quiet is not None and not (
                quiet.version == generation[0]
                and quiet.method == get("method")
                and host_raw in _GOOD_RAW_HOSTS
                and app.config["TRUSTED_HOSTS"] is None
            ):
                quiet = None
        if quiet is not None:
            request = _new_object(quiet.request_class)
            request._scope = scope
            request._environ_made = None
            request.method = quiet.method
            request.path = path
            request.url_rule = quiet.rule
            request.view_args = {}
        elif inline:
            if root and path.startswith(root):
                path = path[len(root) :]
            try:
                cls = _SCOPE_CLASSES[app.request_class]
            except KeyError:
                cls = scope_request_class(app.request_class)
            if (
                cls is not None
                and path
                and path[0] == "/"
                and path.isascii()
                and (len(path) == 1 or path[1] != "/")
            ):
                # -- Request.__init__ for this scope, without its environ (see asgi_scope)
                request = _new_object(cls)
                request._scope = scope
                request._environ_made = None
                request.method = get("method", "GET").upper()
                request.path = path
                # NOTE: ``shallow`` and the routing attributes keep the class's defaults
                # (False, None) until matching sets them.
                host_ok = host_raw is not None and (
                    host_raw in _GOOD_RAW_HOSTS or host_known(host_raw)
                )
    stream: ReceiveStream | None = None
    if request is None:
        environ = environ_from_scope(scope)
        if preserve is not None:
            environ[PRESERVE_CONTEXT_KEY] = preserve
        if _has_body(environ):
            stream = await read_body(app, environ, receive)
        else:
            environ["wsgi.input"] = io.BytesIO()
        if not inline:
            await _stepwise_http(app, environ, stream, send, receive)
            return
        request = app.request_class(environ, False)
        request.url_rule = request.view_args = request.routing_exception = None
        host_ok = environ.get("HTTP_HOST") in _GOOD_HOSTS
        cookie = "HTTP_COOKIE" in environ
    # -- RequestContext.__init__, inline as in wsgi_app
    ctx = _new_object(RequestContext)
    ctx.app = app
    ctx.request = request
    ctx._session = ctx._hooks = None
    ctx._after_request_functions = ()
    if quiet is None:
        # -- match_request: its usual case inline, as in wsgi_app; anything else the method's
        url_map = app.url_map
        if url_map.custom_converters:
            pass  # NOTE: matched by the pipeline, with the contexts pushed (see _pipeline)
        elif (
            host_ok
            and app.config["TRUSTED_HOSTS"] is None
            and not app.subdomain_matching
            and not url_map.host_matching
        ):
            try:
                request.url_rule, request.view_args = url_map.match(request.path, request.method)
            except HTTPException:
                app.match_request(request)
        else:
            app.match_request(request)
        if environ is None and not cookie:
            quiet = edge.quiet.get(request.url_rule)
            if quiet is not None and not (
                quiet.version == generation[0] and request.method not in _NOT_QUIET
            ):
                quiet = None
    if quiet is not None:
        # -- a quiet route (see QuietRoute): RequestContext.push inline (as wsgi_app has it), the
        # view, its text, the reset
        outer = _get_context(_NO_CONTEXT)[0]
        if outer is None or outer.app is not app:
            app_ctx = _new_object(AppContext)
            app_ctx.app = app
            app_ctx._joint = True  # NOTE: no appcontext_pushed receiver: the route is quiet
            pair = (app_ctx, ctx)
        else:
            app_ctx = None
            pair = (outer, ctx)
        token = _set_context(pair)
        ctx._cv_tokens = tokens = [(token, app_ctx)]
        ctx._hooks = quiet.plan
        view: t.Any = quiet.view
        raised: BaseException | None = None
        try:
            view_args = request.view_args
            if quiet.native:
                rv = await (view(**view_args) if view_args else view())
            else:
                rv = await _direct_hop(app, quiet.rule, _call_view, (view, view_args))
        except BaseException as e:
            rv = None
            raised = e
        if (
            type(rv) is str
            and quiet.version == generation[0]
            and not ctx._after_request_functions
            and ctx._session is None
            and _get_context(None) is pair
            and request._own_close
        ):
            # NOTE: the view left nothing to do (see finish_pipeline's text path and pop): the
            # version covers hooks, receivers and teardown functions added meanwhile; a context
            # the view pushed and left, or a pop of this one, leaves another pair current.
            _reset_context(token)
            tokens.clear()
            if app_ctx is not None:
                app_ctx._joint = False
            body = rv.encode()
            size = len(body)
            await send(
                {
                    "type": "http.response.start",
                    "status": quiet.code,
                    "headers": [
                        quiet.raw_ct,
                        _RAW_LENGTHS[size] if size < 512 else _raw_length(size),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            if request._environ_made is not None:
                _start_tasks(app, request._environ_made)
            return
        status, headers, app_iter = await finish_pipeline(
            app, ctx, pair, app_ctx, rv, raised, False, quiet.session_kind, None, None, True
        )
        context = None
    else:
        ctx._cv_tokens = []
        status, headers, app_iter, context = await _pipeline(
            app, ctx, edge, environ, cookie, preserve
        )
    if type(status) is int:
        # PERF: the usual response (see finish_pipeline): two messages, nothing to convert.
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": app_iter[0]})
    else:
        if context is None:
            context = contextvars.copy_context()
        await send_response(app, context, status, headers, app_iter, send, receive, stream)
    if environ is None:
        environ = request._environ_made
        if environ is None:
            return
    _start_tasks(app, environ)


#: Methods a quiet route leaves to the general path: HEAD sends no body, OPTIONS may be the
#: automatic answer.
_NOT_QUIET = frozenset(("HEAD", "OPTIONS"))


def _start_tasks(app: Erlen, environ: dict[str, t.Any]) -> None:
    """Start the background tasks the request added (``app.add_background_task``)."""
    tasks = environ.get(BACKGROUND_KEY)
    if tasks:
        for task in tasks:
            start_background(app, *task)


async def _pipeline(
    app: Erlen,
    ctx: RequestContext,
    edge: _Edge,
    environ: dict[str, t.Any] | None,
    cookie: bool,
    preserve: t.Any,
) -> tuple[t.Any, t.Any, t.Any, contextvars.Context | None]:
    """The pipeline for a matched request that is not a quiet route's: where each step runs
    (see the module docstring). Returns the response as the pipeline hands it over, and the
    request's own context when it has one."""
    request = ctx.request
    rule = request.url_rule
    if rule is None and request.routing_exception is None:
        # NOTE: not matched yet (a custom converter's to_python may use current_app, g or
        # request, as Flask allows): the shared pipeline, whole, pushes the contexts and then
        # matches, in the pool; an async def view is sent back to the loop from there.
        if environ is None:
            environ = request.environ
        own = contextvars.copy_context()
        status, headers, app_iter = await _whole_in_pool(app, own, environ, None)
        return status, headers, app_iter, own
    plan = app._hook_plans.get(rule.endpoint if rule is not None else None)
    if plan is None or plan.version != generation[0]:
        plan = app._hook_plan(request)
    view: t.Any = None
    native = False
    found = True
    if rule is not None:
        view = app.view_functions.get(rule.endpoint)
        if view is None:
            found = False
        else:
            wrapped = app._sync_cache.get(view) or app.ensure_sync(view)
            native = getattr(wrapped, "_erlen_async", False)
            if not native:
                view = wrapped
    sessions = _SESSION_KINDS.get(type(app.session_interface)) or _session_kind(app)
    context: contextvars.Context | None = None
    around = (
        plan.before
        or plan.url_value_preprocessors
        or plan.after
        or request_started.receivers
        or request_finished.receivers
        or sessions[0]
    )
    if not found or (around and not native):
        # A sync view with hooks around it: the shared pipeline, whole, in one worker thread.
        if environ is None:
            environ = request.environ
        context = contextvars.copy_context()
        status, headers, app_iter = await _whole_in_pool(app, context, environ, ctx)
    elif not (
        around
        or preserve is not None
        or plan.teardown
        or app.teardown_appcontext_funcs
        or request_tearing_down.receivers
        or appcontext_tearing_down.receivers
        or appcontext_popped.receivers
    ):
        # Nothing around the view: the pipeline awaited here, in this task's context (see
        # inline_pipeline's "direct"), the view on the loop or (sync) in the pool.
        if rule is not None and environ is None and request.method not in _NOT_QUIET:
            # NOTE: the next requests to it may take the quiet route (see QuietRoute).
            quiet = quiet_route(app, plan, view, native, request)
            if quiet is not None and len(edge.quiet) < _QUIET_MAX:
                edge.quiet[rule] = quiet
                scope = request._scope  # type: ignore[attr-defined]
                known = edge.paths.get(request.path)
                if (
                    (known is None or known.version != generation[0])
                    and not request.view_args
                    and request.path == scope["path"]
                    and not scope.get("root_path")
                    and not app.subdomain_matching
                    and not app.url_map.host_matching
                    and len(edge.paths) < _QUIET_MAX
                ):
                    # NOTE: a static rule, matched by the edge's own call (see handle_http); a
                    # path asked with two methods keeps the first method's.
                    edge.paths[request.path] = quiet
        status, headers, app_iter = await inline_pipeline(
            app, ctx, plan, view, native, cookie, sessions, preserve, environ, True
        )
    else:
        # An async view with hooks: the pipeline inline in the request's own context.
        context = contextvars.copy_context()
        coro = inline_pipeline(
            app, ctx, plan, view, native, cookie, sessions, preserve, environ, False
        )
        try:
            # PERF: the first step here; a view that never waits needs no more (see drive).
            waited = context.run(coro.send, None)
        except StopIteration as stop:
            status, headers, app_iter = stop.value
        else:
            status, headers, app_iter = await drive(app, context, coro, waited)
    return status, headers, app_iter, context


#: SECURITY: rules are the app's own, but a bound keeps the map from growing without end in an
#: app that adds rules at run time.
_QUIET_MAX = 4096


async def _whole_in_pool(
    app: Erlen,
    context: contextvars.Context,
    environ: dict[str, t.Any],
    ctx: RequestContext | None,
) -> tuple[str, list[tuple[str, str]], t.Any]:
    """The shared pipeline, :meth:`Erlen.wsgi_app` itself, in one hop to the worker pool."""
    loop = asyncio.get_running_loop()
    context.run(asgi_loop.set, loop)  # NOTE: for async hooks, see erlen._async
    start = _StartResponse()
    if ctx is None or "wsgi_app" in app.__dict__ or not _own_pipeline(type(app)):
        # NOTE: middleware (or an override) may change the environ: it builds its own.
        args: tuple[t.Any, ...] = (environ, start)
    else:
        # PERF: the request built and matched on the loop is the one the pipeline uses.
        args = (environ, start, ctx)
    key = ctx.request.url_rule if ctx is not None else None
    job = start_step(worker_pool(app), loop, context, app.wsgi_app, args, key)
    app_iter = job.result() if job.finished else await outcome(job)
    return start.status, start.headers, app_iter


async def _stepwise_http(
    app: Erlen,
    environ: dict[str, t.Any],
    stream: ReceiveStream | None,
    send: Send,
    receive: Receive,
) -> None:
    """An app that overrides a pipeline step (or wraps ``wsgi_app``): every step a call."""
    context = contextvars.copy_context()
    ctx: RequestContext | None = None
    view = None
    if not app.url_map.custom_converters:  # NOTE: else matched by the pipeline (see _pipeline)
        ctx = app.request_context(environ)
        # NOTE: routing only (no context is needed, nothing is pushed): it picks where the view
        # runs.
        app.match_request(ctx.request)
        view = _native_view(app, ctx)
    if view is None or ctx is None:
        status, headers, app_iter = await _whole_in_pool(app, context, environ, ctx)
    else:
        coro = _native_pipeline(app, ctx, view, environ)
        try:
            waited = context.run(coro.send, None)
        except StopIteration as stop:
            app_iter, status, headers = stop.value
        else:
            app_iter, status, headers = await drive(app, context, coro, waited)
    await send_response(app, context, status, headers, app_iter, send, receive, stream)
    _start_tasks(app, environ)


_HTTP1 = ("1.1", "1.0")


class _Edge:
    """What the HTTP edge keeps about one app (``app._asgi.edge``, made on first use)."""

    __slots__ = ("app_dict", "inline_class", "quiet", "paths")

    def __init__(self, app: Erlen) -> None:
        #: PERF: the app's instance dict, held so that a test for ``wsgi_app`` assigned on the
        #: app (WSGI middleware) costs no ``app.__dict__`` lookup per request.
        self.app_dict = app.__dict__
        #: The app's class keeps erlen's wsgi_app, full_dispatch_request, dispatch_request and
        #: ensure_sync (app._inline_pipeline covers the other steps).
        self.inline_class = _own_pipeline(type(app))
        #: rule -> its endpoint's QuietRoute, for the rules found quiet (see handle_http).
        self.quiet: dict[t.Any, QuietRoute] = {}
        #: path -> the QuietRoute of the static rule it matched, for a request of the route's
        #: method with no root path (see handle_http).
        self.paths: dict[str, QuietRoute] = {}


def _edge(app: Erlen) -> _Edge:
    edge = app._asgi.edge = _Edge(app)
    return edge


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
            if not app._got_first_request:  # NOTE: an assignment bumps the generation
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
        if ctx._session is not None:
            await save_deferred_session(app, ctx, response)
        if type(response).__call__ is _RESPONSE_CALL:
            # PERF: what Response.__call__ hands start_response, without the call.
            return response.get_wsgi_response(environ)  # type: ignore[no-any-return]
        start = _StartResponse()
        app_iter = response(environ, start)
        return app_iter, start.status, start.headers
    finally:
        if ctx._session is not None:
            await release_held_session(ctx)
        if PRESERVE_CONTEXT_KEY in environ:
            _preserve(environ)
        if error is not None and app.should_ignore_error(error):
            error = None
        plan = ctx._hooks
        if (plan is None or plan.teardown) or app.teardown_appcontext_funcs:
            await in_thread(ctx.pop, error)
        else:
            ctx.pop(error)


def _preserve(environ: dict[str, t.Any]) -> None:
    from ..globals import _cv_app, _cv_request

    environ[PRESERVE_CONTEXT_KEY](_cv_app.get())
    environ[PRESERVE_CONTEXT_KEY](_cv_request.get())
