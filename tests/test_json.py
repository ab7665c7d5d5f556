"""erlen.json, erlen.json.provider and erlen.json.tag, checked against Flask as an oracle."""

from __future__ import annotations

import dataclasses
import decimal
import io
import types
import uuid
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone

import flask
import flask.json.tag as flask_tag
import pytest
from markupsafe import Markup
from werkzeug.http import http_date as wz_http_date

import erlen.json as ejson
from erlen.globals import _cv_app
from erlen.json.provider import DefaultJSONProvider, JSONProvider
from erlen.json.tag import JSONTag, TaggedJSONSerializer

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")


class FakeResponse:
    """Records what the provider passes to ``app.response_class``."""

    def __init__(self, body: str, mimetype: str) -> None:
        self.body = body
        self.mimetype = mimetype


def make_app(debug: bool = False) -> types.SimpleNamespace:
    app = types.SimpleNamespace(debug=debug, response_class=FakeResponse)
    app.json = DefaultJSONProvider(app)
    return app


@pytest.fixture
def app_ctx():
    """A stand-in application context, so ``current_app.json`` resolves."""
    app = make_app()
    token = _cv_app.set(types.SimpleNamespace(app=app))
    yield app
    _cv_app.reset(token)


@dataclasses.dataclass
class Point:
    x: int
    y: list[int]


UID = uuid.UUID("12345678-1234-5678-1234-567812345678")

RICH = {
    "z": 1,
    "a": "é ☃",
    "date": date(2015, 10, 21),
    "naive": datetime(2015, 10, 21, 7, 28, 0),
    "aware": datetime(2015, 10, 21, 9, 28, 0, tzinfo=timezone(timedelta(hours=2))),
    "dec": decimal.Decimal("1.10"),
    "uuid": UID,
    "point": Point(1, [2, 3]),
    "markup": Markup("<b>hi</b>"),
    "nested": {"b": [1, 2.5, None, True], "a": ()},
}


# -- module-level functions --------------------------------------------------------------


def test_dumps_outside_context_matches_flask():
    assert ejson.dumps(RICH) == flask.json.dumps(RICH)
    assert ejson.dumps(RICH, indent=2, sort_keys=True) == flask.json.dumps(
        RICH, indent=2, sort_keys=True
    )


def test_dumps_outside_context_keeps_insertion_order_and_unicode():
    assert ejson.dumps({"b": "é", "a": 1}) == '{"b": "\\u00e9", "a": 1}'
    assert ejson.dumps({"b": "é"}, ensure_ascii=False) == '{"b": "é"}'


def test_dumps_unknown_type_raises():
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        ejson.dumps(object())


def test_dumps_inside_context_uses_app_provider(app_ctx):
    assert ejson.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'
    app_ctx.json.sort_keys = False
    assert ejson.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
    assert ejson.dumps({"b": 1, "a": 2}, sort_keys=True) == '{"a": 2, "b": 1}'


def test_custom_provider_is_used_in_context(app_ctx):
    class Upper(JSONProvider):
        def dumps(self, obj, **kwargs):
            return "DUMPED"

        def loads(self, s, **kwargs):
            return ("LOADED", s)

    app_ctx.json = Upper(app_ctx)
    assert ejson.dumps(1) == "DUMPED"
    assert ejson.loads("1") == ("LOADED", "1")
    fp = io.StringIO()
    ejson.dump(1, fp)
    assert fp.getvalue() == "DUMPED"
    assert ejson.load(io.StringIO("[]")) == ("LOADED", "[]")
    assert ejson.jsonify(1).body == "DUMPED"


def test_loads_accepts_str_and_bytes(app_ctx):
    assert ejson.loads('{"a": [1, "é"]}') == {"a": [1, "é"]}
    assert ejson.loads('{"a": "é"}'.encode()) == {"a": "é"}
    assert ejson.loads('{"a": "é"}'.encode("utf-16")) == {"a": "é"}


def test_loads_outside_context_accepts_bytes():
    assert ejson.loads(b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize("with_ctx", [False, True])
def test_dump_and_load_files(with_ctx, request):
    if with_ctx:
        request.getfixturevalue("app_ctx")
    fp = io.StringIO()
    ejson.dump({"d": decimal.Decimal("2.5"), "u": UID}, fp)
    fp.seek(0)
    assert ejson.load(fp) == {"d": "2.5", "u": str(UID)}
    assert ejson.load(io.BytesIO(b"[1, 2]")) == [1, 2]


def test_jsonify_outside_app_context_says_how_to_fix():
    with pytest.raises(RuntimeError, match="app.app_context"):
        ejson.jsonify(a=1)


def test_jsonify_uses_app_response(app_ctx):
    rv = ejson.jsonify(b=2, a=1)
    assert isinstance(rv, FakeResponse)
    assert rv.mimetype == "application/json"
    assert rv.body == '{"a":1,"b":2}\n'
    assert ejson.jsonify(1, 2).body == "[1,2]\n"
    assert ejson.jsonify([1]).body == "[1]\n"
    assert ejson.jsonify().body == "null\n"


# -- DefaultJSONProvider ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        date(2015, 10, 21),
        date(1, 1, 1),
        datetime(2015, 10, 21, 7, 28, 0),
        datetime(2015, 10, 21, 7, 28, 0, 999999),
        datetime(2000, 2, 29, 23, 59, 59, tzinfo=timezone.utc),
        datetime(2000, 3, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1999, 12, 31, 20, 0, 0, tzinfo=timezone(timedelta(hours=-8))),
    ],
)
def test_default_dates_match_werkzeug(value):
    assert DefaultJSONProvider.default(value) == wz_http_date(value)


