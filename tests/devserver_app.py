"""The app the dev-server tests serve with ``python devserver_app.py PORT [options]``."""

import sys
import threading
import time

from erlen import Erlen, request, websocket

app = Erlen(__name__)


@app.route("/")
def index() -> str:
    return "hello"


@app.route("/echo", methods=["POST"])
def echo() -> bytes:
    return request.get_data()


@app.route("/slow")
def slow() -> str:
    time.sleep(0.3)  # NOTE: the client's half-close arrives well before this answer
    return "slow"


_running = {"now": 0, "most": 0}
_changed = threading.Condition()


@app.route("/overlap")
def overlap() -> str:
    """How many requests to this sync view ran at the same time, at most, so far.

    Each waits, up to ``?wait=`` seconds, for a second one to run beside it. NOTE: a partner
    that arrives ends the wait at once, so a generous ``wait`` costs nothing when requests do
    run side by side, and their overlap does not depend on how fast the machine is.
    """
    wait = float(request.args.get("wait", "0.3"))
    with _changed:
        _running["now"] += 1
        _running["most"] = max(_running["most"], _running["now"])
        _changed.notify_all()
        _changed.wait_for(lambda: _running["most"] >= 2, wait)
        _running["now"] -= 1
        return str(_running["most"])


@app.route("/boom")
def boom() -> str:
    raise ValueError("kaboom <script>")


@app.websocket("/ws")
async def ws() -> None:
    while True:
        data = await websocket.receive()
        await websocket.send(f"echo {data}")


if __name__ == "__main__":
    options: dict[str, object] = {}
    if "--tls" in sys.argv:
        options["ssl_context"] = (sys.argv[sys.argv.index("--tls") + 1], sys.argv[-1])
    if "--no-threads" in sys.argv:
        options["threaded"] = False
    app.run(port=int(sys.argv[1]), debug="--debug" in sys.argv, use_reloader=False, **options)
