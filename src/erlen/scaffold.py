"""What apps and blueprints share: route decorators, hook registries, error handlers, folders.

Registries are keyed by scope, Flask's layout: ``None`` for the app, a blueprint's dotted name for
that blueprint, so a hook runs only for requests whose endpoint belongs to that scope.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from collections import defaultdict
from datetime import timedelta

from .http.exceptions import default_exceptions
from .http.generation import generation
from .http.interop import canonical_class, is_http_exception_class

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
ErrorKey = t.Union[int, type[BaseException]]


class _AsgiState:
    """WebSocket hooks by scope; on an app also the serving hooks, the running background
    tasks and the worker pool (:mod:`erlen.serving`)."""

    def __init__(self) -> None:
        self.before_websocket: dict[str | None, list[t.Callable[..., t.Any]]] = defaultdict(list)
        self.after_websocket: dict[str | None, list[t.Callable[..., t.Any]]] = defaultdict(list)
        self.before_serving: list[t.Callable[..., t.Any]] = []
        self.after_serving: list[t.Callable[..., t.Any]] = []
        self.while_serving: list[t.Callable[..., t.Any]] = []
        self.background_tasks: set[t.Any] = set()
        self.pool: t.Any = None


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any] | None) -> str:
    if view_func is None:
        raise TypeError("expected view func if endpoint is not provided.")
    return view_func.__name__


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (the app's ``root_path``)."""
    mod = sys.modules.get(import_name)
    filename = getattr(mod, "__file__", None)
    if filename:
        return os.path.dirname(os.path.abspath(filename))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin in (None, "namespace") or spec.loader is None:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(spec.origin))  # type: ignore[arg-type]


class _HookList(list):  # type: ignore[type-arg]
    """One scope's hook list; every mutation bumps :data:`generation`."""

    __slots__ = ()


