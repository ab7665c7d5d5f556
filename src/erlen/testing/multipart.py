"""``multipart/form-data`` encoding of test request bodies (fields and files)."""

from __future__ import annotations

import io
import mimetypes
import os
import secrets
import typing as t
from collections.abc import Iterator

from ..http.datastructures import FileStorage, MultiDict


def _iter_data(data: t.Any) -> Iterator[tuple[str, t.Any]]:
    """(key, value) pairs of a dict or MultiDict; a list value gives one pair per item."""
    if isinstance(data, MultiDict):
        yield from data.items(multi=True)
        return
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                yield key, item
        else:
            yield key, value


def _is_file(value: t.Any) -> bool:
    return isinstance(value, (tuple, dict, FileStorage)) or hasattr(value, "read")


def _quote_param(value: str) -> str:
    """A Content-Disposition parameter value, escaped as browsers do (HTML5)."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(values: t.Any, boundary: str | None = None) -> tuple[str, bytes]:
    """Encode a dict or MultiDict of fields and files as ``multipart/form-data``.

    Returns ``(boundary, body)``. A value with a ``read`` method (an open file or a
    :class:`~erlen.http.datastructures.FileStorage`) becomes a file part; anything else a text field.

    >>> boundary, body = encode_multipart({"a": "1"}, boundary="b")
    >>> body
    b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n--b--\\r\\n'
    """
    if boundary is None:
        boundary = f"----------------ErlenFormPart_{secrets.token_hex(16)}"
    out = io.BytesIO()
    write = out.write
    delimiter = f"--{boundary}\r\n".encode("ascii")
    for name, value in _iter_data(values):
        write(delimiter)
        disposition = f'form-data; name="{_quote_param(str(name))}"'
        if hasattr(value, "read"):
            filename = getattr(value, "filename", None)
            if filename is None:
                filename = getattr(value, "name", None)
                if isinstance(filename, str):
                    filename = os.path.basename(filename)
                else:
                    filename = None
            content_type = getattr(value, "content_type", None)
            if filename is not None:
                disposition += f'; filename="{_quote_param(filename)}"'
                if not content_type:
                    content_type = mimetypes.guess_type(filename)[0]
            write(f"Content-Disposition: {disposition}\r\n".encode())
            write(f"Content-Type: {content_type or 'application/octet-stream'}\r\n\r\n".encode())
            while chunk := value.read(65536):
                write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
        else:
            if not isinstance(value, (str, bytes)):
                value = str(value)
            write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
            write(value if isinstance(value, bytes) else value.encode("utf-8"))
        write(b"\r\n")
    write(f"--{boundary}--\r\n".encode("ascii"))
    return boundary, out.getvalue()


def stream_encode_multipart(
    data: t.Any,
    use_tempfile: bool = True,
    threshold: int = 1024 * 500,
    boundary: str | None = None,
) -> tuple[t.IO[bytes], int, str]:
    """Like :func:`encode_multipart` but returns ``(stream, length, boundary)``.

    NOTE: the body is always built in memory; ``use_tempfile`` and ``threshold`` are accepted
    for compatibility with Werkzeug's signature.
    """
    boundary, body = encode_multipart(data, boundary)
    return io.BytesIO(body), len(body), boundary
