"""URL routing: rules, the map that matches a request path to a rule, and URL building.

The names and behaviour are Werkzeug's (``Map``, ``Rule``, ``MapAdapter``, converters, ``BuildError``
and its messages), plus :meth:`Map.match`, the allocation-light entry point the app calls per request.

Invariants (enforced by ``Map._compile`` and ``_Search``):

* Matching order is Werkzeug 2.2+'s. A path is split on ``/`` into parts, preceded by the domain part
  (the subdomain, or the host when ``host_matching``). Rules form a trie of parts searched depth
  first: at each part a static transition is tried before converter transitions; converter
  transitions are ordered by the part's weight: more static pieces first, longer static text first,
  more converters first, then lower converter ``weight`` (int/float 50 < string 100 < path 200).
  Ties keep registration order, and so do rules ending on the same trie node.
* The first rule on the node where the parts run out that accepts the method (and the websocket
  flag) and whose converters accept the values wins. A converter raising ``ValidationError`` declines
  the rule and the search goes on (Werkzeug documents this; its 2.2+ matcher answers 404 instead).
* Slashes. A rule ending in ``/`` requested without it redirects (308) to the slash form when it is
  strict, and matches directly when not. A rule without a trailing slash requested with one is a 404
  when strict and a match when not. The redirect is decided on the node where the parts run out,
  before any later branch is tried. If nothing matched and the path has ``//``, the path is matched
  again with slashes merged and, on success (and the rule merges slashes), redirected there.
* After a match: an ``alias`` rule redirects to its endpoint's canonical URL; with ``redirect_defaults``
  a URL spelling out a rule's default redirects to the rule that has the default; ``redirect_to``
  redirects to its target. Otherwise no rule that matched some method gives 405, else 404.
* A fully static rule on the default domain is found by ``Map.match`` with two dict lookups; anything
  else (redirect rules, websocket, other domains, no exact hit) takes the trie search, whose result
  the static table must never contradict.
"""

from __future__ import annotations

import difflib
import re
import typing as t
import warnings
from html import escape
from types import MappingProxyType
from urllib.parse import quote, urlencode, urljoin

from .converters import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
    parse_converter_args,
)
from .exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "MapAdapter",
    "NumberConverter",
    "PathConverter",
    "RequestAliasRedirect",
    "RequestRedirect",
    "RoutingException",
    "Rule",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "WebsocketMismatch",
]

_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"
_ANY_METHOD = "*"  # NOTE: key of a methods=None rule in the static table; no HTTP method is "*".
_MULTI_SLASH = re.compile("/{2,}")
_PLACEHOLDER = re.compile(r"<([^>]+)>")
_VARIABLE = re.compile(r"<(?:[^<>]*:)?([A-Za-z_][A-Za-z0-9_]*)>")
_TOKEN = re.compile(
    r"""(?P<slash>/)
    | (?P<static>[^</]+)
    | <(?:(?P<conv>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<args>.*?)\))?:)?(?P<var>[A-Za-z_][A-Za-z0-9_]*)>
    """,
    re.VERBOSE,
)


class RoutingException(Exception):
    """Base of the exceptions routing uses for control flow (redirects, build failures)."""


class RequestRedirect(HTTPException, RoutingException):
    """A 308 redirect to ``new_url``, raised by matching (slash, merge, defaults, ``redirect_to``).

    From :meth:`MapAdapter.match` ``new_url`` is a full URL. From :meth:`Map.match` it is a path
    relative to the application root when ``script_relative`` is true (prefix the script name,
    append the query string), else a ``redirect_to`` target to resolve against the root URL.
    """

    code = 308

    def __init__(self, new_url: str, script_relative: bool = False) -> None:
        super().__init__(new_url)
        self.new_url = new_url
        self.script_relative = script_relative

    def get_body(self, environ: t.Any = None, scope: t.Any = None) -> str:
        url = escape(self.new_url)
        return (
            "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
            "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL:"
            f' <a href="{url}">{url}</a>. If not, click the link.\n'
        )

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ), ("Location", self.new_url)]


