"""Werkzeug's public exception, data-structure, routing and wrapper names become erlen's classes.

See erlen.compat for the rules and limits. The patch replaces module attributes of the real,
imported Werkzeug modules: a class name both define is set to erlen's class, plus the few
non-class names listed in :data:`EXTRA_NAMES`. Werkzeug's original ``HTTPException`` is handed to
:mod:`erlen.http.interop`, so exceptions Werkzeug's own code still raises stay HTTP errors for erlen.
"""

from __future__ import annotations

import importlib
import importlib.util
import typing as t

from ..http import interop

#: Werkzeug module -> the erlen module whose same-named classes replace its public classes.
TARGETS = {
    "werkzeug.exceptions": "erlen.exceptions",
    "werkzeug.datastructures": "erlen.datastructures",
    "werkzeug.routing": "erlen.routing",
    "werkzeug.routing.converters": "erlen.routing",
    "werkzeug.routing.exceptions": "erlen.routing",
    "werkzeug.routing.rules": "erlen.routing",
    "werkzeug.routing.map": "erlen.routing",
    "werkzeug.wrappers": "erlen.wrappers",
    "werkzeug.wrappers.request": "erlen.wrappers",
    "werkzeug.wrappers.response": "erlen.wrappers",
}

#: Non-class names also replaced (functions and tables that hand out the classes).
EXTRA_NAMES = {
    "werkzeug.exceptions": ("abort", "default_exceptions"),
}

#: What was replaced, ``{module: {name: werkzeug's original}}`` (for :func:`unpatch_werkzeug`).
replaced: dict[str, dict[str, t.Any]] = {}


def _patch_module(wz_name: str, erlen_name: str) -> None:
    try:
        wz_module = importlib.import_module(wz_name)
    except ImportError:
        return
    own = importlib.import_module(erlen_name)
    originals = replaced.setdefault(wz_name, {})
    extra = EXTRA_NAMES.get(wz_name, ())
    for name, value in list(vars(wz_module).items()):
        if name.startswith("_"):
            continue
        mine = getattr(own, name, None)
        if mine is None or mine is value:
            continue
        if (isinstance(value, type) and isinstance(mine, type)) or name in extra:
            originals.setdefault(name, value)
            setattr(wz_module, name, mine)


def patch_werkzeug() -> None:
    """Replace Werkzeug's shared public names by erlen's (a no-op without Werkzeug installed)."""
    if importlib.util.find_spec("werkzeug") is None:
        return
    for wz_name, erlen_name in TARGETS.items():
        _patch_module(wz_name, erlen_name)
    original = replaced.get("werkzeug.exceptions", {}).get("HTTPException")
    if original is not None:
        interop.werkzeug_originals["HTTPException"] = original


def unpatch_werkzeug() -> None:
    """Put Werkzeug's own names back (for tools that must undo the patch in-process)."""
    for wz_name, originals in replaced.items():
        module = importlib.import_module(wz_name)
        for name, value in originals.items():
            setattr(module, name, value)
    replaced.clear()
    interop.werkzeug_originals.clear()
