"""The browser security-policy headers of a response: ``Content-Security-Policy`` (and its
``-Report-Only`` twin) as a live :class:`ContentSecurityPolicy`, and
``Cross-Origin-Opener-Policy`` / ``Cross-Origin-Embedder-Policy`` as the :class:`COOP` and
:class:`COEP` enums, under Werkzeug's names.

``response.content_security_policy.default_src = "'self'"`` rewrites the header at once;
emptying the policy removes it.
"""

from __future__ import annotations

import enum
import typing as t

from .datastructures import CallbackDict

if t.TYPE_CHECKING:
    from .response import Response

__all__ = ["COEP", "COOP", "ContentSecurityPolicy", "csp_property", "policy_enum_property"]


class COOP(str, enum.Enum):
    """``Cross-Origin-Opener-Policy`` values."""

    UNSAFE_NONE = "unsafe-none"
    SAME_ORIGIN_ALLOW_POPUPS = "same-origin-allow-popups"
    SAME_ORIGIN = "same-origin"


class COEP(str, enum.Enum):
    """``Cross-Origin-Embedder-Policy`` values."""

    UNSAFE_NONE = "unsafe-none"
    REQUIRE_CORP = "require-corp"


def _directive(name: str) -> property:
    key = name.replace("_", "-")

    def fget(self: ContentSecurityPolicy) -> str | None:
        return self.get(key)

    def fset(self: ContentSecurityPolicy, value: str | None) -> None:
        if value is None:
            self.pop(key, None)
        else:
            self[key] = value

    def fdel(self: ContentSecurityPolicy) -> None:
        self.pop(key, None)

    return property(fget, fset, fdel, f"The ``{key}`` directive.")


class ContentSecurityPolicy(CallbackDict[str, str]):
    """A CSP as ``{directive: value}`` with an attribute per directive (``default_src`` is
    ``default-src``). ``to_header()`` gives ``default-src 'self'; img-src *``.

    >>> csp = ContentSecurityPolicy()
    >>> csp.default_src = "'self'"
    >>> csp.img_src = "*"
    >>> csp.to_header()
    "default-src 'self'; img-src *"
    """

    base_uri = _directive("base_uri")
    child_src = _directive("child_src")
    connect_src = _directive("connect_src")
    default_src = _directive("default_src")
    font_src = _directive("font_src")
    form_action = _directive("form_action")
    frame_ancestors = _directive("frame_ancestors")
    frame_src = _directive("frame_src")
    img_src = _directive("img_src")
    manifest_src = _directive("manifest_src")
    media_src = _directive("media_src")
    navigate_to = _directive("navigate_to")
    object_src = _directive("object_src")
    prefetch_src = _directive("prefetch_src")
    plugin_types = _directive("plugin_types")
    report_to = _directive("report_to")
    report_uri = _directive("report_uri")
    sandbox = _directive("sandbox")
    script_src = _directive("script_src")
    script_src_attr = _directive("script_src_attr")
    script_src_elem = _directive("script_src_elem")
    style_src = _directive("style_src")
    style_src_attr = _directive("style_src_attr")
    style_src_elem = _directive("style_src_elem")
    worker_src = _directive("worker_src")

    def to_header(self) -> str:
        """The header value; a directive without a value is written as its name alone."""
        return "; ".join(f"{key} {value}" if value else key for key, value in self.items())

    def __repr__(self) -> str:
        inner = " ".join(f"{key}={value!r}" for key, value in self.items())
        return f"<{type(self).__name__} {inner}>"


def parse_csp_header(
    value: str | None, on_update: t.Callable[[t.Any], None] | None = None
) -> ContentSecurityPolicy:
    """Parse a CSP header; directive names are lowercased, the first of a repeated one wins
    (CSP Level 3, section 2.2.1), and a directive with no value (``upgrade-insecure-requests``)
    is kept with the value ``""``."""
    directives: dict[str, str] = {}
    for piece in (value or "").split(";"):
        name, _, rest = piece.strip().partition(" ")
        if name:
            directives.setdefault(name.lower(), rest.strip())
    return ContentSecurityPolicy(directives, on_update)


def csp_property(header: str, doc: str) -> property:
    """A response property giving the live :class:`ContentSecurityPolicy` of ``header``."""

    def fget(self: Response) -> ContentSecurityPolicy:
        def on_update(csp: ContentSecurityPolicy) -> None:
            if csp:
                self.headers.set(header, csp.to_header())
            else:
                self.headers.remove(header)

        return parse_csp_header(self.headers.get(header), on_update)

    def fset(self: Response, value: t.Any) -> None:
        if not value:
            self.headers.remove(header)
        elif isinstance(value, str):
            self.headers.set(header, value)
        else:
            self.headers.set(header, ContentSecurityPolicy(value).to_header())

    def fdel(self: Response) -> None:
        self.headers.remove(header)

    return property(fget, fset, fdel, doc)


def policy_enum_property(header: str, kind: type[COOP] | type[COEP], doc: str) -> property:
    """A response property reading ``header`` as the enum ``kind``; a missing or unknown value
    reads as ``UNSAFE_NONE`` (the browser's default). Set a member, its string, or ``None``."""

    def fget(self: Response) -> t.Any:
        try:
            return kind(self.headers.get(header, "unsafe-none"))
        except ValueError:
            return kind.UNSAFE_NONE

    def fset(self: Response, value: t.Any) -> None:
        if value is None:
            self.headers.remove(header)
        else:
            self.headers.set(header, kind(value).value)

    def fdel(self: Response) -> None:
        self.headers.remove(header)

    return property(fget, fset, fdel, doc)
