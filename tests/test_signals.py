"""erlen.signals: Flask's ten signals, as blinker signals with Flask's names."""

from __future__ import annotations

import blinker
import flask.signals
import pytest

from erlen import signals

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")

NAMES = {
    "template_rendered": "template-rendered",
    "before_render_template": "before-render-template",
    "request_started": "request-started",
    "request_finished": "request-finished",
    "request_tearing_down": "request-tearing-down",
    "got_request_exception": "got-request-exception",
    "appcontext_tearing_down": "appcontext-tearing-down",
    "appcontext_pushed": "appcontext-pushed",
    "appcontext_popped": "appcontext-popped",
    "message_flashed": "message-flashed",
}


@pytest.mark.parametrize("attr,name", NAMES.items())
def test_signal_exists_with_flask_name(attr, name):
    sig = getattr(signals, attr)
    assert isinstance(sig, blinker.NamedSignal)
    assert sig.name == name == getattr(flask.signals, attr).name
    # a separate namespace from Flask's: connecting to one does not affect the other
    assert sig is not getattr(flask.signals, attr)


def test_all_lists_the_signals():
    assert sorted(signals.__all__) == sorted(NAMES)


def test_connect_and_send():
    sender = object()
    received = []

    def receiver(sender, **extra):
        received.append((sender, extra))
        return "ok"

    assert not signals.message_flashed.receivers
    with signals.message_flashed.connected_to(receiver, sender=sender):
        assert signals.message_flashed.receivers
        rv = signals.message_flashed.send(sender, message="hi", category="info")
        signals.message_flashed.send(object(), message="other sender")
    assert rv == [(receiver, "ok")]
    assert received == [(sender, {"message": "hi", "category": "info"})]
    assert not signals.message_flashed.receivers
