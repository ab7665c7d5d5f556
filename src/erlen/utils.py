"""The names Flask apps import from ``werkzeug.utils``: :func:`secure_filename` (here) and the
response helpers, which live elsewhere in erlen and are re-exported for the import path.
"""

from __future__ import annotations

import os
import re
import unicodedata

from .helpers import redirect as redirect
from .http.sendfile import _WINDOWS_DEVICE_NAMES
from .http.sendfile import send_file as send_file
from .http.sendfile import send_from_directory as send_from_directory

__all__ = ["redirect", "secure_filename", "send_file", "send_from_directory"]

# Everything but these is dropped from a name (after spaces became "_").
_NOT_KEPT = re.compile(r"[^A-Za-z0-9_.-]")


def secure_filename(filename: str) -> str:
    r"""A version of ``filename`` that is safe to store on a filesystem.

    The name is reduced to ASCII (accents dropped by Unicode NFKD decomposition), path
    separators and runs of whitespace become one ``_``, every character other than
    ``A-Za-z0-9_.-`` is dropped, and leading or trailing dots and underscores are removed. The
    result may be empty: the caller must then pick a name of its own.

    >>> secure_filename("My cool movie.mov")
    'My_cool_movie.mov'
    >>> secure_filename("../../../etc/passwd")
    'etc_passwd'
    >>> secure_filename("i contain cool \xfcml\xe4uts.txt")
    'i_contain_cool_umlauts.txt'

    SECURITY: a name Windows opens as a device whatever the folder (``CON``, ``nul.txt``,
    ``COM1``...) gets a leading ``_``, on every OS (Werkzeug does so only on Windows): a file
    saved on Linux may be copied to Windows later.
    """
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    for separator in (os.sep, os.path.altsep):
        if separator:
            ascii_name = ascii_name.replace(separator, " ")
    joined = "_".join(ascii_name.split())
    name = _NOT_KEPT.sub("", joined).strip("._")
    if name and name.split(".", 1)[0].upper() in _WINDOWS_DEVICE_NAMES:
        name = "_" + name
    return name
