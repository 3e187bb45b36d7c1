"""Fusion's last step: near-copies of a chosen passage (another outlet's reprint) give their place to others."""

from __future__ import annotations

from assistant.retrieval import _diverse, _with_firsts
from assistant.store import Hit
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
