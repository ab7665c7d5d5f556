"""The request as an ASGI HTTP scope gives it: the WSGI environ built from the scope, and a
request whose environ is built only when something asks for it.

:func:`environ_from_scope` is the environ (PEP 3333) an ASGI edge hands the shared pipeline.
:func:`scope_request` makes the request of a body-less HTTP/1 scope without one: the router
needs the method and the path, the pipeline the ``Host`` header and whether a cookie came;
those come straight from the scope, and ``request.environ`` (with every attribute computed
from it: headers, args, cookies, URLs) is built from the scope on first access. PERF: a
request that reads nothing else (a hello view) never pays for the environ (~16k
instructions).
"""

from __future__ import annotations

import io
import sys
import typing as t

from ..http.lazy import _lazy
from ..http.request import Request as _HTTPRequest
from ..http.request_url import _GOOD_HOSTS, _GOOD_HOSTS_MAX

if t.TYPE_CHECKING:
    from ..wrappers import Request

Scope = t.MutableMapping[str, t.Any]

# -- scope to environ -------------------------------------------------------------------------

#: Raw header name -> environ key ("" for a name that is dropped).
_HEADER_KEYS: dict[bytes, str] = {}
#: ``server`` of a scope -> (SERVER_NAME, SERVER_PORT).
_SERVERS: dict[t.Any, tuple[str, str]] = {}
_PROTOCOLS = {"1.1": "HTTP/1.1", "1.0": "HTTP/1.0", "2": "HTTP/2", "3": "HTTP/3"}
#: What every environ starts from (the rest is set per request).
_ENVIRON_BASE: dict[str, t.Any] = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "",
    "SERVER_PORT": "",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.errors": None,
    "wsgi.multithread": True,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
    "asgi.scope": None,
}
#: SECURITY: the caches above are keyed by what clients send; past this size they stop growing.
_CACHE_MAX = 512


def _header_key(raw_name: bytes) -> str:
    name = raw_name.decode("latin-1")
    # SECURITY: as gunicorn does, drop names with "_": "X_Forwarded_For" would otherwise
    # land on the same environ key as "X-Forwarded-For" and could spoof it.
    if "_" in name:
        key = ""
    else:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
    if len(_HEADER_KEYS) < _CACHE_MAX:
        _HEADER_KEYS[raw_name] = key
    return key


def _server(server: t.Any) -> tuple[str, str]:
    if not server:
        server = ("localhost", 80)
    pair = (str(server[0]), str(server[1] if server[1] is not None else 80))
    if len(_SERVERS) < _CACHE_MAX:
        _SERVERS[tuple(server)] = pair
    return pair


def environ_from_scope(scope: Scope) -> dict[str, t.Any]:
    """The WSGI environ (PEP 3333) for an HTTP or WebSocket scope, without ``wsgi.input``.

    PERF: header names and the server address go through small caches; an ASCII path needs no
    re-encoding.
    """
    get = scope.get
    root = get("root_path", "")
    path = scope["path"]
    # NOTE: servers differ on whether ``path`` includes ``root_path`` (the spec says it does).
    if root:
        if path.startswith(root):
            path = path[len(root) :]
        if not root.isascii():
            root = root.encode().decode("latin-1")
    if not path.isascii():
        path = path.encode().decode("latin-1")
    server = get("server")
    try:
        server_name, server_port = _SERVERS[server]
    except (KeyError, TypeError):  # NOTE: TypeError: a list, which is not hashable
        server_name, server_port = _server(server)
    scheme = get("scheme")
    if scheme is None or scheme in ("ws", "wss", ""):
        scheme = "https" if scheme == "wss" else "http"
    # PERF: a copy of the constant part is cheaper than a literal that builds the whole dict.
    environ = _ENVIRON_BASE.copy()
    environ["REQUEST_METHOD"] = get("method", "GET")
    environ["SCRIPT_NAME"] = root
    environ["PATH_INFO"] = path
    query = get("query_string")
    if query:
        environ["QUERY_STRING"] = query.decode("latin-1")
    environ["SERVER_NAME"] = server_name
    environ["SERVER_PORT"] = server_port
    version = get("http_version", "1.1")
    if version != "1.1":
        environ["SERVER_PROTOCOL"] = _PROTOCOLS.get(version) or "HTTP/" + version
    environ["wsgi.url_scheme"] = scheme
    environ["wsgi.errors"] = sys.stderr
    environ["asgi.scope"] = scope
    client = get("client")
    if client:
        environ["REMOTE_ADDR"] = str(client[0])
        environ["REMOTE_PORT"] = str(client[1])
    keys = _HEADER_KEYS
    for raw_name, raw_value in get("headers", ()):
        key = keys.get(raw_name)
        if key is None:
            key = _header_key(raw_name)
        if not key:
            continue
        # PERF: UTF-8 is the decoder's fast path; for ASCII it gives what latin-1 gives.
        try:
            value = raw_value.decode()
        except UnicodeDecodeError:
            value = raw_value.decode("latin-1")
        else:
            if len(value) != len(raw_value):
                value = raw_value.decode("latin-1")
        if key in environ:
            value = f"{environ[key]}{'; ' if key == 'HTTP_COOKIE' else ','}{value}"
        environ[key] = value
    return environ


