"""Werkzeug's HTTP exceptions, seen as erlen's own (design §8).

A Flask extension installed next to erlen brings real Werkzeug, and raises or catches its classes:
Flask-WTF's ``CSRFError(BadRequest)``, Flask-Limiter's ``RateLimitExceeded(TooManyRequests)``, a
view calling ``werkzeug.exceptions.abort(403)``. erlen never imports Werkzeug; this module looks its
exception module up in ``sys.modules`` when an error is being handled, so a process without Werkzeug
pays one dictionary lookup per error and nothing on a successful request.

- :func:`is_http_exception` / :func:`is_http_exception_class`: erlen's or Werkzeug's HTTP error.
- :func:`canonical_class`: one of Werkzeug's own exception classes mapped to erlen's class of the same
  name (``werkzeug.exceptions.NotFound`` -> :class:`erlen.exceptions.NotFound`), so an error handler
  registered for either catches both; any other class is returned as is.
- :func:`is_instance`: ``isinstance`` that also accepts Werkzeug's class of the same name (and its
  subclasses), for rules such as ``TRAP_BAD_REQUEST_ERRORS``.
"""

from __future__ import annotations

import sys
import typing as t

from . import exceptions as _exceptions

_WERKZEUG_EXCEPTIONS = "werkzeug.exceptions"

#: Werkzeug's own classes whose module names erlen.compat replaced by erlen's (``HTTPException``).
werkzeug_originals: dict[str, type] = {}


def _werkzeug_http_exception() -> type | None:
    module = sys.modules.get(_WERKZEUG_EXCEPTIONS)
    if module is None:
        return None
    base = getattr(module, "HTTPException", None)
    if base is _exceptions.HTTPException:
        # NOTE: under erlen.compat the name is erlen's class; Werkzeug's internals still raise
        # subclasses of the original.
        return werkzeug_originals.get("HTTPException")
    return base


def is_http_exception(e: object) -> bool:
    """Whether ``e`` is an HTTP error: erlen's, or Werkzeug's when Werkzeug is loaded."""
    if isinstance(e, _exceptions.HTTPException):
        return True
    base = _werkzeug_http_exception()
    return base is not None and isinstance(e, base)


def is_http_exception_class(cls: type) -> bool:
    """Whether ``cls`` is an HTTP error class: erlen's, or Werkzeug's when Werkzeug is loaded."""
    if issubclass(cls, _exceptions.HTTPException):
        return True
    base = _werkzeug_http_exception()
    return base is not None and issubclass(cls, base)


def canonical_class(cls: type) -> type:
    """erlen's class for one of Werkzeug's own exception classes; any other class unchanged."""
    if cls.__module__ != _WERKZEUG_EXCEPTIONS:
        return cls
    own = getattr(_exceptions, cls.__name__, None)
    if isinstance(own, type) and issubclass(own, _exceptions.HTTPException):
        return own
    return cls


def is_instance(e: object, cls: type) -> bool:
    """``isinstance(e, cls)``, also true when a class in ``e``'s MRO is Werkzeug's ``cls``."""
    if isinstance(e, cls):
        return True
    return any(canonical_class(c) is cls for c in type(e).__mro__)


def foreign_mro(cls: type) -> t.Iterator[type]:
    """``cls.__mro__`` with each of Werkzeug's exception classes also given as erlen's."""
    for c in cls.__mro__:
        yield c
        own = canonical_class(c)
        if own is not c:
            yield own
