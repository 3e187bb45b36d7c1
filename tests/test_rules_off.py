"""The lexical rules can be turned off one at a time (`rules_off`), so that what each adds is measured."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.evidence import EvidenceSelector
from assistant.cite.check import verdict
from assistant.errors import ConfigError
from assistant.rules import RULES
from assistant.settings import Settings, load_settings
from assistant.store.embedding import Embedder
from assistant.text.terms import Vocabulary
from assistant.types import Passage

SPAN = "Kim Jong-un met Vladimir Putin at the Vostochny cosmodrome on Wednesday, his second trip abroad."


def _flat(texts: object) -> np.ndarray:
    n = len(texts)  # type: ignore[arg-type]
    return np.ones((n, 2)) / np.sqrt(2)  # every text alike: only the lexical rules decide


def test_unknown_rules_are_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_RULES_OFF", "numbers, kind")
    with pytest.raises(ConfigError, match=r"ASSISTANT_RULES_OFF: .*unknown rule kind"):
        load_settings()
    monkeypatch.delenv("ASSISTANT_RULES_OFF")
    assert Settings(rules_off=" numbers ,hedges,").off() == {"numbers", "hedges"}
    assert Settings().off() == frozenset()


MET = "Kim Jong-un met Vladimir Putin at the Vostochny cosmodrome on Wednesday."


@pytest.mark.parametrize(
    ("rule", "claim", "span"),
    [
        ("numbers", "Kim Jong-un met Vladimir Putin at the Vostochny cosmodrome on Wednesday, his 12th trip.", SPAN),
        ("negations", "Kim Jong-un did not meet Vladimir Putin at the Vostochny cosmodrome on Wednesday.", SPAN),
        ("names", "Kim Jong-un met Vladimir Putin and Shoigu at the Vostochny cosmodrome on Wednesday.", SPAN),
        ("hedges", MET, "Kim Jong-un would meet Vladimir Putin at the Vostochny cosmodrome on Wednesday, aides said."),
    ],
)
def test_a_rule_turned_off_no_longer_decides(rule: str, claim: str, span: str) -> None:
    assert not verdict(claim, [span], _flat)[0]
    assert verdict(claim, [span], _flat, off=frozenset({rule}))[0]
    assert not verdict(claim, [span], _flat, off=frozenset(RULES) - {rule})[0]  # that rule alone decides it


def test_misspellings_off_makes_one_edit_another_word() -> None:
    known = Vocabulary(["shoigu", "cosmodrom"])
    assert "soigu" in known
    assert "soigu" not in Vocabulary(known.stems, tolerant=False)
    assert "cosmodrom" in Vocabulary(known.stems, tolerant=False)


def test_evidence_rules_off_change_the_scores(embedder: Embedder) -> None:
    question = "Where did Putin and Kim meet?"
    sentences = ["Putin and Kim met at the Vostochny cosmodrome.", "The leaders talked for five hours."]
    on = EvidenceSelector(embedder, 6, 360).score(question, sentences)
    without_words = EvidenceSelector(embedder, 6, 360, frozenset({"sentence_words"})).score(question, sentences)
    without_kind = EvidenceSelector(embedder, 6, 360, frozenset({"answer_kind"})).score(question, sentences)
    assert on[0] - without_kind[0] == pytest.approx(0.1, abs=1e-6)  # "at the Vostochny": what "where" asks for
    assert on[1] == pytest.approx(without_kind[1])
    assert not np.allclose(on, without_words)


def test_a_sentence_that_asks_is_not_evidence(embedder: Embedder) -> None:
    text = (
        "Has a team won the men's and the women's championships in the same year? "
        "In 2004 UConn's teams won both championships in the same year."
    )
    passage = Passage("a", "Champions", None, None, 0, len(text), text, 1.0)
    question = "Which team won the men's and the women's championships in the same year?"
    evidence, _ = EvidenceSelector(embedder, 6, 360).select(question, [passage])
    assert [e.quote for e in evidence] == ["In 2004 UConn's teams won both championships in the same year."]
    asked, _ = EvidenceSelector(embedder, 6, 360, frozenset({"questions"})).select(question, [passage])
    assert asked[0].quote.startswith("Has a team won")  # off: the question scores best of the two
