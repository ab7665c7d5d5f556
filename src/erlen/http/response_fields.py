"""The header attributes of :class:`~erlen.http.response.Response`: content type, the plain and typed
header properties (``location``, ``vary``, ``cache_control``, ``www_authenticate``...) and cookies.

``Response`` inherits them from :class:`ResponseHeaderFields`, which only reads and writes
``self.headers`` (through the codecs of :mod:`erlen.http.response_headers`); the status, the body,
ETags and the WSGI emission stay in :mod:`erlen.http.response`. Nothing here runs on the hello path.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta

from . import cookies as _cookies
from .policy_headers import COEP, COOP, csp_property, policy_enum_property
from .response_headers import (
    dump_age,
    dump_date,
    dump_set,
    get_cache_control,
    get_content_range,
    get_mimetype_params,
    get_retry_after,
    get_www_authenticate,
    header_property,
    int_or_none,
    load_age,
    load_date,
    load_set,
    set_content_range,
    set_header_property,
    set_retry_after,
    set_www_authenticate,
)
from .response_pairs import content_type_for

if t.TYPE_CHECKING:
    from .datastructures import Headers
    from .headervalues import ContentRange, ResponseCacheControl, WWWAuthenticate

__all__ = ["ResponseHeaderFields"]


class ResponseHeaderFields:
    """The header attributes of a response; see :class:`erlen.http.response.Response`."""

    headers: Headers
    charset: str

    # -- content type ------------------------------------------------------------------------------

    content_type = header_property(
        "Content-Type", "The Content-Type header, e.g. 'text/html; charset=utf-8'."
    )

    @property
    def mimetype(self) -> str | None:
        """The mimetype without parameters, e.g. ``"text/html"``; setting adds the charset."""
        ct = self.headers.get("Content-Type")
        return ct.split(";", 1)[0].strip() if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", content_type_for(value, self.charset))

    @property
    def mimetype_params(self) -> dict[str, str]:
        """Content-Type parameters (``{"charset": "utf-8"}``); changing the dict rewrites the header."""
        return get_mimetype_params(self)

    # -- plain header properties -------------------------------------------------------------------

    content_length = header_property(
        "Content-Length", "The body length in bytes, as an int.", int_or_none, str
    )
    location = header_property("Location", "Where a redirect points.")
    content_location = header_property("Content-Location", "The URL of the sent representation.")
    content_encoding = header_property(
        "Content-Encoding", "The coding applied to the body, e.g. 'gzip'."
    )
    content_md5 = header_property("Content-MD5", "An MD5 digest of the body (obsolete).")
    accept_ranges = header_property(
        "Accept-Ranges", "Range units the server accepts, e.g. 'bytes'."
    )
    age = header_property(
        "Age", "Seconds since the origin generated the response.", load_age, dump_age
    )
    date = header_property("Date", "When the response was generated.", load_date, dump_date)
    expires = header_property("Expires", "When the response becomes stale.", load_date, dump_date)
    last_modified = header_property(
        "Last-Modified", "When the resource last changed.", load_date, dump_date
    )
    vary = set_header_property("Vary", "Request headers that select the representation.")
    allow = set_header_property("Allow", "Methods the resource supports.")
    content_language = set_header_property(
        "Content-Language", "Languages of the intended audience."
    )

    @property
    def access_control_allow_credentials(self) -> bool:
        """Whether credentials may be shared (CORS): the header is present."""
        return "Access-Control-Allow-Credentials" in self.headers

    @access_control_allow_credentials.setter
    def access_control_allow_credentials(self, value: bool | None) -> None:
        if value:
            self.headers.set("Access-Control-Allow-Credentials", "true")
        else:
            self.headers.remove("Access-Control-Allow-Credentials")

    access_control_allow_headers = header_property(
        "Access-Control-Allow-Headers",
        "Headers a cross-origin request may send (CORS), as a HeaderSet.",
        load_set,
        dump_set,
    )
    access_control_allow_methods = header_property(
        "Access-Control-Allow-Methods",
        "Methods a cross-origin request may use (CORS), as a HeaderSet.",
        load_set,
        dump_set,
    )
    access_control_allow_origin = header_property(
        "Access-Control-Allow-Origin", "The origin allowed to read the response (CORS)."
    )
    access_control_expose_headers = header_property(
        "Access-Control-Expose-Headers",
        "Headers a cross-origin script may read (CORS), as a HeaderSet.",
        load_set,
        dump_set,
    )
    access_control_max_age = header_property(
        "Access-Control-Max-Age",
        "Seconds a preflight answer may be cached (CORS).",
        int_or_none,
        str,
    )

    @property
    def retry_after(self) -> datetime | None:
        """When to retry (``Retry-After``), as an aware datetime; set seconds or a datetime."""
        return get_retry_after(self.headers)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        set_retry_after(self.headers, value)

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` header as an object; changing it rewrites the header.

        >>> resp.cache_control.max_age = 60
        """
        return get_cache_control(self)

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` header as an object; changing it rewrites the header."""
        return get_content_range(self)

    @content_range.setter
    def content_range(self, value: t.Any) -> None:
        set_content_range(self.headers, value)

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The ``WWW-Authenticate`` challenge; a blank ``Basic`` one when unset. Live-updating.

        Assign a :class:`~erlen.http.headervalues.WWWAuthenticate`, a list of them (one header each),
        a string, or ``None`` to remove the header.
        """
        return get_www_authenticate(self)

    @www_authenticate.setter
    def www_authenticate(self, value: t.Any) -> None:
        set_www_authenticate(self.headers, value)

    @www_authenticate.deleter
    def www_authenticate(self) -> None:
        self.headers.remove("WWW-Authenticate")

    content_security_policy = csp_property(
        "Content-Security-Policy",
        "The ``Content-Security-Policy`` as a live ContentSecurityPolicy "
        "(``.default_src = \"'self'\"``).",
    )
    content_security_policy_report_only = csp_property(
        "Content-Security-Policy-Report-Only",
        "The ``Content-Security-Policy-Report-Only`` header, as content_security_policy.",
    )
    cross_origin_opener_policy = policy_enum_property(
        "Cross-Origin-Opener-Policy", COOP, "``Cross-Origin-Opener-Policy`` as a COOP member."
    )
    cross_origin_embedder_policy = policy_enum_property(
        "Cross-Origin-Embedder-Policy", COEP, "``Cross-Origin-Embedder-Policy`` as a COEP member."
    )

    # -- cookies -----------------------------------------------------------------------------------

    @property
    def max_cookie_size(self) -> int:
        """Largest cookie :meth:`set_cookie` allows: Werkzeug's 4093 here;
        :class:`erlen.wrappers.Response` reads the app's ``MAX_COOKIE_SIZE``."""
        return 4093

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header. See :func:`erlen.http.cookies.dump_cookie` for the arguments."""
        # PERF: cookies is imported with this module; a "from ... import" in the method costs
        # ~10k instructions per call.
        self.headers.add(
            "Set-Cookie",
            _cookies.dump_cookie(
                key,
                value=value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                max_size=self.max_cookie_size,
                samesite=samesite,
                partitioned=partitioned,
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Tell the client to drop a cookie: an empty value that expired in 1970.

        ``path`` and ``domain`` must match the ones the cookie was set with.
        """
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )
