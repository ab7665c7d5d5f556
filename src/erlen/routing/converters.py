"""URL converters: the ``int`` in ``/user/<int:id>``.

A converter is a regex that says which text a URL part may hold, a ``to_python`` that turns the
matched text into a value for the view, and a ``to_url`` that turns a value back into URL text.
Names, arguments, regexes and weights are Werkzeug's, so custom converters written for Flask work
unchanged (``app.url_map.converters["list"] = ListConverter``).

``weight`` orders converters competing for the same URL part: lower wins (numbers 50, strings and
most others 100, ``path`` 200). ``part_isolating`` is False for converters whose text may contain
``/``; such a converter takes the rest of the path.
"""

from __future__ import annotations

import re
import typing as t
import uuid
from urllib.parse import quote

if t.TYPE_CHECKING:
    from .map import Map

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "FloatConverter",
    "IntegerConverter",
    "NumberConverter",
    "PathConverter",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "parse_converter_args",
]

# NOTE: the characters RFC 3986 allows unescaped in a path segment; Werkzeug leaves the same ones.
_PATH_SAFE = "!$&'()*+,/:;=@"


class ValidationError(ValueError):
    """Raised by ``to_python`` to decline a URL: this rule does not match, later rules are tried."""


class BaseConverter:
    """Base of all converters: matches one path segment and passes text through.

    Subclass it and set ``regex``; override ``to_python`` / ``to_url`` to convert::

        class ListConverter(BaseConverter):
            def to_python(self, value):
                return value.split(",")

            def to_url(self, values):
                return ",".join(super(ListConverter, self).to_url(v) for v in values)
    """

    regex = "[^/]+"
    weight = 100
    part_isolating = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        # NOTE: as in Werkzeug, a subclass that sets a regex able to match "/" takes the rest of
        # the path unless it says otherwise.
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: t.Any, **kwargs: t.Any) -> None:
        self.map = map

    def to_python(self, value: str) -> t.Any:
        return value

    def to_url(self, value: t.Any) -> str:
        return quote(str(value), safe=_PATH_SAFE)


class UnicodeConverter(BaseConverter):
    """``string`` / ``default``: one segment without a slash, ``minlength=1``, ``maxlength``, ``length``.

    ``<string(length=2):code>`` matches exactly two characters.
    """

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            count = f"{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else int(maxlength)
            count = f"{{{int(minlength)},{upper}}}"
        self.regex = f"[^/]{count}"


class AnyConverter(BaseConverter):
    """``any(a, b, c)``: exactly one of the given words. ``<any(about, help):page>``."""

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.items = set(items)
        self.regex = f"(?:{'|'.join(re.escape(x) for x in items)})"

    def to_url(self, value: t.Any) -> str:
        if value in self.items:
            return str(value)
        valid = ", ".join(f"'{item}'" for item in sorted(self.items))
        raise ValueError(f"'{value}' is not one of {valid}")


class PathConverter(BaseConverter):
    """``path``: like ``string`` but also matches slashes (the rest of the path)."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False


class NumberConverter(BaseConverter):
    """Shared logic of ``int`` and ``float``: ``min``, ``max``, ``signed``, ``fixed_digits``."""

    weight = 50
    num_convert: t.Callable[[str], t.Any] = int
    signed_regex = ""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | float | None = None,
        max: int | float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        if signed:
            self.regex = self.signed_regex
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> t.Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_convert(value)
        except ValueError:
            # SECURITY: int() refuses more than 4300 digits; such a URL matches nothing (404).
            raise ValidationError() from None
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text


class IntegerConverter(NumberConverter):
    """``int``: ``fixed_digits=0, min=None, max=None, signed=False``. ``<int(min=1):id>``."""

    regex = r"\d+"
    signed_regex = r"-?\d+"


class FloatConverter(NumberConverter):
    """``float``: digits with a decimal point; ``min=None, max=None, signed=False``."""

    regex = r"\d+\.\d+"
    signed_regex = r"-?\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    """``uuid``: a hex UUID such as ``12345678-1234-5678-1234-567812345678``."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: t.Any) -> str:
        return str(value)


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}

# One argument in ``<conv(args):name>``: optional ``name=``, then a quoted string or a bare word.
_ARG = re.compile(
    r"""\s*(?:(?P<name>[A-Za-z_]\w*)\s*=\s*)?
    (?:(?P<quoted>"[^"]*"|'[^']*')|(?P<bare>[^,"'\s]+))
    \s*(?:,|\Z)""",
    re.VERBOSE,
)
_CONSTANTS: dict[str, t.Any] = {"None": None, "True": True, "False": False}


def _literal(text: str) -> t.Any:
    if text in _CONSTANTS:
        return _CONSTANTS[text]
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def parse_converter_args(argstr: str) -> tuple[tuple[t.Any, ...], dict[str, t.Any]]:
    """Parse ``"a, 'b c', min=1, signed=True"`` into ``(("a", "b c"), {"min": 1, "signed": True})``.

    Bare words become ``None``/``True``/``False``, ``int``, ``float`` or ``str``; quotes keep text.
    """
    args: list[t.Any] = []
    kwargs: dict[str, t.Any] = {}
    pos, end = 0, len(argstr)
    if not argstr.strip():
        return (), {}
    while pos < end:
        m = _ARG.match(argstr, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"Cannot parse converter argument '{argstr[pos:]}'")
        quoted = m.group("quoted")
        value = quoted[1:-1] if quoted is not None else _literal(m.group("bare"))
        if m.group("name"):
            kwargs[m.group("name")] = value
        else:
            args.append(value)
        pos = m.end()
    return tuple(args), kwargs
