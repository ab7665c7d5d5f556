"""``EnvironBuilder``: turn test arguments into a WSGI environ (and a request), as Werkzeug's does.

Arguments are ``path``, ``query_string``, ``data``, ``json``, ``headers``, ``auth``... An environ
holds WSGI strings: ``PATH_INFO``/``SCRIPT_NAME`` are the percent-decoded UTF-8 bytes of the URL
path decoded as latin-1; header values and ``QUERY_STRING`` likewise.
"""

from __future__ import annotations

import base64
import io
import os
import sys
import typing as t
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, unquote_to_bytes, urlsplit

from ..http.datastructures import FileMultiDict, Headers, MultiDict
from ..http.response_pairs import CHARSET_MIMETYPES
from .multipart import _is_file, _iter_data, encode_multipart

if t.TYPE_CHECKING:
    from ..wrappers import Request

PRESERVE_CONTEXT_KEY = "werkzeug.debug.preserve_context"
# NOTE: the explicit Cookie header the caller passed, kept apart from the jar's cookies so a
# redirect (or re-sending a used environ) does not send the jar's cookies twice.
_USER_COOKIE_KEY = "erlen.test.user_cookie"
# Characters left unescaped in urlencoded query strings and form bodies (as Werkzeug does).
_URLENCODE_SAFE = "!$'()*,/:;?@"
# Characters left unescaped when turning a WSGI path back into a URL path.
_PATH_SAFE = "/:@!$&'()*+,;=~"
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
    """``application/x-www-form-urlencoded`` text for (key, value) pairs, UTF-8 encoded.

    A ``None`` value leaves its pair out, as Werkzeug's test client does.
    """

    def enc(value: t.Any) -> str:
        if not isinstance(value, (str, bytes)):
            value = str(value)
        return quote_plus(value, safe=_URLENCODE_SAFE)

    return "&".join(f"{enc(key)}={enc(value)}" for key, value in pairs if value is not None)


def _content_type_with_charset(mimetype: str) -> str:
    """``text/html`` -> ``text/html; charset=utf-8``; types without text keep no charset."""
    if (
        mimetype.startswith("text/") or mimetype in CHARSET_MIMETYPES or mimetype.endswith("+xml")
    ) and "charset" not in mimetype:
        return f"{mimetype}; charset=utf-8"
    return mimetype


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
    #: The class :meth:`get_request` builds; ``None`` means :class:`erlen.wrappers.Request`.
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
        from .. import json as erlen_json

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
        from ..http.headervalues import parse_options_header

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
        """A request object (``cls``, default :class:`erlen.wrappers.Request`) for the environ."""
        if cls is None:
            cls = self.request_class
            if cls is None:
                from ..wrappers import Request

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
