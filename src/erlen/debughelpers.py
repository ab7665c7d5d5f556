"""Errors that explain a mistake in the app, raised only in debug mode (Flask's debughelpers).

- :class:`DebugFilesKeyError`: ``request.files["photo"]`` on a form posted without
  ``enctype="multipart/form-data"``. The browser then sent the file's *name* as a plain field
  and no file at all; a bare ``KeyError`` (a 400) would hide why.
"""

from __future__ import annotations

import functools
import typing as t

if t.TYPE_CHECKING:
    from .http.datastructures import MultiDict
    from .http.request import Request

__all__ = ["DebugFilesKeyError", "explain_missing_files"]


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
