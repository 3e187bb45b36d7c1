"""The chat's HTML: markers, unsupported sentences, refusals, highlighted articles, escaping."""

from __future__ import annotations

from assistant.serve import render
from assistant.types import Answer, Sentence


def _span(key: str, start: int, end: int, text: str) -> render.Span:
    return render.Span("a1", "Title <b>", "Source", "2023-09-15T10:00:00", start, end, text, key)


def _answer(sentences: list[Sentence], refused: bool = False) -> Answer:
    return Answer("q", "q", "text", refused, [], sentences, [], [], "local", 0.7)


def test_unsupported_sentences_are_marked_and_markers_link_to_their_source() -> None:
    spans = {"1": _span("1", 0, 5, "Quote")}
    html = render.answer_html(
        _answer([Sentence("Kim met Putin.", (1,), True, 0.9), Sentence("It rained <a lot>.", (1,), False, 0.1)]),
        spans,
    )
    assert 'Kim met Putin <a class="cite" href="#src-1"' in html and "[1]</a>." in html
    assert html.count('class="unsupported"') == 1 and "not supported by the sources" in html
    assert "&lt;a lot&gt;" in html and "<a lot>" not in html  # answer text is escaped
    assert "“Quote” — Title &lt;b&gt; · Source · 2023-09-15" in html  # the marker's tooltip


def test_refusal_points_to_the_closest_passages() -> None:
    html = render.answer_html(_answer([], refused=True), {})
    assert 'class="refusal"' in html


def test_overlapping_spans_share_their_common_part() -> None:
    text = "One. Two <three>. Four."
    spans = [_span("1", 0, 17, text[0:17]), _span("2", 5, 23, text[5:23])]
    html = render.highlight(text, spans)
    assert html == (
        '<mark data-keys="1">One. </mark>'
        '<mark data-keys="1 2">Two &lt;three&gt;.</mark>'
        '<mark data-keys="2"> Four.</mark>'
    )


def test_sources_panel_holds_each_cited_article_once_with_all_its_spans() -> None:
    current = {"1": _span("1", 0, 4, "One."), "2": _span("2", 5, 9, "Two.")}
    html = render.sources_html(current, {}, lambda article_id: "One. Two. Three.")
    assert html.count('<article class="article-view" data-article="a1"') == 1
    assert html.count("<mark") == 2 and 'id="src-1"' in html and 'id="src-2"' in html
    assert "Earlier in this conversation" not in html
