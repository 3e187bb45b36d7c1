"""The `assistant` command: `commands` holds the app and the indexing, reading and asking commands, `evaluation`
the `eval` command, `keys` the reader keys; importing them here adds their commands to the app."""

from assistant.cli import evaluation, keys  # noqa: F401 (their commands join the app)
from assistant.cli.commands import app, main

__all__ = ["app", "main"]
