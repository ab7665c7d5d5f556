"""The session object of server-side sessions and its settings.

:class:`ServerSideSession` is what ``session`` is when :mod:`erlen.sessions.server` serves the
app: a mapping that loads itself from the store on first use and records what a request
changed; the interface in :mod:`erlen.sessions.server` does the loading, saving and locking
(the invariants are written at the top of that module).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ..exceptions import ServiceUnavailable
from . import SessionMixin

if t.TYPE_CHECKING:
    from .server import ServerSessionInterface
    from .stores.base import StoreError


@dataclass
class Settings:
    """The ``SESSION_*`` configuration, read once at ``init_app``."""

    id_bytes: int = 32
    permanent: bool = True
    atomic: bool = False
    user_key: str = "_user_id"
    refresh_each_request: bool = True
    refresh_fraction: float = 0.1
    lock_timeout: float = 5.0
    retry_after: int = 5
    unavailable_empty: bool = False


class ServerSideSession(SessionMixin):
    """A session loaded from the store on first use (see the module invariants)."""

    def __init__(self, interface: ServerSessionInterface, sid: str | None) -> None:
        self._interface = interface
        #: The id in the cookie (None until one is issued for a new session).
        self.sid = sid
        self.new = sid is None
        self.modified = False
        self.accessed = False
        #: True when the store could not be reached and the session is empty and read-only.
        self.unavailable = False
        self._data: dict[str, t.Any] | None = None
        self._raw: dict[str, t.Any] = {}
        self._expires_at = 0.0
        self._legacy = False
        self._old_sid: str | None = None
        self._destroyed = False
        self._held: t.Any = None  # the store lock of atomic mode, while held
        self._blind: dict[str, t.Any] | None = None  # written before (without) any read
        self._dirty = False  # a key was assigned or deleted (unlike `modified`, not for users)
        #: Set by the ASGI edge: it loads and saves this session with the async store.
        self._deferred = False
        self._load_error: StoreError | None = None  # an early async load that failed

    # -- the dict interface -----------------------------------------------------------------

    def _get(self) -> dict[str, t.Any]:
        self.accessed = True
        data = self._data
        if data is None:
            data = self._interface._load(self)
            if self._blind is not None:
                data.update(self._blind)
                self._blind = None
        return data

    def _set(self) -> dict[str, t.Any]:
        data = self._get()
        if self.unavailable:
            raise ServiceUnavailable(retry_after=self._interface.settings.retry_after)
        self.modified = self._dirty = True
        if self.sid is None:
            self.sid = self._interface.new_sid()  # NOTE: stored only if the data is kept
        return data

    def __getitem__(self, key: str) -> t.Any:
        return self._get()[key]

    def __setitem__(self, key: str, value: t.Any) -> None:
        if self._data is None and self._interface._may_write_blind(self, key):
            # PERF: a write to a session not read yet needs no read: the change goes to the
            # store in one round trip at the end of the request (see Store.apply_if_exists).
            self.accessed = self.modified = True
            if self._blind is None:
                self._blind = {}
            self._blind[key] = value
            return
        self._set()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._set()[key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __contains__(self, key: object) -> bool:
        return key in self._get()

    def get(self, key: str, default: t.Any = None) -> t.Any:
        return self._get().get(key, default)

    def clear(self) -> None:
        self._set().clear()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._data!r}>"

    @property  # type: ignore[override]
    def new(self) -> bool:
        """True when the store does not know this session (it is loaded to find out)."""
        if self._data is None and self.sid is not None:
            self._get()
        return self._new

    @new.setter
    def new(self, value: bool) -> None:
        self._new = value

    @property
    def permanent(self) -> bool:
        """``SESSION_PERMANENT`` unless this session says otherwise (``_permanent``)."""
        return bool(self.get("_permanent", self._interface.settings.permanent))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        if bool(value) != self.permanent:
            self["_permanent"] = bool(value)

    # -- lifecycle --------------------------------------------------------------------------

    def regenerate(self) -> None:
        """Issue a new id for this session and keep its data (the old id stops working)."""
        self._get()
        if self.sid is not None and not self.new and self._old_sid is None:
            self._old_sid = self.sid
        if not self.new:
            self.sid = self._interface.new_sid()
        self.modified = self._dirty = True

    def destroy(self) -> None:
        """Delete this session in the store and expire its cookie, at the end of the request."""
        self._get()
        self._destroyed = True
        self._set().clear()

    def lock(self) -> _LockBlock:
        """Hold this session's lock in the store for the ``with`` block: the data is reloaded
        when the block starts and the block's changes are written when it ends, so a
        read-modify-write inside it is safe across processes. In a coroutine, write
        ``async with session.lock():`` (the async store: the event loop never blocks)."""
        return _LockBlock(self)


class _LockBlock:
    """``session.lock()``: a ``with`` block (sync store) or an ``async with`` block."""

    __slots__ = ("session", "_cm", "_acm")

    def __init__(self, session: ServerSideSession) -> None:
        self.session = session
        self._cm: t.Any = None
        self._acm: t.Any = None

    def __enter__(self) -> None:
        self._cm = self.session._interface._lock_block(self.session)
        self._cm.__enter__()

    def __exit__(self, *exc: t.Any) -> t.Any:
        return self._cm.__exit__(*exc)

    async def __aenter__(self) -> None:
        self._acm = self.session._interface._lock_block_async(self.session)
        await self._acm.__aenter__()

    async def __aexit__(self, *exc: t.Any) -> t.Any:
        return await self._acm.__aexit__(*exc)
