"""``MapAdapter``: a :class:`~erlen.routing.map.Map` bound to one host and script name; builds URLs.

``map.bind("example.com").build("user", {"id": 1})`` gives ``/user/1``; ``match`` resolves a
path the way :meth:`Map.match` does but raises redirects with full URLs.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urljoin

from ..http.exceptions import HTTPException, MethodNotAllowed
from .errors import BuildError, RequestRedirect
from .rules import _urlencode

if t.TYPE_CHECKING:
    from .map import Map


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
