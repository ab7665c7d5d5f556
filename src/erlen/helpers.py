"""The helper functions a view calls: ``url_for``, ``redirect``, ``abort``, ``flash`` and friends.

Each works on the active app and request, found through the context variables.
"""

from __future__ import annotations

import os
import typing as t
from datetime import datetime
from functools import update_wrapper

from markupsafe import escape

from . import signals
from .globals import _get_app_ctx, _get_request_ctx, current_app, request, request_ctx, session
from .http.exceptions import _aborter
from .http.response_pairs import iri_to_uri
from .scaffold import get_root_path

if t.TYPE_CHECKING:
    from .wrappers import Response

__all__ = [
    "abort",
    "flash",
    "get_debug_flag",
    "get_flashed_messages",
    "get_load_dotenv",
    "get_root_path",
    "get_template_attribute",
    "make_response",
    "redirect",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
]


_FALSE_WORDS = frozenset({"0", "false", "no"})


def get_debug_flag() -> bool:
    """Whether the environment asks for debug mode: ``ERLEN_DEBUG`` (or Flask's
    ``FLASK_DEBUG``) set to anything but ``0``, ``false`` or ``no``."""
    value = os.environ.get("ERLEN_DEBUG", os.environ.get("FLASK_DEBUG"))
    return bool(value) and value.lower() not in _FALSE_WORDS  # type: ignore[union-attr]


def get_load_dotenv(default: bool = True) -> bool:
    """Whether ``.env`` / ``.flaskenv`` files should be loaded: ``default`` unless
    ``ERLEN_SKIP_DOTENV`` (or Flask's ``FLASK_SKIP_DOTENV``) is set; a set value skips them
    unless it is ``0``, ``false`` or ``no``."""
    value = os.environ.get("ERLEN_SKIP_DOTENV", os.environ.get("FLASK_SKIP_DOTENV"))
    if not value:
        return default
    return value.lower() in _FALSE_WORDS


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """The URL of ``endpoint`` with ``values`` filled in; unknown values become the query string.

    ``.name`` is relative to the current blueprint. ``_external=True`` gives an absolute URL.

    >>> url_for("user", user_id=3, tab="posts")          # doctest: +SKIP
    '/users/3?tab=posts'
    """
    return current_app.url_for(
        endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
    )


def _redirect(location: str, code: int, response_class: type[Response]) -> Response:
    html_location = escape(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n"
        "<p>You should be redirected automatically to the target URL: "
        f'<a href="{html_location}">{html_location}</a>. If not, click the link.\n'
    )
    response = response_class(body, code, mimetype="text/html")
    response.headers["Location"] = iri_to_uri(location)
    return response


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A response that redirects the client to ``location`` (302 by default)."""
    app_ctx = _get_app_ctx(None)
    if app_ctx is not None and Response is None:
        return app_ctx.app.redirect(location, code)
    if Response is None:
        from .wrappers import Response as response_class

        return _redirect(location, code, response_class)
    return _redirect(location, code, Response)


def abort(code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP error for ``code`` (or send the given response): ``abort(404)``."""
    app_ctx = _get_app_ctx(None)
    if app_ctx is not None:
        app_ctx.app.aborter(code, *args, **kwargs)
    _aborter(code, *args, **kwargs)


def make_response(*args: t.Any) -> Response:
    """Turn view return values into a response object, to add headers before returning it.

    >>> resp = make_response(render_template("index.html"), 200)   # doctest: +SKIP
    >>> resp.set_cookie("username", "the username")                # doctest: +SKIP
    """
    if not args:
        return current_app.response_class()
    return current_app.make_response(args[0] if len(args) == 1 else args)


def flash(message: str, category: str = "message") -> None:
    """Store a message in the session for the next request to show."""
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if signals.message_flashed.receivers:
        signals.message_flashed.send(
            app, _async_wrapper=app.ensure_sync, message=message, category=category
        )


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[t.Any]:
    """The flashed messages, removed from the session; repeated calls in a request agree."""
    flashes = request_ctx.flashes
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        request_ctx.flashes = flashes
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [f[1] for f in flashes]
    return flashes


def stream_with_context(generator_or_function: t.Any) -> t.Any:
    """Keep the request context active while a streamed response body is generated.

    >>> @app.route("/stream")                                   # doctest: +SKIP
    ... def streamed():
    ...     def generate():
    ...         yield request.args["name"]
    ...     return stream_with_context(generate())
    """
    try:
        gen = iter(generator_or_function)
    except TypeError:

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(generator_or_function(*args, **kwargs))

        return update_wrapper(decorator, generator_or_function)

    ctx = _get_request_ctx(None)
    if ctx is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request context is active, such as in"
            " a view function."
        )

    app_ctx = _get_app_ctx()

    def generator() -> t.Iterator[t.Any]:
        # NOTE: the contexts are pushed when the body is first read, not here: an async view
        # runs in another contextvars.Context, and a token set there cannot be reset by the
        # server thread that reads and closes the body. The app context goes first so the
        # request context does not push a fresh one (the view's ``g`` stays).
        yield None
        with app_ctx, ctx:
            try:
                yield from gen
            finally:
                close = getattr(gen, "close", None)
                if close is not None:
                    close()

    wrapped = generator()
    next(wrapped)
    return wrapped


def send_file(
    path_or_file: str | os.PathLike[str] | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: None | int | t.Callable[[str | None], int | None] = None,
) -> Response:
    """Send a file's contents (path or binary file object) with caching and Range support.

    :func:`erlen.http.sendfile.send_file` for the current request and app: paths are relative to
    ``app.root_path``; ``max_age`` defaults to ``app.get_send_file_max_age``; ``USE_X_SENDFILE``
    is honoured.
    """
    from .http.sendfile import send_file as _send_file

    # NOTE: the response is built by app.response_class (passed on below).
    return _send_file(  # type: ignore[return-value]
        path_or_file,
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=conditional,
        etag=etag,
        last_modified=last_modified,
        **_send_file_kwargs(max_age),
    )


def send_from_directory(
    directory: str | os.PathLike[str], path: str | os.PathLike[str], **kwargs: t.Any
) -> Response:
    """Send untrusted ``path`` from inside ``directory`` (relative to ``app.root_path``), with
    :func:`send_file`'s options; refuses paths that escape it (404)."""
    from .http.sendfile import send_from_directory as _send_from_directory

    kwargs.update(_send_file_kwargs(kwargs.pop("max_age", None)))
    return _send_from_directory(directory, path, **kwargs)  # type: ignore[return-value]


def _send_file_kwargs(max_age: t.Any) -> dict[str, t.Any]:
    """The request- and app-derived arguments the Flask-level wrappers pass on."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return {
        "environ": request.environ,
        "max_age": app.get_send_file_max_age if max_age is None else max_age,
        "use_x_sendfile": app.config["USE_X_SENDFILE"],
        "response_class": app.response_class,
        "_root_path": app.root_path,
    }


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """A macro or variable exported by a template: ``get_template_attribute("m.html", "hi")()``"""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)
