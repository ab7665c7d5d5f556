"""erlen's versions of the Werkzeug helpers Flask apps import, checked against Werkzeug itself.

Werkzeug is installed for the tests only, as an oracle: password hashes must verify both ways,
``secure_filename`` must give Werkzeug's answer on a generated corpus, and the middleware must
leave the environ as Werkzeug's does.
"""

from __future__ import annotations

import os
import typing as t

import pytest
import werkzeug.middleware.dispatcher as wz_dispatcher
import werkzeug.middleware.proxy_fix as wz_proxy_fix
import werkzeug.security as wz_security
import werkzeug.utils as wz_utils
from hypothesis import example, given, settings
from hypothesis import strategies as st

from erlen import Erlen, request, url_for
from erlen.http.sendfile import _WINDOWS_DEVICE_NAMES
from erlen.middleware import DispatcherMiddleware, ProxyFix
from erlen.security import check_password_hash, gen_salt, generate_password_hash
from erlen.utils import secure_filename

# Fast parameters: the format and the algorithm are the same as the defaults, the tests quicker.
FAST_METHODS = ["scrypt:1024:8:1", "pbkdf2:sha256:1000", "pbkdf2:sha512:1000", "pbkdf2:sha1:10"]
PASSWORDS = ["", "secret", "pässwörd ☃", "a" * 300, "with$dollar:colon"]


# ------------------------------------------------------------------------- password hashes


@pytest.mark.parametrize("method", FAST_METHODS)
@pytest.mark.parametrize("password", PASSWORDS)
def test_erlen_hashes_verify_in_werkzeug(method: str, password: str) -> None:
    pwhash = generate_password_hash(password, method)
    assert pwhash.startswith(method + "$")
    assert wz_security.check_password_hash(pwhash, password)
    assert not wz_security.check_password_hash(pwhash, password + "x")


@pytest.mark.parametrize("method", FAST_METHODS)
@pytest.mark.parametrize("password", PASSWORDS)
def test_werkzeug_hashes_verify_in_erlen(method: str, password: str) -> None:
    pwhash = wz_security.generate_password_hash(password, method)
    assert check_password_hash(pwhash, password)
    assert not check_password_hash(pwhash, password + "x")
    assert not check_password_hash(pwhash, password.upper() + "!")


def test_default_methods_match_werkzeug() -> None:
    """The defaults (scrypt N=2**15; pbkdf2 sha256 with 1,000,000 iterations), both ways."""
    ours = generate_password_hash("pw")
    method, salt, digest = ours.split("$")
    assert method == "scrypt:32768:8:1"
    assert len(salt) == 16 and salt.isalnum()
    assert len(digest) == 128 and int(digest, 16) >= 0
    assert wz_security.check_password_hash(ours, "pw")
    assert check_password_hash(wz_security.generate_password_hash("pw"), "pw")
    pbkdf2 = generate_password_hash("pw", "pbkdf2", salt_length=8)
    assert pbkdf2.startswith("pbkdf2:sha256:1000000$")
    assert len(pbkdf2.split("$")[1]) == 8
    assert wz_security.check_password_hash(pbkdf2, "pw")
    wz_pbkdf2 = wz_security.generate_password_hash("pw", "pbkdf2")
    assert check_password_hash(wz_pbkdf2, "pw")


def test_same_salt_same_hash_as_werkzeug() -> None:
    """With the salt fixed, the hash string is Werkzeug's exactly."""
    for method in FAST_METHODS:
        theirs = wz_security.generate_password_hash("pw", method)
        _method, salt, _digest = theirs.split("$")
        from erlen.security import _hash

        full, digest = _hash(method, salt, "pw")
        assert f"{full}${salt}${digest}" == theirs


def test_salts_are_random() -> None:
    hashes = {generate_password_hash("pw", "pbkdf2:sha256:1") for _ in range(20)}
    assert len(hashes) == 20
    assert len(gen_salt(40)) == 40
    with pytest.raises(ValueError):
        gen_salt(0)


@pytest.mark.parametrize(
    "pwhash",
    [
        "",
        "garbage",
        "$$",
        "a$b",
        "a$b$c$d",
        "md5$salt$abc",
        "plain$$pw",
        "scrypt:3:8:1$salt$00",  # N not a power of two
        "scrypt:x:8:1$salt$00",
        "scrypt:32768:8$salt$00",
        "scrypt:" + "9" * 5000 + ":8:1$salt$00",
        "pbkdf2:nosuchhash:10$salt$00",
        "pbkdf2:sha256:-1$salt$00",
        "pbkdf2:sha256:0$salt$00",
        "pbkdf2:sha256:10:extra$salt$00",
        "pbkdf2:sha256:ten$salt$00",
        "pbkdf2:sha256:10$salt$not-hex-\u2603",
        "pbkdf2:sha256:10$s\udcffalt$00",
    ],
)
def test_unreadable_hash_strings_are_false(pwhash: str) -> None:
    assert check_password_hash(pwhash, "pw") is False


