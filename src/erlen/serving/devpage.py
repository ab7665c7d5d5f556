"""The dev server's ASGI wrapper: the debug error page and an access log safe for a terminal.

In debug mode an app lets an unhandled exception propagate (``PROPAGATE_EXCEPTIONS``); this
wrapper catches it and answers a loopback client with an HTML page showing the traceback and the
request (method, path, headers), and any other client with a plain 500. The page is text only:
no console, nothing on it runs code.
"""

from __future__ import annotations

import html
import ipaddress
import sys
import time
import traceback
import typing as t

_PLAIN_500 = b"Internal Server Error"


def is_loopback(client: t.Any) -> bool:
    """Whether an ASGI ``scope["client"]`` is on this machine (127.0.0.0/8, ::1, ::ffff:127.x)."""
    if not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def terminal_safe(text: str) -> str:
    """``text`` with control characters, backslashes and non-ASCII shown as escapes.

    # SECURITY: request lines come from the network; raw ESC or CR bytes written to a terminal
    # can move the cursor, rewrite earlier lines or retitle the window.
    """
    return text.translate(_CONTROLS).encode("ascii", "backslashreplace").decode("ascii")


# NOTE: the backslash too, so that an escape in the log cannot be forged by sending one.
_CONTROLS = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]} | {0x5C: "\\\\"}


def request_target(scope: t.Any) -> str:
    """The request target as the client sent it (still percent-encoded), terminal-safe."""
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    query = scope.get("query_string") or b""
    target = raw + (b"?" + query if query else b"")
    return terminal_safe(target.decode("latin-1"))


def debug_page(scope: t.Any, error: BaseException) -> bytes:
    """The HTML page for ``error`` raised while serving ``scope``: traceback and request."""
    tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    headers = "\n".join(
        f"{name.decode('latin-1')}: {value.decode('latin-1')}"
        for name, value in scope.get("headers", [])
    )
    esc = html.escape
    title = esc(f"{type(error).__name__}: {error}")
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{title} // erlen debug</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em;"
        "overflow:auto}</style></head><body>\n"
        f"<h1>{title}</h1>\n"
        f"<h2>Request</h2>\n<pre>{esc(scope.get('method', ''))} {esc(request_target(scope))}"
        f"</pre>\n<h2>Headers</h2>\n<pre>{esc(headers)}</pre>\n"
        f"<h2>Traceback</h2>\n<pre>{esc(tb)}</pre>\n"
        "<p>Shown because debug mode is on and this request came from this machine. "
        "The development server must not be used in production.</p>\n</body></html>\n"
    ).encode()


class DevServerApp:
    """Wraps an ASGI app for the dev server: debug page, plain 500, one access-log line each."""

    def __init__(self, app: t.Any, *, debug: bool, access_log: bool = True) -> None:
        self.app = app
        self.debug = debug
        self.access_log = access_log

    async def __call__(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        if scope["type"] == "websocket" and self.access_log:
            await self.app(scope, receive, self._logging_handshake(scope, send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def send_status(message: t.Any) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except Exception as e:
            traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
            if status:  # NOTE: too late for a page: the status line is on the wire
                raise
            show = self.debug and is_loopback(scope.get("client"))
            body = debug_page(scope, e) if show else _PLAIN_500
            kind = b"text/html; charset=utf-8" if show else b"text/plain; charset=utf-8"
            await send_status(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", kind),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
        finally:
            if self.access_log:
                self._log(scope, status[0] if status else None)

    def _logging_handshake(self, scope: t.Any, send: t.Any) -> t.Any:
        """``send`` that logs a WebSocket handshake's outcome once: 101 when the app accepts,
        403 when it closes first, or the status of the HTTP response it denies with."""
        logged = False

        async def send_logging(message: t.Any) -> None:
            nonlocal logged
            if not logged:
                kind = message["type"]
                status = {"websocket.accept": 101, "websocket.close": 403}.get(kind)
                if kind == "websocket.http.response.start":
                    status = message["status"]
                if status is not None:
                    logged = True
                    self._log(dict(scope, method="GET"), status)
            await send(message)

        return send_logging

    @staticmethod
    def _log(scope: t.Any, status: int | None) -> None:
        client = scope.get("client")
        who = terminal_safe(str(client[0])) if client else "-"
        when = time.strftime("%d/%b/%Y %H:%M:%S")
        line = (
            f'{who} - - [{when}] "{terminal_safe(scope.get("method", ""))} '
            f'{request_target(scope)} HTTP/{scope.get("http_version", "1.1")}" {status or "-"} -'
        )
        print(line, file=sys.stderr, flush=True)
