"""Where the steps of one ASGI request run: inline in its context, on the loop, or in the pool.

Every step of one request (or WebSocket) runs in ONE :class:`contextvars.Context` made for it,
as every step of a WSGI request runs in its thread's context. A context can be entered by one
thread at a time; the steps of one request run one after the other, which is what makes
sharing it safe. :func:`start` hands a step to the app's worker pool (the loop may wait a moment
for a step known as quick), :func:`outcome` awaits it, :func:`hop` does both; :func:`drive`
awaits a coroutine with each of its steps in the context, and runs in the pool what the
coroutine asks for with ``await in_thread(func, *args)``.
"""

from __future__ import annotations

import asyncio
import contextvars
import types
import typing as t

from .._async import asgi_loop
from .workers import Job, WorkerPool

if t.TYPE_CHECKING:
    from ..app import Erlen

#: The default size of an app's worker-thread pool (``ASGI_MAX_THREADS`` in the config).
DEFAULT_MAX_THREADS = 40
#: The default of ``ASGI_INLINE_WAIT``: how many seconds the loop may block for the outcome of
#: a sync step before it goes on with other work and awaits it (see :func:`start`). Off by
#: default: under concurrent load (wrk, 32 connections, granian) waiting cost about a fifth of
#: the sync views' req/s, the loop and the worker handing the GIL back and forth for each
#: request where, left alone, the loop batches many completions into one turn.
DEFAULT_INLINE_WAIT = 0.0
#: After a step outlasted that wait, the loop awaits it normally for this many seconds.
SLOW_FOR = 1.0
#: Past this many slow steps remembered, the record starts afresh (it is a cache).
_SLOW_MAX = 256
_NO_KEY: t.Any = object()
_FIRST: t.Any = object()
#: What :func:`in_thread` yields up to :func:`drive`: ``(_HOP, func, args)``.
_HOP = object()


def worker_pool(app: Erlen) -> WorkerPool:
    """The app's bounded pool for sync views, hooks and body chunks (made on first use)."""
    state = app._asgi
    pool = state.pool
    if pool is None:
        size = app.config.get("ASGI_MAX_THREADS") or DEFAULT_MAX_THREADS
        wait = app.config.get("ASGI_INLINE_WAIT", DEFAULT_INLINE_WAIT)
        pool = state.pool = WorkerPool(size, "erlen-asgi", float(wait or 0))
    return pool


def start(
    pool: WorkerPool,
    loop: asyncio.AbstractEventLoop,
    context: contextvars.Context,
    func: t.Callable[..., t.Any],
    args: tuple[t.Any, ...],
    key: t.Any = _NO_KEY,
) -> Job:
    """Hand ``func(*args)`` to a worker thread, to run inside ``context`` (the caller must be
    outside it); the job may be finished on return (see below), else await :func:`outcome`.

    A step with a ``key`` (the URL rule of a sync view, a hook's function) that has not been
    slow lately is waited for on the spot, the loop blocked with the GIL released for at most
    ``pool.inline_wait`` seconds (``ASGI_INLINE_WAIT``, off by default). PERF: a quick sync
    view then costs no turn of the event loop (waking an idle loop from a thread costs more
    than a hello request), which helps a lightly loaded server's latency; under concurrent
    load it costs throughput (see :data:`DEFAULT_INLINE_WAIT`). A step that
    outlasts the wait is awaited as usual, and its key is not waited for again for
    :data:`SLOW_FOR` seconds: a view that blocks (I/O, a lock, an async hook sent back to this
    loop) holds the loop for at most that wait once in a while, never for its whole run.
    """
    wait = key is not _NO_KEY and pool.inline_wait > 0
    if wait and pool.slow:
        until = pool.slow.get(key)
        if until is not None:
            if loop.time() < until:
                wait = False
            else:
                del pool.slow[key]
    job = pool.submit(loop, context, func, args, wait)
    if wait and not job.wait(pool.inline_wait):
        if len(pool.slow) >= _SLOW_MAX:
            pool.slow.clear()
        pool.slow[key] = loop.time() + SLOW_FOR
    return job


async def outcome(job: Job) -> t.Any:
    """What the job's call returned (or raised), awaited.

    NOTE: cancelled while the worker runs, this waits for the worker to return before the
    cancellation goes on: the context is entered by one thread at a time, and what runs after
    (a ``finally`` that pops the request context) needs it.
    """
    try:
        return await job
    except BaseException:
        while not job.finished:
            try:
                await asyncio.shield(job.future())
            except BaseException:  # NOTE: the first error is the one that goes on
                pass
        raise


