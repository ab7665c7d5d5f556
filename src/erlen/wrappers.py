"""Flask's ``flask.wrappers``: the app-aware ``Request`` and ``Response`` that erlen's app and users see.

They subclass the HTTP toolkit's classes (:class:`erlen.http.request.Request`,
:class:`erlen.http.response.Response`), which know no application, as Flask's wrappers subclass
Werkzeug's. What they add: the routing data (``url_rule``, ``view_args``, ``routing_exception``,
``endpoint``, ``blueprint``, ``blueprints``), the app's JSON provider (through :mod:`erlen.json`),
the body and form limits and ``max_cookie_size`` from the current app's config, and the debug-only
detail of a JSON decoding error.

PERF: the subclasses add class attributes and properties only; they override no method the request
path calls (``__init__``, ``set_data``, the WSGI emission), so the toolkit's fast paths
(``Response._fast_path``, ``Request._own_close``) stay on and dispatch costs nothing per request.
"""

from __future__ import annotations

import operator
import typing as t

from . import json as _json
from .globals import _NO_CONTEXT, _get_context
from .http import request as _http_request
from .http.datastructures import FileStorage, MultiDict
from .http.exceptions import BadRequest
from .http.lazy import _lazy
from .http.request import Request as _HTTPRequest
from .http.response import Response as _HTTPResponse

if t.TYPE_CHECKING:
    from .routing import Rule

__all__ = ["Request", "Response"]

# The config keys of the three limits of a urlencoded body, read together (see _form_limits).
_FORM_LIMITS = operator.itemgetter("MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE", "MAX_FORM_FIELDS")
# The toolkit's ``files`` computation, which the app's ``files`` extends.
_files_of = _HTTPRequest.files.func

# The hooks behind the request's body limits: a subclass overriding one of them has its
# _form_limits read through them (the toolkit's general way).
_LIMIT_HOOKS = ("_limit_default", "max_content_length", "max_form_memory_size", "max_form_fields")


def _split_blueprint_path(name: str) -> list[str]:
    """``"a.b.c"`` -> ``["a.b.c", "a.b", "a"]``."""
    out = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        out.append(name)
    return out


# PERF: endpoints are few and fixed, so each one's blueprint chain is computed once.
_BLUEPRINT_CHAINS: dict[str, tuple[str, ...]] = {}


def _blueprint_chain(endpoint: str) -> tuple[str, ...]:
    chain = _BLUEPRINT_CHAINS.get(endpoint)
    if chain is None:
        if "." in endpoint:
            chain = tuple(_split_blueprint_path(endpoint.rpartition(".")[0]))
        else:
            chain = ()
        _BLUEPRINT_CHAINS[endpoint] = chain
    return chain


