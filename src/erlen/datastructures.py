"""The dict and header types of request and response data, with Werkzeug's names and behaviour.

``MultiDict`` keeps every value of a repeated key (``getlist``) while ``d[key]`` gives the first;
``get(key, type=int)`` converts and falls back to the default when conversion fails. A missing key
raises :class:`~erlen.exceptions.BadRequestKeyError`, which is a ``KeyError`` and a 400.
"""

from __future__ import annotations

import os
import shutil
import typing as t
from collections.abc import Iterable, Iterator, Mapping

from .exceptions import BadRequestKeyError

K = t.TypeVar("K")
V = t.TypeVar("V")
_missing: t.Any = object()


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


def _immutable(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


class TypeConversionDict(dict[K, V]):
    """A dict whose ``get`` can convert the value with ``type``."""

    def get(self, key: K, default: t.Any = None, type: t.Callable[[V], t.Any] | None = None) -> t.Any:  # type: ignore[override]
        try:
            value = self[key]
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default


class ImmutableDict(TypeConversionDict[K, V]):
    """A dict that refuses every change. Hashable."""

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = _immutable  # type: ignore[assignment]

    def copy(self) -> dict[K, V]:  # type: ignore[override]
        return dict(self)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __copy__(self) -> ImmutableDict[K, V]:
        return self


ImmutableTypeConversionDict = ImmutableDict


class ImmutableList(list[V]):
    """A list that refuses every change."""

    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = extend = _immutable  # type: ignore[assignment]
    insert = pop = remove = reverse = sort = clear = _immutable  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


class MultiDict(dict[K, V]):
    """A dict that keeps every value given for a key.

    >>> d = MultiDict([("a", "1"), ("a", "2")])
    >>> d["a"], d.getlist("a"), d.get("a", type=int)
    ('1', ['1', '2'], 1)
    """

    # NOTE: stored as {key: [values...]}; dict methods are overridden to show the first value.

    def __init__(self, mapping: t.Any = None) -> None:
        dict.__init__(self)
        if mapping is not None:
            for key, value in _iter_pairs(mapping):
                dict.setdefault(self, key, []).append(value)  # type: ignore[arg-type]

    def __getitem__(self, key: K) -> V:
        try:
            values = dict.__getitem__(self, key)
        except KeyError:
            raise BadRequestKeyError(key) from None
        if values:
            return values[0]  # type: ignore[no-any-return, index]
        raise BadRequestKeyError(key)

    def __setitem__(self, key: K, value: V) -> None:
        dict.__setitem__(self, key, [value])  # type: ignore[assignment]

    def add(self, key: K, value: V) -> None:
        """Add a value for ``key`` after the existing ones."""
        dict.setdefault(self, key, []).append(value)  # type: ignore[arg-type, attr-defined]

    def get(self, key: K, default: t.Any = None, type: t.Callable[[V], t.Any] | None = None) -> t.Any:  # type: ignore[override]
        """The first value for ``key``, converted with ``type``; ``default`` if missing or invalid."""
        try:
            value = self[key]
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: K, type: t.Callable[[V], t.Any] | None = None) -> list[t.Any]:
        """Every value for ``key`` (an empty list if none); with ``type``, the convertible ones."""
        try:
            values = dict.__getitem__(self, key)
        except KeyError:
            return []
        if type is None:
            return list(values)  # type: ignore[call-overload]
        result = []
        for value in values:  # type: ignore[attr-defined]
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        dict.__setitem__(self, key, list(new_list))  # type: ignore[assignment]

    def setdefault(self, key: K, default: t.Any = None) -> t.Any:  # type: ignore[override]
        if key not in self:
            self[key] = default
        return self[key]

    def setlistdefault(self, key: K, default_list: Iterable[V] | None = None) -> list[V]:
        if key not in self:
            dict.__setitem__(self, key, list(default_list or ()))  # type: ignore[assignment]
        return dict.__getitem__(self, key)  # type: ignore[return-value]

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        for key, values in dict.items(self):
            if multi:
                for value in values:  # type: ignore[attr-defined]
                    yield key, value
            elif values:
                yield key, values[0]  # type: ignore[index]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        for key, values in dict.items(self):
            yield key, list(values)  # type: ignore[call-overload]

    def values(self) -> Iterator[V]:  # type: ignore[override]
        for values in dict.values(self):
            if values:
                yield values[0]  # type: ignore[index]

    def listvalues(self) -> Iterator[list[V]]:
        return iter(dict.values(self))  # type: ignore[arg-type]

    def keys(self) -> t.Any:
        return dict.keys(self)

    def __iter__(self) -> Iterator[K]:
        return dict.__iter__(self)

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
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

    def update(self, mapping: t.Any = None, **kwargs: t.Any) -> None:  # type: ignore[override]
        """Add values (unlike dict.update, existing values are kept)."""
        for key, value in _iter_pairs(mapping or ()):
            self.add(key, value)
        for key, value in _iter_pairs(kwargs):
            self.add(key, value)

    def pop(self, key: K, default: t.Any = _missing) -> t.Any:  # type: ignore[override]
        try:
            values = dict.pop(self, key)
        except KeyError:
            if default is not _missing:
                return default
            raise BadRequestKeyError(key) from None
        if not values:
            if default is not _missing:
                return default
            raise BadRequestKeyError(key)
        return values[0]  # type: ignore[index]

    def poplist(self, key: K) -> list[V]:
        return dict.pop(self, key, [])  # type: ignore[return-value]

    def popitem(self) -> tuple[K, V]:
        try:
            key, values = dict.popitem(self)
        except KeyError as e:
            raise BadRequestKeyError(e.args[0] if e.args else None) from None
        return key, values[0]  # type: ignore[index]

    def popitemlist(self) -> tuple[K, list[V]]:
        return dict.popitem(self)  # type: ignore[return-value]

    def __getstate__(self) -> dict[K, list[V]]:
        return dict(self.lists())

    def __setstate__(self, value: dict[K, list[V]]) -> None:
        dict.clear(self)
        dict.update(self, value)  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return dict(self.lists()) == dict(other.lists())
        if isinstance(other, Mapping):
            return self.to_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"


