"""`assistant keys`: the reader keys of the widget and /api/ask."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.commands import _edge, app
from assistant.settings import load_settings

keys = typer.Typer(help="Reader keys for the widget and /api/ask (with ASSISTANT_READER_ACCESS=key).")
app.add_typer(keys, name="keys")


@keys.command("add")
@_edge
def keys_add(name: Annotated[str, typer.Argument(help="Who or which site holds the key.")]) -> None:
    """Make a reader key; it is printed once (only its hash is kept)."""
    from assistant.serve.access import ReaderKeys

    settings = load_settings()
    key = ReaderKeys(settings.reader_keys_path()).add(name)
    typer.echo(key)
    typer.echo(f"(reader key for {name!r}, kept as a hash in {settings.reader_keys_path()})", err=True)


@keys.command("revoke")
@_edge
def keys_revoke(name: Annotated[str, typer.Argument(help="The name the key was made for.")]) -> None:
    """Revoke a reader key: running apps refuse it from their next request."""
    from assistant.serve.access import ReaderKeys

    ReaderKeys(load_settings().reader_keys_path()).revoke(name)
    typer.echo(f"revoked the reader key of {name!r}")


@keys.command("list")
@_edge
def keys_list() -> None:
    """The reader keys' names and when they were made (the keys themselves are not kept)."""
    from assistant.serve.access import ReaderKeys

    for k in ReaderKeys(load_settings().reader_keys_path()).all():
        typer.echo(f"{k.name}\t{k.created}")
