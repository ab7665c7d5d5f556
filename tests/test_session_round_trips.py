"""Store round trips per request shape, counted on the wire by a proxy in front of a real
redis-server and PostgreSQL (see ``wire_counter.py``): none for a request that does not use
the session, one to read it, and every change of one request in ONE pipelined round trip (so
a read-modify-write, a login and a logout cost the read plus one)."""

from __future__ import annotations

import typing as t

import pytest

from erlen import Erlen, session
from erlen.sessions import Session
from session_servers import memcached_server, postgresql_dsn, redis_url
from session_shapes import round_trips, views
from wire_counter import RoundTripCounter

__all__ = ["memcached_server", "postgresql_dsn", "redis_url"]

EXPECTED = {
    "untouched": 0,
    "read (login check)": 1,
    "write only": 1,
    "read + write": 2,
    "login (new id)": 2,
    "logout (destroy)": 2,
}


def app_on(kind: str, upstream: str, proxy_port: int) -> Erlen:
    app = Erlen(__name__)
    if kind == "redis":
        config: dict[str, t.Any] = {"SESSION_REDIS": f"redis://127.0.0.1:{proxy_port}/0"}
    else:
        config = {"SESSION_POSTGRESQL": upstream.replace(upstream_port(upstream), str(proxy_port))}
    app.config.update(SESSION_TYPE=kind, SESSION_STORE_TIMEOUT=5.0, **config)
    Session(app)
    views(app, session)
    return app


def upstream_port(upstream: str) -> str:
    """The port of a ``redis://host:port/db`` URL or a ``... port=N ...`` conninfo."""
    if upstream.startswith("redis://"):
        return upstream.rsplit(":", 1)[1].split("/", 1)[0]
    return next(p.split("=", 1)[1] for p in upstream.split() if p.startswith("port="))


@pytest.mark.parametrize("kind", ["redis", "postgresql"])
def test_round_trips_per_request_shape(kind: str, request: pytest.FixtureRequest) -> None:
    upstream = request.getfixturevalue("redis_url" if kind == "redis" else "postgresql_dsn")
    counter = RoundTripCounter(int(upstream_port(upstream)))
    app = app_on(kind, upstream, counter.port)
    try:
        assert round_trips(app, counter) == EXPECTED
    finally:
        app.session_interface.store.close()
        counter.close()
