"""The context-bound names: ``current_app``, ``g``, ``request``, ``session``.

Each is a proxy that looks up the active application or request context. Both are held in one
:class:`contextvars.ContextVar` as the pair ``(app_ctx, request_ctx)`` (see :mod:`erlen.ctx`), so
the names are safe across threads and asyncio tasks; ``_cv_app`` and ``_cv_request`` read and
push one side of it with ``ContextVar``'s methods.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar, Token

if t.TYPE_CHECKING:
    from .app import Erlen
    from .ctx import AppContext, RequestContext, _AppCtxGlobals
    from .serving.websocket import Websocket
    from .sessions import SessionMixin
    from .wrappers import Request

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""

_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. To solve this, set up a request context with
app.test_request_context(), or run the code inside a view function.
See the documentation on testing for more information.\
"""

_unset: t.Any = object()

#: The active contexts as one pair ``(app_ctx, request_ctx)``; either may be None (an app context
#: pushed alone has no request context; a request context always has its app context).
#: PERF: one variable for both: a request pushes and pops its two contexts with one set and one
#: reset (each set or reset builds a new context mapping: about 800 instructions).
_cv_context: ContextVar[tuple[t.Any, t.Any]] = ContextVar("erlen.context")
#: The value read when no context is active: ``_get_context(_NO_CONTEXT)[0]`` needs no test.
_NO_CONTEXT: tuple[None, None] = (None, None)

# PERF: CPython 3.11 compiles ``name.method(...)`` on a name bound by ``import`` as an attribute
# load that builds a new bound method on every call (about 500 instructions); the modules on the
# request path import these methods, bound once here, and call them directly.
_get_context = _cv_context.get
_set_context = _cv_context.set
_reset_context = _cv_context.reset

_T = t.TypeVar("_T")
_no_default: t.Any = object()


class _ContextHalf(t.Generic[_T]):
    """One side of the context pair, with ``ContextVar``'s ``get``/``set``/``reset``.

    ``_cv_app`` and ``_cv_request`` are the names Flask's own context variables have; code that
    reads them (``_cv_request.get(None)``) or pushes a stand-in (``token = _cv_app.set(obj)``,
    then ``_cv_app.reset(token)``) works unchanged. ``set`` keeps the other side of the pair.
    """

    __slots__ = ("_index", "name")

    def __init__(self, index: int, name: str) -> None:
        self._index = index
        self.name = name

    def get(self, default: t.Any = _no_default) -> _T:
        ctx = _get_context(_NO_CONTEXT)[self._index]
        if ctx is None:
            if default is _no_default:
                raise LookupError(self)
            return default  # type: ignore[no-any-return]
        return ctx  # type: ignore[no-any-return]

    def set(self, value: _T) -> Token[tuple[t.Any, t.Any]]:
        pair = _get_context(_NO_CONTEXT)
        return _set_context((value, pair[1]) if self._index == 0 else (pair[0], value))

    def reset(self, token: Token[tuple[t.Any, t.Any]]) -> None:
        _reset_context(token)

    def __repr__(self) -> str:
        return f"<_ContextHalf name={self.name!r}>"


_cv_app: _ContextHalf[AppContext] = _ContextHalf(0, "erlen.app_ctx")
_cv_request: _ContextHalf[RequestContext] = _ContextHalf(1, "erlen.request_ctx")
#: ``ContextVar.get`` of each side (LookupError, or ``default``, when none is active). NOTE: the
#: request path reads ``_get_context(_NO_CONTEXT)`` directly, one C call instead of a Python one.
_get_app_ctx = _cv_app.get
_get_request_ctx = _cv_request.get
# NOTE: the two-variable names, for code written against them: each pushes or pops one side
# (two sets where the pair needs one; see RequestContext.push for the one-set form).
_set_app_ctx = _cv_app.set
_reset_app_ctx = _cv_app.reset
_set_request_ctx = _cv_request.set
_reset_request_ctx = _cv_request.reset

_object_getattribute = object.__getattribute__


