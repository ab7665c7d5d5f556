"""Serving hooks and background tasks: the ASGI lifespan scope and ``add_background_task``.

- ``@app.before_serving`` functions run once per worker process when the server starts, before
  the first request; ``@app.after_serving`` ones when it stops. ``@app.while_serving`` takes a
  generator function (sync or async): the code before its ``yield`` runs at startup, the rest at
  shutdown. All run inside an application context; ``async def`` ones on the server's loop,
  sync ones in the worker pool. A failing startup is reported (``lifespan.startup.failed``), so
  the server refuses to start. Quart's names, Quart's order.
- ``app.add_background_task(func, *args, **kwargs)`` runs ``func`` after the response is sent:
  under ASGI as a task on the loop (sync functions in the pool), under WSGI when the server
  closes the response body. Shutdown waits for the tasks still running.
"""

from __future__ import annotations

import contextvars
import inspect
import typing as t

from ..globals import _cv_request

if t.TYPE_CHECKING:
    from ..app import Erlen
    from .asgi import Receive, Scope, Send

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
#: The environ key under which an ASGI request keeps its background tasks until it is sent.
BACKGROUND_KEY = "erlen.background_tasks"


class ServingHooks:
    """The serving half of the app object (mixed into :class:`erlen.Erlen`)."""

    _asgi: t.Any  # erlen.scaffold._AsgiState

    @property
    def before_serving_funcs(self) -> list[t.Callable[..., t.Any]]:
        return self._asgi.before_serving  # type: ignore[no-any-return]

    @property
    def after_serving_funcs(self) -> list[t.Callable[..., t.Any]]:
        return self._asgi.after_serving  # type: ignore[no-any-return]

    @property
    def while_serving_gens(self) -> list[t.Callable[..., t.Any]]:
        return self._asgi.while_serving  # type: ignore[no-any-return]

    def before_serving(self, f: F) -> F:
        """Run ``f()`` once per worker when the server starts (ASGI lifespan)."""
        self.before_serving_funcs.append(f)
        return f

    def after_serving(self, f: F) -> F:
        """Run ``f()`` once per worker when the server stops (ASGI lifespan)."""
        self.after_serving_funcs.append(f)
        return f

    def while_serving(self, f: F) -> F:
        """Run a generator function around serving: up to its ``yield`` at startup, the rest
        at shutdown."""
        self.while_serving_gens.append(f)
        return f

    def add_background_task(
        self, func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any
    ) -> None:
        """Run ``func(*args, **kwargs)`` after the current response is sent (or now, in the
        background, outside a request), inside an application context."""
        app = t.cast("Erlen", self)
        ctx = _cv_request.get(None)
        task = (func, args, kwargs)
        if ctx is not None:
            environ = ctx.request.environ
            if "asgi.scope" in environ:
                environ.setdefault(BACKGROUND_KEY, []).append(task)
                return
            from ..ctx import after_this_request

            def run_after(response: t.Any) -> t.Any:
                response.call_on_close(lambda: run_sync(app, *task))
                return response

            after_this_request(run_after)
            return
        # PERF: asyncio imported here, not with the module: ``import erlen`` stays cheap for a
        # WSGI app (asyncio is a third of its import time).
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            import threading

            threading.Thread(target=run_sync, args=(app, *task), daemon=True).start()
        else:
            start_background(app, *task)


def run_sync(
    app: Erlen, func: t.Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
) -> None:
    """A background task under WSGI: run now, in an app context; errors are logged."""
    try:
        with app.app_context():
            app.ensure_sync(func)(*args, **kwargs)
    except Exception:
        app.logger.exception("Background task %r failed", func)


def start_background(
    app: Erlen, func: t.Callable[..., t.Any], args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
) -> None:
    """A background task under ASGI: a task on the running loop."""
    import asyncio

    async def run() -> None:
        try:
            with app.app_context():
                if inspect.iscoroutinefunction(func):
                    await func(*args, **kwargs)
                else:
                    from .asgi import worker_pool

                    context = contextvars.copy_context()
                    await worker_pool(app).run(
                        asyncio.get_running_loop(), lambda: context.run(func, *args, **kwargs)
                    )
        except Exception:
            app.logger.exception("Background task %r failed", func)

    # NOTE: a task gets a copy of the current context; run it in a clean one, not the request's.
    future = contextvars.Context().run(asyncio.ensure_future, run())
    app._asgi.background_tasks.add(future)
    future.add_done_callback(app._asgi.background_tasks.discard)


async def wait_background(app: Erlen) -> None:
    """Wait until the background tasks started so far (and those they start) are done."""
    import asyncio

    while app._asgi.background_tasks:
        await asyncio.gather(*list(app._asgi.background_tasks), return_exceptions=True)


async def _call(app: Erlen, func: t.Callable[..., t.Any]) -> t.Any:
    """Call a serving hook in an app context: await it on the loop, or run it in the pool."""
    from .asgi import Steps

    steps = Steps(app)
    app_ctx = app.app_context()
    steps.inline(app_ctx.push)
    try:
        if inspect.iscoroutinefunction(func):
            return await steps.task(func())
        return await steps.thread(func)
    finally:
        steps.inline(app_ctx.pop, None)


async def _advance(app: Erlen, gen: t.Any) -> bool:
    """Step a while_serving generator to its next ``yield``; False once it is exhausted."""
    step: t.Callable[[], t.Any]
    if inspect.isasyncgen(gen):

        async def step() -> bool:
            try:
                await gen.__anext__()
            except StopAsyncIteration:
                return False
            return True

    else:

        def step() -> bool:
            try:
                next(gen)
            except StopIteration:
                return False
            return True

    return bool(await _call(app, step))


async def startup(app: Erlen) -> list[t.Any]:
    """Run the startup half of the serving hooks; return the while_serving generators."""
    for func in app.before_serving_funcs:
        await _call(app, func)
    gens = []
    for gen_func in app.while_serving_gens:
        gen = gen_func()
        if not await _advance(app, gen):
            raise RuntimeError(f"The while_serving function {gen_func!r} did not yield.")
        gens.append(gen)
    return gens


async def shutdown(app: Erlen, gens: list[t.Any]) -> None:
    """Run the shutdown half: the rest of each while_serving generator, then after_serving."""
    await wait_background(app)
    for gen in reversed(gens):
        if await _advance(app, gen):
            raise RuntimeError(f"The while_serving generator {gen!r} yielded more than once.")
    for func in app.after_serving_funcs:
        await _call(app, func)


async def handle_lifespan(app: Erlen, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer the server's lifespan messages."""
    gens: list[t.Any] = []
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                gens = await startup(app)
            except BaseException as e:  # NOTE: the server must hear of any failure
                app.logger.exception("Startup failed")
                await send({"type": "lifespan.startup.failed", "message": _describe(e)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await shutdown(app, gens)
            except BaseException as e:
                app.logger.exception("Shutdown failed")
                await send({"type": "lifespan.shutdown.failed", "message": _describe(e)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"