async def hop(
    pool: WorkerPool,
    loop: asyncio.AbstractEventLoop,
    context: contextvars.Context,
    func: t.Callable[..., t.Any],
    args: tuple[t.Any, ...],
    key: t.Any = _NO_KEY,
) -> t.Any:
    """:func:`start` then :func:`outcome`: ``func(*args)`` in the pool, inside ``context``."""
    job = start(pool, loop, context, func, args, key)
    if job.finished:
        return job.result()
    return await outcome(job)


@types.coroutine
def in_thread(func: t.Callable[..., t.Any], *args: t.Any) -> t.Generator[t.Any, t.Any, t.Any]:
    """From a coroutine run by :func:`drive`: ``func(*args)`` in the pool, in the same context.

    PERF: a tuple yielded to the driver, which hands it to the pool once it is out of the
    context: no future and no task are made for the asking.
    """
    return (yield (_HOP, func, args))


@types.coroutine
def in_thread_as(
    key: t.Any, func: t.Callable[..., t.Any], *args: t.Any
) -> t.Generator[t.Any, t.Any, t.Any]:
    """:func:`in_thread` with the key :func:`start` knows the step by (a view's URL rule)."""
    return (yield (_HOP, func, args, key))


async def drive(
    app: Erlen,
    context: contextvars.Context,
    coro: t.Coroutine[t.Any, t.Any, t.Any],
    waited: t.Any = _FIRST,
) -> t.Any:
    """Await ``coro`` on the loop, each of its steps run in ``context``.

    PERF: no task of its own: the caller's task drives ``coro`` one step at a time through
    ``Context.run`` and passes whatever it waits on (a future, or a bare yield) up to the event
    loop unchanged, so an ``async def`` view costs no task and no extra loop turn. What ``coro``
    asks of :func:`in_thread` is run in the pool here, outside the context. A caller that made
    the first step itself (``context.run(coro.send, None)``, which is all a coroutine that
    never waits needs) passes what it yielded as ``waited``.
    """
    run = context.run
    send, throw = coro.send, coro.throw
    value: t.Any = None
    error: BaseException | None = None
    if waited is _FIRST:
        try:
            waited = run(send, None)
        except StopIteration as stop:
            return stop.value
    loop: asyncio.AbstractEventLoop | None = None
    while True:
        try:
            if type(waited) is tuple and waited and waited[0] is _HOP:
                if loop is None:
                    loop = asyncio.get_running_loop()
                    # NOTE: an async hook called from a worker thread finds the loop here.
                    run(asgi_loop.set, loop)
                func = waited[1]
                if len(waited) > 3:
                    key = waited[3]
                else:
                    key = getattr(func, "__func__", func)  # NOTE: a bound method's function
                job = start(worker_pool(app), loop, context, func, waited[2], key)
                value = job.result() if job.finished else await outcome(job)
            else:
                value = await _PassUp(waited)
            error = None
        except BaseException as e:  # NOTE: cancellation too: the coroutine sees it
            value, error = None, e
        try:
            if error is None:
                waited = run(send, value)
            else:
                waited = run(throw, error)
        except StopIteration as stop:
            return stop.value


class _PassUp:
    """Awaiting it yields ``waited`` to the event loop and returns what the loop sends back."""

    __slots__ = ("waited",)

    def __init__(self, waited: t.Any) -> None:
        self.waited = waited

    def __await__(self) -> t.Generator[t.Any, t.Any, t.Any]:
        return (yield self.waited)


class Steps:
    """Runs the steps of one request (or WebSocket) in its one context, inline or in the pool.

    NOTE: a context can be entered by one thread at a time; the steps of one request run one
    after the other, which is what makes sharing it safe.
    """

    __slots__ = ("app", "context", "loop", "pool")

    def __init__(self, app: Erlen, context: contextvars.Context | None = None) -> None:
        self.app = app
        self.loop = asyncio.get_running_loop()
        self.pool = worker_pool(app)
        self.context = contextvars.copy_context() if context is None else context
        # NOTE: an async hook called from a worker thread finds this loop through it.
        self.context.run(asgi_loop.set, self.loop)

    def inline(self, func: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """Run ``func`` now, on the loop (for steps that call no user code)."""
        return self.context.run(func, *args)

    def thread(self, func: t.Callable[..., t.Any], *args: t.Any) -> asyncio.Future[t.Any]:
        """Run ``func`` in the worker pool."""
        return self.pool.submit(self.loop, self.context, func, args).future()

    def task(self, coro: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Awaitable[t.Any]:
        """Await ``coro`` on the loop, each of its steps run in the request's context."""
        return drive(self.app, self.context, coro)
