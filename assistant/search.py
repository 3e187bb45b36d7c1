"""Query -> passages: dense retrieval over the committed chunks in Chroma."""

from __future__ import annotations

from assistant.embedding import Embedder
from assistant.store import Store
from assistant.types import Passage


class Searcher:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, query: str, k: int = 5) -> list[Passage]:
        vector = self.embedder.encode([query])[0]
        return [
            Passage(
                article_id=hit.chunk.article_id,
                title=str(hit.article["title"]),
                source=hit.article.get("source"),
                published_at=hit.article.get("published_at"),
                start=hit.chunk.start,
                end=hit.chunk.end,
                text=hit.chunk.text,
                score=round(hit.similarity, 4),
            )
            for hit in self.store.query(vector, k)
        ]
