"""Store operations written once, run by a sync and an async runner.

A *plan* is a generator: it yields a :class:`Batch` (commands to send as one pipeline, in one
round trip), receives the list of replies, and finally returns the operation's result. It may
yield :class:`Sleep` to wait between attempts (a contended lock). :class:`Plans` names the
plans a store provides; :class:`PlannedStore` and :class:`PlannedAsyncStore` implement the
:class:`~.base.Store` / :class:`~.base.AsyncStore` interface by running them, given only a
sync or an async ``execute(batch) -> replies``. So the Redis store's two forms share every
line that decides what to send and what the replies mean.

:func:`together` runs several plans with their first batches merged into one: a request's
writes (the new session, the old id's delete, the user index) go out in one round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import typing as t

from .base import KEEP, AsyncStore, Changes, Loaded, Op, Store, StoreError

T = t.TypeVar("T")
Plan = t.Generator[t.Any, t.Any, T]


class Batch:
    """Commands sent as one pipeline; ``transaction``: all or nothing (``MULTI``/``EXEC``)."""

    __slots__ = ("commands", "transaction")

    def __init__(self, commands: list[t.Any], transaction: bool = False) -> None:
        self.commands = commands
        self.transaction = transaction


class Sleep(float):
    """Yielded by a plan: wait this many seconds, then go on (the reply is None)."""


def together(plans: list[Plan[t.Any]]) -> Plan[list[t.Any]]:
    """One plan running ``plans``: their first batches go out as one pipeline (a transaction
    if any of them asks for one); a plan that needs more round trips goes on alone."""
    results: list[t.Any] = [None] * len(plans)
    firsts: list[tuple[int, Batch]] = []
    for i, plan in enumerate(plans):
        try:
            step = next(plan)
        except StopIteration as stop:
            results[i] = stop.value
            continue
        if not isinstance(step, Batch):  # pragma: no cover - no write plan starts asleep
            raise TypeError("a plan run together must start with a Batch")
        firsts.append((i, step))
    if firsts:
        merged = Batch(
            [c for _, b in firsts for c in b.commands], any(b.transaction for _, b in firsts)
        )
        replies = yield merged
        at = 0
        for i, batch in firsts:
            part = replies[at : at + len(batch.commands)]
            at += len(batch.commands)
            results[i] = yield from _resume(plans[i], part)
    return results


def _resume(plan: Plan[T], replies: t.Any) -> Plan[T]:
    while True:
        try:
            step = plan.send(replies)
        except StopIteration as stop:
            return t.cast(T, stop.value)
        replies = yield step


class Plans:
    """The operations of a store, as plans (see the module docstring)."""

    def load(self, sid: str) -> Plan[Loaded | None]:
        raise NotImplementedError

    def apply(
        self, sid: str, changes: Changes, ttl: int, user: str | None, replace: bool
    ) -> Plan[None]:
        raise NotImplementedError

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> Plan[bool]:
        raise NotImplementedError

    def delete(self, sid: str, user: str | None) -> Plan[None]:
        raise NotImplementedError

    def touch(self, sid: str, ttl: int) -> Plan[None]:
        raise NotImplementedError

    def revoke_user(self, user: str) -> Plan[int]:
        raise NotImplementedError

    def cleanup(self) -> Plan[int]:
        """Delete expired records (nothing to do where records expire by themselves)."""
        return 0
        yield  # NOTE: unreachable; makes this a generator, as every plan is

    def acquire(self, sid: str, timeout: float) -> Plan[t.Any]:
        """Take the session's lock; returns what :meth:`release` needs."""
        raise NotImplementedError

    def release(self, sid: str, token: t.Any) -> Plan[None]:
        raise NotImplementedError

    def op(self, op: Op) -> Plan[t.Any]:
        name, sid, *args = op
        if name == "apply":
            return self.apply(sid, args[0], args[1], args[2], args[3])
        if name == "apply_if_exists":
            return self.apply_if_exists(sid, args[0], args[1])
        if name == "delete":
            return self.delete(sid, args[0] if args else None)
        if name == "touch":
            return self.touch(sid, args[0])
        raise ValueError(f"unknown store operation {name!r}")

    def run(self, ops: t.Sequence[Op]) -> Plan[bool]:
        results = yield from together([self.op(op) for op in ops])
        return all(r is not False for r in results)


