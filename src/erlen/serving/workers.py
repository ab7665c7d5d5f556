"""The bounded worker-thread pool of the ASGI edge: sync views, hooks and body chunks run here.

One job: run a function in a worker thread and hand its result to an :class:`asyncio.Future`
on the caller's loop. It is what ``loop.run_in_executor(ThreadPoolExecutor)`` does, in one
hop instead of three.

PERF: ``run_in_executor`` makes a :class:`concurrent.futures.Future` (a condition variable and
its lock), chains it to an asyncio future with callbacks on both sides, and counts idle
threads with a semaphore; every sync request under ASGI paid for that. Here a job is a tuple
on a C :class:`queue.SimpleQueue`, the result goes to the asyncio future with one
``call_soon_threadsafe``, and idle workers are counted with a list (``append``/``pop`` are
atomic under the GIL): a new thread is started only when no worker is idle and fewer than
``max_workers`` exist, as the executor does.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import typing as t


class WorkerPool:
    """At most ``max_workers`` threads, started when needed, kept for the process's life."""

    def __init__(self, max_workers: int, name: str = "erlen-asgi") -> None:
        self.max_workers = max_workers
        self.name = name
        self._jobs: queue.SimpleQueue[t.Any] = queue.SimpleQueue()
        self._idle: list[None] = []
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    def run(
        self, loop: asyncio.AbstractEventLoop, func: t.Callable[[], t.Any]
    ) -> asyncio.Future[t.Any]:
        """Run ``func()`` in a worker thread; the future (on ``loop``) gets its result."""
        future = loop.create_future()
        self._jobs.put((loop, future, func))
        try:
            self._idle.pop()  # NOTE: an idle worker takes the job
        except IndexError:
            self._start()
        return future

    def _start(self) -> None:
        with self._start_lock:
            if len(self._threads) >= self.max_workers:
                return  # NOTE: the job waits for the first worker to come free
            thread = threading.Thread(
                target=self._work, name=f"{self.name}_{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        get, idle = self._jobs.get, self._idle
        first = True
        while True:
            if not first:
                idle.append(None)  # NOTE: before waiting, so a new job finds this thread
            first = False
            job = get()
            if job is None:
                return
            loop, future, func = job
            try:
                result = func()
            except BaseException as e:  # NOTE: handed to the awaiting coroutine as it is
                _deliver(loop, _set_exception, future, e)
            else:
                _deliver(loop, _set_result, future, result)
            del job, loop, future, func

    def shutdown(self) -> None:
        """Stop the workers once the jobs already queued are done (no new jobs after)."""
        for _ in self._threads:
            self._jobs.put(None)


def _deliver(loop: asyncio.AbstractEventLoop, setter: t.Any, future: t.Any, value: t.Any) -> None:
    try:
        loop.call_soon_threadsafe(setter, future, value)
    except RuntimeError:
        pass  # NOTE: the loop is closed; nobody is waiting any more


def _set_result(future: asyncio.Future[t.Any], value: t.Any) -> None:
    if not future.done():  # NOTE: cancelled meanwhile (the client went away)
        future.set_result(value)


def _set_exception(future: asyncio.Future[t.Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
