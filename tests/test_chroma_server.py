"""The same index on a real Chroma server (`chroma run`) on 127.0.0.1, as a deployment would use it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import index

from assistant.embedding import Embedder
from assistant.errors import StoreError
from assistant.retrieval import Retriever
from assistant.settings import Settings
from assistant.store import Store

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with the chromadb package"
    port = _free_port()
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start listening within 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_index_and_search_through_a_chroma_server(
    chroma_url: str, embedder: Embedder, corpus: Path, tmp_path: Path
) -> None:
    settings = Settings(chroma_url=chroma_url, index_dir=tmp_path / "must-stay-unused")
    report, _store = index(settings, embedder, corpus)
    assert report.added == 2 and report.chunks_total > 10
    again, _ = index(settings, embedder, corpus)
    assert again.unchanged == 2 and again.chunks_embedded == 0
    passages = Retriever(settings, Store(settings), embedder).retrieve("Where was the summit held?", k=5)
    assert "Vostochny" in passages[0].text
    assert not settings.index_dir.exists()  # nothing was written to the local index


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(chroma_url=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        Store(settings, create=True)
