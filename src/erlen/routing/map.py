"""URL routing: the map that matches a request path to a rule.

The names and behaviour are Werkzeug's, plus :meth:`Map.match`, the allocation-light entry point
the app calls per request. This module is the public face of routing and re-exports the rest:
:class:`Rule` lives in :mod:`erlen.routing.rules`, :class:`MapAdapter` (URL building) in
:mod:`erlen.routing.adapter`, ``BuildError`` and the redirects in :mod:`erlen.routing.errors`, and the
converters in :mod:`erlen.routing.converters`.

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

import re
import typing as t
import warnings
from types import MappingProxyType
from urllib.parse import quote

from ..http.exceptions import MethodNotAllowed, NotFound
from ..http.generation import bump
from ..http.request_url import clean_host
from .adapter import MapAdapter
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
    parse_converter_args,  # noqa: F401 -- importable from here, as before
)
from .errors import (
    BuildError,
    RequestAliasRedirect,
    RequestRedirect,
    RoutingException,
    WebsocketMismatch,
)
from .rules import _PATH_SAFE, Rule, _Edge

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

_ANY_METHOD = "*"  # NOTE: key of a methods=None rule in the static table; no HTTP method is "*".
#: The converter classes erlen defines (see Map.custom_converters).
_BUILTIN_CONVERTERS = frozenset(DEFAULT_CONVERTERS.values())
_MULTI_SLASH = re.compile("/{2,}")
_PLACEHOLDER = re.compile(r"<([^>]+)>")


class _SlashRequired(Exception):
    """Internal: the path matches a strict rule once a trailing slash is added."""


class _State:
    """A trie node: static transitions by part text, converter transitions, rules ending here."""

    __slots__ = ("static", "dynamic", "rules")

    def __init__(self) -> None:
        self.static: dict[str, _State] = {}
        self.dynamic: list[tuple[_Edge, _State]] = []
        self.rules: list[Rule] = []


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
            got: t.Any = m.group(*edge.names)
            found = self.walk(child, rest, at, raw + ((got,) if edge.single else got))
            if found is not None:
                return found
        if part == "" and i == len(parts) - 1:
            return self.accept(state.rules, raw, only_lax=True)
        return None


_TRAILING = ("",)


def _collect_prefixes(state: _State, prefix: str | None, out: dict[str, _State]) -> None:
    """Map each path reached by static parts only (``"/users"``) to its trie node, for the
    nodes that have converter edges (see Map.match)."""
    if state.dynamic and prefix is not None:
        out[prefix] = state
    for text, child in state.static.items():
        _collect_prefixes(child, text if prefix is None else f"{prefix}/{text}", out)


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
        #: True once a rule uses a converter that is not one of DEFAULT_CONVERTERS' classes:
        #: its ``to_python`` may need the app's contexts (Flask matches with them pushed), so an
        #: edge that matches early (ASGI) leaves the matching to the pipeline.
        self.custom_converters = False
        self._prefixes: dict[str, _State] = {}
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
            if not self.custom_converters:
                self.custom_converters = any(
                    type(conv) not in _BUILTIN_CONVERTERS for conv in rule._converters.values()
                )
        self._static = None
        bump()  # NOTE: routes the app kept for a path (see erlen.http.generation)

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
                # NOTE: whether a match of this rule may answer a redirect (see _match).
                rule._redirects = bool(
                    rule.alias or rule._default_providers or rule.redirect_to is not None
                )
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
        prefixes: dict[str, _State] = {}
        domain_node = root.static.get(default_domain)
        if domain_node is not None:
            _collect_prefixes(domain_node, None, prefixes)
        self._rules_by_endpoint = by_endpoint
        self._rules = [rule for rules in by_endpoint.values() for rule in rules]
        self._root = root
        self._default_domain = default_domain
        self._prefixes = prefixes
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
            # PERF: a path whose last part is the only dynamic one (``/users/42``): the trie
            # node of its static prefix is one dict lookup away, and the search from there is
            # _Search.walk's, in the same order. It only ever answers a match that needs no
            # redirect; anything else (no match, a slash redirect, a path converter, a static
            # child competing) takes the full search below, which finds the same thing.
            prefix, _, last = path.rpartition("/")
            node = self._prefixes.get(prefix)
            if node is not None and last and last not in node.static:
                for edge, child in node.dynamic:
                    if edge.final:
                        break
                    decimal = edge.decimal
                    if decimal:
                        if not last.isdecimal():  # PERF: the regex's answer, no match object
                            continue
                        raw: t.Any = (last,)
                    else:
                        m = edge.regex.fullmatch(last)
                        if m is None:
                            continue
                        # NOTE: a single converter's group opens first in its part's regex.
                        raw = (m[1],) if edge.single else m.group(*edge.names)
                    for rule in child.rules:
                        if (rule.methods is None or method in rule.methods) and not rule.websocket:
                            name = rule._int_name
                            if decimal and name is not None and not rule.defaults:
                                # PERF: Rule._convert's one-int case, without the call (the
                                # edge's part is the rule's one converter).
                                try:
                                    values = {name: int(last)}
                                except ValueError:  # NOTE: int() refuses over 4300 digits
                                    values = None
                            else:
                                values = rule._convert(raw)
                            if values is not None:
                                if rule._redirects:
                                    return self._match(path, method, websocket, domain, None)
                                return rule, values
                    if "" in child.static:
                        break
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
    # SECURITY: a malformed Host becomes "", so no URL built from it can carry it.
    return clean_host(host.lower(), env.get("wsgi.url_scheme", "http"))
