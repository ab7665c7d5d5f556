"""The fast paths of the session cookie and form parsing give exactly what the plain paths give.

Each fast path (a proof that zlib cannot shrink a payload, HMAC with precomputed pads, tagged JSON
without the tag walk, form unescaping in one pass) is checked against the reference it replaces,
on hand-picked cases and on many seeded random ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import zlib
from collections import OrderedDict
from urllib.parse import unquote

import itsdangerous
import pytest

import erlen
from erlen.http.exceptions import BadRequest, RequestEntityTooLarge
from erlen.http.formparser import _parse_pairs, _unquote, parse_qsl_limited
from erlen.json.tag import JSONTag, TaggedJSONSerializer
from erlen.sessions.cookie_signer import CookieSigner, _cannot_shrink, _Mac

# --------------------------------------------------------------------------- compression


def test_tiny_payloads_skip_zlib_and_compressible_ones_do_not() -> None:
    assert _cannot_shrink(b'{"count":1}')
    assert _cannot_shrink(b"")
    assert not _cannot_shrink(b'{"a":"aaaaaaaaaaaaaaaa"}')  # a repeated 3-byte sequence
    assert not _cannot_shrink(b"x" * 26)  # too long to prove anything


@pytest.mark.parametrize("alphabet", [b"ab", b"abcd", b'{"}:,0123456789abc', bytes(range(256))])
def test_cannot_shrink_is_never_wrong(alphabet: bytes) -> None:
    rnd = random.Random(alphabet)
    proven = 0
    for _ in range(20_000):
        data = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 27)))
        if _cannot_shrink(data):
            proven += 1
            assert len(zlib.compress(data)) >= len(data) - 1, data
    assert proven > 0


def test_signer_is_byte_identical_to_itsdangerous_on_random_sessions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: 1_780_000_000)
    monkeypatch.setattr(CookieSigner, "get_timestamp", lambda self: 1_780_000_000)
    serializer = TaggedJSONSerializer()
    ours = CookieSigner(["old", "key"], "cookie-session", hashlib.sha1, serializer)
    theirs = itsdangerous.URLSafeTimedSerializer(
        ["old", "key"],  # type: ignore[arg-type]
        salt="cookie-session",
        serializer=serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    rnd = random.Random(7)
    compressed = plain = 0
    for _ in range(500):
        session = {
            rnd.choice("abcxyz"): rnd.choice([rnd.randint(0, 99), "ab" * rnd.randint(0, 9), None])
            for _ in range(rnd.randint(0, 4))
        }
        cookie = ours.dumps(session)
        assert cookie == theirs.dumps(session)
        assert theirs.loads(cookie) == session == ours.loads(cookie)
        if cookie.startswith("."):
            compressed += 1
        else:
            plain += 1
    assert compressed and plain


# --------------------------------------------------------------------------- HMAC


@pytest.mark.parametrize("key_size", [0, 1, 20, 63, 64, 65, 128, 200])
@pytest.mark.parametrize("digest", [hashlib.sha1, hashlib.sha256, hashlib.sha512, "sha1"])
def test_mac_equals_hmac(key_size: int, digest: object) -> None:
    key = bytes(range(key_size % 256)) * (key_size // 256 + 1)
    key = key[:key_size]
    mac = _Mac(key, digest)
    for msg in (b"", b"payload.stamp", b"x" * 1000):
        assert mac.sign(msg) == hmac.digest(key, msg, digest)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- tagged JSON


VALUES = [
    {},
    {"count": 1},
    {"a": [1, 2.5, None, True, "x"], "b": {"c": {"d": []}}},
    {"t": (1, 2)},
    {" t": "a dict whose only key is a tag"},
    {"nested": {" di": 1}},
    {"bytes": b"\x00", "list": [b"x", (1,)]},
]


def _reference_dumps(s: TaggedJSONSerializer, value: object) -> str:
    return erlen.json.dumps(s.tag(value), separators=(",", ":"))


@pytest.mark.parametrize("value", VALUES)
def test_tagged_dumps_and_loads_match_the_walk(value: object) -> None:
    s = TaggedJSONSerializer()
    app = erlen.Erlen(__name__)
    for ctx in (app.app_context(), None):
        if ctx is not None:
            ctx.push()
        try:
            dumped = s.dumps(value)
            assert dumped == _reference_dumps(s, value)
            assert s.loads(dumped) == s._untag_scan(erlen.json.loads(dumped)) == value
        finally:
            if ctx is not None:
                ctx.pop()


def test_a_registered_tag_still_claims_plain_values() -> None:
    class TagInt(JSONTag):
        __slots__ = ()
        key = " i"

        def check(self, value: object) -> bool:
            return type(value) is int

        def to_json(self, value: int) -> str:
            return str(value)

        def to_python(self, value: str) -> int:
            return int(value)

    s = TaggedJSONSerializer()
    s.register(TagInt, index=0)
    assert s.dumps({"n": 3}) == '{"n":{" i":"3"}}'
    assert s.loads('{"n":{" i":"3"}}') == {"n": 3}


def test_a_custom_json_provider_is_used_for_sessions() -> None:
    class Provider(erlen.json.provider.DefaultJSONProvider):
        def dumps(self, obj: object, **kwargs: object) -> str:
            return json.dumps(obj, sort_keys=False, separators=(", ", ": "))

    app = erlen.Erlen(__name__)
    app.json = Provider(app)
    s = TaggedJSONSerializer()
    with app.app_context():
        assert s.dumps(OrderedDict([("b", 1), ("a", 2)])) == '{"b": 1, "a": 2}'


# --------------------------------------------------------------------------- forms


def _reference_pairs(qs: str | bytes) -> list[tuple[str, str]]:
    if isinstance(qs, bytes):
        qs = qs.decode("utf-8", "erlen.url_quote")
    pairs = []
    for field in qs.split("&"):
        if field:
            key, _, value = field.partition("=")
            pairs.append(
                tuple(unquote(x.replace("+", " "), errors="erlen.url_quote") for x in (key, value))
            )
    return pairs  # type: ignore[return-value]


def test_form_unescaping_matches_urllib_on_random_input() -> None:
    rnd = random.Random(3)
    pieces = ["%", "%", "2", "6", "3", "D", "d", "&", "=", "+", "a", "x", "\\", "C3", "A9"]
    pieces += ["é", "\xff", "%2B", "%26", "%3D", "%3d", "F", "%zz", "%4"]
    for _ in range(20_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        for qs in (text, text.encode("utf-8"), text.encode("latin-1", "replace")):
            assert _parse_pairs(qs, None, BadRequest, "test") == _reference_pairs(qs), qs


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        (b"a%26b=c%3Dd&e=f", [("a&b", "c=d"), ("e", "f")]),
        (b"a=%E2%82%AC&b=%E2%82", [("a", "\u20ac"), ("b", "%E2%82")]),
        (b"k\\x41=%41\\", [("k\\x41", "A\\")]),
        (b"a=1+2%2B3", [("a", "1 2+3")]),
    ],
)
def test_form_unescaping_cases(qs: bytes, expected: list[tuple[str, str]]) -> None:
    assert parse_qsl_limited(qs) == expected
    assert _unquote("%41%zz%") == "A%zz%"


def test_field_limit_counts_non_empty_fields_only() -> None:
    assert len(_parse_pairs(b"a=1&&&b=2&", 2, RequestEntityTooLarge, "form")) == 2
    with pytest.raises(RequestEntityTooLarge):
        _parse_pairs(b"a=1&&b=2&c", 2, RequestEntityTooLarge, "form")