class ImmutableMultiDict(MultiDict[K, V]):
    """A MultiDict that refuses every change (``request.args``, ``request.form``)."""

    __setitem__ = __delitem__ = add = setlist = setdefault = setlistdefault = _immutable  # type: ignore[assignment]
    update = pop = poplist = popitem = popitemlist = clear = _immutable  # type: ignore[assignment]

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
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
        raise BadRequestKeyError(key)

    def get(self, key: K, default: t.Any = None, type: t.Callable[[V], t.Any] | None = None) -> t.Any:  # type: ignore[override]
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

    def listvalues(self) -> Iterator[list[V]]:  # type: ignore[override]
        for key in self._keys():
            yield self.getlist(key)

    def to_dict(self, flat: bool = True) -> dict[K, t.Any]:
        return dict(self.items()) if flat else dict(self.lists())

    def copy(self) -> MultiDict[K, V]:  # type: ignore[override]
        return MultiDict(self.items(multi=True))

    def __eq__(self, other: object) -> bool:
        return MultiDict(self.items(multi=True)) == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"


class CallbackDict(dict[K, V]):
    """A dict that calls ``on_update(self)`` after every change (sessions track ``modified`` so)."""

    def __init__(self, initial: t.Any = None, on_update: t.Callable[[t.Any], None] | None = None) -> None:
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

    def pop(self, key: K, *default: t.Any) -> t.Any:  # type: ignore[override]
        present = key in self
        value = dict.pop(self, key, *default)
        if present:
            self._changed()
        return value

    def popitem(self) -> tuple[K, V]:
        item = dict.popitem(self)
        self._changed()
        return item

    def setdefault(self, key: K, default: t.Any = None) -> t.Any:  # type: ignore[override]
        missing = key not in self
        value = dict.setdefault(self, key, default)
        if missing:
            self._changed()
        return value

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:  # type: ignore[override]
        dict.update(self, *args, **kwargs)
        self._changed()

    def __ior__(self, other: t.Any) -> t.Any:
        self.update(other)
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class Headers:
    """An ordered, case-insensitive list of header (name, value) pairs.

    ``headers["content-type"]`` reads the first match; ``add`` keeps duplicates (``Set-Cookie``);
    ``set`` replaces. SECURITY: values with a CR, LF or NUL are refused, so an app cannot split a
    response by copying user input into a header.
    """

    __slots__ = ("_list",)

    def __init__(self, defaults: t.Any = None) -> None:
        self._list: list[tuple[str, str]] = []
        if defaults is not None:
            self.extend(defaults)

    @staticmethod
    def _check(name: t.Any, value: t.Any) -> tuple[str, str]:
        if not isinstance(name, str):
            raise TypeError(f"Header names must be strings, not {type(name).__name__}")
        if not isinstance(value, str):
            if isinstance(value, (int, float)):
                value = str(value)
            elif value is None:
                raise TypeError(f"Header {name!r} value must be a string, not None")
            else:
                value = str(value)
        # SECURITY: refuse header injection (response splitting).
        if "\n" in value or "\r" in value or "\0" in value:
            raise ValueError("Header values must not contain newline or NUL characters.")
        if "\n" in name or "\r" in name or ":" in name or "\0" in name:
            raise ValueError("Header names must not contain newline, colon or NUL characters.")
        return name, value

    def __getitem__(self, key: t.Any) -> t.Any:
        if isinstance(key, int):
            return self._list[key]
        if isinstance(key, slice):
            return self.__class__(self._list[key])
        lower = key.lower()
        for name, value in self._list:
            if name.lower() == lower:
                return value
        raise BadRequestKeyError(key)

    def get(self, key: str, default: t.Any = None, type: t.Callable[[str], t.Any] | None = None) -> t.Any:
        lower = key.lower()
        for name, value in self._list:
            if name.lower() == lower:
                if type is None:
                    return value
                try:
                    return type(value)
                except (ValueError, TypeError):
                    return default
        return default

    def getlist(self, key: str, type: t.Callable[[str], t.Any] | None = None) -> list[t.Any]:
        lower = key.lower()
        result = []
        for name, value in self._list:
            if name.lower() == lower:
                if type is None:
                    result.append(value)
                else:
                    try:
                        result.append(type(value))
                    except (ValueError, TypeError):
                        pass
        return result

    get_all = getlist

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        lower = key.lower()
        return any(name.lower() == lower for name, _ in self._list)

    has_key = __contains__

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return bool(self._list)

    def keys(self, lower: bool = False) -> Iterator[str]:
        for name, _ in self._list:
            yield name.lower() if lower else name

    def values(self) -> Iterator[str]:
        for _, value in self._list:
            yield value

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        for name, value in self._list:
            yield (name.lower() if lower else name), value

    def add(self, key: str, value: t.Any, **params: t.Any) -> None:
        """Append a header, keeping existing ones. ``params`` become ``; key=value`` options."""
        if params:
            value = _with_options(value, params)
        self._list.append(self._check(key, value))

    add_header = add

    def set(self, key: str, value: t.Any, **params: t.Any) -> None:
        """Replace every header named ``key`` with one value, at the first one's position."""
        if params:
            value = _with_options(value, params)
        key, value = self._check(key, value)
        lower = key.lower()
        for i, (name, _) in enumerate(self._list):
            if name.lower() == lower:
                self._list[i] = (key, value)
                self._list[i + 1 :] = [h for h in self._list[i + 1 :] if h[0].lower() != lower]
                return
        self._list.append((key, value))

    def setlist(self, key: str, values: Iterable[t.Any]) -> None:
        values = list(values)
        if not values:
            self.remove(key)
            return
        self.set(key, values[0])
        for value in values[1:]:
            self.add(key, value)

    def setdefault(self, key: str, default: t.Any) -> str:
        if key in self:
            return t.cast(str, self[key])
        self.set(key, default)
        return t.cast(str, self[key])

    def __setitem__(self, key: t.Any, value: t.Any) -> None:
        if isinstance(key, int):
            self._list[key] = self._check(*value)
        else:
            self.set(key, value)

    def remove(self, key: str) -> None:
        lower = key.lower()
        self._list = [h for h in self._list if h[0].lower() != lower]

    def __delitem__(self, key: t.Any) -> None:
        if isinstance(key, (int, slice)):
            del self._list[key]
        else:
            self.remove(key)

    def pop(self, key: t.Any = None, default: t.Any = _missing) -> t.Any:
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        try:
            value = self[key]
        except KeyError:
            if default is not _missing:
                return default
            raise
        self.remove(key)
        return value

    def popitem(self) -> tuple[str, str]:
        return self._list.pop()

    def extend(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Add every header from a mapping, a Headers object or pairs."""
        for arg in args:
            items = arg.items() if isinstance(arg, (Mapping, Headers)) else arg
            for key, value in items:
                if isinstance(value, (list, tuple)) and not isinstance(arg, Headers):
                    for v in value:
                        self.add(key, v)
                else:
                    self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Replace headers by name; list values set several headers of one name."""
        for arg in args:
            items = arg.items() if isinstance(arg, Mapping) else arg
            if isinstance(arg, Headers):
                for key in {k.lower(): k for k, _ in arg._list}.values():
                    self.setlist(key, arg.getlist(key))
                continue
            for key, value in items:
                if isinstance(value, (list, tuple)):
                    self.setlist(key, value)
                else:
                    self.set(key, value)
        for key, value in kwargs.items():
            if isinstance(value, (list, tuple)):
                self.setlist(key, value)
            else:
                self.set(key, value)

    def clear(self) -> None:
        self._list.clear()

    def copy(self) -> Headers:
        new = self.__class__()
        new._list = list(self._list)
        return new

    __copy__ = copy

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """The header list to hand to ``start_response``."""
        return list(self._list)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return set(self.items(lower=True)) == set(other.items(lower=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return "".join(f"{k}: {v}\r\n" for k, v in self._list) + "\r\n"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


def _with_options(value: t.Any, params: dict[str, t.Any]) -> str:
    from .headervalues import dump_options_header

    return dump_options_header(str(value), params)


class EnvironHeaders(Headers):
    """Read-only request headers backed by a WSGI-shaped environ (``HTTP_*`` keys).

    PERF: nothing is copied; each lookup reads the environ.
    """

    __slots__ = ("environ",)

    def __init__(self, environ: dict[str, t.Any]) -> None:
        self.environ = environ

    @staticmethod
    def _env_key(key: str) -> str:
        key = key.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            return key
        return "HTTP_" + key

    def __getitem__(self, key: t.Any) -> t.Any:
        if not isinstance(key, str):
            raise TypeError("EnvironHeaders are looked up by name")
        try:
            return self.environ[self._env_key(key)]
        except KeyError:
            raise BadRequestKeyError(key) from None

    def get(self, key: str, default: t.Any = None, type: t.Callable[[str], t.Any] | None = None) -> t.Any:
        value = self.environ.get(self._env_key(key), _missing)
        if value is _missing:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str, type: t.Callable[[str], t.Any] | None = None) -> list[t.Any]:
        value = self.get(key, _missing, type)
        return [] if value is _missing else [value]

    get_all = getlist

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._env_key(key) in self.environ

    has_key = __contains__

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for key, value in self.environ.items():
            if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                yield key[5:].replace("_", "-").title(), value
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                yield key.replace("_", "-").title(), value

    @property
    def _list(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return list(self.__iter__())

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return True

    def copy(self) -> t.NoReturn:  # type: ignore[override]
        raise TypeError(f"cannot create {type(self).__name__!r} copies")

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = None  # type: ignore[assignment]

    add = set = setlist = setdefault = remove = pop = popitem = _immutable  # type: ignore[assignment]
    extend = update = clear = __setitem__ = __delitem__ = _immutable  # type: ignore[assignment]


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
        try:
            return int(self.headers.get("content-length") or 0)
        except ValueError:
            return 0

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
    # Header value types live in erlen.headervalues; Werkzeug users import them from here.
    from . import headervalues

    try:
        return getattr(headervalues, name)
    except AttributeError:
        raise AttributeError(f"module 'erlen.datastructures' has no attribute {name!r}") from None
