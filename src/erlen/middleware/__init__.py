"""WSGI middleware Flask apps take from ``werkzeug.middleware``, at the same paths.

- :class:`~erlen.middleware.proxy_fix.ProxyFix`: trust a set number of proxies'
  ``X-Forwarded-*`` headers;
- :class:`~erlen.middleware.dispatcher.DispatcherMiddleware`: mount several WSGI apps under
  path prefixes.

Both wrap any WSGI app: ``app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)``.
"""

from __future__ import annotations

from .dispatcher import DispatcherMiddleware
from .proxy_fix import ProxyFix

__all__ = ["DispatcherMiddleware", "ProxyFix"]
