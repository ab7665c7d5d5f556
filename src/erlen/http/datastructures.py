"""The dict types of request and response data, with Werkzeug's names and behaviour.

``MultiDict`` keeps every value of a repeated key (``getlist``) while ``d[key]`` gives the first;
``get(key, type=int)`` converts and falls back to the default when conversion fails. A missing key
raises :class:`~erlen.http.exceptions.BadRequestKeyError`, which is a ``KeyError`` and a 400.
Uploads are :class:`FileStorage` objects. ``Headers`` and ``EnvironHeaders`` live in
:mod:`erlen.http.headers` and are importable from here, as from ``werkzeug.datastructures``.
"""

from __future__ import annotations

import os
import shutil
import typing as t
from collections.abc import Iterable, Iterator, Mapping

from ._convert import convert
from .exceptions import BadRequestKeyError
from .headers import EnvironHeaders as EnvironHeaders  # re-exported: Werkzeug's import path
from .headers import Headers
from .safeparse import parse_uint

K = t.TypeVar("K")
V = t.TypeVar("V")
_missing: t.Any = object()
# PERF: the dict layer of the multi-dicts, called directly (no Python-level __getitem__).
_dict_get = dict.get
_dict_update = dict.update
_dict_new = dict.__new__


def _iter_pairs(mapping: t.Any) -> Iterator[tuple[t.Any, t.Any]]:
    """Yield (key, value) pairs from a MultiDict, a mapping (list values expand) or pairs."""
    if isinstance(mapping, MultiDict):
        yield from mapping.items(multi=True)
    elif isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                for v in value:
                    yield key, v
            else:
                yield key, value
    else:
        yield from mapping


def _key_error(key: t.Any) -> BadRequestKeyError:
    # NOTE: a MultiDict key is any hashable, as for KeyError; BadRequestKeyError's annotation
    # says str, the common case.
    return BadRequestKeyError(key)


