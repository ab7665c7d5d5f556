"""``DispatcherMiddleware``: one WSGI app per path prefix, the rest to a default app.

Invariants: the longest mounted prefix that is the whole path or ends at a ``/`` of it wins
(``/api`` serves ``/api`` and ``/api/x``, not ``/apix``); the mounted app sees the prefix moved
from ``PATH_INFO`` to the end of ``SCRIPT_NAME``, so its ``url_for`` builds URLs under it. Mount
names are written without a trailing slash (``"/api"``).
"""

from __future__ import annotations

import typing as t

WSGIApp = t.Callable[[dict[str, t.Any], t.Callable[..., t.Any]], t.Iterable[bytes]]

__all__ = ["DispatcherMiddleware"]


class DispatcherMiddleware:
    """Send each request to the app mounted at its path's longest matching prefix.

    >>> from erlen import Erlen
    >>> frontend, api = Erlen("frontend"), Erlen("api")
    >>> combined = DispatcherMiddleware(frontend, {"/api": api})
    """

    def __init__(self, app: WSGIApp, mounts: dict[str, WSGIApp] | None = None) -> None:
        self.app = app
        self.mounts: dict[str, WSGIApp] = dict(mounts or {})

    def _find(self, path: str) -> tuple[WSGIApp, str, str]:
        """``(app, mount prefix, rest of the path)`` for ``path``."""
        prefix = path
        while True:
            app = self.mounts.get(prefix)
            if app is not None:
                return app, prefix, path[len(prefix) :]
            cut = prefix.rfind("/")
            if cut < 0:
                return self.app, "", path
            prefix = prefix[:cut]

    def __call__(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Iterable[bytes]:
        app, prefix, rest = self._find(environ.get("PATH_INFO", ""))
        if prefix:
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
            environ["PATH_INFO"] = rest
        return app(environ, start_response)
