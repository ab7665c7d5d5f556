"""End-to-end: the showcase in a real Chromium, served as README command 1 serves it
(``python3 -m examples.showcase``: ``app.run()``, erlen's dev server).

One showcase server and one Chromium for the module; each test gets a new browser context (its own
cookie jar), so tests do not depend on each other's order. The login's verification code is
read from the server's session store (the SQLite file the server writes), as a person would
read it from the image. Assertions use Playwright's ``expect``, which waits for the page to
get there (up to a generous timeout, only to avoid a hang); nothing is timed.
"""

from __future__ import annotations

import re
import typing as t

import pytest

from browser_support import (
    TIMEOUT_MS,
    SessionFile,
    launch_chromium,
    require_browser,
    start_showcase,
)
from helpers_servers import Server, assert_no_new_traceback, stop_server
from showcase_images import changed_pixels, decode, png

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
except ImportError:  # without Playwright, require_browser() fails the tests
    pass


@pytest.fixture(scope="module")
def session_path(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("showcase") / "sessions.sqlite3"


@pytest.fixture(scope="module")
def server(session_path) -> t.Iterator[Server]:
    require_browser()  # no server either when the browser tests cannot run
    server = start_showcase(session_path)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def sessions(server: Server, session_path) -> t.Iterator[SessionFile]:
    store = SessionFile(session_path)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser() -> t.Iterator[Browser]:
    executable = require_browser()
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, executable)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(server: Server, browser: Browser) -> t.Iterator[t.Callable[[], Page]]:
    """Makes pages, each in a new context (no cookies), whose relative URLs go to the server."""
    offset = len(server.log())
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(base_url=server.url)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
    # pytest shows a test's output only when it fails: this is the server log on failure.
    print(f"--- showcase server log during this test ---\n{server.log()[offset:][-20000:]}")
    assert_no_new_traceback(server, offset)


@pytest.fixture
def page(new_page: t.Callable[[], Page]) -> Page:
    return new_page()


def cookie(page: Page, name: str) -> dict[str, t.Any] | None:
    found = [c for c in page.context.cookies() if c["name"] == name]
    assert len(found) <= 1, found
    return t.cast("dict[str, t.Any]", found[0]) if found else None


def open_login(page: Page, sessions: SessionFile) -> str:
    """Open the login page; once its code image has loaded, the code the server drew."""
    with page.expect_response("**/captcha.png") as image:
        page.goto("/login")
    assert image.value.status == 200
    assert image.value.headers["content-type"] == "image/png"
    session = cookie(page, "session")
    assert session is not None and session["httpOnly"] is True
    data = sessions.get(session["value"])
    assert data is not None
    return str(data["captcha"])


def log_in(
    page: Page, sessions: SessionFile, username: str = "alice", password: str = "wonderland",
    *, remember: bool = False, code: str | None = None,
) -> None:  # fmt: skip
    drawn = open_login(page, sessions)
    expect(page).to_have_title("Log in")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=code]", drawn if code is None else code)
    if remember:
        page.check("input[name=remember]")
    page.click("button[type=submit]")


def test_stylesheet_is_applied(page: Page) -> None:
    with page.expect_response("**/static/style.css") as css:
        page.goto("/home")
    assert css.value.status == 200
    assert css.value.headers["content-type"].startswith("text/css")
    body = page.locator("body")
    # style.css: body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto }
    expect(body).to_have_css("max-width", "640px")
    expect(body).to_have_css("font-family", "system-ui, sans-serif")
    expect(page.locator("nav a").first).to_have_css("margin-right", "16px")


def test_login_reload_logout(
    page: Page, sessions: SessionFile, tmp_path_factory: pytest.TempPathFactory
) -> None:
    greeting = page.locator("#greeting")
    flash = page.locator("p.flash")

    page.goto("/home")
    expect(greeting).to_have_text("Hello, stranger.")
    expect(flash).to_have_count(0)
    page.click("nav >> text=Log in")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#captcha")).to_be_visible()

    log_in(page, sessions)
    # POST /login answers a redirect to /home, which the browser follows.
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(greeting).to_have_text("Hello, alice!")
    expect(flash).to_have_count(1)
    expect(flash).to_have_text("Welcome, alice!")
    expect(page.locator("#logout")).to_have_text("Log out")

    sid = cookie(page, "session")["value"]  # type: ignore[index]
    assert sessions.get(sid) == {"user": "alice"}  # the flash shown, the code used up

    shot = tmp_path_factory.mktemp("browser") / "home-logged-in.png"
    page.screenshot(path=str(shot), full_page=True)
    assert decode(shot.read_bytes()).width > 0
    print(f"screenshot of the logged-in page: {shot}")

    # A reload: the flash was shown once and is gone; the session keeps alice logged in.
    page.reload()
    expect(greeting).to_have_text("Hello, alice!")
    expect(flash).to_have_count(0)
    assert cookie(page, "session")["value"] == sid  # type: ignore[index]

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/home\?bye=1$"))
    expect(greeting).to_have_text("Hello, stranger.")
    expect(page.locator("#bye")).to_have_text("You are logged out.")
    expect(page.locator("#login")).to_be_visible()
    # The session is gone from the store, and its cookie expired (the browser dropped it).
    assert sessions.get(sid) is None
    assert cookie(page, "session") is None

    page.goto("/home")
    expect(greeting).to_have_text("Hello, stranger.")
    expect(page.locator("#bye")).to_have_count(0)


