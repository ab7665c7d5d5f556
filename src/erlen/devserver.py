"""The development server behind ``app.run()`` and ``erlen run``: threaded, with a reloader.

Built on the standard library's WSGI server. It is for local work, not production: use
gunicorn, granian or uvicorn there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import typing as t
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

_RELOADER_ENV = "ERLEN_RUN_MAIN"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: t.Any) -> None:
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def _watched_files() -> set[str]:
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and os.path.isfile(path):
            files.add(path)
    return files


def _watch_and_exit(interval: float = 1.0) -> None:
    """Exit with code 3 when a loaded module's file changes; the parent restarts us."""
    mtimes: dict[str, float] = {}
    while True:
        for path in _watched_files():
            try:
                mtime = os.stat(path).st_mtime
            except OSError:
                continue
            old = mtimes.setdefault(path, mtime)
            if mtime != old:
                print(f" * Detected change in {path!r}, reloading", file=sys.stderr)
                os._exit(3)
        time.sleep(interval)


def _restart_loop() -> int:
    while True:
        env = dict(os.environ, **{_RELOADER_ENV: "true"})
        code = subprocess.call([sys.executable, *sys.argv], env=env)
        if code != 3:
            return code


def run_simple(
    host: str,
    port: int,
    app: t.Any,
    use_reloader: bool | None = False,
    threaded: bool = True,
    **_ignored: t.Any,
) -> None:
    """Serve ``app`` on ``host:port`` until interrupted; restart on code changes if asked."""
    if use_reloader and os.environ.get(_RELOADER_ENV) != "true":
        print(" * Restarting with reloader", file=sys.stderr)
        sys.exit(_restart_loop())
    server_class = _ThreadingWSGIServer if threaded else WSGIServer
    server = make_server(host, port, app, server_class=server_class, handler_class=_Handler)
    if use_reloader:
        threading.Thread(target=_watch_and_exit, daemon=True).start()
    shown_host = f"[{host}]" if ":" in host else host
    print(f" * Serving erlen app '{getattr(app, 'name', app)}'", file=sys.stderr)
    print(f" * Running on http://{shown_host}:{server.server_port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
