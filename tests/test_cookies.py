"""Cookie header parsing and Set-Cookie building (RFC 6265), with Werkzeug as the oracle."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug import http as wz

from erlen.http.cookies import dump_cookie, parse_cookie, parse_cookie_pairs
from erlen.http.dates import parse_date

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")

# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=b; c=d", [("a", "b"), ("c", "d")]),
        ("a=b;c=d;a=e", [("a", "b"), ("c", "d"), ("a", "e")]),
        (" a = b ; c", [("a", "b"), ("c", "")]),
        ("a=", [("a", "")]),
        ("a=b=c", [("a", "b=c")]),
        (";;a=1;;", [("a", "1")]),
        ("a=1,b=2", [("a", "1,b=2")]),
        ('a="x y"', [("a", "x y")]),
        ('a=""', [("a", "")]),
        ('a="abc', [("a", '"abc')]),
        ('a="\\073b"', [("a", ";b")]),
        ('a="x\\"y\\\\z"', [("a", 'x"y\\z')]),
        ('a="\\303\\274"', [("a", "ü")]),
        ('a="\\q"', [("a", "q")]),
        ('a="\\400"', [("a", "400")]),
        ("$Version=1; a=b", [("$Version", "1"), ("a", "b")]),
        ("a=%20", [("a", "%20")]),
        ("", []),
        (None, []),
    ],
)
def test_parse_cookie_pairs(header: str | None, expected: list[tuple[str, str]]) -> None:
    assert parse_cookie_pairs(header) == expected


@pytest.mark.parametrize(
    "header", ["=__Host-x=bad", "=__Host-x=bad; a=1", "a=1; =__Secure-y=bad", " =x", "=v"]
)
def test_nameless_pair_is_dropped(header: str) -> None:
    # SECURITY: CVE-2023-23934, a nameless cookie must not become a __Host- cookie.
    pairs = parse_cookie_pairs(header)
    assert all(not name.startswith(("__Host-", "__Secure-")) for name, _ in pairs)
    assert all(name for name, _ in pairs)
    assert parse_cookie_pairs("=__Host-x=bad; a=1") == [("a", "1")]


def test_parse_cookie_decodes_utf8() -> None:
    # WSGI gives latin-1 decoded text, ASGI gives bytes; both decode as UTF-8.
    assert parse_cookie_pairs("a=\xc3\xbc") == [("a", "ü")]
    assert parse_cookie_pairs(b"a=\xc3\xbc") == [("a", "ü")]
    assert parse_cookie_pairs("a=ü€") == [("a", "ü€")]


def test_parse_cookie_invalid_utf8_is_replaced() -> None:
    assert parse_cookie_pairs(b"a=\xff; b=1") == [("a", "\ufffd"), ("b", "1")]
    assert parse_cookie_pairs("a=\xff") == [("a", "\ufffd")]
    assert parse_cookie_pairs('b="\\377"') == [("b", "\ufffd")]


def test_parse_cookie_mapping() -> None:
    assert parse_cookie("a=1; b=2; a=3") == {"a": "1", "b": "2"}
    assert parse_cookie("a=1; a=3", cls=list) == [("a", "1"), ("a", "3")]


@given(st.text(max_size=80))
@settings(max_examples=500)
def test_parse_never_raises(header: str) -> None:
    for name, value in parse_cookie_pairs(header):
        assert name and isinstance(value, str)
    parse_cookie_pairs(header.encode("utf-8", "surrogatepass"))


@given(st.text(alphabet=st.characters(min_codepoint=0x0B, max_codepoint=0x7E), max_size=30))
@settings(max_examples=500)
def test_parse_agrees_with_werkzeug(header: str) -> None:
    expected = list(wz.parse_cookie(header).items(multi=True))
    assert sorted(parse_cookie_pairs(header)) == sorted(expected)


# -- dumping ---------------------------------------------------------------------------------


def test_attribute_order_matches_werkzeug() -> None:
    kwargs = dict(
        max_age=10,
        expires=5,
        path="/p",
        domain=".example.com",
        secure=True,
        httponly=True,
        samesite="lax",
        partitioned=True,
    )
    header = dump_cookie("a", "b", **kwargs)  # type: ignore[arg-type]
    assert header == (
        "a=b; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:05 GMT; Max-Age=10; "
        "Secure; HttpOnly; Path=/p; SameSite=Lax; Partitioned"
    )
    assert header == wz.dump_cookie("a", "b", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"path": None},
        {"path": "/a b/ü"},
        {"domain": "example.com"},
        {"domain": "ü.com"},
        {"domain": "localhost"},
        {"max_age": timedelta(seconds=10), "sync_expires": False},
        {"max_age": 0, "expires": 0},
        {"expires": datetime(2020, 1, 1)},
        {"expires": datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=2)))},
        {"expires": "Wed, 21 Oct 2015 07:28:00 GMT"},
        {"samesite": "None", "secure": True},
        {"samesite": "STRICT"},
        {"partitioned": True},
        {"httponly": True},
    ],
)
def test_dump_matches_werkzeug(kwargs: dict[str, object]) -> None:
    assert dump_cookie("k", "v", **kwargs) == wz.dump_cookie("k", "v", **kwargs)  # type: ignore[arg-type]


def test_max_age_sets_expires() -> None:
    header = dump_cookie("a", "b", max_age=timedelta(hours=1))
    assert "Max-Age=3600" in header
    expires = parse_date(header.split("Expires=")[1].split(";")[0])
    assert expires is not None
    delta = expires - datetime.now(timezone.utc)
    assert 3590 < delta.total_seconds() <= 3600


def test_partitioned_implies_secure() -> None:
    assert dump_cookie("a", partitioned=True, path=None) == "a=; Secure; Partitioned"


@pytest.mark.parametrize("samesite", ["foo", "", "laxx"])
def test_invalid_samesite(samesite: str) -> None:
    with pytest.raises(ValueError):
        dump_cookie("a", "b", samesite=samesite)


INJECTIONS = [
    "a;b",
    "x; Domain=evil.example",
    "x\r\nSet-Cookie: admin=1",
    'say "hi"',
    "a,b",
    "back\\slash",
    "ünïcødé €",
    "tab\there",
    "\x00\x1a\x1f\x7f",
    "",
    "plain",
    "\\303\\274",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_values_are_quoted_and_round_trip(value: str) -> None:
    header = dump_cookie("k", value, path=None)
    # SECURITY: nothing after the value can be read as an attribute or a new header line.
    assert "\r" not in header and "\n" not in header
    assert header.count(";") == 0
    assert parse_cookie_pairs(header) == [("k", value)]
    assert list(wz.parse_cookie(header).items(multi=True)) == [("k", value)]


@pytest.mark.parametrize("value", INJECTIONS[:8])
def test_quoting_matches_werkzeug(value: str) -> None:
    assert dump_cookie("k", value) == wz.dump_cookie("k", value)


@given(st.text(max_size=40))
@settings(max_examples=500)
def test_any_value_round_trips(value: str) -> None:
    value = value.encode("utf-8", "replace").decode("utf-8")
    header = dump_cookie("k", value, path=None)
    assert header.isascii() and ";" not in header
    assert all(c >= " " and c != "\x7f" for c in header)
    assert parse_cookie_pairs(header) == [("k", value)]


@pytest.mark.parametrize(
    "key", ["", "a b", "a;b", "a\r\nb", "a=b", "a,b", 'a"b', "a(b", "a/b", "ü", "a\x00"]
)
def test_invalid_key_raises(key: str) -> None:
    with pytest.raises(ValueError):
        dump_cookie(key, "v")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"path": "/a;b"},
        {"path": "/a\r\nSet-Cookie: x=1"},
        {"path": "/a\nb"},
        {"domain": "a;b"},
        {"domain": "example.com\r\nX: y"},
        {"domain": "exa mple.com"},
        {"expires": "Wed, 21 Oct 2015; Secure"},
    ],
)
def test_attribute_injection_raises(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        dump_cookie("a", "b", **kwargs)  # type: ignore[arg-type]


def test_domain_leading_dot_and_idna() -> None:
    assert dump_cookie("a", "b", domain=".example.com", path=None) == "a=b; Domain=example.com"
    assert dump_cookie("a", "b", domain=".ü.com", path=None) == "a=b; Domain=xn--tda.com"


def test_size_warning() -> None:
    with pytest.warns(UserWarning, match="too large"):
        dump_cookie("a", "x" * 5000)
    with pytest.warns(UserWarning):
        dump_cookie("a", "x" * 4084)  # 4094 bytes with "a=" and "; Path=/"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dump_cookie("a", "x" * 4083)  # exactly 4093 bytes
        dump_cookie("a", "x" * 5000, max_size=0)
        dump_cookie("a", "x" * 100, max_size=200)
    with pytest.warns(UserWarning):
        dump_cookie("a", "x" * 100, max_size=50)


def test_size_warning_threshold_matches_werkzeug() -> None:
    for size in (4082, 4083, 4084, 4085):
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            dump_cookie("a", "x" * size)
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            wz.dump_cookie("a", "x" * size)
        assert len(ours) == len(theirs)


def test_bytes_value() -> None:
    assert dump_cookie("a", b"x y", path=None) == 'a="x y"'
