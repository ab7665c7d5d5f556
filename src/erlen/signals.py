"""Flask's ten signals, as blinker signals with Flask's names.

Connect a receiver the way Flask documents it::

    from erlen.signals import request_started

    @request_started.connect_via(app)
    def log_request(sender, **extra):
        ...
"""

from __future__ import annotations

import typing as t

from blinker import ANY, NamedSignal, Namespace

from .http.generation import generation

__all__ = [
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]

# PERF: senders on the request path must test ``signal.receivers`` before calling
# ``signal.send(...)``. ``send`` builds keyword dicts and walks weak references even when
# nobody listens, and most apps connect no receiver at all. The idiom:
#
#     if request_started.receivers:
#         request_started.send(app, _async_wrapper=app.ensure_sync)


class _Signal(NamedSignal):
    """A blinker signal whose connects and disconnects bump :data:`erlen.http.generation.generation`.

    PERF: what the app decides once per endpoint (``_HookPlan``, the ASGI edge's quiet
    routes) may then count on "no receiver" until the version moves, instead of testing every
    signal on every request. A weakly held receiver that dies leaves without a bump: the app
    only keeps testing for it a little longer, which is never wrong.
    """

    def connect(self, receiver: t.Any, sender: t.Any = ANY, weak: bool = True) -> t.Any:
        generation[0] += 1
        return super().connect(receiver, sender, weak)

    def disconnect(self, receiver: t.Any, sender: t.Any = ANY) -> None:
        generation[0] += 1
        super().disconnect(receiver, sender)


# NOTE: the signal names match Flask's ("template-rendered", ...) so tooling that inspects
# ``signal.name`` sees the same values under erlen.
template_rendered = _Signal("template-rendered")
before_render_template = _Signal("before-render-template")
request_started = _Signal("request-started")
request_finished = _Signal("request-finished")
request_tearing_down = _Signal("request-tearing-down")
got_request_exception = _Signal("got-request-exception")
appcontext_tearing_down = _Signal("appcontext-tearing-down")
appcontext_pushed = _Signal("appcontext-pushed")
appcontext_popped = _Signal("appcontext-popped")
message_flashed = _Signal("message-flashed")

# NOTE: as in Flask's module: extensions import ``Namespace`` from here (Flask-Login does), and
# ``_signals.signal(name)`` hands out the signals above.
_signals = Namespace()
for _signal in (
    template_rendered, before_render_template, request_started, request_finished,
    request_tearing_down, got_request_exception, appcontext_tearing_down, appcontext_pushed,
    appcontext_popped, message_flashed,
):  # fmt: skip
    _signals[_signal.name] = _signal
