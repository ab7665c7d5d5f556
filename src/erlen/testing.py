"""Test helpers: build WSGI environs, run an app in-process, keep a cookie jar.

``app.test_client()`` returns an :class:`ErlenClient` (``FlaskClient`` is the same class), which
runs the app as a plain WSGI callable, so nothing here depends on the app's internals except the
two hooks below. :class:`EnvironBuilder` turns test arguments (``path``, ``query_string``,
``data``, ``json``, ``headers``, ``auth``...) into a WSGI environ the way Werkzeug's does.

Invariants kept by this module:

- An environ holds WSGI strings: ``PATH_INFO``/``SCRIPT_NAME`` are the percent-decoded UTF-8 bytes
  of the URL path decoded as latin-1; header values and ``QUERY_STRING`` likewise.
- The client reads the whole body of every response and closes the app's iterable before
  ``open`` returns (``buffered`` is accepted for compatibility; every response is buffered).
- The cookie jar keys cookies by ``(domain, path, name)``. A cookie is sent when its domain matches
  the request host (exactly, or as a parent domain when the cookie had a ``Domain`` attribute), its
  path path-matches the request path (RFC 6265 5.1.4) and it has not expired. ``Max-Age`` wins over
  ``Expires``; ``Max-Age<=0`` or a past ``Expires`` deletes the cookie. NOTE: like Werkzeug's client,
  ``Secure`` cookies are also sent over ``http://``, so an app with ``SESSION_COOKIE_SECURE`` can be
  tested on the default ``http://localhost``.
- A ``Cookie`` header passed explicitly (``headers={"Cookie": ...}``) is kept and the jar's cookies
  are appended to it (Werkzeug drops it when the jar is on).

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

import base64
import dataclasses
import functools
import io
import mimetypes
import os
import secrets
import sys
import time
import typing as t
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from copy import copy
from datetime import datetime
from urllib.parse import quote, quote_plus, unquote_to_bytes, urljoin, urlsplit

from click.testing import CliRunner, Result

from .datastructures import FileMultiDict, FileStorage, Headers, MultiDict
from .response import Response

if t.TYPE_CHECKING:
    from .request import Request

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

PRESERVE_CONTEXT_KEY = "werkzeug.debug.preserve_context"
# NOTE: the explicit Cookie header the caller passed, kept apart from the jar's cookies so a
# redirect (or re-sending a used environ) does not send the jar's cookies twice.
_USER_COOKIE_KEY = "erlen.test.user_cookie"

_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})
# Characters left unescaped in urlencoded query strings and form bodies (as Werkzeug does).
_URLENCODE_SAFE = "!$'()*,/:;?@"
# Characters left unescaped when turning a WSGI path back into a URL path.
_PATH_SAFE = "/:@!$&'()*+,;=~"
# Non-text mimetypes that still get a ``charset`` parameter.
_CHARSET_MIMETYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)
# Environ keys get_environ() regenerates; from_environ() does not carry them over.
_GENERATED_KEYS = frozenset(
    {
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "REQUEST_URI",
        "RAW_URI",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        PRESERVE_CONTEXT_KEY,
        _USER_COOKIE_KEY,
        "werkzeug.request",
    }
)
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


# -- small encoders ---------------------------------------------------------------------------------


def _wsgi_str(value: str) -> str:
    """A text value as a WSGI string: its UTF-8 bytes decoded as latin-1."""
    return value.encode("utf-8", "surrogateescape").decode("latin-1")


def _from_wsgi_str(value: str) -> str:
    """The inverse of :func:`_wsgi_str`."""
    return value.encode("latin-1").decode("utf-8", "surrogateescape")


def _decode_path(path: str) -> str:
    """A URL path (percent-encoded or not) as a WSGI ``PATH_INFO`` value."""
    return unquote_to_bytes(path).decode("latin-1")


def _encode_path(wsgi_path: str) -> str:
    """A WSGI ``PATH_INFO`` value back as a percent-encoded URL path."""
    return quote(wsgi_path.encode("latin-1"), safe=_PATH_SAFE)


def _urlencode(pairs: Iterable[tuple[t.Any, t.Any]]) -> str:
    """``application/x-www-form-urlencoded`` text for (key, value) pairs, UTF-8 encoded."""

    def enc(value: t.Any) -> str:
        if not isinstance(value, (str, bytes)):
            value = str(value)
        return quote_plus(value, safe=_URLENCODE_SAFE)

    return "&".join(f"{enc(key)}={enc(value)}" for key, value in pairs)


def _content_type_with_charset(mimetype: str) -> str:
    """``text/html`` -> ``text/html; charset=utf-8``; types without text keep no charset."""
    if (
        mimetype.startswith("text/") or mimetype in _CHARSET_MIMETYPES or mimetype.endswith("+xml")
    ) and "charset" not in mimetype:
        return f"{mimetype}; charset=utf-8"
    return mimetype


def _iter_data(data: t.Any) -> Iterator[tuple[str, t.Any]]:
    """(key, value) pairs of a dict or MultiDict; a list value gives one pair per item."""
    if isinstance(data, MultiDict):
        yield from data.items(multi=True)
        return
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                yield key, item
        else:
            yield key, value


def _is_file(value: t.Any) -> bool:
    return isinstance(value, (tuple, dict, FileStorage)) or hasattr(value, "read")


def _quote_param(value: str) -> str:
    """A Content-Disposition parameter value, escaped as browsers do (HTML5)."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(values: t.Any, boundary: str | None = None) -> tuple[str, bytes]:
    """Encode a dict or MultiDict of fields and files as ``multipart/form-data``.

    Returns ``(boundary, body)``. A value with a ``read`` method (an open file or a
    :class:`~erlen.datastructures.FileStorage`) becomes a file part; anything else a text field.

    >>> boundary, body = encode_multipart({"a": "1"}, boundary="b")
    >>> body
    b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n--b--\\r\\n'
    """
    if boundary is None:
        boundary = f"----------------ErlenFormPart_{secrets.token_hex(16)}"
    out = io.BytesIO()
    write = out.write
    delimiter = f"--{boundary}\r\n".encode("ascii")
    for name, value in _iter_data(values):
        write(delimiter)
        disposition = f'form-data; name="{_quote_param(str(name))}"'
        if hasattr(value, "read"):
            filename = getattr(value, "filename", None)
            if filename is None:
                filename = getattr(value, "name", None)
                if isinstance(filename, str):
                    filename = os.path.basename(filename)
                else:
                    filename = None
            content_type = getattr(value, "content_type", None)
            if filename is not None:
                disposition += f'; filename="{_quote_param(filename)}"'
                if not content_type:
                    content_type = mimetypes.guess_type(filename)[0]
            write(f"Content-Disposition: {disposition}\r\n".encode())
            write(f"Content-Type: {content_type or 'application/octet-stream'}\r\n\r\n".encode())
            while chunk := value.read(65536):
                write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
        else:
            if not isinstance(value, (str, bytes)):
                value = str(value)
            write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
            write(value if isinstance(value, bytes) else value.encode("utf-8"))
        write(b"\r\n")
    write(f"--{boundary}--\r\n".encode("ascii"))
    return boundary, out.getvalue()


