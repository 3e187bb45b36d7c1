"""Evaluation metrics on small hand-made cases whose values are worked out by hand, edge cases included."""

from __future__ import annotations

import pytest

from assistant.evaluate import metrics as m
from assistant.evaluate.metrics import CitedSentence

GOLD = "Russian Defence Minister Sergei Soigu hinted at the possibility of joint military exercises."


def test_normalize_ignores_case_accents_and_punctuation() -> None:
    assert m.normalize("Šoigu’s 20-hour TRIP, “new level”") == "soigu s 20 hour trip new level"


def test_contains_matches_whole_words_only() -> None:
    assert m.contains("He met Kim in Vostochny.", "kim")
    assert m.contains("Sergei Šoigu said so", "Soigu")  # diacritics
    assert m.contains("the 20-hour journey", "20 hour")
    assert not m.contains("Kimberley met him", "Kim")
    assert not m.contains("anything", "")


def test_keywords_need_every_group_and_accept_any_alias() -> None:
    groups = [["Shoigu", "Soigu"], ["defence minister", "defense minister"]]
    assert m.keywords_correct("Sergei Soigu is the Russian defence minister.", groups) is True
    assert m.missing_keywords("Sergei Soigu hinted at exercises.", groups) == [groups[1]]
    assert m.keywords_correct("Sergei Soigu hinted at exercises.", groups) is False
    assert m.keywords_correct("anything", []) is None  # nothing to check: not measured


@pytest.mark.parametrize(
    ("prediction", "reference", "expected"),
    [
        ("the cat sat", "cat sat on mat", 2 / 3),  # P = 2/2, R = 2/4
        ("Sept. 12 and 13", "September 12 and 13", 0.75),  # 3 of 4 words each way
        ("Vostochny", "Vostochny", 1.0),
        ("Moscow", "Vostochny", 0.0),
        ("", "", 1.0),  # both empty
        ("", "Vostochny", 0.0),
        ("The", "a", 1.0),  # only articles: both empty after normalization
    ],
)
def test_token_f1(prediction: str, reference: str, expected: float) -> None:
    assert m.token_f1(prediction, reference) == pytest.approx(expected)


def test_hits_and_reciprocal_rank() -> None:
    rank = m.first_hit([False, False, True, True])
    assert rank == 3
    assert [m.hit_at(rank, k) for k in m.HIT_KS] == [0.0, 1.0, 1.0, 1.0]
    assert m.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert m.first_hit([False] * 10) is None and m.first_hit([]) is None
    assert m.hit_at(None, 10) == 0.0 and m.reciprocal_rank(None) == 0.0
    assert m.reciprocal_rank(11, k=10) == 0.0  # past the ranking depth


def test_a_passage_holds_a_quote_across_line_breaks_and_in_paraphrase() -> None:
    passage = (
        "Missile programs\n\nRussian Defence Minister Sergei Soigu  hinted at\n"
        "the possibility of joint military exercises."
    )
    assert m.holds_quote(passage, [GOLD])
    assert not m.holds_quote("Sergei Soigu is the defence minister.", [GOLD])
    fact = "Soigu hinted that China, Russia and North Korea could hold joint military exercises."
    source = "Russia's defence minister Soigu hinted at joint military exercises of China, Russia and North Korea."
    assert m.holds_quote(source, [fact])  # a reworded fact (MultiHop-RAG style): its content words are there
    assert not m.holds_quote(source, ["Kim travelled by armoured train for two days."])
    assert not m.holds_quote(passage, [])


def test_a_cited_span_overlaps_a_gold_quote_when_they_share_a_sentence() -> None:
    before = "The North Korean delegation included the Defence Minister."
    assert m.overlaps_quote(f"{before} {GOLD}", [GOLD])  # the citation holds the quote and more
    assert m.overlaps_quote(GOLD, [f"{before} {GOLD}"])  # the quote holds the citation and more
    assert not m.overlaps_quote(before, [GOLD])
    assert not m.overlaps_quote(GOLD, [])


def test_citation_recall_and_precision() -> None:
    sentences = [
        CitedSentence(supported=True, on_gold=(False,)),  # supported: its citation counts
        CitedSentence(supported=False, on_gold=(False, True)),  # one citation is on a gold quote
        CitedSentence(supported=False, on_gold=()),  # no citation at all
        CitedSentence(supported=True, on_gold=(True,)),
    ]
    assert m.citation_recall(sentences) == pytest.approx(2 / 4)
    assert m.citation_precision(sentences) == pytest.approx(3 / 4)  # 4 citations, the 2nd one irrelevant
    assert m.citation_on_gold(sentences) == pytest.approx(2 / 4)  # the gold alone, whatever the check said


def test_citation_edge_cases() -> None:
    assert m.citation_recall([]) is None and m.citation_precision([]) is None  # a refusal: not measured
    uncited = [CitedSentence(supported=False, on_gold=())]
    assert m.citation_recall(uncited) == 0.0
    assert m.citation_precision(uncited) == 0.0  # as ALCE: an answer citing nothing scores 0
    assert m.citation_on_gold(uncited) is None


def test_refusal_precision_and_recall() -> None:
    # (answerable, refused)
    mixed = [(False, True), (False, False), (True, True), (True, False), (True, False)]
    assert m.refusal_precision(mixed) == pytest.approx(1 / 2)
    assert m.refusal_recall(mixed) == pytest.approx(1 / 2)
    all_refused = [(False, True), (True, True), (True, True)]
    assert m.refusal_precision(all_refused) == pytest.approx(1 / 3)
    assert m.refusal_recall(all_refused) == 1.0
    never = [(False, False), (True, False)]
    assert m.refusal_precision(never) is None  # no refusal to judge
    assert m.refusal_recall(never) == 0.0
    assert m.refusal_recall([(True, True)]) is None  # no unanswerable question
    assert m.refusal_precision([]) is None and m.refusal_recall([]) is None


def test_mean_and_percentiles() -> None:
    assert m.mean([1.0, None, 0.0]) == 0.5
    assert m.mean([]) is None and m.mean([None]) is None
    values = [4.0, 1.0, 3.0, 2.0]
    assert m.percentile(values, 50) == 2.5
    assert m.percentile(values, 95) == pytest.approx(3.85)  # numpy's linear rule: 3 + 0.85 x (4 - 3)
    assert m.percentile(values, 0) == 1.0 and m.percentile(values, 100) == 4.0
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None and m.percentile([None], 50) is None
