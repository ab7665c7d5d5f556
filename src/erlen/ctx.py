"""Application and request contexts.

A request context is pushed for each request; it pushes an application context when none for the
same app is active. Both live in one context variable (``erlen.globals._cv_context``) as the pair
``(app_ctx, request_ctx)``, so threads and asyncio tasks each see their own. Popping runs the
teardown functions.

Invariants:

- Pushing an app context keeps the current request context (``request`` stays usable inside
  ``with app.app_context():``, as with Flask's two variables); pushing a request context makes it
  current together with its app context.
- Contexts pop in the reverse order of their pushes; popping restores the pair that was current
  before the push (``ContextVar.reset``), and a pop out of order raises ``AssertionError``.
- A request context that pushed its own app context pops it too, after ``teardown_request``;
  ``teardown_appcontext`` then runs with that app context current and no request context, as in
  Flask. PERF: an app context pushed by a request shares the request's set and reset (the
  pair), unless an ``appcontext_pushed`` receiver needs it current on its own first.
"""

from __future__ import annotations

import contextvars
import functools
import typing as t

from .globals import (
    _NO_CONTEXT,
    _get_app_ctx,
    _get_context,
    _reset_context,
    _set_context,
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
    #: The tokens of this context's own pushes; a shared empty tuple until the first push.
    _tokens: list[contextvars.Token[tuple[t.Any, t.Any]]] | tuple[()] = ()
    #: True while pushed together with a request context, whose token is also this push's.
    #: PERF: no token (and no list) of its own for the usual request (see module doc).
    _joint = False

    def __init__(self, app: Erlen) -> None:
        self.app = app

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
        self._push_alone()
        if appcontext_pushed.receivers:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def _push_alone(self) -> None:
        # NOTE: the current request context (if any) stays current: see the module docstring.
        token = _set_context((self, _get_context(_NO_CONTEXT)[1]))
        if self._tokens:
            self._tokens.append(token)  # type: ignore[union-attr]
        else:
            self._tokens = [token]

    def pop(self, exc: BaseException | None = _unset) -> None:
        if not self._tokens:
            raise AssertionError(
                f"Popped the app context {self!r}, which is not pushed on its own"
                + (" (its request context pops it)." if self._joint else ".")
            )
        before = self._tokens[-1].old_value
        request_ctx = _get_context(_NO_CONTEXT)[1]
        if request_ctx is not (None if before is contextvars.Token.MISSING else before[1]):
            # NOTE: a request context pushed inside this one is still active; with one variable
            # for both, popping this one first would drop that one too. Nothing is popped yet,
            # so the caller can pop them in order.
            raise AssertionError(
                f"Popped the app context {self!r} while the request context {request_ctx!r}"
                " pushed after it is still active: pop the request context first."
            )
        try:
            if len(self._tokens) == 1 and not self._joint:
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
            pair = _get_context(_NO_CONTEXT)
            token = self._tokens.pop()  # type: ignore[union-attr]
            _reset_context(token)
        if pair[0] is not self:
            raise AssertionError(f"Popped wrong app context. ({pair[0]!r} instead of {self!r})")
        if appcontext_popped.receivers:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def _pop_joint(self, exc: BaseException | None) -> None:
        """End an app context that was pushed together with a request context whose pair was
        just reset: run its teardown with it current on its own, as a separate pop would."""
        self._joint = False
        app = self.app
        if (
            app.teardown_appcontext_funcs
            or appcontext_tearing_down.receivers
            or not app._own_teardown_appcontext
            or appcontext_popped.receivers
        ):
            self._push_alone()
            self.pop(exc)

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
        #: (token, the app context this push created or None), one per push.
        self._cv_tokens: list[tuple[contextvars.Token[t.Any], AppContext | None]] = []

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
        self._push_contexts()
        request = self.request
        if request.url_rule is None and request.routing_exception is None:
            self.app.match_request(request)

    def _push_contexts(self) -> None:
        """:meth:`push` without the matching (a WebSocket matches on its own, once pushed)."""
        outer = _get_context(_NO_CONTEXT)[0]
        if outer is None or outer.app is not self.app:
            app_ctx = self.app.app_context()
            if appcontext_pushed.receivers:
                # NOTE: the receivers see the app context alone, as in Flask; it then has a
                # push of its own, popped by its own pop.
                app_ctx.push()
            else:
                app_ctx._joint = True
            token = _set_context((app_ctx, self))
        else:
            app_ctx = None
            token = _set_context((outer, self))
        self._cv_tokens.append((token, app_ctx))

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
            ctx = _get_context(_NO_CONTEXT)[1]
            token, app_ctx = self._cv_tokens.pop()
            _reset_context(token)
            if app_ctx is not None:
                if app_ctx._joint:
                    app_ctx._pop_joint(exc)
                else:
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
    return _get_context(_NO_CONTEXT)[0] is not None


def has_request_context() -> bool:
    """True inside a request context (``request`` and ``session`` usable)."""
    return _get_context(_NO_CONTEXT)[1] is not None


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
    ctx = _get_context(_NO_CONTEXT)[1]
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request context is active, such as"
            " in a view function."
        )
    ctx._after_request_functions = [*ctx._after_request_functions, f]
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs inside a copy of the current request context (for threads)."""
    ctx = _get_context(_NO_CONTEXT)[1]
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
