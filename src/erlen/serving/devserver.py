"""The development server behind ``app.run()`` and ``erlen run``: uvicorn over the ASGI entry.

The app is served through its ASGI entry by uvicorn with h11 (HTTP/1.1 with keep-alive) and
wsproto (WebSockets, when installed), on a socket this module binds with a backlog of 2048, so a
busy port is an ``OSError`` the command turns into one line. The pieces around uvicorn are
erlen's: the stricter HTTP parser and the request-head timeout (:mod:`.devprotocol`), the debug
page and the terminal-safe access log (:mod:`.devpage`), the reloader (:mod:`.reloader`) and the
startup banner. It is for local work, not production: see docs/deployment.md.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import ssl
import sys
import typing as t

from .reloader import RELOADER_ENV, restart_loop, start_watcher

# NOTE: kept under its old name: the CLI and the tests ask for it here.
_RELOADER_ENV = RELOADER_ENV

BACKLOG = 2048
KEEP_ALIVE_TIMEOUT = 5
# NOTE: h11's default limit for a request head; a longer request line or head is a 400.
MAX_HEAD_SIZE = 16 * 1024

_DEPLOY_WARNING = (
    "WARNING: This is a development server. Do not use it in a production deployment."
    " Use a production server instead (gunicorn, granian, uvicorn, hypercorn):"
    " see docs/deployment.md."
)


def _make_ssl_context(ssl_context: t.Any) -> ssl.SSLContext:
    """An ``SSLContext`` from a context, a ``(cert, key)`` pair or ``"adhoc"``."""
    if isinstance(ssl_context, ssl.SSLContext):
        return ssl_context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if ssl_context == "adhoc":
        from .adhoc import adhoc_certificate

        cert, key = adhoc_certificate()
        context.load_cert_chain(cert, key)
    else:
        cert, key = ssl_context
        context.load_cert_chain(cert, key)
    return context


class BindError(SystemExit):
    """The server cannot listen on ``host:port`` (busy port, address not here, no permission).

    A ``SystemExit`` with a one-line message: uncaught (``python app.py``), Python prints it
    and exits with status 1, no traceback; ``erlen run`` shows :meth:`message` as its error.
    """

    def __init__(self, host: str, port: int, error: OSError) -> None:
        self.host, self.port, self.error = host, port, error
        super().__init__(self.message())

    def message(self, port_option: str = "") -> str:
        """The line to show; ``port_option`` names how to pick another port (``'--port'``)."""
        if self.error.errno == errno.EADDRINUSE:
            how = f" with {port_option}" if port_option else ""
            return (
                f"Address already in use: port {self.port} on {self.host} is taken by another"
                f" program; stop it or pick another port{how}."
            )
        return f"Cannot listen on {self.host}:{self.port}: {self.error.strerror}."


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket; :class:`BindError` when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as e:
        if e.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise BindError(host, port, e) from None
        raise
    sock.set_inheritable(True)
    return sock


def _has_wsproto() -> bool:
    try:
        import wsproto  # noqa: F401
    except ImportError:
        return False
    return True


def _has_websocket_routes(app: t.Any) -> bool:
    url_map = getattr(app, "url_map", None)
    return url_map is not None and any(rule.websocket for rule in url_map.iter_rules())


def _asgi_entry(app: t.Any) -> t.Any:
    """The ASGI 3 callable to serve: an erlen app's ``asgi_app``, or ``app`` itself."""
    return getattr(app, "asgi_app", app)


def make_server(
    app: t.Any,
    sock: socket.socket,
    *,
    debug: bool = False,
    ssl_context: t.Any = None,
    access_log: bool = True,
) -> t.Any:
    """A ready ``uvicorn.Server`` for ``app`` on the bound ``sock`` (call ``.run(sockets=[sock])``
    or ``await .serve(sockets=[sock])``)."""
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - a runtime dependency
        raise RuntimeError(
            "The development server needs uvicorn and h11: pip install uvicorn h11"
        ) from None
    from .devpage import DevServerApp
    from .devprotocol import DevH11Protocol

    # NOTE: WebSockets need the extra: pip install "erlen[websockets]"
    ws = "wsproto" if _has_wsproto() else "none"
    config = uvicorn.Config(
        DevServerApp(_asgi_entry(app), debug=debug, access_log=access_log),
        http=DevH11Protocol,
        ws=ws,
        lifespan="auto",
        interface="asgi3",
        backlog=BACKLOG,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        timeout_graceful_shutdown=3,
        h11_max_incomplete_event_size=MAX_HEAD_SIZE,
        access_log=False,  # NOTE: uvicorn's line shows the decoded path: ours escapes it
        log_config=None,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )
    config.load()
    if ssl_context is not None:
        config.ssl = _make_ssl_context(ssl_context)
    return uvicorn.Server(config)


def _banner(app: t.Any, host: str, port: int, scheme: str) -> None:
    shown_host = f"[{host}]" if ":" in host else host
    lines = [f" * Serving erlen app '{getattr(app, 'name', app)}'", _DEPLOY_WARNING]
    if host in ("0.0.0.0", "::"):
        lines.append(f" * Running on all addresses ({host})")
        local = "[::1]" if host == "::" else "127.0.0.1"
        lines.append(f" * Running on {scheme}://{local}:{port}")
    lines.append(f" * Running on {scheme}://{shown_host}:{port}")
    if _has_websocket_routes(app) and not _has_wsproto():
        lines.append(' * WebSockets are off: pip install "erlen[websockets]" (wsproto)')
    lines.append("Press CTRL+C to quit")
    print("\n".join(lines), file=sys.stderr, flush=True)


def run_simple(
    host: str,
    port: int,
    app: t.Any,
    use_reloader: bool | None = False,
    use_debugger: bool = False,
    threaded: bool = True,
    ssl_context: t.Any = None,
    extra_files: t.Iterable[str] | None = None,
    exclude_patterns: t.Iterable[str] | None = None,
    reloader_interval: float = 1.0,
    **_ignored: t.Any,
) -> None:
    """Serve ``app`` on ``host:port`` until interrupted; restart on code changes if asked.

    ``ssl_context`` is an ``ssl.SSLContext``, a ``(cert_file, key_file)`` pair or ``"adhoc"``.
    ``use_debugger`` shows the debug page (traceback and request, no console) to loopback
    clients. Sync views run in the ASGI entry's bounded thread pool, async views and WebSockets
    on the event loop; ``threaded=False`` (``--without-threads``) makes that pool one thread, so
    sync views run one at a time as on Werkzeug's unthreaded server.
    """
    if use_reloader and os.environ.get(RELOADER_ENV) != "true":
        # NOTE: a busy port is reported once, here, rather than by every restarted child.
        _bind(host, port).close()
        print(" * Restarting with reloader", file=sys.stderr, flush=True)
        sys.exit(restart_loop(extra_files or (), exclude_patterns or (), reloader_interval))
    if not threaded and hasattr(app, "config"):
        # NOTE: sets the pool size before the first request makes the pool.
        app.config["ASGI_MAX_THREADS"] = 1
    sock = _bind(host, port)
    try:
        server = make_server(app, sock, debug=use_debugger, ssl_context=ssl_context)
        if use_reloader:
            start_watcher(extra_files or (), exclude_patterns or (), reloader_interval)
        _banner(app, host, sock.getsockname()[1], "https" if ssl_context is not None else "http")
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except KeyboardInterrupt:
            pass
    finally:
        sock.close()
