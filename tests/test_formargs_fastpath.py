"""The fast paths of ``request.args`` and ``request.form`` against the general ones.

``args`` is parsed straight into the multi-dict's ``{key: [values]}`` storage when the storage
class is the stock ``ImmutableMultiDict``; a urlencoded body with a plain declared length is read
from ``wsgi.input`` in one call and parsed the same way (inside ``Request.form``). A
subclass overriding a hook the fast path reads differently takes the general path. Both paths
must give the same fields, the same body afterwards and the same errors, on any input; the
parser is also compared with an independent statement of the decoding rules.
"""

from __future__ import annotations

import io
import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import erlen
from erlen.datastructures import ImmutableMultiDict
from erlen.exceptions import BadRequest, ClientDisconnected, HTTPException, RequestEntityTooLarge
from erlen.http import request as http_request
from erlen.http.ordered_multidict import ImmutableOrderedMultiDict
from erlen.http.request import Request
from erlen.http.urlencoded import _parse_lists, _parse_pairs, parse_qs_lists, parse_qsl_limited
from erlen.wrappers import Request as AppRequest

URLENCODED = "application/x-www-form-urlencoded"


class GeneralRequest(Request):
    """Overrides a hook the fast path reads in its own way, so it takes the general path."""

    @property
    def want_form_data_parsed(self) -> bool:
        return bool(self.environ.get("CONTENT_TYPE"))


class GeneralAppRequest(AppRequest):
    @property
    def want_form_data_parsed(self) -> bool:
        return bool(self.environ.get("CONTENT_TYPE"))


class ListArgsRequest(Request):
    """Another storage class: ``args`` goes through the pairs."""

    parameter_storage_class = ImmutableOrderedMultiDict


def _environ(
    body: bytes = b"",
    *,
    content_type: str | None = URLENCODED,
    length: str | None = "auto",
    query: str = "",
    stream: t.Any = None,
) -> dict[str, t.Any]:
    env: dict[str, t.Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream if stream is not None else io.BytesIO(body),
    }
    if content_type is not None:
        env["CONTENT_TYPE"] = content_type
    if length == "auto":
        env["CONTENT_LENGTH"] = str(len(body))
    elif length is not None:
        env["CONTENT_LENGTH"] = length
    return env


def _outcome(cls: type[Request], env: dict[str, t.Any], **limits: t.Any) -> t.Any:
    """What a view sees: the form's lists and files, then the body left, or the error."""
    request = cls(env)
    for name, value in limits.items():
        setattr(request, name, value)
    try:
        form = request.form
        files = request.files
        rest = request.get_data()
        stream_rest = request.stream.read()
    except HTTPException as e:
        return type(e), e.code
    return (
        type(form),
        list(form.lists()),
        type(files),
        len(files),
        rest,
        stream_rest,
        "form" in request.__dict__,
    )


def _compare(env_factory: t.Callable[[], dict[str, t.Any]], **limits: t.Any) -> t.Any:
    fast = _outcome(Request, env_factory(), **limits)
    general = _outcome(GeneralRequest, env_factory(), **limits)
    assert fast == general
    return fast


# --------------------------------------------------------------------------- the parser


_PIECES = [
    "%", "%2", "%26", "%3D", "%3d", "%2B", "%zz", "%4", "%C3", "%A9", "%E2%82", "%ff", "%00",
    "&", "&&", "=", "==", ";", "+", "a", "k", "x", "\\", "\\x41", "é", "\xff", "\u20ac", " ",
]  # fmt: skip
_text = st.lists(st.sampled_from(_PIECES), max_size=16).map("".join)
_qs = st.one_of(
    _text,
    _text.map(lambda s: s.encode("utf-8")),
    _text.map(lambda s: s.encode("latin-1", "replace")),
    st.binary(max_size=40),
)


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for key, value in pairs:
        lists.setdefault(key, []).append(value)
    return lists


