"""The showcase app (README command 1) through the test client: every route, bad uploads too.

Each test gets its own app with its own SQLite session file, so the server-side store can be
read directly (the captcha code, and whether a session is gone).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import typing as t
import urllib.request

import pytest
from examples.showcase import captcha
from examples.showcase.app import create_app

from helpers_servers import ERLEN_PATH, TESTS_DIR, free_port, terminate
from session_servers import redis_url  # noqa: F401 (a fixture)
from showcase_images import changed_pixels, decode, jpeg, png, png_claiming


@pytest.fixture
def app(tmp_path):
    app = create_app({"TESTING": True, "SESSION_SQLITE_PATH": str(tmp_path / "sessions.db")})
    yield app
    app.session_interface.store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def stored(app, sid: str) -> dict[str, t.Any] | None:
    """The session ``sid`` as the store holds it (decoded), or None when it is not there."""
    loaded = app.session_interface.store.load(sid)
    return None if loaded is None else {k: json.loads(v) for k, v in loaded.fields.items()}


def sid_of(client) -> str | None:
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


def draw_code(client) -> str:
    """Fetch the captcha image (as the login page does) and read its code on the server side."""
    rv = client.get("/captcha.png")
    assert rv.status_code == 200
    assert rv.mimetype == "image/png"
    assert rv.headers["Cache-Control"] == "no-store"
    assert decode(rv.data).size == (220, 60)
    with client.session_transaction() as session:
        return session["captcha"]


def log_in(client, username="alice", password="wonderland", remember=False, code=None):
    form = {
        "username": username,
        "password": password,
        "code": draw_code(client) if code is None else code,
    }
    if remember:
        form["remember"] = "on"
    return client.post("/login", data=form)


def test_hello_and_greet(client):
    assert client.get("/").text == "hello world!!!"
    assert client.get("/greet?username=alice").text == "hello alice!"
    assert client.get("/greet").text == "hello stranger!"


def test_captcha_codes_are_random_and_readable(client):
    codes = {draw_code(client) for _ in range(5)}
    assert len(codes) == 5  # 31**5 codes: five equal draws would be a broken generator
    for code in codes:
        assert len(code) == captcha.LENGTH
        assert set(code) <= set(captcha.ALPHABET)
    # The code is only drawn, never sent as text.
    code = draw_code(client)
    assert code.encode() not in client.get("/captcha.png").data


def test_login_regenerates_the_session_and_logout_destroys_it(app, client):
    page = client.get("/login").text
    assert '<img id="captcha" src="/captcha.png"' in page
    code = draw_code(client)
    before = sid_of(client)
    assert stored(app, before) == {"captcha": code}

    rv = log_in(client, code=code)
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/home"
    after = sid_of(client)
    assert after != before  # a new id at login: no session fixation
    assert stored(app, before) is None
    data = stored(app, after)
    assert data["user"] == "alice"
    assert "captcha" not in data  # the code was used up

    page = client.get("/home").text
    assert "Hello, alice!" in page
    assert "Welcome, alice!" in page  # the flashed message, shown once
    assert "Welcome, alice!" not in client.get("/home").text

    rv = client.get("/logout")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/home?bye=1"
    assert "session=; Expires=Thu, 01 Jan 1970" in rv.headers["Set-Cookie"]
    assert stored(app, after) is None
    assert sid_of(client) is None
    page = client.get(rv.headers["Location"]).text
    assert "You are logged out." in page
    assert "Hello, stranger." in page


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("alice", "wonderland", "WRONG"),
        ("alice", "wonderland", ""),
        ("alice", "not-it", None),
        ("mallory", "wonderland", None),
        ("", "", None),
    ],
)
def test_wrong_login_is_a_401(client, username, password, code):
    right = draw_code(client)
    rv = log_in(client, username, password, code=code if code is not None else right)
    assert rv.status_code == 401
    assert "Wrong username, password or code." in rv.text
    assert "Hello, stranger." in client.get("/home").text


def test_a_code_serves_one_attempt(client):
    code = draw_code(client)
    assert log_in(client, password="typo", code=code).status_code == 401
    # The right password with the same code: refused, the code is gone.
    assert log_in(client, code=code).status_code == 401
    assert log_in(client).status_code == 302


def test_the_code_is_case_insensitive(client):
    code = draw_code(client)
    assert log_in(client, code=f" {code.lower()} ").status_code == 302


def test_a_login_without_a_drawn_code_is_refused(client):
    rv = client.post("/login", data={"username": "alice", "password": "wonderland", "code": "X"})
    assert rv.status_code == 401


def test_remember_my_username_cookie(client):
    assert 'name="username" value=""' in client.get("/login").text
    assert log_in(client, remember=True).status_code == 302
    cookie = client.get_cookie("remembered_username")
    assert cookie.value == "alice"
    assert cookie.http_only
    page = client.get("/login").text
    assert 'name="username" value="alice"' in page
    assert 'name="remember" checked' in page
    client.get("/logout")
    # The cookie outlives the session: that is its point.
    assert 'name="username" value="alice"' in client.get("/login").text

    assert log_in(client, "bob", "builder").status_code == 302  # not ticked: forgotten
    assert client.get_cookie("remembered_username") is None
    assert 'name="username" value=""' in client.get("/login").text


def test_redis_store_when_redis_url_is_set(monkeypatch, redis_url):  # noqa: F811
    import redis

    monkeypatch.setenv("REDIS_URL", redis_url)
    app = create_app({"TESTING": True})
    assert app.config["SESSION_TYPE"] == "redis"
    client = app.test_client()
    assert log_in(client).status_code == 302
    sid = sid_of(client)
    server = redis.Redis.from_url(redis_url)
    try:
        assert server.exists(f"session:{sid}")
        client.get("/logout")
        assert not server.exists(f"session:{sid}")
    finally:
        server.close()
        app.session_interface.store.close()


def test_drawing_forms(client):
    page = client.get("/drawing/add_watermark").text
    assert 'enctype="multipart/form-data"' in page and 'name="image"' in page
    page = client.get("/drawing/picture_posite").text
    assert 'name="background"' in page and 'name="overlay"' in page


def test_add_watermark_draws_text_on_the_image(client):
    original = png((240, 120))
    rv = client.post(
        "/drawing/add_watermark",
        data={"image": (io.BytesIO(original), "photo.png"), "text": "erlen"},
    )
    assert rv.status_code == 200
    assert rv.mimetype == "image/png"
    assert "watermarked.png" in rv.headers["Content-Disposition"]
    result = decode(rv.data)
    before = decode(original)
    assert result.size == before.size
    # The text is in the middle; the corners are untouched.
    middle = (60, 40, 180, 80)
    assert changed_pixels(result.crop(middle), before.crop(middle)) > 200
    for corner in ((0, 0, 20, 20), (220, 100, 240, 120)):
        assert changed_pixels(result.crop(corner), before.crop(corner)) == 0


def test_add_watermark_reads_jpeg_and_other_text(client):
    a = client.post(
        "/drawing/add_watermark", data={"image": (io.BytesIO(jpeg()), "a.jpg"), "text": "A"}
    )
    b = client.post(
        "/drawing/add_watermark", data={"image": (io.BytesIO(jpeg()), "a.jpg"), "text": "WWW"}
    )
    assert a.status_code == b.status_code == 200
    assert decode(a.data).size == (160, 90)
    assert changed_pixels(decode(a.data), decode(b.data)) > 0


def test_picture_posite_puts_the_overlay_in_the_middle(client):
    background = png((200, 200), (0, 0, 255))
    overlay = png((400, 100), (255, 255, 0))  # scaled to fit 100x100: 100x25
    rv = client.post(
        "/drawing/picture_posite",
        data={
            "background": (io.BytesIO(background), "bg.png"),
            "overlay": (io.BytesIO(overlay), "fg.png"),
        },
    )
    assert rv.status_code == 200
    assert rv.mimetype == "image/png"
    result = decode(rv.data)
    assert result.size == (200, 200)
    assert result.getpixel((100, 100)) == (255, 255, 0)
    assert result.getpixel((51, 89)) == (255, 255, 0)
    assert result.getpixel((100, 80)) == (0, 0, 255)  # above the 100x25 overlay
    assert result.getpixel((5, 5)) == (0, 0, 255)


def upload(client, url: str, files: dict[str, tuple[bytes, str]]):
    data = {name: (io.BytesIO(body), filename) for name, (body, filename) in files.items()}
    return client.post(url, data=data)


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ({}, 400, "Upload an image in the form field &#39;image&#39;"),
        ({"image": (b"", "empty.png")}, 400, "is empty"),
        ({"image": (b"hello, I am text", "a.png")}, 400, "is not a PNG, JPEG"),
        ({"image": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg")}, 400, "is not a"),
        ({"image": (png()[:60], "cut.png")}, 400, "is damaged"),
        ({"image": (png_claiming(5000, 5000), "big.png")}, 413, "has more than"),
        ({"image": (png_claiming(60000, 60000), "bomb.png")}, 413, "too many pixels"),
    ],
)
def test_bad_uploads_are_4xx(client, files, status, message):
    rv = upload(client, "/drawing/add_watermark", files)
    assert rv.status_code == status, rv.text
    assert message in rv.text


def test_a_tiff_is_refused_though_pillow_reads_it(client):
    out = io.BytesIO()
    decode(png()).save(out, format="TIFF")
    rv = upload(client, "/drawing/add_watermark", {"image": (out.getvalue(), "a.tif")})
    assert rv.status_code == 400


def test_an_upload_over_max_content_length_is_a_413(client):
    rv = upload(client, "/drawing/add_watermark", {"image": (b"\0" * (9 << 20), "huge.png")})
    assert rv.status_code == 413


def test_compose_needs_both_images(client):
    rv = upload(client, "/drawing/picture_posite", {"background": (png(), "bg.png")})
    assert rv.status_code == 400
    assert "overlay" in rv.text
    rv = upload(
        client,
        "/drawing/picture_posite",
        {"background": (b"nope", "bg.png"), "overlay": (png(), "fg.png")},
    )
    assert rv.status_code == 400


def test_pixel_cap_is_configurable(app, client):
    app.config["SHOWCASE_MAX_PIXELS"] = 100
    rv = upload(client, "/drawing/add_watermark", {"image": (png((20, 20)), "a.png")})
    assert rv.status_code == 413


def test_live_page_needs_a_login(client):
    assert client.get("/live").status_code == 401
    assert log_in(client).status_code == 302
    page = client.get("/live").text
    assert 'id="online"' in page
    assert "/live/online" in page


def test_error_pages_use_the_layout_and_keep_the_status_and_headers(client):
    rv = client.get("/live")
    assert rv.status_code == 401
    assert rv.mimetype == "text/html"
    assert "<title>401 Unauthorized</title>" in rv.text
    assert "Log in to see who is online." in rv.text
    assert 'href="/static/style.css"' in rv.text
    assert '<div class="actions"><a href="/login">Log in</a></div>' in rv.text
    rv = client.post("/greet")
    assert rv.status_code == 405
    assert rv.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert '<h1 id="error">Method Not Allowed</h1>' in rv.text
    rv = client.get("/nowhere")
    assert rv.status_code == 404
    assert '<a href="/home">Back home</a>' in rv.text


def test_live_socket_counts_users_online(app):
    alice, bob = app.test_client(), app.test_client()
    assert log_in(alice).status_code == 302
    assert log_in(bob, "bob", "builder").status_code == 302
    with alice.websocket("/live/online") as first:
        assert first.receive_json() == {"online": 1}
        with alice.websocket("/live/online") as second:  # alice's second tab: still one user
            assert second.receive_json() == {"online": 1}
            assert first.receive_json() == {"online": 1}
        assert first.receive_json() == {"online": 1}
        with bob.websocket("/live/online") as other:
            assert other.receive_json() == {"online": 2}
            assert first.receive_json() == {"online": 2}
        assert first.receive_json() == {"online": 1}


def test_live_socket_refuses_anonymous_clients(client):
    with pytest.raises(Exception) as refused:
        with client.websocket("/live/online") as ws:
            ws.receive()
    assert "403" in str(refused.value)


def test_cookie_set_read_delete(client):
    assert "No username cookie." in client.get("/cookie").text
    rv = client.get("/cookie/set?username=bob", follow_redirects=True)
    assert "The username cookie says: bob" in rv.text
    assert client.get_cookie("username").value == "bob"
    rv = client.get("/cookie/delete", follow_redirects=True)
    assert "No username cookie." in rv.text
    assert client.get_cookie("username") is None


def test_static_file(client):
    rv = client.get("/static/style.css")
    assert rv.status_code == 200
    assert rv.mimetype == "text/css"
    rv.close()


def test_module_app_is_built_on_first_use(monkeypatch, tmp_path):
    import examples.showcase.app as module

    monkeypatch.setenv("SHOWCASE_SESSION_SQLITE_PATH", str(tmp_path / "s.db"))
    monkeypatch.setattr(module, "_app", None)
    app = module.app
    try:
        assert module.app is app
        assert app.config["SESSION_SQLITE_PATH"] == str(tmp_path / "s.db")
        assert app.test_client().get("/").text == "hello world!!!"
    finally:
        app.session_interface.store.close()


def test_pillows_own_bomb_limit_holds_above_a_raised_cap(app, client):
    # 100M pixels: over Pillow's warning limit (~89M), under its error limit; the app's cap is
    # raised out of the way, so Pillow's check (made an error by the app) is what answers.
    app.config["SHOWCASE_MAX_PIXELS"] = 10**12
    rv = upload(client, "/drawing/add_watermark", {"image": (png_claiming(10000, 10000), "a.png")})
    assert rv.status_code == 413
    assert "too many pixels" in rv.text


def test_readme_command_1_prints_the_url_and_serves(tmp_path):
    """``python3 -m examples.showcase`` (after the install): a URL on stdout that answers."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        ERLEN_RUN_PORT=str(port),  # what `erlen run` reads too; or `--port`
        SHOWCASE_SESSION_SQLITE_PATH=str(tmp_path / "sessions.db"),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join([str(ERLEN_PATH), str(TESTS_DIR.parent)]),
    )
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "examples.showcase"],
        cwd=TESTS_DIR.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/home"
        assert first == f"erlen showcase: open {url}\n"
        deadline = time.monotonic() + 60  # a guard against a hang only
        while True:  # the server binds after printing: retry until it answers
            try:
                with urllib.request.urlopen(url, timeout=10) as reply:
                    assert reply.status == 200
                    assert "Hello, stranger." in reply.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, f"{url} did not answer"
                time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
            assert reply.read() == b"hello world!!!"
    finally:
        terminate(proc)
        if proc.stdout is not None:
            proc.stdout.close()
