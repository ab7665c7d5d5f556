"""JSON helpers that follow the current app's JSON provider.

Inside an application context these call ``current_app.json`` (so ``app.json.sort_keys``
and custom providers apply); outside one they behave like :mod:`json` plus erlen's
``default`` for dates, decimals, UUIDs, dataclasses and ``Markup``.
"""

from __future__ import annotations

import json as _json
import typing as t

from .provider import _default

if t.TYPE_CHECKING:
    from ..wrappers import Response

__all__ = ["dump", "dumps", "jsonify", "load", "loads"]


_cv_app: t.Any = None


def _app_json() -> t.Any:
    """The current app's provider, or ``None`` outside an application context."""
    global _cv_app
    if _cv_app is None:
        # NOTE: imported on first use so erlen.json stays importable while the app modules load;
        # PERF: and kept, as an import statement per call costs ~10k instructions.
        from ..globals import _cv_app as cv

        _cv_app = cv
    ctx = _cv_app.get(None)
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
    from ..globals import current_app

    return current_app.json.response(*args, **kwargs)
