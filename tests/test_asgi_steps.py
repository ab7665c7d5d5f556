"""Where the ASGI edge runs a request's steps: the worker-pool hop, its bounded wait on the loop,
cancellation while a worker runs, and the one message pair of a buffered response."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import typing as t

import pytest

import erlen
from erlen.serving import steps
from erlen.serving.workers import WorkerPool
from test_asgi import GUARD, drive, make_scope


@pytest.fixture
def app() -> erlen.Erlen:
    app = erlen.Erlen("asgi_steps_app")
    app.config.update(TESTING=True, SECRET_KEY="k")
    return app


@pytest.mark.parametrize("slow_for", [steps.SLOW_FOR, 0.0])
def test_a_blocking_sync_view_never_blocks_the_loop(
    app: erlen.Erlen, monkeypatch: pytest.MonkeyPatch, slow_for: float
) -> None:
    """The sync view waits for an event only an async view on the loop sets: it can only
    finish if the loop goes on while the view blocks, each time (with ``slow_for`` 0 the loop
    tries to wait for the view every time)."""
    monkeypatch.setattr(steps, "SLOW_FOR", slow_for)
    app.config["ASGI_INLINE_WAIT"] = 0.002
    release = threading.Event()

    @app.route("/block")
    def block() -> str:
        ok = release.wait(GUARD)
        release.clear()
        return "released" if ok else "timed out"

    @app.route("/release")
    async def release_view() -> str:
        await asyncio.sleep(0.01)
        release.set()
        return "set"

    async def main() -> list[t.Any]:
        blocked = asyncio.ensure_future(drive(app, make_scope("/block")))
        await asyncio.sleep(0.01)
        setter = await drive(app, make_scope("/release"))
        return [await blocked, setter]

    for _ in range(3):
        blocked, setter = asyncio.run(main())
        assert blocked[2] == [b"released"]
        assert setter[2] == [b"set"]


@pytest.mark.parametrize("inline_wait", [None, 0.002])
def test_sync_views_answer_from_the_pool_with_or_without_the_wait(
    app: erlen.Erlen, inline_wait: float | None
) -> None:
    if inline_wait is not None:
        app.config["ASGI_INLINE_WAIT"] = inline_wait
    threads: list[str] = []

    @app.route("/")
    def index() -> str:
        threads.append(threading.current_thread().name)
        return "hello"

    @app.route("/fail")
    def fail() -> str:
        raise ValueError("boom")

    @app.errorhandler(ValueError)
    def on_error(e: ValueError) -> tuple[str, int]:
        return f"handled {e}", 409

    async def main() -> list[t.Any]:
        return [await drive(app, make_scope(p)) for p in ("/", "/", "/fail")]

    results = asyncio.run(main())
    assert [(r[0], r[2]) for r in results] == [
        (200, [b"hello"]),
        (200, [b"hello"]),
        (409, [b"handled boom"]),
    ]
    assert len(threads) == 2 and all(name.startswith("erlen-asgi") for name in threads)


@pytest.mark.parametrize("wait", [0.0, 0.001])
def test_a_cancelled_hop_goes_on_only_once_the_worker_returned(wait: float) -> None:
    """The request's context may be entered by one thread at a time: a cancellation reaches
    the coroutine after the worker left it."""
    pool = WorkerPool(2, "test-hop", inline_wait=wait)
    entered, release = threading.Event(), threading.Event()
    returned: list[bool] = []

    def work() -> str:
        entered.set()
        release.wait(GUARD)
        returned.append(True)
        return "done"

    async def main() -> list[bool]:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        task = asyncio.ensure_future(steps.hop(pool, loop, context, work, (), key="work"))
        await loop.run_in_executor(None, entered.wait, GUARD)
        task.cancel()
        await asyncio.sleep(0.01)
        loop.call_later(0.05, release.set)
        seen: list[bool] = []
        try:
            await asyncio.wait_for(task, GUARD)
        except asyncio.CancelledError:
            seen = list(returned)
        # NOTE: the context is free again: entering it works.
        context.run(lambda: None)
        return seen

    assert asyncio.run(main()) == [True]
    pool.shutdown()


def test_a_step_that_outlasts_the_wait_is_awaited_next_time() -> None:
    pool = WorkerPool(1, "test-slow", inline_wait=0.001)
    release = threading.Event()

    async def main() -> tuple[str, bool, str]:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        loop.call_later(0.05, release.set)
        first = await steps.hop(
            pool, loop, context, lambda: release.wait(GUARD) and "slow", (), "k"
        )
        marked = "k" in pool.slow
        second = await steps.hop(pool, loop, context, lambda: "quick", (), "k")
        return first, marked, second

    assert asyncio.run(main()) == ("slow", True, "quick")
    pool.shutdown()


@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_a_buffered_body_is_one_message_after_the_start(app: erlen.Erlen, view_kind: str) -> None:
    if view_kind == "sync":

        @app.route("/")
        def index() -> str:
            return "hello"
    else:

        @app.route("/")
        async def index() -> str:
            return "hello"

    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    asyncio.run(app(make_scope("/"), receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == b"hello" and not sent[1].get("more_body", False)
    assert sent[0]["status"] == 200
    assert (b"content-length", b"5") in sent[0]["headers"]


def test_jobs_finished_together_are_handed_over_in_batches_on_every_loop() -> None:
    """Workers hand finished jobs to their loop in batches (one wake-up per turn); every job
    completes, on the loop that submitted it, and a pool outliving its loops keeps none."""
    pool = WorkerPool(8, "test-batch")
    gate = threading.Event()

    def work(n: int) -> tuple[int, int]:
        gate.wait(10)  # NOTE: hang guard; the jobs finish together once the gate opens
        return n, threading.get_ident()

    async def many() -> list[int]:
        loop = asyncio.get_running_loop()
        futures = [pool.run(loop, lambda n=n: work(n)) for n in range(64)]
        loop.call_later(0.05, gate.set)
        results = await asyncio.gather(*futures)
        assert {ident for _, ident in results} != {threading.get_ident()}
        return [n for n, _ in results]

    for _ in range(3):
        gate.clear()
        assert asyncio.run(many()) == list(range(64))
        # NOTE: the loop of the run before is closed: forgotten when the next one comes.
        assert len(pool._batches) == 1
    pool.shutdown()
