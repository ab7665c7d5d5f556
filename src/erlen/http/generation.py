"""One counter for everything the request path decides once and keeps.

PERF: erlen decides some things once and keeps the answer: per endpoint its hook plan
(``erlen.app._HookPlan``), per route whether the ASGI edge may take its quiet route
(``erlen.serving.asgi_inline.QuietRoute``). Every change that could alter such an answer bumps
:data:`generation`: a hook registered (``erlen.scaffold``), a signal receiver connected or
disconnected (``erlen.signals``), an attribute of the app assigned (``Erlen.__setattr__``), a view
function or URL rule added, a response class changed (:mod:`erlen.http.response_memo`). A kept
answer records the value it was made at and is made again once the value moved, so a request
compares one int instead of testing each thing the answer depends on.

Such changes happen while an app is set up; one at run time (an extension adding a hook during a
request) costs the kept answers, never their correctness.
"""

from __future__ import annotations

#: The counter: one shared list cell, read as ``generation[0]``.
generation = [0]


def bump() -> None:
    """Mark every kept answer stale."""
    generation[0] += 1
