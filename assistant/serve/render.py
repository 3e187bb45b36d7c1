"""HTML for the web chat: answers with clickable citation markers, the sources panel, highlighted articles.

Pure functions of the answering pipeline's objects; `assistant/serve/static/chat.js` makes the markup
interactive (a click on a marker shows its source; "Open article" scrolls the highlighted span into view).
Every piece of article or answer text is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import pairwise
from typing import TYPE_CHECKING

from assistant.cite.check import marker_position
from assistant.types import Located

if TYPE_CHECKING:
    from assistant.types import Answer, ArticleInfo, Sentence

ArticleText = Callable[[str], str]  # article id -> its clean text


@dataclass(frozen=True)
class Span(Located):
    """A highlightable span: a citation ("3") or, for a refusal, one of the closest passages ("p1")."""

    text: str
    key: str


def meta_text(title: str, source: str | None, published_at: str | None) -> str:
    return " · ".join(x for x in (title, source or "", (published_at or "")[:10]) if x)


def meta(title: str, source: str | None, published_at: str | None) -> str:
    return escape(meta_text(title, source, published_at))


def answer_html(answer: Answer, spans: dict[str, Span]) -> str:
    """The chat message for a finished answer; `spans` are the conversation's citations by number."""
    notice = f'<div class="notice">{escape(answer.notice)}</div>' if answer.notice else ""
    if answer.refused:
        hint = " The closest passages are listed under Sources." if answer.passages else ""
        return f'{notice}<p class="refusal">{escape(answer.answer)}{hint}</p>'
    reported = f'<p class="reported">{escape(answer.reported)}.</p>' if answer.reported else ""
    return notice + "<p>" + " ".join(_sentence(s, spans) for s in answer.sentences) + "</p>" + reported


CURSOR = '<span class="cursor" aria-hidden="true">▍</span>'


def streaming_html(text: str) -> str:
    """The answer as it is being generated: plain text, markers not yet checked."""
    return f'<p class="streaming">{escape(text)}{CURSOR}</p>'


def working_html(message: str) -> str:
    return f'<p class="working"><span class="spinner" aria-hidden="true"></span>{escape(message)}</p>'


def _sentence(s: Sentence, spans: dict[str, Span]) -> str:
    cut = marker_position(s.text)
    marks = "".join(_marker(n, spans.get(str(n))) for n in s.citations)
    body = f"{escape(s.text[:cut])}{' ' if marks else ''}{marks}{escape(s.text[cut:])}"
    if s.supported:
        return body
    return (
        f'<span class="unsupported" title="No cited sentence supports this">{body}'
        '<span class="flag">not supported by the sources</span></span>'
    )


def _marker(n: int, span: Span | None) -> str:
    tip = f"“{' '.join(span.text.split())}” — {meta_text(span.title, span.source, span.published_at)}" if span else ""
    return f'<a class="cite" href="#src-{n}" data-key="{n}" title="{escape(tip)}">[{n}]</a>'


def citation_spans(answer: Answer) -> dict[str, Span]:
    return {
        str(c.n): Span(c.article_id, c.title, c.source, c.published_at, c.start, c.end, c.quote, str(c.n))
        for c in answer.citations
    }


def passage_spans(answer: Answer, k: int = 3) -> dict[str, Span]:
    return {
        f"p{i}": Span(p.article_id, p.title, p.source, p.published_at, p.start, p.end, p.text, f"p{i}")
        for i, p in enumerate(answer.passages[:k], 1)
    }


def sources_html(current: dict[str, Span], earlier: dict[str, Span], article_text: ArticleText) -> str:
    """The sources panel: this answer's spans, the conversation's earlier ones, and each cited article
    in full (hidden until opened) with every span highlighted."""
    if not current and not earlier:
        return '<div class="sources empty"><p>Sources of the answer appear here, each one a highlighted span.</p></div>'
    closest = any(key.startswith("p") for key in current)
    heading = "Closest passages" if closest else "Sources"
    parts = [f'<div class="sources"><h3>{heading}</h3>']
    if closest:
        parts.append('<p class="hint">The articles do not answer this; these passages came closest.</p>')
    parts.append(_cards(current.values()))
    if earlier:
        parts.append(f"<details><summary>Earlier in this conversation ({len(earlier)})</summary>")
        parts.append(_cards(earlier.values()))
        parts.append("</details>")
    spans = [*current.values(), *earlier.values()]
    by_article: dict[str, list[Span]] = {}
    for span in spans:
        by_article.setdefault(span.article_id, []).append(span)
    for article_id, its in by_article.items():
        parts.append(
            article_html(its[0].title, its[0].source, its[0].published_at, article_id, article_text(article_id), its)
        )
    parts.append("</div>")
    return "".join(parts)


def _cards(spans: Iterable[Span]) -> str:
    items = []
    for s in spans:
        items.append(
            f'<li class="source" id="src-{s.key}" data-key="{s.key}">'
            f'<span class="n">{escape(s.key) if s.key.isdigit() else "·"}</span>'
            f"<div><blockquote>{escape(' '.join(s.text.split()))}</blockquote>"
            f'<div class="meta">{meta(s.title, s.source, s.published_at)}</div>'
            f'<button type="button" class="open-article" data-article="{s.article_id}" data-key="{s.key}">'
            "Open article</button></div></li>"
        )
    return f'<ol class="source-list">{"".join(items)}</ol>'


def article_html(
    title: str,
    source: str | None,
    published_at: str | None,
    article_id: str,
    text: str,
    spans: Sequence[Span],
    *,
    hidden: bool = True,
) -> str:
    """A whole clean article with the given spans marked; overlapping spans share their common part."""
    return (
        f'<article class="article-view" data-article="{article_id}"{" hidden" if hidden else ""}>'
        f'<header><h4>{escape(title)}</h4><div class="meta">{meta("", source, published_at)}</div>'
        '<button type="button" class="close-article" aria-label="Close the article">×</button></header>'
        f'<div class="article-text">{highlight(text, spans)}</div></article>'
    )


def highlight(text: str, spans: Sequence[Span]) -> str:
    """`text` escaped, with `<mark data-keys="3 5">` around every part covered by spans (by their offsets)."""
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    out = []
    for lo, hi in pairwise(cuts):
        piece = escape(text[lo:hi])
        keys = [s.key for s in spans if s.start <= lo and hi <= s.end]
        out.append(f'<mark data-keys="{" ".join(keys)}">{piece}</mark>' if keys else piece)
    return "".join(out)


def articles_rows(infos: Sequence[ArticleInfo]) -> list[list[str]]:
    return [[a.title, a.source or "", (a.published_at or "")[:10], f"{a.n_chars:,} chars", a.id, a.key] for a in infos]