class Request(_HTTPRequest):
    """The request object the app creates (``app.request_class``) and ``erlen.request`` proxies.

    Limits unset on the request read the current app's config inside an application context
    (``MAX_CONTENT_LENGTH``, ``MAX_FORM_MEMORY_SIZE``, ``MAX_FORM_PARTS``, ``MAX_FORM_FIELDS``),
    else the toolkit defaults.
    """

    #: ``loads`` for ``get_json``: :mod:`erlen.json`, which follows ``current_app.json``.
    json_module: t.Any = _json

    # PERF: class-level defaults, so constructing a request sets nothing for routing; the
    # pipeline assigns them on the instance after matching.
    #: The :class:`~erlen.routing.Rule` that matched (set by the router), or ``None``.
    url_rule: Rule | None = None
    #: The URL variables of the matched rule, or ``None``.
    view_args: dict[str, t.Any] | None = None
    #: The routing error (404, 405, redirect) to raise at dispatch, or ``None``.
    routing_exception: Exception | None = None

    #: PERF: True while the limit hooks are this class's own, so ``_form_limits`` may read the
    #: three config keys with one app-context lookup.
    _own_limits = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_limits = all(getattr(cls, n) is getattr(Request, n) for n in _LIMIT_HOOKS)

    @classmethod
    def from_values(cls, *args: t.Any, **kwargs: t.Any) -> Request:
        """A request built from values, for tests; takes :class:`erlen.testing.EnvironBuilder`'s
        arguments (``path``, ``base_url``, ``query_string``, ``method``, ``headers``, ``data``,
        ``json``...).
        """
        from .testing import EnvironBuilder

        builder = EnvironBuilder(*args, **kwargs)
        try:
            return cls(builder.get_environ())
        finally:
            builder.close()

    @_lazy
    def files(self) -> MultiDict[str, FileStorage]:
        """The toolkit's ``files``, plus Flask's debug-mode explanation of a file field posted
        without ``enctype="multipart/form-data"`` (:mod:`erlen.debughelpers`)."""
        files = _files_of(self)
        # PERF: here, not where the body is parsed: a view that never reads ``files`` (most
        # form views) pays nothing for it. Debug mode is checked first: outside it nothing
        # else needs reading.
        if not files:
            ctx = _get_context(_NO_CONTEXT)[0]
            if ctx is not None and ctx.app.debug and self.mimetype != "multipart/form-data":
                from .debughelpers import explain_missing_files

                # NOTE: explaining changes the dict's class; an empty one may be shared (the
                # toolkit's), so this request gets its own.
                files = type(files)()
                explain_missing_files(self, files)
        return files

    @property
    def max_form_fields(self) -> int | None:
        """Most fields in a urlencoded body or query string (erlen's own; ``MAX_FORM_FIELDS``)."""
        value = self._max_form_fields
        if value is not None:
            return value
        if not self._own_limits:
            return self._limit_default("MAX_FORM_FIELDS", _http_request.DEFAULT_MAX_FORM_FIELDS)
        # PERF: _limit_default inline while it is this class's own: every query string reads
        # this limit, and the call was a tenth of what ``request.args`` costs above parsing.
        ctx = _get_context(_NO_CONTEXT)[0]
        if ctx is not None:
            # PERF: a subscript, not ``config.get`` (a method looked up on a dict subclass);
            # the key is in every app's defaults, so a miss is rare.
            try:
                return ctx.app.config["MAX_FORM_FIELDS"]  # type: ignore[no-any-return]
            except KeyError:
                pass
        return _http_request.DEFAULT_MAX_FORM_FIELDS

    @max_form_fields.setter
    def max_form_fields(self, value: int | None) -> None:
        _HTTPRequest.max_form_fields.fset(self, value)  # type: ignore[attr-defined]

    def _limit_default(self, key: str, default: int | None) -> int | None:
        ctx = _get_context(_NO_CONTEXT)[0]
        if ctx is None:
            return default
        return ctx.app.config.get(key, default)  # type: ignore[no-any-return]

    def _form_limits(self) -> tuple[int | None, int | None, int | None]:
        """The three limits of a urlencoded body, from one lookup of the app's config."""
        ctx = _get_context(_NO_CONTEXT)[0]
        if ctx is not None and self._own_limits and not self._limits_set:
            # PERF: what the three properties would answer (no limit set on this request, the
            # stock hooks: the config's values), in one C call; a config lacking one of the
            # keys takes the properties' way, which has a default for each.
            try:
                return _FORM_LIMITS(ctx.app.config)  # type: ignore[no-any-return]
            except KeyError:
                pass
        return super()._form_limits()

    def on_json_loading_failed(self, e: BaseException | None) -> t.Any:
        """Called when ``get_json`` cannot parse; raises. Override to return a value instead.

        ``e is None`` (wrong mimetype): 415 ``UnsupportedMediaType``. Otherwise a 400
        ``BadRequest``; as in Flask, its description names the error only in debug mode.
        """
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as error:
            if e is None:
                raise
            ctx = _get_context(_NO_CONTEXT)[0]
            if ctx is not None and ctx.app.debug:
                raise
            # SECURITY: outside debug mode, do not echo parser details to the client.
            raise BadRequest() from error

    # ------------------------------------------------------------------ Flask's routing data

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule, or ``None``."""
        rule = self.url_rule
        return rule.endpoint if rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The blueprint (dotted name) of the matched endpoint, or ``None``."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The blueprint and its parents, innermost first: ``["a.b", "a"]``."""
        return list(self._blueprint_chain)

    @property
    def _blueprint_chain(self) -> tuple[str, ...]:
        """:attr:`blueprints` as a shared tuple, for the pipeline's lookups."""
        rule = self.url_rule
        if rule is None:
            return ()
        chain = _BLUEPRINT_CHAINS.get(rule.endpoint)
        return chain if chain is not None else _blueprint_chain(rule.endpoint)


class Response(_HTTPResponse):
    """The response class of the app (``app.response_class``): ``text/html`` by default, JSON
    through the app's provider, ``max_cookie_size`` from ``MAX_COOKIE_SIZE``."""

    #: ``loads``/``dumps`` for :meth:`get_json`: erlen.json, which follows ``current_app.json``.
    json_module: t.Any = _json

    @property
    def max_cookie_size(self) -> int:
        """Largest cookie allowed: ``MAX_COOKIE_SIZE`` of the current app, else 4093."""
        ctx = _get_context(_NO_CONTEXT)[0]
        if ctx is not None:
            return ctx.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return 4093
