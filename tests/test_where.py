"""Filtered dense search: a filter applied in Python to a wider unfiltered search finds what Chroma's own
filtered search finds, in real Chroma; a filter few chunks pass falls back to Chroma's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from assistant.retrieve.hybrid import Filters
from assistant.settings import Settings
from assistant.store.chroma import Store
from assistant.store.where import matches
from assistant.types import Article, Chunk

SOURCES = ["Wire", "Daily", "Weekly", None]


@pytest.fixture
def store(settings: Settings) -> Store:
    """60 articles of 5 chunks with random vectors: four sources (one of them none), dated over 2024 and
    every seventh article undated."""
    store = Store(settings, create=True)
    rng = np.random.default_rng(20)
    vectors = rng.standard_normal((300, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    articles, chunks = [], []
    for i in range(60):
        text = " ".join(f"Sentence {j} of report {i}." for j in range(5))
        article = Article(
            key=f"/r/{i}.txt",
            title=f"Report {i}",
            text=text,
            source=SOURCES[i % 4],
            published_at=None if i % 7 == 0 else f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
        )
        articles.append(article)
        at = 0
        for j, sentence in enumerate(text.split(". ")):
            chunks.append(Chunk(article.id, j, at, at + len(sentence), sentence))
            at += len(sentence) + 2
    store.add_chunks(chunks, vectors, {a.id: a for a in articles})
    store.commit([(a, f"fp{a.key}", "00" * 256, 5, vectors[5 * i]) for i, a in enumerate(articles)])
    return store


def clauses() -> list[dict[str, Any]]:
    """Every shape of clause retrieval writes (`Filters.where`)."""
    kinds = [
        Filters(as_of="2024-06-15"),
        Filters(source="Wire"),
        Filters(since="2024-03-01", until="2024-08-31"),
        Filters(source="Daily", since="2024-02-01", as_of="2024-10-01"),
        Filters(source="Daily", since="2024-06-01", until="2024-06-10"),  # two articles
    ]
    return [w for f in kinds if (w := f.where(f.cutoff())) is not None]


def test_the_python_filter_passes_the_chunks_chroma_s_filter_passes(store: Store) -> None:
    got = store.chunks.get(include=["metadatas"])
    rows = list(zip(got["ids"], got["metadatas"] or [], strict=True))
    day = sorted({m["published_ts"] for _, m in rows if "published_ts" in m})[10]
    edges = [{"published_ts": {op: day}} for op in ("$eq", "$lt", "$lte", "$gt", "$gte")]
    edges += [{"published_ts": day}, {"source": {"$in": ["Wire", "Weekly"]}}]
    for where in clauses() + edges:
        chroma = set(store.chunks.get(where=where, include=[])["ids"])  # type: ignore[arg-type]
        mine = {i for i, meta in rows if matches(where, meta)}
        assert mine == chroma and 0 < len(mine) < len(rows), where


def test_an_unknown_operator_is_not_guessed() -> None:
    with pytest.raises(ValueError, match=r"\$ne"):
        matches({"source": {"$ne": "Wire"}}, {"source": "Daily"})


class Spy:
    """The store's real chunks collection, with the `where` of each query written down."""

    def __init__(self, collection: Any) -> None:
        self.collection, self.wheres = collection, []

    def query(self, **kw: Any) -> Any:
        self.wheres.append(kw.get("where"))
        return self.collection.query(**kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)


def test_filtered_search_finds_what_chroma_s_filtered_search_finds(store: Store) -> None:
    rng = np.random.default_rng(3)
    spy = Spy(store.chunks)
    store.chunks = spy  # type: ignore[assignment]
    widened = fell_back = 0
    for where in clauses():
        for _ in range(5):
            vector = rng.standard_normal(384).astype(np.float32)
            vector /= np.linalg.norm(vector)
            spy.wheres.clear()
            hits = store.query(vector, 10, where)
            direct = spy.collection.query(query_embeddings=[vector], n_results=10, where=where, include=[])
            assert [h.chunk.id for h in hits] == direct["ids"][0], where
            widened += spy.wheres == [None]
            fell_back += spy.wheres == [None, where]
    # a date most chunks pass is answered by the wider search alone; ten days of one source by Chroma's filter
    assert widened >= 15 and fell_back >= 5
