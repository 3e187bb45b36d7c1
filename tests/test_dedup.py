"""MinHash signatures are stored in the index: their values must not change between versions."""

from __future__ import annotations

import hashlib

import pytest
from conftest import PUTIN_KIM

from assistant.ingest import dedup


@pytest.mark.parametrize(
    ("text", "digest"),
    [
        (PUTIN_KIM.read_text(encoding="utf-8"), "803ab950a44131b8"),
        ("Kim and Putin met", "cd7955326da49884"),  # fewer words than a 5-gram
        ("", "f0324a432584e1d0"),
        ("Ünïcødé “quotes” 日本語 café naïve façade résumé déjà vu", "b7fea8e35628da46"),  # multi-byte words
    ],
)
def test_signatures_match_those_already_stored(text: str, digest: str) -> None:
    """Digests of the signatures the first version stored: new articles must stay comparable with them."""
    encoded = dedup.encode(dedup.signature(text))
    assert hashlib.sha256(encoded.encode()).hexdigest()[:16] == digest
    assert (dedup.decode(encoded) == dedup.signature(text)).all()


def test_the_most_similar_known_article_is_matched() -> None:
    text = PUTIN_KIM.read_text(encoding="utf-8")
    finder = dedup.DuplicateFinder(0.6)
    for i in range(100):  # past the finder's first allocation
        finder.add(f"other{i}", dedup.signature(f"unrelated story number {i} about the weather and the harvest"))
    finder.add("original", dedup.signature(text))
    match = finder.match(dedup.signature(text.replace("Vostochny", "Baikonur")))
    assert match is not None and match[0] == "original" and match[1] > 0.6
    assert finder.match(dedup.signature(text), exclude="original") is None
