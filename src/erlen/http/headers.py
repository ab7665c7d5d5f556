"""``Headers``: the ordered, case-insensitive header list of responses and requests.

:class:`Headers` holds a response's headers (and a test request's); :class:`EnvironHeaders` is
the read-only view of a request's headers over its WSGI environ. Werkzeug's names and behaviour;
a missing header raises :class:`~erlen.http.exceptions.BadRequestKeyError` (a ``KeyError`` and a 400).
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterable, Iterator, Mapping

from ._convert import convert
from .exceptions import BadRequestKeyError

_missing: t.Any = object()


def _immutable(self: t.Any, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


class Headers:
    """An ordered, case-insensitive list of header (name, value) pairs.

    ``headers["content-type"]`` reads the first match; ``add`` keeps duplicates (``Set-Cookie``);
    ``set`` replaces. SECURITY: values with a CR, LF or NUL are refused, so an app cannot split a
    response by copying user input into a header; values outside latin-1 are refused when set,
    since no server could send them.
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
        if not value.isascii():  # PERF: the usual value is ASCII; only others need the encode
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                # NOTE: WSGI sends header values as latin-1; a character outside it would fail
                # at the server, after the status line went out (a truncated "200 OK").
                raise ValueError(
                    f"Header {name!r} value {value!r} has characters outside latin-1, which"
                    " HTTP headers cannot carry; percent-encode it (or use RFC 8187 name*=)."
                ) from None
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

    def get(
        self, key: str, default: t.Any = None, type: t.Callable[[str], t.Any] | None = None
    ) -> t.Any:
        lower = key.lower()
        for name, value in self._list:
            if name.lower() == lower:
                return convert(value, type, default)
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

    def get(
        self, key: str, default: t.Any = None, type: t.Callable[[str], t.Any] | None = None
    ) -> t.Any:
        value = self.environ.get(self._env_key(key), _missing)
        if value is _missing:
            return default
        return convert(value, type, default)

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

    def copy(self) -> t.NoReturn:
        raise TypeError(f"cannot create {type(self).__name__!r} copies")

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = None

    add = set = setlist = setdefault = remove = pop = popitem = _immutable
    extend = update = clear = __setitem__ = __delitem__ = _immutable
