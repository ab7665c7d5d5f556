"""What is memoised about response classes, and the metaclass that keeps it true.

PERF: the request path asks two things of a response class on every response, and their answers
change only when the class does:

- ``cls._fast_path``: whether the class keeps :class:`~erlen.http.response.Response`'s own
  ``set_data`` and WSGI emission methods, so the hot paths may skip calling them;
- :func:`text_plan`: what ``cls(text)`` sends for a ``str``, so a caller with nothing else to do
  with the response (``Erlen.wsgi_app``) sends a view's text without building the object.

Invariant: a class attribute set or deleted after the class was made (a monkeypatched
``default_mimetype``, a replaced ``set_data``) drops every text plan and recomputes ``_fast_path``
for the class and its subclasses (:class:`ResponseType`), so neither ever answers for a class as
it was.
"""

from __future__ import annotations

import typing as t

from .generation import bump
from .response_pairs import NO_BODY_STATUSES

#: The methods whose bodies the hot paths skip while a class keeps Response's own (``_fast_path``).
FAST_PATH_METHODS = (
    "set_data",
    "get_wsgi_headers",
    "get_app_iter",
    "iter_encoded",
    "get_wsgi_response",
)
#: Response's own methods of FAST_PATH_METHODS, as its class body defined them (filled by
#: erlen.http.response once the class exists).
own_methods: dict[str, t.Any] = {}
#: class -> what ``cls(text)`` sends (see :func:`text_plan`), or False. Bounded: cleared when full
#: (test suites make many classes) and whenever a response class changes.
text_plans: dict[type, tuple[str, tuple[str, str]] | t.Literal[False]] = {}


class ResponseType(type):
    """The metaclass of :class:`~erlen.http.response.Response`; see the module docstring."""

    def __setattr__(cls, name: str, value: t.Any) -> None:
        super().__setattr__(name, value)
        _class_changed(cls, name)

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        _class_changed(cls, name)


def _class_changed(cls: type, name: str) -> None:
    if name == "_fast_path":
        return  # NOTE: the memo's own answer (a new class sets it), no change of the class
    text_plans.clear()
    bump()  # NOTE: what the app kept about its response class (see erlen.http.generation)
    if name in FAST_PATH_METHODS:
        todo = [cls]
        while todo:
            sub = todo.pop()
            sub._fast_path = keeps_own_methods(sub)  # type: ignore[attr-defined]
            todo.extend(sub.__subclasses__())


def keeps_own_methods(cls: type) -> bool:
    """True when ``cls`` has Response's own ``set_data`` and WSGI emission methods."""
    return all(getattr(cls, name) is own_methods[name] for name in FAST_PATH_METHODS)


def text_plan(cls: type) -> tuple[str, tuple[str, str]] | t.Literal[False]:
    """What ``cls(text)`` sends for any ``str`` text: ``(status line, Content-Type pair)``, then
    ``Content-Length`` and the UTF-8 text as its one-chunk body; False when it may send anything
    else (a constructor or ``__call__`` of its own, another charset, a status without a body).
    Memoised in :data:`text_plans`.
    """
    plan = text_plans.get(cls)
    if plan is None:
        from .response import Response  # NOTE: that module imports this one

        plan = False
        if (
            isinstance(cls, type)
            and issubclass(cls, Response)
            and cls.__init__ is Response.__init__
            and cls.__call__ is Response.__call__
            and cls._fast_path
            and cls.charset == "utf-8"
        ):
            # NOTE: what the constructor does with the defaults, read off an example.
            probe = cls("")
            pairs = probe._pairs if probe._headers is None else probe._headers._list
            if (
                len(pairs) == 2
                and pairs[0][0] == "Content-Type"
                and pairs[1] == ("Content-Length", "0")
                and probe.response == [b""]
                and probe._status_code not in NO_BODY_STATUSES
                and not probe._on_close
                and not probe.direct_passthrough
            ):
                plan = (probe._status, pairs[0])
        if len(text_plans) >= 64:
            text_plans.clear()
        text_plans[cls] = plan
    return plan
