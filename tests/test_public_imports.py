"""Every public import path keeps working: Flask's module names, the layers' packages, and every
``from erlen... import ...`` / ``import erlen...`` line written in the docs and the README.

The doc lines are parsed out of the Markdown, so a new page is covered without touching this file.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import re
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


def _all_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(erlen.__path__, "erlen."):
        names.append(info.name)
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
