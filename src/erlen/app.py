"""The application object and the request pipeline.

The whole life of a request, in the order Flask documents it (``wsgi_app``):

    push request context (pushes an app context, matches the URL)
    → request_started → url_value_preprocessors → before_request (a return value short-circuits)
    → view (or routing error) → error handlers → make_response
    → after_this_request → after_request (innermost blueprint first) → save session
    → request_finished → teardown_request → teardown_appcontext → pop

Hooks of the app run before those of blueprints; after- and teardown hooks run in reverse.
"""

from __future__ import annotations

import os
import sys
import typing as t
import weakref
from datetime import timedelta

from . import _async as _async  # noqa: F401  (async bodies under WSGI)
from . import templating
from .config import Config, ConfigAttribute
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .globals import (
    _NO_CONTEXT,
    _get_app_ctx,
    _get_context,
    _get_request_ctx,
    _reset_context,
    _set_context,
)
from .http.datastructures import Headers, ImmutableDict
from .http.exceptions import (
    Aborter,
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
)
from .http.generation import generation
from .http.interop import foreign_mro, is_http_exception, is_instance
from .http.request_url import _GOOD_HOSTS, check_host
from .http.response import LENGTH_PAIRS
from .http.response_memo import text_plan, text_plans
from .json.provider import DefaultJSONProvider, JSONProvider
from .routing.map import BuildError, Map, MapAdapter, RequestRedirect, RoutingException, Rule
from .scaffold import Scaffold, _endpoint_from_view_func, _HookList
from .serving.lifespan import ServingHooks
from .sessions import SecureCookieSessionInterface, SessionInterface
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    got_request_exception,
    request_finished,
    request_started,
    request_tearing_down,
)
from .wrappers import Request, Response, _blueprint_chain

if t.TYPE_CHECKING:
    from .blueprints import Blueprint
    from .testing import ErlenClient, ErlenCliRunner

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: erlen.serving.asgi.asgi_app once the first ASGI call has loaded it (WSGI-only apps never do),
#: and its HTTP part, erlen.serving.asgi.handle_http.
_asgi_edge: t.Callable[..., t.Awaitable[None]] | None = None
_asgi_http: t.Callable[..., t.Awaitable[None]] | None = None


def _load_asgi_edge() -> t.Callable[..., t.Awaitable[None]]:
    global _asgi_edge, _asgi_http
    from .serving.asgi import asgi_app, handle_http

    _asgi_edge = asgi_app
    _asgi_http = handle_http
    return asgi_app


class _HookPlan:
    """The hooks that apply to one endpoint, in call order, already made sync.

    PERF: built once per endpoint on its first request (design §4), so a request walks flat
    tuples instead of looking up every blueprint scope in every registry.
    """

    __slots__ = ("url_value_preprocessors", "before", "after", "teardown", "version", "view")

    def __init__(self, app: Erlen, blueprints: tuple[str, ...], endpoint: str | None) -> None:
        # NOTE: a plan is stale once a hook registry changed (erlen.http.generation), e.g. an
        # extension appending an after_request hook during the endpoint's first request.
        self.version = generation[0]
        outer_first = (None, *reversed(blueprints))
        inner_first = (*blueprints, None)

        def collect(
            registry: dict[str | None, list[t.Any]], names: t.Any, rev: bool
        ) -> tuple[t.Any, ...]:
            funcs: list[t.Callable[..., t.Any]] = []
            for name in names:
                if name in registry:
                    scoped = registry[name]
                    funcs.extend(reversed(scoped) if rev else scoped)
            return tuple(app.ensure_sync(f) for f in funcs)

        self.url_value_preprocessors = tuple(
            f
            for name in outer_first
            if name in app.url_value_preprocessors
            for f in app.url_value_preprocessors[name]
        )
        self.before = collect(app.before_request_funcs, outer_first, False)
        self.after = collect(app.after_request_funcs, inner_first, True)
        self.teardown = collect(app.teardown_request_funcs, inner_first, True)
        #: The endpoint's view as ensure_sync made it (None: no view yet, or a class whose
        #: pipeline steps are called one by one); PERF: one attribute for wsgi_app's inline
        #: steps, kept true by the version (a view function changed bumps it).
        view = app.view_functions.get(endpoint) if endpoint is not None else None
        self.view = app.ensure_sync(view) if view is not None and app._inline_pipeline else None


#: The pipeline methods whose bodies :meth:`Erlen.wsgi_app` runs inline while a class keeps
#: erlen's own (``Erlen._own_pipeline``).
_INLINE_METHODS = (
    "match_request",
    "request_context",
    "app_context",
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "finalize_request",
    "make_response",
    "process_response",
    "do_teardown_request",
    "do_teardown_appcontext",
    "ensure_sync",
)
_new_object = object.__new__
# PERF: bound once (the memo is cleared, never replaced); see Erlen.wsgi_app's text path.
_text_plans_get = text_plans.get


