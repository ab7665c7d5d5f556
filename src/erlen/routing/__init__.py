"""``erlen.routing``: the router. ``Map``, ``Rule``, the converters, the adapter and the routing errors.

The router is a pure function of its rules, the method, the host and the path: it knows no app,
no request object and no context. Modules: :mod:`~erlen.routing.map` (``Map`` and the matcher),
:mod:`~erlen.routing.rules` (``Rule`` compiled to trie parts and a build template),
:mod:`~erlen.routing.converters`, :mod:`~erlen.routing.adapter` (``MapAdapter``: matching and URL
building for one host) and :mod:`~erlen.routing.errors` (``BuildError``, the redirects).

Imports: only :mod:`erlen.http` (for the HTTP exceptions) and the standard library. It must never
import the app level (``erlen.app``, ``erlen.globals``, ``erlen.wrappers``...), ``erlen.testing`` or
``erlen.serving``; ``lint-imports`` checks this.
"""

from .map import (
    DEFAULT_CONVERTERS as DEFAULT_CONVERTERS,
)
from .map import (
    AnyConverter as AnyConverter,
)
from .map import (
    BaseConverter as BaseConverter,
)
from .map import (
    BuildError as BuildError,
)
from .map import (
    FloatConverter as FloatConverter,
)
from .map import (
    IntegerConverter as IntegerConverter,
)
from .map import (
    Map as Map,
)
from .map import (
    MapAdapter as MapAdapter,
)
from .map import (
    NumberConverter as NumberConverter,
)
from .map import (
    PathConverter as PathConverter,
)
from .map import (
    RequestAliasRedirect as RequestAliasRedirect,
)
from .map import (
    RequestRedirect as RequestRedirect,
)
from .map import (
    RoutingException as RoutingException,
)
from .map import (
    Rule as Rule,
)
from .map import (
    UnicodeConverter as UnicodeConverter,
)
from .map import (
    UUIDConverter as UUIDConverter,
)
from .map import (
    ValidationError as ValidationError,
)
from .map import (
    WebsocketMismatch as WebsocketMismatch,
)
from .map import __all__ as __all__
