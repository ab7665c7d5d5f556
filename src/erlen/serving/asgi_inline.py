"""The ASGI pipeline inline: :meth:`Erlen.wsgi_app`'s inline steps in one coroutine.

:func:`inline_pipeline` is what the WSGI edge's inline ``wsgi_app`` does (design §4), with the
view awaited: an ``async def`` view on the loop, a sync one in the worker pool (one hop, the only
step that leaves the loop). It runs while the app keeps erlen's pipeline methods
(``app._inline_pipeline``, the test ``wsgi_app`` makes) and the edge has chosen it
(:func:`erlen.serving.asgi.handle_http`): for a sync view only when no hook or signal receiver
runs around it, since each would be a hop of its own; the whole pipeline then runs in one hop,
as before. Anything unusual (an error, a hook, a session, an after-request function, a context
pushed by the view, a teardown) goes through the method that handles it, in the pool when that
method may call user code.

Two ways to run it, chosen by the edge:

- In the request's own :class:`contextvars.Context`, stepped by
  :func:`erlen.serving.steps.drive`: every step, in the pool or on the loop, sees the context
  the others left (a hook's context variable, a context pushed in one step and popped in a
  later one), and the contexts are popped there, teardown functions in the pool.
- ``direct``: awaited by the edge in the server's task, as WSGI runs a request in its thread's
  context; a step in the pool runs in a copy of it. PERF: no context to copy, no coroutine
  stepped from outside (its end is a ``StopIteration`` to catch, ~2.5k instructions), ~5k
  instructions a request. Only for a request with nothing that needs the one context: no
  hook, no teardown function or signal receiver, no server-side session (see the edge).

The response comes back ready for ``send``: the usual one (one encoded chunk with exactly
``Content-Type`` and ``Content-Length``, what ``Response.__call__`` sends as it is) as
``(status code, header pairs as bytes, [body])``, built straight from the response's header
pairs; any other as what ``start_response`` would get, for
:func:`erlen.serving.asgi.send_response`.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import typing as t

from .._async import asgi_loop
from ..app import _HookPlan
from ..ctx import AppContext
from ..globals import (
    _get_app_ctx,
    _get_context,
    _get_request_ctx,
    _reset_context,
)
from ..http.generation import generation
from ..http.response import LENGTH_PAIRS, Response
from ..http.response_memo import text_plan, text_plans
from ..sessions import SecureCookieSessionInterface
from ..sessions.server import ServerSessionInterface, ServerSideSession
from ..signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    request_finished,
    request_started,
    request_tearing_down,
)
from .steps import in_thread_as, outcome, start, worker_pool

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..ctx import RequestContext

PRESERVE_CONTEXT_KEY = "werkzeug.debug.preserve_context"
_new_object = object.__new__
_RESPONSE_CALL = Response.__call__
_text_plans_get = text_plans.get  # NOTE: the memo is cleared, never replaced

#: A header pair of a response -> the pair as bytes (lower-case name) for ``send``.
#: SECURITY: values can come from request data; past this size the cache stops growing.
_RAW_PAIRS: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_CACHE_MAX = 512
#: PERF: ``Content-Length`` of the small bodies, as the response's shared pairs hold them.
_RAW_LENGTHS = tuple((b"content-length", value.encode()) for _, value in LENGTH_PAIRS)


def raw_pair(pair: tuple[str, str]) -> tuple[bytes, bytes]:
    """``(name, value)`` as ASGI sends it: bytes, the name in lower case."""
    name, value = pair
    raw = (
        name.lower().encode("latin-1"),
        value.encode() if value.isascii() else value.encode("latin-1"),
    )
    if len(_RAW_PAIRS) < _CACHE_MAX:
        _RAW_PAIRS[pair] = raw
    return raw


#: A response class's text plan (:func:`erlen.http.response_memo.text_plan`) -> the same as ASGI
#: sends it: ``(status code, Content-Type pair as bytes)``. Bounded as the plans are.
_RAW_TEXT: dict[tuple[str, tuple[str, str]], tuple[int, tuple[bytes, bytes]]] = {}


def raw_text(plan: tuple[str, tuple[str, str]]) -> tuple[int, tuple[bytes, bytes]]:
    """What a text plan sends, in ASGI's form: the status code and the raw Content-Type pair."""
    found = _RAW_TEXT.get(plan)
    if found is None:
        if len(_RAW_TEXT) >= 64:
            _RAW_TEXT.clear()
        found = _RAW_TEXT[plan] = (int(plan[0][:3]), raw_pair(plan[1]))
    return found


