"""``flask`` and ``flask.*`` resolve to erlen's modules (see erlen.compat for the rules and limits).

Two pieces: the ``flask`` module itself (:class:`FlaskModule`, erlen's names plus Flask's
``__version__``), and a meta-path finder for every ``flask.X`` submodule, whose loader hands back
erlen's module object itself (so ``flask.cli is erlen.cli``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import typing as t
import warnings

import erlen

#: The Flask release whose API erlen follows; what ``flask.__version__`` answers under compat.
FLASK_VERSION = "3.1.3"

#: Flask-internal paths extensions probe, and the erlen module that plays their part.
SPECIAL_TARGETS = {
    "flask.sansio.app": "erlen.app",
    "flask.sansio.scaffold": "erlen.scaffold",
    "flask.sansio.blueprints": "erlen.blueprints",
}

#: Flask's public submodules (design §1), aliased eagerly so the usual imports need no finder.
PUBLIC_SUBMODULES = (
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
)


class FlaskModule(types.ModuleType):
    """``sys.modules["flask"]``: erlen's names, looked up on erlen on every miss.

    NOTE: a separate module object (not erlen itself) so ``flask.__version__`` can be Flask's
    while ``erlen.__version__`` stays erlen's.
    """

    def __getattr__(self, name: str) -> t.Any:
        if name == "__version__":
            # NOTE: Flask 3.1 warns here too; the text is Flask's, so filters written for it apply.
            warnings.warn(
                "The '__version__' attribute is deprecated and will be removed in"
                " Flask 3.2. Use feature detection or"
                " 'importlib.metadata.version(\"flask\")' instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            return FLASK_VERSION
        try:
            return getattr(erlen, name)
        except AttributeError:
            raise AttributeError(f"module 'flask' has no attribute {name!r}") from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(erlen)))


class _AliasLoader(importlib.abc.Loader):
    """Loads ``flask.X`` as erlen's already-importable module ``target``."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._own_spec: t.Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # NOTE: the import system stamped the alias's spec on erlen's module; give it back its own,
        # so importlib.reload, find_spec and root-path lookups keep working on erlen's name.
        module.__spec__ = self._own_spec

    def is_package(self, fullname: str) -> bool:
        return hasattr(importlib.import_module(self.target), "__path__")


def _target_of(fullname: str) -> str | None:
    """erlen's module name for ``flask.X``, or None when erlen has no such module."""
    if fullname in SPECIAL_TARGETS:
        return SPECIAL_TARGETS[fullname]
    target = "erlen" + fullname[len("flask") :]
    try:
        found = importlib.util.find_spec(target)
    except (ImportError, ValueError):
        return None
    return target if found is not None else None


class FlaskFinder(importlib.abc.MetaPathFinder):
    """Finds every ``flask.X`` import as erlen's module; never real Flask's."""

    def find_spec(
        self, fullname: str, path: t.Any = None, target: t.Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("flask."):
            return None
        erlen_name = _target_of(fullname)
        if erlen_name is None:
            # NOTE: an empty __path__ on the parents means the path finders cannot fall back to
            # real Flask's file either: the import fails with ModuleNotFoundError.
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(erlen_name))


def _package(name: str, **attrs: t.Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__path__ = []
    module.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    module.__dict__.update(attrs)
    return module


def install_flask_alias() -> None:
    """Put the ``flask`` module and its submodules in place (drops real Flask's, if loaded)."""
    for name in [n for n in sys.modules if n == "flask" or n.startswith("flask.")]:
        del sys.modules[name]
    flask = FlaskModule("flask", erlen.__doc__)
    flask.__dict__.update(
        {k: v for k, v in vars(erlen).items() if not k.startswith("__") or k == "__all__"}
    )
    flask.__dict__.pop("__version__", None)  # NOTE: answered by __getattr__, with Flask's warning
    flask.__file__ = erlen.__file__
    flask.__path__ = []
    flask.__spec__ = importlib.machinery.ModuleSpec(
        "flask", None, origin=erlen.__file__, is_package=True
    )
    sys.modules["flask"] = flask
    for sub in PUBLIC_SUBMODULES:
        try:
            module = importlib.import_module("erlen." + sub)
        except ImportError:  # pragma: no cover - every name exists in erlen today
            continue
        sys.modules["flask." + sub] = module
        parent = sys.modules["flask." + sub.rpartition(".")[0]] if "." in sub else flask
        if parent is flask:
            setattr(flask, sub, module)
    sansio = _package("flask.sansio")
    sys.modules["flask.sansio"] = sansio
    flask.sansio = sansio  # type: ignore[attr-defined]
    for alias, target in SPECIAL_TARGETS.items():
        module = importlib.import_module(target)
        sys.modules[alias] = module
        setattr(sansio, alias.rpartition(".")[2], module)
    if not any(isinstance(f, FlaskFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, FlaskFinder())
