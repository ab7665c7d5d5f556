"""``erlen.http``: the HTTP toolkit (Werkzeug's role). It knows HTTP, not applications.

It holds the request and response base classes, parsed from and emitted to a WSGI-shaped environ
(:mod:`~erlen.http.request`, :mod:`~erlen.http.response` and their helpers ``request_*``,
``response_*``), ``Headers`` (:mod:`~erlen.http.headers`) and the typed header values
(:mod:`erlen.http.headervalues`: accept, auth, cache-control, ranges and the shared grammar), the
multi-dicts and ``FileStorage`` (:mod:`~erlen.http.datastructures`), the HTTP exceptions
(:mod:`~erlen.http.exceptions`), the form/multipart parser and its limits
(:mod:`~erlen.http.formparser`), cookies, dates, conditional and range responses
(:mod:`~erlen.http.conditional`), body iterables (:mod:`~erlen.http.bodies`) and the file-sending
core (:mod:`~erlen.http.sendfile`), the browser policy headers (:mod:`~erlen.http.policy_headers`),
the ordered multi-dicts (:mod:`~erlen.http.ordered_multidict`) and the one parser of numbers a
client sends (:mod:`~erlen.http.safeparse`).

Imports: the standard library, markupsafe, python-multipart, and itself. It must never import
anything else from erlen, not lazily, not inside a function (``if TYPE_CHECKING:`` imports aside):
no app, no context globals, no router, no ``erlen.testing``, no ``erlen.serving``. App-aware
behaviour (the app's JSON provider, config limits, ``url_rule``) belongs in :mod:`erlen.wrappers`,
which subclasses these classes. ``lint-imports`` checks this.
"""