def _raw_length(size: int) -> tuple[bytes, bytes]:
    return (b"content-length", str(size).encode())


def _call_view(view: t.Callable[..., t.Any], view_args: dict[str, t.Any] | None) -> t.Any:
    # NOTE: dispatch_request's call, in the worker thread.
    return view(**view_args) if view_args else view()


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


class QuietRoute:
    """An endpoint whose view (``async def`` or sync) has nothing around it: no hook, no signal
    receiver, no teardown function, no server-side session, and a response class whose text
    answer is known (:func:`erlen.http.response_memo.text_plan`).

    PERF: the edge makes one when a request to the endpoint found it so, and runs the next
    requests to it (body-less, no cookie, not HEAD or OPTIONS) with the pipeline reduced to what
    is left: push, the view (awaited, or called in the pool), the text sent, reset
    (:func:`erlen.serving.asgi.handle_http`); a
    static rule's path even skips the matching. It holds while ``version`` is
    :data:`erlen.http.generation.generation`: a hook, a receiver, an app attribute (the view
    functions, the session interface, the request and response classes, WSGI middleware...),
    a response class or a URL rule changed since makes it again. After the view the edge
    checks that it left nothing to do (an after-request function, a session, a context still
    pushed, the generation moved) and otherwise finishes the pipeline as usual.
    """

    __slots__ = (
        "version", "plan", "view", "native", "session_kind", "code", "raw_ct", "rule", "method",
        "request_class",
    )  # fmt: skip

    def __init__(
        self,
        app: Erlen,
        plan: _HookPlan,
        view: t.Any,
        native: bool,
        text: t.Any,
        request: t.Any,
    ) -> None:
        self.version = plan.version
        self.plan = plan
        #: An ``async def`` view awaited on the loop (``native``), or a sync one called in the
        #: worker pool, in a copy of the server task's context.
        self.view = view
        self.native = native
        self.session_kind = _session_kind(app)
        self.code, self.raw_ct = raw_text(text)
        #: The request it was found for: its rule, method and class (made from the scope).
        self.rule = request.url_rule
        self.method = request.method
        self.request_class = type(request)


def quiet_route(
    app: Erlen, plan: _HookPlan, view: t.Any, native: bool, request: t.Any
) -> QuietRoute | None:
    """The :class:`QuietRoute` for a view with ``plan`` around it, found for ``request``, or
    None when something around it must run (the caller has checked the rest: see the edge).
    ``view``: the ``async def`` function when ``native``, else what ensure_sync made of it."""
    text = _text_plans_get(app.response_class)
    if text is None:
        text = text_plan(app.response_class)
    if (
        not text
        or plan.version != generation[0]
        or appcontext_pushed.receivers
        or _session_kind(app)[0]
    ):
        return None
    return QuietRoute(app, plan, view, native, text, request)


def _handle_exception(app: Erlen, e: Exception) -> t.Any:
    # NOTE: in the worker thread the error is not "being handled"; raise it there so that
    # handle_exception logs it with its traceback (sys.exc_info), as under WSGI.
    try:
        raise e
    except Exception:
        return app.handle_exception(e)


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


async def _direct_hop(
    app: Erlen, key: t.Any, func: t.Callable[..., t.Any], args: tuple[t.Any, ...]
) -> t.Any:
    """``func(*args)`` in the pool, in a copy of the current context (the direct mode)."""
    loop = asyncio.get_running_loop()
    if asgi_loop.get(None) is not loop:
        asgi_loop.set(loop)  # NOTE: for async hooks called from the thread, see erlen._async
    # PERF: steps.hop's two steps here, one coroutine fewer.
    job = start(worker_pool(app), loop, contextvars.copy_context(), func, args, key)
    if job.finished:
        return job.result()
    return await outcome(job)


def _in_pool(
    direct: bool, app: Erlen, func: t.Callable[..., t.Any], *args: t.Any, key: t.Any = None
) -> t.Awaitable[t.Any]:
    """``func(*args)`` in the pool, awaited: in the request's context, or directly."""
    if key is None:
        key = getattr(func, "__func__", func)  # NOTE: a bound method's function
    if direct:
        return _direct_hop(app, key, func, args)
    return in_thread_as(key, func, *args)


