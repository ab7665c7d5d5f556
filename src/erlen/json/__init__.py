"""JSON helpers that follow the current app's JSON provider.

Inside an application context these call ``current_app.json`` (so ``app.json.sort_keys``
and custom providers apply); outside one they behave like :mod:`json` plus erlen's
``default`` for dates, decimals, UUIDs, dataclasses and ``Markup``.
"""

from __future__ import annotations

import json as _json
import typing as t

from ..globals import _NO_CONTEXT, _get_context, current_app
from .provider import _default

if t.TYPE_CHECKING:
    from ..wrappers import Response

__all__ = ["dump", "dumps", "jsonify", "load", "loads"]


def _app_json() -> t.Any:
    """The current app's provider, or ``None`` outside an application context."""
    ctx = _get_context(_NO_CONTEXT)[0]  # PERF: the app context, one C call
    return None if ctx is None else ctx.app.json


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize ``obj`` to a JSON string.

    >>> dumps({"b": 1, "a": [1, 2]})
    '{"b": 1, "a": [1, 2]}'
    """
    provider = _app_json()
    if provider is not None:
        return provider.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Serialize ``obj`` and write it to the text file ``fp``."""
    provider = _app_json()
    if provider is not None:
        provider.dump(obj, fp, **kwargs)
    else:
        kwargs.setdefault("default", _default)
        _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Deserialize the JSON document ``s`` (text or bytes)."""
    provider = _app_json()
    if provider is not None:
        return provider.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Read and deserialize the JSON document in the file ``fp``."""
    provider = _app_json()
    if provider is not None:
        return provider.load(fp, **kwargs)
    return _json.load(fp, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """A JSON response built by ``current_app.json.response``; needs an application context.

    One argument is serialized as is, several become a list, keyword arguments a dict::

        return jsonify(user=user.name, id=user.id)
    """
    ctx = _get_context(_NO_CONTEXT)[0]  # PERF: the app context, one C call
    if ctx is None:
        return current_app.json.response(*args, **kwargs)  # NOTE: raises the usual error
    if len(args) == 1 and not kwargs:  # PERF: no argument re-packing for the usual call
        return ctx.app.json.response(args[0])  # type: ignore[no-any-return]
    return ctx.app.json.response(*args, **kwargs)  # type: ignore[no-any-return]