def stream_encode_multipart(
    data: t.Any,
    use_tempfile: bool = True,
    threshold: int = 1024 * 500,
    boundary: str | None = None,
) -> tuple[t.IO[bytes], int, str]:
    """Like :func:`encode_multipart` but returns ``(stream, length, boundary)``.

    NOTE: the body is always built in memory; ``use_tempfile`` and ``threshold`` are accepted
    for compatibility with Werkzeug's signature.
    """
    boundary, body = encode_multipart(data, boundary)
    return io.BytesIO(body), len(body), boundary


# -- the environ builder ----------------------------------------------------------------------------


class EnvironBuilder:
    """Build a WSGI environ (and a request) from test arguments.

    >>> env = EnvironBuilder(path="/search?q=erlen", method="POST", data={"a": "1"}).get_environ()
    >>> env["PATH_INFO"], env["QUERY_STRING"], env["CONTENT_TYPE"], env["wsgi.input"].read()
    ('/search', 'q=erlen', 'application/x-www-form-urlencoded', b'a=1')

    The first argument is the app, as in ``flask.testing.EnvironBuilder``: its ``SERVER_NAME``,
    ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME`` config build the base URL, ``subdomain`` is
    prefixed to the host, and ``json=`` uses ``app.json``. Werkzeug's spelling without an app,
    ``EnvironBuilder("/path", method="POST")``, also works: a string first argument is the path
    (then pass the other arguments by keyword).

    ``data`` is the body (``bytes``/``str``), or a dict/MultiDict of form fields, urlencoded, or
    ``multipart/form-data`` when a value is a file: an open file, a FileStorage, a tuple
    ``(file, filename)`` / ``(file, filename, content_type)``, or a list of those.
    """

    #: The protocol in ``SERVER_PROTOCOL``.
    server_protocol = "HTTP/1.1"
    #: The ``wsgi.version`` tuple.
    wsgi_version = (1, 0)
    #: The class :meth:`get_request` builds; ``None`` means :class:`erlen.request.Request`.
    request_class: type[t.Any] | None = None

    def __init__(
        self,
        app: t.Any = None,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        query_string: t.Any = None,
        method: str = "GET",
        input_stream: t.IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: t.IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: t.Any = None,
        data: t.Any = None,
        environ_base: dict[str, t.Any] | None = None,
        environ_overrides: dict[str, t.Any] | None = None,
        mimetype: str | None = None,
        json: t.Any = None,
        auth: t.Any = None,
    ) -> None:
        if isinstance(app, str):
            # NOTE: Werkzeug's EnvironBuilder("/path", ...) has no app argument.
            if path != "/":
                raise TypeError(
                    "EnvironBuilder(path, ...) without an app takes its other arguments by"
                    " keyword; the second positional argument is the path when the first is an app."
                )
            app, path = None, app
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        self.app = app

        # A path may carry a query string, or be a full URL (scheme and host become the base).
        url_base: tuple[str, str] | None = None
        path = path.partition("#")[0]
        path, sep, query_part = path.partition("?")
        raw_query = query_part if sep else None
        if "://" in path:
            parts = urlsplit(path)
            url_base = (parts.scheme, parts.netloc)
            path = parts.path or "/"
        if raw_query is not None:
            if query_string is not None:
                raise ValueError("Query string is defined in the path and as an argument")
            query_string = raw_query

        if base_url is None:
            scheme, host, root = "http", "localhost", ""
            if app is not None:
                config = app.config
                host = config.get("SERVER_NAME") or host
                root = config.get("APPLICATION_ROOT") or ""
                scheme = config.get("PREFERRED_URL_SCHEME") or scheme
            if subdomain:
                host = f"{subdomain}.{host}"
            if url_scheme:
                scheme = url_scheme
            if url_base is not None:
                scheme = url_base[0] or scheme
                host = url_base[1] or host
            base_url = f"{scheme}://{host}/{root.lstrip('/')}"
        self.base_url = base_url
        self.path = path

        self._query_string: str | None = None
        self._args: MultiDict[str, t.Any] | None = None
        if isinstance(query_string, bytes):
            self._query_string = query_string.decode("latin-1")
        elif isinstance(query_string, str):
            self._query_string = query_string
        elif query_string is not None:
            self._args = MultiDict(query_string)

        self.method = method
        self.headers = Headers(headers)
        if content_type is not None:
            self.headers.set("Content-Type", content_type)
        if content_length is not None:
            self.headers.set("Content-Length", str(content_length))
        self.errors_stream = sys.stderr if errors_stream is None else errors_stream
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.environ_base = environ_base
        self.environ_overrides = environ_overrides
        self.input_stream = input_stream
        self._form: MultiDict[str, t.Any] | None = None
        self._files: FileMultiDict | None = None
        self.closed = False

        if auth is not None:
            self.headers.set("Authorization", _auth_header(auth))

        if json is not None:
            if data is not None:
                raise TypeError("can't provide both json and data")
            data = self.json_dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"

        if data is not None:
            if input_stream is not None:
                raise TypeError("can't provide input stream and data")
            if isinstance(data, str):
                data = data.encode("utf-8")
            if isinstance(data, (bytes, bytearray)):
                self.input_stream = io.BytesIO(data)
                if self.content_length is None:
                    self.content_length = len(data)
            else:
                for key, value in _iter_data(data):
                    if _is_file(value):
                        self._add_file(key, value)
                    else:
                        self.form.add(key, value)

        if mimetype is not None:
            self.mimetype = mimetype

    # -- construction helpers -----------------------------------------------------------------

    @classmethod
    def from_environ(cls, environ: dict[str, t.Any], **kwargs: t.Any) -> EnvironBuilder:
        """A builder that reproduces ``environ``; ``kwargs`` override what is read from it.

        Keys the builder does not generate (``REMOTE_ADDR``, custom keys) go to ``environ_base``.
        """
        headers = Headers()
        base: dict[str, t.Any] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "HTTP_HOST"):
                    headers.add(key[5:].replace("_", "-").title(), value)
            elif key not in _GENERATED_KEYS and not key.startswith("wsgi."):
                base[key] = value
        if _USER_COOKIE_KEY in environ:
            # NOTE: the jar added its cookies to HTTP_COOKIE; keep only the caller's own.
            headers.remove("Cookie")
            if environ[_USER_COOKIE_KEY]:
                headers.set("Cookie", environ[_USER_COOKIE_KEY])
        host = environ.get("HTTP_HOST")
        if not host:
            host = environ.get("SERVER_NAME", "localhost")
            port = str(environ.get("SERVER_PORT", ""))
            default = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
            if port and port != default:
                host = f"{host}:{port}"
        script = _encode_path(environ.get("SCRIPT_NAME", ""))
        content_length = environ.get("CONTENT_LENGTH")
        kwargs["environ_base"] = {**(kwargs.get("environ_base") or {}), **base}
        out: dict[str, t.Any] = {
            "path": _encode_path(environ.get("PATH_INFO", "")) or "/",
            "base_url": f"{environ.get('wsgi.url_scheme', 'http')}://{host}{script}",
            "query_string": _from_wsgi_str(environ.get("QUERY_STRING", "")),
            "method": environ.get("REQUEST_METHOD", "GET"),
            "input_stream": environ.get("wsgi.input"),
            "content_type": environ.get("CONTENT_TYPE") or None,
            "content_length": int(content_length) if content_length else None,
            "errors_stream": environ.get("wsgi.errors"),
            "multithread": environ.get("wsgi.multithread", False),
            "multiprocess": environ.get("wsgi.multiprocess", False),
            "run_once": environ.get("wsgi.run_once", False),
            "headers": headers,
        }
        out.update(kwargs)
        return cls(**out)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``json=`` data: with the app's JSON provider, else :func:`erlen.json.dumps`."""
        if self.app is not None:
            return t.cast(str, self.app.json.dumps(obj, **kwargs))
        from . import json as erlen_json

        return erlen_json.dumps(obj, **kwargs)

    def _add_file(self, key: str, value: t.Any) -> None:
        if isinstance(value, tuple):
            self.files.add_file(key, *value)
        elif isinstance(value, dict):
            self.files.add_file(key, **value)
        else:
            self.files.add_file(key, value)

    # -- URL parts ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``scheme://host/script_root/``; setting it sets ``url_scheme``, ``host``, ``script_root``."""
        return f"{self.url_scheme}://{self.host}{self.script_root}/"

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        if value is None:
            scheme, netloc, root = "http", "localhost", ""
        else:
            parts = urlsplit(value)
            if parts.query or parts.fragment:
                raise ValueError("base url must not contain a query string or fragment")
            scheme, netloc, root = parts.scheme or "http", parts.netloc or "localhost", parts.path
        self.url_scheme = scheme
        self.host = netloc
        self.script_root = root.rstrip("/")

    @property
    def server_name(self) -> str:
        """The host without its port."""
        host = self.host
        if host.startswith("["):
            return host.partition("]")[0] + "]"
        return host.partition(":")[0]

    @property
    def server_port(self) -> int:
        """The port from the host, else 443 for https and 80 otherwise."""
        rest = self.host.rpartition("]")[2] if self.host.startswith("[") else self.host
        _, sep, port = rest.partition(":")
        if sep and port.isdigit():
            return int(port)
        return 443 if self.url_scheme == "https" else 80

    @property
    def query_string(self) -> str:
        """The raw query string; built from :attr:`args` when given as a mapping."""
        if self._query_string is None:
            return _urlencode(self._args.items(multi=True)) if self._args else ""
        return self._query_string

    @query_string.setter
    def query_string(self, value: str | None) -> None:
        self._query_string = value
        self._args = None

    @property
    def args(self) -> MultiDict[str, t.Any]:
        """The query arguments as a MultiDict (when no raw query string was given)."""
        if self._query_string is not None:
            raise AttributeError("a query string is defined")
        if self._args is None:
            self._args = MultiDict()
        return self._args

    @args.setter
    def args(self, value: MultiDict[str, t.Any] | None) -> None:
        self._query_string = None
        self._args = value

    # -- body ------------------------------------------------------------------------------------

    @property
    def form(self) -> MultiDict[str, t.Any]:
        """Form fields to send (urlencoded, or multipart when there are files)."""
        if self._form is None:
            if self.input_stream is not None:
                raise AttributeError("an input stream is defined")
            self._form = MultiDict()
        return self._form

    @form.setter
    def form(self, value: MultiDict[str, t.Any]) -> None:
        self._form = value

    @property
    def files(self) -> FileMultiDict:
        """Files to send as ``multipart/form-data``."""
        if self._files is None:
            if self.input_stream is not None:
                raise AttributeError("an input stream is defined")
            self._files = FileMultiDict()
        return self._files

    @files.setter
    def files(self, value: FileMultiDict) -> None:
        self._files = value

    @property
    def content_type(self) -> str | None:
        """The Content-Type header; without one, implied by the form fields and files."""
        value = self.headers.get("Content-Type")
        if value is None and self.input_stream is None:
            if self._files:
                return "multipart/form-data"
            if self._form:
                return "application/x-www-form-urlencoded"
        return t.cast("str | None", value)

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self.headers.remove("Content-Type")
        else:
            self.headers.set("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters, lowercased."""
        value = self.content_type
        return value.split(";", 1)[0].strip().lower() if value else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.content_type = _content_type_with_charset(value)

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters (``{"charset": "utf-8"}``)."""
        from .headervalues import parse_options_header

        return parse_options_header(self.content_type or "")[1]

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int."""
        value = self.headers.get("Content-Length")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.remove("Content-Length")
        else:
            self.headers.set("Content-Length", str(value))

    def _body(self) -> tuple[t.IO[bytes], str | None, int | None]:
        """The input stream, content type and content length for the environ."""
        stream = self.input_stream
        content_type = self.content_type
        if stream is not None:
            length = self.content_length
            try:
                # NOTE: as in Werkzeug, a seekable stream's remaining size is the length.
                if stream.seekable():
                    start = stream.tell()
                    stream.seek(0, os.SEEK_END)
                    length = stream.tell() - start
                    stream.seek(start)
            except (AttributeError, OSError, ValueError):
                pass
            return stream, content_type, length
        mimetype = self.mimetype
        if mimetype == "multipart/form-data":
            values: MultiDict[str, t.Any] = MultiDict()
            for key, value in (self._form or MultiDict()).items(multi=True):
                values.add(key, value)
            for key, value in (self._files or MultiDict()).items(multi=True):
                values.add(key, value)
            boundary, body = encode_multipart(values)
            return io.BytesIO(body), f"{mimetype}; boundary={boundary}", len(body)
        if mimetype == "application/x-www-form-urlencoded":
            body = _urlencode((self._form or MultiDict()).items(multi=True)).encode("ascii")
            return io.BytesIO(body), content_type, len(body)
        return io.BytesIO(), content_type, None

    # -- output ----------------------------------------------------------------------------------

    @property
    def request_uri(self) -> str:
        """The request target: script root, path and query string."""
        query = self.query_string
        return f"{self.script_root}{self.path}" + (f"?{query}" if query else "")

    def get_environ(self) -> dict[str, t.Any]:
        """Return a new WSGI environ for the request described by this builder."""
        stream, content_type, content_length = self._body()
        environ: dict[str, t.Any] = dict(self.environ_base) if self.environ_base else {}
        raw_uri = _wsgi_str(self.request_uri)
        environ.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": _decode_path(self.script_root),
                "PATH_INFO": _decode_path(self.path),
                "QUERY_STRING": _wsgi_str(self.query_string),
                "REQUEST_URI": raw_uri,
                "RAW_URI": raw_uri,
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": str(self.server_port),
                "HTTP_HOST": self.host,
                "SERVER_PROTOCOL": self.server_protocol,
                "wsgi.version": self.wsgi_version,
                "wsgi.url_scheme": self.url_scheme,
                "wsgi.input": stream,
                "wsgi.errors": self.errors_stream,
                "wsgi.multithread": self.multithread,
                "wsgi.multiprocess": self.multiprocess,
                "wsgi.run_once": self.run_once,
            }
        )
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        if content_length is not None:
            environ["CONTENT_LENGTH"] = str(content_length)
        joined: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                joined.setdefault(key, []).append(value)
        for key, values in joined.items():
            environ[key] = ", ".join(values)
        if self.environ_overrides:
            environ.update(self.environ_overrides)
        return environ

    def get_request(self, cls: type[t.Any] | None = None) -> Request:
        """A request object (``cls``, default :class:`erlen.request.Request`) for the environ."""
        if cls is None:
            cls = self.request_class
            if cls is None:
                from .request import Request

                cls = Request
        return t.cast("Request", cls(self.get_environ()))

    def close(self) -> None:
        """Close the files added to this builder."""
        if self.closed:
            return
        for value in (self._files or MultiDict()).values():
            try:
                value.close()
            except Exception:
                pass
        self.closed = True