async def inline_pipeline(
    app: Erlen,
    ctx: RequestContext,
    plan: _HookPlan,
    view: t.Any,
    native: bool,
    cookie: bool,
    sessions: tuple[bool, bool],
    preserve: t.Any,
    environ: dict[str, t.Any] | None,
    direct: bool,
) -> tuple[t.Any, t.Any, t.Any]:
    """The request's pipeline, run in its context (see :func:`erlen.serving.steps.drive`).

    ``view`` is the matched view (None when the request did not match): with ``native`` an
    ``async def`` function, awaited here; else what ``ensure_sync`` made of it, called in the
    pool. ``cookie``: the request carries a ``Cookie`` header (the session may need
    saving). ``sessions``: ``(server-side, saves without blocking)`` for the app's session
    interface. ``preserve``: the test client's context-preserving callback, or None.
    ``environ``: the request's environ when the edge built it (a body may have come), None
    when the request builds it on demand (a body-less request, see
    :mod:`erlen.serving.asgi_scope`). ``direct``: see the module docstring.

    This part pushes the contexts and runs everything up to the view's answer;
    :func:`finish_pipeline` makes and returns the response and pops the contexts.
    """
    request = ctx.request
    try:
        # NOTE: matched already, so pushing is setting the pair of contexts (see erlen.ctx).
        ctx.push()
    except Exception as e:
        # NOTE: an appcontext_pushed receiver failed: an error of the pipeline's, not a view's.
        return await finish_pipeline(
            app, ctx, None, None, None, e, cookie, sessions, preserve, environ, direct, False
        )
    pair = _get_context(None)
    app_ctx = ctx._cv_tokens[-1][1]
    rv = raised = None
    try:
        # -- full_dispatch_request
        if not app._got_first_request:  # NOTE: an assignment bumps the generation
            app._got_first_request = True
        ctx._hooks = plan
        if sessions[0]:
            await open_session_async(app, ctx)
        if plan.before or plan.url_value_preprocessors or request_started.receivers:
            rv = await _in_pool(direct, app, _start_request, app)
        if rv is None:
            # -- dispatch_request
            if request.routing_exception is not None:
                app.raise_routing_exception(request)
            rule = request.url_rule
            if rule.provide_automatic_options and request.method == "OPTIONS":  # type: ignore[union-attr]
                rv = app.make_default_options_response()
            elif native:
                view_args = request.view_args
                # PERF: the coroutine awaited here, on the loop: no task, no thread.
                rv = await (view(**view_args) if view_args else view())
            else:
                rv = await _in_pool(direct, app, _call_view, view, request.view_args, key=rule)
    except BaseException as e:
        raised = e
    return await finish_pipeline(
        app, ctx, pair, app_ctx, rv, raised, cookie, sessions, preserve, environ, direct
    )


