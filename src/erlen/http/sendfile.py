"""Sending files: ``send_file``, ``send_from_directory`` and ``safe_join``.

``send_file`` answers with a file's contents, its type guessed from the name, caching headers
(``ETag``, ``Last-Modified``, ``Cache-Control``, ``Expires``), and conditional and ``Range``
requests (304, 206, 416) through :meth:`Response.make_conditional`.

Invariants for serving from a directory (``send_from_directory``, the static route):

- The untrusted path is refused (404) unless every segment is a plain name: no ``..``, no
  absolute path, no backslash or drive letter, no Windows device name, no NUL byte.
- The file it names, once symlinks are resolved, is a regular file inside the directory,
  itself resolved: a symlink pointing out of the directory is refused too.
"""

from __future__ import annotations

import io
import mimetypes
import os
import posixpath
import re
import stat
import time
import typing as t
import unicodedata
import zlib
from datetime import datetime, timezone
from email.utils import format_datetime, formatdate
from urllib.parse import quote

from .exceptions import NotFound, RequestedRangeNotSatisfiable

if t.TYPE_CHECKING:
    from .response import Response

__all__ = [
    "safe_join",
    "send_file",
    "send_from_directory",
]

# SECURITY: names Windows opens as devices whatever the folder or extension ("nul.txt" is NUL).
# Refused on every OS so an app behaves the same wherever it is deployed.
_WINDOWS_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{prefix}{n}" for prefix in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]]
)
# SECURITY: a drive-relative segment ("C:", "c:secret") switches drives on Windows.
_DRIVE = re.compile(r"^[A-Za-z]:")
# Characters a header parameter value may hold without quotes (RFC 9110 token).
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def _unsafe_segment(segment: str) -> bool:
    """True when one ``/``-separated segment of an untrusted path must be refused."""
    if segment == "..":
        return True
    if _DRIVE.match(segment):
        return True
    # NOTE: Windows ignores trailing dots and spaces and everything after the first dot when
    # it decides a name is a device ("CON .txt", "nul.tar.gz").
    stem = segment.split(".", 1)[0].rstrip(" ").upper()
    return stem in _WINDOWS_DEVICE_NAMES


def safe_join(directory: str, *untrusted: str) -> str | None:
    """Join untrusted path parts onto a trusted ``directory``, or ``None`` if one is unsafe.

    >>> safe_join("static", "css/site.css")
    'static/css/site.css'
    >>> safe_join("static", "../secret.txt") is None
    True

    This looks only at the strings; :func:`send_from_directory` also resolves symlinks.
    """
    if not directory:
        directory = "."
    parts = [directory]
    for name in untrusted:
        # SECURITY: NUL truncates paths in C APIs; "\" and other separators are path
        # separators on Windows; an absolute part would replace ``directory`` in the join.
        if "\x00" in name or "\\" in name or (os.altsep and os.altsep in name):
            return None
        if name.startswith("/") or os.path.isabs(name):
            return None
        # SECURITY: refuse ".." anywhere (even "a/../b", which stays inside) rather than
        # reason about where normalization lands, and refuse drives and device names.
        if any(_unsafe_segment(segment) for segment in name.split("/")):
            return None
        if name:
            name = posixpath.normpath(name)
        parts.append(name)
    return posixpath.join(*parts)


def _is_within(directory: str, path: str) -> bool:
    """True when ``path`` is ``directory`` or below it (both already resolved)."""
    try:
        return os.path.commonpath([directory, path]) == directory
    except ValueError:  # different drives on Windows
        return False


def send_from_directory(
    directory: str | os.PathLike[str],
    path: str | os.PathLike[str],
    environ: dict[str, t.Any],
    **kwargs: t.Any,
) -> Response:
    """Send the file at untrusted ``path`` inside trusted ``directory`` with :func:`send_file`.

    Raises :class:`~erlen.http.exceptions.NotFound` when ``path`` is unsafe (see :func:`safe_join`),
    resolves (following symlinks) outside ``directory``, or is not a regular file.
    ``directory`` is relative to ``_root_path`` when that is given.
    """
    joined = safe_join(os.fspath(directory), os.fspath(path))
    if joined is None:
        raise NotFound()
    root_path = kwargs.get("_root_path")
    base = os.fspath(directory)
    if root_path is not None:
        joined = os.path.join(root_path, joined)
        base = os.path.join(root_path, base)
    # NOTE: absolute, so send_file's own join with ``_root_path`` leaves it unchanged.
    joined = os.path.abspath(joined)
    # SECURITY: resolve symlinks on both sides and require containment, so a link inside the
    # folder that points elsewhere (placed by an upload or a deploy mistake) serves nothing.
    # NOTE: a race remains if someone can swap files in the folder between this check and
    # the open below; whoever can do that already controls what the folder serves.
    real = os.path.realpath(joined)
    if not _is_within(os.path.realpath(base), real):
        raise NotFound()
    # SECURITY: only regular files: not the directory itself, a subfolder, a FIFO (an open
    # would block the worker) or a device.
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            raise NotFound()
    except (OSError, ValueError):
        raise NotFound()
    return send_file(joined, environ, **kwargs)


