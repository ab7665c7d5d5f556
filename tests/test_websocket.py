"""WebSockets through the test client (always ASGI), and what a WSGI server answers instead."""

from __future__ import annotations

import threading
import typing as t

import pytest

import erlen
from erlen import Blueprint, abort, session, url_for, websocket
from erlen.testing.asgi import WebSocketDisconnected, WebSocketRejected


@pytest.fixture
def app() -> erlen.Erlen:
    app = erlen.Erlen("ws_test_app")
    app.config.update(TESTING=True, SECRET_KEY="k")
    return app


def test_async_echo(app: erlen.Erlen) -> None:
    @app.websocket("/echo")
    async def echo() -> None:
        while True:
            data = await websocket.receive()
            await websocket.send(f"{websocket.path} {data}")

    with app.test_client().websocket("/echo") as ws:
        ws.send("hi")
        assert ws.receive() == "/echo hi"
        ws.send("again")
        assert ws.receive() == "/echo again"


def test_sync_handler_blocks_in_a_worker_thread(app: erlen.Erlen) -> None:
    threads: list[str] = []

    @app.websocket("/sync")
    def sync_echo() -> None:
        threads.append(threading.current_thread().name)
        while True:
            message = websocket.receive_json()
            websocket.send_json({"got": message, "q": websocket.args.get("q")})

    with app.test_client().websocket("/sync?q=1") as ws:
        ws.send_json([1, 2])
        assert ws.receive_json() == {"got": [1, 2], "q": "1"}
    assert threads[0].startswith("erlen-asgi")


def test_blueprint_routes_converters_prefixes_and_url_for(app: erlen.Erlen) -> None:
    bp = Blueprint("chat", __name__, url_prefix="/chat")

    @bp.websocket("/room/<int:room>")
    async def room(room: int) -> None:
        await websocket.accept(subprotocol="v1" if "v1" in websocket.subprotocols else None)
        await websocket.send(f"{room + 1} {url_for('chat.room', room=room)}")
        await websocket.close(1000)

    app.register_blueprint(bp)
    with app.test_request_context():
        assert url_for("chat.room", room=3, _external=True) == "ws://localhost/chat/room/3"
    with app.test_client().websocket("/chat/room/41", subprotocols=["v0", "v1"]) as ws:
        assert ws.accepted_subprotocol == "v1"
        # NOTE: as in Werkzeug, a WebSocket rule builds an external ws:// URL from HTTP.
        assert ws.receive() == "42 ws://localhost/chat/room/41"
        with pytest.raises(WebSocketDisconnected) as info:
            ws.receive()
        assert info.value.code == 1000


def test_headers_of_the_handshake_and_of_the_accept(app: erlen.Erlen) -> None:
    @app.websocket("/who")
    def who() -> None:
        token = websocket.headers.get("X-Token", "none")
        websocket.accept(headers={"X-Seen": token})
        websocket.send(websocket.headers["User-Agent"])
        websocket.close()

    client = app.test_client()
    with client.websocket("/who", headers={"X-Token": "t1", "User-Agent": "probe/1"}) as ws:
        assert ws.receive() == "probe/1"
        assert ws.accept_headers["X-Seen"] == "t1"


def test_hooks_and_a_rejection_before_accept(app: erlen.Erlen) -> None:
    events: list[str] = []

    @app.before_websocket
    def check() -> t.Any:
        events.append("before")
        if websocket.args.get("token") != "ok":
            abort(403)
        return None

    @app.after_websocket
    async def after(response: t.Any) -> t.Any:
        events.append("after")
        return response

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("welcome")
        await websocket.close()

    client = app.test_client()
    with pytest.raises(WebSocketRejected) as info:
        with client.websocket("/ws?token=bad"):
            pass
    assert info.value.status_code == 403
    with client.websocket("/ws?token=ok") as ws:
        assert ws.receive() == "welcome"
    assert events == ["before", "before", "after"]


def test_errors_go_through_error_handlers(app: erlen.Erlen) -> None:
    handled: list[str] = []

    @app.errorhandler(KeyError)
    def on_key_error(e: KeyError) -> tuple[str, int]:
        handled.append(str(e))
        return "bad key", 400

    @app.websocket("/before")
    async def before_accept() -> None:
        raise KeyError("early")

    @app.websocket("/after")
    async def after_accept() -> None:
        await websocket.send("one")
        raise KeyError("late")

    client = app.test_client()
    with pytest.raises(WebSocketRejected) as info:
        with client.websocket("/before"):
            pass
    assert (info.value.status_code, info.value.body) == (400, b"bad key")
    with client.websocket("/after") as ws:
        assert ws.receive() == "one"
        with pytest.raises(WebSocketDisconnected) as closed:
            ws.receive()
        assert closed.value.code == 1011
    assert handled == ["'early'", "'late'"]


def test_session_readable_and_cookie_session_change_is_an_error(app: erlen.Erlen) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = "ann"
        return "ok"

    @app.websocket("/whoami")
    async def whoami() -> None:
        await websocket.send(session.get("user", "nobody"))
        await websocket.close()

    @app.websocket("/change")
    async def change() -> None:
        await websocket.accept()
        session["user"] = "bob"

    client = app.test_client()
    client.get("/login")
    with client.websocket("/whoami") as ws:
        assert ws.receive() == "ann"
    with pytest.raises(RuntimeError, match="cookie session cannot be saved from a WebSocket"):
        with client.websocket("/change") as ws:
            ws.receive()


def test_json_chat_between_two_test_clients(app: erlen.Erlen) -> None:
    members: list[t.Any] = []

    @app.websocket("/chat")
    async def chat() -> None:
        me = websocket._get_current_object()  # type: ignore[attr-defined]
        members.append(me)
        try:
            while True:
                message = await websocket.receive_json()
                for member in list(members):
                    await member.send_json(message)
        finally:
            members.remove(me)

    client = app.test_client()
    with client.websocket("/chat") as ann, client.websocket("/chat") as bob:
        ann.send_json({"from": "ann", "text": "hi"})
        assert bob.receive_json() == {"from": "ann", "text": "hi"}
        assert ann.receive_json() == {"from": "ann", "text": "hi"}
        bob.send_json({"from": "bob", "text": "hey"})
        assert ann.receive_json() == {"from": "bob", "text": "hey"}
        assert bob.receive_json() == {"from": "bob", "text": "hey"}


def test_unknown_path_is_refused(app: erlen.Erlen) -> None:
    with pytest.raises(WebSocketRejected) as info:
        with app.test_client().websocket("/nowhere"):
            pass
    assert info.value.status_code == 404


@pytest.mark.parametrize("asgi", [False, True])
def test_http_request_to_a_websocket_route_is_400(app: erlen.Erlen, asgi: bool) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.close()

    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}
    for headers in ({}, upgrade):
        response = app.test_client(asgi=asgi).get("/ws", headers=headers)
        assert response.status_code == 400
        assert "WebSocket endpoint" in response.text


def test_a_custom_converter_of_a_websocket_route_runs_with_the_contexts_pushed(
    app: erlen.Erlen,
) -> None:
    from erlen import current_app, g
    from erlen.routing import BaseConverter

    class RoomConverter(BaseConverter):
        def to_python(self, value: str) -> str:
            g.room_app = current_app.name  # NOTE: as a converter loading a row would
            return value.upper()

    app.url_map.converters["room"] = RoomConverter

    @app.websocket("/rooms/<room:name>")
    async def room(name: str) -> None:
        await websocket.send(f"{name} {g.room_app}")

    with app.test_client().websocket("/rooms/blue") as ws:
        assert ws.receive() == "BLUE ws_test_app"