def test_wrong_types_are_false_not_exceptions() -> None:
    assert check_password_hash(None, "pw") is False  # type: ignore[arg-type]
    assert check_password_hash(b"pbkdf2:sha256:1$a$b", "pw") is False  # type: ignore[arg-type]


def test_unknown_method_to_generate_raises_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Invalid hash method"):
        generate_password_hash("pw", "md5")
    with pytest.raises(ValueError):
        generate_password_hash("pw", "scrypt:1:2")


def test_safe_join_is_the_one_erlen_serves_files_with() -> None:
    from erlen.http.sendfile import safe_join as sendfile_safe_join
    from erlen.security import safe_join

    assert safe_join is sendfile_safe_join
    assert safe_join("/base", "a", "b.txt") == os.path.join("/base", "a", "b.txt")
    assert safe_join("/base", "../etc/passwd") is None


# ------------------------------------------------------------------------- secure_filename

NAMED_FILENAMES = [
    "My cool movie.mov",
    "../../../etc/passwd",
    "i contain cool \xfcml\xe4uts.txt",
    "",
    "....",
    "__init__.py",
    "._.hidden",
    "a/b\\c",
    "tab\tand\nnewline.txt",
    "  spaced   out  .txt  ",
    "日本語.txt",
    "ﬁle.txt",  # a ligature NFKD splits
    "naïve café.PDF",
    "<script>alert(1)</script>.html",
    "quote\"s and 'apostrophes'.txt",
    "nul\x00byte.txt",
    "C:\\Windows\\system32\\drivers",
    "-dash-start.txt",
    "a" * 300,
    "x..y",
]


@pytest.mark.parametrize("name", NAMED_FILENAMES)
def test_secure_filename_named_cases(name: str) -> None:
    assert secure_filename(name) == wz_utils.secure_filename(name)


@settings(max_examples=500, deadline=None)
@given(st.text())
@example("CON")  # a device name: compared with Werkzeug's Windows behaviour below
def test_secure_filename_matches_werkzeug_on_any_text(name: str) -> None:
    ours = secure_filename(name)
    if ours.startswith("_") and not wz_utils.secure_filename(name).startswith("_"):
        # A Windows device name: erlen prefixes "_" on every OS (see the next tests).
        assert ours[1:] == wz_utils.secure_filename(name)
        assert ours[1:].split(".")[0].upper() in _WINDOWS_DEVICE_NAMES
        return
    assert ours == wz_utils.secure_filename(name)
    assert ours == secure_filename(ours)  # a safe name stays as it is
    assert "/" not in ours and "\\" not in ours and ours.isascii()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from('aZ09 ._-/\\:*?"<>|\t\xe9\u00df\u2603')))
