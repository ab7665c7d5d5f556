"""erlen's Jinja fast paths give Jinja's own results (``erlen/jinja_fast.py``).

``FastEnvironment.getattr`` skips the attribute step on a plain dict and
``FastTemplate.new_context`` merges plain-dict globals with ``dict.update``; each is compared
here with plain Jinja2 (``jinja2.Environment``) on many objects, names, globals and undefined
kinds, directly and through rendered templates, including the inputs that must take Jinja's
path (dict subclasses, dict method names, objects with ``__getattr__``, custom mappings, a
sandbox or another ``getattr`` override in the class hierarchy).
"""

from __future__ import annotations

import typing as t
from collections import ChainMap, OrderedDict, defaultdict

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import SandboxedEnvironment

from erlen import Erlen, render_template_string
from erlen.jinja_fast import _DICT_ATTRIBUTES, FastEnvironment, FastTemplate
from erlen.templating import Environment

UNDEFINED_KINDS = [
    jinja2.Undefined,
    jinja2.StrictUndefined,
    jinja2.ChainableUndefined,
    jinja2.DebugUndefined,
]


class Sub(dict):  # type: ignore[type-arg]
    """A dict subclass with an attribute of its own and a class attribute."""

    label = "class-label"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.own = "instance-attr"


class AttrDict(dict):  # type: ignore[type-arg]
    """A dict subclass whose attributes fall back to its items (a common helper)."""

    def __getattr__(self, name: str) -> t.Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return f"attr:{name}"


class Missing(dict):  # type: ignore[type-arg]
    def __missing__(self, key: t.Any) -> str:
        return f"missing:{key}"


class Obj:
    name = "obj-name"

    def __getattr__(self, name: str) -> t.Any:
        if name == "dynamic":
            return "dyn"
        raise AttributeError(name)


class Indexable:
    def __getitem__(self, key: t.Any) -> t.Any:
        if key == "boom":
            raise AttributeError("from getitem")
        if key == "bad":
            raise TypeError("from getitem")
        if key == "gone":
            raise KeyError(key)
        return f"item:{key}"


class HashClash:
    """A key equal in hash to a string key whose comparison raises (dict lookup raises)."""

    def __init__(self, name: str, exc: type[Exception]) -> None:
        self.name, self.exc = name, exc

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        raise self.exc("compare")


def _erlen_env(**options: t.Any) -> Environment:
    app = Erlen(__name__)
    app.jinja_options = options
    return t.cast(Environment, app.jinja_env)


NAMES = st.one_of(
    st.sampled_from(sorted(_DICT_ATTRIBUTES)),
    st.sampled_from(["name", "price", "own", "label", "dynamic", "boom", "bad", "gone", "x", ""]),
    st.text(max_size=6),
)


def _objects(name: str) -> list[t.Any]:
    """Objects that have, lack or shadow ``name`` in every way the two steps can see."""
    return [
        {},
        {name: "item"},
        {name: None, "other": 1},
        {name: jinja2.Undefined()},
        Sub({name: "item"}),
        Sub(),
        AttrDict({name: "item"}),
        AttrDict(),
        Missing(),
        OrderedDict({name: "item"}),
        defaultdict(int),
        {HashClash(name, TypeError): 1},
        {HashClash(name, KeyError): 1},
        {HashClash(name, AttributeError): 1},
        Obj(),
        Indexable(),
        [1, 2],
        "text",
        None,
        7,
        jinja2.Undefined(name="u"),
        jinja2.ChainableUndefined(name="u"),
    ]


def _outcome(env: jinja2.Environment, obj: t.Any, name: t.Any) -> tuple[t.Any, ...]:
    """What ``env.getattr`` answers, comparable across environments."""
    try:
        value = env.getattr(obj, name)
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    if isinstance(value, jinja2.Undefined):
        return (
            "undefined",
            type(value),
            value._undefined_hint,
            value._undefined_obj is obj,
            value._undefined_name,
            value._undefined_exception,
        )
    if callable(value) and hasattr(value, "__self__"):
        # A bound method: the same function bound to the same object.
        return (
            "method",
            getattr(value, "__func__", getattr(value, "__name__", None)),
            value.__self__ is obj,
        )
    return ("value", value)


@pytest.mark.parametrize("undefined", UNDEFINED_KINDS)
@settings(max_examples=150, deadline=None)
@given(name=NAMES)
def test_getattr_matches_jinja(undefined: type[jinja2.Undefined], name: str) -> None:
    plain = jinja2.Environment(undefined=undefined)
    fast = _erlen_env(undefined=undefined)
    for obj in _objects(name):
        assert _outcome(fast, obj, name) == _outcome(plain, obj, name), (obj, name)


def test_getattr_dict_method_names_stay_methods() -> None:
    env = _erlen_env()
    d = {"items": "shadowed", "keys": 1, "name": "n"}
    assert env.getattr(d, "items")() == d.items()  # the method wins, as in Jinja
    assert env.getattr(d, "name") == "n"
    assert env.getattr(d, "__class__") is dict