class PlannedStore(Store):
    """A sync store running :attr:`plans` with :meth:`execute`."""

    plans: Plans

    def execute(self, batch: Batch) -> list[t.Any]:
        """Send one batch, return its replies; raise :class:`StoreError` on failure."""
        raise NotImplementedError

    def drive(self, plan: Plan[T]) -> T:
        replies: t.Any = None
        try:
            while True:
                step = plan.send(replies)
                if isinstance(step, Sleep):
                    time.sleep(step)
                    replies = None
                else:
                    replies = self.execute(step)
        except StopIteration as stop:
            return t.cast(T, stop.value)

    def load(self, sid: str) -> Loaded | None:
        return self.drive(self.plans.load(sid))

    def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        self.drive(self.plans.apply(sid, changes, ttl, user, replace))

    def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        return self.drive(self.plans.apply_if_exists(sid, changes, ttl))

    def delete(self, sid: str, user: str | None = None) -> None:
        self.drive(self.plans.delete(sid, user))

    def touch(self, sid: str, ttl: int) -> None:
        self.drive(self.plans.touch(sid, ttl))

    def run(self, ops: t.Sequence[Op]) -> bool:
        return self.drive(self.plans.run(ops))

    def revoke_user(self, user: str) -> int:
        return self.drive(self.plans.revoke_user(user))

    def cleanup(self) -> int:
        return self.drive(self.plans.cleanup())

    @contextlib.contextmanager
    def lock(self, sid: str, timeout: float) -> t.Iterator[None]:
        token = self.drive(self.plans.acquire(sid, timeout))
        try:
            yield
        finally:
            with contextlib.suppress(StoreError):
                self.drive(self.plans.release(sid, token))


class PlannedAsyncStore(AsyncStore):
    """The async form of :class:`PlannedStore`: the same plans, an awaited ``execute``."""

    plans: Plans

    async def execute(self, batch: Batch) -> list[t.Any]:
        raise NotImplementedError

    async def drive(self, plan: Plan[T]) -> T:
        replies: t.Any = None
        try:
            while True:
                step = plan.send(replies)
                if isinstance(step, Sleep):
                    await asyncio.sleep(step)
                    replies = None
                else:
                    replies = await self.execute(step)
        except StopIteration as stop:
            return t.cast(T, stop.value)

    async def load(self, sid: str) -> Loaded | None:
        return await self.drive(self.plans.load(sid))

    async def apply(
        self,
        sid: str,
        changes: Changes,
        ttl: int,
        *,
        user: str | None = KEEP,
        replace: bool = False,
    ) -> None:
        await self.drive(self.plans.apply(sid, changes, ttl, user, replace))

    async def apply_if_exists(self, sid: str, changes: Changes, ttl: int) -> bool:
        return await self.drive(self.plans.apply_if_exists(sid, changes, ttl))

    async def delete(self, sid: str, user: str | None = None) -> None:
        await self.drive(self.plans.delete(sid, user))

    async def touch(self, sid: str, ttl: int) -> None:
        await self.drive(self.plans.touch(sid, ttl))

    async def run(self, ops: t.Sequence[Op]) -> bool:
        return await self.drive(self.plans.run(ops))

    async def revoke_user(self, user: str) -> int:
        return await self.drive(self.plans.revoke_user(user))

    async def cleanup(self) -> int:
        return await self.drive(self.plans.cleanup())

    @contextlib.asynccontextmanager
    async def lock(self, sid: str, timeout: float) -> t.AsyncIterator[None]:
        token = await self.drive(self.plans.acquire(sid, timeout))
        try:
            yield
        finally:
            with contextlib.suppress(StoreError):
                await self.drive(self.plans.release(sid, token))