class RequestAliasRedirect(RoutingException):  # noqa: B903 -- Werkzeug's public name
    """An ``alias`` rule matched; ``endpoint`` and ``matched_values`` name the canonical URL."""

    def __init__(self, matched_values: dict[str, t.Any], endpoint: t.Any) -> None:
        super().__init__()
        self.matched_values = matched_values
        self.endpoint = endpoint


class WebsocketMismatch(BadRequest):
    """The only rules for the path are WebSocket rules and the request is HTTP, or the reverse."""


class BuildError(RoutingException, LookupError):
    """No rule can build a URL for ``endpoint`` with ``values`` (and ``method``).

    ``str()`` says why and suggests the closest rule, e.g. ``Could not build url for endpoint
    'user'. Did you forget to specify values ['id']?``.
    """

    def __init__(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str | None,
        adapter: MapAdapter | None = None,
    ) -> None:
        super().__init__(endpoint, values, method)
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.adapter = adapter
        self._suggested: Rule | None = None
        self._suggested_done = False

    @property
    def suggested(self) -> Rule | None:
        """The rule of the map closest to what was asked for, or None."""
        if not self._suggested_done:
            self._suggested = self.closest_rule(self.adapter)
            self._suggested_done = True
        return self._suggested

    def closest_rule(self, adapter: MapAdapter | None) -> Rule | None:
        rules = list(adapter.map.iter_rules()) if adapter is not None else []
        if not rules:
            return None
        wanted = set(self.values or ())

        def score(rule: Rule) -> float:
            ratio = difflib.SequenceMatcher(None, rule.endpoint, self.endpoint).ratio()
            covers = wanted.issubset(rule.arguments)
            method_ok = bool(rule.methods and self.method in rule.methods)
            return 0.98 * ratio + 0.01 * covers + 0.01 * method_ok

        return max(rules, key=score)

    def __str__(self) -> str:
        out = [f"Could not build url for endpoint {self.endpoint!r}"]
        if self.method:
            out.append(f" ({self.method!r})")
        if self.values:
            out.append(f" with values {sorted(self.values)!r}")
        out.append(".")
        rule = self.suggested
        if rule is not None:
            if rule.endpoint != self.endpoint:
                out.append(f" Did you mean {rule.endpoint!r} instead?")
            else:
                if self.method and rule.methods is not None and self.method not in rule.methods:
                    out.append(f" Did you mean to use methods {sorted(rule.methods)!r}?")
                missing = rule.arguments.union(rule.defaults or ()) - set(self.values or ())
                if missing:
                    out.append(f" Did you forget to specify values {sorted(missing)!r}?")
        return "".join(out)


class _SlashRequired(Exception):
    """Internal: the path matches a strict rule once a trailing slash is added."""


class _Edge:
    """A converter transition of the trie: one path part (or the rest of the path when final)."""

    __slots__ = ("regex", "names", "single", "final", "suffixed", "weight", "key")

    def __init__(self, content: str, names: list[str], final: bool, suffixed: bool, weight: t.Any):
        if suffixed:  # NOTE: the rule ends with "/" after a path-like converter; the group says
            content += r"(?<!/)(?P<_s>/?)"  # whether the request had it (see _Search.walk).
        self.regex = re.compile(content)
        self.names = tuple(names)
        self.single = len(names) == 1
        self.final = final
        self.suffixed = suffixed
        self.weight = weight
        self.key = (content, final, suffixed, weight)