def test_default_date_example():
    assert DefaultJSONProvider.default(datetime(2015, 10, 21, 7, 28)) == (
        "Wed, 21 Oct 2015 07:28:00 GMT"
    )


def test_default_handles_flask_types():
    default = DefaultJSONProvider.default
    assert default(date(2015, 10, 21)) == "Wed, 21 Oct 2015 00:00:00 GMT"
    assert default(decimal.Decimal("1.10")) == "1.10"
    assert default(UID) == "12345678-1234-5678-1234-567812345678"
    assert default(Point(1, [2])) == {"x": 1, "y": [2]}
    assert default(Markup("<b>")) == "<b>"

    class HTML:
        def __html__(self):
            return "<i>x</i>"

    assert default(HTML()) == "<i>x</i>"
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        default({1})
    with pytest.raises(TypeError):
        default(Point)  # the dataclass itself, not an instance


def test_provider_dumps_matches_flask():
    fapp = flask.Flask(__name__)
    assert make_app().json.dumps(RICH) == fapp.json.dumps(RICH)
    assert make_app().json.dumps(RICH, indent=1) == fapp.json.dumps(RICH, indent=1)


def test_provider_defaults():
    p = make_app().json
    assert (p.ensure_ascii, p.sort_keys, p.compact, p.mimetype) == (
        True,
        True,
        None,
        "application/json",
    )
    p.ensure_ascii = False
    p.sort_keys = False
    assert p.dumps({"b": "é", "a": 1}) == '{"b": "é", "a": 1}'


def test_provider_default_can_be_overridden():
    class MyProvider(DefaultJSONProvider):
        @staticmethod
        def default(o):
            if isinstance(o, set):
                return sorted(o)
            return DefaultJSONProvider.default(o)

    app = make_app()
    assert MyProvider(app).dumps({"s": {3, 1}, "d": decimal.Decimal(1)}) == (
        '{"d": "1", "s": [1, 3]}'
    )


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("compact", [None, True, False])
@pytest.mark.parametrize(
    "args,kwargs",
    [((), {}), ((RICH,), {}), ((1, "two", [3]), {}), ((), {"b": [1, {"y": 2}], "a": "é"})],
)
def test_response_body_matches_flask(debug, compact, args, kwargs):
    fapp = flask.Flask(__name__)
    fapp.debug = debug
    fapp.json.compact = compact
    app = make_app(debug=debug)
    app.json.compact = compact
    with fapp.app_context():
        expected = fapp.json.response(*args, **kwargs)
    rv = app.json.response(*args, **kwargs)
    assert rv.body.encode() == expected.get_data()
    assert rv.mimetype == expected.mimetype == "application/json"
    assert rv.body.endswith("\n")


def test_response_rejects_args_and_kwargs():
    with pytest.raises(TypeError, match="either args or kwargs"):
        make_app().json.response(1, a=2)


def test_response_uses_mimetype_attribute():
    app = make_app()
    app.json.mimetype = "application/vnd.api+json"
    assert app.json.response([]).mimetype == "application/vnd.api+json"


def test_base_provider():
    app = make_app()

    class Minimal(JSONProvider):
        def dumps(self, obj, **kwargs):
            return repr(obj)

        def loads(self, s, **kwargs):
            return s.upper()

    p = Minimal(app)
    rv = p.response(a=1)
    assert (rv.body, rv.mimetype) == ("{'a': 1}", "application/json")
    assert p.load(io.StringIO("abc")) == "ABC"
    with pytest.raises(NotImplementedError):
        JSONProvider(app).dumps(1)
    with pytest.raises(NotImplementedError):
        JSONProvider(app).loads("1")


# -- tagged JSON --------------------------------------------------------------------------

TAGGED = {
    " t": "a dict whose only key looks like a tag",
    "single": {" t": (1, 2)},
    "di": {" di": {" b": b"x"}},
    "tuple": (1, "two", (3.5, None), [b"\x00\xff", {"k": (True,)}]),
    "bytes": b"\x00binary\xff",
    "markup": Markup("<b>&amp;</b>"),
    "uuid": UID,
    "when": datetime(2015, 10, 21, 7, 28, 0, tzinfo=timezone.utc),
    "nested": {"a": {"b": {"c": [{" u": "not a uuid key"}]}}},
    "list": [1, [2, [3, ()]]],
    "unicode": "é ☃",
}