class LocalProxy:
    """Forwards every operation to an attribute of the object in a context variable.

    ``isinstance(request, Request)`` is true because ``__class__`` is forwarded too.
    """

    __slots__ = ("_cv", "_attr", "_message", "__wrapped__")

    def __init__(
        self, cv: ContextVar[t.Any] | _ContextHalf[t.Any], attr: str | None, message: str
    ) -> None:
        object.__setattr__(self, "_cv", cv)
        object.__setattr__(self, "_attr", attr)
        object.__setattr__(self, "_message", message)

    def _get_current_object(self) -> t.Any:
        """The real object behind the proxy (pass it to threads or signals)."""
        ctx = self._cv.get(_unset)
        if ctx is _unset:
            raise RuntimeError(self._message)
        attr = self._attr
        return ctx if attr is None else getattr(ctx, attr)

    # NOTE: each proxy below is an instance of its own subclass, whose ``__getattribute__`` is
    # the fast form (see _proxy); this generic form serves a LocalProxy built directly.
    def __getattribute__(self, name: str) -> t.Any:
        if name in _OWN_NAMES:
            return _object_getattribute(self, name)
        ctx = _object_getattribute(self, "_cv").get(_unset)
        if ctx is _unset:
            raise RuntimeError(_object_getattribute(self, "_message"))
        attr = _object_getattribute(self, "_attr")
        return getattr(ctx if attr is None else getattr(ctx, attr), name)

    def __setattr__(self, name: str, value: t.Any) -> None:
        setattr(self._get_current_object(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get_current_object(), name)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # type: ignore[override]
        try:
            return type(self._get_current_object())
        except RuntimeError:
            return LocalProxy

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        try:
            return self._get_current_object().__doc__  # type: ignore[no-any-return]
        except RuntimeError:
            return None

    def __dir__(self) -> list[str]:
        try:
            return dir(self._get_current_object())
        except RuntimeError:
            return []

    def __repr__(self) -> str:
        try:
            obj = self._get_current_object()
        except RuntimeError:
            return f"<{type(self).__name__} unbound>"
        return repr(obj)

    def __str__(self) -> str:
        return str(self._get_current_object())

    def __bool__(self) -> bool:
        try:
            return bool(self._get_current_object())
        except RuntimeError:
            return False

    def __eq__(self, other: object) -> bool:
        return self._get_current_object() == other  # type: ignore[no-any-return]

    def __ne__(self, other: object) -> bool:
        return self._get_current_object() != other  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return hash(self._get_current_object())

    def __lt__(self, other: t.Any) -> bool:
        return self._get_current_object() < other  # type: ignore[no-any-return]

    def __le__(self, other: t.Any) -> bool:
        return self._get_current_object() <= other  # type: ignore[no-any-return]

    def __gt__(self, other: t.Any) -> bool:
        return self._get_current_object() > other  # type: ignore[no-any-return]

    def __ge__(self, other: t.Any) -> bool:
        return self._get_current_object() >= other  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self._get_current_object())

    def __iter__(self) -> t.Iterator[t.Any]:
        return iter(self._get_current_object())

    def __contains__(self, item: object) -> bool:
        return item in self._get_current_object()

    def __getitem__(self, key: t.Any) -> t.Any:
        return self._get_current_object()[key]

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        self._get_current_object()[key] = value

    def __delitem__(self, key: t.Any) -> None:
        del self._get_current_object()[key]

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return self._get_current_object()(*args, **kwargs)

    def __enter__(self) -> t.Any:
        return self._get_current_object().__enter__()

    def __exit__(self, *args: t.Any) -> t.Any:
        return self._get_current_object().__exit__(*args)


#: The names a proxy answers itself: what LocalProxy and object define, and its slots.
_OWN_NAMES = frozenset(dir(LocalProxy))


def _proxy(cv: ContextVar[t.Any] | _ContextHalf[t.Any], attr: str | None, message: str) -> t.Any:
    """A LocalProxy whose attribute access is one Python call.

    PERF: with a ``__getattr__``, ``request.args`` first fails the normal lookup, which raises
    and catches an AttributeError (about 6,000 instructions in all). ``__getattribute__``
    forwards directly, and each proxy's own subclass binds the context lookup and the attribute
    name in a closure; the names the proxy itself defines (``_get_current_object``,
    ``__class__``, ``__repr__``...) resolve as on any object.
    """
    own = _OWN_NAMES
    lookup = _object_getattribute

    if isinstance(cv, _ContextHalf):
        # PERF: a side of the context pair is read with the C-level get and an index, not
        # through _ContextHalf.get.
        get = _get_context
        index = cv._index
        empty = _NO_CONTEXT
        if attr is None:

            def __getattribute__(self: t.Any, name: str) -> t.Any:
                if name in own:
                    return lookup(self, name)
                ctx = get(empty)[index]
                if ctx is None:
                    raise RuntimeError(message)
                return getattr(ctx, name)

        else:

            def __getattribute__(self: t.Any, name: str) -> t.Any:
                if name in own:
                    return lookup(self, name)
                ctx = get(empty)[index]
                if ctx is None:
                    raise RuntimeError(message)
                return getattr(getattr(ctx, attr), name)

    else:
        if attr is not None:
            raise ValueError("a proxy of a plain context variable forwards to its value")
        get_value = cv.get

        def __getattribute__(self: t.Any, name: str) -> t.Any:
            if name in own:
                return lookup(self, name)
            ctx = get_value(_unset)
            if ctx is _unset:
                raise RuntimeError(message)
            return getattr(ctx, name)

    namespace: dict[str, t.Any] = {"__slots__": (), "__getattribute__": __getattribute__}
    if isinstance(cv, _ContextHalf):

        def _get_current_object(self: t.Any) -> t.Any:
            ctx = get(empty)[index]
            if ctx is None:
                raise RuntimeError(message)
            return ctx if attr is None else getattr(ctx, attr)

        namespace["_get_current_object"] = _get_current_object
    cls = type("LocalProxy", (LocalProxy,), namespace)
    cls.__module__ = __name__
    return cls(cv, attr, message)


app_ctx: AppContext = _proxy(_cv_app, None, _no_app_msg)
current_app: Erlen = _proxy(_cv_app, "app", _no_app_msg)
g: _AppCtxGlobals = _proxy(_cv_app, "g", _no_app_msg)
request_ctx: RequestContext = _proxy(_cv_request, None, _no_req_msg)
request: Request = _proxy(_cv_request, "request", _no_req_msg)
session: SessionMixin = _proxy(_cv_request, "session", _no_req_msg)

#: The WebSocket connection of the running handler (set by erlen.serving.websocket).
_cv_websocket: ContextVar[Websocket] = ContextVar("erlen.websocket")
websocket: Websocket = _proxy(
    _cv_websocket,
    None,
    "Working outside of websocket context. The 'websocket' object is only available inside a"
    " WebSocket handler (registered with @app.websocket) and its hooks.",
)
