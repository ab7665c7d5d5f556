"""The ``get(key, default, type=...)`` conversion rule shared by the request dicts and headers."""

from __future__ import annotations

import typing as t


def convert(value: t.Any, type: t.Callable[[t.Any], t.Any] | None, default: t.Any) -> t.Any:
    """``type(value)``, or ``default`` when the conversion raises ValueError or TypeError.

    This is why ``request.args.get("page", 1, type=int)`` gives 1 for ``?page=x``.
    """
    if type is None:
        return value
    try:
        return type(value)
    except (ValueError, TypeError):
        return default
