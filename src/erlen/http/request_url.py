"""The URL parts of a request: the checked host, the URL built from it, WSGI path recoding.

SECURITY: the host is the one value here a client controls freely. :func:`request_host` reduces
a malformed one to ``""`` and checks it against ``trusted_hosts``, so neither ``url`` nor
``url_for(_external=True)`` can carry an injected host.
"""

from __future__ import annotations

import re
import typing as t

from .exceptions import BadRequest, SecurityError

if t.TYPE_CHECKING:
    from .request import Request

__all__ = [
    "check_host",
    "clean_host",
    "host_is_trusted",
    "recode",
    "request_host",
    "request_url",
]


def recode(value: str) -> str:
    """Re-decode a WSGI (latin-1) string as UTF-8; bad bytes become U+FFFD. Never raises."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        # NOTE: characters above U+00FF: the string was already decoded (a test client).
        return value


# SECURITY: a Host value that is not a host name, an IPv4 address or a bracketed IPv6 address,
# with an optional numeric port, is replaced by "" (Werkzeug 3.1's rule), so a garbage Host
# header can never inject into ``url`` / ``url_for(_external=True)``.
_HOST_RE = re.compile(r"(?:[A-Za-z0-9.\-]*|\[([0-9A-Fa-f:.]+)\])(?::[0-9]+)?", re.ASCII)
_PCT_RUN_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_SURROGATE_RE = re.compile("[\udc80-\udcff]")
# Characters quote() leaves alone when building the URL (plus letters, digits and "_.-~").
_PATH_SAFE = "!$&'()*+,/:;=@%"
_QUERY_SAFE = "!$&'()*+,/:;=?@%"
# Escapes left encoded when the URL is shown as an IRI: controls, space, and the characters that
# would change the meaning of that part of the URL.
_CTL = frozenset(range(0x21)) | {0x7F}
_PATH_KEEP = _CTL | {ord(c) for c in "#%/?"}
_QUERY_KEEP = _CTL | {ord(c) for c in "#%&+="}


def _valid_host(host: str) -> bool:
    match = _HOST_RE.fullmatch(host)
    if match is None:
        return False
    ipv6 = match.group(1)
    if ipv6 is None:
        return True
    import ipaddress

    try:
        ipaddress.IPv6Address(ipv6)
    except ValueError:
        return False
    return True


def _split_port(host: str) -> tuple[str, str]:
    """``("example.com", ":8080")`` from ``"example.com:8080"``; IPv6 brackets kept."""
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1], host[end + 1 :]
    name, sep, port = host.partition(":")
    return name, sep + port


def _idna_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        # NOTE: Werkzeug raises here; erlen keeps the label as sent so ``url`` never breaks.
        return label


def _iri_host(host: str) -> str:
    """The host as shown in ``url``: lowercased, with punycode (``xn--``) labels decoded."""
    host = host.lower()
    if "xn--" not in host:
        return host
    name, port = _split_port(host)
    return ".".join(_idna_label(label) for label in name.split(".")) + port


def _decode_escaped(data: bytearray) -> str:
    text = bytes(data).decode("utf-8", "surrogateescape")
    if not text.isascii():
        # Bytes that are not UTF-8 came back as lone surrogates: show them as %XX again.
        text = _SURROGATE_RE.sub(lambda m: f"%{ord(m.group()) - 0xDC00:02X}", text)
    return text


def _iri_unquote(value: str, keep: frozenset[int]) -> str:
    """Decode ``%XX`` escapes for display, except those in ``keep``; bad UTF-8 stays ``%XX``."""
    if "%" not in value:
        return value

    def run(match: re.Match[str]) -> str:
        escapes = match.group()
        out: list[str] = []
        data = bytearray()
        for i in range(0, len(escapes), 3):
            byte = int(escapes[i + 1 : i + 3], 16)
            if byte in keep:
                if data:
                    out.append(_decode_escaped(data))
                    data.clear()
                out.append(escapes[i : i + 3])
            else:
                data.append(byte)
        if data:
            out.append(_decode_escaped(data))
        return "".join(out)

    return _PCT_RUN_RE.sub(run, value)


def host_is_trusted(host: str, trusted_list: t.Iterable[str]) -> bool:
    """Whether ``host`` (port ignored) matches one of ``trusted_list``.

    An entry starting with ``.`` also matches every subdomain (``.example.com``).
    """
    if not host:
        return False

    def normalize(name: str) -> str | None:
        name = _split_port(name)[0].lower() if ":" in name else name.lower()
        try:
            return name.encode("idna").decode("ascii")
        except UnicodeError:
            return None

    hostname = normalize(host)
    if hostname is None:
        return False
    for ref in trusted_list:
        suffix_match = ref.startswith(".")
        ref_name = normalize(ref[1:] if suffix_match else ref)
        if ref_name is None:
            continue
        if ref_name == hostname:
            return True
        if suffix_match and hostname.endswith("." + ref_name):
            return True
    return False


def request_host(request: Request) -> str:
    """The host the client asked for (``Host``, else ``SERVER_NAME:SERVER_PORT``).

    The default port of the scheme is dropped. A malformed value becomes ``""``. If
    :attr:`trusted_hosts` is set and the host is not in it, raises ``SecurityError`` (400).
    """
    host = request.environ.get("HTTP_HOST")
    # NOTE: an empty Host (allowed for a target without authority) falls back to the server's
    # name, as URL building does; Werkzeug keeps "" and redirects to "http:///path".
    if not host:
        server = request.server
        # NOTE: as in Werkzeug, SERVER_NAME is used only together with a valid SERVER_PORT.
        if server is not None and server[1] is not None:
            name = server[0]
            if ":" in name and name[:1] != "[":
                name = f"[{name}]"
            host = f"{name}:{server[1]}"
        else:
            host = ""
    host = clean_host(host, request.scheme)
    trusted = request.trusted_hosts
    if trusted is not None and not host_is_trusted(host, trusted):
        raise SecurityError(f"Host {host!r} is not trusted.")
    return host


def clean_host(host: str, scheme: str) -> str:
    """``host`` without the scheme's default port, or ``""`` if it is not a valid host."""
    if scheme in ("http", "ws"):
        if host.endswith(":80"):
            host = host[:-3]
    elif scheme in ("https", "wss") and host.endswith(":443"):
        host = host[:-4]
    return host if _valid_host(host) else ""


