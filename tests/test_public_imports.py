"""Every public import path keeps working: Flask's module names, the layers' packages, and every
``from erlen... import ...`` / ``import erlen...`` line written in the docs and the README.

The doc lines are parsed out of the Markdown, so a new page is covered without touching this file.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import erlen

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]

# Flask's public submodules (``flask.<mod>``) under erlen's name, plus the paths a Werkzeug user
# types (``werkzeug.exceptions``, ``werkzeug.datastructures``, ``werkzeug.routing``).
FLASK_MODULES = [
    "app",
    "blueprints",
    "cli",
    "config",
    "ctx",
    "globals",
    "helpers",
    "json",
    "json.provider",
    "json.tag",
    "logging",
    "sessions",
    "signals",
    "templating",
    "testing",
    "typing",
    "views",
    "wrappers",
]
WERKZEUG_PATHS = [
    "exceptions",
    "datastructures",
    "routing",
    "security",
    "utils",
    "middleware",
    "middleware.proxy_fix",
    "middleware.dispatcher",
]
LAYER_PACKAGES = ["http", "http.headervalues", "routing", "serving", "testing"]


#: Modules whose import changes the whole process (erlen.compat aliases ``flask`` and patches
#: Werkzeug, which this suite uses as an oracle): checked in a subprocess, never imported here.
PROCESS_WIDE = ("erlen.compat",)


def _process_wide(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in PROCESS_WIDE)


def _check_in_subprocess(module: str, name: str | None = None) -> None:
    """Import ``module`` in a fresh interpreter; it must have a docstring (and ``name``)."""
    code = (
        f"import importlib; m = importlib.import_module({module!r});"
        f" assert m.__doc__ and m.__doc__.strip(), 'no docstring';"
        f" assert {name!r} in (None, '*') or hasattr(m, {name!r}), 'missing name'"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, f"{module} ({name}): {proc.stderr}"


def _all_modules() -> list[str]:
    # NOTE: not pkgutil.walk_packages, which imports each package to list it (erlen.compat
    # must not be imported in this process).
    names: list[str] = []

    def walk(directory: str, prefix: str) -> None:
        for info in pkgutil.iter_modules([directory], prefix):
            names.append(info.name)
            if info.ispkg:
                walk(os.path.join(directory, info.name.rpartition(".")[2]), info.name + ".")

    walk(list(erlen.__path__)[0], "erlen.")
    return sorted(names)


def _doc_imports() -> list[tuple[str, str, str | None]]:
    """(file, module, name or None for a plain ``import``) for each erlen import in the docs."""
    found: list[tuple[str, str, str | None]] = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        # The statements may span lines inside parentheses; ast reads each one whole.
        for match in re.finditer(
            r"^[ \t]*(from erlen[\w.]* import (?:\([^)]*\)|[^\n]*)|import erlen[\w.]*[^\n]*)$",
            text,
            re.M,
        ):
            stmt = ast.parse(match.group(1).strip()).body[0]
            if isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    found.append((path.name, stmt.module or "", alias.name))
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    found.append((path.name, alias.name, None))
    return found


def test_the_docs_import_something() -> None:
    # The parser must find the imports the pages are written with, or the next test checks nothing.
    imports = _doc_imports()
    assert len(imports) > 50
    assert ("differences.md", "erlen.datastructures", "MultiDict") in imports


@pytest.mark.parametrize(
    ("doc", "module", "name"), _doc_imports(), ids=lambda v: str(v) if v is not None else "-"
)
def test_every_import_in_the_docs_works(doc: str, module: str, name: str | None) -> None:
    if _process_wide(module):
        _check_in_subprocess(module, name)
        return
    mod = importlib.import_module(module)
    if name is not None and name != "*":
        assert hasattr(mod, name) or importlib.util.find_spec(f"{module}.{name}"), (
            f"{doc}: from {module} import {name}"
        )


@pytest.mark.parametrize("name", FLASK_MODULES + WERKZEUG_PATHS + LAYER_PACKAGES)
def test_public_module_paths_import(name: str) -> None:
    module = importlib.import_module(f"erlen.{name}")
    assert module.__name__ == f"erlen.{name}"
    assert module.__doc__, f"erlen.{name} has no opening docstring"


def test_every_module_imports_and_says_what_it_holds() -> None:
    modules = _all_modules()
    assert "erlen.http.request" in modules and "erlen.serving.devserver" in modules
    for name in modules:
        if _process_wide(name):
            _check_in_subprocess(name)
            continue
        module = importlib.import_module(name)
        assert module.__doc__ and module.__doc__.strip(), f"{name} has no opening docstring"


def test_flask_is_erlen_and_the_wrappers_are_the_public_classes() -> None:
    from erlen import http, wrappers

    assert erlen.Flask is erlen.Erlen
    assert erlen.Request is wrappers.Request and erlen.Response is wrappers.Response
    assert issubclass(wrappers.Request, http.request.Request)
    assert issubclass(wrappers.Response, http.response.Response)
    assert erlen.Erlen.request_class is wrappers.Request
    assert erlen.Erlen.response_class is wrappers.Response


def test_flask_names_in_flask_modules() -> None:
    from erlen import globals as g
    from erlen import testing

    assert g.request_ctx is not None and g.app_ctx is not None
    for name in testing.__all__:
        assert hasattr(testing, name), name
    assert testing.FlaskClient is testing.ErlenClient
    assert testing.FlaskCliRunner is testing.ErlenCliRunner
    assert testing.EnvironBuilder.__module__ == "erlen.testing.environ"


def test_werkzeug_paths_reexport_the_toolkit() -> None:
    from erlen import datastructures, exceptions, routing
    from erlen.http import datastructures as http_ds
    from erlen.http import exceptions as http_exc
    from erlen.http import headervalues

    assert exceptions.NotFound is http_exc.NotFound
    assert exceptions.abort is http_exc.abort
    assert datastructures.MultiDict is http_ds.MultiDict
    assert datastructures.Headers is http_ds.Headers
    # Header value types are reachable from erlen.datastructures, as from werkzeug.datastructures.
    assert datastructures.MIMEAccept is headervalues.MIMEAccept
    assert routing.Map.__module__ == "erlen.routing.map"
    for name in routing.__all__:
        assert hasattr(routing, name), name
