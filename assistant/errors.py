"""Errors that speak to the user: what went wrong and how to fix it.

The CLI and the app turn these into one clear line; anything else is a bug.
"""


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


class CaseFileError(AssistantError):
    """An evaluation test set cannot be read: the message names the file, the line and the field."""

    exit_code = 2
