"""``ProxyFix``: take the client's address, scheme, host, port and prefix from the
``X-Forwarded-*`` headers that a known number of proxies in front of the app set.

SECURITY: each ``x_*`` argument is how many proxies set that header. The value used is the one
the outermost trusted proxy appended: the ``n``-th from the right of the comma-separated list.
A list shorter than ``n`` means the request did not come through the proxies as configured (a
client sent the header itself), and the header is ignored. Never trust more proxies than there
are: a client can write anything to the left of what they append. The values replaced are kept
in ``environ["werkzeug.proxy_fix.orig"]`` (Werkzeug's key, which apps and extensions read).
A forwarded host is not trusted blindly either: erlen answers 400 to a malformed one and checks
it against ``TRUSTED_HOSTS``, as it does for ``Host``.
"""

from __future__ import annotations

import typing as t

__all__ = ["ProxyFix"]

ORIGINAL_KEY = "werkzeug.proxy_fix.orig"


def _split_host_port(host: str) -> tuple[str, str | None]:
    """``("example.com", "8080")`` from ``"example.com:8080"``; IPv6 brackets kept."""
    if host.startswith("["):
        end = host.find("]")
        if end >= 0 and host[end + 1 : end + 2] == ":":
            return host[: end + 1], host[end + 2 :]
        return host, None
    name, colon, port = host.rpartition(":")
    return (name, port) if colon and ":" not in name else (host, None)


class ProxyFix:
    """Wrap a WSGI app so it sees the values the trusted proxies forwarded.

    ======================  =====================  ==========================================
    argument (default)      header                 sets
    ======================  =====================  ==========================================
    ``x_for`` (1)           ``X-Forwarded-For``    ``REMOTE_ADDR``
    ``x_proto`` (1)         ``X-Forwarded-Proto``  ``wsgi.url_scheme``
    ``x_host`` (0)          ``X-Forwarded-Host``   ``HTTP_HOST``, ``SERVER_NAME``, ``SERVER_PORT``
    ``x_port`` (0)          ``X-Forwarded-Port``   the port in ``HTTP_HOST``, ``SERVER_PORT``
    ``x_prefix`` (0)        ``X-Forwarded-Prefix`` ``SCRIPT_NAME``
    ======================  =====================  ==========================================

    >>> from erlen import Erlen
    >>> app = Erlen(__name__)
    >>> app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    """

    def __init__(
        self,
        app: t.Callable[..., t.Iterable[bytes]],
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix

    @staticmethod
    def _trusted_value(value: str | None, trusted: int) -> str | None:
        """The entry the outermost of ``trusted`` proxies appended, or ``None``."""
        if not value or trusted <= 0:
            return None
        entries = value.split(",")
        if len(entries) < trusted:
            return None
        return entries[-trusted].strip() or None

    def __call__(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Iterable[bytes]:
        environ[ORIGINAL_KEY] = {
            key: environ.get(key)
            for key in (
                "REMOTE_ADDR",
                "wsgi.url_scheme",
                "HTTP_HOST",
                "SERVER_NAME",
                "SERVER_PORT",
                "SCRIPT_NAME",
            )
        }
        forwarded_for = self._trusted_value(environ.get("HTTP_X_FORWARDED_FOR"), self.x_for)
        if forwarded_for:
            environ["REMOTE_ADDR"] = forwarded_for
        proto = self._trusted_value(environ.get("HTTP_X_FORWARDED_PROTO"), self.x_proto)
        if proto:
            environ["wsgi.url_scheme"] = proto
        host = self._trusted_value(environ.get("HTTP_X_FORWARDED_HOST"), self.x_host)
        if host:
            environ["HTTP_HOST"] = environ["SERVER_NAME"] = host
            name, port = _split_host_port(host)
            if port is not None:
                environ["SERVER_NAME"], environ["SERVER_PORT"] = name, port
        port = self._trusted_value(environ.get("HTTP_X_FORWARDED_PORT"), self.x_port)
        if port:
            current = environ.get("HTTP_HOST")
            if current:
                environ["HTTP_HOST"] = f"{_split_host_port(current)[0]}:{port}"
            environ["SERVER_PORT"] = port
        prefix = self._trusted_value(environ.get("HTTP_X_FORWARDED_PREFIX"), self.x_prefix)
        if prefix:
            # NOTE: replaces the server's SCRIPT_NAME, as Werkzeug does: the proxy's prefix is
            # the whole path the app is mounted at.
            environ["SCRIPT_NAME"] = prefix
        return self.app(environ, start_response)
