"""The router's shortcuts answer exactly what its full trie search answers.

``Map.match`` finds a fully static rule with a dict lookup and a rule whose last part is its only
converter from the trie node of the static prefix; everything else takes ``Map._match``. These
tests run both on every combination of a varied rule set and many paths and methods.
"""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erlen.routing import Map, Rule
from erlen.routing.converters import BaseConverter, ValidationError


class EvenConverter(BaseConverter):
    regex = r"\d+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number % 2:
            raise ValidationError()
        return number


def _rules() -> list[Rule]:
    return [
        Rule("/", endpoint="index"),
        Rule("/users/<int:id>", endpoint="user", methods=["GET"]),
        Rule("/users/<int:id>", endpoint="user_put", methods=["PUT"]),
        Rule("/users/new", endpoint="user_new"),
        Rule("/users/<name>", endpoint="user_by_name"),
        Rule("/users/<int:id>/posts", endpoint="user_posts"),
        Rule("/users/7/", endpoint="seven_slash"),
        Rule("/users/8", endpoint="eight", redirect_to="/users/9"),
        Rule("/items/<int(min=3):n>", endpoint="item_min"),
        Rule("/items/<int(fixed_digits=4):n>", endpoint="item_fixed"),
        Rule("/items/<int(signed=True):n>", endpoint="item_signed"),
        Rule("/even/<even:n>", endpoint="even"),
        Rule("/even/<int:n>", endpoint="odd"),
        Rule("/dir/<name>/", endpoint="dir_strict"),
        Rule("/lax/<name>/", endpoint="dir_lax", strict_slashes=False),
        Rule("/files/<path:p>", endpoint="files"),
        Rule("/pages/", defaults={"page": 1}, endpoint="pages"),
        Rule("/pages/<int:page>", endpoint="pages"),
        Rule("/old/<int:id>", redirect_to="/users/<id>", endpoint="old"),
        Rule("/alias/<int:id>", endpoint="user", alias=True),
        Rule("/kinds/<any(a, b):kind>", endpoint="kinds"),
        Rule("/floats/<float:x>", endpoint="floats"),
        Rule("/ws/<int:id>", endpoint="ws", websocket=True),
        Rule("/<lang>/about", endpoint="about"),
        Rule("/<lang>", endpoint="lang", methods=["POST"]),
        Rule("/withdef/<int:id>", defaults={"tab": "all"}, endpoint="withdef"),
        Rule("/withdef/<int:id>", endpoint="withdef_plain", methods=["PUT"]),
    ]


PATHS = [
    "/", "/users/42", "/users/7", "/users/8", "/users/new", "/users/bob", "/users/42/posts", "/users/", "/users",
    "/users/0042", "/users/-3", "/items/2", "/items/3", "/items/1234", "/items/-7",
    "/items/12345", "/even/4", "/even/5", "/dir/x", "/dir/x/", "/lax/x", "/lax/x/",
    "/files/a/b", "/files/a", "/pages/", "/pages/1", "/pages/2", "/old/5", "/alias/5",
    "/kinds/a", "/kinds/c", "/floats/1.5", "/floats/1", "/ws/1", "/en/about", "/en",
    "/users//42", "//users/42", "/users/42/", "/nope/1", "/users/" + "9" * 5000,
    "/users/\u0663", "/users/\u00b2", "/users/\uff14\uff12", "/users/4\u00b2", "/items/\u0663",
    "/withdef/3", "/withdef/x", "/users/" + "9" * 4300, "/users/" + "9" * 4301,
]  # fmt: skip
METHODS = ["GET", "POST", "PUT", "HEAD", "OPTIONS"]


def _outcome(call: t.Callable[[], t.Any]) -> t.Any:
    try:
        rule, values = call()
    except Exception as e:  # noqa: BLE001 -- the error is the outcome compared
        return (type(e).__name__, getattr(e, "new_url", None), getattr(e, "valid_methods", None))
    return (rule.endpoint, rule.rule, values)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", METHODS)
def test_match_agrees_with_full_search(path: str, method: str) -> None:
    m = Map(_rules(), converters={"even": EvenConverter})
    fast = _outcome(lambda: m.match(path, method))
    full = _outcome(lambda: m._match(path, method, False, None, None))
    assert fast == full


def test_prefix_shortcut_is_used_for_a_last_part_converter() -> None:
    m = Map(_rules(), converters={"even": EvenConverter})
    m.update()
    assert "/users" in m._prefixes
    rule, values = m.match("/users/42", "GET")
    assert (rule.endpoint, values) == ("user", {"id": 42})
    assert type(values["id"]) is int
    rule, values = m.match("/users/42", "PUT")
    assert rule.endpoint == "user_put"
    # a converter declining (odd number) lets the next rule of the node match, as in the search
    assert m.match("/even/5", "GET")[0].endpoint == "odd"
    assert m.match("/even/4", "GET")[1] == {"n": 4}


def test_rules_added_later_are_seen() -> None:
    m = Map([Rule("/a/<int:id>", endpoint="a")])
    assert m.match("/a/1", "GET")[0].endpoint == "a"
    m.add(Rule("/a/1", endpoint="static_one"))
    assert m.match("/a/1", "GET")[0].endpoint == "static_one"
    m.add(Rule("/b/<int:id>", endpoint="b"))
    assert m.match("/b/2", "GET")[1] == {"id": 2}


_DIGITS = st.characters(categories=["Nd"]) | st.sampled_from("0123456789")


@given(
    last=st.one_of(
        st.text(_DIGITS, min_size=1, max_size=12),
        st.builds(lambda n, d: d * n, st.integers(4295, 4305), _DIGITS),
        st.text(max_size=8),
    ),
    method=st.sampled_from(METHODS),
)
@settings(max_examples=200, deadline=None)
def test_the_inline_int_conversion_agrees_with_full_search(last: str, method: str) -> None:
    # Map.match converts a rule's one plain int converter itself (Rule._int_name); the full
    # search calls Rule._convert. Unicode digits, leading zeros and int()'s 4300-digit limit.
    m = _MAP
    for prefix in ("/users/", "/withdef/", "/even/", "/items/"):
        path = prefix + last
        fast = _outcome(lambda p=path: m.match(p, method))
        full = _outcome(lambda p=path: m._match(p, method, False, None, None))
        assert fast == full, path


_MAP = Map(_rules(), converters={"even": EvenConverter})


def test_the_inline_int_conversion_is_only_for_one_plain_int() -> None:
    by_rule = {rule.rule: rule for rule in _MAP.iter_rules()}
    assert by_rule["/users/<int:id>"]._int_name == "id"
    assert by_rule["/withdef/<int:id>"]._int_name == "id"  # defaults are checked at match time
    # a signed int converts with int() too; its part is not all digits, so match never inlines it
    assert by_rule["/items/<int(signed=True):n>"]._int_name == "n"
    assert _MAP.match("/items/-7", "GET")[1] == {"n": -7}
    for text in (
        "/items/<int(min=3):n>",
        "/items/<int(fixed_digits=4):n>",
        "/even/<even:n>",
        "/users/<name>",
        "/files/<path:p>",
        "/floats/<float:x>",
    ):
        assert by_rule[text]._int_name is None, text
    # defaults given to a rule after it was added still reach the view
    rule = Rule("/later/<int:id>", endpoint="later")
    m = Map([rule])
    assert m.match("/later/5", "GET")[1] == {"id": 5}
    rule.defaults = {"extra": True}
    assert m.match("/later/5", "GET")[1] == {"id": 5, "extra": True}
