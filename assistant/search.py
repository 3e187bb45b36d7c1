"""Query -> passages: dense retrieval over the committed chunks in Chroma."""

from __future__ import annotations

from assistant.embedding import Embedder
from assistant.retrieval import to_passage
from assistant.store import Store
from assistant.types import Passage


class Searcher:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, query: str, k: int = 5) -> list[Passage]:
        vector = self.embedder.encode([query])[0]
        hits = self.store.query(vector, k)
        return [to_passage(hit.chunk, hit.article, hit.similarity, hit.similarity) for hit in hits]
