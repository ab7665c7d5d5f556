"""The exceptions of routing: redirects raised by matching, and ``BuildError`` from URL building."""

from __future__ import annotations

import typing as t

from markupsafe import escape

from ..http.exceptions import BadRequest, HTTPException

if t.TYPE_CHECKING:
    from .adapter import MapAdapter
    from .rules import Rule


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

    description = (
        "This URL is a WebSocket endpoint: connect with a WebSocket client, to an ASGI server"
        " (uvicorn, hypercorn, granian --interface asgi). A WSGI server cannot upgrade the"
        " connection."
    )


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
        import difflib  # NOTE: only a failed url_for in debug needs it

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