def test_getattr_non_string_name_is_jinjas_type_error() -> None:
    plain, fast = jinja2.Environment(), _erlen_env()
    for name in (1, None, ("a",)):
        assert _outcome(fast, {1: "x"}, name) == _outcome(plain, {1: "x"}, name)
        assert _outcome(fast, {1: "x"}, name)[0] == "raised"


def test_dict_attributes_are_exactly_the_names_getattr_finds() -> None:
    d: dict[str, t.Any] = {}
    for name in _DICT_ATTRIBUTES:
        getattr(d, name)  # every listed name is found
    assert set(dir(d)) <= _DICT_ATTRIBUTES


TEMPLATE_SOURCES = [
    "{% for item in items %}{{ item.name }}:{{ item.price }};{% endfor %}",
    "{{ d.items }}|{{ d.keys()|list }}|{{ d.get('name') }}",
    "{{ d.name }}|{{ d.missing }}|{{ d.missing is defined }}",
    "{{ d.name.upper() }}|{{ d.nested.inner }}",
    "{{ d.missing.deeper }}",
    "{{ d.missing|default('dflt') }}",
    "{{ obj.name }}|{{ obj.dynamic }}|{{ obj.nope }}",
    "{{ sub.own }}|{{ sub.label }}|{{ sub.name }}",
    "{{ attr.anything }}|{{ missing.k }}",
]

CONTEXT: dict[str, t.Any] = {
    "items": [{"name": f"<{i}>", "price": i} for i in range(3)] + [{"name": "only"}],
    "d": {"name": "n&", "items": "shadowed", "nested": {"inner": "in"}},
    "obj": Obj(),
    "sub": Sub({"name": "sub-item"}),
    "attr": AttrDict(),
    "missing": Missing(),
}


def _render(env: jinja2.Environment, source: str) -> tuple[str, str]:
    try:
        return ("ok", env.from_string(source).render(CONTEXT))
    except jinja2.UndefinedError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("undefined", UNDEFINED_KINDS)
@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("source", TEMPLATE_SOURCES)
def test_rendered_templates_match_jinja(
    undefined: type[jinja2.Undefined], autoescape: bool, source: str
) -> None:
    plain = jinja2.Environment(undefined=undefined, autoescape=autoescape)
    fast = _erlen_env(undefined=undefined, autoescape=autoescape)
    assert _render(fast, source) == _render(plain, source)


def test_async_rendering_uses_the_fast_getattr_with_the_same_answer() -> None:
    source = TEMPLATE_SOURCES[0] + TEMPLATE_SOURCES[2]
    plain = jinja2.Environment(enable_async=True, autoescape=True)
    fast = _erlen_env(enable_async=True)  # autoescaped: a string template
    assert fast.from_string(source).render(CONTEXT) == plain.from_string(source).render(CONTEXT)


# -- a getattr of another class in the hierarchy is honoured ------------------------------------


class Intercepting(jinja2.Environment):
    def getattr(self, obj: t.Any, attribute: str) -> t.Any:
        return f"intercepted:{attribute}"


def test_getattr_between_erlen_and_jinja_is_not_stepped_over() -> None:
    class Env(Environment, Intercepting):
        pass

    env = Env(Erlen(__name__))
    assert env._plain_getattr is False
    assert env.getattr({"name": "n"}, "name") == "intercepted:name"
    assert env.from_string("{{ d.name }}").render(d={"name": "n"}) == "intercepted:name"


def test_sandbox_mixed_in_keeps_its_checks() -> None:
    class SafeEnv(Environment, SandboxedEnvironment):
        def is_safe_attribute(self, obj: t.Any, attr: str, value: t.Any) -> bool:
            return attr != "items" and super().is_safe_attribute(obj, attr, value)

    env = SafeEnv(Erlen(__name__))
    assert env._plain_getattr is False
    assert env.from_string("{{ d.name }}").render(d={"name": "n"}) == "n"
    with pytest.raises(jinja2.exceptions.SecurityError):
        env.from_string("{{ d.items() }}").render(d={"name": "n"})


def test_subclass_overriding_getattr_is_honoured() -> None:
    class Env(Environment):
        def getattr(self, obj: t.Any, attribute: str) -> t.Any:
            if attribute == "secret":
                return "hidden"
            return super().getattr(obj, attribute)

    app = Erlen(__name__)
    app.jinja_environment = Env
    assert app.jinja_env._plain_getattr is True  # super() reaches Jinja's own semantics
    with app.app_context():
        out = render_template_string(
            "{{ d.secret }}|{{ d.name }}|{{ d.items }}", d={"secret": 1, "name": "n"}
        )
    assert out.startswith("hidden|n|&lt;built-in method items")


