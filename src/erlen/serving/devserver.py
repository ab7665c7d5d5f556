"""The development server behind ``app.run()`` and ``erlen run``: threaded, with a reloader.

Built on the standard library's WSGI server. It is for local work, not production: use
gunicorn, granian or uvicorn there.
"""

from __future__ import annotations

import fnmatch
import io
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import typing as t
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")

_RELOADER_ENV = "ERLEN_RUN_MAIN"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _ChunkedReader(io.RawIOBase):
    """Decodes a ``Transfer-Encoding: chunked`` request body (the stdlib server does not).

    A malformed or cut-short body raises ``OSError``, which erlen answers with a 400.
    """

    def __init__(self, rfile: t.Any) -> None:
        self._rfile = rfile
        self._left = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        line = self._rfile.readline(1026)
        size_text = line.split(b";", 1)[0].strip()
        # SECURITY: 1*HEXDIG only (RFC 9112 7.1); int() would also take "+a", "1_0" or " a".
        if not _CHUNK_SIZE.fullmatch(size_text):
            raise OSError("malformed chunk size")
        size = int(size_text, 16)
        if size == 0:
            while self._rfile.readline(8194) not in (b"\r\n", b"\n", b""):
                pass  # trailer fields are ignored
            self._done = True
        self._left = size

    def readinto(self, buffer: t.Any) -> int:
        if self._done:
            return 0
        if self._left == 0:
            self._next_chunk()
            if self._done:
                return 0
        view = memoryview(buffer).cast("B")
        data = self._rfile.read(min(len(view), self._left))
        if not data:
            raise OSError("request body ended inside a chunk")
        view[: len(data)] = data
        self._left -= len(data)
        if self._left == 0 and self._rfile.readline(3) not in (b"\r\n", b"\n"):
            raise OSError("missing CRLF after a chunk")
        return len(data)


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle(self) -> None:
        """One request per connection, with chunked request bodies decoded."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        environ = self.get_environ()
        if isinstance(self.connection, ssl.SSLSocket):
            environ["HTTPS"] = "on"  # wsgiref derives wsgi.url_scheme from it
        stdin: t.Any = self.rfile
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            stdin = io.BufferedReader(_ChunkedReader(stdin))
            environ["wsgi.input_terminated"] = True
        wfile: t.Any = self.wfile
        handler = ServerHandler(stdin, wfile, self.get_stderr(), environ, multithread=True)
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: t.Any) -> None:
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def _watched_files(extra_files: t.Iterable[str] = ()) -> set[str]:
    files = {os.path.abspath(path) for path in extra_files}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and os.path.isfile(path):
            files.add(path)
    return files


def _watch_and_exit(
    extra_files: t.Iterable[str] = (),
    exclude_patterns: t.Iterable[str] = (),
    interval: float = 1.0,
) -> None:
    """Exit with code 3 when a loaded module's file (or an extra file) changes; the parent
    restarts us. Files matching an fnmatch pattern in ``exclude_patterns`` are not watched."""
    mtimes: dict[str, float] = {}
    patterns = list(exclude_patterns)
    while True:
        for path in _watched_files(extra_files):
            if any(fnmatch.fnmatch(path, pattern) for pattern in patterns):
                continue
            try:
                mtime = os.stat(path).st_mtime
            except OSError:
                continue
            old = mtimes.setdefault(path, mtime)
            if mtime != old:
                print(f" * Detected change in {path!r}, reloading", file=sys.stderr)
                os._exit(3)
        time.sleep(interval)


def _restart_command() -> list[str]:
    """The command line that starts this program again (``python -m erlen`` stays ``-m``)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        name = spec.name.removesuffix(".__main__")
        return [sys.executable, "-m", name, *sys.argv[1:]]
    return [sys.executable, *sys.argv]


def _restart_loop() -> int:
    while True:
        env = dict(os.environ, **{_RELOADER_ENV: "true"})
        code = subprocess.call(_restart_command(), env=env)
        if code != 3:
            return code


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
    **_ignored: t.Any,
) -> None:
    """Serve ``app`` on ``host:port`` until interrupted; restart on code changes if asked.

    ``ssl_context`` is an ``ssl.SSLContext``, a ``(cert_file, key_file)`` pair or ``"adhoc"``.
    ``use_debugger`` is accepted for Flask's signature; this server has no interactive debugger.
    """
    if use_reloader and os.environ.get(_RELOADER_ENV) != "true":
        print(" * Restarting with reloader", file=sys.stderr)
        sys.exit(_restart_loop())
    server_class = _ThreadingWSGIServer if threaded else WSGIServer
    server = make_server(host, port, app, server_class=server_class, handler_class=_Handler)
    scheme = "http"
    if ssl_context is not None:
        server.socket = _make_ssl_context(ssl_context).wrap_socket(server.socket, server_side=True)
        scheme = "https"
    if use_reloader:
        threading.Thread(
            target=_watch_and_exit,
            args=(list(extra_files or ()), list(exclude_patterns or ())),
            daemon=True,
        ).start()
    shown_host = f"[{host}]" if ":" in host else host
    print(f" * Serving erlen app '{getattr(app, 'name', app)}'", file=sys.stderr)
    print(
        f" * Running on {scheme}://{shown_host}:{server.server_port}", file=sys.stderr, flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
