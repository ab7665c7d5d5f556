"""The request object: what the client sent, parsed lazily from a WSGI-shaped environ.

``Request`` has the API of Werkzeug's ``Request`` and knows no application: the app-aware
subclass in :mod:`erlen.wrappers` adds Flask's parts (``url_rule``, ``view_args``, ``blueprint``,
the JSON provider, limits from the app config) through the hooks marked ``# NOTE: hook`` below.
Under WSGI the environ comes from the server; an ASGI edge builds one, with the body in
``wsgi.input``.

PERF: constructing a request stores the environ and computes ``method`` and ``path`` (the router
reads both on every request); everything else (headers, args, cookies, form, JSON, URLs) is
computed on first access and cached on the instance, so a view pays only for what it reads.

The class keeps its whole API here; the work lives beside it: ``request_url`` (host checks, URL
building, path recoding), ``request_headers`` (the typed header values), ``request_json`` (the
body parsed as JSON) and ``lazy`` (the caching descriptor of the computed attributes).
"""

from __future__ import annotations

import io as _io
import json
import typing as t

from . import formparser as _formparser
from . import request_headers as _rh
from .datastructures import (
    CombinedMultiDict,
    EnvironHeaders,
    FileStorage,
    ImmutableList,
    ImmutableMultiDict,
    MultiDict,
    _dict_new,
    _dict_update,
)
from .exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType
from .lazy import _lazy
from .request_json import get_json as _get_json
from .request_url import host_is_trusted as _host_is_trusted  # noqa: F401 -- tests import it
from .request_url import recode, request_host, request_url
from .urlencoded import _parse_lists

__all__ = ["Request"]

_URLENCODED = "application/x-www-form-urlencoded"
_FORM_MIMETYPES = frozenset({_URLENCODED, "multipart/form-data"})
# The toolkit's limits when neither the request nor (in erlen.wrappers) the app sets them.
DEFAULT_MAX_CONTENT_LENGTH: int | None = None
DEFAULT_MAX_FORM_MEMORY_SIZE = 500_000
DEFAULT_MAX_FORM_PARTS = 1000
DEFAULT_MAX_FORM_FIELDS = 1000
# PERF: the ``files`` of every request without uploads whose dict class is the stock one: one
# shared empty immutable multi-dict, nothing to build, nothing for ``close`` to do.
_NO_FILES: ImmutableMultiDict[str, FileStorage] = ImmutableMultiDict()
# PERF: what a subclass may override that the urlencoded fast path of ``form`` reads in its own
# way (the body straight from ``wsgi.input``, the content type from the environ) or skips (the
# general parsing); a subclass overriding one of them takes the general path.
_FAST_FORM_HOOKS = (
    "_load_form_data",
    "stream",
    "content_type",
    "mimetype",
    "mimetype_params",
    "_parsed_content_type",
    "content_length",
    "want_form_data_parsed",
)

# ----------------------------------------------------------------------------- Request


