"""The swapped-roles probe's pieces without a model: which names are swapped, and when the probe speaks."""

from __future__ import annotations

from assistant.cite.roles import names, role_checked, swapped
from assistant.types import Evidence

SPAN = 'In an Oval Office clash on Friday, Trump admonished Zelenskyy for "gambling with World War III."'


def test_names_held_by_the_span_are_swapped_pair_by_pair() -> None:
    sentence = "During the clash, Zelenskyy admonished Trump for gambling with World War III."
    assert [n for n, _ in names(sentence, SPAN)] == ["Zelenskyy", "Trump", "World War III"]
    copies = swapped(sentence, SPAN, 3)
    assert copies[0] == "During the clash, Trump admonished Zelenskyy for gambling with World War III."
    assert len(copies) == 3 and len(swapped(sentence, SPAN, 1)) == 1
    # a sentence-opening word is no name, a possessive ending comes off, a name inside another is not swapped with it
    kim = "After the talks, Kim's sister met Kim Jong-un."
    assert names(kim, "Kim Jong-un and Kim's sister") == [("Kim", 17), ("Kim Jong-un", 34)]
    assert swapped(kim, "Kim Jong-un and Kim's sister", 3) == []
    antonov = "The US ambassador to Russia is Anatoly Antonov."
    assert swapped(antonov, "Russia’s ambassador to the US, Anatoly Antonov, said", 1) == [
        "The Russia ambassador to US is Anatoly Antonov."
    ]


def test_a_swapped_copy_the_judge_finds_likelier_makes_the_sentence_unstated() -> None:
    spans = [Evidence("a", "T", None, None, 0, len(SPAN), SPAN, 1.0, n=1)]
    right = "Trump admonished Zelenskyy for gambling with World War III."
    wrong = "Zelenskyy admonished Trump for gambling with World War III."
    asked: list[str] = []

    def judge(sentence: str, _spans: object) -> float:  # a judge that knows who admonished whom, a little
        asked.append(sentence)
        return 0.9 if sentence.startswith("Trump admonished") else 0.85

    checked = role_checked(judge, 0.7, 3)
    assert checked(right, spans) == 0.9
    assert checked(wrong, spans) == 0.0
    assert role_checked(judge, 0.7, 0) is judge  # 0: no probe
    # the right sentence and its three swapped copies, then the wrong one and its first copy (the right one)
    assert len(asked) == 6 and asked[0] == right and asked[4:] == [wrong, right]
    assert role_checked(lambda s, e: 0.5, 0.7, 3)("Zelenskyy admonished Trump.", spans) == 0.5  # failed: not probed
