"""erlen.compat: unmodified Flask extensions (and Flask code) run on erlen (design §8).

Use it with one line at the top of the app, before anything imports ``flask``::

    import erlen.compat

For a command line (the ``flask`` command of an extension's CLI plugin, a test runner), either run it
through the runner, ``python -m erlen.compat flask db upgrade`` / ``python -m erlen.compat pytest``,
or install the start-up hook once, ``python -m erlen.compat --install-pth``, and set
``ERLEN_COMPAT=1`` in the environment: the hook (a one-line ``erlen-compat.pth`` in site-packages)
imports this module at interpreter start-up when that variable is set, and costs nothing otherwise.

What importing it does (once; :func:`install` is idempotent):

1. **flask is erlen.** ``sys.modules["flask"]`` becomes a module whose names are erlen's
   (``flask.Flask is erlen.Erlen``, ``flask.request is erlen.request``), with Flask's
   ``__version__`` (``"3.1.3"``, the Flask API erlen follows; read with Flask's own deprecation
   warning). Each ``flask.X`` submodule is erlen's module of the same name (``flask.cli`` *is*
   ``erlen.cli``, so a monkeypatch of one is a monkeypatch of the other), and the internal paths
   extensions probe map to erlen's equivalents: ``flask.sansio.app`` -> ``erlen.app``,
   ``flask.sansio.scaffold`` -> ``erlen.scaffold``, ``flask.sansio.blueprints`` ->
   ``erlen.blueprints``. A ``flask.X`` with no erlen counterpart raises ``ModuleNotFoundError``
   rather than loading real Flask's half. The ``flask`` console script imports ``flask.cli.main``,
   so under compat it runs erlen's CLI (extensions' ``app.cli`` commands, ``FLASK_APP``).
2. **Werkzeug's public names are erlen's classes.** Werkzeug stays installed and importable; its
   modules are imported now (when installed) and their public classes that erlen also defines are
   replaced, as module attributes, by erlen's: ``werkzeug.exceptions`` (every HTTP error,
   ``abort``, ``Aborter``, ``default_exceptions``), ``werkzeug.datastructures`` (``MultiDict``,
   ``Headers``, ``FileStorage``, ...), ``werkzeug.routing`` and its submodules (``BaseConverter``,
   ``ValidationError``, ``Map``, ``Rule``, ...), ``werkzeug.wrappers`` (``Request``,
   ``Response``). So ``from werkzeug.exceptions import NotFound`` in an extension, a test's
   ``pytest.raises(NotFound)``, Flask-WTF's ``isinstance(f, FileStorage)`` and Flask-CORS's
   ``isinstance(resp.headers, Headers)`` all see erlen's classes, and isinstance agrees both ways.

Limits (by design; docs/migrating.md lists them for users):

- Import it first. A module that imported ``flask`` or a Werkzeug name *before* compat keeps what
  it got (compat drops stale ``flask.*`` entries from ``sys.modules``, but cannot reach references
  already taken).
- Werkzeug's own internals keep Werkzeug's classes: its modules bound the names at their import, so
  e.g. ``werkzeug.routing.Map`` used directly still raises Werkzeug's ``NotFound``. erlen's core
  handles those as HTTP errors anyway (erlen.http.interop), and compat keeps Werkzeug's original
  ``HTTPException`` known to it.
- The patch is process-wide: real Flask cannot run in the same process afterwards. Tests that use
  real Flask as an oracle must run compat apps in a subprocess.
- Only the names Werkzeug and erlen share are mapped; Werkzeug's helpers (``werkzeug.utils``,
  ``werkzeug.security``, ``werkzeug.local``, ``werkzeug.http``) remain Werkzeug's own code.
"""

from __future__ import annotations

from ._flask import FLASK_VERSION, install_flask_alias
from ._werkzeug import patch_werkzeug

__all__ = ["FLASK_VERSION", "install", "installed", "pth_line"]

_installed = False


def install() -> None:
    """Alias ``flask`` to erlen and map Werkzeug's public names to erlen's (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    install_flask_alias()
    patch_werkzeug()


def installed() -> bool:
    """Whether :func:`install` has run in this process."""
    return _installed


def pth_line() -> str:
    """The start-up hook's line: imports erlen.compat when ``ERLEN_COMPAT`` is set (not "0")."""
    return (
        "import os; os.environ.get('ERLEN_COMPAT', '0') not in ('', '0')"
        " and __import__('erlen.compat')\n"
    )


install()
