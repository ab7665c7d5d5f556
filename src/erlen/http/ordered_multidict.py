"""``OrderedMultiDict`` and ``ImmutableOrderedMultiDict``: multi-dicts that remember the order
of every value across keys, not only per key.

``MultiDict.items(multi=True)`` groups the values of a key together; these give them back in
the order they were added (``a=1&b=2&a=3`` stays ``a, b, a``). An app that must see form fields
in the order the browser sent them sets
``Request.parameter_storage_class = ImmutableOrderedMultiDict``. Werkzeug 3.1 deprecates both;
erlen keeps them, without a warning, for the apps that still import them.

Invariant: ``_pairs`` lists every ``(key, value)`` in order; the dict of lists underneath
(:class:`~erlen.datastructures.MultiDict`'s storage) holds the same values per key. Every
method that changes one changes the other.
"""

from __future__ import annotations

import typing as t

from .datastructures import MultiDict, _immutable, _iter_pairs, _key_error

__all__ = ["ImmutableOrderedMultiDict", "OrderedMultiDict"]

K = t.TypeVar("K")
V = t.TypeVar("V")
_missing: t.Any = object()


class OrderedMultiDict(MultiDict[K, V]):
    """A :class:`~erlen.datastructures.MultiDict` whose ``items(multi=True)`` keeps the order
    values were added in, across keys.

    >>> d = OrderedMultiDict([("a", 1), ("b", 2), ("a", 3)])
    >>> list(d.items(multi=True)), d["a"], d.getlist("a")
    ([('a', 1), ('b', 2), ('a', 3)], 1, [1, 3])
    """

    def __init__(self, mapping: t.Any = None) -> None:
        dict.__init__(self)
        self._pairs: list[tuple[K, V]] = []
        if mapping is not None:
            for key, value in _iter_pairs(mapping):
                self._append(key, value)

    def _append(self, key: K, value: V) -> None:
        dict.setdefault(self, key, []).append(value)
        self._pairs.append((key, value))

    def _drop(self, key: K) -> list[V]:
        """Remove ``key`` everywhere; its values (empty if it was absent)."""
        values = dict.pop(self, key, [])
        if values:
            self._pairs = [pair for pair in self._pairs if pair[0] != key]
        return values

    def __setitem__(self, key: K, value: V) -> None:
        self._drop(key)
        self._append(key, value)

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise _key_error(key)
        self._drop(key)

    def add(self, key: K, value: V) -> None:
        self._append(key, value)

    def setlist(self, key: K, new_list: t.Iterable[V]) -> None:
        self._drop(key)
        for value in new_list:
            self._append(key, value)

    def setlistdefault(self, key: K, default_list: t.Iterable[V] | None = None) -> list[V]:
        # NOTE: the returned list would be the storage itself; changes to it could not keep
        # the order in step, so (as in Werkzeug) this is refused.
        raise TypeError("setlistdefault is unsupported for ordered multi dicts")

    def items(self, multi: bool = False) -> t.Iterator[tuple[K, V]]:  # type: ignore[override]
        if multi:
            return iter(list(self._pairs))
        return MultiDict.items(self)

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        values = self._drop(key)
        if values:
            return values[0]
        if default is not _missing:
            return default
        raise _key_error(key)

    def poplist(self, key: K) -> list[V]:
        return self._drop(key)

    def popitem(self) -> tuple[K, V]:
        key, values = self.popitemlist()
        return key, values[0]

    def popitemlist(self) -> tuple[K, list[V]]:
        try:
            key = next(reversed(dict.keys(self)))
        except StopIteration:
            raise _key_error(None) from None
        return key, self._drop(key)

    def clear(self) -> None:
        dict.clear(self)
        self._pairs = []

    def deepcopy(self, memo: t.Any = None) -> OrderedMultiDict[K, V]:
        import copy

        return self.__class__(copy.deepcopy(self._pairs, memo))

    def __getstate__(self) -> list[tuple[K, V]]:  # type: ignore[override]
        return list(self._pairs)

    def __setstate__(self, value: t.Any) -> None:
        OrderedMultiDict.__init__(self, value)

    def __reduce__(self) -> tuple[t.Any, ...]:
        return (self.__class__, (list(self._pairs),))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OrderedMultiDict):
            return self._pairs == other._pairs
        return MultiDict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


class ImmutableOrderedMultiDict(OrderedMultiDict[K, V]):
    """An :class:`OrderedMultiDict` that refuses every change; ``copy()`` is a mutable one."""

    __setitem__ = __delitem__ = add = setlist = setdefault = setlistdefault = _immutable  # type: ignore[assignment]
    update = pop = poplist = popitem = popitemlist = clear = _immutable  # type: ignore[assignment]

    def copy(self) -> OrderedMultiDict[K, V]:
        return OrderedMultiDict(self)

    def __copy__(self) -> ImmutableOrderedMultiDict[K, V]:
        return self

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self._pairs))
