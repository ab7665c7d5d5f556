"""The fast session-cookie signer writes and reads exactly what itsdangerous does."""

from __future__ import annotations

import hashlib

import itsdangerous
import pytest

from erlen.json.tag import TaggedJSONSerializer
from erlen.sessions.cookie_signer import CookieSigner, SignatureError, cookie_signer

SERIALIZER = TaggedJSONSerializer()
NOW = 1_780_000_000


def reference(keys: list[str]) -> itsdangerous.URLSafeTimedSerializer:
    return itsdangerous.URLSafeTimedSerializer(
        keys,  # type: ignore[arg-type]
        salt="cookie-session",
        serializer=SERIALIZER,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def signer(keys: list[str]) -> CookieSigner:
    return CookieSigner(keys, "cookie-session", hashlib.sha1, SERIALIZER)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: NOW)
    monkeypatch.setattr(CookieSigner, "get_timestamp", lambda self: NOW)


PAYLOADS = [
    {},
    {"count": 6},
    {"user": "ada", "cart": [1, 2, 3], "t": (1, b"x")},
    {"long": "abc" * 200},  # compressible: the "." form
    {"ünï": "cödé", "n": None, "f": 1.5},
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_dumps_is_byte_identical_to_itsdangerous(payload: dict) -> None:
    ours = signer(["k1", "key"]).dumps(payload)
    assert ours == reference(["k1", "key"]).dumps(payload)
    if "long" in payload:
        assert ours[0] == "."  # the compressed form


@pytest.mark.parametrize("payload", PAYLOADS)
def test_reads_itsdangerous_cookies(payload: dict) -> None:
    cookie = reference(["key"]).dumps(payload)
    assert signer(["old", "key"]).loads(cookie, max_age=60) == payload
    assert reference(["key"]).loads(signer(["key"]).dumps(payload)) == payload


def test_fallback_key_is_accepted_but_never_signs() -> None:
    cookie = signer(["old"]).dumps({"a": 1})
    rotated = signer(["old", "new"])
    assert rotated.loads(cookie) == {"a": 1}
    assert rotated.dumps({"a": 1}) == signer(["new"]).dumps({"a": 1})


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-2] + ("A" if c[-2] != "A" else "B") + c[-1],  # signature
        lambda c: "x" + c,  # payload
        lambda c: c.replace(".", "", 1),  # a missing part
        lambda c: c.rsplit(".", 1)[0],  # no signature
        lambda c: "",
        lambda c: "....",
    ],
)
def test_tampered_cookies_are_refused(mangle) -> None:
    cookie = signer(["key"]).dumps({"user": "ada"})
    with pytest.raises(SignatureError):
        signer(["key"]).loads(mangle(cookie))
    with pytest.raises(SignatureError):
        signer(["other"]).loads(cookie)


def test_age_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    cookie = signer(["key"]).dumps({"a": 1})
    monkeypatch.setattr(CookieSigner, "get_timestamp", lambda self: NOW + 100)
    assert signer(["key"]).loads(cookie, max_age=100) == {"a": 1}
    with pytest.raises(SignatureError):
        signer(["key"]).loads(cookie, max_age=99)
    monkeypatch.setattr(CookieSigner, "get_timestamp", lambda self: NOW - 1)
    with pytest.raises(SignatureError):  # from the future
        signer(["key"]).loads(cookie, max_age=100)


def test_signers_are_cached_per_settings() -> None:
    a = cookie_signer(["key"], "cookie-session", hashlib.sha1, SERIALIZER)
    assert cookie_signer(["key"], "cookie-session", hashlib.sha1, SERIALIZER) is a
    assert cookie_signer(["other"], "cookie-session", hashlib.sha1, SERIALIZER) is not a
    assert cookie_signer(["key"], "other-salt", hashlib.sha1, SERIALIZER) is not a
