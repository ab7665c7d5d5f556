"""Type aliases for annotating views, hooks and handlers, with Flask's names.

from erlen.typing import ResponseReturnValue

@app.route("/")
def index() -> ResponseReturnValue:
    return {"ok": True}, 200
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from _typeshed.wsgi import WSGIApplication  # noqa: F401

    from .http.datastructures import Headers  # noqa: F401
    from .wrappers import Response  # noqa: F401

#: What a view may return as the body.
ResponseValue = t.Union[
    "Response",
    str,
    bytes,
    list[t.Any],
    # Only dict is actually accepted, but Mapping allows for TypedDict.
    t.Mapping[str, t.Any],
    t.Iterator[str],
    t.Iterator[bytes],
    cabc.AsyncIterable[str],
    cabc.AsyncIterable[bytes],
]

#: A header name.
HeaderName = str

#: A header value: one string, or several.
HeaderValue = t.Union[str, list[str], tuple[str, ...]]

#: Headers as a ``Headers`` object, a mapping or a list of pairs.
HeadersValue = t.Union[
    "Headers",
    t.Mapping[HeaderName, HeaderValue],
    t.Sequence[tuple[HeaderName, HeaderValue]],
]

#: An HTTP status code.
StatusCode = int

#: Everything a view may return: a body, optionally with a status and/or headers,
#: or a WSGI application.
ResponseReturnValue = t.Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, int],
    tuple[ResponseValue, int, HeadersValue],
    "WSGIApplication",
]

#: A response class (``app.response_class`` or a subclass).
ResponseClass = t.TypeVar("ResponseClass", bound="Response")

#: The key of per-blueprint registries: the blueprint's name, ``None`` for the app.
AppOrBlueprintKey = str | None

AfterRequestCallable = t.Union[
    t.Callable[[ResponseClass], ResponseClass],
    t.Callable[[ResponseClass], t.Awaitable[ResponseClass]],
]
BeforeRequestCallable = t.Union[
    t.Callable[[], ResponseReturnValue | None],
    t.Callable[[], t.Awaitable[ResponseReturnValue | None]],
]
ShellContextProcessorCallable = t.Callable[[], dict[str, t.Any]]
TeardownCallable = t.Union[
    t.Callable[[BaseException | None], None],
    t.Callable[[BaseException | None], t.Awaitable[None]],
]
TemplateContextProcessorCallable = t.Union[
    t.Callable[[], dict[str, t.Any]],
    t.Callable[[], t.Awaitable[dict[str, t.Any]]],
]
TemplateFilterCallable = t.Callable[..., t.Any]
TemplateGlobalCallable = t.Callable[..., t.Any]
TemplateTestCallable = t.Callable[..., bool]
URLDefaultCallable = t.Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = t.Callable[[str | None, dict[str, t.Any] | None], None]

# NOTE: the argument is Any because an error handler takes the exception class it was
# registered for, which the type system cannot tie to the registration.
ErrorHandlerCallable = t.Union[
    t.Callable[[t.Any], ResponseReturnValue],
    t.Callable[[t.Any], t.Awaitable[ResponseReturnValue]],
]

RouteCallable = t.Union[
    t.Callable[..., ResponseReturnValue],
    t.Callable[..., t.Awaitable[ResponseReturnValue]],
]
