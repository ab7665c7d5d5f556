"""MultiDict's direct paths (built from a pair list, ``get`` and ``getlist`` without
``__getitem__``) answer what Werkzeug's MultiDict answers."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.datastructures import MultiDict as WzMultiDict

from erlen.datastructures import ImmutableMultiDict, MultiDict, OrderedMultiDict

PAIRS = [("a", "1"), ("b", "x"), ("a", "2"), ("c", ""), ("a", "z"), ("d", "3.5")]


@pytest.mark.parametrize("cls", [MultiDict, ImmutableMultiDict, OrderedMultiDict])
@pytest.mark.parametrize("key", ["a", "b", "c", "d", "missing"])
@pytest.mark.parametrize("type_", [None, int, float, str])
def test_get_and_getlist_match_werkzeug(cls: t.Any, key: str, type_: t.Any) -> None:
    ours, theirs = cls(PAIRS), WzMultiDict(PAIRS)
    assert ours.get(key, "dflt", type=type_) == theirs.get(key, "dflt", type=type_)
    assert ours.getlist(key, type=type_) == theirs.getlist(key, type=type_)
    if cls is not OrderedMultiDict:  # NOTE: it keeps the order across keys, by design
        assert list(ours.items(multi=True)) == list(theirs.items(multi=True))


def test_getlist_is_a_copy() -> None:
    d = ImmutableMultiDict(PAIRS)
    d.getlist("a").append("changed")
    assert d.getlist("a") == ["1", "2", "z"]


def test_an_emptied_key_reads_as_missing() -> None:
    d: MultiDict[str, str] = MultiDict(PAIRS)
    d.setlist("a", [])
    assert d.get("a", "dflt") == "dflt"
    with pytest.raises(KeyError):
        d["a"]


def test_a_subclass_getitem_is_honoured_by_get() -> None:
    class Upper(MultiDict[str, str]):
        def __getitem__(self, key: str) -> str:
            return super().__getitem__(key).upper()

    d = Upper(PAIRS)
    assert d["b"] == "X"
    assert d.get("b") == "X"
    assert d.get("missing", "dflt") == "dflt"


def test_built_from_other_shapes() -> None:
    assert MultiDict({"a": ["1", "2"], "b": "3"}).getlist("a") == ["1", "2"]
    assert MultiDict((("a", "1"), ("a", "2"))).getlist("a") == ["1", "2"]
    assert MultiDict(MultiDict(PAIRS)).getlist("a") == ["1", "2", "z"]
    assert MultiDict([]) == MultiDict()
