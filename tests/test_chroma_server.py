"""The same index on a real Chroma server (`chroma run`) on 127.0.0.1, as a deployment would use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import free_port, index, start_app, start_chroma, stop_app

from assistant.errors import StoreError
from assistant.retrieve.hybrid import Retriever
from assistant.settings import Settings
from assistant.store.chroma import Store
from assistant.store.embedding import Embedder

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


def test_the_server_going_away_and_back_is_a_clear_error_then_answers(tmp_path: Path) -> None:
    """The Chroma server stops while the app (`python app.py`) runs: each question meanwhile gets HTTP 503
    naming the server, and the same app answers again once the server is back (no restart)."""
    import httpx

    port = free_port()
    server = start_chroma(tmp_path / "server", port)
    app = None
    try:
        env = {
            "ASSISTANT_CHROMA_URL": f"http://127.0.0.1:{port}",
            "ASSISTANT_LEXICAL_DIR": str(tmp_path / "lex"),
            "ASSISTANT_LLM": "extractive",
            "ASSISTANT_QUESTIONS_PER_MINUTE": "0",
        }
        app, url = start_app(tmp_path / "app", env)  # builds the index of the bundled articles on the server
        ask = {"question": "Where was the summit held?"}
        first = httpx.post(f"{url}/api/ask", json=ask, timeout=60)
        assert first.status_code == 200 and "Vostochny" in first.json()["answer"], first.text
        server.terminate()
        server.wait(timeout=10)
        away = httpx.post(f"{url}/api/ask", json=ask, timeout=60)
        assert away.status_code == 503 and "cannot reach the Chroma server" in away.json()["error"], away.text
        server = start_chroma(tmp_path / "server", port)
        back = httpx.post(f"{url}/api/ask", json=ask, timeout=60)
        assert back.status_code == 200 and back.json()["answer"] == first.json()["answer"], back.text
    finally:
        if app is not None:
            stop_app(app)
        server.terminate()
        server.wait(timeout=10)
