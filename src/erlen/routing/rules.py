"""A URL rule: one pattern such as ``/user/<int:id>``, parsed, matched text converted, URLs built.

:class:`Rule` parses its pattern (and domain) with the map's converters into trie parts (static
text or :class:`_Edge` regex transitions, searched by :mod:`erlen.routing.map`) and a build template
that :meth:`Rule.build` fills, with unknown values going into the query string.
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import quote, urlencode

from .converters import BaseConverter, NumberConverter, ValidationError, parse_converter_args

if t.TYPE_CHECKING:
    from .map import Map

_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"
_VARIABLE = re.compile(r"<(?:[^<>]*:)?([A-Za-z_][A-Za-z0-9_]*)>")
_TOKEN = re.compile(
    r"""(?P<slash>/)
    | (?P<static>[^</]+)
    | <(?:(?P<conv>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<args>.*?)\))?:)?(?P<var>[A-Za-z_][A-Za-z0-9_]*)>
    """,
    re.VERBOSE,
)


class _Edge:
    """A converter transition of the trie: one path part (or the rest of the path when final)."""

    __slots__ = ("regex", "names", "single", "final", "suffixed", "weight", "key", "decimal")

    def __init__(self, content: str, names: list[str], final: bool, suffixed: bool, weight: t.Any):
        if suffixed:  # NOTE: the rule ends with "/" after a path-like converter; the group says
            content += r"(?<!/)(?P<_s>/?)"  # whether the request had it (see _Search.walk).
        self.regex = re.compile(content)
        #: PERF: the part is one ``int`` converter and nothing else: ``\d+`` on a str matches
        #: exactly the Unicode decimal digits (category Nd), which is ``str.isdecimal``.
        self.decimal = content == r"(?P<_0>\d+)"
        self.names = tuple(names)
        self.single = len(names) == 1
        self.final = final
        self.suffixed = suffixed
        self.weight = weight
        self.key = (content, final, suffixed, weight)


class Rule:
    """One URL pattern and what it maps to: ``Rule("/user/<int:id>", endpoint="user")``.

    ``methods`` is uppercased into a set, ``HEAD`` is added when ``GET`` is present, and None allows
    every method. ``defaults`` give values for arguments the URL does not carry. ``redirect_to`` is
    a string with ``<name>`` placeholders or a callable ``f(adapter, **values)``. ``subdomain`` /
    ``host`` restrict the rule to a domain (``host`` when the map has ``host_matching``).
    """

    #: Set by the app: answer OPTIONS automatically for this rule.
    provide_automatic_options: bool = False

    def __init__(
        self,
        string: str,
        defaults: t.Mapping[str, t.Any] | None = None,
        subdomain: str | None = None,
        methods: t.Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: t.Any = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | t.Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not string.startswith("/"):
            raise ValueError(f"URL rule {string!r} must start with a slash.")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")
        self.map: Map | None = None
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.subdomain = subdomain
        self.host = host
        self.defaults = defaults
        self.build_only = build_only
        self.alias = alias
        self.websocket = websocket
        if methods is not None:
            if isinstance(methods, str):
                raise TypeError("'methods' should be a list of strings.")
            methods = {x.upper() for x in methods}
            if "GET" in methods:
                methods.add("HEAD")
            if websocket and methods - {"GET", "HEAD", "OPTIONS"}:
                raise ValueError(
                    "WebSocket rules can only use 'GET', 'HEAD', and 'OPTIONS' methods."
                )
        self.methods: set[str] | None = methods
        self.endpoint: t.Any = endpoint
        self.redirect_to = redirect_to
        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._converters: dict[str, BaseConverter] = {}
        self._default_providers: list[Rule] = []
        self._redirects = False

    # -- setup -------------------------------------------------------------------------------

    def get_empty_kwargs(self) -> dict[str, t.Any]:
        """The constructor arguments of this rule, for :meth:`empty` and subclasses."""
        return {
            "defaults": self.defaults,
            "subdomain": self.subdomain,
            "methods": self.methods,
            "build_only": self.build_only,
            "endpoint": self.endpoint,
            "strict_slashes": self.strict_slashes,
            "redirect_to": self.redirect_to,
            "alias": self.alias,
            "host": self.host,
            "merge_slashes": self.merge_slashes,
            "websocket": self.websocket,
        }

    def empty(self) -> Rule:
        """An unbound copy of this rule."""
        return type(self)(self.rule, **self.get_empty_kwargs())

    def get_rules(self, map: Map) -> t.Iterator[Rule]:
        yield self

    def get_converter(
        self, variable_name: str, converter_name: str, args: tuple[t.Any, ...], kwargs: dict
    ) -> BaseConverter:
        """Instantiate the converter ``converter_name`` of the bound map."""
        assert self.map is not None
        cls = self.map.converters.get(converter_name)
        if cls is None:
            raise LookupError(
                f"the converter {converter_name!r} does not exist (in rule {self.rule!r});"
                f" known converters: {', '.join(sorted(self.map.converters))}."
                " Register custom ones in map.converters before adding the rule."
            )
        return cls(self.map, *args, **kwargs)

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach the rule to ``map`` and parse it with the map's converters and settings."""
        if self.map is not None and not rebind:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        self.compile()

    def compile(self) -> None:
        """Parse the rule and its domain into trie parts and build templates."""
        assert self.map is not None
        self._converters = {}
        self.arguments = set(map(str, self.defaults)) if self.defaults else set()
        domain = (self.host or "") if self.map.host_matching else (self.subdomain or "")
        dparts, self._domain_build = self._parse(domain, is_domain=True)
        self._domain_part: str | _Edge = dparts[0]
        self._parts, self._path_build = self._parse(self.rule, is_domain=False)
        self._shape = _VARIABLE.sub(r"<\1>", f"{domain}|{self.rule}")
        for name, conv in self._converters.items():
            if self.defaults and name in self.defaults:
                conv.to_url(self.defaults[name])  # NOTE: a bad default fails at add, not at build
        self._names = tuple(self._converters)
        # PERF: converters whose to_python is the identity are skipped when matching, and a
        # plain ``int`` (no fixed_digits, min or max) converts with int() itself.
        self._to_python = tuple(_fast_to_python(c) for c in self._converters.values())
        self._plain = all(f is None for f in self._to_python)
        #: PERF: the name of the rule's one converter when that is a plain ``int``, so Map.match
        #: can do _convert's work inline; else None.
        self._int_name = (
            self._names[0] if len(self._names) == 1 and self._to_python[0] is int else None
        )
        self._static_path = (
            "/".join(self._parts)  # type: ignore[arg-type]
            if all(type(p) is str for p in self._parts)
            else None
        )

    def _tokens(self, text: str, merge: bool) -> t.Iterator[tuple[str, t.Any, t.Any, t.Any]]:
        pos, prev_slash = 0, False
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise ValueError(f"malformed url rule: {text!r}")
            pos = m.end()
            if m.group("slash"):
                if not (merge and prev_slash):
                    yield "/", None, None, None
                prev_slash = True
                continue
            prev_slash = False
            if m.group("static") is not None:
                yield "static", m.group("static"), None, None
            else:
                yield "var", m.group("conv") or "default", m.group("args"), m.group("var")

    def _parse(self, text: str, is_domain: bool) -> tuple[list[str | _Edge], list[t.Any]]:
        """Split ``text`` into trie parts (static strings or edges) and a build template."""
        parts: list[str | _Edge] = []
        template: list[t.Any] = []  # static text (quoted) or (name, converter)
        pieces: list[str] = []  # regex of the current part
        literal: list[str] = []  # text of the current part while it is static
        static_w: list[tuple[int, int]] = []
        arg_w: list[int] = []
        names: list[str] = []
        final = False

        def close(suffixed: bool = False) -> None:
            if not names:
                parts.append("".join(literal))
            else:
                weight = (-len(static_w), tuple(static_w), -len(arg_w), tuple(arg_w))
                parts.append(_Edge("".join(pieces), names[:], final, suffixed, weight))
            for buf in (pieces, literal, static_w, arg_w, names):
                buf.clear()

        tokens = list(self._tokens(text, merge=bool(self.merge_slashes) and not is_domain))
        for i, (kind, value, args, var) in enumerate(tokens):
            if kind == "/":
                template.append("/")
                if not final:
                    close()
                elif i == len(tokens) - 1:  # trailing slash after a path-like converter
                    close(suffixed=True)
                    final = False
                else:
                    pieces.append("/")
            elif kind == "static":
                template.append(value if is_domain else quote(value, safe=_PATH_SAFE))
                pieces.append(re.escape(value))
                literal.append(value)
                static_w.append((len(static_w), -len(value)))
            else:
                if var in self._converters:
                    raise ValueError(f"variable name {var!r} used twice in rule {self.rule!r}.")
                c_args, c_kwargs = parse_converter_args(args) if args else ((), {})
                conv = self.get_converter(var, value, c_args, c_kwargs)
                self._converters[var] = conv
                self.arguments.add(var)
                template.append((var, conv))
                if not conv.part_isolating and not is_domain:
                    final = True
                pieces.append(f"(?P<_{len(names)}>{conv.regex})")
                names.append(f"_{len(names)}")
                arg_w.append(conv.weight)
        close()
        return parts, template

    # -- matching and building helpers -------------------------------------------------------

    def _convert(self, raw: tuple[str, ...]) -> dict[str, t.Any] | None:
        """Values for the view from the matched text, or None when a converter declines."""
        if len(raw) == 1:
            # PERF: one converter, the usual rule: no zip, no loop.
            name = self._names[0]
            to_python = self._to_python[0]
            values: dict[str, t.Any]
            if to_python is None:
                values = {name: raw[0]}
            elif to_python is int:
                # NOTE: NumberConverter.to_python, inline: int() refuses over 4300 digits.
                try:
                    values = {name: int(raw[0])}
                except ValueError:
                    return None
            else:
                try:
                    values = {name: to_python(raw[0])}
                except ValidationError:
                    return None
        elif self._plain:
            values = dict(zip(self._names, raw, strict=False))
        else:
            values = {}
            for name, to_python, text in zip(self._names, self._to_python, raw, strict=False):
                if to_python is None:
                    values[name] = text
                elif to_python is int:
                    # NOTE: NumberConverter.to_python, inline: int() refuses over 4300 digits.
                    try:
                        values[name] = int(text)
                    except ValueError:
                        return None
                else:
                    try:
                        values[name] = to_python(text)
                    except ValidationError:
                        return None
        if self.defaults:
            values.update(self.defaults)
        return values

    def provides_defaults_for(self, rule: Rule) -> bool:
        """True if this rule spells ``rule``'s URL with defaults (``/page/`` for ``/page/<n>``)."""
        return (
            not self.build_only
            and bool(self.defaults)
            and self.endpoint == rule.endpoint
            and self._shape != rule._shape  # NOTE: Werkzeug's rule equality ignores converters
            and self.arguments == rule.arguments
        )

    def suitable_for(self, values: t.Mapping[str, t.Any], method: str | None = None) -> bool:
        """True if this rule can build a URL from ``values`` for ``method``."""
        if method is not None and self.methods is not None and method not in self.methods:
            return False
        defaults = self.defaults or {}
        for key in self.arguments:
            if key not in defaults and key not in values:
                return False
        for key, value in defaults.items():
            if key in values and value != values[key]:
                return False
        return True

    def build_compare_key(self) -> tuple[int, int, int]:
        """Sort key among rules of one endpoint: preferred first when building."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    def build(
        self, values: t.Mapping[str, t.Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """``(domain_part, path)`` for ``values``; unknown values become the query string."""
        merged = {**self.defaults, **values} if self.defaults else values
        try:
            domain = _fill(self._domain_build, merged)
            path = _fill(self._path_build, merged)
        except ValidationError:
            return None
        if append_unknown:
            query = [(k, v) for k, v in values.items() if k not in self.arguments]
            if query:
                assert self.map is not None
                path += "?" + _urlencode(query, self.map.sort_parameters, self.map.sort_key)
        return domain, path

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        if self.map is None:
            return f"<{type(self).__name__} (unbound)>"
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods is not None else ""
        return f"<{type(self).__name__} {self._shape.lstrip('|')!r}{methods} -> {self.endpoint}>"


def _fast_to_python(conv: BaseConverter) -> t.Any:
    """What Rule._convert calls for ``conv``: None (identity), ``int``, or ``conv.to_python``."""
    method = type(conv).to_python
    if method is BaseConverter.to_python:
        return None
    if (
        method is NumberConverter.to_python
        and conv.num_convert is int  # type: ignore[attr-defined]
        and not conv.fixed_digits  # type: ignore[attr-defined]
        and conv.min is None  # type: ignore[attr-defined]
        and conv.max is None  # type: ignore[attr-defined]
    ):
        return int
    return conv.to_python


def _fill(template: list[t.Any], values: t.Mapping[str, t.Any]) -> str:
    return "".join(p if type(p) is str else p[1].to_url(values[p[0]]) for p in template)


def _iter_items(values: t.Any) -> t.Iterator[tuple[str, t.Any]]:
    if hasattr(values, "getlist"):
        items = values.items(multi=True)
    else:
        items = values.items() if hasattr(values, "items") else values
    for key, value in items:
        if isinstance(value, (list, tuple, set)):
            for item in value:
                yield key, item
        else:
            yield key, value


def _urlencode(items: t.Any, sort: bool = False, key: t.Any = None) -> str:
    pairs = [(k, v) for k, v in _iter_items(items) if v is not None]
    if sort:
        pairs.sort(key=key)
    return urlencode(pairs, safe=_QUERY_SAFE)