def _auth_header(auth: t.Any) -> str:
    """An Authorization header value from ``(username, password)``, an object or a string."""
    if isinstance(auth, (tuple, list)) and len(auth) == 2:
        credentials = f"{auth[0]}:{auth[1]}".encode()
        return "Basic " + base64.b64encode(credentials).decode("ascii")
    to_header = getattr(auth, "to_header", None)
    if to_header is not None:
        return t.cast(str, to_header())
    if isinstance(auth, str):
        return auth
    raise TypeError("auth must be a (username, password) tuple, a header string or Authorization")


# -- running the app --------------------------------------------------------------------------------


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


def _request_origin(environ: dict[str, t.Any]) -> tuple[str, str, str]:
    """``(scheme, host, path)`` of the request an environ describes; the path percent-encoded."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost"
    path = _encode_path(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
    return scheme, host, path


def _hostname(host: str) -> str:
    """The host name of a ``host[:port]`` value, lowercased."""
    if host.startswith("["):
        return host.partition("]")[0].lower() + "]"
    return host.partition(":")[0].lower() or "localhost"


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


# -- cookies ----------------------------------------------------------------------------------------


def _path_matches(cookie_path: str, request_path: str) -> bool:
    """RFC 6265 5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def _default_path(request_path: str) -> str:
    """RFC 6265 5.1.4 default-path: the request path up to its last ``/``."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path.rpartition("/")[0]


@dataclasses.dataclass
class Cookie:
    """A cookie in the test client's jar (``client.get_cookie("session")``)."""

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None
    max_age: int | None
    domain: str
    origin_only: bool
    path: str
    secure: bool | None
    http_only: bool | None
    same_site: str | None
    _expires_at: float | None = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def _from_response_header(cls, server_name: str, path: str, header: str) -> Cookie:
        """Parse a ``Set-Cookie`` value received from ``server_name`` for a request to ``path``."""
        from .cookies import parse_cookie_pairs
        from .dates import parse_date

        pair, _, attributes = header.partition(";")
        key, _, value = pair.partition("=")
        decoded = next(iter(parse_cookie_pairs(pair)), None)
        decoded_key, decoded_value = decoded if decoded is not None else (key.strip(), "")
        params: dict[str, str | None] = {}
        for item in attributes.split(";"):
            name, sep, param = item.partition("=")
            params[name.strip().lower()] = param.strip() if sep else None
        max_age: int | None = None
        raw_max_age = params.get("max-age")
        if raw_max_age is not None:
            try:
                max_age = int(raw_max_age)
            except ValueError:
                max_age = None  # NOTE: RFC 6265 ignores a malformed Max-Age
        raw_expires = params.get("expires")
        expires = parse_date(raw_expires) if raw_expires else None
        if max_age is not None:
            expires_at: float | None = time.time() + max_age if max_age > 0 else 0.0
        elif expires is not None:
            expires_at = expires.timestamp()
        else:
            expires_at = None
        domain = (params.get("domain") or "").lstrip(".").lower()
        cookie_path = params.get("path") or ""
        return cls(
            key=key.strip(),
            value=value.strip(),
            decoded_key=decoded_key,
            decoded_value=decoded_value,
            expires=expires,
            max_age=max_age,
            domain=domain or server_name,
            origin_only=not domain,
            path=cookie_path if cookie_path.startswith("/") else _default_path(path),
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
            _expires_at=expires_at,
        )

    @property
    def _storage_key(self) -> tuple[str, str, str]:
        return self.domain, self.path, self.key

    @property
    def _should_delete(self) -> bool:
        """True once the cookie has expired."""
        return self._expires_at is not None and self._expires_at <= time.time()

    def _matches_request(self, server_name: str, path: str) -> bool:
        """True when the cookie is sent with a request to ``server_name`` and ``path``."""
        domain = self.domain
        if server_name != domain and (self.origin_only or not server_name.endswith("." + domain)):
            return False
        return _path_matches(self.path, path) and not self._should_delete

    def _to_request_header(self) -> str:
        return f"{self.key}={self.value}"


