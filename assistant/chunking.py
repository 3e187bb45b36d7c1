"""Articles -> sentence-aware chunks with exact character offsets into the clean text."""

from __future__ import annotations

from collections.abc import Callable

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
        from llama_index.core import Document
        from llama_index.core.schema import TextNode

        nodes = self._splitter.get_nodes_from_documents([Document(text=article.text, id_=article.id)])
        chunks: list[Chunk] = []
        cursor = 0
        for node in nodes:
            assert isinstance(node, TextNode)
            text = node.get_content()
            start = node.start_char_idx
            if start is None or article.text[start : start + len(text)] != text:
                # the splitter could not place the node: find it ourselves, after the previous one
                start = article.text.find(text, cursor)
                if start < 0:
                    start = article.text.find(text)
            if start < 0:
                raise AssertionError(f"chunk {len(chunks)} of {article.key} is not in its article's text")
            chunks.append(Chunk(article.id, len(chunks), start, start + len(text), text))
            cursor = start + 1
        return chunks
