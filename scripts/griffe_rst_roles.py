"""A griffe extension for the docs site: reST roles in docstrings shown as code.

erlen's docstrings name other objects with Sphinx roles (``:class:`Request```, ``:meth:`~x.y```),
which Markdown would show literally. mkdocs.yml loads this extension into mkdocstrings, and it
rewrites each role to a code span the way Sphinx labels it: the target as written (its last
part with ``~``), ``()`` after a function or method. The source files are not changed.
"""

from __future__ import annotations

import re
import typing as t

import griffe

_ROLE = re.compile(r":(?:py:)?(class|meth|func|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")


def roles_to_code(text: str) -> str:
    """``text`` with every Python-domain role made a Markdown code span."""

    def label(match: re.Match[str]) -> str:
        kind, short, target = match.groups()
        # NOTE: an explicit title (``:class:`the app <Erlen>```) is what Sphinx shows.
        titled = re.fullmatch(r"(.+?)\s*<([^>]+)>", target)
        if titled:
            return f"`{titled.group(1)}`"
        if short:
            target = target.rsplit(".", 1)[-1]
        if kind in ("func", "meth") and not target.endswith(")"):
            target += "()"
        return f"`{target}`"

    return _ROLE.sub(label, text)


class RstRoles(griffe.Extension):
    """Rewrites the roles in every loaded object's docstring."""

    def on_object(self, *, obj: griffe.Object, **kwargs: t.Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = roles_to_code(obj.docstring.value)
