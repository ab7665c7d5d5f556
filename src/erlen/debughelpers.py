"""Errors that explain a mistake in the app, raised only in debug mode (Flask's debughelpers).

- :class:`DebugFilesKeyError`: ``request.files["photo"]`` on a form posted without
  ``enctype="multipart/form-data"``. The browser then sent the file's *name* as a plain field
  and no file at all; a bare ``KeyError`` (a 400) would hide why.
- :class:`FormDataRoutingRedirect`: a form posted to a URL the router redirects with 301/302
  (``/user`` for the rule ``/user/``). The browser would follow with a GET and drop the form.
"""

from __future__ import annotations

import functools
import typing as t

if t.TYPE_CHECKING:
    from .http.datastructures import MultiDict
    from .http.request import Request

__all__ = ["DebugFilesKeyError", "FormDataRoutingRedirect", "explain_missing_files"]


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` is missing because the form was not sent as multipart."""

    def __init__(self, request: Request, key: str) -> None:
        sent = request.form.getlist(key)
        message = (
            f"You tried to access the file {key!r} in the request.files dictionary but it does"
            f" not exist. The mimetype for the request is {request.mimetype!r} instead of"
            " 'multipart/form-data' which means that no file contents were transmitted. To fix"
            ' this error you should provide enctype="multipart/form-data" in your form.'
        )
        if sent:
            names = ", ".join(repr(name) for name in sent)
            message += (
                f"\n\nThe browser instead transmitted some file names. This was submitted: {names}"
            )
        super().__init__(message)
        self.msg = message

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """The router redirected a request with a body using a code that makes browsers drop it."""

    def __init__(self, request: Request) -> None:
        new_url = getattr(getattr(request, "routing_exception", None), "new_url", "")
        message = (
            f"A request was sent to {request.url!r}, but routing issued a redirect to the"
            f" canonical URL {new_url!r}."
        )
        if f"{request.base_url}/" == new_url.partition("?")[0]:
            message += (
                " The URL was defined with a trailing slash. erlen redirects to the URL with a"
                " trailing slash if it was accessed without one."
            )
        message += (
            " Send requests to the canonical URL, or use 307 or 308 for routing redirects:"
            " with 301 or 302 the browser drops the form data."
            "\n\nThis exception is only raised in debug mode."
        )
        super().__init__(message)


@functools.cache
def _explaining_class(base: type[t.Any]) -> type[t.Any]:
    """``base`` with a ``__getitem__`` that explains a key the form has but files lacks."""

    def __getitem__(self: t.Any, key: t.Any) -> t.Any:
        try:
            return base.__getitem__(self, key)
        except KeyError:
            request = self._erlen_request
            if key not in request.form:
                raise
            raise DebugFilesKeyError(request, key) from None

    cls = type(base.__name__, (base,), {"__getitem__": __getitem__})
    cls.__qualname__ = base.__qualname__
    cls.__module__ = base.__module__
    return cls


def explain_missing_files(request: Request, files: MultiDict[str, t.Any]) -> None:
    """Make ``files[key]`` raise :class:`DebugFilesKeyError` for a key only ``form`` has."""
    files.__class__ = _explaining_class(type(files))
    files._erlen_request = request  # type: ignore[attr-defined]
