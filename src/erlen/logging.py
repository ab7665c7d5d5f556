"""The app's logger and its default handler.

``app.logger`` is the :mod:`logging` logger named after the app. Unless logging is already
configured for it, erlen adds :data:`default_handler`, which writes to the WSGI server's error
stream during a request and to ``sys.stderr`` otherwise. Remove it to take over::

    from erlen.logging import default_handler
    app.logger.removeHandler(default_handler)
"""

from __future__ import annotations

import logging
import sys
import typing as t

if t.TYPE_CHECKING:
    from .app import Erlen

__all__ = ["create_logger", "default_handler", "has_level_handler", "wsgi_errors_stream"]


class _WSGIErrorsStream:
    """A stream that writes to the current request's ``wsgi.errors``, else ``sys.stderr``.

    The target is looked up on every call, so one handler serves every request.
    """

    __slots__ = ()

    @staticmethod
    def _get_current_object() -> t.TextIO:
        from .globals import _cv_request

        ctx = _cv_request.get(None)
        if ctx is not None:
            # NOTE: under ASGI there is no server error stream; fall back to stderr.
            environ = getattr(ctx.request, "environ", None)
            if environ:
                stream = environ.get("wsgi.errors")
                if stream is not None:
                    return stream
        return sys.stderr

    def write(self, s: str) -> int:
        return self._get_current_object().write(s)

    def flush(self) -> None:
        self._get_current_object().flush()

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._get_current_object(), name)

    def __repr__(self) -> str:
        return f"<wsgi_errors_stream {self._get_current_object()!r}>"


#: The current request's ``environ["wsgi.errors"]`` when a request context is active,
#: else ``sys.stderr``.
wsgi_errors_stream: t.TextIO = _WSGIErrorsStream()  # type: ignore[assignment]


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler on ``logger`` or an ancestor it propagates to handles its level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


#: Logs to :data:`wsgi_errors_stream` as ``[time] LEVEL in module: message``.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def create_logger(app: Erlen) -> logging.Logger:
    """The logger named ``app.name``, set to ``DEBUG`` in debug mode when it has no level,
    with :data:`default_handler` added when nothing handles its level yet.
    """
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
