"""Test helpers: run an app in-process with :class:`Client` and read :class:`TestResponse` objects.

``app.test_client()`` returns an :class:`ErlenClient` (``FlaskClient`` is the same class), which
runs the app as a plain WSGI callable, so nothing here depends on the app's internals except the
two hooks below. This module is the public face of testing: :class:`EnvironBuilder` (test
arguments to a WSGI environ) lives in :mod:`erlen.testing.environ`, multipart encoding in
:mod:`erlen.testing.multipart` and the cookie jar in :mod:`erlen.testing.cookies`; all are re-exported.

Invariants kept by the client:

- The client reads the whole body of every response and closes the app's iterable before
  ``open`` returns (``buffered`` is accepted for compatibility; every response is buffered).
- Cookies follow RFC 6265 as described in :mod:`erlen.testing.cookies`.

The contract for ``with client:`` (the app side, implemented in ``Erlen.wsgi_app``)
------------------------------------------------------------------------------------

While ``with client:`` is active the client puts a callable under the environ key
``"werkzeug.debug.preserve_context"`` (the key Flask uses). At the end of a request, *after*
the response is finalized and *before* popping the request context (in the ``finally`` of
``wsgi_app``, also when the view raised), the app must do::

    if "werkzeug.debug.preserve_context" in environ:
        environ["werkzeug.debug.preserve_context"](_cv_app.get())
        environ["werkzeug.debug.preserve_context"](_cv_request.get())
    ctx.pop(error)        # popped normally: teardown runs as usual

i.e. hand over the active app context first, then the request context, then pop as usual. The
client re-pushes the handed-over contexts (app context first, then request context) once the
response has been read, in the test's own context, so ``request``, ``session`` and ``g`` work;
it pops them before the next request and on leaving the ``with`` block. As in Flask, teardown
functions therefore run at the end of the request and again when the preserved context is popped.
Only the contexts of the *last* request (after redirects) are kept.

``session_transaction`` needs ``app.test_request_context(*args, **kwargs)`` (built from
``EnvironBuilder(app, *args, **kwargs)``), ``app.session_interface`` and ``app.response_class``.
"""

from __future__ import annotations

import functools
import io
import typing as t
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from copy import copy
from urllib.parse import urljoin, urlsplit

from click.testing import CliRunner, Result

from ..http.datastructures import Headers
from ..wrappers import Response
from .cookies import Cookie, add_cookies_to_environ, store_response_cookies
from .environ import (
    PRESERVE_CONTEXT_KEY,
    EnvironBuilder,
    _hostname,
    _request_origin,
)
from .multipart import encode_multipart, stream_encode_multipart

if t.TYPE_CHECKING:
    from ..wrappers import Request

__all__ = [
    "Client",
    "ClientRedirectError",
    "Cookie",
    "EnvironBuilder",
    "ErlenCliRunner",
    "ErlenClient",
    "FlaskCliRunner",
    "FlaskClient",
    "TestResponse",
    "encode_multipart",
    "run_wsgi_app",
    "stream_encode_multipart",
]

WSGIApp = t.Callable[[dict[str, t.Any], t.Callable[..., t.Any]], Iterable[bytes]]

_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})
# Werkzeug's positional order, used by Client.open(path, base_url, query_string, method, ...).
_WERKZEUG_ARGS = (
    "path",
    "base_url",
    "query_string",
    "method",
    "input_stream",
    "content_type",
    "content_length",
    "errors_stream",
    "multithread",
    "multiprocess",
    "run_once",
    "headers",
    "data",
    "environ_base",
    "environ_overrides",
    "mimetype",
    "json",
    "auth",
)