# -- a request that builds its environ on first access ------------------------------------------


def _scope_environ(request: t.Any) -> dict[str, t.Any]:
    # NOTE: only body-less requests are made this way (see scope_request_class's callers).
    environ = environ_from_scope(request._scope)
    environ["wsgi.input"] = io.BytesIO()
    # NOTE: what the edge reads after the response (background tasks), without __dict__.
    request._environ_made = environ
    return environ


#: app.request_class -> its scope-reading subclass, or None when the class cannot have one.
_SCOPE_CLASSES: dict[type, type | None] = {}


def scope_request_class(cls: type[Request]) -> type[Request] | None:
    """A subclass of ``cls`` whose ``environ`` is built from ``request._scope`` on first access.

    It keeps every attribute and method of ``cls`` and its name; only the construction differs:
    the ASGI edge makes the instance without calling ``__init__`` and sets what ``__init__``
    would (``shallow``, ``method``, ``path``) from the scope. None when ``cls`` has its own
    ``__init__`` or its own ``environ`` (which must then be honoured: the edge builds the environ
    and calls the class as usual).
    """
    try:
        return _SCOPE_CLASSES[cls]
    except KeyError:
        pass
    sub: type[Request] | None = None
    if cls.__init__ is _HTTPRequest.__init__ and not any(
        "environ" in vars(base) for base in cls.__mro__
    ):
        # NOTE: the same name and module, so reprs and error messages read as for ``cls``;
        # isinstance(request, cls) holds. Made with cls's own metaclass.
        meta: t.Any = type(cls)
        sub = meta(
            cls.__name__,
            (cls,),
            {
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
                "environ": _lazy(_scope_environ),
                "shallow": False,  # NOTE: what __init__ would set; the edge sets the rest
            },
        )
    if len(_SCOPE_CLASSES) < 64:  # NOTE: request classes are few; this is a cache
        _SCOPE_CLASSES[cls] = sub
    return sub


#: Raw ``Host`` values known valid (their text is in the request's ``_GOOD_HOSTS``).
_GOOD_RAW_HOSTS: set[bytes] = set()


def host_known(raw: bytes) -> bool:
    """Whether the ``Host`` value ``raw`` was seen valid lately (then routing needs no check).

    PERF: a set hit on the bytes, without decoding them; SECURITY: only ASCII values, whose
    text is the same under every decoding, are remembered, and the set is bounded.
    """
    if raw in _GOOD_RAW_HOSTS:
        return True
    if raw.isascii() and raw.decode("ascii") in _GOOD_HOSTS:
        if len(_GOOD_RAW_HOSTS) >= _GOOD_HOSTS_MAX:
            _GOOD_RAW_HOSTS.clear()
        _GOOD_RAW_HOSTS.add(raw)
        return True
    return False


#: What the edge looks for in a request's header names before any environ exists.
HOST, COOKIE, BODY = 1, 2, 3
_KIND_OF_KEY = {"HTTP_HOST": HOST, "HTTP_COOKIE": COOKIE, "CONTENT_LENGTH": BODY}
_KIND_OF_KEY["HTTP_TRANSFER_ENCODING"] = BODY
#: Raw header name -> HOST, COOKIE, BODY or 0 (PERF: one dict hit per header; bytes
#: comparisons are not specialised and cost a call each).
HEADER_KINDS: dict[bytes, int] = {}


def header_kind(raw_name: bytes) -> int:
    """What the header ``raw_name`` is to the edge, as the environ would see it (any case;
    a name with ``_`` is dropped there, so it is nothing here)."""
    key = _HEADER_KEYS.get(raw_name)
    if key is None:
        key = _header_key(raw_name)
    kind = _KIND_OF_KEY.get(key, 0)
    if len(HEADER_KINDS) < _CACHE_MAX:  # SECURITY: names come from clients
        HEADER_KINDS[raw_name] = kind
    return kind
