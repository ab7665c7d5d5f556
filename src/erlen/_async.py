"""Running ``async def`` views and hooks from synchronous (WSGI) code.

Flask starts a new event loop in a new thread for every call. erlen keeps one event loop per
process in a daemon thread and submits each coroutine to it, in a copy of the caller's context so
``request``, ``session`` and ``g`` keep working inside the coroutine.

Under ASGI the same wrapper, called from a worker thread, sends the coroutine to the server's
event loop instead (:data:`asgi_loop`, set by the ASGI edge in each request's context), so an
``async def`` hook shares the loop the rest of the app's async code runs on.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import typing as t

from .http.bodies import AsyncBody

if t.TYPE_CHECKING:
    import asyncio

# PERF: asyncio is imported on first use (inside the functions below): it is a third of
# ``import erlen``'s time, and a WSGI app without async views never needs it.

_loop: asyncio.AbstractEventLoop | None = None
#: The ASGI server's event loop, in the context of a request served over ASGI.
asgi_loop: contextvars.ContextVar[asyncio.AbstractEventLoop] = contextvars.ContextVar(
    "erlen.asgi_loop"
)
_lock = threading.Lock()


def _get_loop() -> asyncio.AbstractEventLoop:
    global _loop
    if _loop is not None and not _loop.is_closed():
        return _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            import asyncio

            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="erlen-async", daemon=True)
            thread.start()
            _loop = loop
    return _loop


def run_on_loop(func: t.Callable[..., t.Awaitable[t.Any]]) -> t.Callable[..., t.Any]:
    """A sync wrapper that runs ``func(*args)`` on the shared loop and waits for its result."""

    @functools.wraps(func)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                "An async view was called from a running event loop through the sync API; serve"
                " the app over ASGI to run async views natively."
            )
        server_loop = asgi_loop.get(None)
        if server_loop is not None:
            # NOTE: the task is created in a copy of this thread's context (the request's).
            return asyncio.run_coroutine_threadsafe(func(*args, **kwargs), server_loop).result()  # type: ignore[arg-type]
        loop = _get_loop()
        ctx = contextvars.copy_context()
        done: asyncio.Future[t.Any] | None = None
        result: dict[str, t.Any] = {}
        event = threading.Event()

        def start() -> None:
            nonlocal done
            # NOTE: the task copies the context current when it is created; create it inside
            # the caller's context so the request proxies resolve.
            done = ctx.run(loop.create_task, func(*args, **kwargs))  # type: ignore[arg-type]
            done.add_done_callback(finish)

        def finish(fut: asyncio.Future[t.Any]) -> None:
            result["fut"] = fut
            event.set()

        loop.call_soon_threadsafe(start)
        event.wait()
        return result["fut"].result()

    wrapper._erlen_async = True  # type: ignore[attr-defined]
    return wrapper


# NOTE: a WSGI server iterating an async body runs each step on the long-lived loop.
AsyncBody.run_sync = staticmethod(lambda func: run_on_loop(func)())