class Erlen(ServingHooks, Scaffold):
    """The application: a WSGI (and ASGI) callable that holds routes, hooks and configuration.

    >>> from erlen import Erlen
    >>> app = Erlen(__name__)
    >>> @app.route("/")
    ... def index():
    ...     return "hello world!!!"
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    aborter_class = Aborter
    jinja_environment: t.Any = None  # set below to erlen.templating.Environment, lazily
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    url_rule_class = Rule
    url_map_class = Map
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    session_interface: SessionInterface = SecureCookieSessionInterface()
    test_client_class: type[ErlenClient] | None = None
    test_cli_runner_class: type[ErlenCliRunner] | None = None
    jinja_options: dict[str, t.Any] = {}
    #: PERF: True while ``do_teardown_appcontext`` is erlen's own, so an app context with no
    #: teardown functions and no signal receivers can skip the call; an override always runs.
    _own_teardown_appcontext = True

    #: PERF: True while the class keeps erlen's pipeline methods, so ``wsgi_app`` may run them
    #: inline (see _INLINE_METHODS); a subclass overriding any of them gets every call.
    _own_pipeline = True
    #: PERF: True while the class keeps erlen's ``asgi_app``, so ``__call__`` may hand an ASGI
    #: call straight to the edge (an instance's own ``asgi_app``, ASGI middleware, is honoured).
    _own_asgi_app = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_asgi_app = cls.asgi_app is Erlen.asgi_app
        cls._own_teardown_appcontext = cls.do_teardown_appcontext is Erlen.do_teardown_appcontext
        cls._own_pipeline = all(
            getattr(cls, name) is getattr(Erlen, name) for name in _INLINE_METHODS
        )

    def __setattr__(self, name: str, value: t.Any) -> None:
        # NOTE: what the request path decided once depends on the app's attributes
        # (request_class, response_class, session_interface, view_functions, wsgi_app as WSGI
        # middleware...): assigning any of them makes those decisions again (see
        # erlen.http.generation). Only setup assigns; the request path assigns nothing.
        object.__setattr__(self, name, value)
        if name != "_got_first_request":  # NOTE: set by the first request, changes nothing
            generation[0] += 1

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        generation[0] += 1  # NOTE: as an assignment (``del app.wsgi_app`` drops middleware)

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute[t.Union[str, bytes, None]]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME",
        get_converter=lambda v: v if isinstance(v, timedelta) else timedelta(seconds=v),
    )

    #: Flask 3.1's defaults, except where erlen is safer by default (see docs/limits.md):
    #: MAX_CONTENT_LENGTH is 16 MiB (Flask: unlimited) and MAX_FORM_FIELDS is erlen's own.
    default_config = ImmutableDict(
        {
            "DEBUG": None,
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": None,
            "SECRET_KEY": None,
            "SECRET_KEY_FALLBACKS": None,
            "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
            "USE_X_SENDFILE": False,
            "TRUSTED_HOSTS": None,
            "SERVER_NAME": None,
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_PARTITIONED": False,
            "SESSION_COOKIE_SAMESITE": None,
            "SESSION_REFRESH_EACH_REQUEST": True,
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
            "MAX_FORM_MEMORY_SIZE": 500_000,
            "MAX_FORM_PARTS": 1_000,
            "MAX_FORM_FIELDS": 1_000,
            "SEND_FILE_MAX_AGE_DEFAULT": None,
            "TRAP_BAD_REQUEST_ERRORS": None,
            "TRAP_HTTP_EXCEPTIONS": False,
            "EXPLAIN_TEMPLATE_LOADING": False,
            "PREFERRED_URL_SCHEME": "http",
            "TEMPLATES_AUTO_RELOAD": None,
            "MAX_COOKIE_SIZE": 4093,
            "PROVIDE_AUTOMATIC_OPTIONS": True,
        }
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute. A relative path was given"
                " instead."
            )
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        self.aborter = self.make_aborter()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_build_error_handlers: list[t.Callable[..., t.Any]] = []
        # NOTE: a list that bumps generation, as the hook registries' lists do.
        self.teardown_appcontext_funcs: list[t.Callable[..., t.Any]] = _HookList()
        self.shell_context_processors: list[t.Callable[..., t.Any]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, t.Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        # PERF: view functions and hooks made sync once, not per request (see ensure_sync).
        self._sync_cache: dict[t.Callable[..., t.Any], t.Callable[..., t.Any]] = {}
        # PERF: endpoint (None for an unmatched request) -> its hooks; see _HookPlan.
        self._hook_plans: dict[str | None, _HookPlan] = {}
        # PERF: class attributes read on every request, copied to the instance: a class
        # attribute read through an instance is an unspecialised lookup on CPython 3.11 (as
        # in Flask, ``app.request_class = ...`` on the instance is how an app changes them).
        self._inline_pipeline = self._own_pipeline
        self._own_asgi_app = self._own_asgi_app
        self.request_class = self.request_class
        self.response_class = self.response_class
        self.cli.name = self.name
        self.template_context_processors[None].append(templating.default_template_ctx_processor)
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError(  # NOTE: Flask's exception type for this misuse
                    "Invalid static_host/host_matching combination: static_host is required"
                    " exactly when host_matching is set."
                )
            self_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                # NOTE: a weak reference, so the app holds no cycle and is freed by refcount.
                view_func=lambda **kw: self_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    # -- identity and configuration --------------------------------------------------------

    @property
    def name(self) -> str:  # type: ignore[override]
        """The import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            fn = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        """Debug mode (``DEBUG`` config): tracebacks propagate and templates auto-reload."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None and "jinja_env" in self.__dict__:
            self.jinja_env.auto_reload = value

    @property
    def logger(self) -> t.Any:
        """A :mod:`logging` logger named after the app."""
        try:
            return self.__dict__["logger"]
        except KeyError:
            from .logging import create_logger

            logger = self.__dict__["logger"] = create_logger(self)
            return logger

    def make_config(self, instance_relative: bool = False) -> Config:
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        # NOTE: as Flask does, DEBUG is always a bool here (False unless the environment asks),
        # so ``{{ config.DEBUG }}`` renders "False", not "None".
        from .helpers import get_debug_flag

        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> Aborter:
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """``instance`` beside the app's package, or ``<prefix>/var/<name>-instance`` for an
        installed one (Flask's rule; see :mod:`erlen.instance`)."""
        from .instance import default_instance_path

        return default_instance_path(self.import_name, self.name, self.root_path)

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)  # noqa: SIM115
        return open(path, mode, encoding=encoding)  # noqa: SIM115

    @property
    def got_first_request(self) -> bool:
        return self._got_first_request

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application. It has"
                " already handled its first request, any changes will not be applied"
                " consistently.\nMake sure all imports, decorators, functions, etc. needed to set"
                " up the application are done before running it."
            )

    # -- templates ---------------------------------------------------------------------------

    @property
    def jinja_env(self) -> t.Any:
        """The Jinja environment, created on first use."""
        try:
            return self.__dict__["jinja_env"]
        except KeyError:
            env = self.__dict__["jinja_env"] = self.create_jinja_environment()
            return env

    def create_jinja_environment(self) -> t.Any:
        return templating.create_jinja_environment(self)

    def create_global_jinja_loader(self) -> t.Any:
        return templating.DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape templates named ``.html``, ``.htm``, ``.xml``, ``.xhtml`` and ``.svg``."""
        return templating.select_jinja_autoescape(filename)

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add the context processors' values to ``context`` (the given values win)."""
        templating.update_template_context(self, context)

    @staticmethod
    def _decorator_or_call(add: t.Callable[..., None], name: t.Any) -> t.Any:
        # NOTE: accepts @app.template_filter, @app.template_filter() and ("name").
        if callable(name):
            add(name)
            return name

        def decorator(f: F) -> F:
            add(f, name=name)
            return f

        return decorator

    def template_filter(self, name: t.Any = None) -> t.Any:
        """Register a Jinja filter: ``@app.template_filter()`` or ``@app.template_filter("n")``."""
        return self._decorator_or_call(self.add_template_filter, name)

    def add_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self._check_setup_finished("add_template_filter")
        self.jinja_env.filters[name or f.__name__] = f

    def template_test(self, name: t.Any = None) -> t.Any:
        """Register a Jinja test: ``{% if n is prime %}``."""
        return self._decorator_or_call(self.add_template_test, name)

    def add_template_test(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self._check_setup_finished("add_template_test")
        self.jinja_env.tests[name or f.__name__] = f

    def template_global(self, name: t.Any = None) -> t.Any:
        """Register a Jinja global function or value."""
        return self._decorator_or_call(self.add_template_global, name)

    def add_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self._check_setup_finished("add_template_global")
        self.jinja_env.globals[name or f.__name__] = f

    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(exc)`` when the app context is popped."""
        self._check_setup_finished("teardown_appcontext")
        self.teardown_appcontext_funcs.append(f)
        return f

    def shell_context_processor(self, f: F) -> F:
        self._check_setup_finished("shell_context_processor")
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, t.Any]:
        from .globals import g

        rv = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

    # -- routes and blueprints --------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Connect a URL rule to an endpoint and, optionally, its view function."""
        self._check_setup_finished("add_url_rule")
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example:"
                ' @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options
        self.url_map.add(rule_obj)
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint function:"
                    f" {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register a blueprint's routes and hooks on the app (``url_prefix=``, ``name=`` ...)."""
        self._check_setup_finished("register_blueprint")
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        return self.blueprints.values()

    # -- contexts ---------------------------------------------------------------------------

    def app_context(self) -> AppContext:
        """An application context: ``with app.app_context(): ...``"""
        return AppContext(self)

    def request_context(self, environ: dict[str, t.Any]) -> RequestContext:
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for a request built from ``EnvironBuilder`` arguments."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> ErlenClient:
        """A client that sends requests to the app without a server."""
        cls = self.test_client_class
        if cls is None:
            from .testing import ErlenClient as cls  # type: ignore[assignment]
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)  # type: ignore[misc]

    def test_cli_runner(self, **kwargs: t.Any) -> ErlenCliRunner:
        cls = self.test_cli_runner_class
        if cls is None:
            from .testing import ErlenCliRunner as cls  # type: ignore[assignment]
        return cls(self, **kwargs)  # type: ignore[misc]

    # -- the request pipeline ---------------------------------------------------------------

    def __call__(self, environ: t.Any, start_response: t.Any = None, send: t.Any = None) -> t.Any:
        """The entry point of both protocols, told apart by their arguments.

        - ``app(environ, start_response)``: WSGI; wrap ``app.wsgi_app`` to add WSGI middleware.
        - ``await app(scope, receive, send)``: ASGI 3; wrap ``app.asgi_app`` for ASGI middleware.
        - ``app(scope)`` returning ``await instance(receive, send)``: ASGI 2, which servers that
          detect the interface from the signature (uvicorn) pick for a sync ``__call__``.
        """
        if send is None:
            if start_response is not None:  # PERF: WSGI first, two compares
                return self.wsgi_app(environ, start_response)
            # NOTE: the closure lives in another method: a nested function here would make
            # every WSGI call create cells for its variables.
            return self._asgi2(environ)
        http = _asgi_http
        if http is not None and self._own_asgi_app and "asgi_app" not in self.__dict__:
            # PERF: the edge's coroutine itself, without asgi_app's around it.
            if environ["type"] == "http":
                return http(self, environ, start_response, send)
            return _asgi_edge(self, environ, start_response, send)  # type: ignore[misc]
        return self.asgi_app(environ, start_response, send)

    def _asgi2(self, scope: t.Any) -> t.Callable[..., t.Any]:
        async def asgi2(receive: t.Any, send: t.Any) -> None:
            await self.asgi_app(scope, receive, send)

        return asgi2

    async def asgi_app(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        """The ASGI application (HTTP, WebSocket, lifespan); see :mod:`erlen.serving.asgi`."""
        edge = _asgi_edge
        if edge is None:
            edge = _load_asgi_edge()
        await edge(self, scope, receive, send)

    def wsgi_app(
        self, environ: dict[str, t.Any], start_response: t.Any, _ctx: t.Any = None
    ) -> t.Any:
        """The WSGI application; see the module docstring for the order of events."""
        if _ctx is not None or not self._inline_pipeline:
            return self._wsgi_app(environ, start_response, _ctx)
        # PERF: the steps of _wsgi_app with erlen's own methods inlined (design §4): no call
        # for a context, a hook list, a signal or a session that has nothing to do. The order
        # of events is _wsgi_app's; anything unusual (an error, a hook, a nested context,
        # files to close) goes through the method that handles it. _INLINE_METHODS lists the
        # methods whose bodies appear here: a subclass overriding one of them takes _wsgi_app.
        # PERF: the class read as an attribute, then called: ``self.request_class(...)`` compiles
        # to a method load, which cannot specialise for a class held by the instance.
        request_class = self.request_class
        request = request_class(environ, False)  # NOTE: populate_request=False, see ctx
        request.url_rule = request.view_args = request.routing_exception = None
        ctx = _new_object(RequestContext)  # RequestContext.__init__, inline
        ctx.app = self
        ctx.request = request
        ctx._session = ctx._hooks = None
        ctx._after_request_functions = ()
        ctx._cv_tokens = tokens = []  # type: ignore[var-annotated]
        error: BaseException | None = None
        plan: _HookPlan | None = None
        app_ctx: AppContext | None = None
        pair: tuple[AppContext, RequestContext] | None = None
        text: tuple[str, tuple[str, str]] | t.Literal[False] | None = None
        body: bytes | None = None  # set when the text path sends the view's text
        try:
            try:
                # -- RequestContext.push: one set for both contexts (see erlen.ctx)
                outer = _get_context(_NO_CONTEXT)[0]
                if outer is None or outer.app is not self:
                    app_ctx = _new_object(AppContext)  # app_context(), inline
                    app_ctx.app = self
                    if appcontext_pushed.receivers:
                        app_ctx.push()
                    else:
                        app_ctx._joint = True
                    pair = (app_ctx, ctx)
                else:
                    pair = (outer, ctx)
                tokens.append((_set_context(pair), app_ctx))
                # -- match_request: its usual case (no trusted-hosts list, a Host already seen
                # valid, no host or subdomain matching, a match) inline; anything else, or a
                # routing error, is the method's.
                url_map = self.url_map
                if (
                    environ.get("HTTP_HOST") in _GOOD_HOSTS
                    and self.config["TRUSTED_HOSTS"] is None
                    and not self.subdomain_matching
                    and not url_map.host_matching
                ):
                    try:
                        request.url_rule, request.view_args = url_map.match(
                            request.path, request.method
                        )
                    except HTTPException:
                        self.match_request(request)
                else:
                    self.match_request(request)
                # -- full_dispatch_request
                if not self._got_first_request:  # NOTE: an assignment bumps the generation
                    self._got_first_request = True
                try:
                    if request_started.receivers:
                        request_started.send(self, _async_wrapper=self.ensure_sync)
                    rule = request.url_rule
                    plan = self._hook_plans.get(rule.endpoint if rule is not None else None)
                    if plan is None or plan.version != generation[0]:
                        plan = self._hook_plan(request)
                    ctx._hooks = plan
                    rv = None
                    if plan.before or plan.url_value_preprocessors:
                        rv = self.preprocess_request()
                    if rv is None:
                        # -- dispatch_request
                        if request.routing_exception is not None:
                            self.raise_routing_exception(request)
                        if rule.provide_automatic_options and request.method == "OPTIONS":  # type: ignore[union-attr]
                            rv = self.make_default_options_response()
                        else:
                            view = plan.view
                            if view is None or plan.version != generation[0]:
                                # NOTE: a before_request hook may have changed view_functions.
                                view = self.view_functions[rule.endpoint]  # type: ignore[union-attr]
                                view = self._sync_cache.get(view) or self.ensure_sync(view)
                            view_args = request.view_args
                            # PERF: a call without ``**{}`` skips building keyword arguments.
                            rv = view(**view_args) if view_args else view()
                except Exception as e:
                    rv = self.handle_user_exception(e)
                # -- finalize_request (make_response's first answers, inline)
                response_class = self.response_class
                # NOTE: process_response has nothing to do: no after-request function, no
                # session opened and no cookie that could hold one.
                unprocessed = not (
                    ctx._after_request_functions
                    or ctx._session is not None
                    or "HTTP_COOKIE" in environ
                    or plan is None
                    or plan.after
                    or plan.version != generation[0]
                )
                if type(rv) is str:
                    if unprocessed and not request_finished.receivers and request.method != "HEAD":
                        # PERF: nothing will see the response object, so the text is sent as
                        # the class would send it (text_plan) without building one: its
                        # constructor and __call__ are about a fifth of a hello request.
                        text = _text_plans_get(response_class)
                        if text is None:
                            text = text_plan(response_class)
                    if text:
                        body = rv.encode()
                    else:
                        response = response_class(rv)
                elif type(rv) is response_class:
                    response = rv
                else:
                    response = self.make_response(rv)
                if body is None:
                    if not unprocessed:
                        response = self.process_response(response)
                    if request_finished.receivers:
                        request_finished.send(
                            self, _async_wrapper=self.ensure_sync, response=response
                        )
            except Exception as e:
                error = e
                body = None
                response = self.handle_exception(e)
            except BaseException:
                error = sys.exc_info()[1]
                raise
            if body is not None:
                size = len(body)
                start_response(
                    text[0],  # type: ignore[index]
                    [
                        text[1],  # type: ignore[index]
                        LENGTH_PAIRS[size] if size < 512 else ("Content-Length", str(size)),
                    ],
                )
                return [body]
            return response(environ, start_response)
        finally:
            if "werkzeug.debug.preserve_context" in environ:
                environ["werkzeug.debug.preserve_context"](_get_app_ctx())
                environ["werkzeug.debug.preserve_context"](_get_request_ctx())
            if error is not None and self.should_ignore_error(error):
                error = None
            # -- RequestContext.pop: with no teardown to run, no files to close and the
            # contexts where push left them, popping is resetting the context variable.
            plan = ctx._hooks
            if (
                len(tokens) == 1
                and plan is not None
                and not plan.teardown
                and plan.version == generation[0]
                and not request_tearing_down.receivers
                # NOTE: files come from a multipart body only; Request.close closes them, so
                # a body without any (a urlencoded form) has nothing to close either.
                and (
                    "CONTENT_TYPE" not in environ
                    or (request._own_close and not request.__dict__.get("files"))
                )
                and _get_context(None) is pair
                and (
                    app_ctx is None
                    or (
                        # NOTE: an app context pushed on its own too and still pushed would have
                        # failed the pair check above.
                        app_ctx._joint
                        and not self.teardown_appcontext_funcs
                        and not appcontext_tearing_down.receivers
                        and not appcontext_popped.receivers
                    )
                )
            ):
                _reset_context(tokens.pop()[0])
                if app_ctx is not None:
                    app_ctx._joint = False
            else:
                ctx.pop(error)

    def _wsgi_app(self, environ: dict[str, t.Any], start_response: t.Any, _ctx: t.Any) -> t.Any:
        """:meth:`wsgi_app` step by step, each step a method a subclass may override."""
        # NOTE: the ASGI edge passes the context it already built and matched (``_ctx``).
        ctx = self.request_context(environ) if _ctx is None else _ctx
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                response = self.full_dispatch_request()
            except Exception as e:
                error = e
                response = self.handle_exception(e)
            except BaseException:
                error = sys.exc_info()[1]
                raise
            return response(environ, start_response)
        finally:
            if "werkzeug.debug.preserve_context" in environ:
                environ["werkzeug.debug.preserve_context"](_get_app_ctx())
                environ["werkzeug.debug.preserve_context"](_get_request_ctx())
            if error is not None and self.should_ignore_error(error):
                error = None
            ctx.pop(error)

    def match_request(self, request: Request) -> None:
        """Set ``request.url_rule`` and ``view_args``, or keep the routing error on it."""
        try:
            # SECURITY: a malformed or untrusted Host is a 400 before any URL is built from it;
            # request.host (and so request.url) then refuses an untrusted one too, as in Flask.
            trusted = self.config["TRUSTED_HOSTS"]
            if trusted is not None:
                request.trusted_hosts = trusted
                check_host(request.environ, trusted)
            elif request.environ.get("HTTP_HOST") not in _GOOD_HOSTS:
                # PERF: a Host already seen valid is a set hit here, without the call.
                check_host(request.environ, None)
            if self.subdomain_matching or self.url_map.host_matching:
                adapter = self.create_url_adapter(request)
                rule, view_args = adapter.match(return_rule=True)  # type: ignore[union-attr]
            else:
                # PERF: the common case needs no adapter object, just the map.
                rule, view_args = self.url_map.match(request.path, request.method)
        except RequestRedirect as e:
            if e.script_relative or not e.new_url.startswith(("http://", "https://")):
                e.new_url = self._absolute_redirect_url(request, e)
            request.routing_exception = e
        except HTTPException as e:
            request.routing_exception = e
        else:
            request.url_rule = rule
            request.view_args = view_args

    @staticmethod
    def _absolute_redirect_url(request: Request, e: RequestRedirect) -> str:
        # NOTE: the map gives a path (slash and default redirects keep the query string) or a
        # ``redirect_to`` target; the client gets an absolute URL, as from Werkzeug.
        root = request.host_url[:-1] + request.script_root
        if not e.script_relative:
            from urllib.parse import urljoin

            return urljoin(root, e.new_url)
        url = root + e.new_url
        if request.query_string:
            url += "?" + request.query_string.decode("latin-1")
        return url

    def full_dispatch_request(self) -> Response:
        """Hooks, view and error handlers, then :meth:`finalize_request`."""
        if not self._got_first_request:  # NOTE: an assignment bumps the generation
            self._got_first_request = True
        try:
            if request_started.receivers:
                request_started.send(self, _async_wrapper=self.ensure_sync)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def _hook_plan(self, request: Request) -> _HookPlan:
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else None
        plan = self._hook_plans.get(endpoint)
        if plan is None or plan.version != generation[0]:
            plan = self._hook_plans[endpoint] = _HookPlan(self, request._blueprint_chain, endpoint)
        return plan

    def preprocess_request(self) -> t.Any:
        """Run URL value preprocessors then ``before_request`` hooks (app first)."""
        ctx = _get_request_ctx()
        req = ctx.request
        rule = req.url_rule
        # PERF: the cache hit of _hook_plan, inline.
        plan = self._hook_plans.get(rule.endpoint if rule is not None else None)
        if plan is None or plan.version != generation[0]:
            plan = self._hook_plan(req)
        ctx._hooks = plan
        if plan.url_value_preprocessors:
            endpoint = req.endpoint
            for url_func in plan.url_value_preprocessors:
                url_func(endpoint, req.view_args)
        for before_func in plan.before:
            rv = before_func()
            if rv is not None:
                return rv
        return None

    def dispatch_request(self) -> t.Any:
        """Call the matched view with the URL values (or raise the routing error)."""
        req = _get_request_ctx().request
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        rule = req.url_rule
        if rule.provide_automatic_options and req.method == "OPTIONS":  # type: ignore[union-attr]
            return self.make_default_options_response()
        view = self.view_functions[rule.endpoint]  # type: ignore[union-attr]
        # PERF: ensure_sync's answer is cached; a subclass's own ensure_sync still gets called
        # because it never fills the cache.
        return (self._sync_cache.get(view) or self.ensure_sync(view))(**req.view_args)  # type: ignore[arg-type]

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        exc = request.routing_exception
        if (
            self.debug
            and isinstance(exc, RequestRedirect)
            and exc.code not in (307, 308)
            and request.method not in ("GET", "HEAD", "OPTIONS")
        ):
            # NOTE: a 301/302 makes the browser drop the posted body; say so in debug mode.
            from .debughelpers import FormDataRoutingRedirect

            raise FormDataRoutingRedirect(request)
        raise exc  # type: ignore[misc]

    def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` answer: an empty 200 with ``Allow``."""
        methods = _get_request_ctx().url_adapter.allowed_methods()  # type: ignore[union-attr]
        rv = self.response_class()
        rv.headers["Allow"] = ", ".join(methods)
        return rv

    def finalize_request(self, rv: t.Any, from_error_handler: bool = False) -> Response:
        """Turn ``rv`` into a response and run the after-request processing."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if request_finished.receivers:
                request_finished.send(self, _async_wrapper=self.ensure_sync, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception("Request finalizing failed with an error while handling an error")
        return response

    def process_response(self, response: Response) -> Response:
        """``after_this_request`` functions, ``after_request`` hooks, then save the session."""
        ctx = _get_context(_NO_CONTEXT)[1]  # PERF: one C call (called inside a request)
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        plan = ctx._hooks
        if plan is None or plan.version != generation[0]:
            plan = self._hook_plan(ctx.request)
        for func in plan.after:
            response = func(response)
        # PERF: no session opened and no cookie that could hold one: nothing to save.
        if ctx._session is not None or "HTTP_COOKIE" in ctx.request.environ:
            self.save_request_session(ctx, response)
        return response

    def open_request_session(self, request: Request) -> t.Any:
        """Open the session for ``request`` (called when something first touches it)."""
        interface = self.session_interface
        session = interface.open_session(self, request)
        if session is None:
            session = interface.make_null_session(self)
        return session

    def save_request_session(self, ctx: RequestContext, response: Response) -> None:
        session = ctx._session
        if session is None:
            # PERF: an untouched session is not opened. A permanent cookie session still has
            # its expiry refreshed, as in Flask, so open it when the request carries a cookie.
            if not (
                "HTTP_COOKIE" in ctx.request.environ
                and self.config["SESSION_REFRESH_EACH_REQUEST"]
                and self.session_interface.get_cookie_name(self) in ctx.request.cookies
            ):
                return
            session = ctx._session = self.open_request_session(ctx.request)
        interface = self.session_interface
        if not interface.is_null_session(session):
            interface.save_session(self, session, response)

    def make_response(self, rv: t.Any) -> Response:
        """Turn a view's return value into a response object (str, bytes, dict, list, tuple,
        generator, Response or WSGI callable)."""
        if type(rv) is str:  # PERF: the usual view result, with nothing else to apply
            return self.response_class(rv)
        status = headers = None
        if type(rv) is tuple:
            len_rv = len(rv)
            if len_rv == 3:
                rv, status, headers = rv
            elif len_rv == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple. The tuple must have"
                    " the form (body, status, headers), (body, status), or (body, headers)."
                )
        if rv is None:
            req_ctx = _get_request_ctx(None)
            endpoint = req_ctx.request.endpoint if req_ctx is not None else None
            raise TypeError(
                f"The view function for {endpoint!r} did not return a valid response. The"
                " function either returned None or ended without a return statement."
            )
        response_class = self.response_class
        if not isinstance(rv, response_class):
            if (
                isinstance(rv, (str, bytes, bytearray))
                or hasattr(rv, "__next__")
                or hasattr(rv, "__anext__")
            ):
                rv = response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, Response) or callable(rv):
                try:
                    req_ctx = _get_request_ctx(None)
                    environ = req_ctx.request.environ if req_ctx is not None else None
                    rv = response_class.force_type(rv, environ)
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid response. The return"
                        " type must be a string, dict, list, tuple with headers or status,"
                        " Response instance, or WSGI callable, but it was a"
                        f" {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid response. The return type must be"
                    " a string, dict, list, tuple with headers or status, Response instance, or"
                    f" WSGI callable, but it was a {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status if isinstance(status, str) else status.decode()
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv  # type: ignore[no-any-return]

    # -- errors -----------------------------------------------------------------------------

    def _find_error_handler(
        self, e: BaseException, blueprints: t.Sequence[str]
    ) -> t.Callable[..., t.Any] | None:
        """The innermost blueprint's handler wins, then the app's; by code, then by class."""
        exc_class, code = self._get_exc_class_and_code(type(e))  # type: ignore[arg-type]
        names = (*blueprints, None)
        spec = self.error_handler_spec
        for c in (code, None) if code is not None else (None,):
            for name in names:
                if name not in spec:
                    continue
                handler_map = spec[name].get(c)
                if not handler_map:
                    continue
                # NOTE: foreign_mro also offers erlen's class for each of Werkzeug's, so a
                # handler for ``BadRequest`` catches Flask-WTF's ``CSRFError(BadRequest)``.
                for cls in foreign_mro(exc_class):
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def _request_blueprints(self) -> tuple[str, ...]:
        ctx = _get_request_ctx(None)
        return ctx.request._blueprint_chain if ctx is not None else ()

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP exception should propagate like an ordinary error (debugging)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and self.debug and is_instance(e, BadRequestKeyError):
            return True
        if trap_bad_request:
            return is_instance(e, BadRequest)
        return False

    def handle_http_exception(self, e: HTTPException) -> t.Any:  # or Werkzeug's
        """The registered handler's answer for an HTTP error, or the error itself."""
        if e.code is None:
            return e
        if is_instance(e, RoutingException):
            return e
        handler = self._find_error_handler(e, self._request_blueprints())
        if handler is None:
            return e
        return self.ensure_sync(handler)(e)

    def handle_user_exception(self, e: Exception) -> t.Any:
        """Errors raised by hooks and views: HTTP errors and registered handlers; else re-raise."""
        if is_instance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True  # type: ignore[attr-defined]
        # NOTE: Werkzeug's HTTP errors (raised by extensions) are HTTP errors too (design §8).
        if is_http_exception(e) and not self.trap_http_exception(e):
            return self.handle_http_exception(e)  # type: ignore[arg-type]
        handler = self._find_error_handler(e, self._request_blueprints())
        if handler is None:
            raise e
        return self.ensure_sync(handler)(e)

    def handle_exception(self, e: Exception) -> Response:
        """An unhandled error: propagate when testing/debugging, else a 500 via its handler."""
        exc_info = sys.exc_info()
        if got_request_exception.receivers:
            got_request_exception.send(self, _async_wrapper=self.ensure_sync, exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if exc_info[1] is e:
                raise
            raise e
        self.log_exception(exc_info)
        server_error: t.Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, self._request_blueprints())
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(self, exc_info: t.Any) -> None:
        req_ctx = _get_request_ctx(None)
        where = f"{req_ctx.request.path} [{req_ctx.request.method}]" if req_ctx else "?"
        self.logger.error(f"Exception on {where}", exc_info=exc_info)

    def should_ignore_error(self, error: BaseException | None) -> bool:
        return False

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        ctx = _get_request_ctx()
        plan = ctx._hooks
        if plan is None or plan.version != generation[0]:
            plan = self._hook_plan(ctx.request)
        for func in plan.teardown:
            func(exc)
        if request_tearing_down.receivers:
            request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        if self.teardown_appcontext_funcs:
            for func in reversed(self.teardown_appcontext_funcs):
                self.ensure_sync(func)(exc)
        if appcontext_tearing_down.receivers:
            appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    # -- async ------------------------------------------------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """``func`` itself, or for an ``async def`` function a sync wrapper that runs it."""
        try:
            return self._sync_cache[func]
        except (KeyError, TypeError):
            pass
        import inspect

        wrapped = self.async_to_sync(func) if inspect.iscoroutinefunction(func) else func
        try:
            self._sync_cache[func] = wrapped
        except TypeError:
            pass
        return wrapped

    def async_to_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Wrap a coroutine function to run on the worker's long-lived event loop."""
        from ._async import run_on_loop

        return run_on_loop(func)

    # -- URLs -------------------------------------------------------------------------------

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """A URL adapter bound to the request, or to ``SERVER_NAME`` outside a request."""
        if request is not None:
            subdomain = None
            server_name = self.config["SERVER_NAME"]
            if self.url_map.host_matching:
                # NOTE: SERVER_NAME would replace the request's host, which host matching needs.
                server_name = None
            elif not self.subdomain_matching:
                subdomain = self.url_map.default_subdomain or ""
            environ = request.environ
            trusted = self.config["TRUSTED_HOSTS"]
            if trusted is not None:
                request.trusted_hosts = trusted
                try:
                    check_host(environ, trusted)
                except HTTPException:
                    # SECURITY: even an error handler of this request never builds a URL on
                    # the untrusted host.
                    environ = {**environ, "HTTP_HOST": ""}
            return self.url_map.bind_to_environ(
                environ, server_name=server_name, subdomain=subdomain
            )
        server_name = self.config["SERVER_NAME"]
        if server_name is None:
            return None
        return self.url_map.bind(
            server_name,
            script_name=self.config["APPLICATION_ROOT"],
            url_scheme=self.config["PREFERRED_URL_SCHEME"],
        )

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        for name in (None, *reversed(_blueprint_chain(endpoint))):
            if name in self.url_default_functions:
                for func in self.url_default_functions[name]:
                    func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv  # type: ignore[no-any-return]
        if error is sys.exc_info()[1]:
            raise
        raise error

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build the URL of ``endpoint``; see :func:`erlen.url_for`."""
        req_ctx = _get_request_ctx(None)
        if req_ctx is not None:
            url_adapter = req_ctx.url_adapter
            blueprint_name = req_ctx.request.blueprint
            if endpoint[:1] == ".":
                endpoint = f"{blueprint_name}{endpoint}" if blueprint_name else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            app_ctx = _get_app_ctx(None)
            url_adapter = (
                app_ctx.url_adapter if app_ctx is not None else self.create_url_adapter(None)
            )
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without 'SERVER_NAME'"
                    " configured. Also configure 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as"
                    " needed."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            rv = url_adapter.build(  # type: ignore[union-attr]
                endpoint, values, method=_method, url_scheme=_scheme, force_external=_external
            )
        except BuildError as error:
            values.update(_anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external)
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            from urllib.parse import quote

            rv = f"{rv}#{quote(_anchor, safe='%!#$&()*+,/:;=?@')}"
        return rv

    def redirect(self, location: str, code: int = 302) -> Response:
        from .helpers import _redirect

        return _redirect(location, code, self.response_class)

    # -- serving ----------------------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app on the development server (uvicorn over the ASGI entry: HTTP/1.1
        keep-alive, WebSockets, a reloader and a loopback-only debug page). Not for production."""
        from .cli.env import get_debug_flag, getenv, run_from_cli_guard, show_debug_mode

        if run_from_cli_guard(load_dotenv):
            return  # the `erlen` command is serving (or about to): do not block its import
        if getenv("DEBUG") is not None:  # possibly just read from a .env file
            self.debug = get_debug_flag()
        from .serving.devserver import run_simple

        if debug is not None:
            self.debug = bool(debug)
        server_name = self.config.get("SERVER_NAME")
        sn_host = sn_port = None
        if server_name:
            sn_host, _, sn_port = server_name.partition(":")
        host = host or sn_host or "127.0.0.1"
        port = int(port or sn_port or 5000)
        options.setdefault("use_reloader", self.debug)
        options.setdefault("use_debugger", self.debug)
        show_debug_mode(self.debug)
        run_simple(host, port, self, **options)
