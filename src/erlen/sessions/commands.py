"""``erlen sessions cleanup``: sweep expired server-side sessions (for stores without native
expiry: SQLite, PostgreSQL, files)."""

from __future__ import annotations

import click

from ..cli import AppGroup

sessions_command = AppGroup("sessions", help="Manage server-side sessions.")


@sessions_command.command("cleanup")
def cleanup_command() -> None:
    """Delete expired sessions from the store."""
    from ..globals import current_app
    from .server import ServerSessionInterface

    interface = current_app.session_interface
    if not isinstance(interface, ServerSessionInterface):
        raise click.UsageError("the app does not use server-side sessions (Session(app))")
    click.echo(f"removed {interface.cleanup()} expired sessions")