async def finish_pipeline(
    app: Erlen,
    ctx: RequestContext,
    pair: tuple[t.Any, t.Any] | None,
    app_ctx: AppContext | None,
    rv: t.Any,
    raised: BaseException | None,
    cookie: bool,
    sessions: tuple[bool, bool],
    preserve: t.Any,
    environ: dict[str, t.Any] | None,
    direct: bool,
    user_error: bool = True,
) -> tuple[t.Any, t.Any, t.Any]:
    """The rest of :func:`inline_pipeline` once the view (or what stood for it) has answered
    ``rv`` or raised ``raised``: the error handlers, finalize_request, the response in ASGI's
    form; the contexts (``pair``, as the push set it) popped at the end.

    ``user_error``: ``raised`` came from a hook or the view (then the app's error handlers see
    it first, as ``full_dispatch_request`` does), not from the pipeline itself.
    """
    request = ctx.request
    tokens = ctx._cv_tokens
    plan = ctx._hooks
    error: BaseException | None = None
    try:
        try:
            if raised is not None:
                if not user_error or not isinstance(raised, Exception):
                    raise raised
                rv = await _in_pool(direct, app, app.handle_user_exception, raised)
            # -- finalize_request (make_response's first answers, inline)
            response_class = app.response_class
            if type(rv) is str:
                if not (
                    ctx._after_request_functions
                    or ctx._session is not None
                    or cookie
                    or plan is None
                    or plan.after
                    or plan.version != generation[0]
                    or request_finished.receivers
                    or request.method == "HEAD"
                ):
                    text = _text_plans_get(response_class)
                    if text is None:
                        text = text_plan(response_class)
                    if text:
                        # PERF: nothing will see the response object (no hook, no session,
                        # no receiver): the text goes straight to what the class would send.
                        code, raw_ct = _RAW_TEXT.get(text) or raw_text(text)
                        data = rv.encode()
                        size = len(data)
                        raw = _RAW_LENGTHS[size] if size < 512 else _raw_length(size)
                        return code, [raw_ct, raw], [data]
                response = response_class(rv)
            elif type(rv) is response_class:
                response = rv
            else:
                response = app.make_response(rv)
            if (
                ctx._after_request_functions
                or ctx._session is not None
                or cookie
                or plan is None
                or plan.after
                or plan.version != generation[0]
            ):
                if (
                    plan is None
                    or plan.after
                    or ctx._after_request_functions
                    or not sessions[1]
                    or plan.version != generation[0]
                ):
                    # NOTE: user code (hooks, a session interface that may do I/O): the pool.
                    response = await _in_pool(direct, app, app.process_response, response)
                else:
                    response = app.process_response(response)
            if request_finished.receivers:
                await _in_pool(direct, app, _send_finished, app, response)
        except Exception as e:
            error = e
            response = await _in_pool(direct, app, _handle_exception, app, e)
        except BaseException:
            error = sys.exc_info()[1]
            raise
        if ctx._session is not None:
            await save_deferred_session(app, ctx, response)
        # -- Response.__call__'s fast path, straight to ASGI's form
        if type(response).__call__ is _RESPONSE_CALL:
            pairs = response._usual_pairs(request.method)
            if pairs is not None:
                # PERF: no status line to parse, no header list to copy and encode in a loop.
                body: t.Any = response.response  # NOTE: a list of one bytes: checked
                ct, length = pairs
                size = len(body[0])
                return (
                    response._status_code,
                    [
                        _RAW_PAIRS.get(ct) or raw_pair(ct),
                        _RAW_LENGTHS[size]
                        if size < 512 and length is LENGTH_PAIRS[size]
                        else (b"content-length", length[1].encode("latin-1")),
                    ],
                    body,
                )
            app_iter, status, headers = response.get_wsgi_response(request.environ)
            return status, headers, app_iter
        start = _StartResponse()
        app_iter = response(request.environ, start)
        return start.status, start.headers, app_iter
    finally:
        if ctx._session is not None:
            await release_held_session(ctx)
        if preserve is not None:
            preserve(_get_app_ctx())
            preserve(_get_request_ctx())
        if error is not None and app.should_ignore_error(error):
            error = None
        # -- RequestContext.pop: with no teardown to run, no files to close and the contexts
        # where push left them, popping is resetting the context variable (as in wsgi_app).
        plan = ctx._hooks
        if (
            len(tokens) == 1
            and plan is not None
            and not plan.teardown
            and plan.version == generation[0]
            and not request_tearing_down.receivers
            # NOTE: files come from a multipart body only (Request.close closes them); a
            # body-less request has none. PERF: __dict__ is not read (that makes the dict).
            and request._own_close
            and (
                environ is None
                or "CONTENT_TYPE" not in environ
                or not request.__dict__.get("files")
            )
            and _get_context(None) is pair
            and (
                app_ctx is None
                or (
                    # NOTE: an app context pushed on its own too and still pushed would have
                    # failed the pair check above.
                    app_ctx._joint
                    and not app.teardown_appcontext_funcs
                    and not appcontext_tearing_down.receivers
                    and not appcontext_popped.receivers
                )
            )
        ):
            _reset_context(tokens.pop()[0])
            if app_ctx is not None:
                app_ctx._joint = False
        elif direct:
            # NOTE: no teardown function or receiver (the edge's condition): erlen's code only,
            # and the tokens belong to this context.
            ctx.pop(error)
        else:
            # NOTE: teardown functions and signal receivers are user code: the pool.
            await _in_pool(False, app, ctx.pop, error)


async def save_deferred_session(app: Erlen, ctx: RequestContext, response: t.Any) -> None:
    """Save a server-side session whose save waits for the response (the store's async form,
    so the loop is never blocked); any other session was saved with the response."""
    session = ctx._session
    if isinstance(session, ServerSideSession) and session._deferred:
        await session._interface.save_session_async(app, session, response)


async def release_held_session(ctx: RequestContext) -> None:
    """Free the store lock a server-side session still holds when its request ends: a request
    cancelled between the load and the save must not keep the session locked."""
    session = ctx._session
    if isinstance(session, ServerSideSession) and session._held is not None:
        await session._interface._release_async(session)


def _send_finished(app: Erlen, response: t.Any) -> None:
    request_finished.send(app, _async_wrapper=app.ensure_sync, response=response)