def test_plain_fast_environment_subclass_flags() -> None:
    class Direct(FastEnvironment):
        pass

    assert Direct()._plain_getattr is True
    assert Direct().getattr({"a": 1}, "a") == 1


# -- the context: globals merged with dict.update ----------------------------------------------

KEYS = st.sampled_from(["a", "b", "c", "range", "dict", "url_for", "g", "x y", "é"])
LAYER = st.dictionaries(KEYS, st.integers(), max_size=6)


def _pair(
    env_globals: dict[str, t.Any], template_globals: dict[str, t.Any] | None
) -> tuple[t.Any, t.Any]:
    """The same template source compiled by plain Jinja and by erlen's environment."""
    plain = jinja2.Environment()
    fast = _erlen_env()
    for env in (plain, fast):
        env.globals.clear()
        env.globals.update(env_globals)
    source = "{{ a }}"
    return (
        plain.from_string(source, globals=template_globals),
        fast.from_string(source, globals=template_globals),
    )


def _parent(template: jinja2.Template, *args: t.Any, **kwargs: t.Any) -> tuple[t.Any, ...]:
    try:
        ctx = template.new_context(*args, **kwargs)
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    return (
        "ok",
        list(ctx.parent.items()),
        sorted(ctx.globals_keys),
        ctx.name,
        sorted(ctx.blocks),
        list(ctx.vars.items()),
    )


@settings(max_examples=200, deadline=None)
@given(
    env_globals=LAYER,
    template_globals=st.none() | LAYER,
    vars=st.none() | LAYER,
    shared=st.booleans(),
    locals=st.none() | st.dictionaries(KEYS, st.integers() | st.just(jinja2.utils.missing)),
)
def test_new_context_matches_jinja(
    env_globals: dict[str, t.Any],
    template_globals: dict[str, t.Any] | None,
    vars: dict[str, t.Any] | None,
    shared: bool,
    locals: dict[str, t.Any] | None,
) -> None:
    plain, fast = _pair(env_globals, template_globals)
    assert isinstance(fast, FastTemplate)
    args = (dict(vars) if vars is not None else None, shared, locals)
    assert _parent(fast, *args) == _parent(plain, *args)


def test_new_context_non_string_key_is_jinjas_type_error() -> None:
    plain, fast = _pair({"a": 1}, None)
    assert _parent(fast, {1: "x"}) == _parent(plain, {1: "x"})
    assert _parent(fast, {1: "x"})[0] == "raised"


class LoudDict(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: str) -> t.Any:
        return f"loud:{super().__getitem__(key)}"


class Layer(t.Mapping[str, t.Any]):
    def __init__(self, data: dict[str, t.Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> t.Any:
        return f"mapped:{self.data[key]}"

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@pytest.mark.parametrize(
    "globals_of",
    [
        lambda env: ChainMap({"t": 1}, LoudDict({"a": 2, "b": 3})),
        lambda env: ChainMap(Layer({"a": 2}), {"b": 3}),
        lambda env: LoudDict({"a": 2}),
        lambda env: {"a": 5},
        lambda env: ChainMap(),
        lambda env: ChainMap({}, {}),
    ],
)
def test_new_context_with_unusual_globals_takes_jinjas_path(globals_of: t.Any) -> None:
    plain, fast = _pair({}, None)
    for template in (plain, fast):
        template.globals = globals_of(template.environment)
    for vars in (None, {}, {"a": "v"}):
        assert _parent(fast, vars) == _parent(plain, vars)
    assert fast.render() == plain.render()


def test_render_sees_globals_changed_after_the_first_render() -> None:
    app = Erlen(__name__)
    with app.app_context():
        assert render_template_string("{{ late|default('none') }}") == "none"
        app.jinja_env.globals["late"] = "now"
        assert render_template_string("{{ late|default('none') }}") == "now"
        app.jinja_env.globals["request"] = "shadowed"  # the context processor still wins
        assert render_template_string("{{ late }}", late="ctx") == "ctx"


# -- the autoescape chooser handed to Jinja ----------------------------------------------------


def test_autoescape_default_chooser_is_the_module_function() -> None:
    from erlen import templating

    env = Erlen(__name__).jinja_env
    assert env.autoescape is templating.select_jinja_autoescape
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_autoescape_chooser_of_a_subclass_or_instance_is_honoured() -> None:
    class TextApp(Erlen):
        def select_jinja_autoescape(self, filename: str | None) -> bool:
            return False

    with TextApp(__name__).app_context():
        assert render_template_string("{{ x }}", x="<b>") == "<b>"

    app = Erlen(__name__)
    app.select_jinja_autoescape = lambda filename: False  # type: ignore[method-assign]
    with app.app_context():
        assert render_template_string("{{ x }}", x="<b>") == "<b>"

    app = Erlen(__name__)
    app.jinja_options = {"autoescape": False}
    with app.app_context():
        assert render_template_string("{{ x }}", x="<b>") == "<b>"
