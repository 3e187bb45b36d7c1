"""Errors that speak to the user: what went wrong and how to fix it.

The CLI and the app turn these into one clear line; anything else is a bug.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager


class AssistantError(Exception):
    """Base of every error a user can cause or fix."""

    exit_code = 1


class ConfigError(AssistantError):
    """A setting is wrong or a needed package/model is missing."""

    exit_code = 2


class QuestionError(AssistantError):
    """A request the assistant cannot take: an empty question, an unknown answer mode."""

    exit_code = 2


class ArticleError(AssistantError):
    """One input file or record cannot be indexed (the rest of a folder still is)."""


class IndexMissingError(AssistantError):
    """There is no index yet, or it holds no articles."""

    def __init__(self, detail: str = "the index is empty") -> None:
        super().__init__(f"{detail}: run `assistant index articles/` first")


class NotFoundError(AssistantError):
    """An article id that the index does not hold."""


class StoreError(AssistantError):
    """The vector store cannot be reached or does not match the settings."""


class DiskFullError(StoreError):
    """A write found no space left on the disk; what was committed before is kept."""


@contextmanager
def disk_full_said(where: str) -> Iterator[None]:
    """Inside: a write that finds the disk full (an OSError ENOSPC or EDQUOT, or SQLite's "database or disk is
    full" as chromadb passes it on, also as the cause of another exception) is a `DiskFullError` naming `where`."""
    try:
        yield
    except AssistantError:
        raise
    except Exception as exc:
        cause = _disk_full(exc)
        if cause is None:
            raise
        raise DiskFullError(
            f"no space left on the disk holding {where} ({cause}): the articles indexed before are kept and "
            "answer as before; free some space and index again to add the rest"
        ) from exc


def _disk_full(exc: BaseException | None) -> str | None:
    """What says the disk is full in `exc` or the exceptions it came from (ten at most), else None."""
    for _ in range(10):
        if exc is None:
            break
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return os.strerror(exc.errno)
        said = str(exc)
        for words in ("database or disk is full", "No space left on device"):
            if words in said:
                return words
        exc = exc.__cause__ or exc.__context__
    return None


class CaseFileError(AssistantError):
    """An evaluation test set cannot be read: the message names the file, the line and the field."""

    exit_code = 2