def test_tagged_dumps_is_byte_identical_to_flask():
    ours = TaggedJSONSerializer().dumps(TAGGED)
    theirs = flask_tag.TaggedJSONSerializer().dumps(TAGGED)
    assert ours.encode() == theirs.encode()
    # a one-key dict whose key is a tag must be escaped, not read as a tag
    assert '"single":{" di":{" t__":{" t":[1,2]}}}' in ours


def test_tagged_round_trips_both_ways():
    ours = TaggedJSONSerializer()
    theirs = flask_tag.TaggedJSONSerializer()
    for value in (TAGGED, {" t": (1,)}, (), b"", [{}], "plain", 3, None):
        assert ours.loads(theirs.dumps(value)) == value
        assert theirs.loads(ours.dumps(value)) == value
        assert ours.loads(ours.dumps(value)) == value
    loaded = ours.loads(theirs.dumps(TAGGED))
    assert type(loaded["markup"]) is Markup
    assert type(loaded["tuple"][2]) is tuple
    assert type(loaded["uuid"]) is uuid.UUID


def test_tagged_datetime_is_utc_with_second_precision():
    s = TaggedJSONSerializer()
    naive = datetime(2020, 1, 2, 3, 4, 5, 678)
    aware = datetime(2020, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert s.dumps(naive) == '{" d":"Thu, 02 Jan 2020 03:04:05 GMT"}'
    expected = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert s.loads(s.dumps(naive)) == expected
    assert s.loads(s.dumps(aware)) == expected
    assert s.loads(s.dumps(naive)).tzinfo is not None


def test_tagged_dumps_matches_flask_inside_app_context():
    fapp = flask.Flask(__name__)
    app = make_app()
    token = _cv_app.set(types.SimpleNamespace(app=app))
    try:
        with fapp.app_context():
            expected = flask_tag.TaggedJSONSerializer().dumps(TAGGED)
        assert TaggedJSONSerializer().dumps(TAGGED) == expected
    finally:
        _cv_app.reset(token)


def test_tag_order_and_keys_match_flask():
    ours = TaggedJSONSerializer()
    theirs = flask_tag.TaggedJSONSerializer()
    assert [type(t).__name__ for t in ours.order] == [type(t).__name__ for t in theirs.order]
    assert [t.key for t in ours.order] == [t.key for t in theirs.order]
    assert list(ours.tags) == list(theirs.tags)


def test_untag_leaves_other_dicts():
    s = TaggedJSONSerializer()
    assert s.untag({"a": 1, "b": 2}) == {"a": 1, "b": 2}
    assert s.untag({"nope": 1}) == {"nope": 1}
    assert s.untag({" t": [1]}) == (1,)


class TagOrderedDict(JSONTag):
    __slots__ = ("serializer",)
    key = " od"

    def check(self, value):
        return isinstance(value, OrderedDict)

    def to_json(self, value):
        return [[k, self.serializer.tag(v)] for k, v in value.items()]

    def to_python(self, value):
        return OrderedDict(value)


def test_register_custom_tag():
    s = TaggedJSONSerializer()
    s.register(TagOrderedDict, index=0)
    value = OrderedDict([("b", 1), ("a", (2,))])
    assert s.dumps(value) == '{" od":[["b",1],["a",{" t":[2]}]]}'
    loaded = s.loads(s.dumps(value))
    assert type(loaded) is OrderedDict and loaded == value
    # Flask with the same tag reads it too
    f = flask_tag.TaggedJSONSerializer()

    class FlaskTagOrderedDict(flask_tag.JSONTag):
        __slots__ = ()
        key = " od"
        check = TagOrderedDict.check
        to_json = TagOrderedDict.to_json
        to_python = TagOrderedDict.to_python

    f.register(FlaskTagOrderedDict, index=0)
    assert f.loads(s.dumps(value)) == value


def test_register_duplicate_key():
    s = TaggedJSONSerializer()
    s.register(TagOrderedDict)
    with pytest.raises(KeyError, match="Tag ' od' is already registered."):
        s.register(TagOrderedDict)
    s.register(TagOrderedDict, force=True)
    assert isinstance(s.tags[" od"], TagOrderedDict)
    # the forced tag is appended to the order again, as in Flask
    assert sum(isinstance(t, TagOrderedDict) for t in s.order) == 2


def test_json_tag_base_is_abstract():
    tag = JSONTag(TaggedJSONSerializer())
    for meth in (tag.check, tag.to_json, tag.to_python):
        with pytest.raises(NotImplementedError):
            meth(1)


def test_provider_settings_changed_between_responses_take_effect() -> None:
    # The response encoder is cached; a later change of the provider's settings must show.
    from erlen import Erlen

    app = Erlen(__name__)
    with app.app_context():
        assert ejson.jsonify({"b": 1, "a": "é"}).get_data() == b'{"a":"\\u00e9","b":1}\n'
        app.json.sort_keys = False
        app.json.ensure_ascii = False
        assert ejson.jsonify({"b": 1, "a": "é"}).get_data() == '{"b":1,"a":"é"}\n'.encode()
        app.json.compact = False
        assert ejson.jsonify({"b": 1}).get_data() == b'{\n  "b": 1\n}\n'
