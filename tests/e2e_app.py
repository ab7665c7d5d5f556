"""The app the end-to-end tests run under gunicorn, granian and erlen's development server.

Served as ``e2e_app:app`` with ``tests/`` as the working directory (see ``helpers_servers.py``).
Every view answers something a test can check byte for byte: plain text or JSON.
"""

from __future__ import annotations

import hashlib
import time

from erlen import (
    Blueprint,
    Erlen,
    Response,
    abort,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    stream_with_context,
    url_for,
    websocket,
)

#: How many chunks ``/stream`` yields, and the size of the small-body limit used by ``/small``.
STREAM_CHUNKS = 5
SMALL_LIMIT = 1000

drawing = Blueprint("drawing", __name__, url_prefix="/drawing")


@drawing.route("/add_watermark")
def add_watermark() -> str:
    return "add_watermark: the watermark is on the picture"


@drawing.route("/picture_posite")
def picture_posite() -> str:
    return "picture_posite: the pictures are composed"


app = Erlen(__name__)
app.config["SECRET_KEY"] = "e2e secret key, not for production"
app.register_blueprint(drawing)


@app.route("/", methods=["get"])
def hello() -> str:
    return "hello world!!!"


@app.route("/greet")
def greet() -> str:
    username = request.args.get("username") or session.get("user") or "stranger"
    return f"hello {username}!"


@app.post("/login")
def login() -> Response:
    username = request.form.get("username", "")
    if not username:
        abort(400)
    session.clear()
    session["user"] = username
    return redirect(url_for("greet"))


@app.route("/logout")
def logout() -> str:
    session.pop("user", None)
    return "logged out"


@app.post("/form")
def form() -> Response:
    files = {}
    for name, storage in request.files.items(multi=True):
        data = storage.read()
        files[name] = {
            "filename": storage.filename,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    return jsonify(form=request.form.to_dict(flat=False), files=files)


@app.post("/json")
def json_echo() -> Response:
    return jsonify(json=request.get_json())


@app.post("/body")
def body() -> Response:
    data = request.get_data()
    return jsonify(size=len(data), sha256=hashlib.sha256(data).hexdigest())


@app.post("/small")
def small_body() -> Response:
    """The body under a per-request limit of ``SMALL_LIMIT`` bytes (raw-socket tests)."""
    request.max_content_length = SMALL_LIMIT
    data = request.get_data()
    return jsonify(size=len(data))


@app.post("/small-form")
def small_form() -> Response:
    request.max_content_length = SMALL_LIMIT
    return jsonify(form=request.form.to_dict())


@app.route("/inspect/", defaults={"rest": ""})
@app.route("/inspect/<path:rest>")
def inspect(rest: str) -> Response:
    """What erlen made of the request line, the headers and the cookies."""
    return jsonify(
        path=request.path,
        rest=rest,
        args=request.args.to_dict(flat=False),
        cookies=request.cookies.to_dict(flat=False),
        x_odd=request.headers.get("X-Odd"),
    )


@app.route("/cookie/set")
def set_cookie() -> Response:
    response = make_response("cookie set")
    response.set_cookie("flavour", request.args.get("value", "chocolate chip"))
    return response


@app.route("/cookie")
def read_cookie() -> str:
    return f"flavour={request.cookies.get('flavour', '<none>')}"


@app.route("/stream")
def stream() -> Response:
    prefix = request.args.get("prefix", "chunk")

    @stream_with_context
    def generate():
        for i in range(STREAM_CHUNKS):
            # The request context is still there while the body streams.
            yield f"{prefix} {i} of {request.path}\n"
            time.sleep(0.01)

    return Response(generate(), mimetype="text/plain")


@app.route("/forbidden")
def forbidden() -> str:
    abort(403)


@app.route("/go")
def go() -> Response:
    return redirect(url_for("drawing.add_watermark"))


# -- ASGI only: serving hooks, async views, WebSockets ------------------------------------------

SERVING: dict[str, bool] = {"started": False}
CHAT_MEMBERS: list = []


@app.before_serving
async def mark_started() -> None:
    SERVING["started"] = True


@app.route("/serving")
async def serving() -> dict:
    return dict(SERVING)


@app.websocket("/ws/echo")
def ws_echo() -> None:
    # NOTE: a sync handler, Flask-Sock style: receive and send block in a worker thread.
    while True:
        websocket.send("echo: " + str(websocket.receive()))


@app.websocket("/ws/chat/<room>")
async def ws_chat(room: str) -> None:
    me = websocket._get_current_object()
    CHAT_MEMBERS.append(me)
    try:
        await websocket.send_json({"joined": room, "members": len(CHAT_MEMBERS)})
        while True:
            message = await websocket.receive_json()
            for member in list(CHAT_MEMBERS):
                await member.send_json({"room": room, **message})
    finally:
        CHAT_MEMBERS.remove(me)