class _State:
    """A trie node: static transitions by part text, converter transitions, rules ending here."""

    __slots__ = ("static", "dynamic", "rules")

    def __init__(self) -> None:
        self.static: dict[str, _State] = {}
        self.dynamic: list[tuple[_Edge, _State]] = []
        self.rules: list[Rule] = []


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
        self.methods: set[str] | None = methods  # type: ignore[assignment]
        self.endpoint: t.Any = endpoint
        self.redirect_to = redirect_to
        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._converters: dict[str, BaseConverter] = {}
        self._default_providers: list[Rule] = []

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
        # PERF: converters whose to_python is the identity are skipped when matching.
        self._to_python = tuple(
            None if type(c).to_python is BaseConverter.to_python else c.to_python
            for c in self._converters.values()
        )
        self._plain = all(f is None for f in self._to_python)
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
        if self._plain:
            values = dict(zip(self._names, raw, strict=False))
        else:
            values = {}
            for name, to_python, text in zip(self._names, self._to_python, raw, strict=False):
                if to_python is None:
                    values[name] = text
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


class _Search:
    """One depth-first search of the trie for a path (the slow path of :meth:`Map.match`)."""

    __slots__ = ("method", "websocket", "allowed", "ws_mismatch")

    def __init__(self, method: str, websocket: bool) -> None:
        self.method = method
        self.websocket = websocket
        self.allowed: set[str] = set()
        self.ws_mismatch = False

    def accept(self, rules: list[Rule], raw: tuple[str, ...], only_lax: bool = False) -> t.Any:
        """The first of ``rules`` that takes this request, as ``(rule, values)``, else None."""
        for rule in rules:
            if only_lax and rule.strict_slashes:
                continue
            if rule.methods is not None and self.method not in rule.methods:
                self.allowed.update(rule.methods)
            elif rule.websocket != self.websocket:
                self.ws_mismatch = True
            else:
                values = rule._convert(raw)
                if values is not None:
                    return rule, values
        return None

    def walk(self, state: _State, parts: t.Sequence[str], i: int, raw: tuple[str, ...]) -> t.Any:
        # PERF: a node without converter edges has one way on (its static child, unless the last
        # part is the "" of a trailing slash): follow it in a loop instead of recursing.
        last = len(parts) - 1
        while i <= last and not state.dynamic:
            child = state.static.get(parts[i])
            if child is None or (i == last and parts[i] == ""):
                break
            state = child
            i += 1
        if i == len(parts):
            found = self.accept(state.rules, raw)
            if found is None and "" in state.static:
                # NOTE: a rule with the slash would match: redirect if strict, else match.
                for rule in state.static[""].rules:
                    if rule.websocket == self.websocket and (
                        rule.methods is None or self.method in rule.methods
                    ):
                        if rule.strict_slashes:
                            raise _SlashRequired()
                        values = rule._convert(raw)
                        if values is not None:
                            return rule, values
            return found
        part = parts[i]
        child = state.static.get(part)
        if child is not None:
            found = self.walk(child, parts, i + 1, raw)
            if found is not None:
                return found
        for edge, child in state.dynamic:
            if edge.final:
                m = edge.regex.fullmatch("/".join(parts[i:]))
                if m is None:
                    continue
                rest, at = (
                    (_TRAILING, 0) if edge.suffixed and m.group("_s") else (parts, len(parts))
                )
            else:
                m = edge.regex.fullmatch(part)
                if m is None:
                    continue
                rest, at = parts, i + 1
            got = m.group(*edge.names)
            found = self.walk(child, rest, at, raw + ((got,) if edge.single else got))
            if found is not None:
                return found
        if part == "" and i == len(parts) - 1:
            return self.accept(state.rules, raw, only_lax=True)
        return None


_TRAILING = ("",)