def test_the_session_id_changes_at_login(page: Page, sessions: SessionFile) -> None:
    open_login(page, sessions)
    anonymous = cookie(page, "session")["value"]  # type: ignore[index]
    log_in(page, sessions)
    expect(page.locator("#greeting")).to_have_text("Hello, alice!")
    # log_in drew a new code in the same anonymous session; the login replaced that id.
    assert cookie(page, "session")["value"] != anonymous  # type: ignore[index]
    assert sessions.get(anonymous) is None


def test_wrong_code_is_a_401_with_an_error_flash(page: Page, sessions: SessionFile) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as reply:
        log_in(page, sessions, code="WRONG")
    assert reply.value.status == 401
    page.wait_for_load_state()
    expect(page.locator("p.flash.error")).to_have_text("Wrong username, password or code.")
    expect(page.locator("input[name=username]")).to_have_value("alice")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.locator("#captcha")).to_be_visible()  # a new code for the next attempt

    page.goto("/home")
    expect(page.locator("#greeting")).to_have_text("Hello, stranger.")
    expect(page.locator("p.flash")).to_have_count(0)


def test_remember_my_username(page: Page, sessions: SessionFile) -> None:
    log_in(page, sessions, "bob", "builder", remember=True)
    expect(page.locator("#greeting")).to_have_text("Hello, bob!")
    remembered = cookie(page, "remembered_username")
    assert remembered is not None and remembered["value"] == "bob"
    assert remembered["expires"] > 0  # a persistent cookie, not a session one
    page.click("#logout")
    expect(page.locator("#greeting")).to_have_text("Hello, stranger.")

    page.goto("/login")
    expect(page.locator("input[name=username]")).to_have_value("bob")
    expect(page.locator("input[name=remember]")).to_be_checked()


def test_watermark_an_uploaded_image(page: Page, sessions: SessionFile) -> None:
    log_in(page, sessions)
    page.click("nav >> text=Watermark")
    expect(page).to_have_title("Watermark")
    original = png((300, 150), (30, 90, 200))
    page.set_input_files(
        "input[name=image]", {"name": "photo.png", "mimeType": "image/png", "buffer": original}
    )
    page.fill("input[name=text]", "erlen!")
    with page.expect_response(lambda r: r.request.method == "POST") as reply:
        page.click("button[type=submit]")
    assert reply.value.status == 200
    assert reply.value.headers["content-type"] == "image/png"
    result = decode(reply.value.body())
    before = decode(original)
    assert result.size == before.size
    middle = (75, 50, 225, 100)
    assert changed_pixels(result.crop(middle), before.crop(middle)) > 300
    corner = (0, 0, 30, 30)
    assert changed_pixels(result.crop(corner), before.crop(corner)) == 0


def test_compose_two_images(page: Page) -> None:
    page.goto("/drawing/picture_posite")
    expect(page).to_have_title("Compose")
    files = {
        "background": png((200, 200), (0, 0, 255)),
        "overlay": png((100, 100), (255, 255, 0)),
    }
    for name, body in files.items():
        page.set_input_files(
            f"input[name={name}]", {"name": f"{name}.png", "mimeType": "image/png", "buffer": body}
        )
    with page.expect_response(lambda r: r.request.method == "POST") as reply:
        page.click("button[type=submit]")
    assert reply.value.status == 200
    result = decode(reply.value.body())
    assert result.size == (200, 200)
    assert result.getpixel((100, 100)) == (255, 255, 0)  # the overlay, scaled to 100x100
    assert result.getpixel((10, 10)) == (0, 0, 255)


def test_a_missing_upload_is_a_400_page(page: Page) -> None:
    page.goto("/drawing/add_watermark")
    with page.expect_response(lambda r: r.request.method == "POST") as reply:
        page.click("button[type=submit]")
    assert reply.value.status == 400
    expect(page.locator("p")).to_contain_text("Upload an image in the form field 'image'.")


def test_live_page_counts_users_online(
    new_page: t.Callable[[], Page], sessions: SessionFile
) -> None:
    alice = new_page()
    log_in(alice, sessions)
    alice.click("#live")
    expect(alice).to_have_title("Live")
    online = alice.locator("#online")
    expect(alice.locator("#status")).to_have_text("live")
    expect(online).to_have_text("1")

    bob = new_page()
    log_in(bob, sessions, "bob", "builder")
    bob.goto("/live")
    expect(bob.locator("#online")).to_have_text("2")
    expect(online).to_have_text("2")  # pushed to alice's page over its WebSocket

    bob.close()  # bob's socket closes: alice's page goes back to one
    expect(online).to_have_text("1")


def test_the_live_page_needs_a_login(page: Page) -> None:
    with page.expect_response("**/live") as reply:
        page.goto("/live")
    assert reply.value.status == 401
    expect(page).to_have_title("401 Unauthorized")
    expect(page.locator("main p")).to_have_text("Log in to see who is online.")
    page.click("main .actions a")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_cookie_set_and_delete(page: Page) -> None:
    text = page.locator("#cookie")
    page.goto("/home")
    page.click("nav >> text=Cookie")
    expect(page).to_have_title("Cookie")
    expect(text).to_have_text("No username cookie.")

    page.click("text=Set it")
    expect(text).to_have_text("The username cookie says: alice")
    assert cookie(page, "username")["value"] == "alice"  # type: ignore[index]

    page.reload()
    expect(text).to_have_text("The username cookie says: alice")

    page.click("text=Delete it")
    expect(text).to_have_text("No username cookie.")
    assert cookie(page, "username") is None
