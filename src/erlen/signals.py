"""Flask's ten signals, as blinker signals with Flask's names.

Connect a receiver the way Flask documents it::

    from erlen.signals import request_started

    @request_started.connect_via(app)
    def log_request(sender, **extra):
        ...
"""

from __future__ import annotations

from blinker import Namespace

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

# NOTE: the signal names match Flask's ("template-rendered", ...) so tooling that inspects
# ``signal.name`` sees the same values under erlen.
_signals = Namespace()

template_rendered = _signals.signal("template-rendered")
before_render_template = _signals.signal("before-render-template")
request_started = _signals.signal("request-started")
request_finished = _signals.signal("request-finished")
request_tearing_down = _signals.signal("request-tearing-down")
got_request_exception = _signals.signal("got-request-exception")
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
appcontext_pushed = _signals.signal("appcontext-pushed")
appcontext_popped = _signals.signal("appcontext-popped")
message_flashed = _signals.signal("message-flashed")