class Request:
    """The incoming request, built from a WSGI-shaped ``environ`` dict.

    Every attribute is computed on first access and cached on the instance: ``args``, ``form``,
    ``files``, ``cookies``, ``headers``, ``json``, the URL parts and the typed header values.
    A missing key in ``args``, ``form``, ``files`` or ``cookies`` raises
    :class:`~erlen.http.exceptions.BadRequestKeyError` (a ``KeyError`` and a 400).

    Limits: ``max_content_length``, ``max_form_memory_size``, ``max_form_parts`` and
    ``max_form_fields`` can be set per request; unset, they come from :meth:`_limit_default`:
    here the class defaults ``None`` (no limit, as in Werkzeug), 500 000 bytes, 1000 parts and
    1000 fields; in :class:`erlen.wrappers.Request` the current app's config (``MAX_CONTENT_LENGTH``,
    ``MAX_FORM_MEMORY_SIZE``, ``MAX_FORM_PARTS``, ``MAX_FORM_FIELDS``; 16 MiB of body by default).
    ``max_form_fields`` is erlen's own: it bounds urlencoded forms (413) and query strings (400).

    :param environ: the WSGI environ.
    :param populate_request: store this object as ``environ["werkzeug.request"]``, as Werkzeug does.
    :param shallow: forbid reading the body (``stream`` raises ``RuntimeError``).
    """

    #: The dict class for ``args``, ``form`` and ``files``.
    parameter_storage_class: type[MultiDict[t.Any, t.Any]] = ImmutableMultiDict
    #: The dict class for ``cookies``.
    dict_storage_class: type[MultiDict[t.Any, t.Any]] = ImmutableMultiDict
    #: The list class for ``access_route``.
    list_storage_class: type[list[t.Any]] = ImmutableList
    #: Host names accepted in ``host``; any other raises :class:`~erlen.http.exceptions.SecurityError`.
    #: ``None`` accepts every (well-formed) host. ``.example.com`` also matches subdomains.
    trusted_hosts: list[str] | None = None
    #: The class of ``user_agent``; ``None`` means :class:`erlen.http.headervalues.UserAgent`.
    user_agent_class: type[t.Any] | None = None
    #: The module whose ``loads`` decodes ``get_json``: the standard library's ``json`` here;
    #: :class:`erlen.wrappers.Request` uses :mod:`erlen.json` (the app's JSON provider).
    json_module: t.Any = json

    # Per-request limit overrides; None means ":meth:`_limit_default`".
    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None
    _max_form_fields: int | None = None
    #: PERF: True once a limit was set on this request, so a hook reading all of them from
    #: the defaults (``_form_limits`` in :class:`erlen.wrappers.Request`) knows it may.
    _limits_set = False
    _cached_data: bytes | None = None
    # (result of get_json(), result of get_json(silent=True)); Ellipsis = not computed.
    _cached_json: tuple[t.Any, t.Any] = (Ellipsis, Ellipsis)

    #: PERF: True while ``close`` is this class's own (it only closes uploaded files), so the
    #: request context may skip calling it when ``files`` was never parsed.
    _own_close = True
    #: PERF: True while ``stream`` is this class's own, so form parsing may build it with the
    #: limit it has already read instead of reading it again.
    _own_stream = True
    #: PERF: True while no hook in ``_FAST_FORM_HOOKS`` is overridden, so a urlencoded body with
    #: a declared length may be parsed straight from ``wsgi.input`` (see ``form``).
    _fast_form = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_close = cls.close is Request.close
        cls._own_stream = cls.stream is Request.stream
        cls._fast_form = all(getattr(cls, n) is getattr(Request, n) for n in _FAST_FORM_HOOKS)

    def __init__(
        self,
        environ: dict[str, t.Any],
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        self.environ = environ
        self.shallow = shallow
        # PERF: the router reads method and path on every request: plain attributes computed
        # here cost about a third of two lazy descriptor calls (measured with timeit).
        self.method: str = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or ""
        # PERF: indexing, not slices or startswith (which parses its arguments on 3.11).
        if not path or path[0] != "/" or (len(path) > 1 and path[1] == "/") or not path.isascii():
            # WSGI gives PATH_INFO as latin-1 text; the client sent UTF-8.
            path = "/" + recode(path).lstrip("/")
        self.path: str = path
        if populate_request and not shallow:
            environ["werkzeug.request"] = self

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception as e:  # noqa: BLE001 -- a repr must not raise
            url = f"(invalid URL: {e})"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"

    # ------------------------------------------------------------------ construction helpers

    @classmethod
    def application(cls, f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Turn ``f(request) -> response`` into a WSGI app (Werkzeug's decorator).

        The request is the last argument, so methods work too. An HTTP error ``f`` raises
        becomes its response; the request is closed afterwards.

        >>> @Request.application
        ... def app(request):
        ...     return Response(f"Hello {request.args.get('name', 'World')}!")
        """
        from functools import update_wrapper

        from .exceptions import HTTPException

        def application(*args: t.Any) -> t.Any:
            environ, start_response = args[-2:]
            with cls(environ) as request:
                try:
                    response = f(*args[:-2], request)
                except HTTPException as e:
                    response = e.get_response(environ)
                return response(environ, start_response)

        return update_wrapper(application, f)

    # ------------------------------------------------------------------ URL parts

    @_lazy
    def scheme(self) -> str:
        """``"http"`` or ``"https"`` (``wsgi.url_scheme``)."""
        return self.environ.get("wsgi.url_scheme", "http")  # type: ignore[no-any-return]

    @property
    def is_secure(self) -> bool:
        """Whether the request came over HTTPS (or WSS)."""
        return self.scheme in ("https", "wss")

    @_lazy
    def server(self) -> tuple[str, int | None] | None:
        """``(SERVER_NAME, SERVER_PORT)``; the port is ``None`` if absent or invalid."""
        name = self.environ.get("SERVER_NAME")
        if name is None:
            return None
        port: t.Any = self.environ.get("SERVER_PORT")
        try:
            return name, int(port)
        except (TypeError, ValueError):
            return name, None

    @_lazy
    def remote_addr(self) -> str | None:
        """The client address (``REMOTE_ADDR``)."""
        return self.environ.get("REMOTE_ADDR")

    @_lazy
    def root_path(self) -> str:
        """The prefix the app is mounted at (``SCRIPT_NAME``), without a trailing slash."""
        return recode(self.environ.get("SCRIPT_NAME") or "").rstrip("/")

    @property
    def script_root(self) -> str:
        """Alias of :attr:`root_path`."""
        return self.root_path

    @_lazy
    def query_string(self) -> bytes:
        """The raw query string, as bytes."""
        qs = self.environ.get("QUERY_STRING") or ""
        try:
            return qs.encode("latin-1")  # type: ignore[no-any-return]
        except UnicodeEncodeError:
            return qs.encode("utf-8", "surrogateescape")  # type: ignore[no-any-return]

    @_lazy
    def full_path(self) -> str:
        """The path and query string: ``"/page?x=1"`` (``"/page?"`` without a query)."""
        return f"{self.path}?{self.query_string.decode('utf-8', 'replace')}"

    host = _lazy(request_host)

    @_lazy
    def url(self) -> str:
        """The full URL, as an IRI: ``"http://example.com/app/page?x=1"``."""
        return request_url(self, True, True, True)

    @_lazy
    def base_url(self) -> str:
        """:attr:`url` without the query string."""
        return request_url(self, True, True, False)

    @_lazy
    def root_url(self) -> str:
        """Scheme, host and root path: ``"http://example.com/app/"``."""
        return request_url(self, True, False, False)

    @property
    def url_root(self) -> str:
        """Alias of :attr:`root_url`."""
        return self.root_url

    @_lazy
    def host_url(self) -> str:
        """Scheme and host: ``"http://example.com/"``."""
        return request_url(self, False, False, False)

    @_lazy
    def access_route(self) -> list[str]:
        """The client and proxy addresses from ``X-Forwarded-For``, else ``[remote_addr]``.

        SECURITY: the header is client-controlled unless a trusted proxy sets it.
        """
        forwarded = self.environ.get("HTTP_X_FORWARDED_FOR")
        if forwarded is not None:
            return self.list_storage_class(
                [addr.strip() for addr in forwarded.split(",") if addr.strip()]
            )
        if self.remote_addr:
            return self.list_storage_class([self.remote_addr])
        return self.list_storage_class()

    # ------------------------------------------------------------------ environ flags

    @property
    def input_stream(self) -> t.Any:
        """The raw ``wsgi.input`` stream, without any limit. Prefer :attr:`stream`."""
        return self.environ.get("wsgi.input")

    @property
    def is_multithread(self) -> bool:
        return bool(self.environ.get("wsgi.multithread"))

    @property
    def is_multiprocess(self) -> bool:
        return bool(self.environ.get("wsgi.multiprocess"))

    @property
    def is_run_once(self) -> bool:
        return bool(self.environ.get("wsgi.run_once"))

    @property
    def remote_user(self) -> str | None:
        """The user the server authenticated (``REMOTE_USER``)."""
        return self.environ.get("REMOTE_USER")

    # ------------------------------------------------------------------ query string and body

    @_lazy
    def headers(self) -> EnvironHeaders:
        """The request headers (read-only, case-insensitive)."""
        return EnvironHeaders(self.environ)

    @_lazy
    def args(self) -> MultiDict[str, str]:
        """The query string arguments.

        SECURITY: more than :attr:`max_form_fields` fields raise ``BadRequest`` (400).
        """
        qs = self.environ.get("QUERY_STRING")
        cls = self.parameter_storage_class
        if not qs:
            return cls()
        # PERF: an ASCII query string is its own bytes' UTF-8 decoding: it is passed as is.
        if not qs.isascii():
            qs = self.query_string
        if cls is ImmutableMultiDict:
            # PERF: parsed straight into the multi-dict's {key: [values]} storage, not into
            # pairs that the multi-dict groups again (another dict class takes the pairs).
            lists = _parse_lists(qs, self.max_form_fields, BadRequest, "query string")
            args = _dict_new(cls)
            _dict_update(args, lists)
            return args
        return cls(_formparser.parse_qsl_limited(qs, self.max_form_fields))

    @_lazy
    def stream(self) -> t.IO[bytes]:
        """The body as a stream bounded by ``Content-Length`` and :attr:`max_content_length`.

        SECURITY: a declared length above ``max_content_length`` is a 413 here, before any read.
        """
        if self.shallow:
            raise RuntimeError(
                "This request was created with 'shallow=True', reading from the input stream is"
                " disabled."
            )
        consumed = self.__dict__.get("_form_read")
        if consumed is not None:
            # NOTE: the urlencoded fast path of _load_form_data read the whole body without
            # building this stream; it is the stream that read would have left: at its end.
            return t.cast(
                t.IO[bytes], _formparser.LimitedStream.at_end(self.environ["wsgi.input"], consumed)
            )
        return _formparser.get_input_stream(
            self.environ, max_content_length=self.max_content_length
        )

    @property
    def want_form_data_parsed(self) -> bool:
        """Whether the request has a content type (so ``form`` may have something to parse)."""
        return bool(self.environ.get("CONTENT_TYPE"))

    def _load_form_data(self) -> None:
        """Parse ``form`` and ``files`` once, from the stream (or the cached body): the general
        path (``form`` has a fast one of its own for urlencoded bodies).

        ``files`` is stored only when the body had some (only they need closing); the ``files``
        attribute gives an empty dict otherwise.
        """
        d = self.__dict__
        if "form" in d:
            return
        form: MultiDict[str, str]
        files: MultiDict[str, FileStorage]
        mimetype = self.mimetype if self.want_form_data_parsed else ""
        if mimetype in _FORM_MIMETYPES:
            # PERF: each limit is a config lookup; each is read once, and only where it applies
            # (parts bound a multipart body only).
            max_content_length = self.max_content_length
            cached = d.get("_cached_data")
            stream: t.IO[bytes]
            if cached is not None:
                stream = _io.BytesIO(cached)
            elif "stream" in d or self.shallow or not self._own_stream:
                stream = self.stream
            else:
                # NOTE: what the ``stream`` attribute would build, with the limit read above.
                stream = d["stream"] = _formparser.get_input_stream(
                    self.environ, max_content_length=max_content_length
                )
            multipart = mimetype == "multipart/form-data"
            form, files = _formparser.parse_form_data(
                stream,
                mimetype,
                self.mimetype_params,
                self.content_length,
                max_content_length=max_content_length,
                max_form_memory_size=self.max_form_memory_size,
                max_form_parts=self.max_form_parts if multipart else None,
                max_form_fields=self.max_form_fields,
                cls=self.parameter_storage_class,
            )
            cls = self.parameter_storage_class
            if type(form) is not cls:
                form, files = cls(form), cls(files)
            if files:
                d["files"] = files
        else:
            # NOTE: unlike Werkzeug, the stream is not opened when there is nothing to parse,
            # so ``form`` on a JSON or shallow request neither raises nor reads.
            form = self.parameter_storage_class()
        d["form"] = form

    @_lazy
    def form(self) -> MultiDict[str, str]:
        """Form fields from a ``application/x-www-form-urlencoded`` or ``multipart/form-data``
        body (any method); empty for other content types.

        Reading it consumes the body: ``get_data()`` afterwards returns ``b""`` (Werkzeug's
        behaviour), unless the body was cached by ``get_data()`` first.
        """
        # PERF: the fast path: a urlencoded body of a plain declared length, with the stock
        # hooks (``_fast_form``) and dict class, nothing read yet. The general path's answers,
        # limits and errors at about half its cost: no layer of calls between this attribute
        # and the parser, the limits read with one call, the body read from ``wsgi.input`` in
        # one call with no stream object around it, the pairs put straight into the
        # multi-dict's storage; no multipart machinery, no mimetype parsing.
        environ = self.environ
        if (
            self._fast_form
            and environ.get("CONTENT_TYPE") == _URLENCODED
            and self.parameter_storage_class is ImmutableMultiDict
            and not self.shallow
        ):
            d = self.__dict__
            raw = environ.get("CONTENT_LENGTH")
            # SECURITY: only a plain length (ASCII digits, formparser's bound on their number)
            # takes the fast path; any other goes to get_input_stream, which refuses it (400).
            if (
                raw
                and raw.isdigit()
                and raw.isascii()
                and len(raw) <= _formparser._MAX_CL_DIGITS
                and "stream" not in d
                and "_cached_data" not in d
            ):
                length = int(raw)
                max_content_length, max_form_memory_size, max_form_fields = self._form_limits()
                # SECURITY: an oversized declared body is refused before a byte of it is read
                # (413), as get_input_stream and parse_form_data do.
                if (max_content_length is not None and length > max_content_length) or (
                    max_form_memory_size is not None and length > max_form_memory_size
                ):
                    raise RequestEntityTooLarge()
                body = _formparser.read_exactly(environ["wsgi.input"], length)
                # NOTE: ``stream`` gives a stream at the end of what was read (see there);
                # ``files`` an empty dict.
                d["_form_read"] = length
                lists = _parse_lists(body, max_form_fields, RequestEntityTooLarge, "form")
                # PERF: the parsed dict is the multi-dict's storage (no __init__ call).
                form = _dict_new(ImmutableMultiDict)
                _dict_update(form, lists)
                return form  # type: ignore[no-any-return]
        self._load_form_data()
        return self.__dict__["form"]  # type: ignore[no-any-return]

    @_lazy
    def files(self) -> MultiDict[str, FileStorage]:
        """Uploaded files from a ``multipart/form-data`` body, as ``FileStorage`` objects."""
        d = self.__dict__
        if "form" not in d:
            self._load_form_data()
        files = d.get("files")
        if files is None:
            cls = self.parameter_storage_class
            # PERF: the stock class's empty dict is one shared object: nothing to build.
            files = _NO_FILES if cls is ImmutableMultiDict else cls()
        return files  # type: ignore[no-any-return]

    @_lazy
    def values(self) -> CombinedMultiDict[str, str]:
        """``args`` and ``form`` combined (``args`` only for GET, as in Werkzeug 2.3+)."""
        sources: list[MultiDict[str, str]] = [self.args]
        if self.method != "GET":
            sources.append(self.form)
        return CombinedMultiDict(sources)

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """The body as bytes (``as_text``: UTF-8 text, bad bytes replaced).

        With ``cache`` the bytes are kept, so later calls (and ``get_json``) read them again.
        With ``parse_form_data`` a form body is parsed first and this returns ``b""``. After
        ``form`` or ``files`` was read, the body is consumed and this returns ``b""``.
        """
        data = self.__dict__.get("_cached_data")
        if data is None:
            if parse_form_data:
                self._load_form_data()
            data = self.stream.read()
            if cache:
                self.__dict__["_cached_data"] = data
        if as_text:
            return data.decode("utf-8", "replace")
        return data

    @_lazy
    def data(self) -> bytes:
        """The body as bytes; ``b""`` for form bodies, which go to ``form`` and ``files``."""
        return self.get_data(parse_form_data=True)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ JSON

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is ``application/json`` or ``application/*+json``."""
        mt = self.mimetype
        return mt == "application/json" or (mt.startswith("application/") and mt.endswith("+json"))

    @property
    def json(self) -> t.Any:
        """The parsed JSON body: ``get_json()``. 415 if the mimetype is not JSON, 400 if invalid."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> t.Any:
        """Parse the body as JSON.

        :param force: ignore the mimetype.
        :param silent: return ``None`` on a wrong mimetype or invalid JSON instead of raising.
        :param cache: keep the result (and the body) for later calls.

        SECURITY: invalid JSON, bad UTF-8 and nesting deep enough to exhaust the stack all go
        through :meth:`on_json_loading_failed` (400); nothing else escapes.
        """
        return _get_json(self, force, silent, cache)

    def on_json_loading_failed(self, e: BaseException | None) -> t.Any:
        """Called when ``get_json`` cannot parse; raises. Override to return a value instead.

        ``e is None`` (wrong mimetype): 415 ``UnsupportedMediaType``. Otherwise a 400
        ``BadRequest``; as in Flask, its description names the error only in debug mode.
        """
        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request Content-Type was not"
                " 'application/json'."
            )
        raise BadRequest(f"Failed to decode JSON object: {e}")

    # ------------------------------------------------------------------ limits

    def _limit_default(self, key: str, default: int | None) -> int | None:
        """The limit named ``key`` (a Flask config key) when none is set on this request.

        NOTE: hook. Here, the toolkit default; :class:`erlen.wrappers.Request` reads the current
        app's config.
        """
        return default

    def _form_limits(self) -> tuple[int | None, int | None, int | None]:
        """``(max_content_length, max_form_memory_size, max_form_fields)``, read together for a
        urlencoded body.

        NOTE: hook. :class:`erlen.wrappers.Request` reads the three from one config lookup.
        """
        return self.max_content_length, self.max_form_memory_size, self.max_form_fields

    @property
    def max_content_length(self) -> int | None:
        """Most bytes read from the body; ``MAX_CONTENT_LENGTH`` unless set on this request."""
        value = self._max_content_length
        if value is not None:
            return value
        return self._limit_default("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value
        self._limits_set = True

    @property
    def max_form_memory_size(self) -> int | None:
        """Most bytes of non-file form data; ``MAX_FORM_MEMORY_SIZE`` unless set here."""
        value = self._max_form_memory_size
        if value is not None:
            return value
        return self._limit_default("MAX_FORM_MEMORY_SIZE", DEFAULT_MAX_FORM_MEMORY_SIZE)

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value
        self._limits_set = True

    @property
    def max_form_parts(self) -> int | None:
        """Most parts in a multipart body; ``MAX_FORM_PARTS`` unless set here."""
        value = self._max_form_parts
        if value is not None:
            return value
        return self._limit_default("MAX_FORM_PARTS", DEFAULT_MAX_FORM_PARTS)

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value
        self._limits_set = True

    @property
    def max_form_fields(self) -> int | None:
        """Most fields in a urlencoded body or query string (erlen's own; ``MAX_FORM_FIELDS``)."""
        value = self._max_form_fields
        if value is not None:
            return value
        return self._limit_default("MAX_FORM_FIELDS", DEFAULT_MAX_FORM_FIELDS)

    @max_form_fields.setter
    def max_form_fields(self, value: int | None) -> None:
        self._max_form_fields = value
        self._limits_set = True

    # ------------------------------------------------------------------ header values
    # NOTE: the parsers live in erlen.http.request_headers; _lazy caches each result on the request.

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header."""
        return self.environ.get("CONTENT_TYPE")

    content_length = _lazy(_rh.content_length)
    _parsed_content_type = _lazy(_rh.parsed_content_type)

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lowercased: ``"application/json"``."""
        return self._parsed_content_type[0]

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters: ``{"charset": "utf-8"}``."""
        return self._parsed_content_type[1]

    @property
    def content_encoding(self) -> str | None:
        return self.environ.get("HTTP_CONTENT_ENCODING")

    @property
    def content_md5(self) -> str | None:
        return self.environ.get("HTTP_CONTENT_MD5")

    @property
    def referrer(self) -> str | None:
        """The ``Referer`` header."""
        return self.environ.get("HTTP_REFERER")

    @property
    def origin(self) -> str | None:
        return self.environ.get("HTTP_ORIGIN")

    @property
    def access_control_request_method(self) -> str | None:
        return self.environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")

    access_control_request_headers = _lazy(_rh.access_control_request_headers)
    max_forwards = _lazy(_rh.max_forwards)
    cookies = _lazy(_rh.cookies)
    authorization = _lazy(_rh.authorization)
    user_agent = _lazy(_rh.user_agent)
    accept_mimetypes = _lazy(_rh.accept_mimetypes)
    accept_languages = _lazy(_rh.accept_languages)
    accept_charsets = _lazy(_rh.accept_charsets)
    accept_encodings = _lazy(_rh.accept_encodings)
    cache_control = _lazy(_rh.cache_control)
    pragma = _lazy(_rh.pragma)
    if_match = _lazy(_rh.if_match)
    if_none_match = _lazy(_rh.if_none_match)
    if_range = _lazy(_rh.if_range)
    range = _lazy(_rh.range_header)
    date = _lazy(_rh.date)
    if_modified_since = _lazy(_rh.if_modified_since)
    if_unmodified_since = _lazy(_rh.if_unmodified_since)

    # ------------------------------------------------------------------ cleanup

    def close(self) -> None:
        """Close the uploaded files' streams, if ``files`` was parsed."""
        files = self.__dict__.get("files")
        if files:
            for _key, value in files.items(multi=True):
                value.close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, exc_type: t.Any, exc_value: t.Any, tb: t.Any) -> None:
        self.close()