def test_secure_filename_matches_werkzeug_on_path_like_text(name: str) -> None:
    ours = secure_filename(name)
    assert ours == wz_utils.secure_filename(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("LPT9", "_LPT9"),
        ("aux", "_aux"),
        ("CONIN$", "CONIN"),  # "$" is dropped, and CONIN is no device
        ("console.txt", "console.txt"),
        ("com10", "com10"),
    ],
)
def test_windows_device_names_get_an_underscore_on_every_os(
    name: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert secure_filename(name) == expected
    # Werkzeug does the same, but only when it runs on Windows.
    monkeypatch.setattr(os, "name", "nt")
    assert wz_utils.secure_filename(name) == expected


# ------------------------------------------------------------------------------ ProxyFix


def _probe_app(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]


ENVIRON_KEYS = ("REMOTE_ADDR", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT")


def _environ(**headers: str) -> dict[str, t.Any]:
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "REMOTE_ADDR": "10.0.0.1",
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "internal:8000",
        "SERVER_NAME": "internal",
        "SERVER_PORT": "8000",
    }
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    return environ


def _after(middleware_class: t.Any, environ: dict[str, t.Any], **kwargs: int) -> dict[str, t.Any]:
    seen: dict[str, t.Any] = {}

    def app(env: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        seen.update(env)
        return _probe_app(env, start_response)

    middleware_class(app, **kwargs)(dict(environ), lambda *a: None)
    return seen


PROXY_CASES = [
    ({}, {}),
    ({"x_forwarded_for": "1.2.3.4"}, {}),
    ({"x_forwarded_for": "6.6.6.6, 1.2.3.4"}, {}),
    ({"x_forwarded_for": "6.6.6.6, 1.2.3.4"}, {"x_for": 2}),
    ({"x_forwarded_for": "1.2.3.4"}, {"x_for": 2}),  # fewer entries than proxies: ignored
    ({"x_forwarded_for": ""}, {}),
    ({"x_forwarded_proto": "https"}, {}),
    ({"x_forwarded_proto": "http, https"}, {"x_proto": 1}),
    ({"x_forwarded_host": "example.com"}, {"x_host": 1}),
    ({"x_forwarded_host": "example.com:8443"}, {"x_host": 1}),
    ({"x_forwarded_host": "[::1]:8443"}, {"x_host": 1}),
    ({"x_forwarded_host": "example.com"}, {}),  # x_host=0: not trusted
    ({"x_forwarded_port": "8443"}, {"x_port": 1}),
    ({"x_forwarded_host": "example.com", "x_forwarded_port": "443"}, {"x_host": 1, "x_port": 1}),
    ({"x_forwarded_prefix": "/app/"}, {"x_prefix": 1}),
    ({"x_forwarded_prefix": "/a, /b"}, {"x_prefix": 1}),
    (
        {
            "x_forwarded_for": "7.7.7.7, 1.1.1.1, 2.2.2.2",
            "x_forwarded_proto": "https, https",
            "x_forwarded_host": "a.com, b.com",
        },
        {"x_for": 2, "x_proto": 2, "x_host": 2},
    ),
]


@pytest.mark.parametrize(("headers", "kwargs"), PROXY_CASES)
def test_proxy_fix_matches_werkzeug(headers: dict[str, str], kwargs: dict[str, int]) -> None:
    environ = _environ(**headers)
    ours = _after(ProxyFix, environ, **kwargs)
    theirs = _after(wz_proxy_fix.ProxyFix, environ, **kwargs)
    for key in (*ENVIRON_KEYS, "SCRIPT_NAME", "werkzeug.proxy_fix.orig"):
        assert ours.get(key) == theirs.get(key), key


def test_proxy_fix_in_an_app() -> None:
    app = Erlen("proxied")

    @app.route("/where")
    def where() -> dict[str, t.Any]:
        return {
            "remote": request.remote_addr,
            "url": url_for("where", _external=True),
            "secure": request.is_secure,
        }

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_prefix=1)  # type: ignore[method-assign]
    response = app.test_client().get(
        "/where",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "public.example",
            "X-Forwarded-Prefix": "/shop",
        },
    )
    assert response.json == {
        "remote": "203.0.113.7",
        "url": "https://public.example/shop/where",
        "secure": True,
    }


def test_proxy_fix_forwarded_host_is_checked_like_host() -> None:
    app = Erlen("proxied")
    app.add_url_rule("/", "index", lambda: url_for("index", _external=True))
    app.wsgi_app = ProxyFix(app.wsgi_app, x_host=1)  # type: ignore[method-assign]
    client = app.test_client()
    assert client.get("/", headers={"X-Forwarded-Host": "good.com@evil.com"}).status_code == 400
    app.config["TRUSTED_HOSTS"] = ["good.com"]
    assert client.get("/", headers={"X-Forwarded-Host": "evil.com"}).status_code == 400
    assert client.get("/", headers={"X-Forwarded-Host": "good.com"}).data == b"http://good.com/"


# -------------------------------------------------------------------- DispatcherMiddleware


def _recording_app(name: str) -> t.Any:
    def app(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{name} {environ['SCRIPT_NAME']!r} {environ['PATH_INFO']!r}".encode()]

    return app


MOUNTS = {
    "/api": _recording_app("api"),
    "/api/v2": _recording_app("v2"),
    "/static/": _recording_app("static-slash"),
    "/ü": _recording_app("umlaut"),
}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "",
        "/api",
        "/api/",
        "/api/users/1",
        "/apix",
        "/api/v2",
        "/api/v2/x",
        "/api/v3",
        "/static/",
        "/static/a.css",
        "/ü/x",
        "//api",
        "/other/api",
    ],
)
@pytest.mark.parametrize("script_name", ["", "/root"])
def test_dispatcher_matches_werkzeug(path: str, script_name: str) -> None:
    def run(cls: t.Any) -> bytes:
        environ = {"SCRIPT_NAME": script_name, "PATH_INFO": path, "REQUEST_METHOD": "GET"}
        return b"".join(cls(_recording_app("default"), MOUNTS)(environ, lambda *a: None))

    assert run(DispatcherMiddleware) == run(wz_dispatcher.DispatcherMiddleware)


def test_dispatcher_mounts_erlen_apps() -> None:
    front, api = Erlen("front"), Erlen("api")
    front.add_url_rule("/", "index", lambda: "front")
    api.add_url_rule("/users/<int:uid>", "user", lambda uid: url_for("user", uid=uid))
    front.wsgi_app = DispatcherMiddleware(front.wsgi_app, {"/api": api})  # type: ignore[method-assign]
    client = front.test_client()
    assert client.get("/").data == b"front"
    assert client.get("/api/users/7").data == b"/api/users/7"
    assert client.get("/api/nope").status_code == 404
    assert client.get("/nope").status_code == 404
