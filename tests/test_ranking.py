"""The order evidence sentences come in: a sentence naming what the question does not, and the more recent report,
first (`EvidenceSelector.ranked`); which sentences serve stays their score's to say."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from assistant.answer.evidence import EvidenceSelector, _candidates, asks_for_a_name, new_names
from assistant.store.embedding import Embedder
from assistant.types import Passage


@pytest.mark.parametrize(
    ("text", "count"),
    [
        # "Kim" is the question's; "Jong-il" is not: the run "Kim Jong-il" is a new name
        ("The leader took over after the death of his father Kim Jong-il in 2011.", 1),
        ("Kim’s sister Kim Yo-jong went with him to Russia.", 2),  # "Kim’s" is the question's "Kim"
        ("He met Vladimir Putin in Pyongyang.", 2),
        ("Kim Jong-un met him. Then the train left.", 0),  # a sentence's first word is capitalised anyway
        ("his father was a leader too.", 0),
    ],
)
def test_new_names_are_runs_of_capitalised_words_the_question_lacks(text: str, count: int) -> None:
    assert new_names(text, "Who was Kim Jong-un's father?") == count


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Which oil giant announced plans to cut 4,700 jobs?", True),
        ("Who won the Super Bowl?", True),
        ("Where did Putin and Kim meet?", True),
        ("In a new survey, what percentage of British Gen Zs said they would fight?", False),
        ("For how many years did Kim hope the relationship would flourish?", False),
        ("In what year did Musk acquire the social network?", False),
        ("Which day did the strike end?", False),
        ("When did they meet?", False),
        ("How did the markets react?", False),
        ("Why did the talks fail?", False),
    ],
)
def test_only_questions_that_ask_for_a_name_prefer_new_names(question: str, asks: bool) -> None:
    assert asks_for_a_name(question) is asks


def _passage(article: str, text: str, published: str | None) -> Passage:
    return Passage(article, article.title(), None, published, 0, len(text), text, 1.0)


def test_the_newer_report_and_the_sentence_naming_the_answer_rank_first(embedder: Embedder) -> None:
    question = "Which airline shut down this week?"
    old = _passage("old", "The airline shut down its operations after years of losses.", "2019-05-02")
    new = _passage("new", "The airline shut down its operations after years of losses again.", "2025-05-01")
    named = _passage("named", "The airline that shut down was Spirit Airlines, its owners said.", "2025-05-01")
    undated = _passage("undated", "The airline shut down its operations after years of losses too.", None)
    candidates = _candidates([old, new, named, undated])
    selector = EvidenceSelector(embedder, 6, 360)
    flat = np.full(len(candidates), 0.7, dtype=np.float32)
    ranking = selector.ranked(question, candidates, flat, date(2025, 5, 2))
    by_article = {c.passage.article_id: float(r) for c, r in zip(candidates, ranking, strict=True)}
    assert by_article["named"] > by_article["new"] == pytest.approx(0.7)
    assert by_article["undated"] == pytest.approx(0.7)  # an undated article counts as the newest
    assert by_article["old"] < by_article["new"] - 0.2  # six years older: log(1 + 2,191 days) / 8 x 0.5
    # turned off, each preference leaves the scores as they are
    for off in ({"new_names"}, {"recent_news"}):
        alone = EvidenceSelector(embedder, 6, 360, frozenset(off)).ranked(question, candidates, flat, date(2025, 5, 2))
        assert not np.allclose(alone, ranking)
    none = EvidenceSelector(embedder, 6, 360, frozenset({"new_names", "recent_news"}))
    assert np.allclose(none.ranked(question, candidates, flat, date(2025, 5, 2)), flat)
    assert np.allclose(selector.ranked("How many flights were cancelled?", candidates, flat, None), flat)


def test_the_ranking_orders_the_evidence_and_each_keeps_its_own_score(embedder: Embedder) -> None:
    question = "Which company did the regulator fine this week?"
    older = _passage("older", "The regulator fined the company for misleading customers.", "2020-03-01")
    newer = _passage("newer", "The regulator fined Acme Widgets for misleading customers last week.", "2025-03-01")
    on, relevance = EvidenceSelector(embedder, 6, 360).select(question, [older, newer], date(2025, 3, 2))
    off, relevance_off = EvidenceSelector(embedder, 6, 360, frozenset({"new_names", "recent_news"})).select(
        question, [older, newer], date(2025, 3, 2)
    )
    assert on[0].article_id == "newer" and [e.n for e in on] == [1, 2]
    unranked, _ = EvidenceSelector(embedder, 6, 360).select(question, [older, newer], date(2025, 3, 2), ranking=False)
    assert [e.article_id for e in unranked] == [e.article_id for e in off]  # the model's sources: by score
    assert relevance == relevance_off  # the refusal threshold reads the score, not the ranking
    assert {e.article_id: e.score for e in on} == {e.article_id: e.score for e in off}
