"""HTTP errors as data.

Each HTTP error is an exception class with a ``code`` and a ``description``; it renders itself into a
status, headers and a short HTML body (``get_body``, ``get_headers``), which ``get_response`` wraps
in :attr:`HTTPException.response_class`. NOTE: this module imports no response code (the response
module imports this one, for the status phrases); :mod:`erlen.http.response` sets
``response_class`` when it loads, and ``lint-imports`` keeps the edge one-way. The names, codes and constructor arguments are Werkzeug's, so code written for
Flask (``except NotFound``, ``abort(404)``, ``e.code``, ``e.description``) works unchanged.
"""

from __future__ import annotations

import typing as t

from markupsafe import escape

if t.TYPE_CHECKING:
    from .response import Response

HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    306: "Switch Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    449: "Retry With",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Failed",
}


class HTTPException(Exception):
    """Base of every HTTP error. ``code`` and ``description`` say what went wrong.

    Raise one from a view (or call :func:`abort`) to answer with that status. Pass ``response`` to
    send a prepared response instead of the generated error page.
    """

    code: int | None = None
    description: str | None = None
    #: The class :meth:`get_response` builds: :class:`erlen.http.response.Response`, set by that
    #: module when it loads (which importing any part of erlen does).
    response_class: t.ClassVar[type[Response]]

    def __init__(self, description: str | None = None, response: Response | None = None) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status phrase, e.g. ``"Not Found"``."""
        return HTTP_STATUS_CODES.get(self.code or 0, "Unknown Error")

    def get_description(self, environ: t.Any = None, scope: t.Any = None) -> str:
        description = str(escape(self.description or "")).replace("\n", "<br>")
        return f"<p>{description}</p>"

    def get_body(self, environ: t.Any = None, scope: t.Any = None) -> str:
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {escape(self.name)}</title>\n"
            f"<h1>{escape(self.name)}</h1>\n"
            f"{self.get_description(environ)}\n"
        )

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        return [("Content-Type", "text/html; charset=utf-8")]

    def get_response(self, environ: t.Any = None, scope: t.Any = None) -> Response:
        """The response to send: ``self.response`` if one was given, else the error page."""
        if self.response is not None:
            return self.response
        return self.response_class(self.get_body(environ), self.code, self.get_headers(environ))

    def __call__(self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]) -> t.Any:
        """An HTTP exception is also a WSGI application that sends its response."""
        return self.get_response(environ)(environ, start_response)

    def __str__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"{code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"<{type(self).__name__} '{code}: {self.name}'>"


class BadRequest(HTTPException):
    code = 400
    description = "The browser (or proxy) sent a request that this server could not understand."


class ClientDisconnected(BadRequest):
    """The client went away before the request body was read in full."""


class SecurityError(BadRequest):
    """The request was refused for a security reason (e.g. an untrusted host)."""


class BadHost(BadRequest):
    """The ``Host`` header is not one of the trusted hosts."""


class BadRequestKeyError(BadRequest, KeyError):
    """A key was missing from ``request.args``, ``request.form`` or another request dict.

    It is a ``KeyError`` as well, so ``except KeyError`` keeps working, and a 400 when not caught.
    """

    show_exception = False

    def __init__(self, arg: str | None = None, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        if arg is None:
            KeyError.__init__(self)
        else:
            KeyError.__init__(self, arg)

    @property  # type: ignore[override]
    def description(self) -> str:
        if self.show_exception:
            return f"{self._description}\nKeyError: {KeyError.__str__(self)}"
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value

    _description = BadRequest.description or ""

    def __str__(self) -> str:
        return HTTPException.__str__(self)


class Unauthorized(HTTPException):
    code = 401
    description = (
        "The server could not verify that you are authorized to access the URL requested. You"
        " either supplied the wrong credentials (e.g. a bad password), or your browser doesn't"
        " understand how to supply the credentials required."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: t.Any = None,
    ) -> None:
        super().__init__(description, response)
        if www_authenticate is not None and not isinstance(www_authenticate, (list, tuple)):
            www_authenticate = [www_authenticate]
        self.www_authenticate = www_authenticate

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(environ)
        if self.www_authenticate:
            headers.extend(("WWW-Authenticate", str(x)) for x in self.www_authenticate)
        return headers


class Forbidden(HTTPException):
    code = 403
    description = (
        "You don't have the permission to access the requested resource. It is either"
        " read-protected or not readable by the server."
    )


class NotFound(HTTPException):
    code = 404
    description = (
        "The requested URL was not found on the server. If you entered the URL manually please"
        " check your spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """The URL exists but not for this method; the ``Allow`` header lists the valid ones."""

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: t.Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        self.valid_methods = valid_methods

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(environ)
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class NotAcceptable(HTTPException):
    code = 406
    description = (
        "The resource identified by the request is only capable of generating response entities"
        " which have content characteristics not acceptable according to the accept headers sent"
        " in the request."
    )


class RequestTimeout(HTTPException):
    code = 408
    description = (
        "The server closed the network connection because the browser didn't finish the request"
        " within the specified time."
    )


class Conflict(HTTPException):
    code = 409
    description = (
        "A conflict happened while processing the request. The resource might have been modified"
        " while the request was being processed."
    )


class Gone(HTTPException):
    code = 410
    description = (
        "The requested URL is no longer available on this server and there is no forwarding"
        " address. If you followed a link from a foreign page, please contact the author of this"
        " page."
    )


class LengthRequired(HTTPException):
    code = 411
    description = "A request with this method requires a valid <code>Content-Length</code> header."


class PreconditionFailed(HTTPException):
    code = 412
    description = "The precondition on the request for the URL failed positive evaluation."


class RequestEntityTooLarge(HTTPException):
    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    code = 414
    description = (
        "The length of the requested URL exceeds the capacity limit for this server. The request"
        " cannot be processed."
    )


class UnsupportedMediaType(HTTPException):
    code = 415
    description = "The server does not support the media type transmitted in the request."


class RequestedRangeNotSatisfiable(HTTPException):
    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        self.length = length
        self.units = units

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(environ)
        if self.length is not None:
            headers.append(("Content-Range", f"{self.units} */{self.length}"))
        return headers


class ExpectationFailed(HTTPException):
    code = 417
    description = "The server could not meet the requirements of the Expect header"


class ImATeapot(HTTPException):
    code = 418
    description = "This server is a teapot, not a coffee machine"


class MisdirectedRequest(HTTPException):
    code = 421
    description = "The server is not able to produce a response for this request."


class UnprocessableEntity(HTTPException):
    code = 422
    description = (
        "The request was well-formed but was unable to be followed due to semantic errors."
    )


class Locked(HTTPException):
    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    code = 424
    description = (
        "The method could not be performed on the resource because the requested action depended"
        " on another action and that action failed."
    )


class PreconditionRequired(HTTPException):
    code = 428
    description = (
        'This request is required to be conditional; try using "If-Match" or "If-Unmodified-Since".'
    )


class _RetryAfter(HTTPException):
    """Adds a ``Retry-After`` header when ``retry_after`` (seconds or a datetime) is given."""

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: t.Any = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(self, environ: t.Any = None, scope: t.Any = None) -> list[tuple[str, str]]:
        headers = super().get_headers(environ)
        if self.retry_after:
            if isinstance(self.retry_after, int):
                value = str(self.retry_after)
            else:
                from email.utils import format_datetime

                value = format_datetime(self.retry_after, usegmt=True)
            headers.append(("Retry-After", value))
        return headers


class TooManyRequests(_RetryAfter):
    code = 429
    description = "This user has exceeded an allotted request count. Try again later."


class RequestHeaderFieldsTooLarge(HTTPException):
    code = 431
    description = "One or more header fields exceeds the maximum size."


class UnavailableForLegalReasons(HTTPException):
    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    """A 500. When an unhandled exception caused it, ``original_exception`` holds that exception."""

    code = 500
    description = (
        "The server encountered an internal error and was unable to complete your request."
        " Either the server is overloaded or there is an error in the application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        self.original_exception = original_exception
        super().__init__(description=description, response=response)


class NotImplemented(HTTPException):  # noqa: A001 -- Werkzeug's name
    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    code = 502
    description = "The proxy server received an invalid response from an upstream server."


class ServiceUnavailable(_RetryAfter):
    code = 503
    description = (
        "The server is temporarily unable to service your request due to maintenance downtime or"
        " capacity problems. Please try again later."
    )


class GatewayTimeout(HTTPException):
    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    code = 505
    description = "The server does not support the HTTP protocol version used in the request."


default_exceptions: dict[int, type[HTTPException]] = {}


def _collect(namespace: dict[str, t.Any]) -> None:
    for obj in list(namespace.values()):
        if (
            isinstance(obj, type)
            and issubclass(obj, HTTPException)
            and obj.code is not None
            and obj.__name__[0] != "_"
        ):
            default_exceptions.setdefault(obj.code, obj)


_collect(globals())


class Aborter:
    """Turns a status code into the matching exception and raises it (``app.aborter``)."""

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra is not None:
            self.mapping.update(extra)

    def __call__(self, code: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        if not isinstance(code, int):
            raise HTTPException(response=code)
        if code not in self.mapping:
            raise LookupError(f"no exception for {code!r}")
        raise self.mapping[code](*args, **kwargs)


_aborter = Aborter()


def abort(status: int | Response, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP exception for ``status`` (a code, or a response to send as is)."""
    _aborter(status, *args, **kwargs)


class WebSocketDisconnect(Exception):
    """The client closed the WebSocket (``code`` is its close code)."""

    def __init__(self, code: int = 1000) -> None:
        super().__init__(code)
        self.code = code
