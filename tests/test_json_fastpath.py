"""``jsonify`` through the provider's kept C encoder answers what ``json.dumps`` answers."""

from __future__ import annotations

import json
import threading
import typing as t
from datetime import date

import pytest

import erlen
from erlen.json.provider import DefaultJSONProvider

VALUES: list[t.Any] = [
    {"b": 1, "a": [1, 2.5, None, True], "é": "ü\u2028<>&'"},
    [1, "two", {"z": {}, "y": []}],
    "just a string",
    3,
    1e300,
    {"when": date(2020, 1, 2)},
    {1: "int key", "s": "x"},
]


def _app() -> erlen.Erlen:
    app = erlen.Erlen(__name__)
    app.json.compact = True
    return app


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("sort_keys", [True, False])
def test_compact_body_is_json_dumps(value: t.Any, ensure_ascii: bool, sort_keys: bool) -> None:
    app = _app()
    app.json.ensure_ascii = ensure_ascii
    app.json.sort_keys = sort_keys
    try:
        expected: t.Any = json.dumps(
            value,
            default=DefaultJSONProvider.default,
            ensure_ascii=ensure_ascii,
            sort_keys=sort_keys,
            separators=(",", ":"),
        )
    except TypeError as e:  # NOTE: int and str keys cannot be sorted together
        expected = type(e)
    with app.app_context():
        try:
            body: t.Any = erlen.jsonify(value).get_data(as_text=True)[:-1]
        except TypeError as e:
            body = type(e)
    assert body == expected


def test_settings_changed_between_responses_apply() -> None:
    app = _app()
    with app.app_context():
        assert erlen.jsonify({"b": 1, "a": "é"}).get_data() == b'{"a":"\\u00e9","b":1}\n'
        app.json.sort_keys = False
        app.json.ensure_ascii = False
        assert erlen.jsonify({"b": 1, "a": "é"}).get_data() == '{"b":1,"a":"é"}\n'.encode()


def test_circular_data_raises_value_error_as_json_does() -> None:
    app = _app()
    cycle: list[t.Any] = []
    cycle.append(cycle)
    with app.app_context(), pytest.raises(ValueError, match="Circular reference"):
        erlen.jsonify(cycle)


def test_deep_data_raises_recursion_error_as_json_does() -> None:
    app = _app()
    deep: t.Any = []
    for _ in range(100_000):
        deep = [deep]
    with app.app_context(), pytest.raises(RecursionError):
        erlen.jsonify(deep)


def test_default_method_of_a_subclass_is_used() -> None:
    class Provider(DefaultJSONProvider):
        def default(self, o: t.Any) -> t.Any:
            if isinstance(o, set):
                return sorted(o)
            return super().default(o)

    class App(erlen.Erlen):
        json_provider_class = Provider

    app = App(__name__)
    app.json.compact = True
    with app.app_context():
        assert erlen.jsonify({"s": {3, 1}}).get_data() == b'{"s":[1,3]}\n'
        assert erlen.jsonify({"s": {2}}).get_data() == b'{"s":[2]}\n'


def test_shared_data_from_many_threads() -> None:
    # NOTE: the kept encoder has no circular-reference dict, so threads encoding the same
    # object at once cannot see each other's marks.
    app = _app()
    shared = {"when": date(2020, 1, 2), "items": [{"n": i} for i in range(50)]}
    expected = json.dumps(
        shared, default=DefaultJSONProvider.default, sort_keys=True, separators=(",", ":")
    )
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                for _ in range(200):
                    assert erlen.jsonify(shared).get_data(as_text=True) == expected + "\n"
        except BaseException as e:  # noqa: BLE001 -- reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