class Map:
    """The set of rules of an application, matched and built through a :class:`MapAdapter`.

    ``converters`` is a per-map copy of :data:`DEFAULT_CONVERTERS`; add custom converters to it
    before adding rules that use them. Rules are compiled into the matching tables lazily, on the
    first match after an :meth:`add`.

    Host and subdomain matching work through the domain part (``subdomain=`` rules, or ``host=``
    rules with ``host_matching``). Not carried over from Werkzeug: rule factories other than
    ``Rule`` (``Submount``, ``Subdomain``, ...), and a redirect from :meth:`match` never changes the
    domain (a defaults redirect to a rule of another subdomain keeps the current host).
    """

    default_converters = MappingProxyType(DEFAULT_CONVERTERS)

    def __init__(
        self,
        rules: t.Iterable[Rule] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: t.Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: t.Callable[[t.Any], t.Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        self._registered: list[Rule] = []  # registration order: the trie's tie-break
        self._rules: list[Rule] = []  # grouped by endpoint, in build order (as Werkzeug lists them)
        self._rules_by_endpoint: dict[t.Any, list[Rule]] = {}
        self._static: dict[str, dict[str, Rule]] | None = None
        self._root = _State()
        self._default_domain = ""
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.redirect_defaults = redirect_defaults
        self.host_matching = host_matching
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        for rule in rules or ():
            self.add(rule)

    def add(self, rulefactory: Rule) -> None:
        """Bind and add a rule (or anything with ``get_rules(map)``); invalidates compiled tables."""
        for rule in rulefactory.get_rules(self):
            rule.bind(self)
            self._registered.append(rule)
            self._rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
        self._static = None

    def iter_rules(self, endpoint: t.Any = None) -> t.Iterator[Rule]:
        """All rules (grouped by endpoint), or those of ``endpoint``, in build order."""
        self.update()
        if endpoint is not None:
            return iter(self._rules_by_endpoint[endpoint])
        return iter(self._rules)

    def is_endpoint_expecting(self, endpoint: t.Any, *arguments: str) -> bool:
        """True if some rule of ``endpoint`` takes all of ``arguments``."""
        self.update()
        wanted = set(arguments)
        return any(wanted.issubset(r.arguments) for r in self._rules_by_endpoint[endpoint])

    def update(self) -> None:
        """Compile the matching tables now if rules were added since the last compile."""
        if self._static is None:
            self._compile()

    def _compile(self) -> dict[str, dict[str, Rule]]:
        # NOTE: builds everything in locals and publishes self._static last, so a request racing
        # the first compile at worst compiles twice.
        by_endpoint = {
            endpoint: sorted(rules, key=Rule.build_compare_key)
            for endpoint, rules in self._rules_by_endpoint.items()
        }
        for rules in by_endpoint.values():
            for k, rule in enumerate(rules):
                rule._default_providers = [r for r in rules[:k] if r.provides_defaults_for(rule)]
        root = _State()
        for rule in self._registered:
            if rule.build_only:
                continue
            state = root
            for part in (rule._domain_part, *rule._parts):
                if type(part) is str:
                    state = state.static.setdefault(part, _State())
                    continue
                for edge, child in state.dynamic:
                    if edge.key == part.key:  # type: ignore[union-attr]
                        state = child
                        break
                else:
                    child = _State()
                    state.dynamic.append((part, child))  # type: ignore[arg-type]
                    state = child
            state.rules.append(rule)
        _sort_edges(root)
        default_domain = "" if self.host_matching else self.default_subdomain
        static: dict[str, dict[str, Rule]] = {}
        claimed: dict[str, set[str]] = {}
        slow: set[str] = set()
        for rule in self._registered:
            path = rule._static_path
            if rule.build_only or rule.websocket or path is None:
                continue
            if rule._domain_part != default_domain:
                continue
            taken = claimed.setdefault(path, set())
            if _ANY_METHOD in taken:
                continue  # an earlier rule takes every method at this path
            table = static.setdefault(path, {})
            # NOTE: a path with a rule that redirects after matching is left to the trie search.
            if rule.redirect_to is not None or rule.alias or rule._default_providers:
                slow.add(path)
            for method in rule.methods if rule.methods is not None else (_ANY_METHOD,):
                if method not in taken:
                    taken.add(method)
                    table[method] = rule
        for path in slow:
            del static[path]
        self._rules_by_endpoint = by_endpoint
        self._rules = [rule for rules in by_endpoint.values() for rule in rules]
        self._root = root
        self._default_domain = default_domain
        self._static = static
        return static

    def match(
        self, path: str, method: str, websocket: bool = False, domain: str | None = None
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Find the rule for ``path`` and ``method``: ``(rule, values)``. The app's per-request call.

        ``domain`` is the subdomain (or host when ``host_matching``); None means the default.
        Raises :class:`NotFound`, :class:`MethodNotAllowed` (sorted ``valid_methods``),
        :class:`WebsocketMismatch` or :class:`RequestRedirect` (``new_url`` is a path).
        """
        static = self._static
        if static is None:
            static = self._compile()
        # PERF: a static rule is two dict lookups; the values dict is fresh per request because
        # url_value_preprocessors may pop from it.
        if domain is None and not websocket:
            by_method = static.get(path)
            if by_method is not None:
                rule = by_method.get(method) or by_method.get(_ANY_METHOD)
                if rule is not None:
                    return rule, (dict(rule.defaults) if rule.defaults else {})
        return self._match(path, method, websocket, domain, None)

    def _match(
        self,
        path: str,
        method: str,
        websocket: bool,
        domain: str | None,
        adapter: MapAdapter | None,
    ) -> tuple[Rule, dict[str, t.Any]]:
        self.update()
        if domain is None:
            domain = self._default_domain
        search = _Search(method, websocket)
        try:
            found = search.walk(self._root, [domain, *path.split("/")], 0, ())
        except _SlashRequired:
            raise RequestRedirect(quote(f"{path}/", safe=_PATH_SAFE), True) from None
        if found is None and self.merge_slashes and "//" in path:
            merged = _MULTI_SLASH.sub("/", path)
            try:
                found = search.walk(self._root, [domain, *merged.split("/")], 0, ())
            except _SlashRequired:
                raise RequestRedirect(quote(f"{merged}/", safe=_PATH_SAFE), True) from None
            if found is not None and found[0].merge_slashes:
                raise RequestRedirect(quote(merged, safe=_PATH_SAFE), True)
            found = None
        if found is None:
            if search.allowed:
                raise MethodNotAllowed(valid_methods=sorted(search.allowed))
            if search.ws_mismatch:
                raise WebsocketMismatch()
            raise NotFound()
        rule, values = found
        if rule.alias and self.redirect_defaults:
            built = self._build(rule.endpoint, values, method, append_unknown=False)
            if built is not None and built[1] != path:
                raise RequestRedirect(built[1], True)
        if self.redirect_defaults:
            for other in rule._default_providers:
                if other.suitable_for(values, method):
                    built = other.build({**values, **other.defaults}, append_unknown=False)
                    if built is not None:
                        raise RequestRedirect(built[1], True)
        if rule.redirect_to is not None:
            if isinstance(rule.redirect_to, str):

                def fill(m: re.Match[str]) -> str:
                    return rule._converters[m.group(1)].to_url(values[m.group(1)])

                target = _PLACEHOLDER.sub(fill, rule.redirect_to)
            else:
                if adapter is None:
                    adapter = MapAdapter(self, "", "/", domain, "http", path, method)
                target = rule.redirect_to(adapter, **values)
            raise RequestRedirect(target, False)
        return rule, values

    def _build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any],
        method: str | None,
        append_unknown: bool,
    ) -> tuple[str, str, bool] | None:
        """``(domain_part, path, websocket)`` from the first suitable rule of ``endpoint``."""
        for rule in self._rules_by_endpoint.get(endpoint, ()):
            if rule.suitable_for(values, method):
                built = rule.build(values, append_unknown)
                if built is not None:
                    return built[0], built[1], rule.websocket
        return None

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: t.Any = None,
    ) -> MapAdapter:
        """A :class:`MapAdapter` for one host: ``map.bind("example.com").build("index")``."""
        server_name = server_name.lower()
        if self.host_matching:
            if subdomain is not None:
                raise RuntimeError("host matching enabled and a subdomain was provided")
        elif subdomain is None:
            subdomain = self.default_subdomain
        if not server_name.isascii():
            try:
                server_name = server_name.encode("idna").decode("ascii")
            except UnicodeError:
                pass
        return MapAdapter(
            self,
            server_name,
            "/" if script_name is None else script_name,
            subdomain,
            url_scheme,
            "/" if path_info is None else path_info,
            default_method,
            query_args,
        )

    def bind_to_environ(
        self, environ: t.Any, server_name: str | None = None, subdomain: str | None = None
    ) -> MapAdapter:
        """A :class:`MapAdapter` for a WSGI environ (or a request with ``.environ``)."""
        env = getattr(environ, "environ", environ)
        scheme = env.get("wsgi.url_scheme", "http")
        upgrade = env.get("HTTP_CONNECTION", "").lower().split(",")
        if any(v.strip() == "upgrade" for v in upgrade) and (
            env.get("HTTP_UPGRADE", "").lower() == "websocket"
        ):
            scheme = "wss" if scheme == "https" else "ws"
        host = _environ_host(env)
        if server_name is None:
            server_name = host
        else:
            server_name = _strip_default_port(server_name.lower(), scheme)
        if subdomain is None and not self.host_matching:
            have, want = host.split("."), server_name.split(".")
            if have[-len(want) :] != want:
                warnings.warn(
                    f"Current server name {host!r} doesn't match configured server name"
                    f" {server_name!r}",
                    stacklevel=2,
                )
                subdomain = "<invalid>"
            else:
                subdomain = ".".join(filter(None, have[: -len(want)]))

        def wsgi_str(key: str) -> str | None:
            value = env.get(key)
            return None if value is None else value.encode("latin1").decode("utf-8", "replace")

        return Map.bind(
            self,
            server_name,
            wsgi_str("SCRIPT_NAME"),
            subdomain,
            scheme,
            env.get("REQUEST_METHOD", "GET"),
            wsgi_str("PATH_INFO"),
            query_args=wsgi_str("QUERY_STRING"),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.iter_rules())!r})"


def _sort_edges(state: _State) -> None:
    state.dynamic.sort(key=lambda entry: entry[0].weight)  # stable: ties keep insertion order
    for child in state.static.values():
        _sort_edges(child)
    for _, child in state.dynamic:
        _sort_edges(child)


def _strip_default_port(host: str, scheme: str) -> str:
    if scheme in ("http", "ws") and host.endswith(":80"):
        return host[:-3]
    if scheme in ("https", "wss") and host.endswith(":443"):
        return host[:-4]
    return host


def _environ_host(env: t.Mapping[str, t.Any]) -> str:
    host = env.get("HTTP_HOST")
    if not host:
        host = f"{env.get('SERVER_NAME', '')}:{env.get('SERVER_PORT', '')}".rstrip(":")
    return _strip_default_port(host.lower(), env.get("wsgi.url_scheme", "http"))


class MapAdapter:
    """A :class:`Map` bound to one server name, script name and scheme: matches and builds URLs.

    ``build`` returns paths below ``script_name`` (or full URLs when ``force_external``);
    ``match`` raises :class:`RequestRedirect` with a full URL.
    """

    def __init__(
        self,
        map: Map,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: t.Any = None,
    ) -> None:
        self.map = map
        self.server_name = server_name
        self.script_name = script_name if script_name.endswith("/") else f"{script_name}/"
        self.subdomain = subdomain
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method
        self.query_args = query_args
        self.websocket = url_scheme in ("ws", "wss")

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: t.Any = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]:
        """``(endpoint, values)`` (or ``(rule, values)``) for a path; raises like :meth:`Map.match`."""
        if path_info is None:
            path_info = self.path_info
        if query_args is None:
            query_args = self.query_args or {}
        method = (method or self.default_method).upper()
        if websocket is None:
            websocket = self.websocket
        domain = self.server_name
        if not self.map.host_matching and self.subdomain is not None:
            domain = self.subdomain
        path = f"/{path_info.lstrip('/')}" if path_info else ""
        try:
            rule, values = self.map._match(path, method, websocket, domain, self)
        except RequestRedirect as e:
            if e.script_relative:
                raise RequestRedirect(self.make_redirect_url(e.new_url, query_args)) from None
            netloc = f"{self.subdomain}.{self.server_name}" if self.subdomain else self.server_name
            base = f"{self.url_scheme or 'http'}://{netloc}{self.script_name}"
            raise RequestRedirect(urljoin(base, e.new_url)) from None
        return (rule if return_rule else rule.endpoint), values

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """True if the path matches (a redirect counts as a match)."""
        try:
            self.match(path_info, method)
        except RequestRedirect:
            pass
        except HTTPException:
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> list[str]:
        """The methods the path accepts (empty if it matches nothing or any method)."""
        try:
            self.match(path_info, method="--")
        except MethodNotAllowed as e:
            return list(e.valid_methods or ())
        except HTTPException:
            pass
        return []

    def dispatch(
        self,
        view_func: t.Callable[[t.Any, dict[str, t.Any]], t.Any],
        path_info: str | None = None,
        method: str | None = None,
        catch_http_exceptions: bool = False,
    ) -> t.Any:
        """Match and call ``view_func(endpoint, values)``; a redirect is returned, not raised."""
        try:
            try:
                endpoint, values = self.match(path_info, method)
            except RequestRedirect as e:
                return e
            return view_func(endpoint, values)
        except HTTPException as e:
            if catch_http_exceptions:
                return e
            raise

    def get_host(self, domain_part: str | None) -> str:
        """The host for a rule's domain part (subdomain prefixed to the server name)."""
        if self.map.host_matching:
            return self.server_name if domain_part is None else domain_part
        subdomain = self.subdomain if domain_part is None else domain_part
        return f"{subdomain}.{self.server_name}" if subdomain else self.server_name

    def encode_query_args(self, query_args: t.Any) -> str:
        return query_args if isinstance(query_args, str) else _urlencode(query_args)

    def make_redirect_url(
        self, path_info: str, query_args: t.Any = None, domain_part: str | None = None
    ) -> str:
        """The full URL of ``path_info`` (relative to the script name) with the query string."""
        suffix = f"?{self.encode_query_args(query_args)}" if query_args else ""
        host = self.get_host(domain_part)
        return (
            f"{self.url_scheme or 'http'}://{host}{self.script_name}{path_info.lstrip('/')}{suffix}"
        )

    def build(
        self,
        endpoint: t.Any,
        values: t.Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """The URL of ``endpoint`` with ``values``; unknown values go into the query string.

        ``None`` values are dropped; a MultiDict (or list values) gives repeated keys. Raises
        :class:`BuildError` when no rule of the endpoint fits.
        """
        self.map.update()
        if values:
            if hasattr(values, "getlist"):
                grouped: dict[str, list[t.Any]] = {}
                for key, value in values.items(multi=True):  # type: ignore[call-arg]
                    if value is not None:
                        grouped.setdefault(key, []).append(value)
                values = {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}
            else:
                values = {k: v for k, v in values.items() if v is not None}
        else:
            values = {}
        found = None
        if method is None:
            found = self.map._build(endpoint, values, self.default_method, append_unknown)
        if found is None:
            found = self.map._build(endpoint, values, method, append_unknown)
        if found is None:
            raise BuildError(endpoint, values, method, self)
        domain_part, path, websocket = found
        host = self.get_host(domain_part)
        scheme = url_scheme or self.url_scheme
        secure = scheme in ("https", "wss")
        if websocket:
            force_external = True
            scheme = "wss" if secure else "ws"
        elif scheme:
            scheme = "https" if secure else "http"
        if not force_external and (
            (self.map.host_matching and host == self.server_name)
            or (not self.map.host_matching and domain_part == self.subdomain)
        ):
            return f"{self.script_name.rstrip('/')}/{path.lstrip('/')}"
        prefix = f"{scheme}:" if scheme else ""
        return f"{prefix}//{host}{self.script_name[:-1]}/{path.lstrip('/')}"
