"""The recipe of docs/deploy.md on 127.0.0.1: one Chroma server, two app processes, one shared index.

Each app has a keyword index of its own (as on two machines); an article uploaded through one process is
answerable through the other at its next question, and one removed through the other is gone from both.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from conftest import start_app, stop_app

from assistant.store.lexical import LexicalIndex

pytestmark = pytest.mark.server

TITLE = "Kelvik lighthouse reopens after storm"
STORY = (
    f"{TITLE}\n\nThe Zorbanian harbour authority reopened the Kelvik lighthouse on Tuesday, eight months after a "
    "winter storm broke its lantern room.\n\nHarbour master Ilse Varnhagen said the new lantern of the Kelvik "
    "lighthouse can be seen from 40 kilometres out at sea.\n"
)
QUESTION = "When did the Kelvik lighthouse reopen?"


def _cited(answer: dict) -> set[str]:  # type: ignore[type-arg]
    return {c["article_id"] for c in answer["citations"] if c["title"] == TITLE}


def _ask(url: str) -> dict:  # type: ignore[type-arg]
    r = httpx.post(f"{url}/api/ask", json={"question": QUESTION, "llm": "extractive"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_two_app_processes_share_one_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    common = {"ASSISTANT_CHROMA_URL": chroma_url, "ASSISTANT_LLM": "extractive", "ASSISTANT_PRELOAD_MODEL": "false"}
    one, url_one = start_app(  # builds the shared index from the bundled articles
        tmp_path / "one", {**common, "ASSISTANT_LEXICAL_DIR": str(tmp_path / "one" / "lexical")}
    )
    try:
        two, url_two = start_app(tmp_path / "two", {**common, "ASSISTANT_LEXICAL_DIR": str(tmp_path / "two" / "lex")})
        try:
            assert not _cited(_ask(url_two))

            r = httpx.post(f"{url_one}/api/articles", files={"files": ("kelvik.txt", STORY.encode())}, timeout=120)
            assert r.status_code == 200, r.text
            assert r.json()["added"] == 1

            deadline = time.monotonic() + 10
            while True:  # within a few seconds at most; in practice the very next question
                answer = _ask(url_two)
                if _cited(answer) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            (cited,) = _cited(answer)
            assert "Tuesday" in answer["answer"]
            text = httpx.get(f"{url_two}/api/articles/{cited}").json()["text"]
            assert all(text[c["start"] : c["end"]] == c["quote"] for c in answer["citations"])
            (own,) = (tmp_path / "two" / "lex").glob("*.sqlite3")  # its own keyword index holds the new article
            assert cited in LexicalIndex(own).article_ids()
            search = httpx.post(
                f"{url_two}/api/ask", json={"question": "Who is Ilse Varnhagen?", "llm": "extractive"}, timeout=60
            ).json()
            assert any(p["article_id"] == cited for p in search["passages"])

            assert httpx.delete(f"{url_two}/api/articles/{cited}").status_code == 200
            assert not _cited(_ask(url_one))
            (theirs,) = (tmp_path / "one" / "lexical").glob("*.sqlite3")
            assert cited not in LexicalIndex(theirs).article_ids()
        finally:
            stop_app(two)
    finally:
        stop_app(one)