@settings(max_examples=1500, deadline=None)
@given(_qs, st.sampled_from([None, 0, 1, 2, 3, 1000]))
def test_lists_are_the_pairs_grouped(qs: str | bytes, max_fields: int | None) -> None:
    try:
        expected: t.Any = _grouped(_parse_pairs(qs, max_fields, BadRequest, "test"))
    except BadRequest as e:
        expected = str(e)
    try:
        got: t.Any = _parse_lists(qs, max_fields, BadRequest, "test")
    except BadRequest as e:
        got = str(e)
    assert got == expected
    assert list(got) == list(expected) if isinstance(got, dict) else True


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        ("", {}),
        ("&&&", {}),
        ("a", {"a": [""]}),
        ("=", {"": [""]}),
        ("=x&=y", {"": ["x", "y"]}),
        ("a=1;b=2", {"a": ["1;b=2"]}),
        ("tag=a&q=x&tag=b", {"tag": ["a", "b"], "q": ["x"]}),
        ("a%26b=c%3Dd&a%26b=%zz", {"a&b": ["c=d", "%zz"]}),
        ("a=b=c&d", {"a": ["b=c"], "d": [""]}),
        (b"a=%C3%A9&b=\xff%fe&%E2%82=1", {"a": ["é"], "b": ["%FF%FE"], "%E2%82": ["1"]}),
        ("k\\x41=%41\\", {"k\\x41": ["A\\"]}),
        ("a=1+2%2B3", {"a": ["1 2+3"]}),
    ],
)
def test_parse_qs_lists_cases(qs: str | bytes, expected: dict[str, list[str]]) -> None:
    assert parse_qs_lists(qs) == expected
    assert _grouped(parse_qsl_limited(qs)) == expected


def test_field_limits_count_non_empty_fields_on_both_paths() -> None:
    assert parse_qs_lists("a=1&&&b=2&", 2) == {"a": ["1"], "b": ["2"]}
    for qs in ("a=1&&b=2&c", "&".join(["a=1"] * 1001)):
        with pytest.raises(BadRequest):
            parse_qs_lists(qs, 2 if len(qs) < 20 else 1000)
    huge = "&".join(f"k{i}=%41{i}" for i in range(5000))
    assert len(parse_qs_lists(huge, None)) == 5000
    with pytest.raises(RequestEntityTooLarge):
        _parse_lists(huge.encode(), 4999, RequestEntityTooLarge, "form")


# --------------------------------------------------------------------------- request.args


@settings(max_examples=800, deadline=None)
@given(_text)
def test_args_fast_path_equals_the_pairs_path(query: str) -> None:
    env = _environ(query=query)
    fast = Request(env).args
    general = ListArgsRequest(dict(env)).args
    assert type(fast) is ImmutableMultiDict
    assert type(general) is ImmutableOrderedMultiDict
    assert list(fast.lists()) == list(_grouped(list(general.items(multi=True))).items())
    # A non-ASCII (latin-1) QUERY_STRING is decoded from its bytes on both paths.
    assert fast == ImmutableMultiDict(parse_qsl_limited(Request(env).query_string))


def test_args_limit_and_subclass_storage() -> None:
    env = _environ(query="&".join(["a=1"] * 6))
    request = Request(env)
    request.max_form_fields = 5
    with pytest.raises(BadRequest):
        request.args  # noqa: B018
    assert Request(_environ(query="")).args == {}
    ordered = ListArgsRequest(_environ(query="b=1&a=2&b=3")).args
    assert list(ordered.items(multi=True)) == [("b", "1"), ("a", "2"), ("b", "3")]
    with pytest.raises(TypeError):
        Request(_environ(query="a=1")).args["b"] = "2"  # type: ignore[index]


# --------------------------------------------------------------------------- request.form


_bodies = st.one_of(_text.map(lambda s: s.encode("utf-8")), st.binary(max_size=60))


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies, st.sampled_from([None, 0, 5, 40]), st.sampled_from([None, 0, 4, 30]))
def test_form_fast_path_equals_the_general_path(
    body: bytes, memory: int | None, max_fields: int | None
) -> None:
    limits: dict[str, t.Any] = {}
    if memory is not None:
        limits["max_form_memory_size"] = memory
    if max_fields is not None:
        limits["max_form_fields"] = max_fields
    _compare(lambda: _environ(body), **limits)


