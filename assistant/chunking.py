"""Articles -> sentence-aware chunks with exact character offsets into the clean text."""

from __future__ import annotations

from collections.abc import Callable

from assistant.errors import ArticleError
from assistant.types import Article, Chunk


class Chunker:
    """llama-index's SentenceSplitter, sized in the embedding model's tokens.

    The splitter keeps sentences whole (it splits further only a sentence longer than a chunk) and
    records where each node starts in the document; we check every offset against the text.
    """

    def __init__(self, tokenize: Callable[[str], list[int]], chunk_size: int, chunk_overlap: int) -> None:
        from llama_index.core.node_parser import SentenceSplitter

        self._splitter = SentenceSplitter(
            chunk_size=chunk_size,
            chunk_overlap=min(chunk_overlap, chunk_size // 2),
            tokenizer=tokenize,
            paragraph_separator="\n\n",
            include_metadata=False,
            include_prev_next_rel=False,
        )

    def chunk(self, article: Article) -> list[Chunk]:
        # the splitter's own text API: what get_nodes_from_documents adds (nodes, ids, metadata,
        # instrumentation) costs as much as the splitting and we keep none of it. Offsets are found as
        # llama-index finds them for nodes: each chunk searched from just after the previous one's start.
        chunks: list[Chunk] = []
        cursor = 0
        for text in self._splitter.split_text(article.text):
            start = article.text.find(text, cursor)
            if start < 0:
                start = article.text.find(text)
            if start < 0:  # never seen; the indexer skips such an article, named, and goes on
                raise ArticleError(f"chunk {len(chunks)} is not in the article's text, so it could not be indexed")
            chunks.append(Chunk(article.id, len(chunks), start, start + len(text), text))
            cursor = start + 1
        return chunks
