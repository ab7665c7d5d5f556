"""Jinja fast paths with Jinja's exact results: attribute lookup on dicts and context creation.

:class:`FastEnvironment` is the base of erlen's ``app.jinja_env`` class
(:class:`erlen.templating.Environment`); its templates are :class:`FastTemplate`. Both change
how a result is reached, never the result:

- ``{{ item.name }}`` compiles to ``environment.getattr(item, "name")``, which tries the
  attribute first and the item second. On a plain ``dict`` the attribute step fails for every
  name that is not a ``dict`` method, so that step (an ``AttributeError`` raised, its message
  formatted and caught: ~2.5k instructions) is skipped and the item is read straight away.
- Each render builds its variables from the template's globals, a ``ChainMap`` over the
  environment's globals, which Python reads key by key (a Python-level ``__getitem__`` per
  global); when every layer is a plain ``dict`` they are merged with ``dict.update`` instead.

Anything else (a dict subclass, a name such as ``items``, a custom globals mapping, a
sandboxed environment class mixed in) takes Jinja's own path.
"""

from __future__ import annotations

import typing as t
from collections import ChainMap

from jinja2 import Environment as _JinjaEnvironment
from jinja2 import Template as _JinjaTemplate

if t.TYPE_CHECKING:
    from jinja2.runtime import Context

__all__ = ["FastEnvironment", "FastTemplate"]

# Every attribute a plain dict instance has: those of ``dict`` and ``object`` (a dict instance
# has no ``__dict__`` of its own and ``dict`` has no ``__getattr__``, and built-in types cannot
# gain attributes), so ``getattr(d, name)`` fails exactly for the names not in this set.
_DICT_ATTRIBUTES = frozenset(name for cls in dict.__mro__ for name in vars(cls))


class FastTemplate(_JinjaTemplate):
    """A Jinja template whose render context is built without walking the globals' ChainMap."""

    def new_context(
        self,
        vars: dict[str, t.Any] | None = None,
        shared: bool = False,
        locals: t.Mapping[str, t.Any] | None = None,
    ) -> Context:
        """Jinja's context: the globals overlaid by ``vars`` (see :meth:`jinja2.Template.new_context`)."""
        globals = self.globals
        # PERF: ``dict(chainmap, **vars)`` iterates the ChainMap and calls its Python
        # ``__getitem__`` once per global (12 with Flask's globals): ~7k instructions a render.
        # Updating from the layers, the last first, gives the same keys in the same order with
        # the same winners. Only for plain dicts: a dict subclass may override ``__getitem__``.
        if shared or locals or type(globals) is not ChainMap:
            return super().new_context(vars, shared, locals)
        parent: dict[str, t.Any] = {}
        for layer in reversed(globals.maps):
            if type(layer) is not dict:
                return super().new_context(vars, shared, locals)
            parent.update(layer)
        if vars:
            # NOTE: keyword unpacking, as Jinja does, so a non-string key is the same TypeError.
            parent.update(**vars)
        environment = self.environment
        return environment.context_class(
            environment, parent, self.name, self.blocks, globals=globals
        )


class FastEnvironment(_JinjaEnvironment):
    """A Jinja environment whose ``getattr`` skips the attribute step that must fail on a dict."""

    template_class = FastTemplate

    #: False when a class between this one and Jinja's in the MRO (a sandbox) has its own
    #: ``getattr``: the fast path would step over it, so Jinja's path is taken.
    _plain_getattr: bool = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        mro = cls.__mro__
        after = mro[mro.index(FastEnvironment) + 1 :]
        owner = next(c for c in after if "getattr" in c.__dict__)
        cls._plain_getattr = owner is _JinjaEnvironment

    def getattr(self, obj: t.Any, attribute: str) -> t.Any:
        """The attribute of ``obj``, else its item, else undefined (Jinja's order)."""
        if not self._plain_getattr:
            return super().getattr(obj, attribute)
        # PERF: on a plain dict the attribute step can only raise AttributeError for a name
        # that is not a dict attribute (~2.5k instructions: the exception and its formatted
        # message); ``{{ item.name }}`` on a dict goes to the item at once.
        if type(obj) is not dict or type(attribute) is not str or attribute in _DICT_ATTRIBUTES:
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)
