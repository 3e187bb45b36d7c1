"""The same index on a real Chroma server (`chroma run`) on 127.0.0.1, as a deployment would use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import free_port, index

from assistant.embedding import Embedder
from assistant.errors import StoreError
from assistant.retrieval import Retriever
from assistant.settings import Settings
from assistant.store import Store

pytestmark = pytest.mark.server


def test_index_and_search_through_a_chroma_server(
    chroma_url: str, embedder: Embedder, corpus: Path, tmp_path: Path
) -> None:
    settings = Settings(chroma_url=chroma_url, index_dir=tmp_path / "must-stay-unused", lexical_dir=tmp_path / "lex")
    report, _store = index(settings, embedder, corpus)
    assert report.added == 2 and report.chunks_total > 10
    again, _ = index(settings, embedder, corpus)
    assert again.unchanged == 2 and again.chunks_embedded == 0
    passages = Retriever(settings, Store(settings), embedder).retrieve("Where was the summit held?", k=5)
    assert "Vostochny" in passages[0].text
    assert not settings.index_dir.exists()  # nothing was written to the local index ...
    assert settings.lexical_path().parent == tmp_path / "lex" and settings.lexical_path().exists()  # but this


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        Store(settings, create=True)
