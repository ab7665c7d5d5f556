"""``erlen.datastructures``: the request/response dict types under Werkzeug's import path.

``MultiDict``, ``Headers``, ``FileStorage`` and the header value types live in
:mod:`erlen.http.datastructures` and :mod:`erlen.http.headervalues`; this package only re-exports
them. It holds no code of its own and must never be imported by :mod:`erlen.http` or
:mod:`erlen.routing` (they sit below it).
"""

from __future__ import annotations

import typing as t

from ..http import datastructures as _impl
from ..http.datastructures import (
    CallbackDict as CallbackDict,
)
from ..http.datastructures import (
    CombinedMultiDict as CombinedMultiDict,
)
from ..http.datastructures import (
    ContentSecurityPolicy as ContentSecurityPolicy,
)
from ..http.datastructures import (
    EnvironHeaders as EnvironHeaders,
)
from ..http.datastructures import (
    FileMultiDict as FileMultiDict,
)
from ..http.datastructures import (
    FileStorage as FileStorage,
)
from ..http.datastructures import (
    Headers as Headers,
)
from ..http.datastructures import (
    ImmutableDict as ImmutableDict,
)
from ..http.datastructures import (
    ImmutableList as ImmutableList,
)
from ..http.datastructures import (
    ImmutableMultiDict as ImmutableMultiDict,
)
from ..http.datastructures import (
    ImmutableOrderedMultiDict as ImmutableOrderedMultiDict,
)
from ..http.datastructures import (
    MultiDict as MultiDict,
)
from ..http.datastructures import (
    OrderedMultiDict as OrderedMultiDict,
)
from ..http.datastructures import (
    TypeConversionDict as TypeConversionDict,
)


def __getattr__(name: str) -> t.Any:
    # NOTE: every other name of erlen.http.datastructures (and what it forwards) stays reachable here.
    return getattr(_impl, name)
