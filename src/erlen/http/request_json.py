"""The request body parsed as JSON: the work behind ``Request.get_json``.

The result is cached on the request per ``silent`` (``_cached_json``): a silent call that failed
caches ``None`` without hiding the error from a later non-silent call.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from .request import Request


def get_json(request: Request, force: bool, silent: bool, cache: bool) -> t.Any:
    """:meth:`Request.get_json`: parse the body (see there for the arguments and the errors)."""
    if cache:
        cached = request._cached_json[silent]
        if cached is not Ellipsis:
            return cached
    if not (force or request.is_json):
        if silent:
            return None
        return request.on_json_loading_failed(None)
    data = request.get_data(cache=cache)
    try:
        rv = request.json_module.loads(data)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        if silent:
            rv = None
            if cache:
                request._cached_json = (request._cached_json[0], None)
        else:
            rv = request.on_json_loading_failed(e)
            if cache:
                request._cached_json = (rv, request._cached_json[1])
    else:
        if cache:
            request._cached_json = (rv, rv)
    return rv
