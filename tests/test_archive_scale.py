"""An archive past SQLite's 32,766-variable limit: more than 40,000 stored chunks in real Chroma.

The filler's vectors are random unit vectors (they need not come from the model, so the test stays fast);
the two bundled articles are indexed as usual, with the real model, beside them.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from conftest import ARTICLES, index

from assistant.answer.pipeline import Assistant
from assistant.retrieve.hybrid import Filters, Retriever
from assistant.settings import Settings
from assistant.store.chroma import Store
from assistant.store.embedding import Embedder
from assistant.types import Article, Chunk

pytestmark = pytest.mark.slow

FILLER_CHUNKS = 41_000
_WORDS = (  # noqa: SIM905
    "council budget river harvest weather league season court ruling airline flight school teacher storm "
    "market shares museum festival bridge highway election ballot hospital vaccine factory strike port"
).split()


def _filler(store: Store, n_chunks: int, per_article: int = 25) -> int:
    """Articles of made-up sentences, `per_article` chunks each, stored with random vectors."""
    rng = random.Random(16)
    vectors = np.random.default_rng(16).standard_normal((n_chunks, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    done = n_article = 0
    batch: list[tuple[Article, list[Chunk]]] = []
    while done < n_chunks:
        sentences = [" ".join(rng.choices(_WORDS, k=12)).capitalize() + "." for _ in range(per_article)]
        text = " ".join(sentences)
        article = Article(
            key=f"/filler/{n_article}.txt",
            title=f"Filler report {n_article}",
            text=text,
            source="Filler Wire",
            published_at=f"2024-{1 + n_article % 12:02d}-{1 + n_article % 28:02d}",
        )
        chunks, at = [], 0
        for i, sentence in enumerate(sentences):
            chunks.append(Chunk(article.id, i, at, at + len(sentence), sentence))
            at += len(sentence) + 1
        batch.append((article, chunks))
        done += len(chunks)
        n_article += 1
        if len(batch) == 200 or done >= n_chunks:  # as the indexer writes: a slab of chunks, then its records
            at = done - sum(len(c) for _, c in batch)
            slab = [c for _, cs in batch for c in cs]
            store.add_chunks(slab, vectors[at:done], {a.id: a for a, _ in batch})
            store.commit([(a, f"fp{a.key}", "00" * 256, len(cs), vectors[at]) for a, cs in batch])
            batch = []
    return n_article


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    settings = Settings(index_dir=tmp_path_factory.mktemp("archive") / "index")
    store = Store(settings, create=True)
    _filler(store, FILLER_CHUNKS)
    index(settings, embedder, ARTICLES)
    return settings


def test_an_archive_past_sqlite_s_variable_limit_answers(archive: Settings, embedder: Embedder) -> None:
    store = Store(archive)
    articles, chunks = store.count()
    assert chunks > 40_000 and articles > 1_600
    assert len(store.records()) == articles == len(store.list_articles())
    ids, hits = store.committed_chunks()
    assert len(ids) == chunks == len(hits)

    assistant = Assistant(archive, store, embedder)
    answer = assistant.ask("Where was the summit held?", llm="extractive")
    assert not answer.refused
    assert "Vostochny" in answer.answer
    quoted = {c.article_id: c for c in answer.citations}
    for c in quoted.values():
        assert store.article(c.article_id)[1][c.start : c.end] == c.quote


def test_search_and_filters_at_archive_size(archive: Settings, embedder: Embedder) -> None:
    store = Store(archive)
    retriever = Retriever(archive, store, embedder)
    assert "Vostochny" in " ".join(p.text for p in retriever.retrieve("Where was the summit held?", k=5))
    # a filter that matches more chunks than one SQLite statement can name
    wire = retriever.retrieve("airline flight strike", Filters(source="Filler Wire"), k=5)
    assert len(wire) == 5 and {p.source for p in wire} == {"Filler Wire"}
    dated = retriever.retrieve("airline flight strike", Filters(since="2024-03-01", until="2024-03-31"), k=5)
    assert dated and all((p.published_at or "").startswith("2024-03") for p in dated)


def test_reindex_and_prune_at_archive_size(archive: Settings, embedder: Embedder, tmp_path: Path) -> None:
    again, store = index(archive, embedder, ARTICLES)
    assert (again.added, again.updated, again.unchanged, again.chunks_embedded) == (0, 0, 2, 0)
    assert again.chunks_total > 40_000
    # an article that a stopped run embedded but never committed is collected at that size too
    orphan = Article(key="/filler/orphan.txt", title="Orphan", text="An orphan chunk.")
    vector = np.full((1, 384), 384**-0.5, np.float32)
    store.add_chunks([Chunk(orphan.id, 0, 0, 16, "An orphan chunk.")], vector, {orphan.id: orphan})
    assert orphan.id in store.chunk_article_ids()
    index(archive, embedder, ARTICLES)
    assert orphan.id not in store.chunk_article_ids()
