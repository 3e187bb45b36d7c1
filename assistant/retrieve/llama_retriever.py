"""The archive as a llama-index retriever, for a llama-index user's own pipeline (query engines, agents).

In: a question (a llama-index `QueryBundle` or a string). Out: `NodeWithScore`s whose `TextNode`s are the
hybrid retrieval's passages, with `start_char_idx` / `end_char_idx` into the article's clean text (the text
`/api/articles/{id}` gives) and the article's fields as metadata. The ranking is this project's own
(`Retriever`: dense and keyword rankings fused, dates and sources filtered), not llama-index's.

    from assistant.retrieve.llama_retriever import ArchiveRetriever
    retriever = ArchiveRetriever.from_settings(k=5)
    for hit in retriever.retrieve("Where did Putin and Kim meet?"):
        print(hit.score, hit.node.metadata["title"], hit.node.text)
"""

from __future__ import annotations

from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from assistant.retrieve.hybrid import Filters, Retriever
from assistant.settings import Settings, load_settings


class ArchiveRetriever(BaseRetriever):
    def __init__(self, retriever: Retriever, k: int | None = None, filters: Filters | None = None, **kwargs: Any):
        """`k` passages (default: ASSISTANT_RETRIEVE_K), within `filters` (source, dates, as-of day)."""
        super().__init__(**kwargs)
        self._archive = retriever
        self._k = k
        self._filters = filters

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, k: int | None = None, filters: Filters | None = None
    ) -> ArchiveRetriever:
        """Over the index the settings name (the environment's by default), with the packaged embedding model."""
        from assistant.offline import stay_offline
        from assistant.store.chroma import Store
        from assistant.store.embedding import Embedder

        stay_offline()  # an edge of its own: a user's script, not the CLI or the app
        settings = settings or load_settings()
        return cls(Retriever(settings, Store(settings), Embedder.from_settings(settings)), k, filters)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self._archive.retrieve(query_bundle.query_str, self._filters, self._k)
        return [
            NodeWithScore(
                node=TextNode(
                    id_=f"{p.article_id}:{p.start}-{p.end}",
                    text=p.text,
                    start_char_idx=p.start,
                    end_char_idx=p.end,
                    metadata={
                        "article_id": p.article_id,
                        "title": p.title,
                        "source": p.source,
                        "published_at": p.published_at,
                    },
                ),
                score=p.score,
            )
            for p in passages
        ]
