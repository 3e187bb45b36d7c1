"""The Chroma client, embedded (`PersistentClient` on the index folder) or a server (`HttpClient`), and its
failures said plainly: a server that went away, a disk too full for Chroma's write log."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from assistant.errors import AssistantError, DiskFullError, IndexMissingError, StoreError
from assistant.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

T = TypeVar("T")
FULL = 16 * 1024 * 1024  # free bytes under which a failed write-log step is taken for a full disk


def client(settings: Settings, *, create: bool) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    server = settings.chroma_server()
    if server:
        host, port, ssl = server
        try:
            return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        except Exception as exc:
            raise StoreError(unreachable(settings, exc)) from exc
    path = settings.index_dir
    if not create and not (path / "chroma.sqlite3").exists():
        raise IndexMissingError(f"no index in {path}/")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def unreachable(settings: Settings, exc: BaseException) -> str:
    host, port, _ = settings.chroma_server() or ("?", "?", False)
    return (
        f"cannot reach the Chroma server at {host}:{port} ({exc.__class__.__name__}): start it with "
        "`chroma run --path index/`, or unset ASSISTANT_CHROMA_URL to use the local index"
    )


def where(settings: Settings) -> str:
    server = settings.chroma_server()
    return f"the Chroma server at {server[0]}:{server[1]}" if server else f"{settings.index_dir}/"


def said_plainly(cls: type[T]) -> type[T]:
    """Every public method of `cls`: a Chroma server that went away is a `StoreError` saying so (the same
    store works again once it is back), and a local index that cannot apply its write log because its disk is
    full is a `DiskFullError`, not an exception from inside chromadb."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except (httpx.TransportError, ConnectionError) as exc:
                raise StoreError(unreachable(self.settings, exc)) from exc
            except AssistantError:
                raise
            except Exception as exc:
                if "Failed to apply logs" in str(exc) and self.free_bytes() < FULL:
                    raise DiskFullError(
                        f"the index in {self.where} can neither answer nor take articles while its disk is full "
                        "(Chroma could not apply its write log): nothing committed is lost; free some space and try "
                        "again"
                    ) from exc
                raise

        return call

    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, wrap(member))
    return cls