def run_wsgi_app(
    app: WSGIApp, environ: dict[str, t.Any], buffered: bool = False
) -> tuple[list[bytes], str, Headers]:
    """Call a WSGI app and return ``(body_chunks, status, headers)``.

    The body is read completely and the app's iterable closed before this returns, so the app's
    cleanup has run; ``buffered`` is accepted for compatibility.
    """
    started: list[tuple[str, list[tuple[str, str]]]] = []
    body: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        # NOTE: nothing is sent before the app finishes, so a later call (with exc_info, from
        # an error handler) simply replaces the status and headers, as PEP 3333 allows.
        started[:] = [(status, list(headers))]
        return body.append

    app_iter = app(environ, start_response)
    try:
        for chunk in app_iter:
            body.append(chunk)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("The application returned without calling start_response().")
    status, headers = started[0]
    return body, status, Headers(headers)


class TestResponse(Response):
    """A response returned by the test client.

    >>> response = client.get("/")           # doctest: +SKIP
    >>> response.status_code, response.text, response.request.path   # doctest: +SKIP
    (200, 'Hello', '/')
    """

    __test__ = False  # NOTE: not a pytest test class, despite its name

    #: The request that produced this response.
    request: Request
    #: The redirect responses that led here, oldest first (``follow_redirects=True``).
    history: tuple[TestResponse, ...]

    def __init__(
        self,
        response: t.Any = None,
        status: int | str | None = None,
        headers: t.Any = None,
        request: Request | None = None,
        history: tuple[TestResponse, ...] = (),
        **kwargs: t.Any,
    ) -> None:
        super().__init__(response, status, headers, **kwargs)
        self.request = t.cast("Request", request)
        self.history = history
        self._request_body: bytes | None = None

    @property
    def text(self) -> str:
        """The body decoded as text (``get_data(as_text=True)``)."""
        return t.cast(str, self.get_data(as_text=True))


_wrapper_classes: dict[type[Response], type[TestResponse]] = {}


def _wrapper_class(response_class: type[Response]) -> type[TestResponse]:
    """A TestResponse that is also an instance of ``response_class`` (``app.response_class``)."""
    cls = _wrapper_classes.get(response_class)
    if cls is None:
        name = f"Test{response_class.__name__}"
        cls = _wrapper_classes[response_class] = type(name, (TestResponse, response_class), {})
    return cls


def _shortcut(method: str) -> t.Callable[..., TestResponse]:
    """``Client.get`` and friends: ``open`` with ``method`` set."""

    def shortcut(self: Client, *args: t.Any, **kw: t.Any) -> TestResponse:
        kw["method"] = method
        return self.open(*args, **kw)

    shortcut.__name__ = shortcut.__qualname__ = method.lower()
    shortcut.__doc__ = f"``open`` with ``method={method!r}``."
    return shortcut


class ClientRedirectError(Exception):
    """The client was asked to follow a redirect loop."""


