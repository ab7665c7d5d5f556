"""``_lazy``: the caching descriptor behind the request's computed attributes.

``Request.args``, ``cookies``, ``accept_mimetypes`` and the others are computed on first access
and then stored on the instance, so a view pays only for what it reads, once.
"""

from __future__ import annotations

import typing as t

_T = t.TypeVar("_T")


class _lazy(t.Generic[_T]):
    """Compute an attribute on first access, then store it in the instance ``__dict__``.

    PERF: a non-data descriptor: once stored, the instance ``__dict__`` wins the lookup and the
    descriptor is never called again; no lock (``functools.cached_property`` takes one on
    3.10/3.11). Assigning the attribute simply overrides the cached value, as in Werkzeug.
    """

    def __init__(self, func: t.Callable[[t.Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @t.overload
    def __get__(self, obj: None, owner: type | None = None) -> _lazy[_T]: ...

    @t.overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> t.Any:
        if obj is None:
            return self
        func = self.func  # PERF: a function held by the instance is no method to look up
        value = obj.__dict__[self.name] = func(obj)
        return value