# -- the client -------------------------------------------------------------------------------------


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
        from .cookies import dump_cookie

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
        if self._cookies is None:
            return
        user = environ.get(_USER_COOKIE_KEY, environ.get("HTTP_COOKIE"))
        _, host, path = _request_origin(environ)
        server_name = _hostname(host)
        for key in [k for k, c in self._cookies.items() if c._should_delete]:
            del self._cookies[key]
        matching = [c for c in self._cookies.values() if c._matches_request(server_name, path)]
        # NOTE: RFC 6265 5.4 sends cookies with longer paths first; sort() is stable.
        matching.sort(key=lambda c: len(c.path), reverse=True)
        values = ([user] if user else []) + [c._to_request_header() for c in matching]
        environ[_USER_COOKIE_KEY] = user
        if values:
            environ["HTTP_COOKIE"] = "; ".join(values)
        else:
            environ.pop("HTTP_COOKIE", None)

    def _update_cookies_from_response(
        self, server_name: str, path: str, headers: Iterable[str]
    ) -> None:
        """Store (or delete) the cookies of ``Set-Cookie`` header values."""
        if self._cookies is None:
            return
        for header in headers:
            cookie = Cookie._from_response_header(server_name, path, header)
            if not cookie.key:
                continue  # NOTE: RFC 6265 5.2 ignores a cookie without a name
            if cookie._should_delete:
                self._cookies.pop(cookie._storage_key, None)
            else:
                self._cookies[cookie._storage_key] = cookie

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

    def get(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open`` with ``method="GET"``."""
        kw["method"] = "GET"
        return self.open(*args, **kw)

    def post(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open`` with ``method="POST"``."""
        kw["method"] = "POST"
        return self.open(*args, **kw)

    def put(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open`` with ``method="PUT"``."""
        kw["method"] = "PUT"
        return self.open(*args, **kw)

    def patch(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open`` with ``method="PATCH"``."""
        kw["method"] = "PATCH"
        return self.open(*args, **kw)

    def delete(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open`` with ``method="DELETE"``."""
        kw["method"] = "DELETE"
        return self.open(*args, **kw)

    def head(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open`` with ``method="HEAD"``."""
        kw["method"] = "HEAD"
        return self.open(*args, **kw)

    def options(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open`` with ``method="OPTIONS"``."""
        kw["method"] = "OPTIONS"
        return self.open(*args, **kw)

    def trace(self, *args: t.Any, **kw: t.Any) -> TestResponse:
        """``open`` with ``method="TRACE"``."""
        kw["method"] = "TRACE"
        return self.open(*args, **kw)


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

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
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
        return super().run_wsgi_app(environ, buffered)

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
            from .cli import ScriptInfo

            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)


FlaskCliRunner = ErlenCliRunner