class Client:
    """Run a WSGI application in-process and return :class:`TestResponse` objects.

    >>> client = Client(wsgi_app)             # doctest: +SKIP
    >>> client.post("/login", data={"user": "ann"}, follow_redirects=True).status_code  # doctest: +SKIP
    200

    ``open`` (and ``get``, ``post``...) take :class:`EnvironBuilder`'s arguments, an
    ``EnvironBuilder``, a WSGI environ dict or a request object. With ``use_cookies`` the client
    keeps the cookies the app sets and sends them back.
    """

    def __init__(
        self,
        application: WSGIApp,
        response_wrapper: type[Response] | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
    ) -> None:
        self.application = application
        if response_wrapper is None or response_wrapper is TestResponse:
            self.response_wrapper: type[TestResponse] = TestResponse
        elif issubclass(response_wrapper, TestResponse):
            self.response_wrapper = response_wrapper
        else:
            self.response_wrapper = _wrapper_class(response_wrapper)
        self._cookies: dict[tuple[str, str, str], Cookie] | None = {} if use_cookies else None
        self.allow_subdomain_redirects = allow_subdomain_redirects

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"

    # -- cookie jar ----------------------------------------------------------------------------

    def _jar(self) -> dict[tuple[str, str, str], Cookie]:
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        return self._cookies

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """The cookie stored for ``(domain, path, key)``, or ``None``."""
        cookie = self._jar().get((domain.lstrip(".").lower(), path, key))
        if cookie is not None and cookie._should_delete:
            return None
        return cookie

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: t.Any,
    ) -> None:
        """Store a cookie as if the app had set it; ``kwargs`` go to ``dump_cookie``.

        ``origin_only=False`` sends it to subdomains of ``domain`` too.
        """
        from ..http.cookies import dump_cookie

        jar = self._jar()
        header = dump_cookie(key, value, domain=domain, path=path, **kwargs)
        cookie = Cookie._from_response_header(domain.lstrip(".").lower(), "/", header)
        cookie.origin_only = origin_only
        if cookie._should_delete:
            jar.pop(cookie._storage_key, None)
        else:
            jar[cookie._storage_key] = cookie

    def delete_cookie(self, key: str, *, domain: str = "localhost", path: str = "/") -> None:
        """Remove the cookie stored for ``(domain, path, key)``, if any."""
        self._jar().pop((domain.lstrip(".").lower(), path, key), None)

    def _add_cookies_to_wsgi(self, environ: dict[str, t.Any]) -> None:
        """Put the jar's cookies that match the request in ``HTTP_COOKIE``."""
        if self._cookies is not None:
            add_cookies_to_environ(self._cookies, environ)

    def _update_cookies_from_response(
        self, server_name: str, path: str, headers: Iterable[str]
    ) -> None:
        """Store (or delete) the cookies of ``Set-Cookie`` header values."""
        if self._cookies is not None:
            store_response_cookies(self._cookies, server_name, path, headers)

    # -- requests ---------------------------------------------------------------------------------

    def _builder(self, *args: t.Any, **kwargs: t.Any) -> EnvironBuilder:
        """An EnvironBuilder from ``open``'s arguments (Werkzeug's positional order)."""
        if len(args) > len(_WERKZEUG_ARGS):
            raise TypeError("too many positional arguments")
        for name, value in zip(_WERKZEUG_ARGS, args, strict=False):
            if name in kwargs:
                raise TypeError(f"got multiple values for argument {name!r}")
            kwargs[name] = value
        return EnvironBuilder(**kwargs)

    def _request_from(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> Request:
        """The request ``open`` was asked to send."""
        if len(args) == 1 and not kwargs:
            arg = args[0]
            if isinstance(arg, EnvironBuilder):
                return arg.get_request()
            if isinstance(arg, dict):
                return EnvironBuilder.from_environ(arg).get_request()
            if hasattr(arg, "environ") and not isinstance(arg, str):
                return t.cast("Request", arg)
        builder = self._builder(*args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def run_wsgi_app(
        self, environ: dict[str, t.Any], buffered: bool = False
    ) -> tuple[list[bytes], str, Headers]:
        """Run the app for ``environ`` with the jar's cookies and store the cookies it sets."""
        self._add_cookies_to_wsgi(environ)
        result = run_wsgi_app(self.application, environ, buffered)
        _, host, path = _request_origin(environ)
        self._update_cookies_from_response(_hostname(host), path, result[2].getlist("Set-Cookie"))
        return result

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        """Send a request and return the response; ``follow_redirects`` follows 3xx responses.

        Only redirects to the same host are followed (subdomains with
        ``allow_subdomain_redirects``); 301/302/303/305 become GET without a body (HEAD stays
        HEAD), 307/308 keep the method and body. ``response.history`` lists the redirects.
        """
        request = self._request_from(args, kwargs)
        environ = request.environ
        body: bytes | None = None
        stream = environ.get("wsgi.input")
        if isinstance(stream, io.BytesIO) and not stream.closed:
            # NOTE: kept so a 307/308 redirect can send the same body again.
            body = stream.getvalue()[stream.tell() :]
        chunks, status, headers = self.run_wsgi_app(environ, buffered=buffered)
        response = self.response_wrapper(chunks, status, headers, request=request)
        response._request_body = body
        if not follow_redirects:
            return response

        history: list[TestResponse] = []
        seen: set[tuple[str, int]] = set()
        while response.status_code in _REDIRECT_CODES and response.location:
            entry = (response.location, response.status_code)
            if entry in seen:
                raise ClientRedirectError(
                    f"Loop detected: A {response.status_code} redirect"
                    f" to {response.location} was already made."
                )
            seen.add(entry)
            history.append(response)
            response = self.resolve_redirect(response, buffered=buffered)
        response.history = tuple(history)
        return response

    def resolve_redirect(self, response: TestResponse, buffered: bool = False) -> TestResponse:
        """Send the request a redirect response points to."""
        environ = response.request.environ
        scheme, host, path = _request_origin(environ)
        location = urljoin(f"{scheme}://{host}{path}", t.cast(str, response.location))
        target = urlsplit(location)
        builder = EnvironBuilder.from_environ(environ, query_string=target.query)

        to_host = _hostname(target.netloc) if target.netloc else builder.server_name
        from_host = builder.server_name.lower()
        if to_host != from_host:
            if to_host.endswith("." + from_host):
                if not self.allow_subdomain_redirects:
                    raise RuntimeError("Following subdomain redirects is not enabled.")
            else:
                raise RuntimeError("Following external redirects is not supported.")
        if target.netloc:
            builder.url_scheme = target.scheme or scheme
            builder.host = target.netloc

        target_path = target.path or "/"
        root = builder.script_root
        if root and (target_path == root or target_path.startswith(root + "/")):
            builder.path = target_path[len(root) :] or "/"
        else:
            builder.path = target_path
            builder.script_root = ""

        if response.status_code in (307, 308):
            if response._request_body is not None:
                builder.input_stream = io.BytesIO(response._request_body)
        else:
            if builder.method != "HEAD":
                builder.method = "GET"
            builder.input_stream = None
            builder.content_type = None
            builder.content_length = None
            builder.headers.remove("Transfer-Encoding")
        return self.open(builder, buffered=buffered)

    get = _shortcut("GET")
    post = _shortcut("POST")
    put = _shortcut("PUT")
    patch = _shortcut("PATCH")
    delete = _shortcut("DELETE")
    head = _shortcut("HEAD")
    options = _shortcut("OPTIONS")
    trace = _shortcut("TRACE")


@functools.lru_cache(maxsize=1)
def _erlen_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("erlen")
    except PackageNotFoundError:
        return "dev"


class ErlenClient(Client):
    """The client ``app.test_client()`` returns (``FlaskClient`` is the same class).

    Requests are built with the app's ``SERVER_NAME``, ``APPLICATION_ROOT`` and
    ``PREFERRED_URL_SCHEME``, from ``environ_base`` (``REMOTE_ADDR`` 127.0.0.1 and an
    ``Erlen/<version>`` user agent). ``with client:`` keeps the last request's context pushed so
    ``request`` and ``session`` can be inspected (see the module docstring for the app's side).

    >>> with app.test_client() as client:      # doctest: +SKIP
    ...     client.get("/?user=ann")
    ...     assert request.args["user"] == "ann"
    """

    application: t.Any

    def __init__(self, *args: t.Any, asgi: bool = False, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: Drive the app through its ASGI entry instead of WSGI (see :mod:`erlen.testing.asgi`).
        self.asgi = asgi
        self.preserve_context = False
        self._new_contexts: list[t.Any] = []
        self._context_stack = ExitStack()
        self.environ_base: dict[str, t.Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Erlen/{_erlen_version()}",
        }

    @contextmanager
    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> Iterator[t.Any]:
        """Open the session the next request would see, let the test change it, save it.

        Arguments are ``app.test_request_context``'s.

        >>> with client.session_transaction() as session:   # doctest: +SKIP
        ...     session["user_id"] = 1
        """
        if self._cookies is None:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        app = self.application
        interface = app.session_interface
        ctx = app.test_request_context(*args, **kwargs)
        environ = ctx.request.environ
        self._add_cookies_to_wsgi(environ)
        with ctx:
            session = interface.open_session(app, ctx.request)
        if session is None:
            raise RuntimeError("Session backend did not open a session. Check the configuration.")
        yield session
        if interface.is_null_session(session):
            return
        response = app.response_class()
        with ctx:
            interface.save_session(app, session, response)
        _, host, path = _request_origin(environ)
        self._update_cookies_from_response(
            _hostname(host), path, response.headers.getlist("Set-Cookie")
        )

    def _copy_environ(self, other: dict[str, t.Any]) -> dict[str, t.Any]:
        environ = {**self.environ_base, **other}
        if self.preserve_context:
            environ[PRESERVE_CONTEXT_KEY] = self._new_contexts.append
        return environ

    def _request_from(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> Request:
        if args and isinstance(args[0], EnvironBuilder):
            builder = copy(args[0])
            builder.environ_base = self._copy_environ(builder.environ_base or {})
            return builder.get_request()
        if args and isinstance(args[0], dict):
            return EnvironBuilder.from_environ(
                args[0], app=self.application, environ_base=self._copy_environ({})
            ).get_request()
        if args and hasattr(args[0], "environ") and not isinstance(args[0], str):
            request = copy(args[0])
            request.environ = self._copy_environ(request.environ)
            return t.cast("Request", request)
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base") or {})
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def run_wsgi_app(
        self, environ: dict[str, t.Any], buffered: bool = False
    ) -> tuple[list[bytes], str, Headers]:
        # NOTE: only the contexts of the request that runs now are kept; earlier ones (of a
        # redirect chain, or of a request that raised) were popped by the app already.
        self._new_contexts.clear()
        if not self.asgi:
            return super().run_wsgi_app(environ, buffered)
        from .asgi import run_asgi_app

        self._add_cookies_to_wsgi(environ)
        result = run_asgi_app(self.application, environ)
        _, host, path = _request_origin(environ)
        self._update_cookies_from_response(_hostname(host), path, result[2].getlist("Set-Cookie"))
        return result

    def websocket(self, *args: t.Any, subprotocols: t.Sequence[str] = (), **kwargs: t.Any) -> t.Any:
        """Open a test WebSocket to the app's handler for ``path`` (always over ASGI).

        >>> with client.websocket("/echo") as ws:      # doctest: +SKIP
        ...     ws.send("hi"); assert ws.receive() == "hi"
        """
        from .asgi import TestWebSocket, scope_from_environ

        request = self._request_from(args, kwargs)
        environ = request.environ
        self._add_cookies_to_wsgi(environ)
        scope = scope_from_environ(environ, "websocket")
        scope["subprotocols"] = list(subprotocols)
        scope["extensions"]["websocket.http.response"] = {}
        return TestWebSocket(self.application, scope)

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> TestResponse:
        request = self._request_from(args, kwargs)
        # Pop the contexts kept from the previous request before running the next one.
        self._context_stack.close()
        response = super().open(request, buffered=buffered, follow_redirects=follow_redirects)
        response.json_module = self.application.json
        for ctx in self._new_contexts:
            self._context_stack.enter_context(ctx)
        self._new_contexts.clear()
        return response

    def __enter__(self) -> ErlenClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(self, exc_type: t.Any, exc_value: t.Any, tb: t.Any) -> None:
        self.preserve_context = False
        self._context_stack.close()


FlaskClient = ErlenClient


class ErlenCliRunner(CliRunner):
    """Invoke the app's CLI commands in tests (``app.test_cli_runner()``).

    >>> runner.invoke(args=["hello", "--name", "ann"]).output   # doctest: +SKIP
    'Hello, ann!\\n'
    """

    def __init__(self, app: t.Any, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> Result:
        """Run ``cli`` (default ``app.cli``) with ``args``; ``obj`` defaults to a ScriptInfo."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            from ..cli import ScriptInfo

            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)


FlaskCliRunner = ErlenCliRunner
