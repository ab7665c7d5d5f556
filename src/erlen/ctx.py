"""Application and request contexts.

A request context is pushed for each request; it pushes an application context when none for the
same app is active. Both live in context variables (``erlen.globals``), so threads and asyncio
tasks each see their own. Popping runs the teardown functions.
"""

from __future__ import annotations

import contextvars
import functools
import typing as t

from .globals import (
    _get_app_ctx,
    _get_request_ctx,
    _reset_app_ctx,
    _reset_request_ctx,
    _set_app_ctx,
    _set_request_ctx,
    _unset,
)
from .signals import appcontext_popped, appcontext_pushed, appcontext_tearing_down

if t.TYPE_CHECKING:
    from .app import Erlen
    from .routing.map import MapAdapter
    from .sessions import SessionMixin
    from .wrappers import Request


class _AppCtxGlobals:
    """The ``g`` object: a plain namespace for data that lives as long as the app context."""

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _unset) -> t.Any:
        if default is _unset:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _get_app_ctx(None)
        if ctx is not None:
            return f"<erlen.g of '{ctx.app.name}'>"
        return object.__repr__(self)


class AppContext:
    """Makes ``current_app`` and ``g`` available. ``with app.app_context(): ...``"""

    _g: _AppCtxGlobals | None = None
    _url_adapter: MapAdapter | None = None

    def __init__(self, app: Erlen) -> None:
        self.app = app
        self._tokens: list[contextvars.Token[AppContext]] = []

    @property
    def g(self) -> _AppCtxGlobals:
        """The ``g`` namespace; PERF: created on first use."""
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    @property
    def url_adapter(self) -> MapAdapter | None:
        if self._url_adapter is None:
            self._url_adapter = self.app.create_url_adapter(None)
        return self._url_adapter

    def push(self) -> None:
        self._tokens.append(_set_app_ctx(self))
        if appcontext_pushed.receivers:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _unset) -> None:
        try:
            if len(self._tokens) == 1:
                if exc is _unset:
                    import sys

                    exc = sys.exc_info()[1]
                app = self.app
                if (
                    app.teardown_appcontext_funcs
                    or appcontext_tearing_down.receivers
                    or not app._own_teardown_appcontext
                ):
                    app.do_teardown_appcontext(exc)
        finally:
            ctx = _get_app_ctx(None)
            _reset_app_ctx(self._tokens.pop())
        if ctx is not self:
            raise AssertionError(f"Popped wrong app context. ({ctx!r} instead of {self!r})")
        if appcontext_popped.receivers:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(self, exc_type: t.Any, exc_value: BaseException | None, tb: t.Any) -> None:
        self.pop(exc_value)


class RequestContext:
    """Holds the request, its session and URL adapter while the request is handled.

    PERF: the session is opened on first access and the URL adapter is built on first use, so a
    request that touches neither pays for neither. Attributes that start as None are class
    defaults, set on the instance only when they change.
    """

    _url_adapter: MapAdapter | None = None
    _session: SessionMixin | None = None
    flashes: list[tuple[str, str]] | None = None
    #: The endpoint's hooks (see ``Erlen._hook_plan``), found once per request.
    _hooks: t.Any = None
    #: A shared empty tuple until after_this_request adds a function.
    _after_request_functions: t.Sequence[t.Callable[[t.Any], t.Any]] = ()

    def __init__(
        self,
        app: Erlen,
        environ: dict[str, t.Any],
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        if request is None:
            # NOTE: populate_request=False: nothing reads environ["werkzeug.request"], and the
            # back-reference would make every request a garbage-collector cycle.
            # NOTE: request.json_module stays erlen.json, which uses current_app.json.
            request = app.request_class(environ, populate_request=False)
            # PERF: stored on the instance (not left to the class defaults of
            # erlen.wrappers.Request) so push and dispatch read them by the fast attribute path.
            request.url_rule = request.view_args = request.routing_exception = None
        self.request = request
        if session is not None:
            self._session = session
        self._cv_tokens: list[tuple[contextvars.Token[RequestContext], AppContext | None]] = []

    @property
    def session(self) -> SessionMixin:
        session = self._session
        if session is None:
            session = self._session = self.app.open_request_session(self.request)
        # NOTE: as in Flask 3.1.3, any use of the session through the request marks it accessed
        # (``Vary: Cookie``), whatever the session class tracks itself.
        session.accessed = True
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    @property
    def url_adapter(self) -> MapAdapter | None:
        if self._url_adapter is None:
            self._url_adapter = self.app.create_url_adapter(self.request)
        return self._url_adapter

    @url_adapter.setter
    def url_adapter(self, value: MapAdapter | None) -> None:
        self._url_adapter = value

    def copy(self) -> RequestContext:
        """A new context for the same request and session (see ``copy_current_request_context``)."""
        return self.__class__(self.app, self.request.environ, self.request, self._session)

    def match_request(self) -> None:
        """Match the URL; a routing error is kept on the request and raised at dispatch."""
        self.app.match_request(self.request)

    def push(self) -> None:
        app_ctx = _get_app_ctx(None)
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = self.app.app_context()
            # PERF: AppContext.push inlined (this runs on every request).
            app_ctx._tokens.append(_set_app_ctx(app_ctx))
            if appcontext_pushed.receivers:
                appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)
        else:
            app_ctx = None
        self._cv_tokens.append((_set_request_ctx(self), app_ctx))
        request = self.request
        if request.url_rule is None and request.routing_exception is None:
            self.app.match_request(request)

    def pop(self, exc: BaseException | None = _unset) -> None:
        clear_request = len(self._cv_tokens) == 1
        try:
            if clear_request:
                if exc is _unset:
                    import sys

                    exc = sys.exc_info()[1]
                self.app.do_teardown_request(exc)
                request = self.request
                # PERF: Request.close only closes uploaded files; skip it when there are none.
                if not request._own_close or "files" in request.__dict__:
                    request.close()
        finally:
            ctx = _get_request_ctx(None)
            token, app_ctx = self._cv_tokens.pop()
            _reset_request_ctx(token)
            if app_ctx is not None:
                app_ctx.pop(exc)
            if ctx is not self:
                raise AssertionError(f"Popped wrong request context. ({ctx!r} instead of {self!r})")

    def __enter__(self) -> RequestContext:
        self.push()
        return self

    def __exit__(self, exc_type: t.Any, exc_value: BaseException | None, tb: t.Any) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        req = self.request
        return f"<{type(self).__name__} {req.url!r} [{req.method}] of {self.app.name}>"


def has_app_context() -> bool:
    """True inside an application context (``current_app`` and ``g`` usable)."""
    return _get_app_ctx(None) is not None


def has_request_context() -> bool:
    """True inside a request context (``request`` and ``session`` usable)."""
    return _get_request_ctx(None) is not None


F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after this request only; it must return the response.

    >>> @app.route("/")                       # doctest: +SKIP
    ... def index():
    ...     @after_this_request
    ...     def add_header(response):
    ...         response.headers["X-Foo"] = "Parachute"
    ...         return response
    ...     return "Hello"
    """
    ctx = _get_request_ctx(None)
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request context is active, such as"
            " in a view function."
        )
    ctx._after_request_functions = [*ctx._after_request_functions, f]
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs inside a copy of the current request context (for threads)."""
    ctx = _get_request_ctx(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is active,"
            " such as in a view function."
        )
    ctx = ctx.copy()

    @functools.wraps(f)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with ctx:
            return ctx.app.ensure_sync(f)(*args, **kwargs)

    return t.cast(F, wrapper)
