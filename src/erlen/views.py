"""Class-based views.

Subclass :class:`View` and implement ``dispatch_request``, or subclass :class:`MethodView`
and write one method per HTTP verb; register the result of :meth:`View.as_view`::

    class UserAPI(MethodView):
        def get(self, id):
            ...

        def post(self, id):
            ...

    app.add_url_rule("/users/<int:id>", view_func=UserAPI.as_view("user"))
"""

from __future__ import annotations

import typing as t

from .globals import current_app, request

if t.TYPE_CHECKING:
    from .typing import ResponseReturnValue, RouteCallable

__all__ = ["MethodView", "View", "http_method_funcs"]

#: The method names :class:`MethodView` maps to HTTP methods.
http_method_funcs = frozenset(["get", "post", "head", "options", "delete", "put", "trace", "patch"])


class View:
    """A view as a class: ``as_view`` turns it into a view function.

    Class attributes configure the route: :attr:`methods`, :attr:`provide_automatic_options`,
    :attr:`decorators` (applied to the generated function, first one innermost) and
    :attr:`init_every_request`.
    """

    #: The HTTP methods the view accepts; ``None`` lets the route decide (``GET`` by default).
    methods: t.ClassVar[t.Collection[str] | None] = None

    #: Whether ``OPTIONS`` is answered automatically; ``None`` follows the app's setting.
    provide_automatic_options: t.ClassVar[bool | None] = None

    #: Decorators applied, in order, to the function ``as_view`` returns.
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []

    #: Create a new instance per request. Set to ``False`` to build one instance in
    #: ``as_view`` and share it; then store nothing request-specific on ``self``.
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> ResponseReturnValue:
        """Handle the request; the URL's variables arrive as keyword arguments."""
        raise NotImplementedError()

    @classmethod
    def as_view(cls, name: str, *class_args: t.Any, **class_kwargs: t.Any) -> RouteCallable:
        """A view function for this class, named ``name`` (the endpoint).

        ``class_args`` and ``class_kwargs`` are passed to the constructor.
        """
        if cls.init_every_request:

            def view(**kwargs: t.Any) -> ResponseReturnValue:
                self = view.view_class(*class_args, **class_kwargs)  # type: ignore[attr-defined]
                return current_app.ensure_sync(self.dispatch_request)(**kwargs)

        else:
            self = cls(*class_args, **class_kwargs)

            def view(**kwargs: t.Any) -> ResponseReturnValue:
                return current_app.ensure_sync(self.dispatch_request)(**kwargs)

        if cls.decorators:
            # NOTE: decorators such as functools.wraps copy these, so set them first.
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)

        # NOTE: set on the outermost function, so the route and url_for see them even
        # when a decorator did not copy attributes.
        view.view_class = cls  # type: ignore[attr-defined]
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods  # type: ignore[attr-defined]
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """Dispatches each request to the method named after the HTTP verb (``get``, ``post``...).

    :attr:`methods` is collected from the verbs the class and its bases define, unless the
    class sets it. ``HEAD`` falls back to ``get``.
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            base_methods = getattr(base, "methods", None)
            if base_methods:
                methods.update(base_methods)
        for key in http_method_funcs:
            if hasattr(cls, key):
                methods.add(key.upper())
        if methods:
            cls.methods = methods

    def dispatch_request(self, **kwargs: t.Any) -> ResponseReturnValue:
        method = request.method
        meth = getattr(self, method.lower(), None)
        if meth is None and method == "HEAD":
            meth = getattr(self, "get", None)
        if meth is None:
            # NOTE: Flask asserts here; an assert vanishes under -O, so raise instead.
            raise RuntimeError(f"Unimplemented method {method!r}")
        return current_app.ensure_sync(meth)(**kwargs)
