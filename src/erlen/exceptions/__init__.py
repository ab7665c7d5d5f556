"""``erlen.exceptions``: the HTTP errors under the path a Flask user knows from ``werkzeug.exceptions``.

The classes live in :mod:`erlen.http.exceptions` (the HTTP toolkit layer); this package only
re-exports them, so ``from erlen.exceptions import NotFound`` keeps working. It holds no code of
its own and must never be imported by :mod:`erlen.http` or :mod:`erlen.routing` (they sit below it).
"""

from __future__ import annotations

import typing as t

from ..http import exceptions as _impl
from ..http.exceptions import (
    HTTP_STATUS_CODES as HTTP_STATUS_CODES,
)
from ..http.exceptions import (
    Aborter as Aborter,
)
from ..http.exceptions import (
    BadGateway as BadGateway,
)
from ..http.exceptions import (
    BadHost as BadHost,
)
from ..http.exceptions import (
    BadRequest as BadRequest,
)
from ..http.exceptions import (
    BadRequestKeyError as BadRequestKeyError,
)
from ..http.exceptions import (
    ClientDisconnected as ClientDisconnected,
)
from ..http.exceptions import (
    Conflict as Conflict,
)
from ..http.exceptions import (
    ExpectationFailed as ExpectationFailed,
)
from ..http.exceptions import (
    FailedDependency as FailedDependency,
)
from ..http.exceptions import (
    Forbidden as Forbidden,
)
from ..http.exceptions import (
    GatewayTimeout as GatewayTimeout,
)
from ..http.exceptions import (
    Gone as Gone,
)
from ..http.exceptions import (
    HTTPException as HTTPException,
)
from ..http.exceptions import (
    HTTPVersionNotSupported as HTTPVersionNotSupported,
)
from ..http.exceptions import (
    ImATeapot as ImATeapot,
)
from ..http.exceptions import (
    InternalServerError as InternalServerError,
)
from ..http.exceptions import (
    LengthRequired as LengthRequired,
)
from ..http.exceptions import (
    Locked as Locked,
)
from ..http.exceptions import (
    MethodNotAllowed as MethodNotAllowed,
)
from ..http.exceptions import (
    MisdirectedRequest as MisdirectedRequest,
)
from ..http.exceptions import (
    NotAcceptable as NotAcceptable,
)
from ..http.exceptions import (
    NotFound as NotFound,
)
from ..http.exceptions import (
    NotImplemented as NotImplemented,
)
from ..http.exceptions import (
    PreconditionFailed as PreconditionFailed,
)
from ..http.exceptions import (
    PreconditionRequired as PreconditionRequired,
)
from ..http.exceptions import (
    RequestedRangeNotSatisfiable as RequestedRangeNotSatisfiable,
)
from ..http.exceptions import (
    RequestEntityTooLarge as RequestEntityTooLarge,
)
from ..http.exceptions import (
    RequestHeaderFieldsTooLarge as RequestHeaderFieldsTooLarge,
)
from ..http.exceptions import (
    RequestTimeout as RequestTimeout,
)
from ..http.exceptions import (
    RequestURITooLarge as RequestURITooLarge,
)
from ..http.exceptions import (
    SecurityError as SecurityError,
)
from ..http.exceptions import (
    ServiceUnavailable as ServiceUnavailable,
)
from ..http.exceptions import (
    TooManyRequests as TooManyRequests,
)
from ..http.exceptions import (
    Unauthorized as Unauthorized,
)
from ..http.exceptions import (
    UnavailableForLegalReasons as UnavailableForLegalReasons,
)
from ..http.exceptions import (
    UnprocessableEntity as UnprocessableEntity,
)
from ..http.exceptions import (
    UnsupportedMediaType as UnsupportedMediaType,
)
from ..http.exceptions import (
    WebSocketDisconnect as WebSocketDisconnect,
)
from ..http.exceptions import (
    abort as abort,
)
from ..http.exceptions import (
    default_exceptions as default_exceptions,
)


def __getattr__(name: str) -> t.Any:
    # NOTE: every other name of erlen.http.exceptions (and what it forwards) stays reachable here.
    return getattr(_impl, name)
