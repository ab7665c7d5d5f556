"""The bounded worker-thread pool of the ASGI edge: sync views, hooks and body chunks run here.

One job: run a function in a worker thread and hand its outcome to an :class:`asyncio.Future`
on the caller's loop. It is what ``loop.run_in_executor(ThreadPoolExecutor)`` does, in one
hop instead of three.

PERF: ``run_in_executor`` makes a :class:`concurrent.futures.Future` (a condition variable and
its lock), chains it to an asyncio future with callbacks on both sides, and counts idle
threads with a semaphore; every sync request under ASGI paid for that. Here a job is a tuple
on a C :class:`queue.SimpleQueue`, the outcome goes to the asyncio future with one
``call_soon_threadsafe``, and idle workers are counted with a list (``append``/``pop`` are
atomic under the GIL): a new thread is started only when no worker is idle and fewer than
``max_workers`` exist, as the executor does.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import queue
import threading
import typing as t

_allocate_lock = threading.Lock


class Job:
    """One call handed to a worker thread, awaited once on the loop that submitted it.

    PERF: the job is its own future. asyncio's Task waits on any object that has
    ``_asyncio_future_blocking``, ``_loop``, ``add_done_callback``, ``result`` and ``cancel``;
    a real :class:`asyncio.Future` would, when its result is set, schedule the task's wake-up
    for the NEXT turn of the loop. Here the worker's one ``call_soon_threadsafe`` runs
    :meth:`_complete`, which wakes the task in the same turn: one loop iteration per hop
    instead of two (a turn of an idle loop costs about as much as a hello request).
    """

    __slots__ = (
        "_loop",
        "_asyncio_future_blocking",
        "_callback",
        "_callback_context",
        "_cancelled",
        "_done",
        "_future",
        "_ok",
        "_token",
        "_value",
        "finished",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._asyncio_future_blocking = False
        self._callback: t.Callable[[Job], t.Any] | None = None
        self._callback_context: contextvars.Context | None = None
        self._cancelled = False
        self._future: asyncio.Future[t.Any] | None = None
        #: True once the worker's call returned (set on the loop).
        self.finished = False
        #: See :meth:`wait`: whoever pops the token first decides how the outcome travels.
        self._token: list[None] = []
        self._done: t.Any = None
        self._ok = True
        self._value: t.Any = None

    def wait(self, timeout: float) -> bool:
        """Block (the GIL released) until the call returns or ``timeout`` s pass; True if it did.

        On True the outcome is here (:meth:`result`) and nothing is sent to the loop; on False
        the job is awaited as usual. Only for a job made with ``wait=True``, once.
        """
        if self._done.acquire(True, timeout):
            self.finished = True
            return True
        try:
            self._token.pop()  # NOTE: first: the worker will wake the loop
        except IndexError:
            self.finished = True  # NOTE: the worker returned meanwhile; the outcome is here
            return True
        return False

    def __await__(self) -> t.Generator[t.Any, None, t.Any]:
        if not (self.finished or self._cancelled):
            self._asyncio_future_blocking = True
            yield self
        return self.result()

    # -- what asyncio's Task uses --

    def add_done_callback(
        self, callback: t.Callable[[Job], t.Any], *, context: contextvars.Context | None = None
    ) -> None:
        if context is None:
            context = contextvars.copy_context()
        if self.finished or self._cancelled:
            self._loop.call_soon(callback, self, context=context)
        else:
            self._callback, self._callback_context = callback, context

    def result(self) -> t.Any:
        if self._cancelled:
            raise asyncio.CancelledError
        if not self._ok:
            raise self._value
        return self._value

    def done(self) -> bool:
        return self.finished or self._cancelled

    def cancel(self, msg: t.Any = None) -> bool:
        """Stop waiting (the call itself runs on; :attr:`finished` tells when it returned)."""
        if self.finished or self._cancelled:
            return False
        self._cancelled = True
        self._wake()
        return True

    # -- the rest --

    def future(self) -> asyncio.Future[t.Any]:
        """A plain :class:`asyncio.Future` that gets the outcome (for ``asyncio.wait``)."""
        future = self._future
        if future is None:
            future = self._future = self._loop.create_future()
            if self.finished:
                self._settle(future)
        return future

    def _complete(self) -> None:
        # NOTE: runs on the loop (the worker's call_soon_threadsafe), as does everything else
        # here, so no two of them interleave.
        self.finished = True
        if self._future is not None:
            self._settle(self._future)
        if not self._cancelled:
            self._wake(now=True)

    def _settle(self, future: asyncio.Future[t.Any]) -> None:
        if future.done():
            return
        if self._ok:
            future.set_result(self._value)
        else:
            future.set_exception(self._value)

    def _wake(self, now: bool = False) -> None:
        callback, context = self._callback, self._callback_context
        if callback is None:
            return
        self._callback = self._callback_context = None
        if now:
            context.run(callback, self)  # type: ignore[union-attr]  # PERF: this turn
        else:
            self._loop.call_soon(callback, self, context=context)


class _Batch:
    """The jobs a loop's workers finished, handed to the loop together.

    PERF: one ``call_soon_threadsafe`` (a handle, a lock, a byte through the loop's self-pipe)
    per turn of the loop instead of one per job: under load many jobs finish while the loop is
    busy, and the loop completes them all in the turn that drains the batch (measured: 10-17%
    more req/s for sync views through granian, 32 connections). ``pending`` is True from the scheduling of a
    drain until that drain starts; a job added after it started schedules the next one.
    """

    __slots__ = ("jobs", "pending")

    def __init__(self) -> None:
        self.jobs: collections.deque[Job] = collections.deque()
        self.pending = False

    def drain(self) -> None:
        # NOTE: runs on the loop. The flag first: a job finished from now on schedules anew.
        self.pending = False
        jobs = self.jobs
        while True:
            try:
                job = jobs.popleft()
            except IndexError:
                return
            job._complete()


def _new_batch(
    batches: dict[asyncio.AbstractEventLoop, _Batch], loop: asyncio.AbstractEventLoop
) -> _Batch:
    """The batch of a loop the pool has not handed jobs to yet (once per loop)."""
    # NOTE: a pool may outlive many loops (a test client runs one per call): the closed ones
    # are forgotten here, so the map holds the live loops only.
    for known in list(batches):
        if known.is_closed():
            batches.pop(known, None)
    return batches.setdefault(loop, _Batch())


class WorkerPool:
    """At most ``max_workers`` threads, started when needed, kept for the process's life."""

    def __init__(
        self, max_workers: int, name: str = "erlen-asgi", inline_wait: float = 0.0
    ) -> None:
        self.max_workers = max_workers
        self.name = name
        #: How long the loop may block for the outcome of a step it knows as quick (see
        #: :func:`erlen.serving.steps.hop`); 0 never.
        self.inline_wait = inline_wait
        #: Step key -> loop time before which the loop does not block for it again.
        self.slow: dict[t.Any, float] = {}
        self._jobs: queue.SimpleQueue[t.Any] = queue.SimpleQueue()
        self._idle: list[None] = []
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        #: loop -> the jobs finished for it and not yet handed over (see _Batch).
        self._batches: dict[asyncio.AbstractEventLoop, _Batch] = {}

    def submit(
        self,
        loop: asyncio.AbstractEventLoop,
        context: contextvars.Context | None,
        func: t.Callable[..., t.Any],
        args: tuple[t.Any, ...],
        wait: bool = False,
    ) -> Job:
        """Run ``func(*args)`` in a worker thread, inside ``context`` when one is given.

        With ``wait`` the caller may then block a moment for the outcome (:meth:`Job.wait`).
        NOTE: the caller must not be inside ``context`` itself once it gives up the GIL: a
        context is entered by one thread at a time.
        """
        job = Job(loop)
        if wait:
            job._token.append(None)
            done = job._done = _allocate_lock()
            done.acquire()
        self._jobs.put((loop, job, context, func, args))
        try:
            self._idle.pop()  # NOTE: an idle worker takes the job
        except IndexError:
            self._start()
        return job

    def run(
        self, loop: asyncio.AbstractEventLoop, func: t.Callable[[], t.Any]
    ) -> asyncio.Future[t.Any]:
        """Run ``func()`` in a worker thread; the future (on ``loop``) gets its result."""
        return self.submit(loop, None, func, ()).future()

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
        get, idle, batches = self._jobs.get, self._idle, self._batches
        first = True
        while True:
            if not first:
                idle.append(None)  # NOTE: before waiting, so a new job finds this thread
            first = False
            item = get()
            if item is None:
                return
            loop, job, context, func, args = item
            try:
                result = func(*args) if context is None else context.run(func, *args)
                ok = True
            except BaseException as e:  # NOTE: handed to the awaiting coroutine as it is
                result, ok = e, False
            # NOTE: the outcome is in place before the token is looked at.
            job._ok, job._value = ok, result
            try:
                job._token.pop()
            except IndexError:  # NOTE: nobody waits in Job.wait: wake the loop
                batch = batches.get(loop)
                if batch is None:
                    batch = _new_batch(batches, loop)
                batch.jobs.append(job)
                if not batch.pending:
                    # NOTE: a benign race: two workers may both schedule; a drain finds the
                    # jobs the other took gone.
                    batch.pending = True
                    try:
                        loop.call_soon_threadsafe(batch.drain)
                    except RuntimeError:
                        pass  # NOTE: the loop is closed; nobody is waiting any more
            else:
                job._done.release()  # NOTE: the caller blocked in Job.wait takes it from here
            del item, loop, job, context, func, args, result

    def shutdown(self) -> None:
        """Stop the workers once the jobs already queued are done (no new jobs after)."""
        for _ in self._threads:
            self._jobs.put(None)