def _http_date(value: datetime | int | float | str) -> str:
    """Format a header date (RFC 9110 IMF-fixdate) from a datetime, timestamp or string."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return format_datetime(value.astimezone(timezone.utc), usegmt=True)
    return formatdate(value, usegmt=True)


def _header_param(value: str) -> str:
    """A header parameter value: bare when it is a token, else quoted with escapes."""
    if _TOKEN.match(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _content_disposition(disposition: str, download_name: str) -> str:
    """``inline``/``attachment`` with ``filename`` and, for non-ASCII names, ``filename*``."""
    try:
        download_name.encode("ascii")
    except UnicodeEncodeError:
        # RFC 6266 4.3: an ASCII fallback for old clients, then the UTF-8 name they prefer.
        fallback = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode()
        encoded = quote(download_name, safe="!#$&+-.^_`|~")
        return f"{disposition}; filename={_header_param(fallback)}; filename*=UTF-8''{encoded}"
    return f"{disposition}; filename={_header_param(download_name)}"


def send_file(
    path_or_file: str | os.PathLike[str] | t.IO[bytes],
    environ: dict[str, t.Any],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: None | int | t.Callable[[str | None], int | None] = None,
    use_x_sendfile: bool = False,
    response_class: type[Response] | None = None,
    _root_path: str | os.PathLike[str] | None = None,
) -> Response:
    """Answer with the contents of a file given by path or as a binary file object.

    >>> send_file("report.pdf", environ, as_attachment=True)  # doctest: +SKIP

    - A path is relative to ``_root_path`` (or the working directory); its size and mtime give
      ``Content-Length``, ``Last-Modified`` and the ``ETag``. A file object gets an ``ETag``
      only when ``etag`` is a string, and needs ``mimetype`` or ``download_name``.
    - ``mimetype`` is guessed from ``download_name`` (default: the file's name).
    - ``Content-Disposition`` is ``attachment`` when ``as_attachment``, else ``inline``.
    - ``max_age`` (seconds, or a function of the path) makes the response cacheable; without
      it clients revalidate (``Cache-Control: no-cache``).
    - ``conditional`` answers ``If-None-Match``/``If-Modified-Since`` (304) and ``Range``
      (206, or raises ``RequestedRangeNotSatisfiable`` for 416).
    - ``use_x_sendfile`` sends an ``X-Sendfile`` header and no body, for the front server.
    """
    if response_class is None:
        from .response import Response

        response_class = Response
    path: str | None = None
    file: t.IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    if isinstance(path_or_file, (str, os.PathLike)):
        if _root_path is not None:
            path = os.path.join(os.fspath(_root_path), os.fspath(path_or_file))
        else:
            path = os.path.abspath(os.fspath(path_or_file))
        st = os.stat(path)
        size, mtime = st.st_size, st.st_mtime
    else:
        file = path_or_file

    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not available. Either"
                " set 'download_name', pass a path instead of a file, or set 'mimetype'."
            )
        mimetype = mimetypes.guess_type(download_name)[0] or "application/octet-stream"

    headers: list[tuple[str, str]] = []
    if download_name is not None:
        disposition = "attachment" if as_attachment else "inline"
        headers.append(("Content-Disposition", _content_disposition(disposition, download_name)))
    elif as_attachment:
        raise TypeError(
            "No name provided for attachment. Either set 'download_name' or pass a path"
            " instead of a file."
        )

    body: t.Any
    if use_x_sendfile and path is not None:
        headers.append(("X-Sendfile", path))
        body = None
    else:
        if file is None:
            file = open(path, "rb")  # type: ignore[arg-type]  # noqa: SIM115
        elif isinstance(file, io.BytesIO):
            size = file.getbuffer().nbytes
        elif isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        from .response import wrap_file

        body = wrap_file(environ, file)

    rv = response_class(body, mimetype=mimetype, headers=headers, direct_passthrough=True)
    hdrs = rv.headers
    if size is not None:
        hdrs.set("Content-Length", str(size))
    if last_modified is not None:
        hdrs.set("Last-Modified", _http_date(last_modified))
    elif mtime is not None:
        hdrs.set("Last-Modified", _http_date(mtime))

    if callable(max_age):
        max_age = max_age(path)
    if max_age is None:
        hdrs.set("Cache-Control", "no-cache")
    else:
        cache = f"public, max-age={max_age}" if max_age > 0 else f"no-cache, max-age={max_age}"
        hdrs.set("Cache-Control", cache)
        hdrs.set("Expires", _http_date(int(time.time() + max_age)))

    if isinstance(etag, str):
        if '"' in etag:
            raise ValueError("An ETag may not contain a double quote.")
        hdrs.set("ETag", f'"{etag}"')
    elif etag and path is not None:
        # NOTE: Werkzeug's format (mtime-size-adler32 of the path), so caches primed by a
        # Flask deployment stay valid after moving to erlen.
        check = zlib.adler32(path.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF
        hdrs.set("ETag", f'"{mtime}-{size}-{check}"')

    if conditional:
        try:
            rv = rv.make_conditional(environ, accept_ranges=True, complete_length=size)
        except RequestedRangeNotSatisfiable:
            if file is not None:
                file.close()
            raise
        # NOTE: some front servers send the file for an X-Sendfile header even on a 304.
        if rv.status_code == 304:
            rv.headers.pop("X-Sendfile", None)
    return rv