def _immutable(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


class TypeConversionDict(dict[K, V]):
    """A dict whose ``get`` can convert the value with ``type``."""

    def get(
        self, key: K, default: t.Any = None, type: t.Callable[[V], t.Any] | None = None
    ) -> t.Any:
        try:
            value = self[key]
        except KeyError:
            return default
        return convert(value, type, default)


class ImmutableDict(TypeConversionDict[K, V]):
    """A dict that refuses every change. Hashable."""

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = _immutable

    def copy(self) -> dict[K, V]:
        return dict(self)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __copy__(self) -> ImmutableDict[K, V]:
        return self


ImmutableTypeConversionDict = ImmutableDict


class ImmutableList(list[V]):
    """A list that refuses every change."""

    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = extend = _immutable
    insert = pop = remove = reverse = sort = clear = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


class MultiDict(dict[K, t.Any], t.Generic[K, V]):
    """A dict that keeps every value given for a key.

    >>> d = MultiDict([("a", "1"), ("a", "2")])
    >>> d["a"], d.getlist("a"), d.get("a", type=int)
    ('1', ['1', '2'], 1)
    """

    # NOTE: stored as {key: [values...]}; dict methods are overridden to show the first value.
    # The dict layer is typed ``dict[K, Any]`` because its values are the lists, not ``V``s.

    def __init__(self, mapping: t.Any = None) -> None:
        if mapping is None:
            return
        if type(mapping) is list:
            # PERF: the pairs a parser gives (``request.args``, ``request.form``), grouped in a
            # plain dict, whose operations the interpreter specialises, then copied in once.
            lists: dict[t.Any, list[t.Any]] = {}
            for key, value in mapping:
                if key in lists:
                    lists[key].append(value)
                else:
                    lists[key] = [value]
            _dict_update(self, lists)
            return
        for key, value in _iter_pairs(mapping):
            dict.setdefault(self, key, []).append(value)

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # NOTE: get and getlist read the stored lists directly; a subclass with its own
        # __getitem__ (and no get of its own) gets the get that goes through it, as Werkzeug's.
        if "__getitem__" in cls.__dict__ and "get" not in cls.__dict__:
            cls.get = MultiDict._get_via_getitem  # type: ignore[method-assign]

    def __getitem__(self, key: K) -> V:
        try:
            values = dict.__getitem__(self, key)
        except KeyError:
            raise _key_error(key) from None
        if values:
            return values[0]
        raise _key_error(key)

    def __setitem__(self, key: K, value: V) -> None:
        dict.__setitem__(self, key, [value])

    def add(self, key: K, value: V) -> None:
        """Add a value for ``key`` after the existing ones."""
        dict.setdefault(self, key, []).append(value)

    def get(
        self, key: K, default: t.Any = None, type: t.Callable[[V], t.Any] | None = None
    ) -> t.Any:
        """The first value for ``key``, converted with ``type``; ``default`` if missing or invalid."""
        # PERF: __getitem__ and convert() inline: this is the call views make most.
        values = _dict_get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    def _get_via_getitem(
        self, key: K, default: t.Any = None, type: t.Callable[[V], t.Any] | None = None
    ) -> t.Any:
        try:
            value = self[key]
        except KeyError:
            return default
        return convert(value, type, default)

    def getlist(self, key: K, type: t.Callable[[V], t.Any] | None = None) -> list[t.Any]:
        """Every value for ``key`` (an empty list if none); with ``type``, the convertible ones."""
        values = _dict_get(self, key)
        if values is None:
            return []
        if type is None:
            # PERF: a method call, not the list type's (a third cheaper).
            return values.copy()  # type: ignore[no-any-return]
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        dict.__setitem__(self, key, list(new_list))

    def setdefault(self, key: K, default: t.Any = None) -> t.Any:
        if key not in self:
            self[key] = default
        return self[key]

    def setlistdefault(self, key: K, default_list: Iterable[V] | None = None) -> list[V]:
        if key not in self:
            dict.__setitem__(self, key, list(default_list or ()))
        return dict.__getitem__(self, key)

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        for key, values in dict.items(self):
            if multi:
                for value in values:
                    yield key, value
            elif values:
                yield key, values[0]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        for key, values in dict.items(self):
            yield key, list(values)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        for values in dict.values(self):
            if values:
                yield values[0]

    def listvalues(self) -> Iterator[list[V]]:
        return iter(dict.values(self))

    def keys(self) -> t.Any:
        return dict.keys(self)

    def __iter__(self) -> Iterator[K]:
        return dict.__iter__(self)

    def copy(self) -> MultiDict[K, V]:
        return self.__class__(self)

    def deepcopy(self, memo: t.Any = None) -> MultiDict[K, V]:
        import copy

        return self.__class__(copy.deepcopy(self.to_dict(flat=False), memo))

    __copy__ = copy

    def __deepcopy__(self, memo: t.Any) -> MultiDict[K, V]:
        return self.deepcopy(memo)

    def to_dict(self, flat: bool = True) -> dict[K, t.Any]:
        """A plain dict: first values when ``flat``, else lists."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def update(self, mapping: t.Any = None, **kwargs: t.Any) -> None:
        """Add values (unlike dict.update, existing values are kept)."""
        for key, value in _iter_pairs(mapping or ()):
            self.add(key, value)
        for key, value in _iter_pairs(kwargs):
            self.add(key, value)

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:
        try:
            values = dict.pop(self, key)
        except KeyError:
            if default is not _missing:
                return default
            raise _key_error(key) from None
        if not values:
            if default is not _missing:
                return default
            raise _key_error(key)
        return values[0]

    def poplist(self, key: K) -> list[V]:
        return dict.pop(self, key, [])

    def popitem(self) -> tuple[K, V]:
        try:
            key, values = dict.popitem(self)
        except KeyError as e:
            raise BadRequestKeyError(e.args[0] if e.args else None) from None
        return key, values[0]

    def popitemlist(self) -> tuple[K, list[V]]:
        return dict.popitem(self)

    def __getstate__(self) -> dict[K, list[V]]:
        return dict(self.lists())

    def __setstate__(self, value: dict[K, list[V]]) -> None:
        dict.clear(self)
        dict.update(self, value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return dict(self.lists()) == dict(other.lists())
        if isinstance(other, Mapping):
            return self.to_dict() == dict(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"


class ImmutableMultiDict(MultiDict[K, V]):
    """A MultiDict that refuses every change (``request.args``, ``request.form``)."""

    __setitem__ = __delitem__ = add = setlist = setdefault = setlistdefault = _immutable
    update = pop = poplist = popitem = popitemlist = clear = _immutable

    def copy(self) -> MultiDict[K, V]:
        """A mutable copy."""
        return MultiDict(self)

    def __copy__(self) -> ImmutableMultiDict[K, V]:
        return self

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple((k, tuple(v)) for k, v in self.lists()))


class CombinedMultiDict(ImmutableMultiDict[K, V]):
    """A read-only view over several MultiDicts, searched in order (``request.values``)."""

    def __init__(self, dicts: Iterable[MultiDict[K, V]] | None = None) -> None:
        dict.__init__(self)
        self.dicts: list[MultiDict[K, V]] = list(dicts or ())

    def __getitem__(self, key: K) -> V:
        for d in self.dicts:
            if key in d:
                return d[key]
        raise _key_error(key)

    def get(
        self, key: K, default: t.Any = None, type: t.Callable[[V], t.Any] | None = None
    ) -> t.Any:
        for d in self.dicts:
            if key in d:
                return d.get(key, default, type)
        return default

    def getlist(self, key: K, type: t.Callable[[V], t.Any] | None = None) -> list[t.Any]:
        result = []
        for d in self.dicts:
            result.extend(d.getlist(key, type))
        return result

    def _keys(self) -> list[K]:
        seen: dict[K, None] = {}
        for d in self.dicts:
            for key in d:
                seen.setdefault(key)
        return list(seen)

    def keys(self) -> t.Any:
        return self._keys()

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, key: object) -> bool:
        return any(key in d for d in self.dicts)

    has_key = __contains__

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        if multi:
            for d in self.dicts:
                yield from d.items(multi=True)
        else:
            for key in self._keys():
                yield key, self[key]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        for key in self._keys():
            yield key, self.getlist(key)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        for key in self._keys():
            yield self[key]

    def listvalues(self) -> Iterator[list[V]]:
        for key in self._keys():
            yield self.getlist(key)

    def to_dict(self, flat: bool = True) -> dict[K, t.Any]:
        return dict(self.items()) if flat else dict(self.lists())

    def copy(self) -> MultiDict[K, V]:
        return MultiDict(self.items(multi=True))

    def __eq__(self, other: object) -> bool:
        return MultiDict(self.items(multi=True)) == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"


class CallbackDict(dict[K, V]):
    """A dict that calls ``on_update(self)`` after every change (sessions track ``modified`` so)."""

    def __init__(
        self, initial: t.Any = None, on_update: t.Callable[[t.Any], None] | None = None
    ) -> None:
        if initial is None:
            dict.__init__(self)
        else:
            dict.__init__(self, initial)
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: K, value: V) -> None:
        dict.__setitem__(self, key, value)
        self._changed()

    def __delitem__(self, key: K) -> None:
        dict.__delitem__(self, key)
        self._changed()

    def clear(self) -> None:
        dict.clear(self)
        self._changed()

    def pop(self, key: K, *default: t.Any) -> t.Any:
        present = key in self
        value = dict.pop(self, key, *default)
        if present:
            self._changed()
        return value

    def popitem(self) -> tuple[K, V]:
        item = dict.popitem(self)
        self._changed()
        return item

    def setdefault(self, key: K, default: t.Any = None) -> t.Any:
        missing = key not in self
        value = dict.setdefault(self, key, default)
        if missing:
            self._changed()
        return value

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        dict.update(self, *args, **kwargs)
        self._changed()

    # NOTE: mypy flags any __ior__ on a dict subclass against dict.__or__; typeshed's own
    # dict.__ior__ carries the same ignore.
    def __ior__(self, other: t.Any) -> t.Any:  # type: ignore[misc]
        self.update(other)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class FileStorage:
    """An uploaded file in ``request.files``.

    >>> f = request.files["photo"]            # doctest: +SKIP
    >>> f.filename, f.mimetype                # doctest: +SKIP
    ('cat.png', 'image/png')
    >>> f.save("/tmp/cat.png")                # doctest: +SKIP
    """

    def __init__(
        self,
        stream: t.IO[bytes] | None = None,
        filename: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        import io

        self.name = name
        self.stream: t.IO[bytes] = stream if stream is not None else io.BytesIO()
        if filename is None:
            filename = getattr(stream, "name", None)
            if isinstance(filename, bytes):
                filename = filename.decode("utf-8", "replace")
            if filename and filename[0] == "<" and filename[-1] == ">":
                filename = None
            elif isinstance(filename, str):
                filename = os.path.basename(filename)
            else:
                filename = None
        self.filename = filename
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None:
            headers["Content-Type"] = content_type
        if content_length is not None:
            headers["Content-Length"] = str(content_length)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        return parse_uint((self.headers.get("content-length") or "0").strip()) or 0

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lowercased: ``'image/png'``."""
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        from .headervalues import parse_options_header

        return parse_options_header(self.content_type or "")[1]

    def save(self, dst: str | os.PathLike[str] | t.IO[bytes], buffer_size: int = 16384) -> None:
        """Write the file to a path or a binary file object."""
        if isinstance(dst, (str, os.PathLike)):
            with open(dst, "wb") as f:
                shutil.copyfileobj(self.stream, f, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def read(self, *args: t.Any) -> bytes:
        return self.stream.read(*args)

    def close(self) -> None:
        try:
            self.stream.close()
        except Exception:
            pass

    def __getattr__(self, name: str) -> t.Any:
        # Everything else (seek, tell, readline...) comes from the stream.
        if name == "stream":
            raise AttributeError(name)
        return getattr(self.stream, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"


class FileMultiDict(MultiDict[str, FileStorage]):
    """A MultiDict of files (the test client builds one)."""

    def add_file(
        self,
        name: str,
        file: t.Any,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if isinstance(file, FileStorage):
            value = file
        else:
            if isinstance(file, (str, os.PathLike)):
                if filename is None:
                    filename = os.fspath(file)
                file = open(file, "rb")  # noqa: SIM115 -- closed with the request
            if filename and content_type is None:
                import mimetypes

                content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            value = FileStorage(file, filename, name, content_type)
        self.add(name, value)


def __getattr__(name: str) -> t.Any:
    # Header value types live in erlen.http.headervalues; Werkzeug users import them from here.
    from . import headervalues

    try:
        return getattr(headervalues, name)
    except AttributeError:
        raise AttributeError(
            f"module 'erlen.http.datastructures' has no attribute {name!r}"
        ) from None


# NOTE: at the end: that module builds on MultiDict above. Werkzeug's import path for both.
from .ordered_multidict import ImmutableOrderedMultiDict as ImmutableOrderedMultiDict  # noqa: E402
from .ordered_multidict import OrderedMultiDict as OrderedMultiDict  # noqa: E402
from .policy_headers import ContentSecurityPolicy as ContentSecurityPolicy  # noqa: E402