@pytest.mark.parametrize(
    "length",
    ["0", "10", "16", "17", "100", " 16", "016", "+16", "1_6", "\u0661\u0666", "-1", "x", "", None],
)
def test_declared_lengths_agree(length: str | None) -> None:
    body = b"name=a&email=b%40"  # 17 bytes
    outcome = _compare(lambda: _environ(body, length=length))
    if length == "17":
        assert outcome[1] == [("name", ["a"]), ("email", ["b@"])]
    if length in ("100",):
        assert outcome == (ClientDisconnected, 400)
    if length in ("-1", "x"):
        assert outcome == (BadRequest, 400)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"max_content_length": 10}, (RequestEntityTooLarge, 413)),
        ({"max_content_length": 17}, None),
        ({"max_form_memory_size": 16}, (RequestEntityTooLarge, 413)),
        ({"max_form_memory_size": 17}, None),
        ({"max_form_fields": 1}, (RequestEntityTooLarge, 413)),
        ({"max_form_fields": 2}, None),
    ],
)
def test_limits_on_the_request(limits: dict[str, int], expected: t.Any) -> None:
    outcome = _compare(lambda: _environ(b"name=a&email=b%40"), **limits)
    if expected is None:
        assert outcome[1] == [("name", ["a"]), ("email", ["b@"])]
    else:
        assert outcome == expected


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"MAX_CONTENT_LENGTH": 10}, 413),
        ({"MAX_FORM_MEMORY_SIZE": 10}, 413),
        ({"MAX_FORM_FIELDS": 1}, 413),
        ({"MAX_FORM_FIELDS": 2, "MAX_FORM_MEMORY_SIZE": 17, "MAX_CONTENT_LENGTH": 17}, 200),
    ],
)
def test_limits_from_the_app_config(config: dict[str, int], expected: int) -> None:
    for request_class in (AppRequest, GeneralAppRequest):
        app = erlen.Erlen(__name__)
        app.request_class = request_class
        app.config.update(config)

        @app.post("/")
        def view() -> str:
            return repr(sorted(erlen.request.form.items()))

        response = app.test_client().post("/", data=b"name=a&email=b%40", content_type=URLENCODED)
        assert response.status_code == expected
        if expected == 200:
            assert response.text == "[('email', 'b@'), ('name', 'a')]"


def test_chunked_body_takes_the_general_path_and_keeps_its_limit() -> None:
    def env(body: bytes) -> dict[str, t.Any]:
        e = _environ(body, length=None)
        e["wsgi.input_terminated"] = True
        return e

    ok = _compare(lambda: env(b"a=1&b=2"))
    assert ok[1] == [("a", ["1"]), ("b", ["2"])]
    assert _compare(lambda: env(b"a=" + b"x" * 50), max_content_length=20) == (
        RequestEntityTooLarge,
        413,
    )
    # Without a length and without wsgi.input_terminated nothing is read.
    assert _compare(lambda: _environ(b"a=1", length=None))[1] == []


