"""erlen.views class mechanics, with stand-in contexts instead of a real app."""

from __future__ import annotations

import functools
import types

import pytest

from erlen.globals import _cv_app, _cv_request
from erlen.views import MethodView, View, http_method_funcs

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")


@pytest.fixture
def dispatch():
    """Call a view function as the app would, for a given HTTP method."""
    calls = []

    def ensure_sync(func):
        calls.append(func)
        return func

    app = types.SimpleNamespace(ensure_sync=ensure_sync)
    app_token = _cv_app.set(types.SimpleNamespace(app=app))

    def run(view, method="GET", **kwargs):
        token = _cv_request.set(types.SimpleNamespace(request=types.SimpleNamespace(method=method)))
        try:
            return view(**kwargs)
        finally:
            _cv_request.reset(token)

    run.ensure_sync_calls = calls
    yield run
    _cv_app.reset(app_token)


class Index(View):
    """The index page."""

    methods = ["GET", "POST"]
    provide_automatic_options = False

    def __init__(self, greeting="hello"):
        self.greeting = greeting

    def dispatch_request(self, name="world"):
        return f"{self.greeting} {name}"


def test_as_view_sets_attributes():
    view = Index.as_view("index")
    assert view.__name__ == "index"
    assert view.__doc__ == "The index page."
    assert view.__module__ == __name__
    assert view.view_class is Index
    assert view.methods == ["GET", "POST"]
    assert view.provide_automatic_options is False


def test_as_view_defaults():
    class Plain(View):
        def dispatch_request(self):
            return "x"

    view = Plain.as_view("plain")
    assert view.methods is None
    assert view.provide_automatic_options is None
    assert view.__doc__ is None
    assert Plain.init_every_request is True
    assert Plain.decorators == []


def test_dispatch_request_not_implemented(dispatch):
    with pytest.raises(NotImplementedError):
        dispatch(View.as_view("base"))


def test_view_passes_class_args_and_url_values(dispatch):
    view = Index.as_view("index", "hi")
    assert dispatch(view) == "hi world"
    assert dispatch(view, name="erlen") == "hi erlen"
    view = Index.as_view("index", greeting="hey")
    assert dispatch(view, name="you") == "hey you"


def test_view_goes_through_ensure_sync(dispatch):
    dispatch(Index.as_view("index"))
    (func,) = dispatch.ensure_sync_calls
    assert func.__func__ is Index.dispatch_request


def test_init_every_request_true_makes_new_instances(dispatch):
    instances = []

    class Counting(View):
        def __init__(self):
            instances.append(self)

        def dispatch_request(self):
            return id(self)

    view = Counting.as_view("counting")
    assert instances == []
    first, second = dispatch(view), dispatch(view)
    assert len(instances) == 2
    assert first != second


def test_init_every_request_false_shares_one_instance(dispatch):
    instances = []

    class Shared(View):
        init_every_request = False

        def __init__(self, value):
            self.value = value
            instances.append(self)

        def dispatch_request(self):
            return self

    view = Shared.as_view("shared", 42)
    assert len(instances) == 1
    assert dispatch(view) is dispatch(view) is instances[0]
    assert instances[0].value == 42


def test_view_class_is_looked_up_on_the_function(dispatch):
    class Other(View):
        def dispatch_request(self):
            return "other"

    view = Index.as_view("index")
    view.view_class = Other
    assert dispatch(view) == "other"


def test_decorators_are_applied_in_order(dispatch):
    seen = []

    def tag(label):
        def decorator(f):
            seen.append((label, f.__name__, f.__module__))

            @functools.wraps(f)
            def wrapper(**kwargs):
                return f"{label}({f(**kwargs)})"

            return wrapper

        return decorator

    class Decorated(View):
        """Doc."""

        decorators = [tag("inner"), tag("outer")]
        methods = ["GET"]

        def dispatch_request(self):
            return "body"

    view = Decorated.as_view("decorated")
    assert dispatch(view) == "outer(inner(body))"
    # the name and module are set before the decorators run
    assert seen == [("inner", "decorated", __name__), ("outer", "decorated", __name__)]
    assert view.view_class is Decorated
    assert view.methods == ["GET"]
    assert view.__doc__ == "Doc."


def test_decorator_without_wraps_still_gets_attributes():
    def bare(f):
        def wrapper(**kwargs):
            return f(**kwargs)

        return wrapper

    class Decorated(View):
        decorators = [bare]

        def dispatch_request(self):
            return "x"

    view = Decorated.as_view("bare_view")
    assert view.__name__ == "bare_view"
    assert view.view_class is Decorated
    assert view.methods is None


# -- MethodView -------------------------------------------------------------------------


class CounterAPI(MethodView):
    def get(self):
        return "GET"

    def post(self):
        return "POST"


def test_methods_collected_from_class():
    assert CounterAPI.methods == {"GET", "POST"}
    assert CounterAPI.as_view("counter").methods == {"GET", "POST"}


def test_methods_collected_from_bases():
    class WithDelete(CounterAPI):
        def delete(self):
            return "DELETE"

    class Mixin:
        def patch(self):
            return "PATCH"

    class WithMixin(Mixin, WithDelete):
        pass

    assert WithDelete.methods == {"GET", "POST", "DELETE"}
    assert WithMixin.methods == {"GET", "POST", "DELETE", "PATCH"}
    assert CounterAPI.methods == {"GET", "POST"}


def test_methods_from_base_class_attribute():
    class Base(MethodView):
        methods = ["PURGE"]

    class Child(Base):
        def get(self):
            return "GET"

    assert Child.methods == {"PURGE", "GET"}


def test_explicit_methods_are_kept():
    class Explicit(MethodView):
        methods = ["GET"]

        def get(self):
            return "GET"

        def post(self):
            return "POST"

    assert Explicit.methods == ["GET"]


def test_no_methods_leaves_none():
    class Empty(MethodView):
        pass

    assert Empty.methods is None
    assert MethodView.methods is None


def test_all_verbs():
    assert http_method_funcs == {
        "get",
        "post",
        "head",
        "options",
        "delete",
        "put",
        "trace",
        "patch",
    }
    namespace = {verb: (lambda self, v=verb: v) for verb in http_method_funcs}
    Every = type("Every", (MethodView,), namespace)
    assert Every.methods == {verb.upper() for verb in http_method_funcs}


def test_method_dispatch(dispatch):
    view = CounterAPI.as_view("counter")
    assert dispatch(view, "GET") == "GET"
    assert dispatch(view, "POST") == "POST"


def test_head_falls_back_to_get(dispatch):
    view = CounterAPI.as_view("counter")
    assert dispatch(view, "HEAD") == "GET"

    class WithHead(CounterAPI):
        def head(self):
            return "HEAD"

    assert dispatch(WithHead.as_view("h"), "HEAD") == "HEAD"


def test_unimplemented_method_raises(dispatch):
    view = CounterAPI.as_view("counter")
    with pytest.raises(RuntimeError, match="Unimplemented method 'DELETE'"):
        dispatch(view, "DELETE")


def test_url_values_reach_the_method(dispatch):
    class Item(MethodView):
        def get(self, item_id):
            return f"item {item_id}"

    assert dispatch(Item.as_view("item"), "GET", item_id=3) == "item 3"


def test_method_goes_through_ensure_sync(dispatch):
    dispatch(CounterAPI.as_view("counter"), "POST")
    # dispatch_request, then the verb method
    assert [f.__func__ for f in dispatch.ensure_sync_calls] == [
        CounterAPI.dispatch_request,
        CounterAPI.post,
    ]
