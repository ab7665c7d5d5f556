"""End-to-end: the showcase pages in a real Chromium, served by gunicorn.

One gunicorn and one Chromium for the module; each test gets a new browser context (its own
cookie jar), so tests do not depend on each other's order. Assertions use Playwright's
``expect``, which waits for the page to get there (up to a generous timeout, only to avoid a
hang); nothing is timed.
"""

from __future__ import annotations

import re
import typing as t

import pytest

from browser_support import TIMEOUT_MS, launch_chromium, require_browser, start_showcase
from helpers_servers import Server, assert_no_new_traceback, stop_server

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # without Playwright, require_browser() fails the tests
    pass


@pytest.fixture(scope="module")
def server() -> t.Iterator[Server]:
    require_browser()  # no server either when the browser tests cannot run
    server = start_showcase()
    try:
        yield server
    finally:
        stop_server(server)


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
def page(server: Server, browser: Browser) -> t.Iterator[Page]:
    """A page in a new context (no cookies) whose relative URLs go to the showcase server."""
    offset = len(server.log())
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
    # pytest shows a test's output only when it fails: this is the server log on failure.
    print(f"--- gunicorn log during this test ---\n{server.log()[offset:][-20000:]}")
    assert_no_new_traceback(server, offset)


def log_in(page: Page, username: str, password: str, code: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=code]", code)
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


def test_login_reload_logout(page: Page, tmp_path_factory: pytest.TempPathFactory) -> None:
    greeting = page.locator("#greeting")
    flash = page.locator("p.flash")

    page.goto("/home")
    expect(greeting).to_have_text("Hello, stranger.")
    expect(flash).to_have_count(0)

    page.click("nav >> text=Log in")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page).to_have_title("Log in")
    log_in(page, "alice", "wonderland", "1234")

    # POST /login answers a redirect to /home, which the browser follows.
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(greeting).to_have_text("Hello, alice!")
    expect(flash).to_have_count(1)
    expect(flash).to_have_text("Welcome, alice!")
    expect(flash).to_have_class("flash message")
    expect(page.locator("#logout")).to_have_text("Log out")

    session = [c for c in page.context.cookies() if c["name"] == "session"]
    assert len(session) == 1, page.context.cookies()
    assert session[0]["httpOnly"] is True

    shot = tmp_path_factory.mktemp("browser") / "home-logged-in.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    print(f"screenshot of the logged-in page: {shot}")

    # A reload: the flash was shown once and is gone; the session cookie keeps alice logged in.
    page.reload()
    expect(greeting).to_have_text("Hello, alice!")
    expect(flash).to_have_count(0)

    page.click("#logout")
    expect(greeting).to_have_text("Hello, stranger.")
    expect(flash).to_have_text("You are logged out.")
    expect(page.locator("#login")).to_be_visible()

    page.reload()
    expect(greeting).to_have_text("Hello, stranger.")
    expect(flash).to_have_count(0)


def test_wrong_code_is_a_401_with_an_error_flash(page: Page) -> None:
    page.goto("/login")
    with page.expect_response(lambda r: r.request.method == "POST") as reply:
        log_in(page, "alice", "wonderland", "0000")
    assert reply.value.status == 401
    page.wait_for_load_state()
    error = page.locator("p.flash.error")
    expect(error).to_have_text("Wrong username, password or code.")
    expect(page.locator("input[name=username]")).to_have_value("alice")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.locator("#login")).to_be_visible()

    # Not logged in, and the error flash was shown once.
    page.goto("/home")
    expect(page.locator("#greeting")).to_have_text("Hello, stranger.")
    expect(page.locator("p.flash")).to_have_count(0)


def test_cookie_set_and_delete(page: Page) -> None:
    cookie = page.locator("#cookie")
    page.goto("/home")
    page.click("nav >> text=Cookie")
    expect(page).to_have_title("Cookie")
    expect(cookie).to_have_text("No username cookie.")

    page.click("text=Set it")
    expect(cookie).to_have_text("The username cookie says: alice")
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("username") == "alice"

    page.reload()
    expect(cookie).to_have_text("The username cookie says: alice")

    page.click("text=Delete it")
    expect(cookie).to_have_text("No username cookie.")
    assert "username" not in {c["name"] for c in page.context.cookies()}


@pytest.mark.parametrize(
    ("link", "path", "text"),
    [
        ("Watermark", "/drawing/add_watermark", "add_watermark: the watermark is on the picture"),
        ("Compose", "/drawing/picture_posite", "picture_posite: the pictures are composed"),
    ],
)
def test_drawing_blueprint_links(page: Page, link: str, path: str, text: str) -> None:
    page.goto("/home")
    page.click(f"nav >> text={link}")
    expect(page.locator("body")).to_have_text(text)
    assert page.url.endswith(path)
