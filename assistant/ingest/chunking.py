"""Articles -> sentence-aware chunks with exact character offsets into the clean text."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from typing import NamedTuple

from assistant.text.sentences import sentence_spans
from assistant.types import Article, Chunk

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
TokenStarts = Callable[[str], list[int]]  # text -> the character offset where each of its tokens starts


class _Piece(NamedTuple):
    start: int
    end: int
    tokens: int


class Chunker:
    """Whole paragraphs merged into chunks of at most `chunk_size` model tokens, consecutive chunks sharing up to
    `chunk_overlap` tokens of whole paragraphs; a paragraph longer than a chunk goes by sentences, and a sentence
    longer than a chunk is cut at word starts (as llama-index's SentenceSplitter splits and merges).

    Our own rather than llama-index's SentenceSplitter (which this replaced): the splitter tokenizes each piece again
    as it merges (43 ms a real article, against ~9 ms here: one tokenization of the article and its sentence spans),
    and finds its chunks back in the text by search; here every offset comes from the spans themselves, and the
    sentences are those the evidence step and the citation check use.
    """

    def __init__(self, token_starts: TokenStarts, chunk_size: int, chunk_overlap: int) -> None:
        self.token_starts = token_starts
        self.size = chunk_size
        self.overlap = min(chunk_overlap, chunk_size // 2)

    def chunk(self, article: Article) -> list[Chunk]:
        text = article.text
        pieces = self._pieces(text)
        chunks: list[Chunk] = []
        first = 0
        while first < len(pieces):
            last, tokens = first, pieces[first].tokens
            while last + 1 < len(pieces) and tokens + pieces[last + 1].tokens <= self.size:
                last += 1
                tokens += pieces[last].tokens
            start, end = pieces[first].start, pieces[last].end
            chunks.append(Chunk(article.id, len(chunks), start, end, text[start:end]))
            if last + 1 >= len(pieces):
                break
            # the next chunk starts with the last whole pieces of this one, up to `overlap` tokens, and always
            # moves on by at least one piece
            following, shared = last + 1, 0
            while following - 1 > first and shared + pieces[following - 1].tokens <= self.overlap:
                following -= 1
                shared += pieces[following].tokens
            first = following
        return chunks

    def _pieces(self, text: str) -> list[_Piece]:
        """The text's paragraphs with their token counts; a paragraph longer than a chunk in sentences, and a
        sentence longer than a chunk cut into chunk-sized runs."""
        starts = self.token_starts(text)
        pieces = []
        for p_lo, p_hi in _paragraphs(text):
            tokens = bisect_left(starts, p_hi) - bisect_left(starts, p_lo)
            if tokens <= self.size:
                pieces.append(_Piece(p_lo, p_hi, tokens))
                continue
            for lo, hi in sentence_spans(text[p_lo:p_hi], offset=p_lo):
                pieces += self._sentence(text, starts, lo, hi)
        return [p for p in pieces if p.end > p.start]

    def _sentence(self, text: str, starts: list[int], lo: int, hi: int) -> list[_Piece]:
        """A sentence as one piece, or cut into runs of at most a chunk's tokens."""
        pieces = []
        first, end = bisect_left(starts, lo), bisect_left(starts, hi)
        while end - first > self.size:
            cut = self._cut(text, starts, first, first + self.size)
            pieces.append(_Piece(lo, _rstrip(text, lo, starts[cut]), cut - first))
            first, lo = cut, starts[cut]
        pieces.append(_Piece(lo, hi, end - first))
        return pieces

    @staticmethod
    def _cut(text: str, starts: list[int], first: int, limit: int) -> int:
        """The last token in (first, limit] that starts a word (after a space), else `limit` itself."""
        for i in range(limit, first + max(1, (limit - first) // 2), -1):
            if text[starts[i] - 1].isspace():
                return i
        return limit


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph (text between blank lines), without its surrounding whitespace."""
    spans, lo = [], 0
    for gap in [*_PARAGRAPH_BREAK.finditer(text), None]:
        hi = gap.start() if gap else len(text)
        while lo < hi and text[lo].isspace():
            lo += 1
        hi = _rstrip(text, lo, hi)
        if hi > lo:
            spans.append((lo, hi))
        lo = gap.end() if gap else hi
    return spans


def _rstrip(text: str, lo: int, hi: int) -> int:
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return hi
