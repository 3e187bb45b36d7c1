"""Retrieval's own rules: near-copies of a chosen passage give their place to others; `as_of` leaves later
articles out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import index

from assistant.errors import ConfigError
from assistant.retrieve import recency
from assistant.retrieve.hybrid import Filters, Retriever, _diverse, _fused_order, _prefer, _with_firsts
from assistant.settings import Settings
from assistant.store.chroma import Hit, Store
from assistant.store.embedding import Embedder
from assistant.text.dates import to_timestamp
from assistant.text.terms import terms
from assistant.types import Chunk

STORY = "Kim Jong-un met Vladimir Putin at the Vostochny cosmodrome in Russia's Amur region on Wednesday."
OTHERS = [
    "The European Central Bank raised its key interest rate to a record high of 4%.",
    "Floods in eastern Libya killed thousands after two dams burst near the city of Derna.",
    "A magnitude 6.8 earthquake struck Morocco's High Atlas mountains late on Friday.",
    "The United Auto Workers union began a strike at three Detroit car plants.",
]


def _hits(texts: list[tuple[str, str]]) -> tuple[list[str], dict[str, Hit]]:
    hits = {}
    for n, (article, text) in enumerate(texts):
        chunk = Chunk(article, n, 0, len(text), text)
        hits[chunk.id] = Hit(chunk, {"title": article}, 0.5)
    return list(hits), hits


def test_a_reprint_from_another_article_goes_after_the_distinct_passages() -> None:
    order, hits = _hits(
        [
            ("a", STORY),
            ("b", STORY.replace("Wednesday", "Wednesday, officials said")),
            *[(f"o{i}", t) for i, t in enumerate(OTHERS)],
        ]
    )
    got = _diverse(order, hits, k=3)
    assert got[:3] == [order[0], order[2], order[3]]  # the reprint (order[1]) gave its place
    assert sorted(got) == sorted(order)  # nothing lost
    assert got[3:] == [order[4], order[5], order[1]]  # past the first k: fused order, then the copies
    # the same text twice in one article is not a reprint (overlapping chunks of one story)
    order, hits = _hits([("a", STORY), ("a", STORY), *[(f"o{i}", t) for i, t in enumerate(OTHERS)]])
    assert _diverse(order, hits, k=3)[:3] == order[:3]


def test_each_ranking_s_first_pick_keeps_a_place_in_the_top_k() -> None:
    order = [f"c{i}" for i in range(10)]
    assert _with_firsts(order, ["c0", "c8"], 3) == ["c0", "c1", "c8"]
    assert _with_firsts(order, ["c1"], 3) == ["c0", "c1", "c2"]


def test_as_of_leaves_out_what_was_published_later_and_keeps_undated_articles(
    settings: Settings, embedder: Embedder, corpus: Path
) -> None:
    undated = (
        "The cosmodrome tour, told by a visitor\n\n"
        "Kim Jong-un toured the Vostochny cosmodrome and its launch pads with Vladimir Putin, a visitor wrote.\n"
    )
    (corpus / "undated.txt").write_text(undated, encoding="utf-8")
    index(settings, embedder, corpus)
    retriever = Retriever(settings, Store(settings), embedder)
    question = "Vostochny cosmodrome Kim Putin"

    def days(filters: Filters) -> set[str]:
        return {(p.published_at or "undated")[:10] for p in retriever.retrieve(question, filters, k=20)}

    assert days(Filters()) == {"2023-09-15", "2023-09-17", "undated"}  # today: nothing is later
    assert days(Filters(as_of="2023-09-17")) == {"2023-09-15", "2023-09-17", "undated"}  # the whole day
    assert days(Filters(as_of="2023-09-16")) == {"2023-09-15", "undated"}  # both rankings leave the 17th out
    lexical = retriever.lexical()
    cutoff = Filters(as_of="2023-09-16").cutoff()
    assert {f.article_id for f in lexical.rank(terms(question), 50, as_of=cutoff)} == {
        p.article_id for p in retriever.retrieve(question, Filters(as_of="2023-09-16"), k=50)
    }
    assert days(Filters(as_of="2023-09-14")) == {"undated"}
    for bad in ("yesterday", "2023-13-01", "15 Sep 2023"):
        with pytest.raises(ConfigError, match="YYYY-MM-DD"):
            Filters.checked(None, None, None, [], bad)
    assert Filters.checked(None, None, None, [], " 2023-09-16 ").as_of == "2023-09-16"


def test_between_equal_scores_the_more_recent_article_comes_first() -> None:
    order, hits = _hits([("old", OTHERS[0]), ("undated", OTHERS[1]), ("new", OTHERS[2]), ("best", OTHERS[3])])
    published = {"old": 1694736000, "new": 1726358400, "best": 1600000000}
    for h in hits.values():
        if h.chunk.article_id in published:
            h.article["published_ts"] = published[h.chunk.article_id]
    fused = {order[0]: 0.5, order[1]: 0.5, order[2]: 0.5, order[3]: 0.9}
    assert [hits[i].chunk.article_id for i in _fused_order(fused, hits)] == ["best", "new", "old", "undated"]


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        ("Who won the vote this week?", "2025-01-04", "2025-01-10"),  # the seven days up to the as-of day
        ("What happened last week in Gaza?", "2024-12-28", "2025-01-03"),
        ("What did the senator say yesterday?", "2025-01-09", "2025-01-10"),
        ("Who resigned on Monday?", "2025-01-06", "2025-01-07"),  # the last Monday, and the next day's papers
        ("What did the court rule in March?", "2024-03-01", "2024-03-31"),  # the last March before the day
        ("What did the court rule in January?", "2025-01-01", "2025-01-10"),
        ("Which film led the box office in May 2023?", "2023-05-01", "2023-05-31"),
        ("What did the latest poll show?", "2024-12-11", "2025-01-10"),
        ("Who was recently named coach?", "2024-12-11", "2025-01-10"),
        ("How many jobs were added last month?", "2024-12-01", "2024-12-31"),
        ("So far this year, who leads?", "2025-01-01", "2025-01-10"),
        ("Who won the game last weekend?", "2025-01-04", "2025-01-06"),
    ],
)
def test_a_time_expression_names_the_days_to_prefer(question: str, first: str, last: str) -> None:
    days = recency.window(question, date(2025, 1, 10))  # a Friday
    assert days is not None and (days.first.isoformat(), days.last.isoformat()) == (first, last)


@pytest.mark.parametrize(
    "question", ["Who is Russia's defence minister?", "What may happen in may?", "Where is New York's mayor?"]
)
def test_a_question_without_one_prefers_no_days(question: str) -> None:
    assert recency.window(question, date(2025, 1, 10)) is None


def test_a_question_about_this_week_prefers_the_articles_of_the_week() -> None:
    order, hits = _hits([("old", STORY), ("week", STORY), ("other", OTHERS[0])])
    for article, day in (("old", "2024-11-02"), ("week", "2025-01-08"), ("other", "2025-01-09")):
        hits[next(i for i in order if hits[i].chunk.article_id == article)].article["published_ts"] = to_timestamp(day)
    fused = {order[0]: 0.030, order[1]: 0.025, order[2]: 0.010}
    days = recency.window("Where did Kim meet Putin this week?", date(2025, 1, 10))
    assert days is not None
    _prefer(fused, hits, days, 0.5)
    assert [hits[i].chunk.article_id for i in _fused_order(fused, hits)] == ["week", "old", "other"]
    assert fused[order[2]] == pytest.approx(0.015) and fused[order[0]] == 0.030  # in the week, or left alone


def test_one_article_takes_at_most_its_share_of_the_places() -> None:
    order, hits = _hits([("long", OTHERS[0]), ("long", OTHERS[1]), ("long", OTHERS[2]), ("short", STORY)])
    assert _diverse(order, hits, k=3) == order  # no limit: fused order
    capped = _diverse(order, hits, k=3, per_article=2)
    assert capped[:3] == [order[0], order[1], order[3]] and capped[3:] == [order[2]]  # moved back, not lost


def test_the_archive_as_a_llama_index_retriever(settings: Settings, embedder: Embedder, corpus: Path) -> None:
    """llama-index's `BaseRetriever` over the hybrid retrieval: nodes hold the passages with offsets into the
    article's clean text, and filters apply."""
    from llama_index.core.retrievers import BaseRetriever

    from assistant.retrieve.llama_retriever import ArchiveRetriever

    _, store = index(settings, embedder, corpus)
    retriever = ArchiveRetriever(Retriever(settings, store, embedder), k=3)
    assert isinstance(retriever, BaseRetriever)
    hits = retriever.retrieve("Where was the summit held?")
    assert len(hits) == 3 and "Vostochny" in hits[0].node.get_content()
    for hit in hits:
        node = hit.node
        _, text = store.article(node.metadata["article_id"])
        assert text[node.start_char_idx : node.end_char_idx] == node.get_content()
    assert hits[0].score >= hits[-1].score
    [other] = {a.source for a in store.list_articles()} - {hits[0].node.metadata["source"]}
    filtered = ArchiveRetriever(Retriever(settings, store, embedder), k=3, filters=Filters(source=other))
    found = filtered.retrieve("Where was the summit held?")
    assert found and all(h.node.metadata["source"] == other for h in found)