# PERF: the Host values seen lately that were valid, so the usual request skips the regex.
_GOOD_HOSTS: set[str] = set()
_GOOD_HOSTS_MAX = 256


def check_host(environ: t.Mapping[str, t.Any], trusted: t.Iterable[str] | None) -> None:
    """Refuse a request whose ``Host`` header is malformed (400) or not trusted (400).

    SECURITY: RFC 9112 section 3.2: a Host that is not a valid host (``good.com@evil.com``,
    ``evil.com/x?``, two Host headers joined by the server) is a 400. Refusing it before routing
    means no redirect or external URL of this request can carry it.
    """
    host = environ.get("HTTP_HOST")
    if host is not None and host not in _GOOD_HOSTS:
        if not _valid_host(host):
            raise BadRequest("The Host header is not a valid host name.")
        if len(_GOOD_HOSTS) >= _GOOD_HOSTS_MAX:
            _GOOD_HOSTS.clear()
        _GOOD_HOSTS.add(host)
    if trusted is not None:
        name = clean_host(host or "", environ.get("wsgi.url_scheme", "http"))
        if not host_is_trusted(name, trusted):
            raise SecurityError(f"Host {name!r} is not trusted.")


def request_url(request: Request, root: bool, path: bool, query: bool) -> str:
    """The URL of ``request`` as an IRI, with the root path, the path and the query as asked."""
    from urllib.parse import quote

    parts = [request.scheme, "://", _iri_host(request.host)]
    if root:
        root_path = quote(request.root_path.rstrip("/"), safe=_PATH_SAFE)
        parts.append(_iri_unquote(root_path, _PATH_KEEP))
    parts.append("/")
    if path:
        parts.append(_iri_unquote(quote(request.path.lstrip("/"), safe=_PATH_SAFE), _PATH_KEEP))
        qs = request.query_string
        if query and qs:
            parts.append("?")
            parts.append(_iri_unquote(quote(qs, safe=_QUERY_SAFE), _QUERY_KEEP))
    return "".join(parts)