def _bumping(method: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def mutate(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        generation[0] += 1
        return method(self, *args, **kwargs)

    mutate.__name__ = method.__name__
    return mutate


for _name in (
    "append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
    "__setitem__", "__delitem__", "__iadd__",
):  # fmt: skip
    setattr(_HookList, _name, _bumping(getattr(list, _name)))


class _ViewFunctions(dict):  # type: ignore[type-arg]
    """``view_functions``: every change bumps :data:`generation` (Flask documents assigning
    ``app.view_functions[endpoint]`` directly; the ASGI edge keeps the view of a quiet route)."""

    __slots__ = ()


for _name in (
    "__setitem__", "__delitem__", "__ior__", "pop", "popitem", "clear", "update", "setdefault",
):  # fmt: skip
    setattr(_ViewFunctions, _name, _bumping(getattr(dict, _name)))


class HookRegistry(defaultdict):  # type: ignore[type-arg]
    """``{scope: [hooks]}`` (``before_request_funcs`` etc.): changes bump :data:`generation`.

    A list stored into it (``funcs[None] = [...]``, ``setdefault(None, [])``) is kept as a
    :class:`_HookList`, so later appends to it are noticed too.
    """

    def __init__(self, *args: t.Any) -> None:
        super().__init__(_HookList)
        if args:
            self.update(*args)

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        generation[0] += 1
        super().__setitem__(key, value if type(value) is _HookList else _HookList(value))

    def __delitem__(self, key: t.Any) -> None:
        generation[0] += 1
        super().__delitem__(key)

    def setdefault(self, key: t.Any, default: t.Any = None) -> t.Any:
        if key not in self:
            self[key] = default if default is not None else []
        return self[key]

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def pop(self, *args: t.Any) -> t.Any:
        generation[0] += 1
        return super().pop(*args)

    def clear(self) -> None:
        generation[0] += 1
        super().clear()


class Scaffold:
    """Base of :class:`~erlen.Erlen` and :class:`~erlen.Blueprint`."""

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        from .cli import AppGroup

        self.import_name = import_name
        self.static_folder = static_folder  # type: ignore[assignment]
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path
        self.cli: AppGroup = AppGroup()
        self.view_functions: dict[str, t.Callable[..., t.Any]] = _ViewFunctions()
        self.error_handler_spec: dict[
            str | None, dict[int | None, dict[type[BaseException], t.Callable[..., t.Any]]]
        ] = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = HookRegistry()
        self.after_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = HookRegistry()
        self.teardown_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = HookRegistry()
        self.template_context_processors: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        # PERF: one attribute for everything the ASGI side keeps (see _AsgiState): an app
        # object with more than 30 attributes loses CPython's shared-key instance dict, which
        # makes every ``self.x`` of the request path slower.
        self._asgi = _AsgiState()
        self.url_value_preprocessors: dict[str | None, list[t.Callable[..., t.Any]]] = (
            HookRegistry()
        )
        self.url_default_functions: dict[str | None, list[t.Callable[..., t.Any]]] = defaultdict(
            list
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # -- folders ----------------------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or None."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix of the static route; by default ``/`` plus the folder's name."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    @property
    def jinja_loader(self) -> t.Any:
        """A Jinja loader for ``template_folder``, or None when there is none."""
        try:
            return self.__dict__["_jinja_loader"]
        except KeyError:
            pass
        loader = None
        if self.template_folder is not None:
            from jinja2 import FileSystemLoader

            loader = FileSystemLoader(os.path.join(self.root_path, self.template_folder))
        self.__dict__["_jinja_loader"] = loader
        return loader

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Cache max age for ``send_file``; ``SEND_FILE_MAX_AGE_DEFAULT`` by default."""
        from .globals import current_app

        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    def send_static_file(self, filename: str) -> t.Any:
        """Serve ``filename`` from the static folder (the view behind the ``static`` route)."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from .helpers import send_from_directory

        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(t.cast(str, self.static_folder), filename, max_age=max_age)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.Any]:
        """Open a file relative to ``root_path`` for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)  # noqa: SIM115
        return open(path, mode, encoding=encoding)  # noqa: SIM115

    # -- routes -----------------------------------------------------------------------------

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        raise NotImplementedError

    def route(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Register the decorated function as the view for ``rule``.

        >>> @app.route("/users/<int:user_id>", methods=["GET", "POST"])   # doctest: +SKIP
        ... def user(user_id): ...
        """

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["GET"])``"""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["POST"])``"""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["PUT"])``"""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``"""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``"""
        return self._method_route("PATCH", rule, options)

    def websocket(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Register the decorated function as the WebSocket handler for ``rule`` (ASGI only).

        >>> @app.websocket("/ws/<room>")                    # doctest: +SKIP
        ... async def chat(room):
        ...     await websocket.send(await websocket.receive())
        """

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(
                rule,
                endpoint,
                f,
                methods=["GET"],
                websocket=True,
                provide_automatic_options=False,
                **options,
            )
            return f

        return decorator

    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the view for ``endpoint`` (rule added elsewhere)."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks ------------------------------------------------------------------------------

    def _register(self, registry: dict[str | None, list[t.Any]], f: F, f_name: str) -> F:
        self._check_setup_finished(f_name)
        registry[None].append(f)
        return f

    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a non-None return value is the response."""
        return self._register(self.before_request_funcs, f, "before_request")

    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it must return a response."""
        return self._register(self.after_request_funcs, f, "after_request")

    def teardown_request(self, f: F) -> F:
        """Run ``f(exc)`` when the request context is popped, even after an error."""
        return self._register(self.teardown_request_funcs, f, "teardown_request")

    @property
    def before_websocket_funcs(self) -> dict[str | None, list[t.Callable[..., t.Any]]]:
        return self._asgi.before_websocket

    @property
    def after_websocket_funcs(self) -> dict[str | None, list[t.Callable[..., t.Any]]]:
        return self._asgi.after_websocket

    def before_websocket(self, f: F) -> F:
        """Run ``f()`` before each WebSocket handler; a return value or an error rejects the
        connection (403) before it is accepted."""
        return self._register(self.before_websocket_funcs, f, "before_websocket")

    def after_websocket(self, f: F) -> F:
        """Run ``f(None)`` after each WebSocket handler ends."""
        return self._register(self.after_websocket_funcs, f, "after_websocket")

    def context_processor(self, f: F) -> F:
        """Register ``f() -> dict`` whose items are added to every template's context."""
        return self._register(self.template_context_processors, f, "context_processor")

    def url_value_preprocessor(self, f: F) -> F:
        """Register ``f(endpoint, values)`` run on matched URL values before the hooks."""
        return self._register(self.url_value_preprocessors, f, "url_value_preprocessor")

    def url_defaults(self, f: F) -> F:
        """Register ``f(endpoint, values)`` that may fill ``values`` before ``url_for`` builds."""
        return self._register(self.url_default_functions, f, "url_defaults")

    # -- errors -----------------------------------------------------------------------------

    def errorhandler(self, code_or_exception: ErrorKey) -> t.Callable[[F], F]:
        """Register a handler for an HTTP status code or an exception class.

        >>> @app.errorhandler(404)                  # doctest: +SKIP
        ... def not_found(e):
        ...     return "nothing here", 404
        """

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    def register_error_handler(
        self, code_or_exception: ErrorKey, f: t.Callable[..., t.Any]
    ) -> None:
        """The non-decorator form of :meth:`errorhandler`."""
        self._check_setup_finished("register_error_handler")
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: ErrorKey,
    ) -> tuple[type[BaseException], int | None]:
        if isinstance(exc_class_or_code, int):
            try:
                exc_class: type[BaseException] = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a subclass of"
                    " HTTPException with that code instead."
                ) from None
        else:
            # NOTE: a handler for Werkzeug's ``NotFound`` is kept under erlen's (design §8).
            exc_class = exc_class_or_code
            if isinstance(exc_class, type):
                exc_class = canonical_class(exc_class)
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be registered for"
                " Exception classes or HTTP error codes."
            )
        if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{getattr(exc_class, '__name__', exc_class)}' is not a subclass of Exception."
                " Handlers can only be registered for Exception classes or HTTP error codes."
            )
        if is_http_exception_class(exc_class):
            return exc_class, exc_class.code  # type: ignore[attr-defined]
        return exc_class, None
