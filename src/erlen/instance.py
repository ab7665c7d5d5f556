"""Where an app's instance folder is, by Flask's rule: :func:`find_package` and
:func:`default_instance_path`.

- A package or module that is installed (inside ``sys.prefix``, or in a ``site-packages``
  folder of a virtualenv or user install): ``<prefix>/var/<app name>-instance``. The installed
  code's folder is read-only in general and shared by every deployment.
- Otherwise: ``instance`` next to the package folder or the module file (for the ``flaskr``
  layout, ``project/instance`` beside ``project/flaskr/``).
- A name Python cannot find (``__main__``, a made-up name in tests): ``<root_path>/instance``.
  (Flask takes the current directory there; erlen keeps it next to the app's explicit
  ``root_path``.)
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import PurePath

__all__ = ["default_instance_path", "find_package"]


def _package_path(import_name: str) -> str | None:
    """The folder that holds the top-level package or module of ``import_name``."""
    top = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):  # ValueError: "__main__" or a module without a spec
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if spec.origin not in (None, "namespace") and spec.has_location:
        origin = os.path.abspath(spec.origin)  # type: ignore[arg-type]
        # A package's origin is pkg/__init__.py: its folder's parent holds it.
        folder = os.path.dirname(origin)
        return os.path.dirname(folder) if locations else folder
    if locations:
        # NOTE: a namespace package can span folders: take the one holding the submodule.
        try:
            sub = importlib.util.find_spec(import_name)
        except (ImportError, ValueError):
            sub = None
        sub_origin = getattr(sub, "origin", None)
        for location in locations:
            inside = os.path.abspath(location) + os.sep
            if sub_origin and os.path.abspath(sub_origin).startswith(inside):
                return os.path.dirname(os.path.abspath(location))
        return os.path.dirname(os.path.abspath(locations[0]))
    return None


def find_package(import_name: str) -> tuple[str | None, str | None]:
    """``(install prefix or None, folder holding the package)`` for ``import_name``.

    The prefix is ``None`` when the package is not installed; both are ``None`` when Python
    cannot find it.
    """
    package_path = _package_path(import_name)
    if package_path is None:
        return None, None
    py_prefix = os.path.abspath(sys.prefix)
    if PurePath(package_path).is_relative_to(py_prefix):
        return py_prefix, package_path
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        parent, folder = os.path.split(site_parent)
        if folder.lower() == "lib":  # Windows: prefix/Lib/site-packages
            return parent, package_path
        if os.path.basename(parent).lower() == "lib":  # prefix/lib/pythonX.Y/site-packages
            return os.path.dirname(parent), package_path
        return site_parent, package_path  # prefix/site-packages
    return None, package_path


def default_instance_path(import_name: str, app_name: str, root_path: str) -> str:
    """The instance folder an app gets when it names none (see the module docstring)."""
    prefix, package_path = find_package(import_name)
    if package_path is None:
        return os.path.join(root_path, "instance")
    if prefix is None:
        return os.path.join(package_path, "instance")
    return os.path.join(prefix, "var", f"{app_name}-instance")
