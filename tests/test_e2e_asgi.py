"""ASGI-only behaviour through a real uvicorn: lifespan, a WebSocket echo and a JSON chat
between two clients (the ``websockets`` client library), and the same through the test client."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import typing as t

import pytest
from websockets.sync.client import connect

from helpers_servers import (
    ASGI_SERVERS,
    HOST,
    STARTUP_TIMEOUT,
    TESTS_DIR,
    TIMEOUT,
    Server,
    free_port,
    running_server,
    server_command,
    server_env,
)

sys.path.insert(0, __import__("os").path.dirname(__file__))
import e2e_app  # noqa: E402


@pytest.fixture(scope="module")
def uvicorn() -> t.Iterator[Server]:
    with running_server("uvicorn") as running:
        yield running


def ws_url(server: Server, path: str) -> str:
    return f"ws://{server.host}:{server.port}{path}"


def test_before_serving_ran_before_the_first_request(uvicorn: Server) -> None:
    assert uvicorn.fetch("GET", "/serving").json() == {"started": True}


@pytest.mark.parametrize("kind", sorted(ASGI_SERVERS))
def test_a_failing_startup_keeps_each_asgi_server_from_serving(kind: str, tmp_path: t.Any) -> None:
    """A before_serving hook that raises: the server hears lifespan.startup.failed, says why
    and exits without ever answering a request."""
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            server_command(kind, port, "failing_startup_app:app"),
            cwd=TESTS_DIR, env=server_env(), stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        proc.wait(timeout=STARTUP_TIMEOUT)  # NOTE: a does-not-hang guard; still running fails
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text(errors="replace")
    assert "RuntimeError: no database at startup" in output, output
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=2).close()


def test_websocket_echo_through_uvicorn(uvicorn: Server) -> None:
    with connect(ws_url(uvicorn, "/ws/echo"), open_timeout=TIMEOUT) as ws:
        for text in ("hello", "ünïcode", "x" * 70_000):
            ws.send(text)
            assert ws.recv(timeout=TIMEOUT) == "echo: " + text


def test_json_chat_between_two_clients_through_uvicorn(uvicorn: Server) -> None:
    with connect(ws_url(uvicorn, "/ws/chat/lobby"), open_timeout=TIMEOUT) as ann:
        assert json.loads(ann.recv(timeout=TIMEOUT)) == {"joined": "lobby", "members": 1}
        with connect(ws_url(uvicorn, "/ws/chat/lobby"), open_timeout=TIMEOUT) as bob:
            assert json.loads(bob.recv(timeout=TIMEOUT)) == {"joined": "lobby", "members": 2}
            ann.send(json.dumps({"from": "ann", "text": "hi"}))
            for ws in (ann, bob):
                assert json.loads(ws.recv(timeout=TIMEOUT)) == {
                    "room": "lobby",
                    "from": "ann",
                    "text": "hi",
                }
            bob.send(json.dumps({"from": "bob", "text": "hey"}))
            for ws in (ann, bob):
                assert json.loads(ws.recv(timeout=TIMEOUT))["from"] == "bob"


def test_http_get_of_a_websocket_route_is_400_through_uvicorn(uvicorn: Server) -> None:
    reply = uvicorn.fetch("GET", "/ws/echo")
    assert reply.status == 400 and b"WebSocket endpoint" in reply.body


def test_websocket_upgrade_under_gunicorn_is_a_clear_400() -> None:
    with running_server("gunicorn") as gunicorn:
        reply = gunicorn.fetch(
            "GET",
            "/ws/echo",
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version": "13",
            },
        )
    assert reply.status == 400 and b"ASGI server" in reply.body


def test_the_same_echo_and_chat_through_the_test_client() -> None:
    client = e2e_app.app.test_client()
    with client.websocket("/ws/echo") as ws:
        ws.send("hello")
        assert ws.receive() == "echo: hello"
    with client.websocket("/ws/chat/lobby") as ann:
        assert ann.receive_json() == {"joined": "lobby", "members": 1}
        with client.websocket("/ws/chat/lobby") as bob:
            assert bob.receive_json() == {"joined": "lobby", "members": 2}
            ann.send_json({"from": "ann", "text": "hi"})
            assert (
                ann.receive_json()
                == bob.receive_json()
                == {
                    "room": "lobby",
                    "from": "ann",
                    "text": "hi",
                }
            )
