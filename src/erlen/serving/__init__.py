"""``erlen.serving``: the edges, the only code that speaks a protocol or owns a socket.

Today it holds the development server and its reloader (:mod:`~erlen.serving.devserver`); the app's
WSGI entry stays ``app.wsgi_app``. A protocol adapter (ASGI next) goes here too, one module per
protocol. The edges sit beside the app level and may use it and the layers below it; nothing in
:mod:`erlen.http` or :mod:`erlen.routing` may import this package.
"""
