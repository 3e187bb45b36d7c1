"""Properties that must hold for any input, checked on generated text (hypothesis): unicode of every script,
control characters, odd whitespace. The chunker with the real packaged tokenizer."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.cite.check import MARKER, parse
from assistant.errors import ArticleError
from assistant.ingest.chunking import Chunker
from assistant.ingest.cleaning import clean
from assistant.store.embedding import Embedder
from assistant.types import Article, Draft

WORDS = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=12
)
# text built of words, sentence ends, line and paragraph breaks and anything else unicode holds
BREAKS = st.sampled_from([" ", ". ", "? ", "\n", "\n\n", "\r\n", "\t", "“", "”", "—", "\u200b", "\x0c"])
TEXT = st.lists(st.one_of(WORDS, BREAKS, st.text()), max_size=80).map("".join)
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(text=TEXT)
def test_cleaning_any_text_gives_an_article_or_says_why(text: str) -> None:
    try:
        article = clean(Draft(key="upload.txt", body=text, format="text"))
    except ArticleError:
        return
    assert article.text and article.text == article.text.strip()
    assert unicodedata.is_normalized("NFC", article.text)
    assert "\r" not in article.text
    assert not [c for c in article.text if unicodedata.category(c) == "Cc" and c != "\n"], repr(article.text)
    assert article.title and "\n" not in article.title


@SLOW
@given(text=TEXT, size=st.integers(32, 96), overlap=st.integers(0, 24))
def test_chunks_are_exact_spans_that_cover_the_text(embedder: Embedder, text: str, size: int, overlap: int) -> None:
    article = Article(key="k", title="t", text=text)
    chunks = Chunker(embedder.token_starts, size, overlap).chunk(article)
    for c in chunks:
        assert c.text == text[c.start : c.end] and c.start < c.end
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts))  # every chunk moves on
    covered = set().union(*(range(c.start, c.end) for c in chunks)) if chunks else set()
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
    assert not missing, (missing[:5], [text[i] for i in missing[:5]])


MARKED = st.lists(
    st.tuples(
        st.lists(WORDS, min_size=1, max_size=6).map(" ".join),
        st.lists(st.integers(1, 12), max_size=3),
        st.sampled_from([". ", "! ", "? ", ".\n", " "]),
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(parts=MARKED)
def test_the_citation_parser_keeps_every_cited_number_and_no_marker(parts: list[tuple[str, list[int], str]]) -> None:
    text = "".join(f"{words}{''.join(f' [{n}]' for n in ns)}{end}" for words, ns, end in parts)
    parsed = parse(text)
    cited = {n for words, ns, _ in parts for n in ns}
    assert all(not MARKER.search(sentence) and sentence == sentence.strip() and sentence for sentence, _ in parsed)
    if any(re.search(r"\w", w) for w, _, _ in parts):
        assert {n for _, ns in parsed for n in ns} == cited