class _Trickle(io.RawIOBase):
    """A server stream that gives one byte per read."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        out, self.data = self.data[:1], self.data[1:]
        return out


class _Broken(io.RawIOBase):
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise self.error


def test_server_streams_agree() -> None:
    body = b"name=a&email=b%40"
    assert _compare(lambda: _environ(body, stream=_Trickle(body)))[1] == [
        ("name", ["a"]),
        ("email", ["b@"]),
    ]
    assert _compare(lambda: _environ(body, length="20", stream=_Trickle(body))) == (
        ClientDisconnected,
        400,
    )
    assert _compare(lambda: _environ(body, stream=_Broken(OSError("reset")))) == (
        ClientDisconnected,
        400,
    )
    assert _compare(lambda: _environ(body, stream=_Broken(ValueError("bad chunk")))) == (
        BadRequest,
        400,
    )


def test_body_after_the_form() -> None:
    body = b"a=1&b=2"
    # Read first, then the form: the cached bytes are parsed (general path), and kept.
    request = Request(_environ(body))
    assert request.get_data() == body
    assert request.form == {"a": "1", "b": "2"}
    assert request.get_data() == body
    # The form first: the body is consumed; the stream is at its end, as Werkzeug's would be.
    request = Request(_environ(body))
    assert request.form["b"] == "2"
    assert request.stream.read() == b""
    assert request.stream.tell() == len(body)
    assert request.data == b""
    # Shallow requests never read.
    request = Request(_environ(body), shallow=True)
    with pytest.raises(RuntimeError):
        request.form  # noqa: B018


def test_files_of_urlencoded_requests_are_empty_and_immutable() -> None:
    first = Request(_environ(b"a=1"))
    second = Request(_environ(b"b=2"))
    assert first.files == {} and second.files == {}
    assert type(first.files) is ImmutableMultiDict
    with pytest.raises(TypeError):
        first.files["x"] = "y"  # type: ignore[assignment, index]
    first.close()


def test_debug_explanation_does_not_leak_into_other_requests() -> None:
    app = erlen.Erlen(__name__)
    app.debug = True

    @app.post("/")
    def view() -> str:
        try:
            erlen.request.files["a"]
        except KeyError as e:
            return type(e).__name__
        return "found"

    client = app.test_client()
    for _ in range(2):
        response = client.post("/", data=b"a=1", content_type=URLENCODED)
        assert response.text == "DebugFilesKeyError"
    assert type(http_request._NO_FILES) is ImmutableMultiDict
    assert not hasattr(http_request._NO_FILES, "_erlen_request")


# --------------------------------------------------------------------------- subclass hooks


def test_overriding_hooks_takes_the_general_path() -> None:
    assert Request._fast_form and AppRequest._fast_form
    assert not GeneralRequest._fast_form

    class OwnStream(Request):
        @property
        def stream(self) -> t.Any:  # type: ignore[override]
            return io.BytesIO(b"b=2")

    assert not OwnStream._fast_form
    assert OwnStream(_environ(b"a=1")).form == {"b": "2"}

    class OwnMimetype(Request):
        @property
        def mimetype(self) -> str:
            return "text/plain"

    assert OwnMimetype(_environ(b"a=1")).form == {}

    request = ListArgsRequest(_environ(b"b=1&a=2&b=3"))
    assert type(request.form) is ImmutableOrderedMultiDict
    assert list(request.form.items(multi=True)) == [("b", "1"), ("a", "2"), ("b", "3")]

    # The storage class set on one instance is honoured too.
    request = Request(_environ(b"a=1"))
    request.parameter_storage_class = ImmutableOrderedMultiDict  # type: ignore[misc]
    assert type(request.form) is ImmutableOrderedMultiDict


def test_overridden_limits_are_honoured() -> None:
    class FewFields(Request):
        @property
        def max_form_fields(self) -> int | None:  # type: ignore[override]
            return 1

    with pytest.raises(RequestEntityTooLarge):
        FewFields(_environ(b"a=1&b=2")).form  # noqa: B018

    class SmallDefault(AppRequest):
        def _limit_default(self, key: str, default: int | None) -> int | None:
            return 3 if key == "MAX_FORM_MEMORY_SIZE" else default

    assert not SmallDefault._own_limits and AppRequest._own_limits
    app = erlen.Erlen(__name__)
    with app.app_context():
        with pytest.raises(RequestEntityTooLarge):
            SmallDefault(_environ(b"a=1&b=2")).form  # noqa: B018
        assert AppRequest(_environ(b"a=1&b=2")).form == {"a": "1", "b": "2"}

    class OwnLoad(Request):
        def _load_form_data(self) -> None:
            self.__dict__["form"] = ImmutableMultiDict([("own", "1")])
            self.__dict__["files"] = ImmutableMultiDict()

    assert OwnLoad(_environ(b"a=1")).form == {"own": "1"}


def test_form_limits_hook_reads_the_properties() -> None:
    request = AppRequest(_environ(b""))
    assert request._form_limits() == (None, 500_000, 1000)
    app = erlen.Erlen(__name__)
    app.config.update(MAX_CONTENT_LENGTH=7, MAX_FORM_MEMORY_SIZE=8, MAX_FORM_FIELDS=9)
    with app.app_context():
        assert request._form_limits() == (7, 8, 9)
        request.max_form_fields = 2
        assert request._form_limits() == (7, 8, 2)
        assert request._form_limits() == (
            request.max_content_length,
            request.max_form_memory_size,
            request.max_form_fields,
        )


# --------------------------------------------------------------------------- second round


def _reference_lists(qs: str | bytes) -> dict[str, list[str]]:
    """An independent statement of the decoding rules, for comparing the parser against:
    fields split on "&" (empty ones dropped), key and value on the first "=", "+" a space,
    each escape undone on its own field part, bytes that are not UTF-8 shown as %XX."""
    from urllib.parse import unquote_to_bytes

    if isinstance(qs, str):
        qs = qs.encode("utf-8", "surrogateescape")
    lists: dict[str, list[str]] = {}
    for field in qs.split(b"&"):
        if not field:
            continue
        key, _, value = field.partition(b"=")

        def decode(part: bytes) -> str:
            raw = unquote_to_bytes(part.replace(b"+", b" "))
            return raw.decode("utf-8", "erlen.url_quote")

        lists.setdefault(decode(key), []).append(decode(value))
    return lists


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_text.map(lambda s: s.encode("utf-8")), st.binary(max_size=40)))
def test_lists_equal_an_independent_reference(qs: bytes) -> None:
    expected = _reference_lists(qs)
    assert _parse_lists(qs, None, BadRequest, "test") == expected
    assert list(_parse_lists(qs, None, BadRequest, "test")) == list(expected)
    text = qs.decode("utf-8", "erlen.url_quote")
    assert parse_qs_lists(text, None) == expected


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        ("a=1&&b", {"a": ["1"], "b": [""]}),
        ("&a=1&", {"a": ["1"]}),
        ("a&b&a", {"a": ["", ""], "b": [""]}),
        ("a=1;b=2&c=3", {"a": ["1;b=2"], "c": ["3"]}),
        ("a=%zz&b=%4&c=%", {"a": ["%zz"], "b": ["%4"], "c": ["%"]}),
        ("a=%C3&b=%FF%FE", {"a": ["%C3"], "b": ["%FF%FE"]}),
        ("x=1&x=2&y=3&x=4", {"x": ["1", "2", "4"], "y": ["3"]}),
        ("a%3Db=c%26d", {"a=b": ["c&d"]}),
    ],
)
def test_edge_pieces(qs: str, expected: dict[str, list[str]]) -> None:
    assert parse_qs_lists(qs) == expected
    assert _parse_lists(qs.encode(), None, RequestEntityTooLarge, "form") == expected
    assert Request(_environ(query=qs)).args.to_dict(flat=False) == expected
    assert Request(_environ(qs.encode())).form.to_dict(flat=False) == expected


@pytest.mark.parametrize("extra_empty", [0, 3])
def test_field_limits_exactly_at_and_one_over(extra_empty: int) -> None:
    for limit in (1, 2, 5):
        at = "&".join(f"k{i}=v" for i in range(limit)) + "&" * extra_empty
        over = at + "&last=1"
        assert len(parse_qs_lists(at, limit)) == limit
        with pytest.raises(BadRequest):
            parse_qs_lists(over, limit)
        # The same limits on both request paths.
        for cls in (Request, GeneralRequest):
            request = cls(_environ(at.encode(), query=at))
            request.max_form_fields = limit
            assert len(request.args) == limit and len(request.form) == limit
            request = cls(_environ(over.encode(), query=over))
            request.max_form_fields = limit
            with pytest.raises(BadRequest):
                request.args  # noqa: B018
            with pytest.raises(RequestEntityTooLarge):
                request.form  # noqa: B018


def test_files_of_a_form_request_is_computed_on_access() -> None:
    # The fast path stores no files; the attribute gives the shared empty dict.
    request = Request(_environ(b"a=1"))
    assert request.form == {"a": "1"}
    assert "files" not in request.__dict__
    assert request.files is http_request._NO_FILES
    # The general path stores files only when the body had some.
    general = GeneralRequest(_environ(b"a=1"))
    assert general.form == {"a": "1"} and "files" not in general.__dict__
    assert general.files == {} and type(general.files) is ImmutableMultiDict
    ordered = ListArgsRequest(_environ(b"a=1"))
    assert type(ordered.files) is ImmutableOrderedMultiDict
    # files first, then form: one parse, the same answers.
    request = Request(_environ(b"a=1"))
    assert request.files == {} and request.form == {"a": "1"}
    assert request.get_data() == b""


def test_multipart_files_are_stored_and_closed() -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\n'
        b'hello\r\n--B\r\nContent-Disposition: form-data; name="t"\r\n\r\nx\r\n--B--\r\n'
    )
    request = AppRequest(_environ(body, content_type="multipart/form-data; boundary=B"))
    assert request.form == {"t": "x"}
    assert "files" in request.__dict__  # the pipeline closes what it finds there
    storage = request.files["f"]
    assert storage.read() == b"hello"
    request.close()
    assert storage.stream.closed


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("request_class", [AppRequest, GeneralAppRequest])
def test_debug_explanation_on_files_after_either_path(debug: bool, request_class: t.Any) -> None:
    app = erlen.Erlen(__name__)
    app.debug = debug
    app.request_class = request_class

    @app.post("/")
    def view() -> str:
        form = dict(erlen.request.form)
        try:
            erlen.request.files["a"]
        except KeyError as e:
            return f"{form} {type(e).__name__}"
        return "found"

    response = app.test_client().post("/", data=b"a=1", content_type=URLENCODED)
    expected = "DebugFilesKeyError" if debug else "BadRequestKeyError"
    assert response.text == f"{{'a': '1'}} {expected}"


def test_limits_set_on_the_request_win_over_the_config() -> None:
    app = erlen.Erlen(__name__)
    app.config.update(MAX_FORM_FIELDS=1)
    with app.app_context():
        request = AppRequest(_environ(b"a=1&b=2"))
        assert not request._limits_set
        request.max_form_fields = 2
        assert request._limits_set
        assert request._form_limits() == (16 * 1024 * 1024, 500_000, 2)
        assert request.form == {"a": "1", "b": "2"}
        with pytest.raises(RequestEntityTooLarge):
            AppRequest(_environ(b"a=1&b=2")).form  # noqa: B018
    del app.config["MAX_FORM_FIELDS"]
    with app.app_context():
        # A config without the key: the property's default (1000).
        assert AppRequest(_environ(b"a=1&b=2"))._form_limits()[2] == 1000


def test_max_form_fields_of_the_app_request() -> None:
    # wrappers.Request reads MAX_FORM_FIELDS itself while _limit_default is its own; a subclass
    # overriding _limit_default is asked instead; the setter still marks the request.
    class FieldsFromHook(AppRequest):
        def _limit_default(self, key: str, default: int | None) -> int | None:
            return 1 if key == "MAX_FORM_FIELDS" else default

    assert AppRequest(_environ(b"")).max_form_fields == http_request.DEFAULT_MAX_FORM_FIELDS
    app = erlen.Erlen(__name__)
    app.config.update(MAX_FORM_FIELDS=2)
    with app.test_request_context("/?a=1&b=2&c=3"):
        with pytest.raises(BadRequest):
            erlen.request.args  # noqa: B018
    with app.app_context():
        assert AppRequest(_environ(b"")).max_form_fields == 2
        assert FieldsFromHook(_environ(b"")).max_form_fields == 1
        request = FieldsFromHook(_environ(b""))
        request.max_form_fields = 5
        assert request._limits_set and request.max_form_fields == 5
    del app.config["MAX_FORM_FIELDS"]
    with app.app_context():
        assert AppRequest(_environ(b"")).max_form_fields == http_request.DEFAULT_MAX_FORM_FIELDS


def test_parse_lists_takes_str_and_bytes_subclasses() -> None:
    class Text(str):
        pass

    class Raw(bytes):
        pass

    expected = {"a": ["1", "2"], "b": ["é"]}
    assert _parse_lists(Text("a=1&a=2&b=%C3%A9"), None, BadRequest, "q") == expected
    assert _parse_lists(Raw(b"a=1&a=2&b=%C3%A9"), None, BadRequest, "q") == expected
